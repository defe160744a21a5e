//! Customers (identified by Kakao's botUserKey) and their own nicknames, the name called at the
//! counter when an order is ready.
//!
//! Every skill call starts by finding its customer, nearly always one seen moments ago: Redis
//! answers that ([`CACHE_TTL`]), so a read-only skill call needs no Postgres for it. The entry
//! holds the customer's favourites too, which the menu shows as chips on every call. Postgres
//! stays the truth: a miss, a new plusfriend key or any Redis trouble reads (and upserts) there,
//! and a nickname or favourite change moves the entry's generation so no reader puts the old
//! one back.

use std::time::Duration;

use domain::CustomerId;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::OrderError;
use crate::model::{Customer, Favourite};
use crate::storage::customers as db;
use crate::storage::favourites;
use crate::storage::reads::Cache;

/// How long a customer stays in Redis: well within the hour `last_seen_at` is kept to, so a
/// customer who keeps chatting still has it touched about once an hour.
pub const CACHE_TTL: Duration = Duration::from_secs(10 * 60);

use domain::input::NICKNAME_MAX_CHARS;
/// Kakao's keys are far shorter; anything longer is not a key.
const USER_KEY_MAX_CHARS: usize = 200;

/// Why a nickname is refused; the messages are for customers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NicknameError {
    #[error("닉네임을 입력해 주세요. 공백만으로는 정할 수 없어요.")]
    Blank,
    #[error("닉네임은 {NICKNAME_MAX_CHARS}자까지 정할 수 있어요.")]
    TooLong,
    #[error("닉네임에는 한글, 영문, 숫자만 쓸 수 있어요.")]
    BadCharacter,
}

fn allowed(c: char) -> bool {
    matches!(c, '가'..='힣') || c.is_ascii_alphanumeric() || c == ' '
}

/// The nickname to store, or `None` to clear it (an empty input). Outer spaces are dropped and
/// inner runs of spaces become one, so "  김  철수 " is stored as "김 철수".
pub fn normalize_nickname(input: &str) -> Result<Option<String>, NicknameError> {
    if input.is_empty() {
        return Ok(None);
    }
    // Control characters (newlines, tabs, zero-width marks) are refused before splitting on
    // whitespace, which would otherwise hide them.
    if !input.chars().all(allowed) {
        return Err(NicknameError::BadCharacter);
    }
    let words: Vec<&str> = input.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(NicknameError::Blank);
    }
    let nickname = words.join(" ");
    if nickname.chars().count() > NICKNAME_MAX_CHARS {
        return Err(NicknameError::TooLong);
    }
    Ok(Some(nickname))
}

fn check_user_key(name: &str, key: &str) -> Result<(), OrderError> {
    if key.chars().count() > USER_KEY_MAX_CHARS || key.chars().any(char::is_control) {
        return Err(OrderError::Invalid(format!("malformed {name}")));
    }
    Ok(())
}

pub fn parse_customer_id(id: &str) -> Result<CustomerId, OrderError> {
    id.parse()
        .map_err(|_| OrderError::Invalid(format!("malformed customer_id: '{id}'")))
}

fn not_found() -> OrderError {
    OrderError::NotFound("고객 정보를 찾을 수 없어요.".to_owned())
}

/// A customer with every store's favourites as saved, oldest first: the cache entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Known {
    #[serde(flatten)]
    pub customer: Customer,
    /// Required, so an entry cached without them is a miss.
    pub favourites: Vec<Favourite>,
}

pub struct Customers {
    pub pool: PgPool,
    /// Customers by bot user key, [`CACHE_TTL`].
    pub cache: Cache,
}

