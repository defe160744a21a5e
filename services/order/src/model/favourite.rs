//! A customer's saved item with its options (나만의 메뉴), for one store.

use domain::{CustomerId, FavouriteId, ItemId, OptionId, StoreId};
use serde::{Deserialize, Serialize};

/// Cached as JSON with its customer by [`crate::customer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Favourite {
    pub id: FavouriteId,
    pub customer_id: CustomerId,
    pub store_id: StoreId,
    pub name: String,
    pub item_id: ItemId,
    pub option_ids: Vec<OptionId>,
}
