//! The business day in Postgres (`day_business`, `business_history`) and its
//! live copy in Redis: the state hash `store:{id}:state` and the GEO set of nearby search.
//!
//! Postgres decides; Redis follows. Every hash carries the day id and a revision (the number of
//! history rows of that day), and the script that writes it refuses anything older than what it
//! holds, so two transitions racing to Redis, or a rebuild racing a transition, can never leave
//! an older state behind. A closed day leaves a short-lived CLOSED hash for the same reason.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::day::{DayState, Summary};
use redis::Script;
use redis::aio::ConnectionManager;
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreKeys;
use crate::error::StoreError;

/// How long the CLOSED hash of a finished day stays to fence off late writes.
const CLOSED_TOMBSTONE: Duration = Duration::from_secs(15 * 60);

/// One business day as Postgres has it.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRow {
    pub id: Uuid,
    pub store_id: Uuid,
    pub state: DayState,
    pub stream_key: String,
    pub prepared_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closing_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Transitions recorded for the day so far; orders the Redis copies.
    pub rev: i64,
}

struct RawDay {
    id: Uuid,
    store_id: Uuid,
    state: String,
    stream_key: String,
    ready_at: DateTime<Utc>,
    opened_at: Option<DateTime<Utc>>,
    closing_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    rev: i64,
}

impl RawDay {
    fn into_row(self) -> Result<DayRow, StoreError> {
        Ok(DayRow {
            state: self
                .state
                .parse()
                .map_err(|e| StoreError::Internal(format!("day {}: {e}", self.id)))?,
            id: self.id,
            store_id: self.store_id,
            stream_key: self.stream_key,
            prepared_at: self.ready_at,
            opened_at: self.opened_at,
            closing_at: self.closing_at,
            closed_at: self.closed_at,
            rev: self.rev,
        })
    }
}

/// `sqlx::query_as!` of [`RawDay`]s: every day column and the day's revision, from
/// `day_business d` with `$filter` (`WHERE …`) and its arguments.
macro_rules! select_days {
    ($filter:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            RawDay,
            "SELECT d.id, d.store_id, d.state, d.stream_key, d.ready_at, d.opened_at, \
                 d.closing_at, d.closed_at, \
                 (SELECT count(*) FROM business_history h WHERE h.day_business_id = d.id) \
                     AS \"rev!\" \
             FROM day_business d "
                + $filter
            $(, $arg)*
        )
    };
}

/// Serialises every transition of one store; `false` when the store does not exist. NO KEY
/// UPDATE, so rows referencing the store written meanwhile (their foreign key takes KEY SHARE)
/// are not held up.
pub async fn lock_store(conn: &mut PgConnection, store_id: Uuid) -> Result<bool, StoreError> {
    let found: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM store WHERE id = $1 FOR NO KEY UPDATE",
        store_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

pub async fn store_exists(conn: &mut PgConnection, store_id: Uuid) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM store WHERE id = $1) AS \"exists!\"",
        store_id
    )
    .fetch_one(conn)
    .await?)
}

/// The store's day that is not closed yet, if any (at most one: a unique index says so).
pub async fn active_day(
    conn: &mut PgConnection,
    store_id: Uuid,
) -> Result<Option<DayRow>, StoreError> {
    let raw = select_days!("WHERE d.store_id = $1 AND d.state <> 'CLOSED'", store_id)
        .fetch_optional(conn)
        .await?;
    raw.map(RawDay::into_row).transpose()
}

/// The active days of the given stores.
pub async fn active_days(
    conn: &mut PgConnection,
    store_ids: &[Uuid],
) -> Result<Vec<DayRow>, StoreError> {
    let raws = select_days!(
        "WHERE d.store_id = ANY($1) AND d.state <> 'CLOSED'",
        store_ids
    )
    .fetch_all(conn)
    .await?;
    raws.into_iter().map(RawDay::into_row).collect()
}

/// Every day still active, and the days closed within `closed_within`, for the reconciler.
pub async fn days_to_reconcile(
    conn: &mut PgConnection,
    closed_within: Duration,
) -> Result<Vec<DayRow>, StoreError> {
    let raws = select_days!(
        "WHERE d.state <> 'CLOSED' OR d.closed_at > now() - make_interval(secs => $1)",
        closed_within.as_secs_f64()
    )
    .fetch_all(conn)
    .await?;
    raws.into_iter().map(RawDay::into_row).collect()
}

/// The store's most recently closed day with its summary.
pub async fn last_closed_day(
    conn: &mut PgConnection,
    store_id: Uuid,
) -> Result<Option<(DayRow, Option<serde_json::Value>)>, StoreError> {
    let row = sqlx::query!(
        "SELECT d.id, d.store_id, d.state, d.stream_key, d.ready_at, d.opened_at, \
             d.closing_at, d.closed_at, \
             (SELECT count(*) FROM business_history h WHERE h.day_business_id = d.id) \
                 AS \"rev!\", \
             d.summary \
         FROM day_business d \
         WHERE d.store_id = $1 AND d.state = 'CLOSED' ORDER BY d.closed_at DESC LIMIT 1",
        store_id
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let day = RawDay {
            id: r.id,
            store_id: r.store_id,
            state: r.state,
            stream_key: r.stream_key,
            ready_at: r.ready_at,
            opened_at: r.opened_at,
            closing_at: r.closing_at,
            closed_at: r.closed_at,
            rev: r.rev,
        };
        Ok((day.into_row()?, r.summary))
    })
    .transpose()
}

