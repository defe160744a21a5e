//! The board's changes to an order: PLACED → READY, and PLACED → CANCELED with its refund
//! recorded in three steps (intent, KakaoPay, outcome). Every update is guarded by the status
//! it leaves, and callers hold the order's row lock ([`super::orders::lock`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::OrderId;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::OrderError;
use crate::orders::ledger;

/// The `order_payment.status` of a refund KakaoPay refused for good: the money is still
/// charged, the order stays PLACED, and the store may try again.
pub const CANCEL_FAILED: &str = "CANCEL_FAILED";

fn changed_exactly_one(id: OrderId, what: &str, rows: u64) -> Result<(), OrderError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(OrderError::Internal(format!(
            "order {id}: {what} changed {rows} rows"
        )))
    }
}

/// PLACED → READY.
pub async fn set_ready(conn: &mut PgConnection, id: OrderId) -> Result<DateTime<Utc>, OrderError> {
    let ready_at: Option<DateTime<Utc>> = sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'READY', ready_at = now(), updated_at = now() \
         WHERE id = $1 AND status = 'PLACED' RETURNING ready_at AS \"ready_at!\"",
        id.as_uuid()
    )
    .fetch_optional(conn)
    .await?;
    ready_at.ok_or_else(|| OrderError::Internal(format!("order {id} was not PLACED")))
}

/// Records the store's decision to refund before KakaoPay is asked, so a crash in between
/// leaves a refund to finish rather than one nobody knows about.
pub async fn request_refund(
    conn: &mut PgConnection,
    id: OrderId,
    reason: &str,
) -> Result<(), OrderError> {
    let rows = sqlx::query!(
        "UPDATE order_payment SET status = $2, updated_at = now() \
         WHERE order_id = $1 AND status IN ($3, $4)",
        id.as_uuid(),
        ledger::CANCEL_PENDING,
        ledger::APPROVED,
        CANCEL_FAILED
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    changed_exactly_one(id, "order_payment → CANCEL_PENDING", rows)?;
    let rows = sqlx::query!(
        "UPDATE customer_order SET cancel_reason = $2, updated_at = now() \
         WHERE id = $1 AND status = 'PLACED'",
        id.as_uuid(),
        reason
    )
    .execute(conn)
    .await?
    .rows_affected();
    changed_exactly_one(id, "cancel_reason", rows)
}

/// KakaoPay refused the refund for good: nothing was returned.
pub async fn refund_refused(conn: &mut PgConnection, id: OrderId) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE order_payment SET status = $2, updated_at = now() \
         WHERE order_id = $1 AND status = $3",
        id.as_uuid(),
        CANCEL_FAILED,
        ledger::CANCEL_PENDING
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// PLACED → CANCELED, once the refund went through.
pub async fn set_canceled(
    conn: &mut PgConnection,
    id: OrderId,
) -> Result<DateTime<Utc>, OrderError> {
    let canceled_at: Option<DateTime<Utc>> = sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'CANCELED', canceled_at = now(), updated_at = now() \
         WHERE id = $1 AND status = 'PLACED' RETURNING canceled_at AS \"canceled_at!\"",
        id.as_uuid()
    )
    .fetch_optional(conn)
    .await?;
    canceled_at.ok_or_else(|| OrderError::Internal(format!("order {id} was not PLACED")))
}

/// Takes up to `limit` placed orders whose refund was asked for more than `idle` ago and is
/// still not settled, and stamps them so other replicas leave them alone for `idle`.
pub async fn claim_stale_refunds(
    pool: &PgPool,
    idle: Duration,
    limit: i64,
) -> Result<Vec<OrderId>, OrderError> {
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE order_payment SET updated_at = now() WHERE order_id IN ( \
             SELECT p.order_id FROM order_payment p JOIN customer_order o ON o.id = p.order_id \
             WHERE p.status = $1 AND o.status = 'PLACED' \
             AND p.updated_at < now() - make_interval(secs => $2) \
             ORDER BY p.updated_at LIMIT $3 FOR UPDATE OF p SKIP LOCKED) \
         RETURNING order_id",
        ledger::CANCEL_PENDING,
        idle.as_secs_f64(),
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(OrderId::from).collect())
}
