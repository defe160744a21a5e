//! The normalised menu tables in Postgres and the menu document in Redis.
//!
//! Every edit runs in one transaction that first locks the store's `menu_version` row (so edits
//! of one store apply one at a time) and ends by bumping it. Every query names the store, so an
//! id of another store is simply not found.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{CategoryId, ItemId, OptionCategoryId, OptionId, SelectionId, StoreId};
use redis::Script;
use redis::aio::ConnectionManager;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::StoreKeys;
use crate::error::StoreError;

/// Tables with a `store_id` column that menu ids live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Category,
    Item,
    Selection,
    Option,
    OptionCategory,
}

/// `$then!("<table>")` for the table: a table name cannot be a bound parameter, so each
/// statement is compiled (and checked) once per table.
macro_rules! per_table {
    ($table:expr, $then:ident) => {
        match $table {
            Table::Category => $then!("menu_category"),
            Table::Item => $then!("menu_item"),
            Table::Selection => $then!("menu_selection"),
            Table::Option => $then!("menu_option"),
            Table::OptionCategory => $then!("menu_option_category"),
        }
    };
}

/// A link table: (owner column, member column), both uuids, plus `position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    CategoryItems,
    ItemSelections,
    SelectionOptions,
    OptionCategorySelections,
}

/// `$then!("<link table>", "<owner column>", "<member column>", "<owner table>")` for the link,
/// compiled once per link table like [`per_table`].
macro_rules! per_link {
    ($link:expr, $then:ident) => {
        match $link {
            Link::CategoryItems => {
                $then!(
                    "menu_category_item",
                    "category_id",
                    "item_id",
                    "menu_category"
                )
            }
            Link::ItemSelections => {
                $then!(
                    "menu_item_selection",
                    "item_id",
                    "selection_id",
                    "menu_item"
                )
            }
            Link::SelectionOptions => {
                $then!(
                    "menu_selection_option",
                    "selection_id",
                    "option_id",
                    "menu_selection"
                )
            }
            Link::OptionCategorySelections => $then!(
                "menu_option_category_selection",
                "option_category_id",
                "selection_id",
                "menu_option_category"
            ),
        }
    };
}

/// Locks the store's menu for this transaction; `None` when the store does not exist.
pub async fn lock(conn: &mut PgConnection, store_id: StoreId) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT version FROM menu_version WHERE store_id = $1 FOR UPDATE",
        store_id.as_uuid()
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn bump_version(conn: &mut PgConnection, store_id: StoreId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        "UPDATE menu_version SET version = version + 1, updated_at = now() \
         WHERE store_id = $1 RETURNING version",
        store_id.as_uuid()
    )
    .fetch_one(conn)
    .await?)
}

/// Whether every id (distinct) is a row of `table` belonging to the store.
pub async fn all_owned(
    conn: &mut PgConnection,
    table: Table,
    store_id: StoreId,
    ids: &[Uuid],
) -> Result<bool, StoreError> {
    if ids.is_empty() {
        return Ok(true);
    }
    macro_rules! count {
        ($table:literal) => {
            sqlx::query_scalar!(
                "SELECT count(*) AS \"found!\" FROM "
                    + $table
                    + " WHERE store_id = $1 AND id = ANY($2)",
                store_id.as_uuid(),
                ids
            )
            .fetch_one(conn)
            .await?
        };
    }
    let found = per_table!(table, count);
    Ok(usize::try_from(found).is_ok_and(|n| n == ids.len()))
}

