//! Sessions and failed-login counters in Redis.
//!
//! A session is a hash `session:{sha256(id)}`: the id itself is never stored, so whoever reads a
//! Redis dump or a replica holds no session a browser could present. A viewer's `parent` and the
//! store's admin pointer hold digests too. A session outlives its own expiry by a tombstone period so a
//! request from an old tab learns *why* it was signed out (replaced, expired) instead of "unknown".
//! `store:{id}:admin_session` names the store's current admin session (by digest); a login swaps it with a
//! compare-and-set script so two simultaneous logins cannot both stay valid.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use domain::{AccountId, StoreId};
use redis::Script;
use redis::aio::ConnectionManager;

use super::StoreKeys;
use crate::error::StoreError;
use crate::login_limit::{LoginLimits, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRole {
    Admin,
    Viewer,
}

impl SessionRole {
    fn as_str(self) -> &'static str {
        match self {
            SessionRole::Admin => "admin",
            SessionRole::Viewer => "viewer",
        }
    }
}

/// A session as stored; times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub store_id: StoreId,
    pub account_id: AccountId,
    pub login_id: String,
    pub role: SessionRole,
    /// The digest of the admin session's id a viewer session hangs off.
    pub parent: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub idle_expires_at_ms: i64,
    /// Set when a newer admin login ended this session.
    pub replaced: bool,
}

impl SessionRecord {
    fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("store_id", self.store_id.to_string()),
            ("account_id", self.account_id.to_string()),
            ("login_id", self.login_id.clone()),
            ("role", self.role.as_str().to_owned()),
            ("parent", self.parent.clone().unwrap_or_default()),
            ("created_at", self.created_at_ms.to_string()),
            ("expires_at", self.expires_at_ms.to_string()),
            ("idle_expires_at", self.idle_expires_at_ms.to_string()),
            (
                "ended",
                if self.replaced { "replaced" } else { "" }.to_owned(),
            ),
        ]
    }

    /// `None` for a hash that is missing or not a session (never trust its shape blindly).
    fn from_fields(mut f: HashMap<String, String>) -> Option<SessionRecord> {
        let mut take = |name: &str| f.remove(name);
        Some(SessionRecord {
            store_id: take("store_id")?.parse().ok()?,
            account_id: take("account_id")?.parse().ok()?,
            login_id: take("login_id")?,
            role: match take("role")?.as_str() {
                "admin" => SessionRole::Admin,
                "viewer" => SessionRole::Viewer,
                _ => return None,
            },
            parent: take("parent").filter(|p| !p.is_empty()),
            created_at_ms: take("created_at")?.parse().ok()?,
            expires_at_ms: take("expires_at")?.parse().ok()?,
            idle_expires_at_ms: take("idle_expires_at")?.parse().ok()?,
            replaced: take("ended").is_some_and(|e| e == "replaced"),
        })
    }
}

// KEYS: admin pointer, new session, old session (the new one again when there is none).
// ARGV: expected current pointer ('' for none), new id's digest, now ms, ttl ms, then the field pairs.
// Returns -1 when the pointer moved since it was read (the caller retries), else 1 when a live
// admin session was ended by this login, 0 otherwise.
static ADMIN_LOGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local current = redis.call('GET', KEYS[1]) or ''
        if current ~= ARGV[1] then return -1 end
        local replaced = 0
        if current ~= '' then
            local old = redis.call('HMGET', KEYS[3], 'ended', 'expires_at', 'idle_expires_at')
            local now = tonumber(ARGV[3])
            if old[2] and (not old[1] or old[1] == '')
                and tonumber(old[2]) > now and tonumber(old[3]) > now then
                redis.call('HSET', KEYS[3], 'ended', 'replaced')
                replaced = 1
            end
        end
        redis.call('HSET', KEYS[2], unpack(ARGV, 5))
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
        return replaced
        ",
    )
});

// KEYS: session. ARGV: now ms, new idle expiry ms. Renews only a live session, and never past
// its absolute expiry. Returns the idle expiry set, or 0.
static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local s = redis.call('HMGET', KEYS[1], 'ended', 'expires_at', 'idle_expires_at')
        if not s[2] then return 0 end
        if s[1] and s[1] ~= '' then return 0 end
        local now = tonumber(ARGV[1])
        if tonumber(s[2]) <= now or tonumber(s[3]) <= now then return 0 end
        local idle = ARGV[2]
        if tonumber(idle) > tonumber(s[2]) then idle = s[2] end
        redis.call('HSET', KEYS[1], 'idle_expires_at', idle)
        return tonumber(idle)
        ",
    )
});

