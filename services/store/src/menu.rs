//! Menu edits and the menu document.
//!
//! An edit is validated here (pure, Korean messages) before anything is written; then one
//! transaction applies it and bumps `menu_version`, and the document is rebuilt from that
//! snapshot and cached in Redis. GetMenu serves the cache and rebuilds on a miss. The cached
//! document expires at the next Korean midnight, when "sold out today" marks lapse.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days as CalendarDays, NaiveDate, NaiveTime, TimeZone, Utc};
use contracts::store::v1 as pb;
use contracts::store::v1::edit_menu_request::Op;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::StoreError;
use crate::storage::StoreKeys;
use crate::storage::menu::{self as db, Entry, ItemFields, Link, MenuRows, Table};

pub const NAME_MAX_CHARS: usize = 60;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const URL_MAX_CHARS: usize = 500;
pub const PRICE_MAX_WON: i64 = 10_000_000;
/// More choices than this in one option group is a typo, not a menu.
pub const SELECT_MAX: u32 = 50;
/// The longest ordered list one edit may set.
pub const LIST_MAX: usize = 500;

/// One validated menu edit; `None` ids create.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    UpsertCategory {
        id: Option<Uuid>,
        name: String,
    },
    UpsertItem {
        id: Option<Uuid>,
        name: String,
        description: String,
        price: i64,
        image_url: Option<String>,
        category_ids: Vec<Uuid>,
    },
    UpsertSelection {
        id: Option<Uuid>,
        name: String,
        min: u32,
        max: u32,
    },
    UpsertOption {
        id: Option<Uuid>,
        name: String,
        price: i64,
        selection_ids: Vec<Uuid>,
    },
    UpsertOptionCategory {
        id: Option<Uuid>,
        name: String,
        selection_ids: Vec<Uuid>,
    },
    SetLinks {
        link: Link,
        owner: Uuid,
        members: Vec<Uuid>,
    },
    ReorderCategories {
        category_ids: Vec<Uuid>,
    },
    SetDisabled {
        entry: Entry,
        id: Uuid,
        disabled: bool,
    },
    SetSoldOut {
        entry: Entry,
        id: Uuid,
        sold_out: bool,
    },
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

fn not_found(what: &str) -> StoreError {
    // 을 after a final consonant, 를 after a vowel; every `what` here is a Hangul word.
    let particle = match what.chars().last() {
        Some(c @ '가'..='힣') if (u32::from(c) - 0xAC00) % 28 != 0 => "을",
        _ => "를",
    };
    StoreError::NotFound(format!("{what}{particle} 찾을 수 없습니다"))
}

fn name(text: &str) -> Result<String, StoreError> {
    let trimmed = text.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(invalid("이름을 입력해 주세요"));
    }
    if chars > NAME_MAX_CHARS {
        return Err(invalid(format!(
            "이름은 {NAME_MAX_CHARS}자 이하로 입력해 주세요"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid("이름에 줄바꿈이나 제어 문자는 쓸 수 없습니다"));
    }
    Ok(trimmed.to_owned())
}

fn price(won: i64) -> Result<i64, StoreError> {
    if (0..=PRICE_MAX_WON).contains(&won) {
        Ok(won)
    } else {
        Err(invalid("가격은 0원 이상 10,000,000원 이하로 입력해 주세요"))
    }
}

fn description(text: &str) -> Result<String, StoreError> {
    let trimmed = text.trim();
    if trimmed.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(invalid(format!(
            "설명은 {DESCRIPTION_MAX_CHARS}자 이하로 입력해 주세요"
        )));
    }
    Ok(trimmed.to_owned())
}

fn image_url(text: &str) -> Result<Option<String>, StoreError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let lower = trimmed.to_ascii_lowercase();
    if trimmed.chars().count() > URL_MAX_CHARS
        || !(lower.starts_with("https://") || lower.starts_with("http://"))
        || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "이미지 주소는 http:// 또는 https://로 시작하는 500자 이하의 주소여야 합니다",
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

fn id(text: &str) -> Result<Uuid, StoreError> {
    text.trim()
        .parse()
        .map_err(|_| invalid("id 형식이 올바르지 않습니다"))
}

/// Empty means "create".
fn optional_id(text: &str) -> Result<Option<Uuid>, StoreError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        id(text).map(Some)
    }
}

