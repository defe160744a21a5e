//! The event bus of DESIGN §4: Postgres is the source of truth, Redis Streams the transport.
//!
//! Producers write events to the `outbox` table in the transaction of the state change they
//! report ([`outbox::enqueue`]); the [`relay::Relay`] publishes them. Consumers
//! ([`consumer::Consumer`]) are at-least-once: handlers make their effects idempotent with
//! [`idempotency::first_time`] in their own transaction, and a message that keeps failing ends in
//! the dead-letter stream with its error; one whose handler knows it can never succeed
//! ([`consumer::permanent`]) ends there at once.

pub mod consumer;
pub mod idempotency;
pub mod outbox;
pub mod relay;

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;

pub use consumer::{Consumer, ConsumerOptions, HandlerError, Permanent, permanent};
pub use relay::{Relay, RelayOptions};

/// Messages that failed too often or for good, kept for an operator with their error and the
/// reason they were given up on.
pub const DEAD_LETTER_STREAM: &str = "x:dead";

/// One stream entry in the envelope every producer writes: `type`, `event_id`, `occurred_at`,
/// `traceparent` and the protobuf message in `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The stream entry id (`<ms>-<seq>`), assigned by Redis.
    pub id: String,
    pub event_type: String,
    pub event_id: String,
    pub occurred_at: String,
    pub traceparent: Option<String>,
    pub data: Vec<u8>,
    /// How many times this entry has been delivered to the group, this delivery included.
    pub deliveries: u64,
}

impl Message {
    /// Reads the envelope of a stream entry; `None` names the first missing field.
    pub fn from_fields(
        id: String,
        fields: &HashMap<String, redis::Value>,
        deliveries: u64,
    ) -> Result<Message, String> {
        let text = |name: &str| -> Result<String, String> {
            match fields.get(name) {
                Some(value) => redis::from_redis_value_ref::<String>(value)
                    .map_err(|e| format!("field {name}: {e}")),
                None => Err(format!("missing field {name}")),
            }
        };
        let data = match fields.get("data") {
            Some(value) => redis::from_redis_value_ref::<Vec<u8>>(value)
                .map_err(|e| format!("field data: {e}"))?,
            None => return Err("missing field data".to_owned()),
        };
        Ok(Message {
            id,
            event_type: text("type")?,
            event_id: text("event_id")?,
            occurred_at: text("occurred_at")?,
            traceparent: text("traceparent").ok().filter(|t| !t.is_empty()),
            data,
            deliveries,
        })
    }
}

/// Exponential backoff with full jitter: a random wait in [0, [`backoff_ceiling`]], so many
/// consumers hitting the same fault do not retry in step.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let millis = backoff_ceiling(attempt, base, cap).as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(0..=millis.max(1)))
}

/// min(cap, base·2^attempt), without jitter: for a single retrier, whose waits an operator
/// should be able to predict.
pub fn backoff_ceiling(attempt: u32, base: Duration, cap: Duration) -> Duration {
    base.saturating_mul(1u32 << attempt.min(16)).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_cap_and_grows() {
        let base = Duration::from_millis(50);
        let cap = Duration::from_secs(2);
        for attempt in 0..40 {
            assert!(backoff(attempt, base, cap) <= cap);
        }
        // The ceiling doubles per attempt, so late attempts can wait longer than the base.
        let late: Duration = (0..200).map(|_| backoff(10, base, cap)).max().unwrap();
        assert!(late > base);
    }

    #[test]
    fn an_envelope_without_data_is_refused() {
        let fields = HashMap::from([
            (
                "type".to_owned(),
                redis::Value::BulkString(b"order.placed".to_vec()),
            ),
            (
                "event_id".to_owned(),
                redis::Value::BulkString(b"e1".to_vec()),
            ),
            (
                "occurred_at".to_owned(),
                redis::Value::BulkString(b"t".to_vec()),
            ),
        ]);
        let error = Message::from_fields("1-0".into(), &fields, 1).unwrap_err();
        assert_eq!(error, "missing field data");
    }
}
