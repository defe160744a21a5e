//! The stores each customer ordered from, for the chatbot's "recent stores": the store service's
//! own copy, kept from the `order.placed` events of `x:order:events` (consumer group
//! `recent-stores`), so no service reads another's tables.

use chrono::Utc;
use contracts::events::types;
use contracts::events::v1::OrderPlaced;
use domain::{CustomerId, StoreId};
use platform::bus::{HandlerError, Message};
use prost::Message as _;
use sqlx::PgPool;

use crate::storage::stores as db;

pub struct RecentStores {
    pub pool: PgPool,
}

impl RecentStores {
    /// Records a placed order's store for its customer; other order events change nothing.
    /// Idempotent: a redelivered event writes the same time again.
    pub async fn handle(&self, message: &Message) -> Result<(), HandlerError> {
        if message.event_type != types::ORDER_PLACED {
            return Ok(());
        }
        let placed = OrderPlaced::decode(message.data.as_slice())
            .map_err(|e| platform::bus::permanent(format!("bad order.placed: {e}")))?;
        let bad = |what: &str, value: &str| {
            platform::bus::permanent(format!("order.placed: bad {what} {value:?}"))
        };
        let customer: CustomerId = placed
            .customer_id
            .parse()
            .map_err(|_| bad("customer_id", &placed.customer_id))?;
        let store: StoreId = placed
            .store_id
            .parse()
            .map_err(|_| bad("store_id", &placed.store_id))?;
        let at = placed
            .placed_at
            .as_ref()
            .and_then(contracts::time::datetime)
            .unwrap_or_else(Utc::now);
        db::record_ordered_from(&self.pool, customer, store, at).await?;
        Ok(())
    }
}
