//! The outbox relay: publishes committed events to their streams, always running.
//!
//! Every service replica runs one, publishing the `outbox` of the service's schema (its
//! connection's `search_path`), but only one relay of an outbox publishes at a time: a batch
//! transaction first takes the advisory lock ([`PUBLISH_LOCK`], the outbox table's oid) with
//! `pg_try_advisory_xact_lock`, and a relay that finds it taken sits the round out. Relays that took disjoint batches side by
//! side interleaved their XADDs and reordered a stream; one writer walking the oldest unpublished
//! rows in order keeps outbox order. Rows are still taken `FOR UPDATE SKIP LOCKED`, so a relay
//! of an older release without the lock (during a rolling deploy) never publishes a row twice
//! at once. The lock
//! lives in the batch's transaction, so a relay that dies, or loses its connection, lets go of
//! it with the connection and another relay carries on at its next poll.
//!
//! Each publish is one Lua script that XADDs and remembers the event id; if the relay dies after
//! publishing and before marking the row, the next attempt finds the id and does not publish
//! again, so an event reaches its stream exactly once. The marker also keeps order when a relay
//! whose session Postgres already ended still finishes its batch beside the new lock holder:
//! both walk the same rows oldest first, and whichever reaches a row first publishes it, after
//! every row before it.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::FutureExt;
use redis::Script;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::Notify;
use tracing::Instrument;
use uuid::Uuid;

use crate::redis::Keys;
use crate::shutdown::Shutdown;
use crate::{Error, metrics, telemetry};

static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        -- KEYS[1] stream, KEYS[2] published marker; ARGV[1] marker ttl, ARGV[2..] fields
        local done = redis.call('GET', KEYS[2])
        if done then return done end
        local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
        redis.call('SET', KEYS[2], id, 'EX', ARGV[1])
        return id
        ",
    )
});

/// How long the published marker of an event is kept: far longer than any relay retry.
pub const MARKER_TTL_SECS: u64 = 7 * 24 * 3600;

/// The key that says an event is in its stream: while it exists, the relay does not publish the
/// event again. Whoever writes an event to a stream by other means (a rebuild) sets it too.
pub fn published_marker(keys: &Keys, event_id: &str) -> String {
    keys.key(&format!("outbox:published:{event_id}"))
}

/// The first key of the advisory lock (`pg_try_advisory_xact_lock(key, oid)`) the publishing
/// relay holds; the second is the oid of its outbox table, so each service's outbox has one
/// writer and the services of a database do not wait for each other. An operator finds the
/// holder in `pg_locks` (`locktype = 'advisory'`, `classid` this key, `objid` the table's oid).
pub const PUBLISH_LOCK: i32 = 0x6f75_7462; // "outb"

#[derive(Debug, Clone)]
pub struct RelayOptions {
    pub name: String,
    pub batch: i64,
    /// Wait between polls when the outbox is empty. A commit that writes events wakes the relay
    /// at once (LISTEN [`CHANNEL`]); the poll only finds what a lost notification left behind.
    pub idle_poll: Duration,
    /// Published rows are deleted once this old; they are kept a while for operators.
    pub retain_published: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            name: "relay".to_owned(),
            batch: 100,
            idle_poll: Duration::from_secs(1),
            retain_published: Duration::from_secs(24 * 3600),
        }
    }
}

pub struct Relay {
    pool: PgPool,
    redis: ConnectionManager,
    keys: Keys,
    options: RelayOptions,
}

struct Row {
    id: Uuid,
    stream: String,
    event_type: String,
    payload: Vec<u8>,
    traceparent: Option<String>,
    created_at: DateTime<Utc>,
}

impl Relay {
    pub fn new(pool: PgPool, redis: ConnectionManager, keys: Keys, options: RelayOptions) -> Relay {
        Relay {
            pool,
            redis,
            keys,
            options,
        }
    }

    /// Publishes until shutdown; errors (Redis or Postgres down) back off with jitter and retry.
    pub async fn run(self, shutdown: Shutdown) -> Result<(), Error> {
        let mut failures = 0u32;
        let mut last_cleanup = tokio::time::Instant::now();
        let committed = listen(&self.pool, shutdown.clone());
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            // A wake-up stored before this batch looks is for commits the batch will see (the
            // notification comes after the commit is visible): left stored, it would only buy
            // an empty round, a transaction, after the batch.
            let _ = committed.notified().now_or_never();
            let published = self.publish_batch().await;
            let wake_early = published.is_ok();
            let wait = match published {
                Ok(n) if n as i64 >= self.options.batch => {
                    failures = 0;
                    Duration::ZERO
                }
                Ok(_) => {
                    failures = 0;
                    self.options.idle_poll
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(relay = %self.options.name, error = %e, "outbox relay failed; retrying");
                    super::backoff(failures, Duration::from_millis(100), Duration::from_secs(5))
                }
            };
            if last_cleanup.elapsed() > Duration::from_secs(60) {
                last_cleanup = tokio::time::Instant::now();
                if let Err(e) = self.cleanup().await {
                    tracing::warn!(error = %e, "outbox cleanup failed");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(wait) => {}
                _ = committed.notified(), if wake_early => {}
            }
        }
    }

