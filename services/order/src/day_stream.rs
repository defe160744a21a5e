//! The store's day stream as a complete projection of Postgres (DESIGN §4).
//!
//! Every day stream begins with its `opened` entry (the store service writes it with the day).
//! A stream that does not (Redis restarted empty, then new entries arrived; or it is missing) has
//! lost its beginning, and [`DayStreams::ensure`] rebuilds it before a reader replays it: the
//! day's orders from Postgres, in the day's order, under the same event ids the outbox gives
//! them, then whatever reached the stream meanwhile and is not among them. The swap is one Lua
//! script, so entries the relay publishes during a rebuild are neither lost nor doubled (see
//! [`crate::storage::day_stream`]). One reader rebuilds at a time; the others wait for it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::day_stream;
use contracts::events::types;
use domain::{BusinessDayId, OrderStatus, StoreId};
use prost::Message as _;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use uuid::Uuid;

use crate::day::Days;
use crate::error::OrderError;
use crate::events::{self, Event};
use crate::fulfil::events::{
    Cancellation, store_day_accepted, store_day_canceled, store_day_ready,
};
use crate::model::Order;
use crate::storage::day_stream as redis_stream;
use crate::storage::{OrderKeys, days, reads};

/// How long a rebuild may hold the stream before another reader may take over.
const LOCK_TTL: Duration = Duration::from_secs(30);
/// How long a reader waits for another reader's rebuild.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// The statuses whose orders the board shows.
const ON_THE_BOARD: [OrderStatus; 4] = [
    OrderStatus::Placed,
    OrderStatus::Accepted,
    OrderStatus::Ready,
    OrderStatus::Canceled,
];

/// A day stream ready to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    pub stream_key: String,
    /// The stream entry id of its `opened` entry.
    pub opened_entry_id: String,
    /// This call rebuilt it.
    pub rebuilt: bool,
}

/// One entry of a rebuilt stream, with the time it reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Rebuilt {
    pub event: Event,
    pub occurred_at: DateTime<Utc>,
}

pub struct DayStreams {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: OrderKeys,
    /// Tells the store's live day, which this service may not have heard of yet.
    pub days: Days,
}

impl DayStreams {
    /// Makes the day's stream begin with its `opened` entry, rebuilding it when it does not.
    pub async fn ensure(&self, store: StoreId, day: BusinessDayId) -> Result<Ensured, OrderError> {
        let known = {
            let mut conn = self.pool.acquire().await?;
            days::stream_key_of(&mut conn, store, day).await?
        };
        let stream_key = match known {
            Some(key) => key,
            // No order of the day yet: the store knows whether it is its live day.
            None if self.days.live(store).await?.id == Some(day) => {
                day_stream::key(store.as_uuid(), day.as_uuid())
            }
            None => {
                return Err(OrderError::NotFound(
                    "영업일을 찾을 수 없습니다.".to_owned(),
                ));
            }
        };
        let stream = self.keys.0.key(&stream_key);
        let complete = |opened_entry_id: String| Ensured {
            stream_key: stream_key.clone(),
            opened_entry_id,
            rebuilt: false,
        };
        if let Some(id) = redis_stream::opened_entry(&self.redis, &stream).await? {
            return Ok(complete(id));
        }
        let lock = self.keys.day_stream_rebuild_lock(&stream_key);
        let token = Uuid::now_v7().to_string();
        let deadline = tokio::time::Instant::now() + WAIT;
        while !redis_stream::lock(&self.redis, &lock, &token, LOCK_TTL).await? {
            tokio::time::sleep(POLL).await;
            if let Some(id) = redis_stream::opened_entry(&self.redis, &stream).await? {
                return Ok(complete(id));
            }
            if tokio::time::Instant::now() > deadline {
                return Err(OrderError::Internal(format!(
                    "{stream_key}: another rebuild did not finish within {WAIT:?}"
                )));
            }
        }
        let rebuilt = self.rebuild(store, day, &stream_key, &token).await;
        if let Err(e) = redis_stream::unlock(&self.redis, &lock, &token).await {
            tracing::warn!(%stream_key, error = %e, "day stream rebuild lock not released; it expires");
        }
        rebuilt
    }

