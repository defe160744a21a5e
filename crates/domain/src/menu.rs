//! The read-optimised menu document of one store, built from the normalised
//! menu tables and cached as JSON in Redis. It holds only what customers may
//! see: disabled categories and option groups are left out by the builder,
//! while disabled or sold-out items and options stay in (flagged) so a cart
//! naming them gets a precise answer.

use serde::{Deserialize, Serialize};

use crate::ids::{CategoryId, ItemId, OptionId, SelectionId, StoreId};
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub store_id: StoreId,
    /// `menu_version.version` the document was built from.
    pub version: i64,
    /// In display order.
    pub categories: Vec<Category>,
    pub items: Vec<MenuItem>,
    pub selections: Vec<Selection>,
    pub options: Vec<MenuOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    /// In display order.
    pub item_ids: Vec<ItemId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuItem {
    pub id: ItemId,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub image_url: Option<String>,
    pub disabled: bool,
    pub sold_out: bool,
    /// The item's option groups, in display order.
    pub selection_ids: Vec<SelectionId>,
}

impl MenuItem {
    pub fn orderable(&self) -> bool {
        !self.disabled && !self.sold_out
    }
}

/// An option group ("온도", "샷 추가"): a customer picks between `min` and `max`
/// distinct options of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub id: SelectionId,
    pub name: String,
    pub min: u32,
    pub max: u32,
    /// In display order.
    pub option_ids: Vec<OptionId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuOption {
    pub id: OptionId,
    pub name: String,
    /// Surcharge per unit of the item.
    pub price: Money,
    pub disabled: bool,
    pub sold_out: bool,
}

impl MenuOption {
    pub fn orderable(&self) -> bool {
        !self.disabled && !self.sold_out
    }
}

impl Menu {
    pub fn category(&self, id: CategoryId) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    pub fn item(&self, id: ItemId) -> Option<&MenuItem> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn selection(&self, id: SelectionId) -> Option<&Selection> {
        self.selections.iter().find(|s| s.id == id)
    }

    pub fn option(&self, id: OptionId) -> Option<&MenuOption> {
        self.options.iter().find(|o| o.id == id)
    }

    /// The category's items in display order.
    pub fn items_of<'a>(&'a self, category: &'a Category) -> impl Iterator<Item = &'a MenuItem> {
        category.item_ids.iter().filter_map(|&id| self.item(id))
    }

    /// The item's option groups in display order.
    pub fn selections_of<'a>(&'a self, item: &'a MenuItem) -> impl Iterator<Item = &'a Selection> {
        item.selection_ids
            .iter()
            .filter_map(|&id| self.selection(id))
    }

    /// The group's options in display order.
    pub fn options_of<'a>(
        &'a self,
        selection: &'a Selection,
    ) -> impl Iterator<Item = &'a MenuOption> {
        selection
            .option_ids
            .iter()
            .filter_map(|&id| self.option(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu() -> Menu {
        let hot = MenuOption {
            id: OptionId::new(),
            name: "HOT".into(),
            price: Money::ZERO,
            disabled: false,
            sold_out: false,
        };
        let temperature = Selection {
            id: SelectionId::new(),
            name: "온도".into(),
            min: 1,
            max: 1,
            option_ids: vec![hot.id],
        };
        let latte = MenuItem {
            id: ItemId::new(),
            name: "카페라떼".into(),
            description: "우유가 들어간 커피".into(),
            price: Money::won(4_500),
            image_url: Some("https://example.com/latte.png".into()),
            disabled: false,
            sold_out: false,
            selection_ids: vec![temperature.id],
        };
        Menu {
            store_id: StoreId::new(),
            version: 3,
            categories: vec![Category {
                id: CategoryId::new(),
                name: "커피".into(),
                item_ids: vec![latte.id],
            }],
            items: vec![latte],
            selections: vec![temperature],
            options: vec![hot],
        }
    }

    #[test]
    fn lookups_follow_the_ordered_ids() {
        let menu = menu();
        let category = &menu.categories[0];
        let item = menu.items_of(category).next().unwrap();
        assert_eq!(item.name, "카페라떼");
        let group = menu.selections_of(item).next().unwrap();
        assert_eq!(group.name, "온도");
        assert_eq!(menu.options_of(group).next().unwrap().name, "HOT");
        assert!(menu.item(ItemId::new()).is_none());
        assert_eq!(menu.category(category.id).unwrap().name, "커피");
    }

    #[test]
    fn json_round_trip_keeps_everything() {
        let menu = menu();
        let json = serde_json::to_string(&menu).unwrap();
        assert!(json.contains("\"price\":4500"));
        let back: Menu = serde_json::from_str(&json).unwrap();
        assert_eq!(back, menu);
    }
}
