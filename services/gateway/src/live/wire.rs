//! What the live board's WebSocket sends: JSON text messages, each an object with a `kind`.
//! Made here from store day stream entries (protobuf `StoreDayEntry`) and from the order
//! service's orders, with no I/O, so the format is checked by unit tests.
//!
//! - `hello` `{day_business_id, day_state, stream_id, server_time}`: first, once per connection.
//!   `stream_id` is the id of the day stream's `opened` entry: a board that holds orders of
//!   another stream (it was rebuilt after Redis lost it) drops them, and the replay that follows
//!   starts from the beginning.
//! - `placed` / `accepted` / `ready` / `canceled` `{id, occurred_at, order}`: one stream entry;
//!   `id` is the stream entry id to resume from with `?after=`.
//! - `caught_up` `{id}`: the replay is over; what follows is live.
//! - `heartbeat` `{server_time}`: every `LIVE_HEARTBEAT` (15 s), with a WebSocket ping.
//! - `day_changed`, `reload`, `signed_out`, `error` `{message}`: the last message before the
//!   server closes; after `day_changed` and `reload` the board reconnects at once.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use contracts::common::v1::{CartLine, OrderStatus};
use contracts::events::v1::StoreDayEntry;
use contracts::events::v1::store_day_entry::Entry;
use contracts::order::v1::Order;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store_api::dto::{DayStateName, time};

/// A stream entry id `<ms>-<seq>`, ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId {
    ms: u64,
    seq: u64,
}

impl EntryId {
    /// Before every entry: "from the start".
    pub const ZERO: EntryId = EntryId { ms: 0, seq: 0 };
}

impl FromStr for EntryId {
    type Err = ();

    fn from_str(text: &str) -> Result<EntryId, ()> {
        let (ms, seq) = text.split_once('-').ok_or(())?;
        let number = |part: &str| {
            if part.is_empty() || part.len() > 20 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(());
            }
            part.parse::<u64>().map_err(|_| ())
        };
        Ok(EntryId {
            ms: number(ms)?,
            seq: number(seq)?,
        })
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Where an order stands on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardStatus {
    /// 신규: paid, waiting to be accepted.
    Placed,
    /// 진행 중: accepted with a promised time.
    Accepted,
    /// 완료
    Ready,
    /// 취소 (refunded)
    Canceled,
}

impl BoardStatus {
    fn from_order(status: i32) -> Option<BoardStatus> {
        match OrderStatus::try_from(status) {
            Ok(OrderStatus::Placed) => Some(BoardStatus::Placed),
            Ok(OrderStatus::Accepted) => Some(BoardStatus::Accepted),
            Ok(OrderStatus::Ready) => Some(BoardStatus::Ready),
            Ok(OrderStatus::Canceled) => Some(BoardStatus::Canceled),
            _ => None,
        }
    }
}

/// One chosen option of a line, as paid.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BoardOption {
    /// The option group, e.g. 사이즈.
    pub selection_name: String,
    pub name: String,
    /// KRW per unit.
    pub price: i64,
}

/// One line of an order: an item with its options.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BoardLine {
    pub item_name: String,
    pub quantity: u32,
    pub options: Vec<BoardOption>,
    /// KRW: item price plus options.
    pub unit_price: i64,
    /// KRW: unit_price × quantity.
    pub line_total: i64,
}

impl BoardLine {
    fn from_proto(line: CartLine) -> BoardLine {
        BoardLine {
            item_name: line.item_name,
            quantity: line.quantity,
            options: line
                .options
                .into_iter()
                .map(|o| BoardOption {
                    selection_name: o.selection_name,
                    name: o.name,
                    price: o.price,
                })
                .collect(),
            unit_price: line.unit_price,
            line_total: line.line_total,
        }
    }
}

/// The board's view of an order. A `placed` entry and a snapshot carry everything; `accepted`,
/// `ready` and `canceled` entries carry the id, the nickname and what changed, for the client
/// to merge.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BoardOrder {
    pub order_id: String,
    /// The pickup name called at the counter.
    pub nickname: String,
    pub status: BoardStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<BoardLine>>,
    /// KRW won.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    /// When the store promised it ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promised_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prep_minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canceled_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// KRW won returned by the cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunded_amount: Option<i64>,
    /// The customer canceled it before it was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canceled_by_customer: Option<bool>,
}

impl BoardOrder {
    fn bare(order_id: String, nickname: String, status: BoardStatus) -> BoardOrder {
        BoardOrder {
            order_id,
            nickname,
            status,
            lines: None,
            total: None,
            placed_at: None,
            accepted_at: None,
            promised_at: None,
            prep_minutes: None,
            ready_at: None,
            canceled_at: None,
            cancel_reason: None,
            refunded_amount: None,
            canceled_by_customer: None,
        }
    }

