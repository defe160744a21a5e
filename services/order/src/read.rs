//! The read model the chatbot's `orders` skill and the board's fallback read: one order and a
//! customer's recent orders through a short-lived Redis cache, a store's day straight from
//! Postgres (which day is live, the store service says). The cache is an optimisation: Postgres is the truth, every change of an order
//! invalidates it (the board's changes at once, the others through the `read-model` consumer of
//! `x:order:events`), and any Redis trouble falls back to Postgres.

use contracts::common::v1 as common;
use contracts::events::types;
use contracts::events::v1 as ev;
use contracts::order::v1 as pb;
use domain::{BusinessDayId, CustomerId, OrderId, OrderStatus, StoreId};
use platform::bus::Message;
use prost::Message as _;
use sqlx::PgPool;

use crate::day::Days;
use crate::error::OrderError;
use crate::messages::order as wire_order;
use crate::model::BookedOrder;
use crate::storage::reads::{self as db, Cache};

/// Orders a list holds when the caller asks for none in particular.
const DEFAULT_LIMIT: u32 = 10;
/// The cached list holds this many; longer lists are read from Postgres.
const CACHED_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 50;

const NOT_FOUND: &str = "주문을 찾을 수 없습니다.";

/// Orders a page of a store's orders holds unless asked otherwise, and at most.
const DEFAULT_PAGE: u32 = 200;
const MAX_PAGE: u32 = 1000;
/// Orders a page of a day's books holds unless asked otherwise (at most `MAX_PAGE`).
const DEFAULT_BOOKS_PAGE: u32 = 500;
/// Days one listing of a store's orders may name: a year of days, with room for days closed and
/// opened again on one date.
pub const MAX_LISTED_DAYS: usize = 400;

pub struct Reads {
    pub pool: PgPool,
    pub days: Days,
    pub cache: Cache,
}

/// Optional scopes of a lookup: an order outside them does not exist for the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    pub store: Option<StoreId>,
    pub customer: Option<CustomerId>,
}

impl Scope {
    fn admits(&self, order: &pb::Order) -> bool {
        let matches = |want: Option<String>, have: &str| want.is_none_or(|w| w == have);
        matches(self.store.map(|s| s.to_string()), &order.store_id)
            && matches(self.customer.map(|c| c.to_string()), &order.customer_id)
    }
}

impl Reads {
    pub async fn get(&self, id: OrderId, scope: Scope) -> Result<pb::Order, OrderError> {
        let mut order = self.get_cached(id).await?.ok_or_else(not_found)?;
        if !scope.admits(&order) {
            return Err(not_found());
        }
        self.with_place_in_line(std::slice::from_mut(&mut order))
            .await?;
        Ok(order)
    }

    /// Fills `ahead` of the open orders from Postgres: the line moves whenever another order
    /// of the store is accepted or handed over, which no cached copy of this order would see.
    async fn with_place_in_line(&self, orders: &mut [pb::Order]) -> Result<(), OrderError> {
        for order in orders {
            let status = common::OrderStatus::try_from(order.status);
            if !matches!(
                status,
                Ok(common::OrderStatus::Placed | common::OrderStatus::Accepted)
            ) {
                continue;
            }
            let (Ok(store), Ok(id)) = (order.store_id.parse(), order.order_id.parse()) else {
                continue;
            };
            let accepted = order
                .accepted_at
                .as_ref()
                .and_then(contracts::time::datetime);
            order.ahead = db::ahead(&self.pool, store, id, accepted).await?;
        }
        Ok(())
    }

    async fn get_cached(&self, id: OrderId) -> Result<Option<pb::Order>, OrderError> {
        let doc = self.cache.keys.order_doc(id);
        let generation = match self.cache.get(&doc).await {
            Ok(lookup) => {
                if let Some(order) = lookup.value.and_then(|v| pb::Order::decode(&*v).ok()) {
                    return Ok(Some(order));
                }
                Some(lookup.generation)
            }
            Err(e) => {
                tracing::warn!(error = %e, "order cache unreadable; reading Postgres");
                None
            }
        };
        let Some(order) = crate::storage::orders::find(&self.pool, id).await? else {
            return Ok(None);
        };
        let order = wire_order(&order);
        if let Some(generation) = generation {
            self.remember(&doc, &generation, &order.encode_to_vec())
                .await;
        }
        Ok(Some(order))
    }

