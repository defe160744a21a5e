//! The read model: orders listed from Postgres, and their Redis cache (an order's document and a
//! customer's recent orders, protobuf-encoded).
//!
//! A cache entry is written only if its generation key did not move since the reader looked at
//! it before reading Postgres, and every change of an order moves the generations of the order
//! and of its customer. So a reader that read Postgres before a change can never put the old
//! state back after the change invalidated it.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{BusinessDayId, CustomerId, Money, OrderId, OrderStatus, StoreId};
use redis::Script;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use uuid::Uuid;

use super::OrderKeys;
use super::orders::{OrderRow, select_orders};
use crate::error::OrderError;
use crate::model::{BookedLine, BookedOrder, Order};

/// Outlives every cache entry it guards.
const GENERATION_TTL: Duration = Duration::from_secs(24 * 3600);

impl OrderKeys {
    /// One order as the chatbot shows it (encoded `Order`).
    pub fn order_doc(&self, order: OrderId) -> String {
        self.0.key(&format!("order:{order}"))
    }

    /// The customer's most recent orders (encoded `OrderList`).
    pub fn customer_orders(&self, customer: CustomerId) -> String {
        self.0.key(&format!("orders:customer:{customer}"))
    }

    /// A customer by bot user key (JSON).
    pub fn customer(&self, bot_user_key: &str) -> String {
        self.0.key(&format!("customer:key:{bot_user_key}"))
    }

    /// Moves on every change of what `doc` caches.
    pub fn generation(doc: &str) -> String {
        format!("{doc}:gen")
    }
}

// KEYS: generation, document. ARGV: the generation read before Postgres ('' for none), value,
// ttl ms. Writes the document only if nothing changed meanwhile.
static FILL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local now = redis.call('GET', KEYS[1]) or ''
        if now ~= ARGV[1] then
            return 0
        end
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        return 1
        ",
    )
});

// KEYS: pairs of (generation, document). ARGV: generation ttl ms.
static INVALIDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        for i = 1, #KEYS, 2 do
            redis.call('INCR', KEYS[i])
            redis.call('PEXPIRE', KEYS[i], ARGV[1])
            redis.call('DEL', KEYS[i + 1])
        end
        return 1
        ",
    )
});

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Clone)]
pub struct Cache {
    pub redis: ConnectionManager,
    pub keys: OrderKeys,
    pub ttl: Duration,
}

/// What the cache holds under a document key, with the generation to fill it under on a miss.
pub struct Lookup {
    pub value: Option<Vec<u8>>,
    pub generation: String,
}

impl Cache {
    pub async fn get(&self, doc: &str) -> Result<Lookup, OrderError> {
        let mut conn = self.redis.clone();
        let (generation, value): (Option<String>, Option<Vec<u8>>) = redis::cmd("MGET")
            .arg(OrderKeys::generation(doc))
            .arg(doc)
            .query_async(&mut conn)
            .await?;
        Ok(Lookup {
            value,
            generation: generation.unwrap_or_default(),
        })
    }