    async fn rebuild(
        &self,
        store: StoreId,
        day: BusinessDayId,
        stream_key: &str,
        token: &str,
    ) -> Result<Ensured, OrderError> {
        let stream = self.keys.0.key(stream_key);
        // The reader that held the lock before this one may have finished it.
        if let Some(id) = redis_stream::opened_entry(&self.redis, &stream).await? {
            return Ok(Ensured {
                stream_key: stream_key.to_owned(),
                opened_entry_id: id,
                rebuilt: false,
            });
        }
        let orders = reads::day_orders(&self.pool, store, day, &ON_THE_BOARD).await?;
        let entries = rebuilt_entries(store, day, stream_key, &orders, Utc::now());
        let staged = self.keys.day_stream_staging(stream_key, token);
        let staging: Vec<redis_stream::Entry<'_>> = entries
            .iter()
            .map(|entry| redis_stream::Entry {
                event_id: entry.event.id.unwrap_or_else(Uuid::now_v7),
                event_type: entry.event.event_type,
                occurred_at: entry.occurred_at,
                data: &entry.event.data,
            })
            .collect();
        let swapped =
            redis_stream::swap_in(&self.redis, &self.keys.0, &stream, &staged, &staging).await?;
        if swapped.rebuilt {
            tracing::warn!(
                %stream_key,
                orders = orders.len(),
                entries = entries.len(),
                carried_over = swapped.carried_over,
                "day stream had lost its beginning; rebuilt from Postgres"
            );
        }
        Ok(Ensured {
            stream_key: stream_key.to_owned(),
            opened_entry_id: swapped.opened_entry_id,
            rebuilt: swapped.rebuilt,
        })
    }
}