    /// The customer's orders, most recent first.
    pub async fn customer_orders(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> Result<Vec<pb::Order>, OrderError> {
        let limit = match limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        if limit > CACHED_LIMIT {
            let mut orders = self.customer_orders_from_db(customer, limit).await?;
            self.with_place_in_line(&mut orders).await?;
            return Ok(orders);
        }
        let doc = self.cache.keys.customer_orders(customer);
        let generation = match self.cache.get(&doc).await {
            Ok(lookup) => {
                if let Some(list) = lookup.value.and_then(|v| pb::OrderList::decode(&*v).ok()) {
                    let mut orders: Vec<_> = list.orders.into_iter().take(limit as usize).collect();
                    self.with_place_in_line(&mut orders).await?;
                    return Ok(orders);
                }
                Some(lookup.generation)
            }
            Err(e) => {
                tracing::warn!(error = %e, "order cache unreadable; reading Postgres");
                None
            }
        };
        let orders = self.customer_orders_from_db(customer, CACHED_LIMIT).await?;
        if let Some(generation) = generation {
            let list = pb::OrderList {
                orders: orders.clone(),
            };
            self.remember(&doc, &generation, &list.encode_to_vec())
                .await;
        }
        let mut orders: Vec<_> = orders.into_iter().take(limit as usize).collect();
        self.with_place_in_line(&mut orders).await?;
        Ok(orders)
    }

    async fn customer_orders_from_db(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> Result<Vec<pb::Order>, OrderError> {
        let orders = db::customer_orders(&self.pool, customer, i64::from(limit)).await?;
        Ok(orders.iter().map(wire_order).collect())
    }

    async fn remember(&self, doc: &str, generation: &str, value: &[u8]) {
        if let Err(e) = self.cache.fill(doc, generation, value).await {
            tracing::warn!(error = %e, "order cache not filled");
        }
    }

    /// The orders of one of the store's days (its live day when `day` is `None`; none when it
    /// has no live day), in the order they were placed.
    pub async fn day_orders(
        &self,
        store: StoreId,
        day: Option<BusinessDayId>,
        statuses: &[OrderStatus],
    ) -> Result<Vec<pb::Order>, OrderError> {
        let day = match day {
            Some(day) => day,
            None => match self.days.live(store).await?.id {
                Some(day) => day,
                None => return Ok(Vec::new()),
            },
        };
        let orders = db::day_orders(&self.pool, store, day, statuses).await?;
        Ok(orders.iter().map(wire_order).collect())
    }

    /// One page of the paid orders of `days` (the store's; another store's list nothing), day by
    /// day in the order given, within a day in the order they were paid; with the cursor of the
    /// next page unless this was the last.
    pub async fn store_orders(
        &self,
        store: StoreId,
        days: &[BusinessDayId],
        page_size: u32,
        from: Option<Cursor>,
    ) -> Result<(Vec<pb::Order>, Option<Cursor>), OrderError> {
        // A day named twice would send the listing round in a circle.
        let mut seen = std::collections::HashSet::new();
        let days: Vec<BusinessDayId> = days.iter().copied().filter(|d| seen.insert(*d)).collect();
        let days = days.as_slice();
        if days.len() > MAX_LISTED_DAYS {
            return Err(OrderError::Invalid(format!(
                "at most {MAX_LISTED_DAYS} days per listing"
            )));
        }
        let size = match page_size {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        } as usize;
        let mut at = match from {
            None => days.first().map(|&day| Cursor { day, after: None }),
            Some(cursor) if days.contains(&cursor.day) => Some(cursor),
            Some(_) => {
                return Err(OrderError::Invalid(
                    "page token of another listing".to_owned(),
                ));
            }
        };
        let mut orders = Vec::new();
        while let Some(cursor) = at.filter(|_| orders.len() < size) {
            let want = size - orders.len();
            let batch = db::paid_orders_page(
                &self.pool,
                store,
                cursor.day,
                cursor.after,
                i64::try_from(want).unwrap_or(i64::MAX),
            )
            .await?;
            at = match batch.last() {
                // A full batch may have more of the day behind it.
                Some(last) if batch.len() == want => Some(Cursor {
                    day: cursor.day,
                    after: Some(last.id),
                }),
                _ => next_day(days, cursor.day),
            };
            orders.extend(batch.iter().map(wire_order));
        }
        Ok((orders, at))
    }

    /// One page of every order of one of the store's days as accounting keeps them, by id after
    /// `after`; with the last order's id when more may follow.
    pub async fn day_books(
        &self,
        store: StoreId,
        day: BusinessDayId,
        page_size: u32,
        after: Option<OrderId>,
    ) -> Result<(Vec<BookedOrder>, Option<OrderId>), OrderError> {
        let size = match page_size {
            0 => DEFAULT_BOOKS_PAGE,
            n => n.min(MAX_PAGE),
        };
        let orders = db::booked_orders_page(&self.pool, store, day, after, i64::from(size)).await?;
        let next = orders
            .last()
            .filter(|_| orders.len() == size as usize)
            .map(|o| o.id);
        Ok((orders, next))
    }

    /// Forgets what the cache holds about the order; best effort, the entries expire anyway.
    pub async fn invalidate(&self, order: OrderId, customer: CustomerId) {
        if let Err(e) = self.cache.invalidate(order, customer).await {
            tracing::warn!(order_id = %order, error = %e, "order cache not invalidated");
        }
    }

    /// One `x:order:events` message: whatever happened, the order's cached views are stale.
    pub async fn handle(&self, message: &Message) -> Result<(), OrderError> {
        let Some((order, customer)) = subject(&message.event_type, &message.data)? else {
            return Ok(());
        };
        self.cache.invalidate(order, customer).await
    }
}

/// Where a listing of a store's orders goes on: in `day`, after the order `after` (from the
/// day's first when `None`). On the wire: `<day id>` or `<day id>:<order id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub day: BusinessDayId,
    pub after: Option<OrderId>,
}

impl Cursor {
    /// A page token as sent back by the caller; empty is the first page.
    pub fn parse(token: &str) -> Result<Option<Cursor>, OrderError> {
        if token.is_empty() {
            return Ok(None);
        }
        let malformed = || OrderError::Invalid(format!("malformed page token '{token}'"));
        let (day, after) = match token.split_once(':') {
            Some((day, after)) => (day, Some(after)),
            None => (token, None),
        };
        Ok(Some(Cursor {
            day: day.parse().map_err(|_| malformed())?,
            after: after
                .map(|a| a.parse().map_err(|_| malformed()))
                .transpose()?,
        }))
    }

