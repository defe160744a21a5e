//! A stream consumer in a consumer group: at-least-once delivery to an idempotent handler.
//!
//! - The group is created with MKSTREAM and re-created whenever Redis answers NOGROUP (Redis
//!   restarted empty, or the stream was deleted), reading from the stream's start.
//! - A message is acknowledged only after its handler returned `Ok`.
//! - Entries left pending by a dead consumer, or by a failed handler, are reclaimed with
//!   XAUTOCLAIM once idle for `claim_idle`.
//! - A message whose handler failed `max_deliveries` times, or that was delivered that many
//!   times without an answer, moves to the dead-letter stream with its error.
//! - A handler that knows retrying cannot help returns a [`permanent`] error: its message moves
//!   to the dead-letter stream on that delivery, without waiting for `claim_idle` or counting a
//!   retry. Every other error is retried as above.
//! - Failures back off with jitter; the stream is trimmed below what every group has consumed.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::LazyLock;
use std::time::Duration;

use futures::FutureExt;
use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, RedisError, Script};
use tokio::time::Instant;
use tracing::Instrument;

use super::Message;
use crate::redis::Keys;
use crate::shutdown::Shutdown;
use crate::{Error, metrics, telemetry};

pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A handler error marked final by [`permanent`]; it displays as the error it wraps.
#[derive(Debug)]
pub struct Permanent(HandlerError);

impl std::fmt::Display for Permanent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Permanent {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Marks a handler's error as final: the same message would fail the same way on every retry
/// (the payload is unusable, or the far side refused it for good), so the consumer dead-letters
/// it on this delivery instead of holding it pending through `max_deliveries` retries. Only the
/// error the handler returns is looked at, not its sources: wrap at the top.
pub fn permanent(error: impl Into<HandlerError>) -> HandlerError {
    Box::new(Permanent(error.into()))
}

/// Why a message was dead-lettered, kept in the letter's `reason` field.
#[derive(Debug, Clone, Copy)]
enum DeadReason {
    /// The handler returned a [`permanent`] error.
    Permanent,
    /// The handler failed on each of `max_deliveries` deliveries.
    FailedTooOften,
    /// Delivered more than `max_deliveries` times without an answer: its consumers kept dying.
    NeverAcknowledged,
    /// The envelope cannot be read.
    Malformed,
}

impl DeadReason {
    fn as_str(self) -> &'static str {
        match self {
            DeadReason::Permanent => "permanent",
            DeadReason::FailedTooOften => "failed_too_often",
            DeadReason::NeverAcknowledged => "never_acknowledged",
            DeadReason::Malformed => "malformed",
        }
    }
}

static DEAD_LETTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        -- KEYS[1] stream, KEYS[2] dead-letter stream; ARGV[1] group, ARGV[2] entry id,
        -- ARGV[3] dead-letter max length, ARGV[4..] fields. Moving and acknowledging happen
        -- together so a crash cannot leave the entry both dead and pending.
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
        return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        ",
    )
});

/// How many dead letters are kept; operators read and clear them.
const DEAD_LETTER_MAX_LEN: usize = 100_000;

#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// The service handling the messages, named on their spans.
    pub service: &'static str,
    /// Logical stream name, e.g. `x:order:events` (the key prefix is added).
    pub stream: String,
    pub group: String,
    /// Unique per consumer instance, so a restarted process never inherits a dead one's name.
    pub consumer: String,
    pub batch: usize,
    pub block: Duration,
    /// A pending entry idle this long belongs to a dead consumer or a failed attempt: reclaim it.
    pub claim_idle: Duration,
    pub max_deliveries: u64,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Entries younger than this are never trimmed, so a group created late still sees them.
    pub keep_recent: Duration,
    pub stats_every: Duration,
}