/// The entries of a day stream as Postgres knows the day: `opened`, then each order's
/// placement, acceptance, readiness and cancellation, oldest first.
pub fn rebuilt_entries(
    store: StoreId,
    day: BusinessDayId,
    stream_key: &str,
    orders: &[Order],
    now: DateTime<Utc>,
) -> Vec<Rebuilt> {
    let opened = day_stream::opened_entry(store.as_uuid(), day.as_uuid(), now, true);
    let mut facts = Vec::with_capacity(orders.len() * 2);
    for order in orders {
        if let Some(at) = order.placed_at {
            facts.push(Rebuilt {
                event: events::store_day_placed(order, at, stream_key),
                occurred_at: at,
            });
        }
        if let Some(accepted) = &order.accepted {
            facts.push(Rebuilt {
                event: store_day_accepted(order, accepted, stream_key),
                occurred_at: accepted.at,
            });
        }
        if let Some(at) = order.ready_at {
            facts.push(Rebuilt {
                event: store_day_ready(order, at, stream_key),
                occurred_at: at,
            });
        }
        if let Some(at) = order.canceled_at {
            let cancellation = Cancellation {
                reason: order.cancel_reason.as_deref().unwrap_or_default(),
                refunded: order.refunded,
                canceled_at: at,
                by_customer: order.canceled_by_customer,
            };
            facts.push(Rebuilt {
                event: store_day_canceled(order, &cancellation, stream_key),
                occurred_at: at,
            });
        }
    }
    // Stable: an order's placement stays before its readiness recorded in the same instant.
    facts.sort_by_key(|fact| fact.occurred_at);
    let mut entries = Vec::with_capacity(facts.len() + 1);
    entries.push(Rebuilt {
        event: Event {
            id: Some(day_stream::opened_event_id(day.as_uuid())),
            stream: stream_key.to_owned(),
            event_type: types::STORE_DAY_OPENED,
            data: opened.encode_to_vec(),
        },
        occurred_at: now,
    });
    entries.extend(facts);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use contracts::day_stream::OrderFact;
    use contracts::events::v1 as ev;
    use contracts::time::timestamp as ts;
    use domain::{CustomerId, Money, OrderId, PrepMinutes};

    use crate::model::{Acceptance, Snapshot};

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 3, minute, 0).unwrap()
    }

    fn order(placed: u32, ready: Option<u32>, canceled: Option<u32>) -> Order {
        Order {
            id: OrderId::new(),
            store_id: StoreId::new(),
            day_id: BusinessDayId::new(),
            customer_id: CustomerId::new(),
            bot_user_key: "bot".into(),
            status: OrderStatus::Placed,
            nickname: "빠른 고양이".into(),
            snapshot: Snapshot {
                store_name: "데모 카페".into(),
                cart_id: "1-1".into(),
                lines: Vec::new(),
                total: Money::won(4_500),
            },
            payment: None,
            ledger_status: None,
            charged: Some(Money::won(4_500)),
            refunded: Money::won(canceled.map_or(0, |_| 4_500)),
            failure_reason: None,
            cancel_reason: canceled.map(|_| "재료 소진".to_owned()),
            created_at: at(placed),
            placed_at: Some(at(placed)),
            ready_at: ready.map(at),
            canceled_at: canceled.map(at),
            failed_at: None,
            accepted: None,
            canceled_by_customer: false,
        }
    }

    fn decode(entry: &Rebuilt) -> ev::store_day_entry::Entry {
        ev::StoreDayEntry::decode(entry.event.data.as_slice())
            .unwrap()
            .entry
            .unwrap()
    }

    #[test]
    fn a_rebuilt_stream_opens_then_follows_the_day_in_time_order() {
        let mut first = order(1, Some(7), None);
        first.accepted = Some(Acceptance {
            at: at(3),
            minutes: PrepMinutes::new(10).unwrap(),
            promised_at: at(13),
        });
        let second = order(2, None, Some(4));
        let waiting = order(5, None, None);
        let store = StoreId::new();
        let day = BusinessDayId::new();
        let entries = rebuilt_entries(
            store,
            day,
            "x:store:s:d",
            &[first.clone(), second.clone(), waiting.clone()],
            at(30),
        );

        let opened = &entries[0];
        assert_eq!(opened.event.event_type, types::STORE_DAY_OPENED);
        assert_eq!(
            opened.event.id,
            Some(day_stream::opened_event_id(day.as_uuid()))
        );
        assert!(matches!(decode(opened), ev::store_day_entry::Entry::Opened(o) if o.rebuilt));

        let facts: Vec<(Option<Uuid>, DateTime<Utc>)> = entries[1..]
            .iter()
            .map(|e| (e.event.id, e.occurred_at))
            .collect();
        let id = |o: &Order, fact| Some(day_stream::order_event_id(o.id.as_uuid(), fact));
        assert_eq!(
            facts,
            vec![
                (id(&first, OrderFact::Placed), at(1)),
                (id(&second, OrderFact::Placed), at(2)),
                (id(&first, OrderFact::Accepted), at(3)),
                (id(&second, OrderFact::Canceled), at(4)),
                (id(&waiting, OrderFact::Placed), at(5)),
                (id(&first, OrderFact::Ready), at(7)),
            ]
        );
        assert!(entries[1..].iter().all(
            |e| e.event.event_type == types::STORE_DAY_ENTRY && e.event.stream == "x:store:s:d"
        ));
        match decode(&entries[3]) {
            ev::store_day_entry::Entry::Accepted(a) => {
                assert_eq!(a.prep_minutes, 10);
                assert_eq!(a.promised_at, Some(ts(at(13))));
            }
            other => panic!("expected the acceptance, got {other:?}"),
        }
        match decode(&entries[4]) {
            ev::store_day_entry::Entry::Canceled(c) => {
                assert_eq!(c.reason, "재료 소진");
                assert_eq!(c.refunded_amount, 4_500);
            }
            other => panic!("expected the cancellation, got {other:?}"),
        }
    }

    #[test]
    fn a_day_without_orders_is_just_opened() {
        let entries = rebuilt_entries(
            StoreId::new(),
            BusinessDayId::new(),
            "x:store:s:d",
            &[],
            at(0),
        );
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].event.event_type, types::STORE_DAY_OPENED);
    }
}