    pub fn token(self) -> String {
        match self.after {
            Some(after) => format!("{}:{after}", self.day),
            None => self.day.to_string(),
        }
    }
}

/// The start of the day listed after `day`, if any.
fn next_day(days: &[BusinessDayId], day: BusinessDayId) -> Option<Cursor> {
    let index = days.iter().position(|&d| d == day)?;
    days.get(index + 1).map(|&day| Cursor { day, after: None })
}

fn not_found() -> OrderError {
    OrderError::NotFound(NOT_FOUND.to_owned())
}

/// A status filter as sent on the wire.
pub fn statuses(codes: &[i32]) -> Result<Vec<OrderStatus>, OrderError> {
    codes
        .iter()
        .map(|&code| match common::OrderStatus::try_from(code) {
            Ok(common::OrderStatus::Approving) => Ok(OrderStatus::Approving),
            Ok(common::OrderStatus::Placed) => Ok(OrderStatus::Placed),
            Ok(common::OrderStatus::Accepted) => Ok(OrderStatus::Accepted),
            Ok(common::OrderStatus::Ready) => Ok(OrderStatus::Ready),
            Ok(common::OrderStatus::Canceled) => Ok(OrderStatus::Canceled),
            Ok(common::OrderStatus::Failed) => Ok(OrderStatus::Failed),
            Ok(common::OrderStatus::Unspecified) | Err(_) => {
                Err(OrderError::Invalid(format!("unknown order status {code}")))
            }
        })
        .collect()
}

/// The order and customer an order event is about; `None` for events that name none.
fn subject(event_type: &str, data: &[u8]) -> Result<Option<(OrderId, CustomerId)>, OrderError> {
    let undecodable =
        |e: prost::DecodeError| OrderError::Internal(format!("undecodable {event_type}: {e}"));
    let (order, customer) = match event_type {
        types::ORDER_PLACED => {
            let e = ev::OrderPlaced::decode(data).map_err(undecodable)?;
            (e.order_id, e.customer_id)
        }
        types::ORDER_ACCEPTED => {
            let e = ev::OrderAccepted::decode(data).map_err(undecodable)?;
            (e.order_id, e.customer_id)
        }
        types::ORDER_READY => {
            let e = ev::OrderReady::decode(data).map_err(undecodable)?;
            (e.order_id, e.customer_id)
        }
        types::ORDER_CANCELED => {
            let e = ev::OrderCanceled::decode(data).map_err(undecodable)?;
            (e.order_id, e.customer_id)
        }
        types::ORDER_APPROVAL_FAILED => {
            let e = ev::OrderApprovalFailed::decode(data).map_err(undecodable)?;
            (e.order_id, e.customer_id)
        }
        _ => return Ok(None),
    };
    let parse = |what: &str, text: &str| {
        OrderError::Internal(format!("{event_type} names {what} '{text}'"))
    };
    Ok(Some((
        order.parse().map_err(|_| parse("order", &order))?,
        customer.parse().map_err(|_| parse("customer", &customer))?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_events_name_their_order_and_customer() {
        let order = OrderId::from(uuid::Uuid::now_v7());
        let customer = CustomerId::from(uuid::Uuid::now_v7());
        let ready = ev::OrderReady {
            order_id: order.to_string(),
            customer_id: customer.to_string(),
            ..Default::default()
        };
        assert_eq!(
            subject(types::ORDER_READY, &ready.encode_to_vec()).unwrap(),
            Some((order, customer))
        );
        assert_eq!(subject("menu.changed", b"anything").unwrap(), None);
        assert!(subject(types::ORDER_CANCELED, b"\xff\xff").is_err());
    }

    #[test]
    fn status_filters_name_known_statuses() {
        let wire = [
            common::OrderStatus::Placed as i32,
            common::OrderStatus::Ready as i32,
        ];
        assert_eq!(
            statuses(&wire).unwrap(),
            [OrderStatus::Placed, OrderStatus::Ready]
        );
        assert!(statuses(&[0]).is_err());
        assert!(statuses(&[99]).is_err());
    }

    #[test]
    fn page_tokens_round_trip_and_refuse_garbage() {
        let day = BusinessDayId::from(uuid::Uuid::now_v7());
        let order = OrderId::from(uuid::Uuid::now_v7());
        for cursor in [
            Cursor { day, after: None },
            Cursor {
                day,
                after: Some(order),
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.token()).unwrap(), Some(cursor));
        }
        assert_eq!(Cursor::parse("").unwrap(), None);
        for garbage in ["x", "x:y", &format!("{day}:"), &format!("{day}:{day}x")] {
            assert!(Cursor::parse(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn a_listing_goes_on_with_the_next_day_given() {
        let days: Vec<BusinessDayId> = (0..3)
            .map(|_| BusinessDayId::from(uuid::Uuid::now_v7()))
            .collect();
        assert_eq!(
            next_day(&days, days[0]),
            Some(Cursor {
                day: days[1],
                after: None
            })
        );
        assert_eq!(next_day(&days, days[2]), None);
    }

    #[test]
    fn scopes_hide_other_stores_and_customers_orders() {
        let store = StoreId::from(uuid::Uuid::now_v7());
        let customer = CustomerId::from(uuid::Uuid::now_v7());
        let order = pb::Order {
            store_id: store.to_string(),
            customer_id: customer.to_string(),
            ..Default::default()
        };
        assert!(Scope::default().admits(&order));
        assert!(
            Scope {
                store: Some(store),
                customer: Some(customer)
            }
            .admits(&order)
        );
        let stranger = CustomerId::from(uuid::Uuid::now_v7());
        assert!(
            !Scope {
                customer: Some(stranger),
                ..Scope::default()
            }
            .admits(&order)
        );
    }
}
