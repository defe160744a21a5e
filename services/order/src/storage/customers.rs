//! The `customer` table.

use chrono::{DateTime, Utc};
use domain::CustomerId;
use sqlx::PgPool;
use uuid::Uuid;

use crate::model::Customer;

struct CustomerRow {
    id: Uuid,
    bot_user_key: String,
    plusfriend_user_key: Option<String>,
    nickname: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<CustomerRow> for Customer {
    fn from(row: CustomerRow) -> Customer {
        Customer {
            id: row.id.into(),
            bot_user_key: row.bot_user_key,
            plusfriend_user_key: row.plusfriend_user_key,
            nickname: row.nickname,
            created_at: row.created_at,
        }
    }
}

/// Inserts the customer or touches the existing one; `true` when the row was inserted. A
/// plusfriend key, when given, replaces the stored one.
pub async fn upsert(
    pool: &PgPool,
    new_id: CustomerId,
    bot_user_key: &str,
    plusfriend_user_key: Option<&str>,
) -> Result<(Customer, bool), sqlx::Error> {
    // Nearly every call is a known customer with the same keys, seen moments ago: one read and
    // no write. `last_seen_at` is kept to the hour, so a chat of many skill calls writes nothing.
    let known = sqlx::query!(
        "SELECT id, bot_user_key, plusfriend_user_key, nickname, created_at, \
             last_seen_at > now() - interval '1 hour' AS \"seen_lately!\" \
         FROM customer WHERE bot_user_key = $1",
        bot_user_key
    )
    .fetch_optional(pool)
    .await?;
    if let Some(row) = known {
        let same_keys =
            plusfriend_user_key.is_none_or(|key| row.plusfriend_user_key.as_deref() == Some(key));
        if same_keys && row.seen_lately {
            let customer = CustomerRow {
                id: row.id,
                bot_user_key: row.bot_user_key,
                plusfriend_user_key: row.plusfriend_user_key,
                nickname: row.nickname,
                created_at: row.created_at,
            };
            return Ok((customer.into(), false));
        }
    }
    // xmax is 0 only on a freshly inserted row version, which tells insert from update in one
    // statement that is safe under concurrent first contacts.
    let row = sqlx::query!(
        "INSERT INTO customer (id, bot_user_key, plusfriend_user_key) VALUES ($1, $2, $3) \
         ON CONFLICT (bot_user_key) DO UPDATE SET last_seen_at = now(), \
             plusfriend_user_key = COALESCE(EXCLUDED.plusfriend_user_key, customer.plusfriend_user_key) \
         RETURNING id, bot_user_key, plusfriend_user_key, nickname, created_at, \
             (xmax = 0) AS \"inserted!\"",
        new_id.as_uuid(),
        bot_user_key,
        plusfriend_user_key
    )
    .fetch_one(pool)
    .await?;
    let customer = CustomerRow {
        id: row.id,
        bot_user_key: row.bot_user_key,
        plusfriend_user_key: row.plusfriend_user_key,
        nickname: row.nickname,
        created_at: row.created_at,
    };
    Ok((customer.into(), row.inserted))
}

pub async fn find(pool: &PgPool, id: CustomerId) -> Result<Option<Customer>, sqlx::Error> {
    let row: Option<CustomerRow> = sqlx::query_as!(
        CustomerRow,
        "SELECT id, bot_user_key, plusfriend_user_key, nickname, created_at \
             FROM customer WHERE id = $1",
        id.as_uuid()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Customer::from))
}

/// `None` when there is no such customer.
pub async fn set_nickname(
    pool: &PgPool,
    id: CustomerId,
    nickname: Option<&str>,
) -> Result<Option<Customer>, sqlx::Error> {
    let row: Option<CustomerRow> = sqlx::query_as!(
        CustomerRow,
        "UPDATE customer SET nickname = $2, last_seen_at = now() WHERE id = $1 \
         RETURNING id, bot_user_key, plusfriend_user_key, nickname, created_at",
        id.as_uuid(),
        nickname
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Customer::from))
}