impl Customers {
    /// The customer of `bot_user_key`, created on first contact. Returns whether it was created.
    pub async fn get_or_create(
        &self,
        bot_user_key: &str,
        plusfriend_user_key: &str,
    ) -> Result<(Known, bool), OrderError> {
        if bot_user_key.trim().is_empty() {
            return Err(OrderError::Invalid("bot_user_key is required".to_owned()));
        }
        check_user_key("bot_user_key", bot_user_key)?;
        check_user_key("plusfriend_user_key", plusfriend_user_key)?;
        let plusfriend = Some(plusfriend_user_key).filter(|k| !k.is_empty());
        let doc = self.cache.keys.customer(bot_user_key);
        let generation = match self.cache.get(&doc).await {
            Ok(lookup) => {
                let cached = lookup
                    .value
                    .and_then(|v| serde_json::from_slice::<Known>(&v).ok());
                if let Some(known) = cached
                    && plusfriend
                        .is_none_or(|k| known.customer.plusfriend_user_key.as_deref() == Some(k))
                {
                    return Ok((known, false));
                }
                Some(lookup.generation)
            }
            Err(e) => {
                tracing::warn!(error = %e, "customer cache unreadable; reading Postgres");
                None
            }
        };
        let (customer, created) =
            db::upsert(&self.pool, CustomerId::new(), bot_user_key, plusfriend).await?;
        let favourites = if created {
            Vec::new()
        } else {
            favourites::list_all(&self.pool, customer.id).await?
        };
        let known = Known {
            customer,
            favourites,
        };
        if let Some(generation) = generation {
            let filled = match serde_json::to_vec(&known) {
                Ok(value) => self.cache.fill(&doc, &generation, &value).await,
                Err(e) => Err(OrderError::Internal(format!("customer encoding: {e}"))),
            };
            if let Err(e) = filled {
                tracing::warn!(error = %e, "customer cache not filled");
            }
        }
        Ok((known, created))
    }

    pub async fn get(&self, id: CustomerId) -> Result<Customer, OrderError> {
        db::find(&self.pool, id).await?.ok_or_else(not_found)
    }

    pub async fn set_nickname(&self, id: CustomerId, input: &str) -> Result<Customer, OrderError> {
        let nickname = normalize_nickname(input).map_err(|e| OrderError::Invalid(e.to_string()))?;
        let customer = db::set_nickname(&self.pool, id, nickname.as_deref())
            .await?
            .ok_or_else(not_found)?;
        self.forget(&customer).await;
        Ok(customer)
    }

    /// After a change of the customer's favourites has committed: the change stands whatever
    /// happens here.
    pub async fn favourites_changed(&self, id: CustomerId) {
        match db::find(&self.pool, id).await {
            Ok(Some(customer)) => self.forget(&customer).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "customer cache not invalidated"),
        }
    }

    async fn forget(&self, customer: &Customer) {
        let doc = self.cache.keys.customer(&customer.bot_user_key);
        if let Err(e) = self.cache.forget(&doc).await {
            // The entry expires within CACHE_TTL; until then skills may show the old nickname
            // or favourites.
            tracing::warn!(error = %e, "customer cache not invalidated");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_letters_and_digits_are_kept() {
        assert_eq!(normalize_nickname("커피왕"), Ok(Some("커피왕".into())));
        assert_eq!(normalize_nickname("Neo77"), Ok(Some("Neo77".into())));
        assert_eq!(normalize_nickname("김 철수"), Ok(Some("김 철수".into())));
        assert_eq!(
            normalize_nickname("  김   철수 "),
            Ok(Some("김 철수".into()))
        );
        assert_eq!(
            normalize_nickname("가나다라마바사아자차"),
            Ok(Some("가나다라마바사아자차".into()))
        );
    }

    #[test]
    fn empty_clears() {
        assert_eq!(normalize_nickname(""), Ok(None));
    }

    #[test]
    fn spaces_only_is_refused() {
        assert_eq!(normalize_nickname(" "), Err(NicknameError::Blank));
        assert_eq!(normalize_nickname("    "), Err(NicknameError::Blank));
        assert_eq!(
            NicknameError::Blank.to_string(),
            "닉네임을 입력해 주세요. 공백만으로는 정할 수 없어요."
        );
    }

    #[test]
    fn more_than_ten_characters_is_refused() {
        assert_eq!(
            normalize_nickname("가나다라마바사아자차카"),
            Err(NicknameError::TooLong)
        );
        assert_eq!(
            normalize_nickname("abcde fghij"),
            Err(NicknameError::TooLong)
        );
        assert_eq!(
            NicknameError::TooLong.to_string(),
            "닉네임은 10자까지 정할 수 있어요."
        );
    }

    #[test]
    fn control_and_other_characters_are_refused() {
        for bad in [
            "커피\n왕",
            "\t커피",
            "커피\u{0}",
            "커피\u{200b}왕",
            "커피!",
            "ㅋㅋㅋ",
            "😀",
            "カフェ",
        ] {
            assert_eq!(
                normalize_nickname(bad),
                Err(NicknameError::BadCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn user_keys_are_bounded() {
        assert!(check_user_key("bot_user_key", "a1b2c3").is_ok());
        assert!(check_user_key("bot_user_key", &"a".repeat(201)).is_err());
        assert!(check_user_key("bot_user_key", "a\nb").is_err());
    }
}