pub async fn insert_category(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: CategoryId,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO menu_category (id, store_id, name, position) \
         SELECT $1, $2, $3, COALESCE(max(position) + 1, 0) FROM menu_category WHERE store_id = $2",
        id.as_uuid(),
        store_id.as_uuid(),
        name
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_option_category(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: OptionCategoryId,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO menu_option_category (id, store_id, name, position) \
         SELECT $1, $2, $3, COALESCE(max(position) + 1, 0) FROM menu_option_category \
         WHERE store_id = $2",
        id.as_uuid(),
        store_id.as_uuid(),
        name
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Renames a category or option category; `false` when it is not the store's.
pub async fn rename(
    conn: &mut PgConnection,
    table: Table,
    store_id: StoreId,
    id: Uuid,
    name: &str,
) -> Result<bool, StoreError> {
    macro_rules! rename {
        ($table:literal) => {
            sqlx::query!(
                "UPDATE "
                    + $table
                    + " SET name = $3, updated_at = now() WHERE id = $1 AND store_id = $2",
                id,
                store_id.as_uuid(),
                name
            )
            .execute(conn)
            .await?
        };
    }
    let done = per_table!(table, rename);
    Ok(done.rows_affected() == 1)
}

pub struct ItemFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub price: i64,
    pub image_url: Option<&'a str>,
}

pub async fn insert_item(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: ItemId,
    item: &ItemFields<'_>,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO menu_item (id, store_id, name, description, price, image_url) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        id.as_uuid(),
        store_id.as_uuid(),
        item.name,
        item.description,
        item.price,
        item.image_url
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_item(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: ItemId,
    item: &ItemFields<'_>,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE menu_item SET name = $3, description = $4, price = $5, image_url = $6, \
         updated_at = now() WHERE id = $1 AND store_id = $2",
        id.as_uuid(),
        store_id.as_uuid(),
        item.name,
        item.description,
        item.price,
        item.image_url
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_selection(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: SelectionId,
    name: &str,
    min: i32,
    max: i32,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO menu_selection (id, store_id, name, min_select, max_select) \
         VALUES ($1, $2, $3, $4, $5)",
        id.as_uuid(),
        store_id.as_uuid(),
        name,
        min,
        max
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_selection(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: SelectionId,
    name: &str,
    min: i32,
    max: i32,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE menu_selection SET name = $3, min_select = $4, max_select = $5, updated_at = now() \
         WHERE id = $1 AND store_id = $2",
        id.as_uuid(),
        store_id.as_uuid(),
        name,
        min,
        max
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_option(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: OptionId,
    name: &str,
    price: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO menu_option (id, store_id, name, price) VALUES ($1, $2, $3, $4)",
        id.as_uuid(),
        store_id.as_uuid(),
        name,
        price
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update_option(
    conn: &mut PgConnection,
    store_id: StoreId,
    id: OptionId,
    name: &str,
    price: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query!(
        "UPDATE menu_option SET name = $3, price = $4, updated_at = now() \
         WHERE id = $1 AND store_id = $2",
        id.as_uuid(),
        store_id.as_uuid(),
        name,
        price
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Appends `member` at the end of each owner's list (where it is not already).
pub async fn append_link(
    conn: &mut PgConnection,
    link: Link,
    owners: &[Uuid],
    member: Uuid,
) -> Result<(), StoreError> {
    macro_rules! append {
        ($table:literal, $owner:literal, $member:literal, $owner_table:literal) => {
            for owner in owners {
                sqlx::query!(
                    "INSERT INTO "
                        + $table
                        + " ("
                        + $owner
                        + ", "
                        + $member
                        + ", position) \
                     SELECT $1, $2, COALESCE(max(position) + 1, 0) FROM "
                        + $table
                        + " \
                     WHERE "
                        + $owner
                        + " = $1 ON CONFLICT DO NOTHING",
                    owner,
                    member
                )
                .execute(&mut *conn)
                .await?;
            }
        };
    }
    per_link!(link, append);
    Ok(())
}

/// Replaces the owner's whole ordered list.
pub async fn replace_links(
    conn: &mut PgConnection,
    link: Link,
    owner: Uuid,
    members: &[Uuid],
) -> Result<(), StoreError> {
    let positions: Vec<i32> = (0..).take(members.len()).collect();
    macro_rules! replace {
        ($table:literal, $owner:literal, $member:literal, $owner_table:literal) => {{
            sqlx::query!(
                "DELETE FROM " + $table + " WHERE " + $owner + " = $1",
                owner
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "INSERT INTO "
                    + $table
                    + " ("
                    + $owner
                    + ", "
                    + $member
                    + ", position) \
                 SELECT $1, m, p FROM unnest($2::uuid[], $3::int[]) AS t(m, p)",
                owner,
                members,
                &positions
            )
            .execute(&mut *conn)
            .await?;
        }};
    }
    per_link!(link, replace);
    Ok(())
}

/// The store's category ids in their current order.
pub async fn category_ids(
    conn: &mut PgConnection,
    store_id: StoreId,
) -> Result<Vec<CategoryId>, StoreError> {
    let ids = sqlx::query_scalar!(
        "SELECT id FROM menu_category WHERE store_id = $1 AND NOT disabled ORDER BY position, id",
        store_id.as_uuid()
    )
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(CategoryId::from).collect())
}

pub async fn reorder_categories(
    conn: &mut PgConnection,
    store_id: StoreId,
    ids: &[CategoryId],
) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let positions: Vec<i32> = (0..).take(ids.len()).collect();
    sqlx::query!(
        "UPDATE menu_category c SET position = t.p, updated_at = now() \
         FROM unnest($2::uuid[], $3::int[]) AS t(id, p) WHERE c.id = t.id AND c.store_id = $1",
        store_id.as_uuid(),
        &ids[..],
        &positions
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Items and options only: they are what customers pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Item,
    Option,
}

/// `$then!("<table>")` for the entry, like [`per_table`].
macro_rules! per_entry {
    ($entry:expr, $then:ident) => {
        match $entry {
            Entry::Item => $then!("menu_item"),
            Entry::Option => $then!("menu_option"),
        }
    };
}

pub async fn set_disabled(
    conn: &mut PgConnection,
    entry: Entry,
    store_id: StoreId,
    id: Uuid,
    disabled: bool,
) -> Result<bool, StoreError> {
    macro_rules! set {
        ($table:literal) => {
            sqlx::query!(
                "UPDATE "
                    + $table
                    + " SET disabled = $3, updated_at = now() WHERE id = $1 AND store_id = $2",
                id,
                store_id.as_uuid(),
                disabled
            )
            .execute(conn)
            .await?
        };
    }
    let done = per_entry!(entry, set);
    Ok(done.rows_affected() == 1)
}

/// Marks sold out for today (the Korean date, as the document builder reads it), or clears it.
pub async fn set_sold_out(
    conn: &mut PgConnection,
    entry: Entry,
    store_id: StoreId,
    id: Uuid,
    sold_out: bool,
) -> Result<bool, StoreError> {
    macro_rules! set {
        ($table:literal) => {
            sqlx::query!(
                "UPDATE "
                    + $table
                    + " SET sold_out_today = CASE WHEN $3 \
                     THEN (now() AT TIME ZONE 'Asia/Seoul')::date END, updated_at = now() \
                 WHERE id = $1 AND store_id = $2",
                id,
                store_id.as_uuid(),
                sold_out
            )
            .execute(conn)
            .await?
        };
    }
    let done = per_entry!(entry, set);
    Ok(done.rows_affected() == 1)
}

// ---------------------------------------------------------------------------------------------
// Reading the whole menu (one snapshot) to build the document.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct CategoryRow {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub image_url: Option<String>,
    pub disabled: bool,
    pub sold_out_today: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct SelectionRow {
    pub id: Uuid,
    pub name: String,
    pub min_select: i32,
    pub max_select: i32,
}

#[derive(Debug, Clone)]
pub struct OptionRow {
    pub id: Uuid,
    pub name: String,
    pub price: i64,
    pub disabled: bool,
    pub sold_out_today: Option<NaiveDate>,
}

/// (owner, member) pairs of a link table, in owner then display order.
pub type Links = Vec<(Uuid, Uuid)>;

#[derive(Debug, Clone)]
pub struct MenuRows {
    pub store_name: String,
    pub version: i64,
    /// The Korean date sold-out marks are compared with.
    pub today: NaiveDate,
    pub built_at: DateTime<Utc>,
    pub categories: Vec<CategoryRow>,
    pub items: Vec<ItemRow>,
    pub selections: Vec<SelectionRow>,
    pub options: Vec<OptionRow>,
    pub option_categories: Vec<CategoryRow>,
    pub category_items: Links,
    pub item_selections: Links,
    pub selection_options: Links,
    pub option_category_selections: Links,
}

/// The whole menu of a store as one consistent snapshot; `None` when the store does not exist.
pub async fn load(pool: &PgPool, store_id: StoreId) -> Result<Option<MenuRows>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    // Today in Korea by the database clock: the same expression marks sold-out dates.
    let head = sqlx::query!(
        "SELECT s.name, COALESCE(v.version, 0) AS \"version!\", \
             (now() AT TIME ZONE 'Asia/Seoul')::date AS \"today!\", now() AS \"built_at!\" \
         FROM store s LEFT JOIN menu_version v ON v.store_id = s.id WHERE s.id = $1",
        store_id.as_uuid()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(head) = head else {
        return Ok(None);
    };
    let (store_name, version, today, built_at) =
        (head.name, head.version, head.today, head.built_at);
    let categories = sqlx::query_as!(
        CategoryRow,
        "SELECT id, name FROM menu_category WHERE store_id = $1 AND NOT disabled \
         ORDER BY position, id",
        store_id.as_uuid()
    )
    .fetch_all(&mut *tx)
    .await?;
    let items = sqlx::query_as!(
        ItemRow,
        "SELECT id, name, description, price, image_url, disabled, sold_out_today \
         FROM menu_item WHERE store_id = $1 ORDER BY id",
        store_id.as_uuid()
    )
    .fetch_all(&mut *tx)
    .await?;
    let selections = sqlx::query_as!(
        SelectionRow,
        "SELECT id, name, min_select, max_select FROM menu_selection \
         WHERE store_id = $1 AND NOT disabled ORDER BY id",
        store_id.as_uuid()
    )
    .fetch_all(&mut *tx)
    .await?;
    let options = sqlx::query_as!(
        OptionRow,
        "SELECT id, name, price, disabled, sold_out_today FROM menu_option \
         WHERE store_id = $1 ORDER BY id",
        store_id.as_uuid()
    )
    .fetch_all(&mut *tx)
    .await?;
    let option_categories = sqlx::query_as!(
        CategoryRow,
        "SELECT id, name FROM menu_option_category WHERE store_id = $1 ORDER BY position, id",
        store_id.as_uuid()
    )
    .fetch_all(&mut *tx)
    .await?;
    let category_items = links(&mut tx, Link::CategoryItems, store_id).await?;
    let item_selections = links(&mut tx, Link::ItemSelections, store_id).await?;
    let selection_options = links(&mut tx, Link::SelectionOptions, store_id).await?;
    let option_category_selections =
        links(&mut tx, Link::OptionCategorySelections, store_id).await?;
    tx.commit().await?;
    Ok(Some(MenuRows {
        store_name,
        version,
        today,
        built_at,
        categories,
        items,
        selections,
        options,
        option_categories,
        category_items,
        item_selections,
        selection_options,
        option_category_selections,
    }))
}

async fn links(
    conn: &mut PgConnection,
    link: Link,
    store_id: StoreId,
) -> Result<Links, StoreError> {
    macro_rules! pairs {
        ($table:literal, $owner:literal, $member:literal, $owner_table:literal) => {
            sqlx::query!(
                "SELECT l."
                    + $owner
                    + " AS owner, l."
                    + $member
                    + " AS member FROM "
                    + $table
                    + " l JOIN "
                    + $owner_table
                    + " o ON o.id = l."
                    + $owner
                    + " WHERE o.store_id = $1 ORDER BY l."
                    + $owner
                    + ", l.position, l."
                    + $member,
                store_id.as_uuid()
            )
            .fetch_all(conn)
            .await?
            .into_iter()
            .map(|r| (r.owner, r.member))
            .collect()
        };
    }
    Ok(per_link!(link, pairs))
}

// ---------------------------------------------------------------------------------------------
// The document cache.
// ---------------------------------------------------------------------------------------------

// KEYS: document key. ARGV: version, document JSON, expiry (Unix ms). A document never replaces a
// newer one, so a slow rebuild cannot undo a later edit.
static PUT_DOCUMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local cur = redis.call('GET', KEYS[1])
        if cur then
            local ok, doc = pcall(cjson.decode, cur)
            if ok and type(doc) == 'table' and tonumber(doc['version'])
                and tonumber(doc['version']) > tonumber(ARGV[1]) then
                return 0
            end
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
        return 1
        ",
    )
});

pub async fn get_document(
    redis: &ConnectionManager,
    keys: &StoreKeys,
    store_id: StoreId,
) -> Result<Option<String>, StoreError> {
    let mut conn = redis.clone();
    Ok(redis::cmd("GET")
        .arg(keys.menu(store_id))
        .query_async(&mut conn)
        .await?)
}

/// Caches the document until `expires_at` (the next Korean midnight, when sold-out marks lapse).
pub async fn put_document(
    redis: &ConnectionManager,
    keys: &StoreKeys,
    store_id: StoreId,
    version: i64,
    json: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut conn = redis.clone();
    PUT_DOCUMENT
        .key(keys.menu(store_id))
        .arg(version)
        .arg(json)
        .arg(expires_at.timestamp_millis())
        .invoke_async::<i64>(&mut conn)
        .await?;
    Ok(())
}