/// An ordered list of distinct ids.
fn id_list(texts: &[String]) -> Result<Vec<Uuid>, StoreError> {
    if texts.len() > LIST_MAX {
        return Err(invalid(format!(
            "한 번에 {LIST_MAX}개까지만 지정할 수 있습니다"
        )));
    }
    let ids = texts.iter().map(|t| id(t)).collect::<Result<Vec<_>, _>>()?;
    let distinct: HashSet<&Uuid> = ids.iter().collect();
    if distinct.len() != ids.len() {
        return Err(invalid("같은 항목이 두 번 들어 있습니다"));
    }
    Ok(ids)
}

fn min_max(min: u32, max: u32) -> Result<(u32, u32), StoreError> {
    if max == 0 {
        return Err(invalid("최대 선택 수는 1 이상이어야 합니다"));
    }
    if max > SELECT_MAX {
        return Err(invalid(format!(
            "최대 선택 수는 {SELECT_MAX} 이하여야 합니다"
        )));
    }
    if min > max {
        return Err(invalid("최소 선택 수는 최대 선택 수보다 클 수 없습니다"));
    }
    Ok((min, max))
}

fn entry(kind: i32) -> Result<Entry, StoreError> {
    match pb::MenuEntryKind::try_from(kind) {
        Ok(pb::MenuEntryKind::Item) => Ok(Entry::Item),
        Ok(pb::MenuEntryKind::Option) => Ok(Entry::Option),
        _ => Err(invalid("메뉴 또는 옵션 중 무엇을 바꿀지 지정해 주세요")),
    }
}

/// Checks an edit request completely, before anything is written.
pub fn validate(op: Option<&Op>) -> Result<Edit, StoreError> {
    let Some(op) = op else {
        return Err(invalid("바꿀 내용이 없습니다"));
    };
    Ok(match op {
        Op::UpsertCategory(c) => Edit::UpsertCategory {
            id: optional_id(&c.id)?,
            name: name(&c.name)?,
        },
        Op::UpsertItem(i) => Edit::UpsertItem {
            id: optional_id(&i.id)?,
            name: name(&i.name)?,
            description: description(&i.description)?,
            price: price(i.price)?,
            image_url: image_url(&i.image_url)?,
            category_ids: id_list(&i.category_ids)?,
        },
        Op::UpsertSelection(s) => {
            let (min, max) = min_max(s.min, s.max)?;
            Edit::UpsertSelection {
                id: optional_id(&s.id)?,
                name: name(&s.name)?,
                min,
                max,
            }
        }
        Op::UpsertOption(o) => Edit::UpsertOption {
            id: optional_id(&o.id)?,
            name: name(&o.name)?,
            price: price(o.price)?,
            selection_ids: id_list(&o.selection_ids)?,
        },
        Op::UpsertOptionCategory(c) => {
            if !c.option_ids.is_empty() {
                return Err(invalid(
                    "옵션 분류에는 옵션이 아니라 옵션 그룹을 담습니다 (selection_ids)",
                ));
            }
            Edit::UpsertOptionCategory {
                id: optional_id(&c.id)?,
                name: name(&c.name)?,
                selection_ids: id_list(&c.selection_ids)?,
            }
        }
        Op::SetCategoryItems(l) => Edit::SetLinks {
            link: Link::CategoryItems,
            owner: id(&l.category_id)?,
            members: id_list(&l.item_ids)?,
        },
        Op::SetItemSelections(l) => Edit::SetLinks {
            link: Link::ItemSelections,
            owner: id(&l.item_id)?,
            members: id_list(&l.selection_ids)?,
        },
        Op::SetSelectionOptions(l) => Edit::SetLinks {
            link: Link::SelectionOptions,
            owner: id(&l.selection_id)?,
            members: id_list(&l.option_ids)?,
        },
        Op::SetOptionCategorySelections(l) => Edit::SetLinks {
            link: Link::OptionCategorySelections,
            owner: id(&l.option_category_id)?,
            members: id_list(&l.selection_ids)?,
        },
        Op::ReorderCategories(r) => Edit::ReorderCategories {
            category_ids: id_list(&r.category_ids)?,
        },
        Op::SetDisabled(d) => Edit::SetDisabled {
            entry: entry(d.kind)?,
            id: id(&d.id)?,
            disabled: d.disabled,
        },
        Op::SetSoldOut(s) => Edit::SetSoldOut {
            entry: entry(s.kind)?,
            id: id(&s.id)?,
            sold_out: s.sold_out,
        },
    })
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

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

/// An editor-only grouping of option groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionCategoryDoc {
    pub id: Uuid,
    pub name: String,
    pub selection_ids: Vec<Uuid>,
}

