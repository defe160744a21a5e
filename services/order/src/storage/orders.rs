//! `customer_order` with its line snapshots (`order_item`, `order_item_option`) and its payment
//! row (`order_payment`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{BusinessDayId, Money, OrderId, OrderStatus, PrepMinutes, StoreId};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::OrderError;
use crate::model::{Acceptance, Order, PaymentRef, Snapshot, ledger};

/// `sqlx::query_as!` of [`OrderRow`]s: every order column with the customer's bot key and the
/// payment row, then `$filter` (`WHERE …`) with its arguments.
macro_rules! select_orders {
    ($filter:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::storage::orders::OrderRow,
            "SELECT o.id, o.store_id, o.day_business_id, o.customer_id, c.bot_user_key, \
                 o.status, o.nickname, o.cart_snapshot, o.payment_session, o.failure_reason, \
                 o.cancel_reason, o.created_at, o.placed_at, o.ready_at, o.canceled_at, \
                 o.failed_at, o.accepted_at, o.promised_at, o.prep_minutes, \
                 o.canceled_by_customer, \
                 p.status AS \"ledger_status?\", p.amount AS \"charged?\", \
                 COALESCE(p.canceled_amount, 0) AS \"refunded!\" \
             FROM customer_order o JOIN customer c ON c.id = o.customer_id \
             LEFT JOIN order_payment p ON p.order_id = o.id "
                + $filter
            $(, $arg)*
        )
    };
}
pub(crate) use select_orders;

pub(crate) struct OrderRow {
    pub(super) id: Uuid,
    pub(super) store_id: Uuid,
    pub(super) day_business_id: Uuid,
    pub(super) customer_id: Uuid,
    pub(super) bot_user_key: String,
    pub(super) status: String,
    pub(super) nickname: String,
    pub(super) cart_snapshot: serde_json::Value,
    pub(super) payment_session: Option<serde_json::Value>,
    pub(super) failure_reason: Option<String>,
    pub(super) cancel_reason: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) placed_at: Option<DateTime<Utc>>,
    pub(super) ready_at: Option<DateTime<Utc>>,
    pub(super) canceled_at: Option<DateTime<Utc>>,
    pub(super) failed_at: Option<DateTime<Utc>>,
    pub(super) accepted_at: Option<DateTime<Utc>>,
    pub(super) promised_at: Option<DateTime<Utc>>,
    pub(super) prep_minutes: Option<i32>,
    pub(super) canceled_by_customer: bool,
    pub(super) ledger_status: Option<String>,
    pub(super) charged: Option<i64>,
    pub(super) refunded: i64,
}

impl TryFrom<OrderRow> for Order {
    type Error = OrderError;

    fn try_from(row: OrderRow) -> Result<Order, OrderError> {
        let broken = |what: &str, e: &dyn std::fmt::Display| {
            OrderError::Internal(format!("order {}: unreadable {what}: {e}", row.id))
        };
        let snapshot: Snapshot = serde_json::from_value(row.cart_snapshot.clone())
            .map_err(|e| broken("cart_snapshot", &e))?;
        let payment: Option<PaymentRef> = row
            .payment_session
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| broken("payment_session", &e))?;
        let status: OrderStatus = row.status.parse().map_err(|e| broken("status", &e))?;
        let accepted = match (row.accepted_at, row.promised_at, row.prep_minutes) {
            (Some(at), Some(promised_at), Some(minutes)) => Some(Acceptance {
                at,
                promised_at,
                minutes: u32::try_from(minutes)
                    .ok()
                    .and_then(|m| PrepMinutes::new(m).ok())
                    .ok_or_else(|| broken("prep_minutes", &minutes))?,
            }),
            _ => None,
        };
        Ok(Order {
            id: row.id.into(),
            store_id: row.store_id.into(),
            day_id: row.day_business_id.into(),
            customer_id: row.customer_id.into(),
            bot_user_key: row.bot_user_key,
            status,
            nickname: row.nickname,
            snapshot,
            payment,
            ledger_status: row.ledger_status,
            charged: row.charged.map(Money::won),
            refunded: Money::won(row.refunded),
            failure_reason: row.failure_reason,
            cancel_reason: row.cancel_reason,
            created_at: row.created_at,
            placed_at: row.placed_at,
            accepted,
            ready_at: row.ready_at,
            canceled_at: row.canceled_at,
            failed_at: row.failed_at,
            canceled_by_customer: row.canceled_by_customer,
        })
    }
}

