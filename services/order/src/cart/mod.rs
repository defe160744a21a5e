//! Carts (order sessions, 주문서): one per customer, for one store, kept in Redis for 30 minutes
//! after the last change. Every change reads the cart, decides, and writes by compare-and-set on
//! the cart id, retrying on a conflict, so concurrent taps never lose an item.

mod decide;
mod problem;

use std::time::Duration;

use chrono::Utc;
use domain::CustomerId;
use domain::cart::{CartId, PricedCartLine};
use redis::aio::ConnectionManager;

pub use decide::{AddLinesRequest, AddRequest, CartUpdate, LeftOut, LineRequest, Outcome};
pub use problem::{Problem, ProblemCode, problem_of};

use crate::error::OrderError;
use crate::menu::Menus;
use crate::model::{CART_TTL, Session};
use crate::storage::OrderKeys;
use crate::storage::carts;
use decide::{Decision, answer, decide_add, decide_add_lines, decide_clear, decide_remove};

/// Compare-and-set attempts before giving up; a person tapping fast makes a handful of
/// conflicts, not ten.
const MAX_ATTEMPTS: u32 = 10;

/// Lock stripes: changes to one customer's cart within this process take turns, so a burst of
/// taps does not burn compare-and-set attempts against itself; the compare-and-set still guards
/// against other replicas.
const STRIPES: usize = 64;

pub struct Carts {
    redis: ConnectionManager,
    keys: OrderKeys,
    menus: Menus,
    stripes: Vec<tokio::sync::Mutex<()>>,
}

impl Carts {
    pub fn new(redis: ConnectionManager, keys: OrderKeys, menus: Menus) -> Carts {
        Carts {
            redis,
            keys,
            menus,
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    fn stripe(&self, customer: CustomerId) -> &tokio::sync::Mutex<()> {
        // The low bits of a UUID v7 are random.
        let index = customer.as_uuid().as_u128() % STRIPES as u128;
        &self.stripes[usize::try_from(index).unwrap_or(0)]
    }

    pub async fn get(&self, customer: CustomerId) -> Result<Option<Session>, OrderError> {
        Ok(carts::read(&self.redis, &self.keys.cart(customer))
            .await?
            .session)
    }

    pub async fn add(
        &self,
        customer: CustomerId,
        request: AddRequest,
    ) -> Result<CartUpdate, OrderError> {
        let menu = self.menus.get(request.store_id).await?;
        self.change(customer, |current| {
            decide_add(customer, &request, menu.as_ref(), current, Utc::now())
        })
        .await
    }

    /// Adds several lines in one change; what was left out comes with the update.
    pub async fn add_lines(
        &self,
        customer: CustomerId,
        request: AddLinesRequest,
    ) -> Result<(CartUpdate, Vec<LeftOut>), OrderError> {
        let menu = self.menus.get(request.store_id).await?;
        let mut left_out = Vec::new();
        let update = self
            .change(customer, |current| {
                let (decision, lines) =
                    decide_add_lines(customer, &request, menu.as_ref(), current, Utc::now());
                left_out = lines;
                decision
            })
            .await?;
        Ok((update, left_out))
    }

    pub async fn remove(
        &self,
        customer: CustomerId,
        line_id: u32,
        quantity: u32,
        expected: &str,
    ) -> Result<CartUpdate, OrderError> {
        self.change(customer, |current| {
            decide_remove(expected, line_id, quantity, current, Utc::now())
        })
        .await
    }

    pub async fn clear(
        &self,
        customer: CustomerId,
        expected: &str,
    ) -> Result<CartUpdate, OrderError> {
        self.change(customer, |current| decide_clear(expected, current))
            .await
    }

    /// Replaces the prices the customer was shown with `lines` (priced against today's menu), as
    /// a new version of the cart, if the cart still is `expected`.
    pub async fn reprice(
        &self,
        customer: CustomerId,
        expected: CartId,
        lines: Vec<PricedCartLine>,
    ) -> Result<CartUpdate, OrderError> {
        self.change(customer, |current| match current {
            Some(cart) if cart.cart.id == expected => {
                let mut next = cart;
                next.cart.id.bump();
                next.updated_ms = Utc::now().timestamp_millis();
                next.priced = lines.clone();
                Decision::Write(next)
            }
            other => answer(Outcome::Stale, other),
        })
        .await
    }

    /// Deletes the cart if it still is `cart_id`: an order was made of exactly that cart.
    pub async fn clear_ordered(
        &self,
        customer: CustomerId,
        cart_id: &str,
    ) -> Result<bool, OrderError> {
        carts::compare_and_set(
            &self.redis,
            &self.keys.cart(customer),
            cart_id,
            None,
            CART_TTL,
        )
        .await
    }

    /// Keeps the cart at least `ttl` longer, so it outlives the payment window of a payment made
    /// for it.
    pub async fn hold(&self, customer: CustomerId, ttl: Duration) -> Result<(), OrderError> {
        carts::extend(&self.redis, &self.keys.cart(customer), ttl).await
    }

    /// Reads, decides and writes by compare-and-set until a write lands or the decision needs
    /// no write; a lost race re-reads and decides again on the newer cart.
    async fn change(
        &self,
        customer: CustomerId,
        mut decide: impl FnMut(Option<Session>) -> Decision,
    ) -> Result<CartUpdate, OrderError> {
        let key = self.keys.cart(customer);
        let _turn = self.stripe(customer).lock().await;
        for attempt in 0..MAX_ATTEMPTS {
            let current = carts::read(&self.redis, &key).await?;
            let new = match decide(current.session) {
                Decision::Answer(update) => return Ok(update),
                Decision::Write(session) => Some(session),
                Decision::Delete => None,
            };
            if carts::compare_and_set(&self.redis, &key, &current.id, new.as_ref(), CART_TTL)
                .await?
            {
                return Ok(CartUpdate {
                    outcome: Outcome::Updated,
                    session: new,
                });
            }
            // Jittered, growing pauses spread competing writers apart.
            let cap_ms = 1_u64 << attempt.min(5);
            tokio::time::sleep(Duration::from_millis(rand::random_range(0..=cap_ms))).await;
        }
        Err(OrderError::Contended)
    }
}