    /// An order of the order service; `None` for orders that are not on a board (approving,
    /// failed).
    pub fn from_order(order: Order) -> Option<BoardOrder> {
        let status = BoardStatus::from_order(order.status)?;
        let canceled = status == BoardStatus::Canceled;
        Some(BoardOrder {
            lines: Some(order.lines.into_iter().map(BoardLine::from_proto).collect()),
            total: Some(order.total),
            placed_at: time(order.placed_at.as_ref()),
            accepted_at: time(order.accepted_at.as_ref()),
            promised_at: time(order.promised_at.as_ref()),
            prep_minutes: (order.prep_minutes > 0).then_some(order.prep_minutes),
            ready_at: time(order.ready_at.as_ref()),
            canceled_at: time(order.canceled_at.as_ref()),
            cancel_reason: canceled.then_some(order.cancel_reason),
            refunded_amount: canceled.then_some(order.refunded_amount),
            ..BoardOrder::bare(order.order_id, order.nickname, status)
        })
    }

    /// The order a stream entry is about, or `None` for an entry without one.
    pub fn from_entry(entry: StoreDayEntry) -> Option<BoardOrder> {
        Some(match entry.entry? {
            Entry::Placed(placed) => {
                let order = placed.order?;
                BoardOrder {
                    lines: Some(order.lines.into_iter().map(BoardLine::from_proto).collect()),
                    total: Some(order.total),
                    placed_at: time(order.placed_at.as_ref()),
                    ..BoardOrder::bare(order.order_id, order.nickname, BoardStatus::Placed)
                }
            }
            Entry::Accepted(accepted) => BoardOrder {
                accepted_at: time(accepted.accepted_at.as_ref()),
                promised_at: time(accepted.promised_at.as_ref()),
                prep_minutes: Some(accepted.prep_minutes),
                ..BoardOrder::bare(accepted.order_id, accepted.nickname, BoardStatus::Accepted)
            },
            Entry::Ready(ready) => BoardOrder {
                ready_at: time(ready.ready_at.as_ref()),
                ..BoardOrder::bare(ready.order_id, ready.nickname, BoardStatus::Ready)
            },
            Entry::Canceled(canceled) => BoardOrder {
                canceled_at: time(canceled.canceled_at.as_ref()),
                cancel_reason: Some(canceled.reason),
                refunded_amount: Some(canceled.refunded_amount),
                canceled_by_customer: Some(canceled.by_customer),
                ..BoardOrder::bare(canceled.order_id, canceled.nickname, BoardStatus::Canceled)
            },
            Entry::Opened(_) => return None,
        })
    }
}

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    Hello {
        /// `null` when the store has no business day (closed).
        day_business_id: Option<String>,
        day_state: DayStateName,
        /// `null` without a business day.
        stream_id: Option<String>,
        server_time: DateTime<Utc>,
    },
    Placed {
        id: String,
        occurred_at: String,
        order: BoardOrder,
    },
    Accepted {
        id: String,
        occurred_at: String,
        order: BoardOrder,
    },
    Ready {
        id: String,
        occurred_at: String,
        order: BoardOrder,
    },
    Canceled {
        id: String,
        occurred_at: String,
        order: BoardOrder,
    },
    CaughtUp {
        /// The last entry sent so far (`null`: none yet).
        id: Option<String>,
    },
    Heartbeat {
        server_time: DateTime<Utc>,
    },
    DayChanged {
        message: String,
    },
    /// The day stream was rebuilt while the board followed it: it starts over.
    Reload {
        message: String,
    },
    SignedOut {
        message: String,
    },
    Error {
        message: String,
    },
}

