//! Postgres queries and Redis scripts. Nothing here decides policy; the modules above do.

pub mod carts;
pub mod customers;
pub mod day_stream;
pub mod days;
pub mod favourites;
pub mod fulfil;
pub mod orders;
pub mod reads;
pub mod settings;

use domain::{BusinessDayId, CustomerId, StoreId};
use platform::redis::Keys;

/// The Redis key names of the order service (DESIGN §4), under the deployment's prefix.
#[derive(Debug, Clone)]
pub struct OrderKeys(pub Keys);

impl OrderKeys {
    /// The customer's cart (order session): a JSON string.
    pub fn cart(&self, customer: CustomerId) -> String {
        self.0.key(&format!("cart:{customer}"))
    }

    /// Nicknames held by the store's not-yet-ready orders of one business day (a set). The store
    /// service deletes it when the day closes.
    pub fn nicknames(&self, store: StoreId, day: BusinessDayId) -> String {
        self.0
            .key(&contracts::keys::nicknames(store.as_uuid(), day.as_uuid()))
    }

    /// Held by the one reader that rebuilds a day stream (a token string, with a TTL).
    pub fn day_stream_rebuild_lock(&self, stream_key: &str) -> String {
        self.0.key(&format!("rebuild-lock:{stream_key}"))
    }

    /// Where one rebuild stages the day stream before it swaps it in.
    pub fn day_stream_staging(&self, stream_key: &str, token: &str) -> String {
        self.0.key(&format!("rebuild:{stream_key}:{token}"))
    }

    /// What the first visit of an approval URL decided (JSON), so a repeated visit shows the
    /// same result long after the payment service forgot the token.
    pub fn approval_result(&self, token: &str) -> String {
        self.0.key(&format!("pay:done:{token}"))
    }
}