/// The cached document: the domain's menu (what carts are checked against; other services read
/// it as `domain::Menu`) plus what only the store's editor and the chatbot's headings need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    #[serde(flatten)]
    pub menu: domain::Menu,
    pub store_name: String,
    pub built_at: DateTime<Utc>,
    pub option_categories: Vec<OptionCategoryDoc>,
}

/// Builds the document from one snapshot of the tables. Links to rows the document leaves out
/// (disabled categories or option groups) are dropped; disabled or sold-out items and options
/// stay in, flagged. Items come in category order, then those in no category.
pub fn build(store_id: Uuid, rows: &MenuRows) -> Document {
    let grouped = |links: &db::Links| -> HashMap<Uuid, Vec<Uuid>> {
        let mut map: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (owner, member) in links {
            map.entry(*owner).or_default().push(*member);
        }
        map
    };
    let category_items = grouped(&rows.category_items);
    let item_selections = grouped(&rows.item_selections);
    let selection_options = grouped(&rows.selection_options);
    let option_category_selections = grouped(&rows.option_category_selections);

    let item_ids: HashSet<Uuid> = rows.items.iter().map(|i| i.id).collect();
    let selection_ids: HashSet<Uuid> = rows.selections.iter().map(|s| s.id).collect();
    let option_ids: HashSet<Uuid> = rows.options.iter().map(|o| o.id).collect();
    let members =
        |map: &HashMap<Uuid, Vec<Uuid>>, owner: Uuid, known: &HashSet<Uuid>| -> Vec<Uuid> {
            map.get(&owner)
                .map(|m| m.iter().copied().filter(|id| known.contains(id)).collect())
                .unwrap_or_default()
        };
    let sold_out = |date: Option<NaiveDate>| date == Some(rows.today);

    let categories: Vec<domain::Category> = rows
        .categories
        .iter()
        .map(|c| domain::Category {
            id: c.id.into(),
            name: c.name.clone(),
            item_ids: members(&category_items, c.id, &item_ids)
                .into_iter()
                .map(Into::into)
                .collect(),
        })
        .collect();

    let mut item_order: Vec<Uuid> = Vec::with_capacity(rows.items.len());
    let mut seen = HashSet::new();
    for id in categories.iter().flat_map(|c| c.item_ids.iter()) {
        if seen.insert(id.as_uuid()) {
            item_order.push(id.as_uuid());
        }
    }
    for item in &rows.items {
        if seen.insert(item.id) {
            item_order.push(item.id);
        }
    }
    let items_by_id: HashMap<Uuid, &db::ItemRow> = rows.items.iter().map(|i| (i.id, i)).collect();
    let items = item_order
        .iter()
        .filter_map(|id| items_by_id.get(id))
        .map(|i| domain::MenuItem {
            id: i.id.into(),
            name: i.name.clone(),
            description: i.description.clone(),
            price: domain::Money::won(i.price),
            image_url: i.image_url.clone().filter(|u| !u.is_empty()),
            disabled: i.disabled,
            sold_out: sold_out(i.sold_out_today),
            selection_ids: members(&item_selections, i.id, &selection_ids)
                .into_iter()
                .map(Into::into)
                .collect(),
        })
        .collect();

    let selections: Vec<domain::Selection> = rows
        .selections
        .iter()
        .map(|s| domain::Selection {
            id: s.id.into(),
            name: s.name.clone(),
            min: u32::try_from(s.min_select).unwrap_or(0),
            max: u32::try_from(s.max_select).unwrap_or(0),
            option_ids: members(&selection_options, s.id, &option_ids)
                .into_iter()
                .map(Into::into)
                .collect(),
        })
        .collect();

    let mut option_order: Vec<Uuid> = Vec::with_capacity(rows.options.len());
    let mut seen = HashSet::new();
    for id in selections.iter().flat_map(|s| s.option_ids.iter()) {
        if seen.insert(id.as_uuid()) {
            option_order.push(id.as_uuid());
        }
    }
    for option in &rows.options {
        if seen.insert(option.id) {
            option_order.push(option.id);
        }
    }
    let options_by_id: HashMap<Uuid, &db::OptionRow> =
        rows.options.iter().map(|o| (o.id, o)).collect();
    let options = option_order
        .iter()
        .filter_map(|id| options_by_id.get(id))
        .map(|o| domain::MenuOption {
            id: o.id.into(),
            name: o.name.clone(),
            price: domain::Money::won(o.price),
            disabled: o.disabled,
            sold_out: sold_out(o.sold_out_today),
        })
        .collect();

    let option_categories = rows
        .option_categories
        .iter()
        .map(|c| OptionCategoryDoc {
            id: c.id,
            name: c.name.clone(),
            selection_ids: members(&option_category_selections, c.id, &selection_ids),
        })
        .collect();

    Document {
        menu: domain::Menu {
            store_id: store_id.into(),
            version: rows.version,
            categories,
            items,
            selections,
            options,
        },
        store_name: rows.store_name.clone(),
        built_at: rows.built_at,
        option_categories,
    }
}

