//! The Redis connection and the key prefix every key and stream lives under.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A connection manager that reconnects by itself; each command waits at most 2 s so a Redis that
/// hangs shows up as errors, not as stuck requests.
pub async fn connect(url: &str) -> redis::RedisResult<ConnectionManager> {
    connect_with_response_timeout(url, Duration::from_secs(2)).await
}

/// A connection of its own for blocking reads (XREADGROUP BLOCK): on a shared multiplexed
/// connection a blocking command would stall every other caller.
pub async fn connect_with_response_timeout(
    url: &str,
    response_timeout: Duration,
) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, config).await
}

/// Builds prefixed key names, so every deployment or test owns a distinct key space.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: impl Into<String>) -> Keys {
        Keys {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// A stream name from DESIGN §4, e.g. `x:order:events`.
    pub fn stream(&self, name: &str) -> String {
        self.key(name)
    }

    pub fn dead_letters(&self) -> String {
        self.key(crate::bus::DEAD_LETTER_STREAM)
    }
}

/// A connection whose commands each get a client span while traces are exported: the command
/// name (`GET`, `EVALSHA`, `PIPELINE`) and `db.system.name = redis`, never a key or a value (keys
/// hold payment tokens). Wrap the order path's calls: `invoke_async(&mut Traced(conn.clone()))`.
#[derive(Clone)]
pub struct Traced(pub ConnectionManager);

fn redis_span(operation: &str) -> tracing::Span {
    tracing::info_span!(
        "redis",
        otel.name = operation,
        otel.kind = "client",
        db.system.name = "redis",
        db.system = "redis",
        db.operation.name = operation,
    )
}

fn command_name(cmd: &redis::Cmd) -> String {
    match cmd.args_iter().next() {
        Some(redis::Arg::Simple(name))
            if !name.is_empty() && name.len() <= 24 && name.iter().all(u8::is_ascii_alphabetic) =>
        {
            String::from_utf8_lossy(name).to_ascii_uppercase()
        }
        _ => "COMMAND".to_owned(),
    }
}

impl redis::aio::ConnectionLike for Traced {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        if !crate::telemetry::exporting() {
            return self.0.req_packed_command(cmd);
        }
        let span = redis_span(&command_name(cmd));
        Box::pin(tracing::Instrument::instrument(
            self.0.req_packed_command(cmd),
            span,
        ))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        if !crate::telemetry::exporting() {
            return self.0.req_packed_commands(pipeline, offset, count);
        }
        Box::pin(tracing::Instrument::instrument(
            self.0.req_packed_commands(pipeline, offset, count),
            redis_span("PIPELINE"),
        ))
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }
}

/// The id of `stream`'s first entry when that entry's `type` field is `event_type`; `None` for
/// an empty stream or one that begins otherwise. A store day stream is whole only when it
/// begins with its `opened` entry: this is the one check every reader makes before trusting it.
pub async fn first_entry_of_type(
    redis: &ConnectionManager,
    stream: &str,
    event_type: &str,
) -> redis::RedisResult<Option<String>> {
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(stream)
        .arg("-")
        .arg("+")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut redis.clone())
        .await?;
    Ok(reply.ids.into_iter().next().and_then(|first| {
        let found: Option<String> = first.get("type");
        (found.as_deref() == Some(event_type)).then_some(first.id)
    }))
}
