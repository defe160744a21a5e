//! The business day (영업일) state machine, DESIGN §5:
//! PREPARING → OPEN ⇄ BREAK; OPEN/BREAK → CLOSING → OPEN (resume) or CLOSED.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::code::UnknownCode;
use crate::ids::OrderId;
use crate::korean;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayState {
    Preparing,
    Open,
    Break,
    Closing,
    Closed,
}

impl DayState {
    pub const ALL: [DayState; 5] = [
        DayState::Preparing,
        DayState::Open,
        DayState::Break,
        DayState::Closing,
        DayState::Closed,
    ];

    /// The code stored in `day_business.state` and the Redis state hash.
    pub const fn code(self) -> &'static str {
        match self {
            DayState::Preparing => "PREPARING",
            DayState::Open => "OPEN",
            DayState::Break => "BREAK",
            DayState::Closing => "CLOSING",
            DayState::Closed => "CLOSED",
        }
    }

    /// What store staff and customers read.
    pub const fn label(self) -> &'static str {
        match self {
            DayState::Preparing => "준비",
            DayState::Open => "영업",
            DayState::Break => "브레이크",
            DayState::Closing => "마감 중",
            DayState::Closed => "마감",
        }
    }
}

impl fmt::Display for DayState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DayState {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DayState::ALL
            .into_iter()
            .find(|state| state.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "DayState",
                code: s.chars().take(64).collect(),
            })
    }
}

/// What the store can do to its day; the labels are the store UI's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayAction {
    Ready,
    Open,
    Break,
    Resume,
    StartClosing,
    Close,
}

impl DayAction {
    pub const ALL: [DayAction; 6] = [
        DayAction::Ready,
        DayAction::Open,
        DayAction::Break,
        DayAction::Resume,
        DayAction::StartClosing,
        DayAction::Close,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            DayAction::Ready => "READY",
            DayAction::Open => "OPEN",
            DayAction::Break => "BREAK",
            DayAction::Resume => "RESUME",
            DayAction::StartClosing => "START_CLOSING",
            DayAction::Close => "CLOSE",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            DayAction::Ready => "영업 준비",
            DayAction::Open => "영업 시작",
            DayAction::Break => "브레이크",
            DayAction::Resume => "영업 재개",
            DayAction::StartClosing => "마감 시작",
            DayAction::Close => "마감",
        }
    }
}

impl fmt::Display for DayAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DayAction {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DayAction::ALL
            .into_iter()
            .find(|action| action.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "DayAction",
                code: s.chars().take(64).collect(),
            })
    }
}

/// An action the current state does not allow. `from` is `None` when the store
/// has no business day yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct IllegalTransition {
    pub from: Option<DayState>,
    pub action: DayAction,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = self.action.label();
        let particle = korean::object(action);
        match self.from {
            Some(state) => write!(
                f,
                "현재 상태({})에서는 '{action}'{particle} 할 수 없습니다.",
                state.label()
            ),
            None => write!(
                f,
                "영업일이 시작되지 않아 '{action}'{particle} 할 수 없습니다. 먼저 '영업 준비'를 해 주세요."
            ),
        }
    }
}

/// The state after `action`, or why it is not allowed. `None` means the store
/// has no business day yet; `Ready` (from nothing or from a closed day) starts
/// a new day. Closing has further preconditions: see [`close_blocker`].
pub fn next(state: Option<DayState>, action: DayAction) -> Result<DayState, IllegalTransition> {
    use DayAction as A;
    use DayState as S;
    match (state, action) {
        (None | Some(S::Closed), A::Ready) => Ok(S::Preparing),
        (Some(S::Preparing), A::Open) => Ok(S::Open),
        (Some(S::Open), A::Break) => Ok(S::Break),
        (Some(S::Break | S::Closing), A::Resume) => Ok(S::Open),
        (Some(S::Open | S::Break), A::StartClosing) => Ok(S::Closing),
        (Some(S::Closing), A::Close) => Ok(S::Closed),
        (from, action) => Err(IllegalTransition { from, action }),
    }
}

/// The buttons the store UI offers in `state`, in display order.
pub fn allowed_actions(state: Option<DayState>) -> Vec<DayAction> {
    DayAction::ALL
        .into_iter()
        .filter(|&action| next(state, action).is_ok())
        .collect()
}

/// Only an open day takes new orders.
pub fn takes_orders(state: DayState) -> bool {
    state == DayState::Open
}

/// Korea Standard Time: one offset all year (no daylight saving). Customers and staff read
/// times in it.
pub const KST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// Counts and amounts of a business day's orders, as the order service sums them when the day
/// is sealed. ACCEPTED counts as placed; paid orders are those placed, accepted, ready or
/// canceled (a cancel is a full refund after payment); failed orders were never charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub order_count: i64,
    pub placed_count: i64,
    pub ready_count: i64,
    pub canceled_count: i64,
    pub failed_count: i64,
    pub gross: i64,
    pub canceled: i64,
    pub net: i64,
}

/// Why a closing day cannot be closed yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseBlocker {
    /// Orders of the day that are neither ready, canceled nor failed.
    OpenOrders(Vec<OrderId>),
    /// A customer may still be paying; closing waits until `until`.
    PaymentWindow { until: DateTime<Utc> },
}

impl fmt::Display for CloseBlocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseBlocker::OpenOrders(orders) => write!(
                f,
                "아직 처리되지 않은 주문이 {}건 있습니다. 준비 완료나 취소를 한 뒤 마감해 주세요.",
                orders.len()
            ),
            CloseBlocker::PaymentWindow { until } => {
                write!(
                    f,
                    "결제 중인 손님이 있을 수 있어 {}까지는 마감할 수 없습니다.",
                    until.with_timezone(&KST).format("%H:%M:%S")
                )
            }
        }
    }
}

