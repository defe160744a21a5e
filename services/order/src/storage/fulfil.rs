//! The board's changes to an order: PLACED → ACCEPTED, PLACED or ACCEPTED → READY, and PLACED or
//! ACCEPTED → CANCELED with its refund recorded in three steps (intent, KakaoPay, outcome). Every update is guarded by the status
//! it leaves, and callers hold the order's row lock ([`super::orders::lock`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{OrderId, PrepMinutes};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::OrderError;
use crate::model::{Acceptance, ledger};

/// The `order_payment.status` of a refund KakaoPay refused for good: the money is still
/// charged, the order stays as it was, and the store may try again.
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

/// PLACED → ACCEPTED, promised `minutes` from now.
pub async fn set_accepted(
    conn: &mut PgConnection,
    id: OrderId,
    minutes: PrepMinutes,
) -> Result<Acceptance, OrderError> {
    let at: Option<DateTime<Utc>> = sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'ACCEPTED', accepted_at = now(), \
             promised_at = now() + make_interval(mins => $2), prep_minutes = $2, \
             updated_at = now() \
         WHERE id = $1 AND status = 'PLACED' RETURNING accepted_at AS \"accepted_at!\"",
        id.as_uuid(),
        i32::try_from(minutes.get()).unwrap_or(i32::MAX)
    )
    .fetch_optional(conn)
    .await?;
    let at = at.ok_or_else(|| OrderError::Internal(format!("order {id} was not PLACED")))?;
    Ok(Acceptance {
        at,
        minutes,
        promised_at: minutes.promised_at(at),
    })
}

/// PLACED or ACCEPTED → READY.
pub async fn set_ready(conn: &mut PgConnection, id: OrderId) -> Result<DateTime<Utc>, OrderError> {
    let ready_at: Option<DateTime<Utc>> = sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'READY', ready_at = now(), updated_at = now() \
         WHERE id = $1 AND status IN ('PLACED', 'ACCEPTED') RETURNING ready_at AS \"ready_at!\"",
        id.as_uuid()
    )
    .fetch_optional(conn)
    .await?;
    ready_at.ok_or_else(|| OrderError::Internal(format!("order {id} was not open")))
}

/// Records the decision to refund (the store's, or the customer's when `by_customer`) before
/// KakaoPay is asked, so a crash in between leaves a refund to finish rather than one nobody
/// knows about.
pub async fn request_refund(
    conn: &mut PgConnection,
    id: OrderId,
    reason: &str,
    by_customer: bool,
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
        "UPDATE customer_order SET cancel_reason = $2, canceled_by_customer = $3, \
             updated_at = now() \
         WHERE id = $1 AND status IN ('PLACED', 'ACCEPTED')",
        id.as_uuid(),
        reason,
        by_customer
    )
    .execute(conn)
    .await?
    .rows_affected();
    changed_exactly_one(id, "cancel_reason", rows)
}

/// KakaoPay refused the refund for good: nothing was returned, and the order may be accepted
/// or canceled again.
pub async fn refund_refused(conn: &mut PgConnection, id: OrderId) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE order_payment SET status = $2, updated_at = now() \
         WHERE order_id = $1 AND status = $3",
        id.as_uuid(),
        CANCEL_FAILED,
        ledger::CANCEL_PENDING
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE customer_order SET canceled_by_customer = false WHERE id = $1",
        id.as_uuid()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// PLACED or ACCEPTED → CANCELED, once the refund went through.
pub async fn set_canceled(
    conn: &mut PgConnection,
    id: OrderId,
) -> Result<DateTime<Utc>, OrderError> {
    let canceled_at: Option<DateTime<Utc>> = sqlx::query_scalar!(
        "UPDATE customer_order SET status = 'CANCELED', canceled_at = now(), updated_at = now() \
         WHERE id = $1 AND status IN ('PLACED', 'ACCEPTED') \
         RETURNING canceled_at AS \"canceled_at!\"",
        id.as_uuid()
    )
    .fetch_optional(conn)
    .await?;
    canceled_at.ok_or_else(|| OrderError::Internal(format!("order {id} was not open")))
}

/// Takes up to `limit` open orders whose refund was asked for more than `idle` ago and is
/// still not settled, and stamps them so other replicas leave them alone for `idle`.
pub async fn claim_stale_refunds(
    pool: &PgPool,
    idle: Duration,
    limit: i64,
) -> Result<Vec<OrderId>, OrderError> {
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE order_payment SET updated_at = now() WHERE order_id IN ( \
             SELECT p.order_id FROM order_payment p JOIN customer_order o ON o.id = p.order_id \
             WHERE p.status = $1 AND o.status IN ('PLACED', 'ACCEPTED') \
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
