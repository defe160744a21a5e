//! Payment sessions and tokens in Redis (DESIGN §4):
//!
//! - `{prefix}pay:session:{customer}` → the [`Session`] (JSON), for the payment window plus a margin;
//! - `{prefix}pay:token:{token}` → its [`Binding`] (JSON), for the payment window, used once;
//! - `{prefix}pay:used:{token}` → the order id, once the token is used (window plus margin), so a
//!   repeated approval URL can still say which order it was.
//!
//! Every change touching more than one key is one Lua script, so a crash or a concurrent
//! 결제하기 never leaves a session pointing at a dead token or a live token without a session.

use std::sync::LazyLock;
use std::time::Duration;

use domain::{CustomerId, OrderId};
use platform::redis::{Keys, Traced};
use redis::aio::ConnectionManager;

use crate::session::{Binding, Session, Token};

/// Replaces the customer's session if it still holds the token the caller saw ('' = none),
/// deleting the old token so its approval URL stops working.
static REPLACE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        -- KEYS[1] session, KEYS[2] new token
        -- ARGV[1] expected current token ('' = none), ARGV[2] session json, ARGV[3] binding json,
        -- ARGV[4] session ttl ms, ARGV[5] token ttl ms, ARGV[6] token key prefix
        local current = ''
        local raw = redis.call('GET', KEYS[1])
        if raw then
            local ok, s = pcall(cjson.decode, raw)
            if ok and type(s) == 'table' and type(s.token) == 'string' then
                current = s.token
            end
        end
        if current ~= ARGV[1] then
            return 0
        end
        if current ~= '' then
            redis.call('DEL', ARGV[6] .. current)
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
        return 1
        ",
    )
});

/// GETDEL of the token (or GET when peeking), leaving a used-marker behind.
static RESOLVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        -- KEYS[1] token, KEYS[2] used-marker
        -- ARGV[1] '1' to peek, ARGV[2] used-marker ttl ms
        local raw = redis.call('GET', KEYS[1])
        if raw then
            if ARGV[1] ~= '1' then
                redis.call('DEL', KEYS[1])
                local ok, b = pcall(cjson.decode, raw)
                if ok and type(b) == 'table' and type(b.order_id) == 'string' then
                    redis.call('SET', KEYS[2], b.order_id, 'PX', ARGV[2])
                end
            end
            return {1, raw}
        end
        local used = redis.call('GET', KEYS[2])
        if used then
            return {2, used}
        end
        return {0, ''}
        ",
    )
});

/// Deletes the session and its token, if the session is for the given order ('' = any).
static END: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        -- KEYS[1] session; ARGV[1] order id or '', ARGV[2] token key prefix
        local raw = redis.call('GET', KEYS[1])
        if not raw then
            return 0
        end
        local ok, s = pcall(cjson.decode, raw)
        if ok and type(s) == 'table' then
            local order_id = type(s.binding) == 'table' and s.binding.order_id or nil
            if ARGV[1] ~= '' and order_id ~= ARGV[1] then
                return 0
            end
            if type(s.token) == 'string' then
                redis.call('DEL', ARGV[2] .. s.token)
            end
        end
        redis.call('DEL', KEYS[1])
        return 1
        ",
    )
});

/// What a token leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Bound(Binding),
    /// Already used, for this order.
    Used {
        order_id: String,
    },
    /// Unknown, expired, or its session was replaced or ended.
    Unknown,
}

#[derive(Clone)]
pub struct SessionStore {
    pub redis: ConnectionManager,
    pub keys: Keys,
}

impl SessionStore {
    fn session_key(&self, customer: CustomerId) -> String {
        self.keys.key(&format!("pay:session:{customer}"))
    }

    fn token_prefix(&self) -> String {
        self.keys.key("pay:token:")
    }

    fn token_key(&self, token: &Token) -> String {
        format!("{}{}", self.token_prefix(), token.as_str())
    }

    fn used_key(&self, token: &Token) -> String {
        self.keys.key(&format!("pay:used:{}", token.as_str()))
    }

    /// The customer's live session. An unreadable one counts as none (and is overwritten by the
    /// next 결제하기).
    pub async fn session(&self, customer: CustomerId) -> redis::RedisResult<Option<Session>> {
        let raw: Option<String> = redis::cmd("GET")
            .arg(self.session_key(customer))
            .query_async(&mut Traced(self.redis.clone()))
            .await?;
        Ok(raw.and_then(|raw| match serde_json::from_str(&raw) {
            Ok(session) => Some(session),
            Err(e) => {
                tracing::warn!(%customer, error = %e, "unreadable payment session ignored");
                None
            }
        }))
    }

    /// Stores `new` as the customer's session if the current one still holds `expected`
    /// (`None`: there is none). False when another change came first.
    pub async fn replace(
        &self,
        expected: Option<&Token>,
        new: &Session,
        session_ttl: Duration,
        token_ttl: Duration,
    ) -> redis::RedisResult<bool> {
        let session_json = to_json(new)?;
        let binding_json = to_json(&new.binding)?;
        let replaced: i64 = REPLACE
            .key(self.session_key(new.binding.customer_id))
            .key(self.token_key(&new.token))
            .arg(expected.map(Token::as_str).unwrap_or(""))
            .arg(session_json)
            .arg(binding_json)
            .arg(millis(session_ttl))
            .arg(millis(token_ttl))
            .arg(self.token_prefix())
            .invoke_async(&mut Traced(self.redis.clone()))
            .await?;
        Ok(replaced == 1)
    }

    /// The token's binding. Unless `peek`, the token is used up: a second call finds
    /// [`Resolved::Used`].
    pub async fn resolve(
        &self,
        token: &Token,
        peek: bool,
        used_ttl: Duration,
    ) -> redis::RedisResult<Resolved> {
        let (found, raw): (i64, String) = RESOLVE
            .key(self.token_key(token))
            .key(self.used_key(token))
            .arg(if peek { "1" } else { "0" })
            .arg(millis(used_ttl))
            .invoke_async(&mut Traced(self.redis.clone()))
            .await?;
        Ok(match found {
            1 => match serde_json::from_str(&raw) {
                Ok(binding) => Resolved::Bound(binding),
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable payment token binding ignored");
                    Resolved::Unknown
                }
            },
            2 => Resolved::Used { order_id: raw },
            _ => Resolved::Unknown,
        })
    }

    /// Ends the customer's session (and kills its token) if it is for `order` (`None`: any).
    pub async fn end(
        &self,
        customer: CustomerId,
        order: Option<OrderId>,
    ) -> redis::RedisResult<bool> {
        let ended: i64 = END
            .key(self.session_key(customer))
            .arg(order.map(|o| o.to_string()).unwrap_or_default())
            .arg(self.token_prefix())
            .invoke_async(&mut Traced(self.redis.clone()))
            .await?;
        Ok(ended == 1)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> redis::RedisResult<String> {
    serde_json::to_string(value).map_err(|e| {
        redis::RedisError::from((
            redis::ErrorKind::Client,
            "cannot serialize a payment session",
            e.to_string(),
        ))
    })
}

/// Redis PX wants at least 1 ms.
fn millis(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}
