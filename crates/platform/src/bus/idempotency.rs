//! Processed-event keys, written in the handler's own transaction: the effect and the key commit
//! together, so a redelivered message finds the key and does nothing.

use sqlx::PgConnection;

/// Records that `consumer` handled `event_id`; `false` when it already had, in which case the
/// handler skips its effect and the message is acknowledged.
pub async fn first_time(
    tx: &mut PgConnection,
    consumer: &str,
    event_id: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO processed_event (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        consumer,
        event_id
    )
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
