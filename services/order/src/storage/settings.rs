//! `order_accept_setting`: how each store accepts its orders. A store without a row has the
//! defaults.

use domain::{AcceptSettings, PrepMinutes, StoreId};
use sqlx::PgConnection;

use crate::error::OrderError;

pub async fn get(conn: &mut PgConnection, store: StoreId) -> Result<AcceptSettings, OrderError> {
    let row = sqlx::query!(
        "SELECT prep_minutes, busy, auto_accept FROM order_accept_setting WHERE store_id = $1",
        store.as_uuid()
    )
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(AcceptSettings::default());
    };
    let (minutes, busy, auto_accept) = (row.prep_minutes, row.busy, row.auto_accept);
    let prep = u32::try_from(minutes)
        .ok()
        .and_then(|m| PrepMinutes::new(m).ok())
        .ok_or_else(|| {
            OrderError::Internal(format!("store {store}: unreadable prep_minutes {minutes}"))
        })?;
    Ok(AcceptSettings {
        prep,
        busy,
        auto_accept,
    })
}

pub async fn set(
    conn: &mut PgConnection,
    store: StoreId,
    settings: &AcceptSettings,
) -> Result<(), OrderError> {
    sqlx::query!(
        "INSERT INTO order_accept_setting (store_id, prep_minutes, busy, auto_accept) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (store_id) DO UPDATE SET \
             prep_minutes = EXCLUDED.prep_minutes, busy = EXCLUDED.busy, \
             auto_accept = EXCLUDED.auto_accept, updated_at = now()",
        store.as_uuid(),
        i32::try_from(settings.prep.get()).unwrap_or(i32::MAX),
        settings.busy,
        settings.auto_accept
    )
    .execute(conn)
    .await?;
    Ok(())
}
