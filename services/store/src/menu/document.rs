//! The menu document built from one snapshot of the menu tables.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use domain::{OptionCategoryId, SelectionId, StoreId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::storage::menu::{self as db, MenuRows};

/// An editor-only grouping of option groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionCategoryDoc {
    pub id: OptionCategoryId,
    pub name: String,
    pub selection_ids: Vec<SelectionId>,
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
pub fn build(store_id: StoreId, rows: &MenuRows) -> Document {
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
            id: c.id.into(),
            name: c.name.clone(),
            selection_ids: members(&option_category_selections, c.id, &selection_ids)
                .into_iter()
                .map(Into::into)
                .collect(),
        })
        .collect();

    Document {
        menu: domain::Menu {
            store_id,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> (StoreId, MenuRows) {
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
        let store = StoreId::new();
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
}