impl ConsumerOptions {
    pub fn new(stream: &str, group: &str) -> ConsumerOptions {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned());
        let unique = uuid::Uuid::now_v7().simple().to_string();
        ConsumerOptions {
            service: "simpleorder",
            stream: stream.to_owned(),
            group: group.to_owned(),
            consumer: format!(
                "{group}:{host}:{}:{}",
                std::process::id(),
                &unique[unique.len() - 8..]
            ),
            batch: 32,
            block: Duration::from_secs(1),
            claim_idle: Duration::from_secs(30),
            max_deliveries: 5,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(5),
            keep_recent: Duration::from_secs(3600),
            stats_every: Duration::from_secs(5),
        }
    }
}

pub struct Consumer {
    redis_url: String,
    keys: Keys,
    options: ConsumerOptions,
}

enum Outcome {
    Acked,
    /// Dead-lettered on its first failure as one no retry can fix (a malformed envelope, a
    /// permanent error): nothing to back off from, the consumer moves on.
    DeadLettered,
    Failed,
}

fn is_nogroup(error: &RedisError) -> bool {
    error.code() == Some("NOGROUP")
}

impl Consumer {
    pub fn new(redis_url: &str, keys: Keys, options: ConsumerOptions) -> Consumer {
        Consumer {
            redis_url: redis_url.to_owned(),
            keys,
            options,
        }
    }

    pub fn options(&self) -> &ConsumerOptions {
        &self.options
    }

