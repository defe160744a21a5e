//! Stores, their accounts and locations in Postgres, and the GEO set of nearby search.

use chrono::{DateTime, Utc};
use domain::{AccountId, CustomerId, StoreId};
use redis::aio::ConnectionManager;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::StoreKeys;
use crate::error::StoreError;

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub store_id: StoreId,
    pub login: String,
    pub password_hash: String,
}

pub async fn account_by_login(pool: &PgPool, login: &str) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query!(
        "SELECT id, store_id, login, password_hash FROM store_account WHERE login = $1",
        login
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Account {
        id: r.id.into(),
        store_id: r.store_id.into(),
        login: r.login,
        password_hash: r.password_hash,
    }))
}

/// The store's admin account (a store has exactly one).
pub async fn admin_account_id(
    pool: &PgPool,
    store_id: StoreId,
) -> Result<Option<AccountId>, StoreError> {
    let id = sqlx::query_scalar!(
        "SELECT id FROM store_account WHERE store_id = $1 AND role = 'admin' ORDER BY created_at LIMIT 1",
        store_id.as_uuid()
    )
    .fetch_optional(pool)
    .await?;
    Ok(id.map(AccountId::from))
}

#[derive(Debug, Clone)]
pub struct StoreRow {
    pub id: StoreId,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub description: String,
    pub opening_hours: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Kakao's form of the address the location came from.
    pub located_address: Option<String>,
}

/// A [`StoreRow`] as Postgres returns it.
struct StoreRecord {
    id: Uuid,
    name: String,
    address: Option<String>,
    phone: Option<String>,
    description: String,
    opening_hours: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    located_address: Option<String>,
}

impl From<StoreRecord> for StoreRow {
    fn from(r: StoreRecord) -> Self {
        StoreRow {
            id: r.id.into(),
            name: r.name,
            address: r.address,
            phone: r.phone,
            description: r.description,
            opening_hours: r.opening_hours,
            latitude: r.latitude,
            longitude: r.longitude,
            located_address: r.located_address,
        }
    }
}

/// `sqlx::query_as!` of [`StoreRecord`]s: a store with its location (`store s` left-joined to
/// `store_location l`), from `$from` (`FROM … WHERE …`) and its arguments.
macro_rules! select_stores {
    ($from:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            StoreRecord,
            "SELECT s.id, s.name, COALESCE(s.address, l.address) AS address, s.phone, \
                 s.description, s.opening_hours, l.latitude AS \"latitude?\", \
                 l.longitude AS \"longitude?\", \
                 l.address AS located_address "
                + $from
            $(, $arg)*
        )
    };
}

pub async fn store(pool: &PgPool, store_id: StoreId) -> Result<Option<StoreRow>, StoreError> {
    let row = select_stores!(
        "FROM store s LEFT JOIN store_location l ON l.store_id = s.id WHERE s.id = $1",
        store_id.as_uuid()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(StoreRow::from))
}

/// The stores among `ids`, in no particular order (missing ids are skipped).
pub async fn stores(pool: &PgPool, ids: &[StoreId]) -> Result<Vec<StoreRow>, StoreError> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let rows = select_stores!(
        "FROM store s LEFT JOIN store_location l ON l.store_id = s.id WHERE s.id = ANY($1)",
        &ids[..]
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(StoreRow::from).collect())
}

/// What staff edit in the store UI, trimmed and checked.
pub struct ProfileRow<'a> {
    pub address: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub description: &'a str,
    pub opening_hours: &'a str,
}

