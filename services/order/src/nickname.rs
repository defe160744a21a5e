//! The name called at the counter, assigned when an order is approved: the customer's own
//! nickname, or a generated Korean one ("행복한 판다"). It is unique among the store's
//! not-yet-ready orders of the business day, held in a Redis set; a taken name gets 2 random
//! digits, then 3, and so on. READY and CANCELED (and FAILED) orders give theirs back.
//!
//! The set is trusted only while it holds its completeness mark, which is put there together
//! with the names Postgres says are held: a set without it (the day's first order, or Redis
//! restarted empty) is filled from Postgres before a name is chosen, so a waiting customer's
//! name is never handed out twice.

use std::sync::LazyLock;
use std::time::Duration;

use domain::{BusinessDayId, StoreId};
use rand::Rng;
use rand::seq::IndexedRandom;
use redis::Script;
use redis::aio::ConnectionManager;
use sqlx::PgPool;

use crate::error::OrderError;
use crate::storage::OrderKeys;
use crate::storage::orders as db;

const ADJECTIVES: [&str; 20] = [
    "행복한",
    "용감한",
    "졸린",
    "배고픈",
    "신나는",
    "느긋한",
    "반짝이는",
    "수줍은",
    "씩씩한",
    "든든한",
    "상냥한",
    "명랑한",
    "포근한",
    "날쌘",
    "똑똑한",
    "귀여운",
    "다정한",
    "부지런한",
    "차분한",
    "유쾌한",
];

const NOUNS: [&str; 20] = [
    "판다",
    "고양이",
    "강아지",
    "다람쥐",
    "펭귄",
    "토끼",
    "수달",
    "코알라",
    "여우",
    "부엉이",
    "고래",
    "햄스터",
    "기린",
    "사자",
    "호랑이",
    "돌고래",
    "거북이",
    "참새",
    "너구리",
    "알파카",
];

/// The set outlives any business day; the store service deletes it at closing, this is only a
/// backstop for a day that never closes.
const SET_TTL: Duration = Duration::from_secs(3 * 24 * 3600);
/// Candidates of each digit count tried in one script call.
const TRIES_PER_LENGTH: usize = 3;
/// Digit counts tried: 2, 3, … up to this.
const MAX_DIGITS: u32 = 8;

/// A member no nickname can be (names are trimmed text): the set was filled from Postgres.
const COMPLETE: &str = "\u{0}complete";

// KEYS: the day's nickname set. ARGV: ttl ms, the completeness mark, candidates in order. Adds
// and returns the first candidate not yet in the set, false when all are taken, or 0 when the
// set lacks its mark and must be filled from Postgres first.
static RESERVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0 then return 0 end
        for i = 3, #ARGV do
            if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
                redis.call('PEXPIRE', KEYS[1], ARGV[1])
                return ARGV[i]
            end
        end
        return false
        ",
    )
});

/// A random adjective + noun, e.g. "행복한 판다".
pub fn generate(rng: &mut impl Rng) -> String {
    let adjective = ADJECTIVES.choose(rng).copied().unwrap_or("행복한");
    let noun = NOUNS.choose(rng).copied().unwrap_or("판다");
    format!("{adjective} {noun}")
}

fn with_digits(base: &str, digits: u32, rng: &mut impl Rng) -> String {
    let low = 10_u64.pow(digits - 1);
    format!("{base}{}", rng.random_range(low..low * 10))
}

/// The names to try, in order: the base itself, then the base with 2 random digits (a few
/// times), then with 3, and so on.
pub fn candidates(base: &str, rng: &mut impl Rng) -> Vec<String> {
    let mut names = vec![base.to_owned()];
    for digits in 2..=MAX_DIGITS {
        for _ in 0..TRIES_PER_LENGTH {
            names.push(with_digits(base, digits, rng));
        }
    }
    names
}

/// What the reserve script answered.
enum Reserved {
    Name(String),
    AllTaken,
    Incomplete,
}

