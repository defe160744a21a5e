//! Sessions and failed-login counters in Redis.
//!
//! A session is a hash `session:{id}`. It outlives its own expiry by a tombstone period so a
//! request from an old tab learns *why* it was signed out (replaced, expired) instead of "unknown".
//! `store:{id}:admin_session` names the store's current admin session; a login swaps it with a
//! compare-and-set script so two simultaneous logins cannot both stay valid.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use uuid::Uuid;

use super::StoreKeys;
use crate::error::StoreError;
use crate::login_limit::Counter;

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
    pub store_id: Uuid,
    pub account_id: Uuid,
    pub login_id: String,
    pub role: SessionRole,
    /// The admin session a viewer session hangs off.
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
// ARGV: expected current pointer ('' for none), new id, now ms, ttl ms, then the field pairs.
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

// KEYS: session, admin pointer. ARGV: session id.
static LOGOUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        redis.call('DEL', KEYS[1])
        if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
        return 1
        ",
    )
});

// KEYS: failure counters. ARGV: window ms. A counter always gets an expiry, so no failure count
// can outlive its window.
static RECORD_FAILURE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        for _, key in ipairs(KEYS) do
            local n = redis.call('INCR', key)
            if n == 1 or redis.call('PTTL', key) < 0 then
                redis.call('PEXPIRE', key, ARGV[1])
            end
        end
        return 1
        ",
    )
});

/// How many times a login retries the admin pointer swap when another login raced it.
const LOGIN_CAS_ATTEMPTS: usize = 5;

pub struct SessionStore {
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
}

impl SessionStore {
    pub async fn load(&self, session_id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let mut conn = self.redis.clone();
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.keys.session(session_id))
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
        let new_key = self.keys.session(session_id);
        for _ in 0..LOGIN_CAS_ATTEMPTS {
            let current: Option<String> = redis::cmd("GET")
                .arg(&pointer)
                .query_async(&mut conn)
                .await?;
            let old_key = current
                .as_deref()
                .map_or_else(|| new_key.clone(), |id| self.keys.session(id));
            let mut invocation = ADMIN_LOGIN.prepare_invoke();
            invocation
                .key(&pointer)
                .key(&new_key)
                .key(&old_key)
                .arg(current.as_deref().unwrap_or(""))
                .arg(session_id)
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
        let key = self.keys.session(session_id);
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
            .key(self.keys.session(session_id))
            .arg(now_ms)
            .arg(idle_until_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok((set > 0).then_some(set))
    }

    pub async fn end(&self, session_id: &str, store_id: Uuid) -> Result<(), StoreError> {
        let mut conn = self.redis.clone();
        LOGOUT
            .key(self.keys.session(session_id))
            .key(self.keys.admin_session(store_id))
            .arg(session_id)
            .invoke_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    /// The account's and (when known) the address's failure counters.
    pub async fn failures(
        &self,
        account_bucket: &str,
        ip_bucket: Option<&str>,
    ) -> Result<(Counter, Option<Counter>), StoreError> {
        let account = self
            .counter(&self.keys.login_failures_account(account_bucket))
            .await?;
        let ip = match ip_bucket {
            Some(bucket) => Some(self.counter(&self.keys.login_failures_ip(bucket)).await?),
            None => None,
        };
        Ok((account, ip))
    }

    async fn counter(&self, key: &str) -> Result<Counter, StoreError> {
        let mut conn = self.redis.clone();
        let (count, pttl): (Option<u32>, i64) = redis::pipe()
            .get(key)
            .pttl(key)
            .query_async(&mut conn)
            .await?;
        Ok(Counter {
            failures: count.unwrap_or(0),
            resets_in: Duration::from_millis(u64::try_from(pttl).unwrap_or(0)),
        })
    }

    pub async fn record_failure(
        &self,
        account_bucket: &str,
        ip_bucket: Option<&str>,
        window: Duration,
    ) -> Result<(), StoreError> {
        let mut conn = self.redis.clone();
        let mut invocation = RECORD_FAILURE.key(self.keys.login_failures_account(account_bucket));
        if let Some(bucket) = ip_bucket {
            invocation.key(self.keys.login_failures_ip(bucket));
        }
        invocation
            .arg(ttl_ms(window))
            .invoke_async::<i64>(&mut conn)
            .await?;
        Ok(())
    }

    pub async fn clear_account_failures(&self, account_bucket: &str) -> Result<(), StoreError> {
        let mut conn = self.redis.clone();
        redis::cmd("DEL")
            .arg(self.keys.login_failures_account(account_bucket))
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
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
            store_id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
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
