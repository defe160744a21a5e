//! Orders written as this service records them, for the tests of the services that read them
//! (accounting's books, the gateway's reports, the store's close) where the customer's way to
//! an order is not what they test: any status at any time, with the store-day entries the
//! board saw, in one transaction. Only with the `test-support` feature; the service never
//! calls it.

use chrono::{DateTime, Utc};
use contracts::events::types::STORE_DAY_ENTRY;
use contracts::events::v1::StoreDayEntry;
use prost::Message;
use sqlx::PgPool;
use uuid::Uuid;

/// An order with everything the order service keeps of it. What is `None` stays unset
/// (`created_at`: now).
#[derive(Debug, Clone, Default)]
pub struct Order {
    pub id: Uuid,
    pub store_id: Uuid,
    pub day_business_id: Uuid,
    /// `APPROVING`, `PLACED`, `READY`, `CANCELED` or `FAILED`; the time of each step it reached
    /// is set below.
    pub status: &'static str,
    pub nickname: String,
    /// The customer's own nickname (the one the chatbot asked for), apart from the order's.
    pub customer_nickname: Option<String>,
    pub total: i64,
    pub tid: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub approving_at: Option<DateTime<Utc>>,
    pub placed_at: Option<DateTime<Utc>>,
    pub ready_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub failure_reason: Option<String>,
    pub lines: Vec<Line>,
    pub payment: Option<Payment>,
}

#[derive(Debug, Clone, Default)]
pub struct Line {
    pub item_id: Uuid,
    pub name: String,
    /// The item's price with its options', for one.
    pub unit_price: i64,
    pub quantity: i32,
    pub line_total: i64,
    /// `(option name, price)`, each chosen under the selection `옵션`.
    pub options: Vec<(String, i64)>,
}

/// The KakaoPay payment of an order (cid `TC0ONETIME`).
#[derive(Debug, Clone, Default)]
pub struct Payment {
    pub tid: String,
    pub amount: i64,
    /// `APPROVED`, `CANCELED`, …
    pub status: &'static str,
    pub aid: Option<String>,
    pub method: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub canceled_amount: i64,
    pub raw: Option<serde_json::Value>,
}

/// Writes `order` for a customer of its own (bot user key `bot-<customer id>`), and `entries`
/// to the day stream `stream_key` through the outbox, in one transaction.
pub async fn insert(
    pool: &PgPool,
    order: &Order,
    stream_key: &str,
    entries: &[StoreDayEntry],
) -> Result<(), sqlx::Error> {
    let customer = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO customer (id, bot_user_key, nickname) VALUES ($1, $2, $3)")
        .bind(customer)
        .bind(format!("bot-{customer}"))
        .bind(&order.customer_nickname)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO customer_order (id, store_id, day_business_id, customer_id, status, \
             nickname, total, cart_id, cart_snapshot, payment_tid, created_at, approving_at, \
             placed_at, ready_at, canceled_at, failed_at, cancel_reason, failure_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '1700000000000-1', '{}', $8, \
             COALESCE($9, now()), $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(order.id)
    .bind(order.store_id)
    .bind(order.day_business_id)
    .bind(customer)
    .bind(order.status)
    .bind(&order.nickname)
    .bind(order.total)
    .bind(&order.tid)
    .bind(order.created_at)
    .bind(order.approving_at)
    .bind(order.placed_at)
    .bind(order.ready_at)
    .bind(order.canceled_at)
    .bind(order.failed_at)
    .bind(&order.cancel_reason)
    .bind(&order.failure_reason)
    .execute(&mut *tx)
    .await?;
    for (position, line) in order.lines.iter().enumerate() {
        let line_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO order_item (id, order_id, item_id, name, unit_price, quantity, \
                 line_total, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(line_id)
        .bind(order.id)
        .bind(line.item_id)
        .bind(&line.name)
        .bind(line.unit_price)
        .bind(line.quantity)
        .bind(line.line_total)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
        for (name, price) in &line.options {
            sqlx::query(
                "INSERT INTO order_item_option (id, order_item_id, option_id, selection_name, \
                     option_name, price) VALUES ($1, $2, $3, '옵션', $4, $5)",
            )
            .bind(Uuid::now_v7())
            .bind(line_id)
            .bind(Uuid::now_v7())
            .bind(name)
            .bind(price)
            .execute(&mut *tx)
            .await?;
        }
    }
    if let Some(p) = &order.payment {
        sqlx::query(
            "INSERT INTO order_payment (id, order_id, tid, cid, amount, status, aid, \
                 payment_method_type, approved_at, canceled_at, canceled_amount, raw) \
             VALUES ($1, $2, $3, 'TC0ONETIME', $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(Uuid::now_v7())
        .bind(order.id)
        .bind(&p.tid)
        .bind(p.amount)
        .bind(p.status)
        .bind(&p.aid)
        .bind(&p.method)
        .bind(p.approved_at)
        .bind(p.canceled_at)
        .bind(p.canceled_amount)
        .bind(&p.raw)
        .execute(&mut *tx)
        .await?;
    }
    enqueue(&mut tx, stream_key, entries).await?;
    tx.commit().await
}

/// The board's 완료 of a placed order: READY now, with `entries` to the day stream
/// `stream_key`, in one transaction. An order that is not PLACED is left as it is.
pub async fn mark_ready(
    pool: &PgPool,
    order_id: Uuid,
    stream_key: &str,
    entries: &[StoreDayEntry],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE customer_order SET status = 'READY', ready_at = now() \
         WHERE id = $1 AND status = 'PLACED'",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    enqueue(&mut tx, stream_key, entries).await?;
    tx.commit().await
}

async fn enqueue(
    tx: &mut sqlx::PgConnection,
    stream_key: &str,
    entries: &[StoreDayEntry],
) -> Result<(), sqlx::Error> {
    for entry in entries {
        platform::bus::outbox::enqueue(tx, stream_key, STORE_DAY_ENTRY, &entry.encode_to_vec())
            .await?;
    }
    Ok(())
}

/// An order's status (`PLACED`, `ACCEPTED`, …) and nickname as recorded.
pub async fn status(pool: &PgPool, order_id: Uuid) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT status, nickname FROM customer_order WHERE id = $1")
        .bind(order_id)
        .fetch_one(pool)
        .await
}

/// How many customers the service knows.
pub async fn customer_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM customer")
        .fetch_one(pool)
        .await
}
