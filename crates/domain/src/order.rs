//! The order status machine: APPROVING → PLACED → ACCEPTED → READY, APPROVING → FAILED,
//! PLACED or ACCEPTED → CANCELED. All status changes go through [`transition`]; what the
//! customer may do themselves goes through [`customer_cancel`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::code::UnknownCode;
use crate::korean;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Paid at KakaoPay's page; the approval is being confirmed.
    Approving,
    /// Paid; waits for the store to accept it.
    Placed,
    /// The store accepted it with a promised time and is preparing it.
    Accepted,
    Ready,
    Canceled,
    /// The approval failed; any money that moved was given back.
    Failed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Approving,
        OrderStatus::Placed,
        OrderStatus::Accepted,
        OrderStatus::Ready,
        OrderStatus::Canceled,
        OrderStatus::Failed,
    ];

    /// Whether the order still waits at the counter under its nickname, so no other order of
    /// the day may be called by the same name.
    pub const fn holds_nickname(self) -> bool {
        matches!(
            self,
            OrderStatus::Approving | OrderStatus::Placed | OrderStatus::Accepted
        )
    }

    /// Paid and not yet handed over or given back: what the store still has to do.
    pub const fn is_open(self) -> bool {
        matches!(self, OrderStatus::Placed | OrderStatus::Accepted)
    }

    /// The code stored in `customer_order.status`.
    pub const fn code(self) -> &'static str {
        match self {
            OrderStatus::Approving => "APPROVING",
            OrderStatus::Placed => "PLACED",
            OrderStatus::Accepted => "ACCEPTED",
            OrderStatus::Ready => "READY",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Failed => "FAILED",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            OrderStatus::Approving => "결제 확인 중",
            OrderStatus::Placed => "접수 대기",
            OrderStatus::Accepted => "준비 중",
            OrderStatus::Ready => "준비 완료",
            OrderStatus::Canceled => "취소됨",
            OrderStatus::Failed => "실패",
        }
    }

    /// No further change is possible; a business day can close only when all
    /// of its orders are finished.
    pub const fn is_finished(self) -> bool {
        matches!(
            self,
            OrderStatus::Ready | OrderStatus::Canceled | OrderStatus::Failed
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "OrderStatus",
                code: s.chars().take(64).collect(),
            })
    }
}

/// The outcome of a legal status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Changed,
    /// The order already has the target status: a repeated request (a second
    /// tap, a redelivered event) succeeds without doing anything again.
    AlreadyThere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct IllegalOrderTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl fmt::Display for IllegalOrderTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to = self.to.label();
        write!(
            f,
            "'{}' 상태의 주문은 '{to}'{} 바꿀 수 없습니다.",
            self.from.label(),
            korean::direction(to)
        )
    }
}

pub fn transition(
    from: OrderStatus,
    to: OrderStatus,
) -> Result<Transition, IllegalOrderTransition> {
    use OrderStatus as S;
    match (from, to) {
        // PLACED → READY stays: a store that hands an order over at once need not accept it first.
        (S::Approving, S::Placed | S::Failed)
        | (S::Placed, S::Accepted | S::Ready | S::Canceled)
        | (S::Accepted, S::Ready | S::Canceled) => Ok(Transition::Changed),
        (from, to) if from == to => Ok(Transition::AlreadyThere),
        (from, to) => Err(IllegalOrderTransition { from, to }),
    }
}

/// Why the customer may not cancel an order themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CustomerCancelRefused {
    /// The payment is still being confirmed; there is nothing to cancel yet.
    #[error("결제를 확인하고 있어요. 잠시 후 다시 시도해 주세요.")]
    NotPaidYet,
    /// The store accepted it: only the store can cancel now.
    #[error("매장에서 이미 주문을 접수해 취소할 수 없어요. 매장에 문의해 주세요.")]
    Accepted,
    #[error("이미 준비가 끝난 주문이라 취소할 수 없어요.")]
    Ready,
    #[error("결제되지 않은 주문이라 취소할 것이 없어요.")]
    Failed,
}