pub async fn find(pool: &PgPool, id: OrderId) -> Result<Option<Order>, OrderError> {
    let row = select_orders!("WHERE o.id = $1", id.as_uuid())
        .fetch_optional(pool)
        .await?;
    row.map(Order::try_from).transpose()
}

/// The order recorded for a KakaoPay payment, by the `pg_token` its approval URL carries.
pub async fn find_by_pg_token(pool: &PgPool, pg_token: &str) -> Result<Option<Order>, OrderError> {
    let row = select_orders!(
        "WHERE o.payment_session IS NOT NULL AND o.payment_session ->> 'pg_token' = $1",
        pg_token
    )
    .fetch_optional(pool)
    .await?;
    row.map(Order::try_from).transpose()
}

/// The order, locked for this transaction: its status and payment row only change under it.
pub async fn lock(conn: &mut PgConnection, id: OrderId) -> Result<Option<Order>, OrderError> {
    // Lock first, read after: a statement that waited for the lock re-checks only the locked
    // order row, so a payment row joined in the same statement could be the one from before the
    // wait. The next statement reads everything as committed once the lock is ours.
    let locked: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM customer_order WHERE id = $1 FOR UPDATE",
        id.as_uuid()
    )
    .fetch_optional(&mut *conn)
    .await?;
    if locked.is_none() {
        return Ok(None);
    }
    let row = select_orders!("WHERE o.id = $1", id.as_uuid())
        .fetch_optional(conn)
        .await?;
    row.map(Order::try_from).transpose()
}

/// The nicknames of the day's orders that still hold theirs.
pub async fn held_nicknames(
    pool: &PgPool,
    store: StoreId,
    day: BusinessDayId,
) -> Result<Vec<String>, OrderError> {
    let holding: Vec<&str> = OrderStatus::ALL
        .into_iter()
        .filter(|s| s.holds_nickname())
        .map(OrderStatus::code)
        .collect();
    Ok(sqlx::query_scalar!(
        "SELECT nickname FROM customer_order \
         WHERE store_id = $1 AND day_business_id = $2 AND status = ANY($3)",
        store.as_uuid(),
        day.as_uuid(),
        &holding as _
    )
    .fetch_all(pool)
    .await?)
}

/// Inserts the APPROVING order with its line snapshots; `false` when an order with this id or
/// this KakaoPay tid already exists (nothing is written then).
pub async fn insert_approving(conn: &mut PgConnection, order: &Order) -> Result<bool, OrderError> {
    let encode = |what: &str, e: serde_json::Error| {
        OrderError::Internal(format!("encoding the {what} of {}: {e}", order.id))
    };
    let snapshot = serde_json::to_value(&order.snapshot).map_err(|e| encode("snapshot", e))?;
    let payment = order
        .payment
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| encode("payment", e))?;
    let inserted = sqlx::query!(
        "INSERT INTO customer_order (id, store_id, day_business_id, customer_id, status, nickname, \
             total, cart_id, cart_snapshot, payment_tid, payment_session, approving_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now()) ON CONFLICT DO NOTHING",
        order.id.as_uuid(),
        order.store_id.as_uuid(),
        order.day_id.as_uuid(),
        order.customer_id.as_uuid(),
        OrderStatus::Approving.code(),
        &order.nickname,
        order.snapshot.total.as_won(),
        &order.snapshot.cart_id,
        snapshot,
        order.payment.as_ref().map(|p| p.tid.as_str()),
        payment
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        return Ok(false);
    }
    for (position, line) in order.snapshot.lines.iter().enumerate() {
        let item_id = Uuid::now_v7();
        let line = &line.line;
        sqlx::query!(
            "INSERT INTO order_item (id, order_id, item_id, name, unit_price, quantity, \
                 line_total, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            item_id,
            order.id.as_uuid(),
            line.item_id.as_uuid(),
            &line.item_name,
            line.unit_price.as_won(),
            i32::try_from(line.quantity).unwrap_or(i32::MAX),
            line.line_total.as_won(),
            i32::try_from(position).unwrap_or(i32::MAX)
        )
        .execute(&mut *conn)
        .await?;
        for (position, option) in line.options.iter().enumerate() {
            sqlx::query!(
                "INSERT INTO order_item_option (id, order_item_id, option_id, selection_id, \
                     selection_name, option_name, price, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                Uuid::now_v7(),
                item_id,
                option.option_id.as_uuid(),
                option.selection_id.as_uuid(),
                &option.selection_name,
                &option.option_name,
                option.price.as_won(),
                i32::try_from(position).unwrap_or(i32::MAX)
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(true)
}

/// APPROVING → PLACED; the caller checked the transition under [`lock`].
pub async fn set_placed(conn: &mut PgConnection, id: OrderId) -> Result<DateTime<Utc>, OrderError> {
    Ok(sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'PLACED', placed_at = now(), updated_at = now() \
         WHERE id = $1 RETURNING placed_at AS \"placed_at!\"",
        id.as_uuid()
    )
    .fetch_one(conn)
    .await?)
}

/// APPROVING → FAILED; the caller checked the transition under [`lock`].
pub async fn set_failed(
    conn: &mut PgConnection,
    id: OrderId,
    reason: &str,
) -> Result<DateTime<Utc>, OrderError> {
    Ok(sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'FAILED', failed_at = now(), failure_reason = $2, \
             updated_at = now() WHERE id = $1 RETURNING failed_at AS \"failed_at!\"",
        id.as_uuid(),
        reason
    )
    .fetch_one(conn)
    .await?)
}

