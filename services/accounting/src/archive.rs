//! The day stream's entries as `order_history` keeps them: readable JSON of what the board saw,
//! and back again as the stream facts reconciliation checks. An entry that cannot be read is kept
//! too (its raw fields in base64), because losing it would hide exactly what accounting is for.

use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use contracts::events::v1::{StoreDayEntry, store_day_entry::Entry};
use domain::{Money, OrderId};
use prost::Message as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::reconcile::{EntryKind, StreamEntry};

pub const PLACED: &str = "placed";
pub const ACCEPTED: &str = "accepted";
pub const READY: &str = "ready";
pub const CANCELED: &str = "canceled";
/// The stream's first entry: the day opened (or the stream was rebuilt from Postgres).
pub const OPENED: &str = "opened";
pub const UNREADABLE: &str = "unreadable";

/// One `order_history` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Archived {
    pub stream_id: String,
    pub order_id: Option<Uuid>,
    pub event_type: String,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

/// Turns one stream entry (its id and fields, as XRANGE returns them) into its archive row.
pub fn archive(stream_id: &str, fields: &HashMap<String, redis::Value>) -> Archived {
    let fallback_time = stream_time(stream_id);
    let message = match platform::bus::Message::from_fields(stream_id.to_owned(), fields, 1) {
        Ok(message) => message,
        Err(error) => return unreadable(stream_id, fields, &error, fallback_time),
    };
    let occurred_at = DateTime::parse_from_rfc3339(&message.occurred_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(fallback_time);
    let opened = message.event_type == contracts::events::types::STORE_DAY_OPENED;
    if !opened && message.event_type != contracts::events::types::STORE_DAY_ENTRY {
        let error = format!("unexpected event type {}", message.event_type);
        return unreadable(stream_id, fields, &error, occurred_at);
    }
    let entry = match StoreDayEntry::decode(message.data.as_slice()) {
        Ok(entry) => entry,
        Err(e) => {
            return unreadable(
                stream_id,
                fields,
                &format!("bad protobuf: {e}"),
                occurred_at,
            );
        }
    };
    let mut payload = json!({
        "event_id": message.event_id,
        "type": message.event_type,
        "store_id": entry.store_id,
        "day_business_id": entry.day_business_id,
    });
    let (event_type, order_id, body) = match entry.entry {
        Some(Entry::Opened(day)) if opened => {
            let body = json!({
                "opened_at": time(day.opened_at.as_ref()),
                "rebuilt": day.rebuilt,
            });
            if let (Value::Object(map), Value::Object(body)) = (&mut payload, body) {
                map.extend(body);
            }
            return Archived {
                stream_id: stream_id.to_owned(),
                order_id: None,
                event_type: OPENED.to_owned(),
                payload,
                occurred_at,
            };
        }
        Some(Entry::Opened(_)) => {
            let error = format!("opened entry of type {}", message.event_type);
            return unreadable(stream_id, fields, &error, occurred_at);
        }
        Some(_) if opened => {
            return unreadable(
                stream_id,
                fields,
                "opened type without its entry",
                occurred_at,
            );
        }
        Some(Entry::Placed(placed)) => {
            let order = placed.order.unwrap_or_default();
            let lines: Vec<Value> = order
                .lines
                .iter()
                .map(|l| {
                    json!({
                        "item_id": l.item_id,
                        "item_name": l.item_name,
                        "quantity": l.quantity,
                        "unit_price": l.unit_price,
                        "line_total": l.line_total,
                        "options": l.options.iter().map(|o| json!({
                            "option_id": o.option_id,
                            "selection_id": o.selection_id,
                            "selection_name": o.selection_name,
                            "name": o.name,
                            "price": o.price,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let body = json!({
                "nickname": order.nickname,
                "total": order.total,
                "placed_at": time(order.placed_at.as_ref()),
                "lines": lines,
            });
            (PLACED, order.order_id, body)
        }
        Some(Entry::Accepted(accepted)) => {
            let body = json!({
                "nickname": accepted.nickname,
                "accepted_at": time(accepted.accepted_at.as_ref()),
                "promised_at": time(accepted.promised_at.as_ref()),
                "prep_minutes": accepted.prep_minutes,
            });
            (ACCEPTED, accepted.order_id, body)
        }
        Some(Entry::Ready(ready)) => {
            let body = json!({
                "nickname": ready.nickname,
                "ready_at": time(ready.ready_at.as_ref()),
            });
            (READY, ready.order_id, body)
        }
        Some(Entry::Canceled(canceled)) => {
            let body = json!({
                "nickname": canceled.nickname,
                "reason": canceled.reason,
                "refunded_amount": canceled.refunded_amount,
                "canceled_at": time(canceled.canceled_at.as_ref()),
                "by_customer": canceled.by_customer,
            });
            (CANCELED, canceled.order_id, body)
        }
        None => {
            return unreadable(stream_id, fields, "entry has no content", occurred_at);
        }
    };
    if let (Value::Object(map), Value::Object(body)) = (&mut payload, body) {
        map.insert("order_id".to_owned(), Value::String(order_id.clone()));
        map.extend(body);
    }
    Archived {
        stream_id: stream_id.to_owned(),
        order_id: Uuid::parse_str(&order_id).ok(),
        event_type: event_type.to_owned(),
        payload,
        occurred_at,
    }
}

fn unreadable(
    stream_id: &str,
    fields: &HashMap<String, redis::Value>,
    error: &str,
    occurred_at: DateTime<Utc>,
) -> Archived {
    let raw: serde_json::Map<String, Value> = fields
        .iter()
        .map(|(name, value)| {
            let bytes = redis::from_redis_value_ref::<Vec<u8>>(value).unwrap_or_default();
            let text = base64::engine::general_purpose::STANDARD.encode(bytes);
            (name.clone(), Value::String(text))
        })
        .collect();
    Archived {
        stream_id: stream_id.to_owned(),
        order_id: None,
        event_type: UNREADABLE.to_owned(),
        payload: json!({ "error": error, "fields_base64": raw }),
        occurred_at,
    }
}

/// The time in a stream id (`<ms>-<seq>`): when Redis added the entry.
fn stream_time(stream_id: &str) -> DateTime<Utc> {
    let (ms, _) = crate::reconcile::stream_order(stream_id);
    DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(0)).unwrap_or_default()
}

fn time(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    let at = contracts::time::datetime(t)?;
    Some(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// What reconciliation needs from an archived row; `None` for the `opened` entry, which
/// reports no order.
pub fn stream_entry(
    stream_id: String,
    order_id: Option<Uuid>,
    event_type: &str,
    payload: &Value,
) -> Option<StreamEntry> {
    let kind = match event_type {
        OPENED => return None,
        PLACED => match payload.get("total").and_then(Value::as_i64) {
            Some(total) => EntryKind::Placed {
                total: Money::won(total),
            },
            None => EntryKind::Unreadable {
                reason: "placed entry without a total".to_owned(),
            },
        },
        ACCEPTED => EntryKind::Accepted,
        READY => EntryKind::Ready,
        CANCELED => EntryKind::Canceled,
        _ => EntryKind::Unreadable {
            reason: payload
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unreadable entry")
                .to_owned(),
        },
    };
    Some(StreamEntry {
        stream_id,
        order_id: order_id.map(OrderId::from),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::events::v1::{BoardOrder, StoreDayAccepted, StoreDayPlaced, StoreDayReady};

    fn fields(event_type: &str, data: Vec<u8>) -> HashMap<String, redis::Value> {
        let text = |s: &str| redis::Value::BulkString(s.as_bytes().to_vec());
        HashMap::from([
            ("type".to_owned(), text(event_type)),
            ("event_id".to_owned(), text("e-1")),
            ("occurred_at".to_owned(), text("2026-03-02T03:04:05.678Z")),
            ("traceparent".to_owned(), text("")),
            ("data".to_owned(), redis::Value::BulkString(data)),
        ])
    }

    #[test]
    fn placed_entries_keep_what_the_board_saw_and_read_back() {
        let order_id = Uuid::now_v7();
        let entry = StoreDayEntry {
            store_id: "s".into(),
            day_business_id: "d".into(),
            entry: Some(Entry::Placed(StoreDayPlaced {
                order: Some(BoardOrder {
                    order_id: order_id.to_string(),
                    nickname: "빠른 고양이".into(),
                    lines: vec![contracts::CartLine {
                        item_id: "i".into(),
                        item_name: "아메리카노".into(),
                        quantity: 2,
                        unit_price: 4_500,
                        line_total: 9_000,
                        ..Default::default()
                    }],
                    total: 9_000,
                    placed_at: Some(prost_types::Timestamp {
                        seconds: 1_772_420_645,
                        nanos: 0,
                    }),
                }),
            })),
        };
        let row = archive(
            "1772420645678-0",
            &fields("store_day.entry", entry.encode_to_vec()),
        );
        assert_eq!(row.event_type, PLACED);
        assert_eq!(row.order_id, Some(order_id));
        assert_eq!(row.payload["total"], 9_000);
        assert_eq!(row.payload["nickname"], "빠른 고양이");
        assert_eq!(row.payload["lines"][0]["item_name"], "아메리카노");
        assert_eq!(row.payload["event_id"], "e-1");
        assert_eq!(
            row.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-03-02T03:04:05.678Z"
        );
        let back = stream_entry(row.stream_id, row.order_id, &row.event_type, &row.payload)
            .expect("an order's entry");
        assert_eq!(
            back.kind,
            EntryKind::Placed {
                total: Money::won(9_000)
            }
        );
        assert_eq!(back.order_id, Some(OrderId::from(order_id)));
    }

    #[test]
    fn an_accepted_entry_is_a_fact_of_its_order_not_an_unreadable_one() {
        let order_id = Uuid::now_v7();
        let entry = StoreDayEntry {
            entry: Some(Entry::Accepted(StoreDayAccepted {
                order_id: order_id.to_string(),
                nickname: "n".into(),
                prep_minutes: 10,
                ..Default::default()
            })),
            ..Default::default()
        };
        let row = archive("1-0", &fields("store_day.entry", entry.encode_to_vec()));
        assert_eq!(
            (row.event_type.as_str(), row.order_id),
            (ACCEPTED, Some(order_id))
        );
        let back = stream_entry(row.stream_id, row.order_id, &row.event_type, &row.payload)
            .expect("an order's entry");
        assert_eq!(back.kind, EntryKind::Accepted);
        assert_eq!(back.order_id, Some(OrderId::from(order_id)));
    }

    #[test]
    fn ready_entries_and_unreadable_ones() {
        let order_id = Uuid::now_v7();
        let entry = StoreDayEntry {
            entry: Some(Entry::Ready(StoreDayReady {
                order_id: order_id.to_string(),
                nickname: "n".into(),
                ready_at: None,
            })),
            ..Default::default()
        };
        let row = archive("1-0", &fields("store_day.entry", entry.encode_to_vec()));
        assert_eq!(
            (row.event_type.as_str(), row.order_id),
            (READY, Some(order_id))
        );

        let row = archive(
            "1772420645678-1",
            &fields("store_day.entry", vec![0xff, 0x01]),
        );
        assert_eq!(row.event_type, UNREADABLE);
        assert!(row.payload["error"].as_str().unwrap().contains("protobuf"));
        assert!(row.payload["fields_base64"]["data"].is_string());
        assert_eq!(
            row.occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-03-02T03:04:05.678Z"
        );
        let back = stream_entry(row.stream_id, row.order_id, &row.event_type, &row.payload)
            .expect("an order's entry");
        assert!(matches!(back.kind, EntryKind::Unreadable { .. }));

        let row = archive("2-0", &fields("order.placed", Vec::new()));
        assert_eq!(row.event_type, UNREADABLE);
        let mut missing = fields("store_day.entry", Vec::new());
        missing.remove("event_id");
        let row = archive("3-0", &missing);
        assert_eq!(row.event_type, UNREADABLE);
        // Without a readable envelope the entry's own id says when it was added.
        assert_eq!(row.occurred_at.timestamp_millis(), 3);
    }
}