/// The customer's 취소하기: allowed only until the store accepts the order.
pub fn customer_cancel(from: OrderStatus) -> Result<Transition, CustomerCancelRefused> {
    use OrderStatus as S;
    match from {
        S::Placed => Ok(Transition::Changed),
        S::Canceled => Ok(Transition::AlreadyThere),
        S::Approving => Err(CustomerCancelRefused::NotPaidYet),
        S::Accepted => Err(CustomerCancelRefused::Accepted),
        S::Ready => Err(CustomerCancelRefused::Ready),
        S::Failed => Err(CustomerCancelRefused::Failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_matches_the_table() {
        use OrderStatus::*;
        // Rows: from; columns: to, in `OrderStatus::ALL` order.
        // C = changed, A = already there, - = illegal.
        let table = [
            (Approving, "AC---C"),
            (Placed, "-ACCC-"),
            (Accepted, "--ACC-"),
            (Ready, "---A--"),
            (Canceled, "----A-"),
            (Failed, "-----A"),
        ];
        for (from, row) in table {
            for (to, cell) in OrderStatus::ALL.into_iter().zip(row.chars()) {
                let want = match cell {
                    'C' => Ok(Transition::Changed),
                    'A' => Ok(Transition::AlreadyThere),
                    _ => Err(IllegalOrderTransition { from, to }),
                };
                assert_eq!(transition(from, to), want, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn illegal_transition_message_names_both_statuses() {
        let err = transition(OrderStatus::Ready, OrderStatus::Canceled).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'준비 완료' 상태의 주문은 '취소됨'으로 바꿀 수 없습니다."
        );
        let err = transition(OrderStatus::Canceled, OrderStatus::Ready).unwrap_err();
        assert_eq!(
            err.to_string(),
            "'취소됨' 상태의 주문은 '준비 완료'로 바꿀 수 없습니다."
        );
    }

    #[test]
    fn finished_statuses_allow_no_change() {
        for from in OrderStatus::ALL {
            let changes = OrderStatus::ALL
                .into_iter()
                .any(|to| transition(from, to) == Ok(Transition::Changed));
            assert_eq!(from.is_finished(), !changes, "{from:?}");
        }
    }

    #[test]
    fn only_orders_still_to_be_handed_over_hold_their_nickname() {
        let holding: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.holds_nickname())
            .collect();
        assert_eq!(
            holding,
            [
                OrderStatus::Approving,
                OrderStatus::Placed,
                OrderStatus::Accepted
            ]
        );
    }

    #[test]
    fn open_orders_are_the_paid_unfinished_ones() {
        for status in OrderStatus::ALL {
            let paid = !matches!(status, OrderStatus::Approving | OrderStatus::Failed);
            assert_eq!(
                status.is_open(),
                paid && !status.is_finished(),
                "{status:?}"
            );
        }
    }

    #[test]
    fn the_customer_cancels_only_before_acceptance() {
        use CustomerCancelRefused as R;
        use OrderStatus::*;
        let want = [
            (Approving, Err(R::NotPaidYet)),
            (Placed, Ok(Transition::Changed)),
            (Accepted, Err(R::Accepted)),
            (Ready, Err(R::Ready)),
            (Canceled, Ok(Transition::AlreadyThere)),
            (Failed, Err(R::Failed)),
        ];
        for (from, want) in want {
            assert_eq!(customer_cancel(from), want, "{from:?}");
            // Whatever the customer may do, the store's machine allows too.
            if want == Ok(Transition::Changed) {
                assert_eq!(transition(from, Canceled), Ok(Transition::Changed));
            }
        }
        assert_eq!(
            R::Accepted.to_string(),
            "매장에서 이미 주문을 접수해 취소할 수 없어요. 매장에 문의해 주세요."
        );
    }

    #[test]
    fn codes_match_the_database_check_and_serde() {
        let codes: Vec<_> = OrderStatus::ALL
            .into_iter()
            .map(OrderStatus::code)
            .collect();
        assert_eq!(
            codes,
            [
                "APPROVING",
                "PLACED",
                "ACCEPTED",
                "READY",
                "CANCELED",
                "FAILED"
            ]
        );
        for status in OrderStatus::ALL {
            assert_eq!(status.code().parse::<OrderStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.code()));
        }
        assert!("READY ".parse::<OrderStatus>().is_err());
    }
}
