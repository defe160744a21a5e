//! Menu edits and the menu document.
//!
//! An edit is validated first (`edit`: pure, Korean messages) before anything is written; then
//! one transaction applies it and bumps `menu_version`, and the document is rebuilt from that
//! snapshot (`document`) and cached in Redis. GetMenu serves the cache and rebuilds on a miss.
//! The cached document expires at the next Korean midnight (`expiry`), when "sold out today"
//! marks lapse.

mod document;
mod edit;
mod expiry;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use domain::{CategoryId, ItemId, OptionCategoryId, OptionId, SelectionId, StoreId};
use redis::aio::ConnectionManager;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub use document::Document;
pub use edit::{
    DESCRIPTION_MAX_CHARS, Edit, LIST_MAX, NAME_MAX_CHARS, PRICE_MAX_WON, SELECT_MAX, validate,
};

use document::build;
use expiry::end_of_korean_day;

use edit::invalid;

use crate::error::StoreError;
use crate::storage::StoreKeys;
use crate::storage::menu::{self as db, Entry, ItemFields, Link, Table};

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound(format!(
        "{what}{} 찾을 수 없습니다",
        domain::korean::object(what)
    ))
}

/// What the link's owner and members are, for ownership checks and messages.
fn link_tables(link: Link) -> ((Table, &'static str), (Table, &'static str)) {
    match link {
        Link::CategoryItems => ((Table::Category, "분류"), (Table::Item, "메뉴")),
        Link::ItemSelections => ((Table::Item, "메뉴"), (Table::Selection, "옵션 그룹")),
        Link::SelectionOptions => ((Table::Selection, "옵션 그룹"), (Table::Option, "옵션")),
        Link::OptionCategorySelections => (
            (Table::OptionCategory, "옵션 분류"),
            (Table::Selection, "옵션 그룹"),
        ),
    }
}

pub struct Menus {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
    /// Per store, the menu version of the last document this process built after an edit.
    /// Edits of one store rebuild one at a time, and an edit whose version a rebuild begun
    /// after its commit has already covered builds nothing: a burst of edits (an owner
    /// filling in a big menu) costs a few rebuilds instead of one each.
    pub built: Mutex<HashMap<StoreId, Arc<tokio::sync::Mutex<i64>>>>,
}

impl Menus {
    /// The store's menu document, from the cache or rebuilt.
    pub async fn get(&self, store_id: StoreId) -> Result<Document, StoreError> {
        match db::get_document(&self.redis, &self.keys, store_id).await {
            Ok(Some(json)) => match serde_json::from_str::<Document>(&json) {
                Ok(doc) if doc.menu.store_id == store_id => return Ok(doc),
                _ => tracing::warn!(%store_id, "unreadable menu document; rebuilding"),
            },
            Ok(None) => {}
            // The tables can answer without the cache.
            Err(e) => tracing::warn!(%store_id, error = %e, "menu cache unavailable"),
        }
        self.rebuild(store_id).await
    }

    /// Builds the document from Postgres and caches it.
    pub async fn rebuild(&self, store_id: StoreId) -> Result<Document, StoreError> {
        let rows = db::load(&self.pool, store_id)
            .await?
            .ok_or_else(|| not_found("가게"))?;
        let doc = build(store_id, &rows);
        let json = serde_json::to_string(&doc).map_err(|e| StoreError::Internal(e.to_string()))?;
        if let Err(e) = db::put_document(
            &self.redis,
            &self.keys,
            store_id,
            doc.menu.version,
            &json,
            end_of_korean_day(rows.today),
        )
        .await
        {
            tracing::warn!(%store_id, error = %e, "menu document not cached");
        }
        Ok(doc)
    }

    /// Applies one edit; returns the id created or updated (if any) and the new menu version.
    pub async fn edit(
        &self,
        store_id: StoreId,
        edit: Edit,
    ) -> Result<(Option<Uuid>, i64), StoreError> {
        let mut tx = self.pool.begin().await?;
        if db::lock(&mut tx, store_id).await?.is_none() {
            return Err(not_found("가게"));
        }
        let id = apply(&mut tx, store_id, edit).await?;
        let version = db::bump_version(&mut tx, store_id).await?;
        tx.commit().await?;
        // The edit is durable; a failed rebuild only leaves an older cached document, which the
        // next edit or cache miss replaces.
        if let Err(e) = self.rebuild_after_edit(store_id, version).await {
            tracing::warn!(%store_id, error = %e, "menu document not rebuilt after edit");
        }
        Ok((id, version))
    }

    /// Caches a document of at least `version`, which has committed: the caller then reads its
    /// own edit.
    async fn rebuild_after_edit(&self, store_id: StoreId, version: i64) -> Result<(), StoreError> {
        let store = Arc::clone(
            self.built
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(store_id)
                .or_default(),
        );
        let mut built = store.lock().await;
        if *built < version {
            *built = self.rebuild(store_id).await?.menu.version;
        }
        Ok(())
    }
}

async fn require_owned(
    conn: &mut PgConnection,
    table: (Table, &str),
    store_id: StoreId,
    ids: &[impl Into<Uuid> + Copy],
) -> Result<(), StoreError> {
    if db::all_owned(conn, table.0, store_id, &uuids(ids)).await? {
        Ok(())
    } else {
        Err(not_found(table.1))
    }
}

fn found(updated: bool, what: &str) -> Result<(), StoreError> {
    if updated {
        Ok(())
    } else {
        Err(not_found(what))
    }
}