    /// Publishes one batch of unpublished events, oldest first; returns how many. Publishes
    /// nothing (0) while another relay of the same outbox holds [`PUBLISH_LOCK`].
    pub async fn publish_batch(&self) -> Result<usize, Error> {
        let mut tx = self.pool.begin().await?;
        let ours: bool = sqlx::query_scalar!(
            r#"SELECT pg_try_advisory_xact_lock($1, 'outbox'::regclass::oid::int4) AS "ours!""#,
            PUBLISH_LOCK
        )
        .fetch_one(&mut *tx)
        .await?;
        if !ours {
            tx.rollback().await?;
            return Ok(0);
        }
        let rows: Vec<Row> = sqlx::query_as!(
            Row,
            "SELECT id, stream, event_type, payload, traceparent, created_at FROM outbox
             WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
            self.options.batch
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            // Ends the transaction now, so the lock is free for the next relay at once.
            tx.rollback().await?;
            return Ok(0);
        }
        let mut redis = self.redis.clone();
        let mut published = Vec::with_capacity(rows.len());
        for row in &rows {
            let span = telemetry::publish_span(
                &self.options.name,
                &row.stream,
                row.traceparent.as_deref(),
            );
            let traceparent = span.in_scope(telemetry::current_traceparent);
            let event_id = row.id.to_string();
            let occurred_at = row.created_at.to_rfc3339_opts(SecondsFormat::Millis, true);
            let mut invocation = PUBLISH.key(self.keys.stream(&row.stream));
            invocation
                .key(published_marker(&self.keys, &event_id))
                .arg(MARKER_TTL_SECS)
                .arg("type")
                .arg(&row.event_type)
                .arg("event_id")
                .arg(&event_id)
                .arg("occurred_at")
                .arg(&occurred_at)
                .arg("traceparent")
                .arg(traceparent.as_deref().unwrap_or(""))
                .arg("data")
                .arg(row.payload.as_slice());
            let _entry: String = invocation.invoke_async(&mut redis).instrument(span).await?;
            published.push(row.id);
            metrics::OUTBOX_PUBLISHED
                .with_label_values(&[row.stream.as_str()])
                .inc();
        }
        sqlx::query!(
            "UPDATE outbox SET published_at = now() WHERE id = ANY($1)",
            &published
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // A batch short of full took every row that was unpublished when it looked, so only what
        // committed since is left, and that has woken the relay already: counting it would cost
        // every batch a transaction of its own.
        let backlog = if (rows.len() as i64) < self.options.batch {
            0
        } else {
            super::outbox::backlog(&self.pool).await.unwrap_or(0)
        };
        metrics::OUTBOX_BACKLOG
            .with_label_values(&[self.options.name.as_str()])
            .set(backlog);
        Ok(published.len())
    }

    async fn cleanup(&self) -> Result<(), sqlx::Error> {
        let retain = self.options.retain_published.as_secs_f64();
        sqlx::query!(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            retain
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Wakes the relay when a transaction that wrote to its outbox commits: a task LISTENs on a
/// connection of its own (not one of the service's pool) and stores a wake-up. The outbox's
/// trigger NOTIFYs `outbox.<its schema>`, so commits of other services' outboxes wake no one here. While that
/// connection is down, or was down and may have missed a notification, the relay is woken too,
/// and between those its polling carries on.
fn listen(pool: &PgPool, shutdown: Shutdown) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    let own = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with((*pool.connect_options()).clone());
    let notify = wake.clone();
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            let error = tokio::select! {
                _ = shutdown.cancelled() => return,
                error = follow_commits(&own, &notify, &mut failures) => error,
            };
            failures += 1;
            tracing::debug!(error = %error, "outbox LISTEN lost; polling until it is back");
            notify.notify_one();
            let wait = super::backoff(failures, Duration::from_millis(200), Duration::from_secs(5));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    });
    wake
}

/// LISTENs until the connection fails for good; the error.
async fn follow_commits(own: &PgPool, notify: &Notify, failures: &mut u32) -> sqlx::Error {
    let mut listener = match PgListener::connect_with(own).await {
        Ok(listener) => listener,
        Err(e) => return e,
    };
    let channel = sqlx::query_scalar!(
        r#"SELECT 'outbox.' || n.nspname AS "channel!" FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'outbox'::regclass"#
    )
    .fetch_one(&mut listener)
    .await;
    let channel = match channel {
        Ok(channel) => channel,
        Err(e) => return e,
    };
    if let Err(e) = listener.listen(&channel).await {
        return e;
    }
    loop {
        // Also right after (re)connecting: what committed meanwhile is found.
        notify.notify_one();
        *failures = 0;
        // `None`: the connection was lost and is made again, LISTEN included.
        if let Err(e) = listener.try_recv().await {
            return e;
        }
    }
}