/// Whether a day in CLOSING may be closed `now`: every order must be finished,
/// and `payment_window` (the payment window plus a margin) must have passed
/// since closing started, so a payment begun before closing can still land.
/// Open orders are reported first because staff can act on them.
pub fn close_blocker(
    open_orders: &[OrderId],
    closing_started_at: DateTime<Utc>,
    now: DateTime<Utc>,
    payment_window: Duration,
) -> Option<CloseBlocker> {
    if !open_orders.is_empty() {
        return Some(CloseBlocker::OpenOrders(open_orders.to_vec()));
    }
    let until = closing_started_at
        .checked_add_signed(payment_window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (now < until).then_some(CloseBlocker::PaymentWindow { until })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const STATES: [Option<DayState>; 6] = [
        None,
        Some(DayState::Preparing),
        Some(DayState::Open),
        Some(DayState::Break),
        Some(DayState::Closing),
        Some(DayState::Closed),
    ];

    /// Expected result of every (state, action); `None` cells are illegal.
    fn expected(state: Option<DayState>, action: DayAction) -> Option<DayState> {
        use DayAction::*;
        use DayState as S;
        // Columns: Ready, Open, Break, Resume, StartClosing, Close.
        let row: [Option<DayState>; 6] = match state {
            None => [Some(S::Preparing), None, None, None, None, None],
            Some(S::Preparing) => [None, Some(S::Open), None, None, None, None],
            Some(S::Open) => [None, None, Some(S::Break), None, Some(S::Closing), None],
            Some(S::Break) => [None, None, None, Some(S::Open), Some(S::Closing), None],
            Some(S::Closing) => [None, None, None, Some(S::Open), None, Some(S::Closed)],
            Some(S::Closed) => [Some(S::Preparing), None, None, None, None, None],
        };
        let column = match action {
            Ready => 0,
            Open => 1,
            Break => 2,
            Resume => 3,
            StartClosing => 4,
            Close => 5,
        };
        row[column]
    }

    #[test]
    fn every_state_and_action_matches_the_table() {
        for state in STATES {
            for action in DayAction::ALL {
                let got = next(state, action);
                match expected(state, action) {
                    Some(to) => assert_eq!(got, Ok(to), "{state:?} + {action:?}"),
                    None => assert_eq!(
                        got,
                        Err(IllegalTransition {
                            from: state,
                            action
                        }),
                        "{state:?} + {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn allowed_actions_are_the_legal_cells() {
        assert_eq!(allowed_actions(None), vec![DayAction::Ready]);
        assert_eq!(
            allowed_actions(Some(DayState::Open)),
            vec![DayAction::Break, DayAction::StartClosing]
        );
        assert_eq!(
            allowed_actions(Some(DayState::Closing)),
            vec![DayAction::Resume, DayAction::Close]
        );
        for state in STATES {
            for action in allowed_actions(state) {
                assert!(expected(state, action).is_some());
            }
        }
    }

    #[test]
    fn only_open_takes_orders() {
        for state in DayState::ALL {
            assert_eq!(takes_orders(state), state == DayState::Open, "{state:?}");
        }
    }

    #[test]
    fn illegal_transition_speaks_korean_and_names_the_state() {
        let err = next(Some(DayState::Break), DayAction::Close).unwrap_err();
        assert_eq!(
            err.to_string(),
            "현재 상태(브레이크)에서는 '마감'을 할 수 없습니다."
        );
        let err = next(Some(DayState::Closed), DayAction::Break).unwrap_err();
        assert_eq!(
            err.to_string(),
            "현재 상태(마감)에서는 '브레이크'를 할 수 없습니다."
        );
        let err = next(None, DayAction::Open).unwrap_err();
        assert!(err.to_string().contains("'영업 시작'을"), "{err}");
    }

    #[test]
    fn codes_labels_and_serde_agree() {
        for state in DayState::ALL {
            assert_eq!(state.code().parse::<DayState>(), Ok(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.code()));
        }
        for action in DayAction::ALL {
            assert_eq!(action.code().parse::<DayAction>(), Ok(action));
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.code()));
        }
        assert_eq!(DayState::Closing.label(), "마감 중");
        assert_eq!(DayAction::StartClosing.label(), "마감 시작");
        let err = "open".parse::<DayState>().unwrap_err();
        assert_eq!(err.to_string(), "unknown DayState code 'open'");
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, h, m, s).unwrap()
    }

    #[test]
    fn close_waits_for_open_orders_first() {
        let order = OrderId::new();
        let blocker = close_blocker(&[order], at(12, 0, 0), at(13, 0, 0), Duration::minutes(15));
        assert_eq!(blocker, Some(CloseBlocker::OpenOrders(vec![order])));
        assert_eq!(
            blocker.unwrap().to_string(),
            "아직 처리되지 않은 주문이 1건 있습니다. 준비 완료나 취소를 한 뒤 마감해 주세요."
        );
    }

    #[test]
    fn close_waits_for_the_payment_window() {
        let started = at(12, 0, 0);
        let window = Duration::minutes(15);
        let blocker = close_blocker(&[], started, at(12, 14, 59), window);
        assert_eq!(
            blocker,
            Some(CloseBlocker::PaymentWindow {
                until: at(12, 15, 0)
            })
        );
        // 12:15 UTC is 21:15 in Korea.
        assert_eq!(
            blocker.unwrap().to_string(),
            "결제 중인 손님이 있을 수 있어 21:15:00까지는 마감할 수 없습니다."
        );
        assert_eq!(close_blocker(&[], started, at(12, 15, 0), window), None);
        assert_eq!(close_blocker(&[], started, at(18, 0, 0), window), None);
    }
}