impl Outgoing {
    /// The message of one stream entry, or `None` when the entry holds no order.
    pub fn entry(id: EntryId, occurred_at: String, entry: StoreDayEntry) -> Option<Outgoing> {
        let order = BoardOrder::from_entry(entry)?;
        let id = id.to_string();
        Some(match order.status {
            BoardStatus::Placed => Outgoing::Placed {
                id,
                occurred_at,
                order,
            },
            BoardStatus::Accepted => Outgoing::Accepted {
                id,
                occurred_at,
                order,
            },
            BoardStatus::Ready => Outgoing::Ready {
                id,
                occurred_at,
                order,
            },
            BoardStatus::Canceled => Outgoing::Canceled {
                id,
                occurred_at,
                order,
            },
        })
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use contracts::common::v1::LineOption;
    use contracts::events::v1::{
        BoardOrder as PbBoardOrder, StoreDayCanceled, StoreDayPlaced, StoreDayReady,
    };
    use serde_json::{Value, json};

    use super::*;

    fn ts(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    fn json(message: &Outgoing) -> Value {
        serde_json::from_str(&message.to_json()).expect("valid JSON")
    }

    #[test]
    fn entry_ids_parse_compare_and_print_like_redis() {
        let a: EntryId = "1700000000000-0".parse().expect("id");
        let b: EntryId = "1700000000000-1".parse().expect("id");
        let c: EntryId = "1700000000001-0".parse().expect("id");
        assert!(EntryId::ZERO < a && a < b && b < c);
        assert_eq!(b.to_string(), "1700000000000-1");
        for bad in [
            "",
            "1700000000000",
            "-1",
            "1-",
            "a-1",
            "1-2-3",
            "1 -2",
            "+1-2",
        ] {
            assert!(bad.parse::<EntryId>().is_err(), "{bad:?} accepted");
        }
        assert!("99999999999999999999999-0".parse::<EntryId>().is_err());
    }

    #[test]
    fn a_placed_entry_carries_the_whole_order() {
        let entry = StoreDayEntry {
            store_id: "s".into(),
            day_business_id: "d".into(),
            entry: Some(Entry::Placed(StoreDayPlaced {
                order: Some(PbBoardOrder {
                    order_id: "o1".into(),
                    nickname: "행복한 고래".into(),
                    lines: vec![CartLine {
                        line_id: "l1".into(),
                        item_id: "i1".into(),
                        item_name: "카페라떼".into(),
                        options: vec![LineOption {
                            option_id: "op".into(),
                            selection_id: "se".into(),
                            name: "샷 추가".into(),
                            price: 500,
                            selection_name: "추가".into(),
                        }],
                        quantity: 2,
                        unit_price: 5000,
                        line_total: 10000,
                    }],
                    total: 10000,
                    placed_at: ts(1_700_000_000),
                }),
            })),
        };
        let id = "1700000000000-3".parse().expect("id");
        let message = Outgoing::entry(id, "2023-11-14T22:13:20.000Z".into(), entry).expect("order");
        assert_eq!(
            json(&message),
            json!({
                "kind": "placed",
                "id": "1700000000000-3",
                "occurred_at": "2023-11-14T22:13:20.000Z",
                "order": {
                    "order_id": "o1",
                    "nickname": "행복한 고래",
                    "status": "placed",
                    "lines": [{
                        "item_name": "카페라떼",
                        "quantity": 2,
                        "options": [{"selection_name": "추가", "name": "샷 추가", "price": 500}],
                        "unit_price": 5000,
                        "line_total": 10000,
                    }],
                    "total": 10000,
                    "placed_at": "2023-11-14T22:13:20Z",
                },
            })
        );
    }

    #[test]
    fn ready_and_canceled_entries_carry_what_changed() {
        let ready = StoreDayEntry {
            entry: Some(Entry::Ready(StoreDayReady {
                order_id: "o1".into(),
                nickname: "고래".into(),
                ready_at: ts(1_700_000_100),
            })),
            ..Default::default()
        };
        let message = Outgoing::entry(EntryId::ZERO, String::new(), ready).expect("order");
        let value = json(&message);
        assert_eq!(value["kind"], "ready");
        assert_eq!(
            value["order"],
            json!({"order_id": "o1", "nickname": "고래", "status": "ready", "ready_at": "2023-11-14T22:15:00Z"})
        );

        let canceled = StoreDayEntry {
            entry: Some(Entry::Canceled(StoreDayCanceled {
                order_id: "o2".into(),
                nickname: "참새".into(),
                reason: "재료 소진".into(),
                refunded_amount: 4500,
                canceled_at: ts(1_700_000_200),
                by_customer: false,
            })),
            ..Default::default()
        };
        let value = json(&Outgoing::entry(EntryId::ZERO, String::new(), canceled).expect("order"));
        assert_eq!(value["kind"], "canceled");
        assert_eq!(value["order"]["cancel_reason"], "재료 소진");
        assert_eq!(value["order"]["refunded_amount"], 4500);
    }

    #[test]
    fn entries_and_orders_without_a_board_order_are_skipped() {
        assert_eq!(
            Outgoing::entry(EntryId::ZERO, String::new(), StoreDayEntry::default()),
            None
        );
        let placed_without_order = StoreDayEntry {
            entry: Some(Entry::Placed(StoreDayPlaced { order: None })),
            ..Default::default()
        };
        assert_eq!(
            Outgoing::entry(EntryId::ZERO, String::new(), placed_without_order),
            None
        );
        let failed = Order {
            order_id: "o".into(),
            status: OrderStatus::Failed as i32,
            ..Default::default()
        };
        assert_eq!(BoardOrder::from_order(failed), None);
    }

    #[test]
    fn a_snapshot_order_keeps_its_status_and_cancel_details() {
        let order = Order {
            order_id: "o3".into(),
            nickname: "다람쥐".into(),
            status: OrderStatus::Canceled as i32,
            total: 3000,
            placed_at: ts(1_700_000_000),
            canceled_at: ts(1_700_000_300),
            cancel_reason: "고객 요청".into(),
            refunded_amount: 3000,
            ..Default::default()
        };
        let board = BoardOrder::from_order(order).expect("on the board");
        assert_eq!(board.status, BoardStatus::Canceled);
        assert_eq!(board.cancel_reason.as_deref(), Some("고객 요청"));
        assert_eq!(board.refunded_amount, Some(3000));
        assert_eq!(board.lines, Some(Vec::new()));

        let ready = Order {
            status: OrderStatus::Ready as i32,
            ..Default::default()
        };
        let board = BoardOrder::from_order(ready).expect("on the board");
        assert_eq!((board.cancel_reason, board.refunded_amount), (None, None));
    }
}