pub async fn insert_day(
    conn: &mut PgConnection,
    day_id: Uuid,
    store_id: Uuid,
    stream_key: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO day_business (id, store_id, state, stream_key) VALUES ($1, $2, 'PREPARING', $3)",
        day_id,
        store_id,
        stream_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the day from `from` to `to` with the matching timestamps; `false` when the day was not in
/// `from` any more (someone else moved it first).
pub async fn update_state(
    conn: &mut PgConnection,
    day_id: Uuid,
    from: DayState,
    to: DayState,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE day_business SET state = $3, \
             opened_at = CASE WHEN $3 = 'OPEN' THEN COALESCE(opened_at, now()) ELSE opened_at END, \
             closing_at = CASE WHEN $3 = 'CLOSING' THEN now() ELSE closing_at END, \
             closed_at = CASE WHEN $3 = 'CLOSED' THEN now() ELSE closed_at END, \
             updated_at = now() \
         WHERE id = $1 AND state = $2",
        day_id,
        from.code(),
        to.code()
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_history(
    conn: &mut PgConnection,
    day_id: Uuid,
    store_id: Uuid,
    from: Option<DayState>,
    to: DayState,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO business_history (id, day_business_id, store_id, from_state, to_state, actor) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::now_v7(),
        day_id,
        store_id,
        from.map(DayState::code),
        to.code(),
        actor
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn day_by_id(conn: &mut PgConnection, day_id: Uuid) -> Result<DayRow, StoreError> {
    let raw = select_days!("WHERE d.id = $1", day_id)
        .fetch_one(conn)
        .await?;
    raw.into_row()
}

/// Who moved the day, as `business_history.actor` records it: the account's login.
pub async fn actor_login(
    conn: &mut PgConnection,
    store_id: Uuid,
    account_id: Option<Uuid>,
) -> Result<Option<String>, StoreError> {
    let Some(account_id) = account_id else {
        return Ok(None);
    };
    Ok(sqlx::query_scalar!(
        "SELECT login FROM store_account WHERE id = $1 AND store_id = $2",
        account_id,
        store_id
    )
    .fetch_optional(conn)
    .await?)
}

/// The calendar day in Korea the business belongs to.
pub async fn business_date(
    conn: &mut PgConnection,
    day_id: Uuid,
) -> Result<chrono::NaiveDate, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT business_date FROM day_business WHERE id = $1",
        day_id
    )
    .fetch_one(conn)
    .await?)
}

/// The database clock, the one `closing_at` was taken from.
pub async fn db_now(conn: &mut PgConnection) -> Result<DateTime<Utc>, StoreError> {
    Ok(sqlx::query_scalar!(r#"SELECT now() AS "now!""#)
        .fetch_one(conn)
        .await?)
}

pub async fn write_summary(
    conn: &mut PgConnection,
    day_id: Uuid,
    summary: &Summary,
) -> Result<(), StoreError> {
    let json = serde_json::to_value(summary).map_err(|e| StoreError::Internal(e.to_string()))?;
    sqlx::query!(
        "UPDATE day_business SET summary = $2, order_count = $3, gross = $4, canceled = $5, \
         net = $6, updated_at = now() WHERE id = $1",
        day_id,
        json,
        i32::try_from(summary.order_count).unwrap_or(i32::MAX),
        summary.gross,
        summary.canceled,
        summary.net
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn store_location(
    conn: &mut PgConnection,
    store_ids: &[Uuid],
) -> Result<HashMap<Uuid, (f64, f64)>, StoreError> {
    let rows = sqlx::query!(
        "SELECT store_id, latitude, longitude FROM store_location WHERE store_id = ANY($1)",
        store_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.store_id, (r.latitude, r.longitude)))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

// KEYS: state hash, GEO set, the day's nickname set. ARGV: day id, rev, geo action ('add' |
// 'rem' | 'keep'), lng, lat, store id, hash ttl ms ('0' = none, else the day is CLOSED), then the
// hash's field pairs.
// An older revision changes nothing; the same revision only repairs GEO membership and the
// nickname set (a rebuild after Redis lost part of its data, or a close whose write failed); a
// newer one replaces the hash.
static WRITE_LIVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local cur = redis.call('HMGET', KEYS[1], 'day_business_id', 'rev')
        local newer = true
        if cur[1] then
            if cur[1] > ARGV[1] then return 0 end
            if cur[1] == ARGV[1] then
                local held = tonumber(cur[2]) or -1
                if held > tonumber(ARGV[2]) then return 0 end
                newer = held < tonumber(ARGV[2])
            end
        end
        if newer then
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], unpack(ARGV, 8))
            if ARGV[7] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
        end
        if ARGV[3] == 'add' then
            redis.call('GEOADD', KEYS[2], ARGV[4], ARGV[5], ARGV[6])
        elseif ARGV[3] == 'rem' then
            redis.call('ZREM', KEYS[2], ARGV[6])
        end
        if ARGV[7] ~= '0' then redis.call('DEL', KEYS[3]) end
        return 1
        ",
    )
});

