//! The order status machine: APPROVING → PLACED → READY, APPROVING → FAILED,
//! PLACED → CANCELED. All status changes go through [`transition`].

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
    Placed,
    Ready,
    Canceled,
    /// The approval failed; any money that moved was given back.
    Failed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Approving,
        OrderStatus::Placed,
        OrderStatus::Ready,
        OrderStatus::Canceled,
        OrderStatus::Failed,
    ];

    /// Whether the order still waits at the counter under its nickname, so no other order of
    /// the day may be called by the same name.
    pub const fn holds_nickname(self) -> bool {
        matches!(self, OrderStatus::Approving | OrderStatus::Placed)
    }

    /// The code stored in `customer_order.status`.
    pub const fn code(self) -> &'static str {
        match self {
            OrderStatus::Approving => "APPROVING",
            OrderStatus::Placed => "PLACED",
            OrderStatus::Ready => "READY",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Failed => "FAILED",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            OrderStatus::Approving => "결제 확인 중",
            OrderStatus::Placed => "주문 접수",
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
        (S::Approving, S::Placed | S::Failed) | (S::Placed, S::Ready | S::Canceled) => {
            Ok(Transition::Changed)
        }
        (from, to) if from == to => Ok(Transition::AlreadyThere),
        (from, to) => Err(IllegalOrderTransition { from, to }),
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
            (Approving, "AC--C"),
            (Placed, "-ACC-"),
            (Ready, "--A--"),
            (Canceled, "---A-"),
            (Failed, "----A"),
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
        assert_eq!(holding, [OrderStatus::Approving, OrderStatus::Placed]);
    }

    #[test]
    fn codes_match_the_database_check_and_serde() {
        let codes: Vec<_> = OrderStatus::ALL
            .into_iter()
            .map(OrderStatus::code)
            .collect();
        assert_eq!(
            codes,
            ["APPROVING", "PLACED", "READY", "CANCELED", "FAILED"]
        );
        for status in OrderStatus::ALL {
            assert_eq!(status.code().parse::<OrderStatus>(), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.code()));
        }
        assert!("READY ".parse::<OrderStatus>().is_err());
    }
}