    /// Caches `value` unless the document changed since `generation` was read.
    pub async fn fill(&self, doc: &str, generation: &str, value: &[u8]) -> Result<(), OrderError> {
        let mut conn = self.redis.clone();
        let _: i64 = FILL
            .key(OrderKeys::generation(doc))
            .key(doc)
            .arg(generation)
            .arg(value)
            .arg(millis(self.ttl))
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Forgets the order's document and its customer's list.
    pub async fn invalidate(&self, order: OrderId, customer: CustomerId) -> Result<(), OrderError> {
        self.forget_all(&[
            self.keys.order_doc(order),
            self.keys.customer_orders(customer),
        ])
        .await
    }

    /// Forgets one document.
    pub async fn forget(&self, doc: &str) -> Result<(), OrderError> {
        self.forget_all(&[doc.to_owned()]).await
    }

    async fn forget_all(&self, docs: &[String]) -> Result<(), OrderError> {
        let mut conn = self.redis.clone();
        let mut invocation = INVALIDATE.prepare_invoke();
        for doc in docs {
            invocation.key(OrderKeys::generation(doc)).key(doc);
        }
        let _: i64 = invocation
            .arg(millis(GENERATION_TTL))
            .invoke_async(&mut conn)
            .await?;
        Ok(())
    }
}

fn orders(rows: Vec<OrderRow>) -> Result<Vec<Order>, OrderError> {
    rows.into_iter().map(Order::try_from).collect()
}

/// The customer's orders, most recent first.
pub async fn customer_orders(
    pool: &PgPool,
    customer: CustomerId,
    limit: i64,
) -> Result<Vec<Order>, OrderError> {
    let rows = select_orders!(
        "WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2",
        customer.as_uuid(),
        limit
    )
    .fetch_all(pool)
    .await?;
    orders(rows)
}

/// The orders of one of the store's days with one of `statuses` (any when empty), in the order
/// they were placed.
pub async fn day_orders(
    pool: &PgPool,
    store: StoreId,
    day: BusinessDayId,
    statuses: &[OrderStatus],
) -> Result<Vec<Order>, OrderError> {
    let codes: Vec<&str> = statuses.iter().map(|s| s.code()).collect();
    let rows = select_orders!(
        "WHERE o.store_id = $1 AND o.day_business_id = $2 \
         AND (cardinality($3::text[]) = 0 OR o.status = ANY($3)) \
         ORDER BY o.placed_at NULLS LAST, o.created_at, o.id",
        store.as_uuid(),
        day.as_uuid(),
        &codes as _
    )
    .fetch_all(pool)
    .await?;
    orders(rows)
}

/// Up to `limit` paid orders (placed, accepted, ready or canceled) of one of the store's days, in
/// the order they were paid, after the order `after` of that day when given.
pub async fn paid_orders_page(
    pool: &PgPool,
    store: StoreId,
    day: BusinessDayId,
    after: Option<OrderId>,
    limit: i64,
) -> Result<Vec<Order>, OrderError> {
    let rows = select_orders!(
        "WHERE o.store_id = $1 AND o.day_business_id = $2 AND o.placed_at IS NOT NULL \
         AND o.status IN ('PLACED', 'ACCEPTED', 'READY', 'CANCELED') \
         AND ($3::uuid IS NULL OR (o.placed_at, o.id) > \
             (SELECT a.placed_at, a.id FROM customer_order a WHERE a.id = $3)) \
         ORDER BY o.placed_at, o.id LIMIT $4",
        store.as_uuid(),
        day.as_uuid(),
        after.map(OrderId::as_uuid),
        limit
    )
    .fetch_all(pool)
    .await?;
    orders(rows)
}

/// Up to `limit` orders of one of the store's days, whatever their status, by id after the order
/// `after` when given; each with its tid and lines, from the recorded columns.
pub async fn booked_orders_page(
    pool: &PgPool,
    store: StoreId,
    day: BusinessDayId,
    after: Option<OrderId>,
    limit: i64,
) -> Result<Vec<BookedOrder>, OrderError> {
    let rows = sqlx::query!(
        "SELECT o.id, o.status, o.total, COALESCE(p.tid, o.payment_tid) AS tid, o.placed_at \
         FROM customer_order o LEFT JOIN order_payment p ON p.order_id = o.id \
         WHERE o.store_id = $1 AND o.day_business_id = $2 AND ($3::uuid IS NULL OR o.id > $3) \
         ORDER BY o.id LIMIT $4",
        store.as_uuid(),
        day.as_uuid(),
        after.map(OrderId::as_uuid),
        limit
    )
    .fetch_all(pool)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut lines = sqlx::query!(
        "SELECT id, order_id, item_id, name, quantity, line_total FROM order_item \
         WHERE order_id = ANY($1) ORDER BY order_id, position, id",
        &ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .peekable();
    rows.into_iter()
        .map(|r| {
            let status: OrderStatus = r.status.parse().map_err(|e: domain::UnknownCode| {
                OrderError::Internal(format!("order {}: unreadable status: {e}", r.id))
            })?;
            let mut booked = Vec::new();
            while let Some(line) = lines.next_if(|l| l.order_id == r.id) {
                booked.push(BookedLine {
                    id: line.id,
                    item_id: line.item_id.into(),
                    name: line.name,
                    quantity: u32::try_from(line.quantity).unwrap_or_default(),
                    line_total: Money::won(line.line_total),
                });
            }
            Ok(BookedOrder {
                id: r.id.into(),
                status,
                total: Money::won(r.total),
                tid: r.tid.filter(|t| !t.is_empty()),
                placed_at: r.placed_at,
                lines: booked,
            })
        })
        .collect()
}

/// Accepted orders of the store not ready yet that come before this one: accepted earlier (or
/// at all, when this one is not accepted yet).
pub async fn ahead(
    pool: &PgPool,
    store: StoreId,
    order: OrderId,
    accepted_at: Option<DateTime<Utc>>,
) -> Result<u32, OrderError> {
    let count: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM customer_order \
         WHERE store_id = $1 AND status = 'ACCEPTED' AND id <> $2 \
         AND ($3::timestamptz IS NULL OR (accepted_at, id) < ($3, $2))",
        store.as_uuid(),
        order.as_uuid(),
        accepted_at
    )
    .fetch_one(pool)
    .await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}
