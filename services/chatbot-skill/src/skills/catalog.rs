//! The menu document as customers see it: disabled items and options hidden, sold-out ones
//! kept and marked, everything in display order.

use std::collections::HashMap;

use contracts::common::v1::{Category, Item, Menu, Option as MenuOption, Selection};

pub struct Catalog<'a> {
    menu: &'a Menu,
    items: HashMap<&'a str, &'a Item>,
    selections: HashMap<&'a str, &'a Selection>,
    options: HashMap<&'a str, &'a MenuOption>,
}

/// An option group of an item with the options a customer may see.
pub struct Group<'a> {
    pub selection: &'a Selection,
    pub options: Vec<&'a MenuOption>,
}

impl Group<'_> {
    /// Options that can be chosen now.
    pub fn orderable(&self) -> impl Iterator<Item = &MenuOption> {
        self.options.iter().copied().filter(|o| !o.sold_out)
    }

    /// The most options the group takes; 0 in the document means "as many as it has".
    pub fn max(&self) -> usize {
        match self.selection.max {
            0 => self.options.len(),
            max => max as usize,
        }
    }

    pub fn min(&self) -> usize {
        self.selection.min as usize
    }

    /// "필수 1개", "최대 2개", "1~2개 선택".
    pub fn rule(&self) -> String {
        let (min, max) = (self.min(), self.max());
        if min == 0 {
            format!("선택, 최대 {max}개")
        } else if min == max {
            format!("필수 {min}개")
        } else {
            format!("필수, {min}~{max}개")
        }
    }
}

impl<'a> Catalog<'a> {
    pub fn new(menu: &'a Menu) -> Catalog<'a> {
        Catalog {
            menu,
            items: menu.items.iter().map(|i| (i.id.as_str(), i)).collect(),
            selections: menu.selections.iter().map(|s| (s.id.as_str(), s)).collect(),
            options: menu.options.iter().map(|o| (o.id.as_str(), o)).collect(),
        }
    }

    /// Categories with at least one visible item.
    pub fn categories(&self) -> Vec<&'a Category> {
        self.menu
            .categories
            .iter()
            .filter(|c| !self.items_of(c).is_empty())
            .collect()
    }

    pub fn category(&self, id: &str) -> Option<&'a Category> {
        self.categories().into_iter().find(|c| c.id == id)
    }

    pub fn items_of(&self, category: &Category) -> Vec<&'a Item> {
        category
            .item_ids
            .iter()
            .filter_map(|id| self.item(id))
            .collect()
    }

    /// A visible item.
    pub fn item(&self, id: &str) -> Option<&'a Item> {
        self.items.get(id).copied().filter(|i| !i.disabled)
    }

    pub fn option(&self, id: &str) -> Option<&'a MenuOption> {
        self.options.get(id).copied().filter(|o| !o.disabled)
    }

    /// The item's option groups that have something to show, in order.
    pub fn groups(&self, item: &Item) -> Vec<Group<'a>> {
        item.selection_ids
            .iter()
            .filter_map(|id| self.selections.get(id.as_str()).copied())
            .map(|selection| Group {
                selection,
                options: selection
                    .option_ids
                    .iter()
                    .filter_map(|id| self.option(id))
                    .collect(),
            })
            .filter(|g| !g.options.is_empty() || g.min() > 0)
            .collect()
    }
}

#[cfg(test)]
pub mod fixture {
    //! A small café menu for the skills' unit tests.

    use super::*;

    pub const STORE: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b";
    pub const COFFEE: &str = "c0000000-0000-7000-8000-000000000001";
    pub const DESSERT: &str = "c0000000-0000-7000-8000-000000000002";
    pub const AMERICANO: &str = "10000000-0000-7000-8000-000000000001";
    pub const LATTE: &str = "10000000-0000-7000-8000-000000000002";
    pub const COOKIE: &str = "10000000-0000-7000-8000-000000000003";
    pub const HIDDEN: &str = "10000000-0000-7000-8000-000000000004";
    pub const TEMPERATURE: &str = "50000000-0000-7000-8000-000000000001";
    pub const SHOT: &str = "50000000-0000-7000-8000-000000000002";
    pub const HOT: &str = "00000000-0000-7000-8000-000000000001";
    pub const ICE: &str = "00000000-0000-7000-8000-000000000002";
    pub const SHOT_1: &str = "00000000-0000-7000-8000-000000000003";
    pub const SHOT_2: &str = "00000000-0000-7000-8000-000000000004";
    pub const DECAF: &str = "00000000-0000-7000-8000-000000000005";

    fn item(id: &str, name: &str, price: i64, selections: &[&str]) -> Item {
        Item {
            id: id.into(),
            name: name.into(),
            description: format!("{name} 설명"),
            price,
            selection_ids: selections.iter().map(|s| s.to_string()).collect(),
            ..Item::default()
        }
    }

    fn option(id: &str, name: &str, price: i64) -> MenuOption {
        MenuOption {
            id: id.into(),
            name: name.into(),
            price,
            ..MenuOption::default()
        }
    }

    pub fn menu() -> Menu {
        let mut cookie = item(COOKIE, "초코 쿠키", 2_500, &[]);
        cookie.sold_out = true;
        let mut hidden = item(HIDDEN, "숨은 메뉴", 1_000, &[]);
        hidden.disabled = true;
        let mut decaf = option(DECAF, "디카페인", 300);
        decaf.sold_out = true;
        Menu {
            store_id: STORE.into(),
            version: 3,
            store_name: "간편카페 강남점".into(),
            categories: vec![
                Category {
                    id: COFFEE.into(),
                    name: "커피".into(),
                    item_ids: vec![AMERICANO.into(), LATTE.into()],
                },
                Category {
                    id: DESSERT.into(),
                    name: "디저트".into(),
                    item_ids: vec![COOKIE.into(), HIDDEN.into()],
                },
            ],
            items: vec![
                item(AMERICANO, "아메리카노", 4_500, &[TEMPERATURE, SHOT]),
                item(LATTE, "카페 라떼", 5_000, &[TEMPERATURE]),
                cookie,
                hidden,
            ],
            selections: vec![
                Selection {
                    id: TEMPERATURE.into(),
                    name: "온도".into(),
                    min: 1,
                    max: 1,
                    option_ids: vec![HOT.into(), ICE.into()],
                },
                Selection {
                    id: SHOT.into(),
                    name: "샷 추가".into(),
                    min: 0,
                    max: 2,
                    option_ids: vec![SHOT_1.into(), SHOT_2.into(), DECAF.into()],
                },
            ],
            options: vec![
                option(HOT, "HOT", 0),
                option(ICE, "ICE", 0),
                option(SHOT_1, "샷 1", 500),
                option(SHOT_2, "샷 2", 500),
                decaf,
            ],
            ..Menu::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    #[test]
    fn disabled_entries_are_hidden_and_sold_out_ones_kept() {
        let menu = menu();
        let catalog = Catalog::new(&menu);
        let dessert = catalog.category(DESSERT).unwrap();
        let names: Vec<&str> = catalog
            .items_of(dessert)
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["초코 쿠키"]);
        assert!(catalog.item(HIDDEN).is_none());
        let americano = catalog.item(AMERICANO).unwrap();
        let groups = catalog.groups(americano);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].rule(), "필수 1개");
        assert_eq!(groups[1].rule(), "선택, 최대 2개");
        assert_eq!(groups[1].options.len(), 3);
        assert_eq!(groups[1].orderable().count(), 2);
    }
}
