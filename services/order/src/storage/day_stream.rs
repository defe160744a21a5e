//! Redis side of a day stream rebuild: finding the `opened` entry, the rebuild lock, staging the
//! rebuilt entries and swapping them in.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use contracts::events::types::STORE_DAY_OPENED;
use platform::bus::relay::{MARKER_TTL_SECS, published_marker};
use platform::redis::Keys;
use redis::Script;
use redis::aio::ConnectionManager;
use uuid::Uuid;

use crate::error::OrderError;

/// Entries staged per pipeline.
const STAGE_BATCH: usize = 200;
/// A staged stream left behind by a rebuild that died goes away by itself.
const STAGING_TTL_SECS: u64 = 600;

/// One entry to stage, in the envelope the outbox relay writes.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub data: &'a [u8],
}

/// What the swap found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swapped {
    pub opened_entry_id: String,
    /// `false` when the stream had become complete meanwhile and the staged one was dropped.
    pub rebuilt: bool,
    /// Entries of the old stream kept after the rebuilt ones (published during the rebuild).
    pub carried_over: u64,
}

/// Swaps the staged stream in for the live one, atomically against the relay's publishes:
/// entries of the live stream whose event is not among the staged ones are appended to the
/// staged stream, every staged event is marked published (so a relay that has not published
/// it yet never will), and the staged stream takes the live one's name. If the live stream
/// begins with its `opened` entry by now, nothing changes.
static SWAP_IN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        -- KEYS[1] live stream, KEYS[2] staged stream, KEYS[3] staged event ids (set)
        -- ARGV[1] the opened type, ARGV[2] published-marker prefix, ARGV[3] marker ttl
        local function field(fields, name)
          for i = 1, #fields, 2 do
            if fields[i] == name then return fields[i + 1] end
          end
          return nil
        end
        local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
        if head and field(head[2], 'type') == ARGV[1] then
          redis.call('DEL', KEYS[2], KEYS[3])
          return {head[1], 0, 0}
        end
        local carried = 0
        local start = '-'
        while true do
          local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 500)
          for _, entry in ipairs(page) do
            local id = field(entry[2], 'event_id')
            if not id or redis.call('SISMEMBER', KEYS[3], id) == 0 then
              redis.call('XADD', KEYS[2], '*', unpack(entry[2]))
              carried = carried + 1
            end
          end
          if #page < 500 then break end
          start = '(' .. page[#page][1]
        end
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
          redis.call('SET', ARGV[2] .. id, 'rebuilt', 'EX', ARGV[3])
        end
        redis.call('DEL', KEYS[3])
        redis.call('PERSIST', KEYS[2])
        redis.call('RENAME', KEYS[2], KEYS[1])
        return {redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1], 1, carried}
        ",
    )
});

static UNLOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        ",
    )
});

/// The id of the stream's first entry when it is the `opened` entry; `None` when the stream
/// is missing or begins with anything else.
pub async fn opened_entry(
    redis: &ConnectionManager,
    stream: &str,
) -> Result<Option<String>, OrderError> {
    Ok(platform::redis::first_entry_of_type(redis, stream, STORE_DAY_OPENED).await?)
}

pub async fn lock(
    redis: &ConnectionManager,
    key: &str,
    token: &str,
    ttl: Duration,
) -> Result<bool, OrderError> {
    let taken: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(token)
        .arg("NX")
        .arg("PX")
        .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
        .query_async(&mut redis.clone())
        .await?;
    Ok(taken.is_some())
}

pub async fn unlock(redis: &ConnectionManager, key: &str, token: &str) -> Result<(), OrderError> {
    let _: i64 = UNLOCK
        .key(key)
        .arg(token)
        .invoke_async(&mut redis.clone())
        .await?;
    Ok(())
}

/// Stages `entries` under `staged` (in this order) and swaps them in for `stream`.
pub async fn swap_in(
    redis: &ConnectionManager,
    keys: &Keys,
    stream: &str,
    staged: &str,
    entries: &[Entry<'_>],
) -> Result<Swapped, OrderError> {
    let ids = format!("{staged}:ids");
    let mut conn = redis.clone();
    redis::cmd("DEL")
        .arg(staged)
        .arg(&ids)
        .query_async::<()>(&mut conn)
        .await?;
    for batch in entries.chunks(STAGE_BATCH) {
        let mut pipe = redis::pipe();
        for entry in batch {
            let event_id = entry.event_id.to_string();
            pipe.cmd("XADD")
                .arg(staged)
                .arg("*")
                .arg("type")
                .arg(entry.event_type)
                .arg("event_id")
                .arg(&event_id)
                .arg("occurred_at")
                .arg(
                    entry
                        .occurred_at
                        .to_rfc3339_opts(SecondsFormat::Millis, true),
                )
                .arg("traceparent")
                .arg("")
                .arg("data")
                .arg(entry.data)
                .ignore();
            pipe.cmd("SADD").arg(&ids).arg(event_id).ignore();
        }
        pipe.cmd("EXPIRE")
            .arg(staged)
            .arg(STAGING_TTL_SECS)
            .ignore()
            .cmd("EXPIRE")
            .arg(&ids)
            .arg(STAGING_TTL_SECS)
            .ignore();
        pipe.query_async::<()>(&mut conn).await?;
    }
    let (opened_entry_id, rebuilt, carried_over): (String, i64, u64) = SWAP_IN
        .key(stream)
        .key(staged)
        .key(&ids)
        .arg(STORE_DAY_OPENED)
        .arg(published_marker(keys, ""))
        .arg(MARKER_TTL_SECS)
        .invoke_async(&mut conn)
        .await?;
    Ok(Swapped {
        opened_entry_id,
        rebuilt: rebuilt == 1,
        carried_over,
    })
}