/// The midnight in Korea that ends `today` (a Korean date): when its sold-out marks lapse.
pub fn end_of_korean_day(today: NaiveDate) -> DateTime<Utc> {
    let next = today
        .checked_add_days(CalendarDays::new(1))
        .unwrap_or(today)
        .and_time(NaiveTime::MIN);
    domain::KST
        .from_local_datetime(&next)
        .single()
        .map_or_else(|| Utc.from_utc_datetime(&next), |t| t.with_timezone(&Utc))
}

pub struct Menus {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
}

impl Menus {
    /// The store's menu document, from the cache or rebuilt.
    pub async fn get(&self, store_id: Uuid) -> Result<Document, StoreError> {
        match db::get_document(&self.redis, &self.keys, store_id).await {
            Ok(Some(json)) => match serde_json::from_str::<Document>(&json) {
                Ok(doc) if doc.menu.store_id.as_uuid() == store_id => return Ok(doc),
                _ => tracing::warn!(%store_id, "unreadable menu document; rebuilding"),
            },
            Ok(None) => {}
            // The tables can answer without the cache.
            Err(e) => tracing::warn!(%store_id, error = %e, "menu cache unavailable"),
        }
        self.rebuild(store_id).await
    }

    /// Builds the document from Postgres and caches it.
    pub async fn rebuild(&self, store_id: Uuid) -> Result<Document, StoreError> {
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
        store_id: Uuid,
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
        if let Err(e) = self.rebuild(store_id).await {
            tracing::warn!(%store_id, error = %e, "menu document not rebuilt after edit");
        }
        Ok((id, version))
    }
}