// KEYS: session, admin pointer. ARGV: the session id's digest.
static LOGOUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        redis.call('DEL', KEYS[1])
        if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
        return 1
        ",
    )
});

// Reserves one login attempt before its password is checked, or says how long to wait.
// KEYS: the (login, address) pair hash, the login's counter, then the address's counter if known.
// ARGV: now ms, per-client limit, lock base ms, lock max ms, per-account limit, account window
// ms, per-address limit, address window ms.
// Returns 0 when reserved (every counter went up by one), else the ms until the longest lock in
// the way ends. Refused attempts count nowhere, so an owner retrying during a lock does not
// lengthen it.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local now = tonumber(ARGV[1])
        local wait = 0
        local locked = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
        if locked > now then wait = locked - now end
        local function over(key, limit)
            local n = tonumber(redis.call('GET', key) or '0')
            if n >= tonumber(limit) then
                local ttl = redis.call('PTTL', key)
                if ttl < 1 then ttl = 1000 end
                if ttl > wait then wait = ttl end
            end
        end
        over(KEYS[2], ARGV[5])
        if KEYS[3] then over(KEYS[3], ARGV[7]) end
        if wait > 0 then return wait end

        local function count(key, window)
            local n = redis.call('INCR', key)
            if n == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
        end
        count(KEYS[2], ARGV[6])
        if KEYS[3] then count(KEYS[3], ARGV[8]) end
        local failures = redis.call('HINCRBY', KEYS[1], 'count', 1)
        local limit = tonumber(ARGV[2])
        local lock = 0
        if failures >= limit then
            lock = math.min(tonumber(ARGV[3]) * 2 ^ (failures - limit), tonumber(ARGV[4]))
            redis.call('HSET', KEYS[1], 'locked_until', string.format('%.0f', now + lock))
        end
        -- The pair's history outlives its lock by a day, so the next lock keeps growing.
        redis.call('PEXPIRE', KEYS[1], string.format('%.0f', lock + 86400000))
        return 0
        ",
    )
});

// A reserved attempt whose password was right. KEYS as for RESERVE. Forgets the pair and gives
// back the attempt on the other counters (never below zero).
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        redis.call('DEL', KEYS[1])
        for i = 2, #KEYS do
            if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
        end
        return 1
        ",
    )
});

