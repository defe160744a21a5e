//! Writing an event in the same transaction as the state change it reports.

use sqlx::PgConnection;
use uuid::Uuid;

/// Adds an event for `stream` (a logical name such as `x:order:events`; the relay adds the Redis
/// prefix). Returns the event id consumers deduplicate on. The current trace context travels
/// with it.
pub async fn enqueue(
    tx: &mut PgConnection,
    stream: &str,
    event_type: &str,
    data: &[u8],
) -> Result<Uuid, sqlx::Error> {
    enqueue_as(tx, Uuid::now_v7(), stream, event_type, data).await
}

/// [`enqueue`] under an event id the producer derives from what the event reports, for streams
/// that are rebuilt from Postgres and must recognise an event they already hold.
pub async fn enqueue_as(
    tx: &mut PgConnection,
    id: Uuid,
    stream: &str,
    event_type: &str,
    data: &[u8],
) -> Result<Uuid, sqlx::Error> {
    sqlx::query!(
        "INSERT INTO outbox (id, stream, event_type, payload, traceparent)
         VALUES ($1, $2, $3, $4, $5)",
        id,
        stream,
        event_type,
        data,
        crate::telemetry::current_traceparent()
    )
    .execute(tx)
    .await?;
    Ok(id)
}

/// Events written but not yet published.
pub async fn backlog(pool: &sqlx::PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "backlog!" FROM outbox WHERE published_at IS NULL"#)
        .fetch_one(pool)
        .await
}
