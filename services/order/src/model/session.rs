//! The cart as stored (order session, 주문서) and the changes a customer makes to it.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use domain::cart::{PricedCart, PricedCartLine, PricedLine};
use domain::menu::Menu;
use domain::{Cart, CartError, CustomerId, ItemId, Money, OptionId, StoreId};
use serde::{Deserialize, Serialize};

/// How long a cart lives after its last change.
pub const CART_TTL: Duration = Duration::from_secs(30 * 60);

/// The cart as stored: the domain cart (whose `id` the compare-and-set compares) and what the
/// order sheet shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    #[serde(flatten)]
    pub cart: Cart,
    pub customer_id: CustomerId,
    pub store_name: String,
    /// Unix milliseconds of the last change.
    pub updated_ms: i64,
    /// Each line as priced when it last changed, with its option snapshots: the prices the
    /// customer was shown. Placement re-prices against the menu of that moment.
    pub priced: Vec<PricedCartLine>,
}

impl Session {
    /// An empty cart. Its creation time is later than the previous cart's, so a new cart never
    /// reuses an id the customer saw on an earlier one.
    pub(crate) fn new(
        customer_id: CustomerId,
        store_id: StoreId,
        store_name: String,
        now: DateTime<Utc>,
        previous: Option<&Session>,
    ) -> Session {
        let after_previous = previous
            .and_then(|p| i64::try_from(p.cart.id.created_ms()).ok())
            .and_then(|ms| Utc.timestamp_millis_opt(ms.saturating_add(1)).single());
        let created = after_previous.map_or(now, |t| t.max(now));
        Session {
            cart: Cart::new(store_id, created),
            customer_id,
            store_name,
            updated_ms: now.timestamp_millis(),
            priced: Vec::new(),
        }
    }

    pub fn created_ms(&self) -> i64 {
        i64::try_from(self.cart.id.created_ms()).unwrap_or(i64::MAX)
    }

    /// The cart expires this long after its last change.
    pub fn expires_ms(&self) -> i64 {
        let ttl = i64::try_from(CART_TTL.as_millis()).unwrap_or(i64::MAX);
        self.updated_ms.saturating_add(ttl)
    }

    /// The order sheet: the lines as priced and their total.
    pub fn priced_cart(&self) -> Result<PricedCart, CartError> {
        Ok(PricedCart {
            cart_id: self.cart.id,
            store_id: self.cart.store_id,
            lines: self.priced.clone(),
            total: Money::sum(self.priced.iter().map(|l| l.line.line_total))?,
        })
    }

    /// Adds a line, or more of the same item with the same options to its line. The menu must
    /// be the cart's store's.
    pub(crate) fn add(
        &mut self,
        menu: &Menu,
        item_id: ItemId,
        option_ids: &[OptionId],
        quantity: u32,
    ) -> Result<(), CartError> {
        let line = domain::validate_line(menu, item_id, option_ids, quantity)?;
        let chosen: Vec<OptionId> = line.options.iter().map(|o| o.option_id).collect();
        let same = self
            .cart
            .lines
            .iter()
            .find(|l| l.item_id == item_id && l.option_ids == chosen)
            .map(|l| (l.line_id, l.quantity));
        match same {
            Some((line_id, held)) => {
                let quantity = held.saturating_add(quantity);
                self.cart.set_quantity(line_id, quantity)?;
                let line = PricedLine {
                    quantity,
                    line_total: line.unit_price.checked_mul(quantity)?,
                    ..line
                };
                self.set_priced(line_id, line);
            }
            None => {
                let added = self.cart.add(menu, item_id, option_ids, quantity)?;
                self.priced.push(added);
            }
        }
        // A total that cannot be represented is refused now, not at payment.
        self.priced_cart().map(|_| ())
    }

    /// Removes `quantity` of a line; 0 (or all of it) removes the line.
    pub(crate) fn remove(&mut self, line_id: u32, quantity: u32) -> Result<(), CartError> {
        let held = self
            .cart
            .line(line_id)
            .ok_or(CartError::UnknownLine(line_id))?
            .quantity;
        if quantity == 0 || quantity >= held {
            self.cart.remove(line_id)?;
            self.priced.retain(|l| l.line_id != line_id);
            return Ok(());
        }
        let left = held - quantity;
        self.cart.set_quantity(line_id, left)?;
        if let Some(priced) = self.priced.iter().find(|l| l.line_id == line_id) {
            let line = PricedLine {
                quantity: left,
                line_total: priced.line.unit_price.checked_mul(left)?,
                ..priced.line.clone()
            };
            self.set_priced(line_id, line);
        }
        Ok(())
    }

    fn set_priced(&mut self, line_id: u32, line: PricedLine) {
        if let Some(priced) = self.priced.iter_mut().find(|l| l.line_id == line_id) {
            priced.line = line;
        }
    }
}