/// An `order_payment` row as first written.
#[derive(Debug, Clone)]
pub struct LedgerEntry<'a> {
    pub order_id: OrderId,
    pub tid: &'a str,
    pub cid: &'a str,
    pub amount: Money,
    pub status: &'a str,
    pub aid: &'a str,
    pub method: &'a str,
    pub approved_at: Option<DateTime<Utc>>,
    pub raw: &'a str,
}

/// KakaoPay's answer as a JSON value; a body that is not JSON is kept as a string.
fn raw_json(raw: &str) -> Option<serde_json::Value> {
    if raw.is_empty() {
        return None;
    }
    Some(serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned())))
}

/// Writes the payment row unless the order already has one.
pub async fn insert_ledger(
    conn: &mut PgConnection,
    entry: &LedgerEntry<'_>,
) -> Result<(), OrderError> {
    let non_empty = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    sqlx::query!(
        "INSERT INTO order_payment (id, order_id, tid, cid, amount, status, aid, \
             payment_method_type, approved_at, raw) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (order_id) DO NOTHING",
        Uuid::now_v7(),
        entry.order_id.as_uuid(),
        entry.tid,
        entry.cid,
        entry.amount.as_won(),
        entry.status,
        non_empty(entry.aid),
        non_empty(entry.method),
        entry.approved_at,
        raw_json(entry.raw)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The compensating refund went through.
pub async fn ledger_canceled(
    conn: &mut PgConnection,
    order_id: OrderId,
    canceled: Money,
    canceled_at: Option<DateTime<Utc>>,
    raw: &str,
) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE order_payment SET status = $5, canceled_amount = $2, \
             canceled_at = COALESCE($3, now()), raw = COALESCE($4, raw), updated_at = now() \
         WHERE order_id = $1",
        order_id.as_uuid(),
        canceled.as_won(),
        canceled_at,
        raw_json(raw),
        ledger::CANCELED
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes up to `limit` orders APPROVING for longer than `idle` since their last change and
/// stamps them, so another sweeper (a replica, or the next round) leaves them alone for `idle`.
pub async fn claim_stale_approving(
    pool: &PgPool,
    idle: Duration,
    limit: i64,
) -> Result<Vec<OrderId>, OrderError> {
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE customer_order SET updated_at = now() WHERE id IN ( \
             SELECT id FROM customer_order WHERE status = 'APPROVING' \
             AND updated_at < now() - make_interval(secs => $1) \
             ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
        idle.as_secs_f64(),
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(OrderId::from).collect())
}