/// The SHA-256 of a session id, hex: what Redis holds in its place. The id has 256 random bits,
/// so a plain hash is enough; nothing can be guessed from the digest back to it.
pub fn digest(session_id: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(session_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How many times a login retries the admin pointer swap when another login raced it.
const LOGIN_CAS_ATTEMPTS: usize = 5;

pub struct SessionStore {
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
}

impl SessionStore {
    pub async fn load(&self, session_id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.load_by_digest(&digest(session_id)).await
    }

    /// A session by the digest of its id (a viewer's `parent`).
    pub async fn load_by_digest(&self, digest: &str) -> Result<Option<SessionRecord>, StoreError> {
        let mut conn = self.redis.clone();
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.keys.session(digest))
            .query_async(&mut conn)
            .await?;
        Ok(SessionRecord::from_fields(fields))
    }

    /// Stores a new admin session and makes it the store's only one. Returns whether a live
    /// admin session was ended by it. `key_ttl` covers the session's life plus its tombstone.
    pub async fn create_admin(
        &self,
        session_id: &str,
        record: &SessionRecord,
        now_ms: i64,
        key_ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut conn = self.redis.clone();
        let pointer = self.keys.admin_session(record.store_id);
        let new_digest = digest(session_id);
        let new_key = self.keys.session(&new_digest);
        for _ in 0..LOGIN_CAS_ATTEMPTS {
            let current: Option<String> = redis::cmd("GET")
                .arg(&pointer)
                .query_async(&mut conn)
                .await?;
            let old_key = current
                .as_deref()
                .map_or_else(|| new_key.clone(), |current| self.keys.session(current));
            let mut invocation = ADMIN_LOGIN.prepare_invoke();
            invocation
                .key(&pointer)
                .key(&new_key)
                .key(&old_key)
                .arg(current.as_deref().unwrap_or(""))
                .arg(&new_digest)
                .arg(now_ms)
                .arg(ttl_ms(key_ttl));
            for (name, value) in record.fields() {
                invocation.arg(name).arg(value);
            }
            let outcome: i64 = invocation.invoke_async(&mut conn).await?;
            if outcome >= 0 {
                return Ok(outcome == 1);
            }
        }
        Err(StoreError::Conflict(
            "동시에 여러 곳에서 로그인하고 있습니다. 다시 시도해 주세요".to_owned(),
        ))
    }

    pub async fn create_viewer(
        &self,
        session_id: &str,
        record: &SessionRecord,
        key_ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut conn = self.redis.clone();
        let key = self.keys.session(&digest(session_id));
        let fields = record.fields();
        redis::pipe()
            .atomic()
            .hset_multiple(&key, &fields)
            .ignore()
            .pexpire(&key, ttl_ms(key_ttl))
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    /// Renews the idle expiry of a live session; returns the expiry now in force, or `None` when
    /// the session ended meanwhile.
    pub async fn touch(
        &self,
        session_id: &str,
        now_ms: i64,
        idle_until_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.redis.clone();
        let set: i64 = TOUCH
            .key(self.keys.session(&digest(session_id)))
            .arg(now_ms)
            .arg(idle_until_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok((set > 0).then_some(set))
    }

    pub async fn end(&self, session_id: &str, store_id: StoreId) -> Result<(), StoreError> {
        let mut conn = self.redis.clone();
        let digest = digest(session_id);
        LOGOUT
            .key(self.keys.session(&digest))
            .key(self.keys.admin_session(store_id))
            .arg(&digest)
            .invoke_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    /// Reserves a login attempt for `account_bucket` from `ip_bucket` (see `RESERVE`).
    pub async fn reserve_attempt(
        &self,
        account_bucket: &str,
        ip_bucket: Option<&str>,
        limits: &LoginLimits,
        now_ms: i64,
    ) -> Result<Verdict, StoreError> {
        let mut conn = self.redis.clone();
        let mut invocation = RESERVE.prepare_invoke();
        self.attempt_keys(&mut invocation, account_bucket, ip_bucket);
        invocation
            .arg(now_ms)
            .arg(limits.per_client)
            .arg(ttl_ms(limits.lock_base))
            .arg(ttl_ms(limits.lock_max))
            .arg(limits.per_account)
            .arg(ttl_ms(limits.account_window))
            .arg(limits.per_ip)
            .arg(ttl_ms(limits.window));
        let wait_ms: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(Verdict::from_wait_ms(wait_ms))
    }

    /// The reserved attempt was the right password: it counts as no failure.
    pub async fn release_attempt(
        &self,
        account_bucket: &str,
        ip_bucket: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut conn = self.redis.clone();
        let mut invocation = RELEASE.prepare_invoke();
        self.attempt_keys(&mut invocation, account_bucket, ip_bucket);
        invocation.invoke_async::<i64>(&mut conn).await?;
        Ok(())
    }

    fn attempt_keys(
        &self,
        invocation: &mut redis::ScriptInvocation<'_>,
        account_bucket: &str,
        ip_bucket: Option<&str>,
    ) {
        invocation
            .key(
                self.keys
                    .login_failures_pair(account_bucket, ip_bucket.unwrap_or("unknown")),
            )
            .key(self.keys.login_failures_account(account_bucket));
        if let Some(bucket) = ip_bucket {
            invocation.key(self.keys.login_failures_ip(bucket));
        }
    }
}

fn ttl_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_hash_fields() {
        let record = SessionRecord {
            store_id: StoreId::new(),
            account_id: AccountId::new(),
            login_id: "demo".into(),
            role: SessionRole::Viewer,
            parent: Some("abc".into()),
            created_at_ms: 1,
            expires_at_ms: 3,
            idle_expires_at_ms: 2,
            replaced: true,
        };
        let fields = record
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(SessionRecord::from_fields(fields), Some(record));
    }

    #[test]
    fn a_hash_that_is_not_a_session_reads_as_none() {
        assert_eq!(SessionRecord::from_fields(HashMap::new()), None);
        let fields = [("store_id", "x"), ("role", "admin")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(SessionRecord::from_fields(fields), None);
    }
}
