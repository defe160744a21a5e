//! Carts in Redis: one JSON string per customer, replaced only by compare-and-set on its id.

use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use crate::error::OrderError;
use crate::model::Session;

/// The stored value as read: the id the next compare-and-set must name, and the session when
/// the value is a readable cart.
#[derive(Debug, Clone, PartialEq)]
pub struct Current {
    /// `""` when there is no cart (or the value has no id).
    pub id: String,
    pub session: Option<Session>,
}

// KEYS: cart. ARGV: expected id ('' = no cart), new value ('' = delete), ttl ms.
// The id is read the same way as `read` reads it, so a value Rust cannot decode (written by
// another version) is still replaceable instead of blocking the customer until it expires.
static COMPARE_AND_SET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local cur = redis.call('GET', KEYS[1])
        local id = ''
        if cur then
            local ok, doc = pcall(cjson.decode, cur)
            if ok and type(doc) == 'table' and type(doc.id) == 'string' then id = doc.id end
        end
        if id ~= ARGV[1] then return 0 end
        if ARGV[2] == '' then
            redis.call('DEL', KEYS[1])
        else
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        end
        return 1
        ",
    )
});

// KEYS: cart. ARGV: ttl ms. Lengthens the cart's time to live to at least ttl, never shortens it.
static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local left = redis.call('PTTL', KEYS[1])
        if left >= 0 and left < tonumber(ARGV[1]) then
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
        end
        return left
        ",
    )
});

pub async fn read(redis: &ConnectionManager, key: &str) -> Result<Current, OrderError> {
    let mut conn = platform::redis::Traced(redis.clone());
    let raw: Option<String> = conn.get(key).await?;
    let Some(raw) = raw else {
        return Ok(Current {
            id: String::new(),
            session: None,
        });
    };
    let value: Option<serde_json::Value> = serde_json::from_str(&raw).ok();
    let id = value
        .as_ref()
        .and_then(|v| v.get("id"))
        .and_then(|id| id.as_str())
        .unwrap_or_default()
        .to_owned();
    let session = value.and_then(|v| match serde_json::from_value::<Session>(v) {
        Ok(session) => Some(session),
        Err(e) => {
            tracing::warn!(key, error = %e, "unreadable cart; treating it as none");
            None
        }
    });
    Ok(Current { id, session })
}

/// Writes (or with `None` deletes) the cart if its stored id is still `expected`; `false` when
/// another change came first. A write renews the time to live.
pub async fn compare_and_set(
    redis: &ConnectionManager,
    key: &str,
    expected: &str,
    new: Option<&Session>,
    ttl: Duration,
) -> Result<bool, OrderError> {
    let value = match new {
        Some(session) => serde_json::to_string(session)
            .map_err(|e| OrderError::Internal(format!("encoding a cart: {e}")))?,
        None => String::new(),
    };
    let mut conn = platform::redis::Traced(redis.clone());
    let written: i64 = COMPARE_AND_SET
        .key(key)
        .arg(expected)
        .arg(value)
        .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
        .invoke_async(&mut conn)
        .await?;
    Ok(written == 1)
}

/// Lengthens the cart's time to live to at least `ttl` (a missing cart stays missing).
pub async fn extend(redis: &ConnectionManager, key: &str, ttl: Duration) -> Result<(), OrderError> {
    let mut conn = platform::redis::Traced(redis.clone());
    let _: i64 = EXTEND
        .key(key)
        .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
        .invoke_async(&mut conn)
        .await?;
    Ok(())
}