impl redis::FromRedisValue for Reserved {
    fn from_redis_value(value: redis::Value) -> Result<Reserved, redis::ParsingError> {
        Ok(match value {
            redis::Value::Int(0) => Reserved::Incomplete,
            redis::Value::Nil | redis::Value::Boolean(false) => Reserved::AllTaken,
            other => Reserved::Name(String::from_redis_value(other)?),
        })
    }
}

#[derive(Clone)]
pub struct Nicknames {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: OrderKeys,
}

impl Nicknames {
    /// Takes a name for an order: `own` (the customer's nickname) when given, otherwise a
    /// generated one; with digits added when it is taken.
    pub async fn reserve(
        &self,
        store: StoreId,
        day: BusinessDayId,
        own: Option<&str>,
    ) -> Result<String, OrderError> {
        let base = match own.map(str::trim).filter(|n| !n.is_empty()) {
            Some(own) => own.to_owned(),
            None => generate(&mut rand::rng()),
        };
        let names = candidates(&base, &mut rand::rng());
        let key = self.keys.nicknames(store, day);
        let mut conn = self.redis.clone();
        let mut invocation = RESERVE.key(&key);
        invocation.arg(ttl_ms()).arg(COMPLETE);
        for name in &names {
            invocation.arg(name);
        }
        let mut reserved: Reserved = invocation.invoke_async(&mut conn).await?;
        if matches!(reserved, Reserved::Incomplete) {
            self.fill(store, day, &key).await?;
            reserved = invocation.invoke_async(&mut conn).await?;
        }
        match reserved {
            Reserved::Name(name) => Ok(name),
            Reserved::AllTaken => Err(OrderError::Internal(format!(
                "every nickname like '{base}' is taken"
            ))),
            Reserved::Incomplete => Err(OrderError::Internal(format!(
                "the nickname set {key} lost its mark again while filled"
            ))),
        }
    }

    /// Adds the names Postgres says are held, with the completeness mark, in one command. Two
    /// fills at once add the same names; a name released between the read and the add stays
    /// taken until the day closes, which costs only digits on a later order of that name.
    async fn fill(&self, store: StoreId, day: BusinessDayId, key: &str) -> Result<(), OrderError> {
        let held = db::held_nicknames(&self.pool, store, day).await?;
        tracing::info!(%store, %day, held = held.len(), "nickname set filled from Postgres");
        let mut conn = self.redis.clone();
        redis::pipe()
            .atomic()
            .cmd("SADD")
            .arg(key)
            .arg(COMPLETE)
            .arg(&held)
            .ignore()
            .cmd("PEXPIRE")
            .arg(key)
            .arg(ttl_ms())
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    /// Gives a name back once its order no longer waits at the counter (READY, CANCELED or
    /// FAILED).
    pub async fn release(
        &self,
        store: StoreId,
        day: BusinessDayId,
        nickname: &str,
    ) -> Result<(), OrderError> {
        let mut conn = self.redis.clone();
        let _: i64 = redis::cmd("SREM")
            .arg(self.keys.nicknames(store, day))
            .arg(nickname)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}

fn ttl_ms() -> u64 {
    u64::try_from(SET_TTL.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_an_adjective_and_a_noun() {
        let mut rng = rand::rng();
        for _ in 0..50 {
            let name = generate(&mut rng);
            let (adjective, noun) = name.split_once(' ').unwrap();
            assert!(ADJECTIVES.contains(&adjective), "{name}");
            assert!(NOUNS.contains(&noun), "{name}");
            assert!(name.chars().count() <= 10, "{name}");
        }
    }

    #[test]
    fn candidates_start_with_the_name_then_grow_by_digits() {
        let names = candidates("커피왕", &mut rand::rng());
        assert_eq!(names[0], "커피왕");
        for (i, name) in names[1..].iter().enumerate() {
            let digits = name.strip_prefix("커피왕").unwrap();
            let want = 2 + i / TRIES_PER_LENGTH;
            assert_eq!(digits.len(), want, "{name}");
            assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{name}");
            assert!(!digits.starts_with('0'), "{name}");
        }
        assert_eq!(
            names.len(),
            1 + TRIES_PER_LENGTH * (MAX_DIGITS as usize - 1)
        );
    }
}
