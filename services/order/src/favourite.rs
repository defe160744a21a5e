//! 나만의 메뉴: items with their options a customer saved per store under a short name, at most
//! [`domain::favourite::PER_STORE_MAX`] per store. Each is judged against today's menu when it
//! is shown or added, by the same rules as any cart line.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use domain::favourite::{self, FavouriteError};
use domain::{CustomerId, FavouriteId, ItemId, Money, OptionId, StoreId};
use sqlx::PgPool;

use crate::cart::{AddRequest, CartUpdate, Carts, problem_of};
use crate::customer::Customers;
use crate::error::OrderError;
use crate::menu::{MenuDoc, Menus};
use crate::model::Favourite;
use crate::storage::favourites as db;

/// A favourite as today's menu sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub favourite: Favourite,
    /// Empty when the item is gone.
    pub item_name: String,
    pub option_names: Vec<String>,
    /// `None` when it cannot be ordered now.
    pub unit_price: Option<Money>,
    /// Why not, in Korean.
    pub unavailable: Option<String>,
}

/// Names and today's price of `favourite`, or why it cannot be ordered now.
pub fn judge(favourite: Favourite, menu: Option<&MenuDoc>) -> Judged {
    let Some(doc) = menu else {
        return Judged {
            favourite,
            item_name: String::new(),
            option_names: Vec::new(),
            unit_price: None,
            unavailable: Some("가게를 찾을 수 없어요.".to_owned()),
        };
    };
    let menu = &doc.menu;
    let item_name = menu
        .item(favourite.item_id)
        .map(|i| i.name.clone())
        .unwrap_or_default();
    let option_names = favourite
        .option_ids
        .iter()
        .filter_map(|&id| menu.option(id).map(|o| o.name.clone()))
        .collect();
    let (unit_price, unavailable) =
        match domain::validate_line(menu, favourite.item_id, &favourite.option_ids, 1) {
            Ok(line) => (Some(line.unit_price), None),
            Err(error) => (None, Some(error.to_string())),
        };
    Judged {
        favourite,
        item_name,
        option_names,
        unit_price,
        unavailable,
    }
}

fn invalid(e: &FavouriteError) -> OrderError {
    match e {
        FavouriteError::Full => OrderError::Refused(e.to_string()),
        FavouriteError::EmptyName | FavouriteError::NameTooLong => {
            OrderError::Invalid(e.to_string())
        }
    }
}

fn not_found() -> OrderError {
    OrderError::NotFound("나만의 메뉴를 찾을 수 없어요.".to_owned())
}

pub struct SaveRequest {
    pub store_id: StoreId,
    pub item_id: ItemId,
    pub option_ids: Vec<OptionId>,
    /// Empty: made from the item and option names.
    pub name: String,
}

pub struct Favourites {
    pub pool: PgPool,
    pub menus: Menus,
    pub carts: Arc<Carts>,
    /// Whose cache entries hold the favourites the menu shows.
    pub customers: Arc<Customers>,
}

impl Favourites {
    /// Saves the item with its options, answering the kept one (and `false`) when the same item
    /// and options were saved before.
    pub async fn save(
        &self,
        customer: CustomerId,
        request: SaveRequest,
    ) -> Result<(Judged, bool), OrderError> {
        let doc = self.menu(request.store_id).await?;
        let line = domain::validate_line(&doc.menu, request.item_id, &request.option_ids, 1)
            .map_err(|e| {
                let problem = problem_of(&doc.menu, request.item_id, &request.option_ids, &e);
                OrderError::Invalid(problem.message)
            })?;
        let option_ids: Vec<OptionId> = line.options.iter().map(|o| o.option_id).collect();
        let name = if request.name.trim().is_empty() {
            let options: Vec<&str> = line
                .options
                .iter()
                .map(|o| o.option_name.as_str())
                .collect();
            favourite::default_name(&line.item_name, &options)
        } else {
            favourite::name(&request.name).map_err(|e| invalid(&e))?
        };
        let mut tx = self.pool.begin().await?;
        if !db::lock_customer(&mut tx, customer).await? {
            return Err(OrderError::NotFound(
                "고객 정보를 찾을 수 없어요.".to_owned(),
            ));
        }
        let held = db::list(&mut tx, customer, request.store_id).await?;
        if let Some(kept) = held
            .iter()
            .find(|f| f.item_id == request.item_id && f.option_ids == option_ids)
        {
            return Ok((judge(kept.clone(), Some(&doc)), false));
        }
        favourite::check_room(held.len()).map_err(|e| invalid(&e))?;
        let saved = Favourite {
            id: FavouriteId::new(),
            customer_id: customer,
            store_id: request.store_id,
            name,
            item_id: request.item_id,
            option_ids,
        };
        db::insert(&mut tx, &saved).await?;
        tx.commit().await?;
        self.customers.favourites_changed(customer).await;
        Ok((judge(saved, Some(&doc)), true))
    }

