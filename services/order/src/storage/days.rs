//! `order_day`: the order service's own row per business day. Approvals and cancels share-lock
//! it; sealing (the store's close) takes it exclusively, so the two serialise on it.

use domain::day::Summary;
use domain::{BusinessDayId, StoreId};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::OrderError;

/// Writes the day's row unless it is there: the store's day ids reach this service only with
/// an approval or a seal, which are what make the row.
pub async fn ensure(
    conn: &mut PgConnection,
    store: StoreId,
    day: BusinessDayId,
) -> Result<(), OrderError> {
    let stream_key = contracts::day_stream::key(store.as_uuid(), day.as_uuid());
    sqlx::query!(
        "INSERT INTO order_day (id, store_id, stream_key) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
        day.as_uuid(),
        store.as_uuid(),
        stream_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the day is sealed, share-locked for this transaction: it cannot be sealed before the
/// commit, and a seal afterwards sees what this transaction wrote. `None` when the day is not
/// the store's.
pub async fn lock_shared(
    conn: &mut PgConnection,
    store: StoreId,
    day: BusinessDayId,
) -> Result<Option<bool>, OrderError> {
    Ok(sqlx::query_scalar!(
        "SELECT sealed_at IS NOT NULL AS \"sealed!\" FROM order_day \
         WHERE id = $1 AND store_id = $2 FOR SHARE",
        day.as_uuid(),
        store.as_uuid()
    )
    .fetch_optional(conn)
    .await?)
}

/// Locks the day for sealing; `false` when the day is not the store's.
pub async fn lock(
    conn: &mut PgConnection,
    store: StoreId,
    day: BusinessDayId,
) -> Result<bool, OrderError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM order_day WHERE id = $1 AND store_id = $2 FOR UPDATE",
        day.as_uuid(),
        store.as_uuid()
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Seals the day the caller holds locked.
pub async fn seal(conn: &mut PgConnection, day: BusinessDayId) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE order_day SET sealed_at = COALESCE(sealed_at, now()) WHERE id = $1",
        day.as_uuid()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the seal off the store's day, if it has one.
pub async fn unseal(
    conn: &mut PgConnection,
    store: StoreId,
    day: BusinessDayId,
) -> Result<(), OrderError> {
    sqlx::query!(
        "UPDATE order_day SET sealed_at = NULL \
         WHERE id = $1 AND store_id = $2 AND sealed_at IS NOT NULL",
        day.as_uuid(),
        store.as_uuid()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The day's stream key; `None` when the day is not the store's or not known here yet.
pub async fn stream_key_of(
    conn: &mut PgConnection,
    store: StoreId,
    day: BusinessDayId,
) -> Result<Option<String>, OrderError> {
    Ok(sqlx::query_scalar!(
        "SELECT stream_key FROM order_day WHERE id = $1 AND store_id = $2",
        day.as_uuid(),
        store.as_uuid()
    )
    .fetch_optional(conn)
    .await?)
}

/// The stream key of an order's day: the one kept with the day, else the one the store
/// service gives every day.
pub async fn stream_key(
    conn: &mut PgConnection,
    store: StoreId,
    day: BusinessDayId,
) -> Result<String, OrderError> {
    Ok(stream_key_of(conn, store, day)
        .await?
        .unwrap_or_else(|| contracts::day_stream::key(store.as_uuid(), day.as_uuid())))
}

/// Orders of the day that are neither ready nor canceled nor failed, oldest first: what keeps
/// the day from closing.
pub async fn open_orders(
    conn: &mut PgConnection,
    day: BusinessDayId,
) -> Result<Vec<Uuid>, OrderError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM customer_order WHERE day_business_id = $1 \
         AND status IN ('APPROVING', 'PLACED', 'ACCEPTED') ORDER BY created_at, id LIMIT 100",
        day.as_uuid()
    )
    .fetch_all(conn)
    .await?)
}

/// The day's sums: see [`Summary`] for what counts where.
pub async fn summarize(conn: &mut PgConnection, day: BusinessDayId) -> Result<Summary, OrderError> {
    Ok(sqlx::query_as!(
        Summary,
        "SELECT \
             count(*) FILTER (WHERE status IN ('PLACED', 'ACCEPTED', 'READY', 'CANCELED')) \
                 AS \"order_count!\", \
             count(*) FILTER (WHERE status IN ('PLACED', 'ACCEPTED')) AS \"placed_count!\", \
             count(*) FILTER (WHERE status = 'READY') AS \"ready_count!\", \
             count(*) FILTER (WHERE status = 'CANCELED') AS \"canceled_count!\", \
             count(*) FILTER (WHERE status = 'FAILED') AS \"failed_count!\", \
             COALESCE(sum(total) FILTER (WHERE status IN ('PLACED', 'ACCEPTED', 'READY', 'CANCELED')), 0)::bigint \
                 AS \"gross!\", \
             COALESCE(sum(total) FILTER (WHERE status = 'CANCELED'), 0)::bigint AS \"canceled!\", \
             COALESCE(sum(total) FILTER (WHERE status IN ('PLACED', 'ACCEPTED', 'READY')), 0)::bigint \
                 AS \"net!\" \
         FROM customer_order WHERE day_business_id = $1",
        day.as_uuid()
    )
    .fetch_one(conn)
    .await?)
}