async fn apply(
    tx: &mut PgConnection,
    store_id: StoreId,
    edit: Edit,
) -> Result<Option<Uuid>, StoreError> {
    match edit {
        Edit::UpsertCategory { id: None, name } => {
            let id = CategoryId::new();
            db::insert_category(tx, store_id, id, &name).await?;
            Ok(Some(id.into()))
        }
        Edit::UpsertCategory { id: Some(id), name } => {
            found(
                db::rename(tx, Table::Category, store_id, id.into(), &name).await?,
                "분류",
            )?;
            Ok(Some(id.into()))
        }
        Edit::UpsertItem {
            id,
            name,
            description,
            price,
            image_url,
            category_ids,
        } => {
            let fields = ItemFields {
                name: &name,
                description: &description,
                price,
                image_url: image_url.as_deref(),
            };
            match id {
                None => {
                    require_owned(tx, (Table::Category, "분류"), store_id, &category_ids).await?;
                    let id = ItemId::new();
                    db::insert_item(tx, store_id, id, &fields).await?;
                    db::append_link(tx, Link::CategoryItems, &uuids(&category_ids), id.into())
                        .await?;
                    Ok(Some(id.into()))
                }
                Some(id) => {
                    found(db::update_item(tx, store_id, id, &fields).await?, "메뉴")?;
                    Ok(Some(id.into()))
                }
            }
        }
        Edit::UpsertSelection { id, name, min, max } => {
            let (min, max) = (
                i32::try_from(min).unwrap_or(i32::MAX),
                i32::try_from(max).unwrap_or(i32::MAX),
            );
            match id {
                None => {
                    let id = SelectionId::new();
                    db::insert_selection(tx, store_id, id, &name, min, max).await?;
                    Ok(Some(id.into()))
                }
                Some(id) => {
                    found(
                        db::update_selection(tx, store_id, id, &name, min, max).await?,
                        "옵션 그룹",
                    )?;
                    Ok(Some(id.into()))
                }
            }
        }
        Edit::UpsertOption {
            id,
            name,
            price,
            selection_ids,
        } => match id {
            None => {
                require_owned(
                    tx,
                    (Table::Selection, "옵션 그룹"),
                    store_id,
                    &selection_ids,
                )
                .await?;
                let id = OptionId::new();
                db::insert_option(tx, store_id, id, &name, price).await?;
                db::append_link(
                    tx,
                    Link::SelectionOptions,
                    &uuids(&selection_ids),
                    id.into(),
                )
                .await?;
                Ok(Some(id.into()))
            }
            Some(id) => {
                found(
                    db::update_option(tx, store_id, id, &name, price).await?,
                    "옵션",
                )?;
                Ok(Some(id.into()))
            }
        },
        Edit::UpsertOptionCategory {
            id,
            name,
            selection_ids,
        } => match id {
            None => {
                require_owned(
                    tx,
                    (Table::Selection, "옵션 그룹"),
                    store_id,
                    &selection_ids,
                )
                .await?;
                let id = OptionCategoryId::new();
                db::insert_option_category(tx, store_id, id, &name).await?;
                db::replace_links(
                    tx,
                    Link::OptionCategorySelections,
                    id.into(),
                    &uuids(&selection_ids),
                )
                .await?;
                Ok(Some(id.into()))
            }
            Some(id) => {
                found(
                    db::rename(tx, Table::OptionCategory, store_id, id.into(), &name).await?,
                    "옵션 분류",
                )?;
                Ok(Some(id.into()))
            }
        },
        Edit::SetLinks {
            link,
            owner,
            members,
        } => {
            let (owner_table, member_table) = link_tables(link);
            require_owned(tx, owner_table, store_id, &[owner]).await?;
            require_owned(tx, member_table, store_id, &members).await?;
            db::replace_links(tx, link, owner, &members).await?;
            Ok(None)
        }
        Edit::ReorderCategories { category_ids } => {
            let current: HashSet<CategoryId> =
                db::category_ids(tx, store_id).await?.into_iter().collect();
            let wanted: HashSet<CategoryId> = category_ids.iter().copied().collect();
            if !wanted.is_subset(&current) {
                return Err(not_found("분류"));
            }
            if wanted != current {
                return Err(invalid("모든 분류를 빠짐없이 한 번씩 보내 주세요"));
            }
            db::reorder_categories(tx, store_id, &category_ids).await?;
            Ok(None)
        }
        Edit::SetDisabled {
            entry,
            id,
            disabled,
        } => {
            found(
                db::set_disabled(tx, entry, store_id, id, disabled).await?,
                entry_name(entry),
            )?;
            Ok(Some(id))
        }
        Edit::SetSoldOut {
            entry,
            id,
            sold_out,
        } => {
            found(
                db::set_sold_out(tx, entry, store_id, id, sold_out).await?,
                entry_name(entry),
            )?;
            Ok(Some(id))
        }
    }
}

fn uuids(ids: &[impl Into<Uuid> + Copy]) -> Vec<Uuid> {
    ids.iter().map(|&id| id.into()).collect()
}

fn entry_name(entry: Entry) -> &'static str {
    match entry {
        Entry::Item => "메뉴",
        Entry::Option => "옵션",
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_messages_take_the_right_particle() {
        let text = |what| match not_found(what) {
            StoreError::NotFound(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(text("메뉴"), "메뉴를 찾을 수 없습니다");
        assert_eq!(text("옵션 그룹"), "옵션 그룹을 찾을 수 없습니다");
        assert_eq!(text("옵션"), "옵션을 찾을 수 없습니다");
    }
}