    /// Consumes until shutdown. Redis being down is not an error: the consumer waits, with
    /// backoff, for it to come back. The handler finishing its current message is awaited.
    pub async fn run<H, F>(self, handler: H, shutdown: Shutdown) -> Result<(), Error>
    where
        H: Fn(Message) -> F + Send + Sync,
        F: Future<Output = Result<(), HandlerError>> + Send,
    {
        let stream = self.keys.stream(&self.options.stream);
        let dead = self.keys.dead_letters();
        let mut failures = 0u32;
        let mut conn: Option<ConnectionManager> = None;
        let mut group_ready = false;
        let mut next_claim = Instant::now();
        let mut next_stats = Instant::now();
        tracing::info!(stream = %stream, group = %self.options.group, consumer = %self.options.consumer, "consumer started");
        while !shutdown.is_cancelled() {
            let step = async {
                if conn.is_none() {
                    let timeout = self.options.block + Duration::from_secs(2);
                    conn = Some(
                        crate::redis::connect_with_response_timeout(&self.redis_url, timeout)
                            .await?,
                    );
                }
                let conn = conn.as_mut().expect("connected above");
                if !group_ready {
                    self.ensure_group(conn, &stream).await?;
                    group_ready = true;
                }
                let mut failed = false;
                if Instant::now() >= next_claim {
                    next_claim = Instant::now() + self.options.claim_idle / 2;
                    failed |= self.reclaim(conn, &stream, &handler).await?;
                }
                if Instant::now() >= next_stats {
                    next_stats = Instant::now() + self.options.stats_every;
                    self.stats(conn, &stream, &dead).await?;
                }
                let read = StreamReadOptions::default()
                    .group(&self.options.group, &self.options.consumer)
                    .count(self.options.batch)
                    .block(self.options.block.as_millis() as usize);
                let streams = [stream.as_str()];
                let reply: Option<StreamReadReply> = tokio::select! {
                    _ = shutdown.cancelled() => return Ok(false),
                    reply = conn.xread_options(&streams, &[">"], &read) => reply?,
                };
                for key in reply.map(|r| r.keys).unwrap_or_default() {
                    for entry in key.ids {
                        if let Outcome::Failed =
                            self.deliver(conn, &stream, entry, 1, &handler).await?
                        {
                            failed = true;
                        }
                    }
                }
                Ok::<bool, RedisError>(failed)
            };
            let wait = match step.await {
                Ok(false) => {
                    failures = 0;
                    None
                }
                Ok(true) => {
                    failures += 1;
                    Some(super::backoff(
                        failures,
                        self.options.backoff_base,
                        self.options.backoff_cap,
                    ))
                }
                Err(e) if is_nogroup(&e) => {
                    tracing::warn!(stream = %stream, group = %self.options.group, "consumer group vanished; re-creating it");
                    group_ready = false;
                    None
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(stream = %stream, group = %self.options.group, error = %e, "stream read failed; backing off");
                    if e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout() {
                        conn = None;
                    }
                    group_ready = false;
                    Some(super::backoff(
                        failures,
                        self.options.backoff_base,
                        self.options.backoff_cap,
                    ))
                }
            };
            if let Some(wait) = wait {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
        tracing::info!(stream = %stream, group = %self.options.group, "consumer stopped");
        Ok(())
    }

    async fn ensure_group(
        &self,
        conn: &mut ConnectionManager,
        stream: &str,
    ) -> Result<(), RedisError> {
        let created: Result<(), RedisError> = conn
            .xgroup_create_mkstream(stream, &self.options.group, "0")
            .await;
        match created {
            Ok(()) => Ok(()),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Claims entries idle for `claim_idle` (a dead consumer's, or ones whose handler failed)
    /// and handles them again, or dead-letters those delivered too often.
    async fn reclaim<H, F>(
        &self,
        conn: &mut ConnectionManager,
        stream: &str,
        handler: &H,
    ) -> Result<bool, RedisError>
    where
        H: Fn(Message) -> F + Send + Sync,
        F: Future<Output = Result<(), HandlerError>> + Send,
    {
        let claimed: StreamAutoClaimReply = conn
            .xautoclaim_options(
                stream,
                &self.options.group,
                &self.options.consumer,
                self.options.claim_idle.as_millis() as u64,
                "0-0",
                StreamAutoClaimOptions::default().count(self.options.batch),
            )
            .await?;
        if claimed.claimed.is_empty() {
            return Ok(false);
        }
        // XAUTOCLAIM does not say how often an entry was delivered; our pending list does.
        let first = &claimed.claimed[0].id;
        let last = &claimed.claimed[claimed.claimed.len() - 1].id;
        let pending: redis::streams::StreamPendingCountReply = conn
            .xpending_consumer_count(
                stream,
                &self.options.group,
                first,
                last,
                self.options.batch,
                &self.options.consumer,
            )
            .await?;
        let deliveries: HashMap<String, u64> = pending
            .ids
            .into_iter()
            .map(|p| (p.id, p.times_delivered as u64))
            .collect();
        let mut failed = false;
        for entry in claimed.claimed {
            let times = deliveries.get(&entry.id).copied().unwrap_or(1);
            if times > self.options.max_deliveries {
                let error = format!(
                    "delivered {times} times without being acknowledged (its consumer kept dying)"
                );
                self.dead_letter(
                    conn,
                    stream,
                    &entry,
                    times,
                    DeadReason::NeverAcknowledged,
                    &error,
                )
                .await?;
                continue;
            }
            if let Outcome::Failed = self.deliver(conn, stream, entry, times, handler).await? {
                failed = true;
            }
        }
        Ok(failed)
    }

    async fn deliver<H, F>(
        &self,
        conn: &mut ConnectionManager,
        stream: &str,
        entry: StreamId,
        deliveries: u64,
        handler: &H,
    ) -> Result<Outcome, RedisError>
    where
        H: Fn(Message) -> F + Send + Sync,
        F: Future<Output = Result<(), HandlerError>> + Send,
    {
        let message = match Message::from_fields(entry.id.clone(), &entry.map, deliveries) {
            Ok(message) => message,
            Err(error) => {
                // A malformed envelope will never succeed; keep it for an operator at once.
                let error = format!("malformed message: {error}");
                self.dead_letter(
                    conn,
                    stream,
                    &entry,
                    deliveries,
                    DeadReason::Malformed,
                    &error,
                )
                .await?;
                return Ok(Outcome::DeadLettered);
            }
        };
        let span = telemetry::consume_span(
            self.options.service,
            &self.options.stream,
            &self.options.group,
            &message.id,
            message.traceparent.as_deref(),
        );
        let handling = AssertUnwindSafe(handler(message.clone()))
            .catch_unwind()
            .instrument(span);
        let result = self
            .while_holding_claim(conn, stream, &message.id, handling)
            .await;
        let (error, is_permanent) = match result {
            Ok(Ok(())) => {
                let _: i64 = conn
                    .xack(stream, &self.options.group, &[&message.id])
                    .await?;
                self.count("ok");
                return Ok(Outcome::Acked);
            }
            Ok(Err(e)) => (e.to_string(), e.is::<Permanent>()),
            // A panic says nothing about whether the message could ever succeed: retry it.
            Err(panic) => (
                format!(
                    "handler panicked: {}",
                    panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default()
                ),
                false,
            ),
        };
        if is_permanent {
            tracing::error!(stream = %stream, event_id = %message.event_id, deliveries, error = %error, "message failed for good; dead-lettered without retries");
            self.dead_letter(
                conn,
                stream,
                &entry,
                deliveries,
                DeadReason::Permanent,
                &error,
            )
            .await?;
            return Ok(Outcome::DeadLettered);
        }
        if deliveries >= self.options.max_deliveries {
            tracing::error!(stream = %stream, event_id = %message.event_id, deliveries, error = %error, "message failed too often; dead-lettered");
            self.dead_letter(
                conn,
                stream,
                &entry,
                deliveries,
                DeadReason::FailedTooOften,
                &error,
            )
            .await?;
        } else {
            tracing::warn!(stream = %stream, event_id = %message.event_id, deliveries, error = %error, "handler failed; the message will be retried");
            self.count("retry");
        }
        Ok(Outcome::Failed)
    }

    /// Runs `handling` while resetting the entry's idle time every third of `claim_idle`, so a
    /// slow handler (a payment approval waiting on KakaoPay) is never reclaimed by another
    /// consumer and run twice at once. Only a consumer that died stops refreshing its claims.
    async fn while_holding_claim<T>(
        &self,
        conn: &ConnectionManager,
        stream: &str,
        id: &str,
        handling: impl Future<Output = T>,
    ) -> T {
        let mut handling = std::pin::pin!(handling);
        let every = (self.options.claim_idle / 3).max(Duration::from_millis(10));
        let mut refresh = tokio::time::interval_at(Instant::now() + every, every);
        let mut conn = conn.clone();
        loop {
            tokio::select! {
                result = &mut handling => return result,
                _ = refresh.tick() => {
                    // XCLAIM to ourselves with JUSTID resets the idle time without counting a
                    // delivery. A failure here only risks a duplicate the handler tolerates.
                    let refreshed: Result<redis::Value, RedisError> = redis::cmd("XCLAIM")
                        .arg(stream)
                        .arg(&self.options.group)
                        .arg(&self.options.consumer)
                        .arg(0)
                        .arg(id)
                        .arg("JUSTID")
                        .query_async(&mut conn)
                        .await;
                    if let Err(e) = refreshed {
                        tracing::warn!(stream, id, error = %e, "could not refresh the claim of a message in progress");
                    }
                }
            }
        }
    }

    async fn dead_letter(
        &self,
        conn: &mut ConnectionManager,
        stream: &str,
        entry: &StreamId,
        deliveries: u64,
        reason: DeadReason,
        error: &str,
    ) -> Result<(), RedisError> {
        let mut invocation = DEAD_LETTER.key(stream);
        invocation
            .key(self.keys.dead_letters())
            .arg(&self.options.group)
            .arg(&entry.id)
            .arg(DEAD_LETTER_MAX_LEN)
            .arg("stream")
            .arg(&self.options.stream)
            .arg("group")
            .arg(&self.options.group)
            .arg("entry_id")
            .arg(&entry.id)
            .arg("deliveries")
            .arg(deliveries)
            .arg("reason")
            .arg(reason.as_str())
            .arg("error")
            .arg(error)
            .arg("dead_at")
            .arg(chrono::Utc::now().to_rfc3339());
        // The original fields travel along, so an operator can replay the message as it was.
        for (field, value) in &entry.map {
            if let Ok(bytes) = redis::from_redis_value_ref::<Vec<u8>>(value) {
                invocation.arg(format!("orig_{field}")).arg(bytes);
            }
        }
        let _: i64 = invocation.invoke_async(conn).await?;
        self.count("dead");
        Ok(())
    }

    fn count(&self, outcome: &str) {
        metrics::BUS_HANDLED
            .with_label_values(&[
                self.options.stream.as_str(),
                self.options.group.as_str(),
                outcome,
            ])
            .inc();
    }

    /// Updates lag, pending and dead-letter gauges, and trims what every group has consumed.
    async fn stats(
        &self,
        conn: &mut ConnectionManager,
        stream: &str,
        dead: &str,
    ) -> Result<(), RedisError> {
        let groups: Vec<HashMap<String, redis::Value>> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(stream)
            .query_async(conn)
            .await?;
        let labels = [self.options.stream.as_str(), self.options.group.as_str()];
        let int = |group: &HashMap<String, redis::Value>, name: &str| -> Option<i64> {
            group
                .get(name)
                .and_then(|v| redis::from_redis_value_ref::<i64>(v).ok())
        };
        let text = |group: &HashMap<String, redis::Value>, name: &str| -> Option<String> {
            group
                .get(name)
                .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
        };
        let mut floor: Option<(u64, u64)> = None;
        for group in &groups {
            let name = text(group, "name").unwrap_or_default();
            let pending = int(group, "pending").unwrap_or(0);
            if name == self.options.group {
                metrics::BUS_PENDING.with_label_values(&labels).set(pending);
                metrics::BUS_LAG
                    .with_label_values(&labels)
                    .set(int(group, "lag").unwrap_or(0));
            }
            // The oldest entry this group still needs: its oldest pending one, else the last
            // one it was given.
            let needed = if pending > 0 {
                let summary: redis::streams::StreamPendingReply =
                    conn.xpending(stream, &name).await?;
                match summary {
                    redis::streams::StreamPendingReply::Data(data) => Some(data.start_id),
                    _ => None,
                }
            } else {
                text(group, "last-delivered-id")
            };
            if let Some(id) = needed.as_deref().and_then(parse_id) {
                floor = Some(floor.map_or(id, |f| f.min(id)));
            }
        }
        let dead_len: i64 = conn.xlen(dead).await?;
        metrics::BUS_DEAD_LETTERS
            .with_label_values(&[crate::bus::DEAD_LETTER_STREAM])
            .set(dead_len);
        if let Some(floor) = floor {
            let recent = chrono::Utc::now().timestamp_millis() as u64
                - self.options.keep_recent.as_millis() as u64;
            let min_id = floor.min((recent, 0));
            let _: i64 = redis::cmd("XTRIM")
                .arg(stream)
                .arg("MINID")
                .arg("~")
                .arg(format!("{}-{}", min_id.0, min_id.1))
                .query_async(conn)
                .await?;
        }
        Ok(())
    }
}

fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_order_numerically() {
        assert!(parse_id("9-0").unwrap() < parse_id("10-0").unwrap());
        assert_eq!(parse_id("0-0"), Some((0, 0)));
        assert_eq!(parse_id("bogus"), None);
    }

    #[test]
    fn only_errors_marked_permanent_are_final_and_they_keep_their_text() {
        let marked = permanent("unknown user");
        assert!(marked.is::<Permanent>());
        assert_eq!(marked.to_string(), "unknown user");
        let plain: HandlerError = "connection reset".into();
        assert!(!plain.is::<Permanent>());
    }
}