async fn require_owned(
    conn: &mut PgConnection,
    table: (Table, &str),
    store_id: Uuid,
    ids: &[Uuid],
) -> Result<(), StoreError> {
    if db::all_owned(conn, table.0, store_id, ids).await? {
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
    store_id: Uuid,
    edit: Edit,
) -> Result<Option<Uuid>, StoreError> {
    match edit {
        Edit::UpsertCategory { id: None, name } => {
            let id = Uuid::now_v7();
            db::insert_category(tx, store_id, id, &name).await?;
            Ok(Some(id))
        }
        Edit::UpsertCategory { id: Some(id), name } => {
            found(
                db::rename(tx, Table::Category, store_id, id, &name).await?,
                "분류",
            )?;
            Ok(Some(id))
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
                    let id = Uuid::now_v7();
                    db::insert_item(tx, store_id, id, &fields).await?;
                    db::append_link(tx, Link::CategoryItems, &category_ids, id).await?;
                    Ok(Some(id))
                }
                Some(id) => {
                    found(db::update_item(tx, store_id, id, &fields).await?, "메뉴")?;
                    Ok(Some(id))
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
                    let id = Uuid::now_v7();
                    db::insert_selection(tx, store_id, id, &name, min, max).await?;
                    Ok(Some(id))
                }
                Some(id) => {
                    found(
                        db::update_selection(tx, store_id, id, &name, min, max).await?,
                        "옵션 그룹",
                    )?;
                    Ok(Some(id))
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
                let id = Uuid::now_v7();
                db::insert_option(tx, store_id, id, &name, price).await?;
                db::append_link(tx, Link::SelectionOptions, &selection_ids, id).await?;
                Ok(Some(id))
            }
            Some(id) => {
                found(
                    db::update_option(tx, store_id, id, &name, price).await?,
                    "옵션",
                )?;
                Ok(Some(id))
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
                let id = Uuid::now_v7();
                db::insert_option_category(tx, store_id, id, &name).await?;
                db::replace_links(tx, Link::OptionCategorySelections, id, &selection_ids).await?;
                Ok(Some(id))
            }
            Some(id) => {
                found(
                    db::rename(tx, Table::OptionCategory, store_id, id, &name).await?,
                    "옵션 분류",
                )?;
                Ok(Some(id))
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
            let current: HashSet<Uuid> =
                db::category_ids(tx, store_id).await?.into_iter().collect();
            let wanted: HashSet<Uuid> = category_ids.iter().copied().collect();
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

fn entry_name(entry: Entry) -> &'static str {
    match entry {
        Entry::Item => "메뉴",
        Entry::Option => "옵션",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, price: i64) -> Op {
        Op::UpsertItem(pb::UpsertItem {
            name: name.into(),
            price,
            ..Default::default()
        })
    }

    fn message(r: Result<Edit, StoreError>) -> String {
        match r {
            Err(StoreError::Invalid(m)) => m,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_are_trimmed_required_and_bounded_in_characters() {
        let Edit::UpsertItem { name, .. } = validate(Some(&item("  아메리카노 ", 4_500))).unwrap()
        else {
            panic!("not an item");
        };
        assert_eq!(name, "아메리카노");
        assert!(message(validate(Some(&item("   ", 0)))).contains("이름"));
        assert!(validate(Some(&item(&"가".repeat(60), 0))).is_ok());
        assert!(message(validate(Some(&item(&"가".repeat(61), 0)))).contains("60자"));
        assert!(message(validate(Some(&item("라\n떼", 0)))).contains("줄바꿈"));
    }

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

    #[test]
    fn prices_are_between_zero_and_ten_million_won() {
        assert!(validate(Some(&item("물", 0))).is_ok());
        assert!(validate(Some(&item("코스", PRICE_MAX_WON))).is_ok());
        assert!(message(validate(Some(&item("환불", -1)))).contains("가격"));
        assert!(message(validate(Some(&item("황금", PRICE_MAX_WON + 1)))).contains("가격"));
        let option = Op::UpsertOption(pb::UpsertOption {
            name: "샷".into(),
            price: -500,
            ..Default::default()
        });
        assert!(message(validate(Some(&option))).contains("가격"));
    }

    #[test]
    fn option_groups_need_min_at_most_max_and_max_at_least_one() {
        let group = |min, max| {
            validate(Some(&Op::UpsertSelection(pb::UpsertSelection {
                name: "샷 추가".into(),
                min,
                max,
                ..Default::default()
            })))
        };
        assert!(group(0, 2).is_ok());
        assert!(group(1, 1).is_ok());
        assert!(message(group(2, 1)).contains("최소 선택 수"));
        assert!(message(group(0, 0)).contains("최대 선택 수"));
        assert!(message(group(0, SELECT_MAX + 1)).contains("최대 선택 수"));
    }

    #[test]
    fn ids_must_parse_and_lists_must_not_repeat() {
        let a = Uuid::now_v7().to_string();
        let ok = Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: Uuid::now_v7().to_string(),
            item_ids: vec![a.clone(), Uuid::now_v7().to_string()],
        });
        assert!(validate(Some(&ok)).is_ok());
        let repeated = Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: Uuid::now_v7().to_string(),
            item_ids: vec![a.clone(), a],
        });
        assert!(message(validate(Some(&repeated))).contains("두 번"));
        let bad = Op::SetDisabled(pb::SetDisabled {
            kind: pb::MenuEntryKind::Item as i32,
            id: "item-1".into(),
            disabled: true,
        });
        assert!(message(validate(Some(&bad))).contains("id"));
        let no_kind = Op::SetSoldOut(pb::SetSoldOut {
            kind: 0,
            id: Uuid::now_v7().to_string(),
            sold_out: true,
        });
        assert!(validate(Some(&no_kind)).is_err());
        assert!(validate(None).is_err());
    }

    #[test]
    fn image_urls_are_web_addresses() {
        let with_url = |url: &str| {
            validate(Some(&Op::UpsertItem(pb::UpsertItem {
                name: "라떼".into(),
                image_url: url.into(),
                ..Default::default()
            })))
        };
        assert!(with_url("").is_ok());
        assert!(with_url("https://example.com/latte.png").is_ok());
        assert!(with_url("javascript:alert(1)").is_err());
        assert!(with_url("https://example.com/a b.png").is_err());
    }

    fn rows() -> (Uuid, MenuRows) {
        let today = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let (coffee, hidden_category) = (Uuid::now_v7(), Uuid::now_v7());
        let (latte, tea, loose) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (temp, disabled_group) = (Uuid::now_v7(), Uuid::now_v7());
        let (hot, ice) = (Uuid::now_v7(), Uuid::now_v7());
        let item = |id, name: &str, disabled, sold_out_today| db::ItemRow {
            id,
            name: name.into(),
            description: String::new(),
            price: 4_500,
            image_url: Some(String::new()),
            disabled,
            sold_out_today,
        };
        let option = |id, name: &str, sold_out_today| db::OptionRow {
            id,
            name: name.into(),
            price: 0,
            disabled: false,
            sold_out_today,
        };
        let store = Uuid::now_v7();
        (
            store,
            MenuRows {
                store_name: "간편카페".into(),
                version: 7,
                today,
                built_at: Utc::now(),
                categories: vec![db::CategoryRow {
                    id: coffee,
                    name: "커피".into(),
                }],
                items: vec![
                    item(loose, "미분류", false, None),
                    item(tea, "녹차", true, None),
                    item(latte, "라떼", false, today.pred_opt()),
                ],
                selections: vec![db::SelectionRow {
                    id: temp,
                    name: "온도".into(),
                    min_select: 1,
                    max_select: 1,
                }],
                options: vec![option(hot, "HOT", Some(today)), option(ice, "ICE", None)],
                option_categories: vec![db::CategoryRow {
                    id: Uuid::now_v7(),
                    name: "음료 옵션".into(),
                }],
                // `hidden_category` is disabled (not loaded), so its link is dropped.
                category_items: vec![(coffee, latte), (coffee, tea), (hidden_category, loose)],
                item_selections: vec![(latte, temp), (latte, disabled_group)],
                selection_options: vec![(temp, ice), (temp, hot)],
                option_category_selections: Vec::new(),
            },
        )
    }

    #[test]
    fn document_keeps_display_order_and_flags_entries() {
        let (store, rows) = rows();
        let doc = build(store, &rows);
        let m = &doc.menu;
        assert_eq!(m.version, 7);
        assert_eq!(doc.store_name, "간편카페");
        let names: Vec<&str> = m.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["라떼", "녹차", "미분류"]);
        let latte = &m.items[0];
        assert!(!latte.sold_out, "sold out yesterday is not sold out today");
        assert_eq!(latte.image_url, None);
        assert_eq!(latte.selection_ids.len(), 1, "disabled group link dropped");
        assert!(m.items[1].disabled);
        let option_names: Vec<&str> = m.options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(option_names, ["ICE", "HOT"]);
        assert!(m.options[1].sold_out);
        assert_eq!(m.categories[0].item_ids.len(), 2);
    }

    #[test]
    fn document_json_reads_as_the_domain_menu() {
        let (store, rows) = rows();
        let doc = build(store, &rows);
        let json = serde_json::to_string(&doc).unwrap();
        let as_domain: domain::Menu = serde_json::from_str(&json).unwrap();
        assert_eq!(as_domain, doc.menu);
        let back: Document = serde_json::from_str(&json).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn sold_out_marks_lapse_at_korean_midnight() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        // 2025-03-02 00:00 in Seoul is 2025-03-01 15:00 UTC.
        assert_eq!(
            end_of_korean_day(today),
            Utc.with_ymd_and_hms(2025, 3, 1, 15, 0, 0).unwrap()
        );
    }
}
