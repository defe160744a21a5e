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