/// Stores that appear in nearby search: the ones a customer could walk into now.
pub fn in_nearby_search(state: DayState) -> bool {
    matches!(state, DayState::Open | DayState::Break)
}

/// Times in the hash are Unix microseconds, Postgres's precision, so a rebuilt copy is identical.
fn micros(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.timestamp_micros().to_string())
        .unwrap_or_default()
}

/// Writes the day's live copy and its GEO membership; a CLOSED day also loses its nickname set.
/// `location` is (lat, lng) when the store has one; without it the store never appears in nearby
/// search.
pub async fn write_live(
    redis: &ConnectionManager,
    keys: &StoreKeys,
    day: &DayRow,
    location: Option<(f64, f64)>,
) -> Result<(), StoreError> {
    let mut conn = redis.clone();
    let (geo, lat, lng) = match location {
        Some((lat, lng)) if in_nearby_search(day.state) => ("add", lat, lng),
        _ => ("rem", 0.0, 0.0),
    };
    let ttl = if day.state == DayState::Closed {
        CLOSED_TOMBSTONE.as_millis().to_string()
    } else {
        "0".to_owned()
    };
    let mut invocation = WRITE_LIVE.prepare_invoke();
    invocation
        .key(keys.day_state(day.store_id))
        .key(keys.stores_geo())
        .key(keys.day_nicknames(day.store_id, day.id))
        .arg(day.id.to_string())
        .arg(day.rev)
        .arg(geo)
        .arg(lng)
        .arg(lat)
        .arg(day.store_id.to_string())
        .arg(ttl);
    let fields = [
        ("day_business_id", day.id.to_string()),
        ("rev", day.rev.to_string()),
        ("state", day.state.code().to_owned()),
        ("stream_key", day.stream_key.clone()),
        ("prepared_at", micros(Some(day.prepared_at))),
        ("opened_at", micros(day.opened_at)),
        ("closing_at", micros(day.closing_at)),
        ("closed_at", micros(day.closed_at)),
    ];
    for (name, value) in fields {
        invocation.arg(name).arg(value);
    }
    invocation.invoke_async::<i64>(&mut conn).await?;
    Ok(())
}

/// The live copies of the given stores' days: `None` where Redis has no hash (or an unreadable
/// one), for the caller to rebuild from Postgres.
pub async fn read_live(
    redis: &ConnectionManager,
    keys: &StoreKeys,
    store_ids: &[Uuid],
) -> Result<Vec<Option<DayRow>>, StoreError> {
    if store_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = redis.clone();
    let mut pipe = redis::pipe();
    for id in store_ids {
        pipe.hgetall(keys.day_state(*id));
    }
    let hashes: Vec<HashMap<String, String>> = pipe.query_async(&mut conn).await?;
    Ok(store_ids
        .iter()
        .zip(hashes)
        .map(|(id, h)| parse_live(*id, h))
        .collect())
}

fn parse_live(store_id: Uuid, mut h: HashMap<String, String>) -> Option<DayRow> {
    let time = |v: Option<String>| -> Option<Option<DateTime<Utc>>> {
        match v.as_deref() {
            None | Some("") => Some(None),
            Some(s) => Some(Some(DateTime::from_timestamp_micros(s.parse().ok()?)?)),
        }
    };
    Some(DayRow {
        id: h.remove("day_business_id")?.parse().ok()?,
        store_id,
        state: h.remove("state")?.parse().ok()?,
        stream_key: h.remove("stream_key")?,
        prepared_at: time(h.remove("prepared_at"))??,
        opened_at: time(h.remove("opened_at"))?,
        closing_at: time(h.remove("closing_at"))?,
        closed_at: time(h.remove("closed_at"))?,
        rev: h.remove("rev")?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_hash_parses_and_rejects_damaged_fields() {
        let store_id = Uuid::now_v7();
        let day_id = Uuid::now_v7();
        let mut h: HashMap<String, String> = [
            ("day_business_id", day_id.to_string()),
            ("rev", "2".into()),
            ("state", "OPEN".into()),
            ("stream_key", contracts::day_stream::key(store_id, day_id)),
            ("prepared_at", "1700000000000000".into()),
            ("opened_at", "1700000060000000".into()),
            ("closing_at", String::new()),
            ("closed_at", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let day = parse_live(store_id, h.clone()).unwrap();
        assert_eq!(day.state, DayState::Open);
        assert_eq!(day.rev, 2);
        assert_eq!(day.opened_at.unwrap().timestamp(), 1_700_000_060);
        assert_eq!(day.closing_at, None);
        h.insert("prepared_at".into(), "soon".into());
        assert_eq!(parse_live(store_id, h), None);
        assert_eq!(parse_live(store_id, HashMap::new()), None);
    }
}
