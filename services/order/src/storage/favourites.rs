//! The `customer_favourite` table (나만의 메뉴).

use domain::{CustomerId, FavouriteId, OptionId, StoreId};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::model::Favourite;

struct Row {
    id: Uuid,
    customer_id: Uuid,
    store_id: Uuid,
    name: String,
    item_id: Uuid,
    option_ids: Vec<Uuid>,
}

impl From<Row> for Favourite {
    fn from(row: Row) -> Favourite {
        Favourite {
            id: row.id.into(),
            customer_id: row.customer_id.into(),
            store_id: row.store_id.into(),
            name: row.name,
            item_id: row.item_id.into(),
            option_ids: row.option_ids.into_iter().map(OptionId::from).collect(),
        }
    }
}

fn uuids(ids: &[OptionId]) -> Vec<Uuid> {
    ids.iter().map(|id| id.as_uuid()).collect()
}

/// Takes the customer's row lock, so that two saves of one customer take turns and the count
/// each checks stays true until it inserts; `false` when the customer does not exist.
pub async fn lock_customer(
    conn: &mut PgConnection,
    customer: CustomerId,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query_scalar!(
        "SELECT id FROM customer WHERE id = $1 FOR UPDATE",
        customer.as_uuid()
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

pub async fn list(
    conn: &mut PgConnection,
    customer: CustomerId,
    store: StoreId,
) -> Result<Vec<Favourite>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, customer_id, store_id, name, item_id, option_ids FROM customer_favourite \
         WHERE customer_id = $1 AND store_id = $2 ORDER BY created_at, id",
        customer.as_uuid(),
        store.as_uuid()
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Favourite::from).collect())
}

/// Every store's, in the order they were saved.
pub async fn list_all(pool: &PgPool, customer: CustomerId) -> Result<Vec<Favourite>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, customer_id, store_id, name, item_id, option_ids FROM customer_favourite \
         WHERE customer_id = $1 ORDER BY created_at, id",
        customer.as_uuid()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Favourite::from).collect())
}

pub async fn find(
    pool: &PgPool,
    customer: CustomerId,
    id: FavouriteId,
) -> Result<Option<Favourite>, sqlx::Error> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, customer_id, store_id, name, item_id, option_ids FROM customer_favourite \
         WHERE id = $1 AND customer_id = $2",
        id.as_uuid(),
        customer.as_uuid()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Favourite::from))
}

pub async fn insert(conn: &mut PgConnection, f: &Favourite) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO customer_favourite (id, customer_id, store_id, name, item_id, option_ids) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        f.id.as_uuid(),
        f.customer_id.as_uuid(),
        f.store_id.as_uuid(),
        f.name,
        f.item_id.as_uuid(),
        &uuids(&f.option_ids)
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn rename(
    pool: &PgPool,
    customer: CustomerId,
    id: FavouriteId,
    name: &str,
) -> Result<Option<Favourite>, sqlx::Error> {
    let row = sqlx::query_as!(
        Row,
        "UPDATE customer_favourite SET name = $3, updated_at = now() \
         WHERE id = $1 AND customer_id = $2 \
         RETURNING id, customer_id, store_id, name, item_id, option_ids",
        id.as_uuid(),
        customer.as_uuid(),
        name
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Favourite::from))
}

/// `true` when a row was deleted.
pub async fn remove(
    pool: &PgPool,
    customer: CustomerId,
    id: FavouriteId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM customer_favourite WHERE id = $1 AND customer_id = $2",
        id.as_uuid(),
        customer.as_uuid()
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}