    /// The favourites of `store`, or of every store, oldest first.
    pub async fn list(
        &self,
        customer: CustomerId,
        store: Option<StoreId>,
    ) -> Result<Vec<Judged>, OrderError> {
        let kept = match store {
            Some(store) => {
                let mut conn = self.pool.acquire().await?;
                db::list(&mut conn, customer, store).await?
            }
            None => db::list_all(&self.pool, customer).await?,
        };
        let mut menus: HashMap<StoreId, Option<MenuDoc>> = HashMap::new();
        for f in &kept {
            if let Entry::Vacant(slot) = menus.entry(f.store_id) {
                slot.insert(self.menus.get(f.store_id).await?);
            }
        }
        Ok(kept
            .into_iter()
            .map(|f| {
                let menu = menus.get(&f.store_id).and_then(Option::as_ref);
                judge(f, menu)
            })
            .collect())
    }

    pub async fn rename(
        &self,
        customer: CustomerId,
        id: FavouriteId,
        name: &str,
    ) -> Result<Judged, OrderError> {
        let name = favourite::name(name).map_err(|e| invalid(&e))?;
        let renamed = db::rename(&self.pool, customer, id, &name)
            .await?
            .ok_or_else(not_found)?;
        self.customers.favourites_changed(customer).await;
        let menu = self.menus.get(renamed.store_id).await?;
        Ok(judge(renamed, menu.as_ref()))
    }

    pub async fn remove(&self, customer: CustomerId, id: FavouriteId) -> Result<bool, OrderError> {
        let removed = db::remove(&self.pool, customer, id).await?;
        if removed {
            self.customers.favourites_changed(customer).await;
        }
        Ok(removed)
    }

    /// One of the favourite into the cart, exactly as AddToCart adds a line.
    pub async fn add_to_cart(
        &self,
        customer: CustomerId,
        id: FavouriteId,
        expected: String,
        replace: bool,
    ) -> Result<CartUpdate, OrderError> {
        let kept = db::find(&self.pool, customer, id)
            .await?
            .ok_or_else(not_found)?;
        let add = AddRequest {
            store_id: kept.store_id,
            item_id: kept.item_id,
            option_ids: kept.option_ids,
            quantity: 1,
            expected,
            replace,
        };
        self.carts.add(customer, add).await
    }

    async fn menu(&self, store: StoreId) -> Result<MenuDoc, OrderError> {
        self.menus.get(store).await?.ok_or_else(|| {
            OrderError::Invalid("가게를 찾을 수 없어요. 가게를 다시 골라 주세요.".to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use domain::SelectionId;
    use domain::menu::{Menu, MenuItem, MenuOption, Selection};

    use super::*;

    fn doc(sold_out: bool) -> (MenuDoc, ItemId, OptionId) {
        let ice = MenuOption {
            id: OptionId::new(),
            name: "ICE".into(),
            price: Money::won(500),
            disabled: false,
            sold_out,
        };
        let hot = MenuOption {
            id: OptionId::new(),
            name: "HOT".into(),
            price: Money::won(0),
            disabled: false,
            sold_out: false,
        };
        let temperature = Selection {
            id: SelectionId::new(),
            name: "온도".into(),
            min: 1,
            max: 1,
            option_ids: vec![hot.id, ice.id],
        };
        let item = MenuItem {
            id: ItemId::new(),
            name: "아메리카노".into(),
            description: String::new(),
            price: Money::won(4_000),
            image_url: None,
            disabled: false,
            sold_out: false,
            selection_ids: vec![temperature.id],
        };
        let ids = (item.id, ice.id);
        let doc = MenuDoc {
            store_name: "카페".into(),
            menu: Menu {
                store_id: StoreId::new(),
                version: 1,
                categories: Vec::new(),
                items: vec![item],
                selections: vec![temperature],
                options: vec![hot, ice],
            },
        };
        (doc, ids.0, ids.1)
    }

    fn favourite(item: ItemId, option: OptionId) -> Favourite {
        Favourite {
            id: FavouriteId::new(),
            customer_id: CustomerId::new(),
            store_id: StoreId::new(),
            name: "아아".into(),
            item_id: item,
            option_ids: vec![option],
        }
    }

    #[test]
    fn a_favourite_is_priced_by_todays_menu_or_says_why_not() {
        let (menu, item, ice) = doc(false);
        let judged = judge(favourite(item, ice), Some(&menu));
        assert_eq!(judged.unit_price, Some(Money::won(4_500)));
        assert_eq!(judged.item_name, "아메리카노");
        assert_eq!(judged.option_names, ["ICE"]);
        assert_eq!(judged.unavailable, None);

        let (menu, item, ice) = doc(true);
        let judged = judge(favourite(item, ice), Some(&menu));
        assert_eq!(judged.unit_price, None);
        assert_eq!(
            judged.unavailable.as_deref(),
            Some("'ICE'은(는) 품절이에요.")
        );

        let gone = judge(favourite(ItemId::new(), ice), Some(&menu));
        assert_eq!(gone.item_name, "");
        assert!(gone.unavailable.is_some());
        assert!(judge(favourite(item, ice), None).unavailable.is_some());
    }
}