pub async fn update_profile(
    conn: &mut PgConnection,
    store_id: StoreId,
    profile: &ProfileRow<'_>,
) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE store SET address = $2, phone = $3, description = $4, opening_hours = $5, \
         updated_at = now() WHERE id = $1",
        store_id.as_uuid(),
        profile.address,
        profile.phone,
        profile.description,
        profile.opening_hours
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the store's location ((lat, lng) and Kakao's address), or removes it.
pub async fn set_location(
    conn: &mut PgConnection,
    store_id: StoreId,
    location: Option<(f64, f64, &str)>,
) -> Result<(), StoreError> {
    match location {
        Some((lat, lng, address)) => {
            sqlx::query!(
                "INSERT INTO store_location (store_id, latitude, longitude, address) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (store_id) DO UPDATE SET \
                 latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, \
                 address = EXCLUDED.address, updated_at = now()",
                store_id.as_uuid(),
                lat,
                lng,
                address
            )
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query!(
                "DELETE FROM store_location WHERE store_id = $1",
                store_id.as_uuid()
            )
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Stores whose name contains `name` (case-insensitive), the closest names first. The trigram
/// index serves patterns of three characters or more; shorter ones scan, which the size of a
/// store table allows.
pub async fn search_by_name(
    pool: &PgPool,
    name: &str,
    limit: i64,
) -> Result<Vec<StoreRow>, StoreError> {
    let rows = select_stores!(
        "FROM store s LEFT JOIN store_location l ON l.store_id = s.id \
         WHERE s.name ILIKE '%' || $1 || '%' ESCAPE '\\' \
         ORDER BY similarity(s.name, $2) DESC, s.name, s.id LIMIT $3",
        escape_like(name),
        name,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(StoreRow::from).collect())
}

/// Makes `%`, `_` and `\` in user input match themselves in an ILIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Records that the customer ordered from the store at `at`. Order events may arrive twice or
/// out of order: the latest time wins.
pub async fn record_ordered_from(
    pool: &PgPool,
    customer_id: CustomerId,
    store_id: StoreId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO customer_recent_store (customer_id, store_id, last_ordered_at) \
         VALUES ($1, $2, $3) ON CONFLICT (customer_id, store_id) DO UPDATE \
         SET last_ordered_at = GREATEST(customer_recent_store.last_ordered_at, $3)",
        customer_id.as_uuid(),
        store_id.as_uuid(),
        at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The stores a customer ordered from, most recent first.
pub async fn recent_for_customer(
    pool: &PgPool,
    customer_id: CustomerId,
    limit: i64,
) -> Result<Vec<(StoreRow, DateTime<Utc>)>, StoreError> {
    let rows = sqlx::query!(
        "SELECT s.id, s.name, COALESCE(s.address, l.address) AS address, s.phone, \
             s.description, s.opening_hours, l.latitude AS \"latitude?\", \
             l.longitude AS \"longitude?\", \
             l.address AS located_address, r.last_ordered_at \
         FROM customer_recent_store r \
         JOIN store s ON s.id = r.store_id LEFT JOIN store_location l ON l.store_id = s.id \
         WHERE r.customer_id = $1 ORDER BY r.last_ordered_at DESC LIMIT $2",
        customer_id.as_uuid(),
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let store = StoreRow {
                id: r.id.into(),
                name: r.name,
                address: r.address,
                phone: r.phone,
                description: r.description,
                opening_hours: r.opening_hours,
                latitude: r.latitude,
                longitude: r.longitude,
                located_address: r.located_address,
            };
            (store, r.last_ordered_at)
        })
        .collect())
}

/// Members of the GEO set within `radius_m` of the point, nearest first, with their distance.
pub async fn geo_search(
    redis: &ConnectionManager,
    keys: &StoreKeys,
    lat: f64,
    lng: f64,
    radius_m: f64,
    limit: usize,
) -> Result<Vec<(StoreId, f64)>, StoreError> {
    let mut conn = redis.clone();
    let hits: Vec<(String, f64)> = redis::cmd("GEOSEARCH")
        .arg(keys.stores_geo())
        .arg("FROMLONLAT")
        .arg(lng)
        .arg(lat)
        .arg("BYRADIUS")
        .arg(radius_m)
        .arg("m")
        .arg("ASC")
        .arg("COUNT")
        .arg(limit)
        .arg("WITHDIST")
        .query_async(&mut conn)
        .await?;
    Ok(hits
        .into_iter()
        .filter_map(|(member, dist)| Some((member.parse().ok()?, dist)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_input_match_literally() {
        assert_eq!(escape_like("카페"), "카페");
        assert_eq!(escape_like("100%_\\"), "100\\%\\_\\\\");
    }
}
