//! The order as recorded in Postgres (`customer_order` and its payment row), and the bounded
//! wait for an order to leave APPROVING that the approval result page uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::cart::PricedCartLine;
use domain::{BusinessDayId, CustomerId, Money, OrderId, OrderStatus, PrepMinutes, StoreId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::error::OrderError;
use crate::storage::orders as db;

/// What the customer agreed to pay for, copied at approval (`customer_order.cart_snapshot`):
/// later menu edits never change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub cart_id: String,
    pub store_name: String,
    pub lines: Vec<PricedCartLine>,
    pub total: Money,
}

/// What KakaoPay approve needs, recorded with the APPROVING row (`customer_order.
/// payment_session`) so the sweeper can settle the order when the approval message is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRef {
    pub tid: String,
    /// KakaoPay's one-time approval code from the redirect; useless without our secret key.
    pub pg_token: String,
    pub partner_order_id: String,
    pub partner_user_id: String,
    pub amount: Money,
    /// End of KakaoPay's payment window.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub expires_at: DateTime<Utc>,
}

/// The `order_payment.status` values this service writes.
pub mod ledger {
    pub const APPROVED: &str = "APPROVED";
    /// A compensating refund was decided and not yet confirmed: it must be finished before
    /// anything else happens to the order.
    pub const CANCEL_PENDING: &str = "CANCEL_PENDING";
    pub const CANCELED: &str = "CANCELED";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub store_id: StoreId,
    pub day_id: BusinessDayId,
    pub customer_id: CustomerId,
    /// The customer's Kakao key, for alerts.
    pub bot_user_key: String,
    pub status: OrderStatus,
    pub nickname: String,
    pub snapshot: Snapshot,
    pub payment: Option<PaymentRef>,
    /// `order_payment.status`, when the order has a payment row.
    pub ledger_status: Option<String>,
    /// What KakaoPay approved (`order_payment.amount`), when the order has a payment row.
    pub charged: Option<Money>,
    /// Returned to the customer so far.
    pub refunded: Money,
    pub failure_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub placed_at: Option<DateTime<Utc>>,
    pub accepted: Option<Acceptance>,
    pub ready_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// The customer canceled it from the chatbot before it was accepted.
    pub canceled_by_customer: bool,
}

/// The store's 접수: when, and the time it promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acceptance {
    pub at: DateTime<Utc>,
    pub minutes: PrepMinutes,
    pub promised_at: DateTime<Utc>,
}

impl Order {
    /// A compensating refund is under way: the order may only end FAILED.
    pub fn refund_pending(&self) -> bool {
        self.ledger_status.as_deref() == Some(ledger::CANCEL_PENDING)
    }
}

pub struct Orders {
    pub pool: PgPool,
    /// Longest wait WaitOrderOutcome allows, whatever the caller asks.
    pub wait_cap: Duration,
    /// How often a wait reads the order again; an order settled in this process wakes its
    /// waits at once through `settled`, so the poll only matters for another replica's.
    pub poll: Duration,
    pub settled: Arc<Settled>,
}

/// The orders someone waits for in this process, each woken when the approval consumer of this
/// process settled it.
#[derive(Default)]
pub struct Settled {
    waiting: Mutex<HashMap<OrderId, (Arc<Notify>, usize)>>,
}

impl Settled {
    /// Wakes the waits for `id`, if any.
    pub fn wake(&self, id: OrderId) {
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((notify, _)) = waiting.get(&id) {
            notify.notify_waiters();
        }
    }

    fn watch(self: &Arc<Self>, id: OrderId) -> Watch {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let entry = waiting
            .entry(id)
            .or_insert_with(|| (Arc::new(Notify::new()), 0));
        entry.1 += 1;
        Watch {
            notify: entry.0.clone(),
            settled: self.clone(),
            id,
        }
    }
}

/// One wait's registration; dropping it (the wait ended or was cancelled) removes it.
struct Watch {
    notify: Arc<Notify>,
    settled: Arc<Settled>,
    id: OrderId,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut waiting = self
            .settled
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = waiting.get_mut(&self.id) {
            entry.1 -= 1;
            if entry.1 == 0 {
                waiting.remove(&self.id);
            }
        }
    }
}

impl Orders {
    pub async fn find(&self, id: OrderId) -> Result<Option<Order>, OrderError> {
        db::find(&self.pool, id).await
    }

    pub async fn find_by_pg_token(&self, pg_token: &str) -> Result<Option<Order>, OrderError> {
        db::find_by_pg_token(&self.pool, pg_token).await
    }

    /// The order once it left APPROVING, or as it stands when `wait` (capped) ran out; `None`
    /// when it does not exist by then. An order is recorded a moment after its approval URL is
    /// first visited, so a missing row is waited for too.
    pub async fn wait_outcome(
        &self,
        id: OrderId,
        wait: Duration,
    ) -> Result<(Option<Order>, bool), OrderError> {
        let deadline = tokio::time::Instant::now() + wait.min(self.wait_cap);
        let watch = self.settled.watch(id);
        loop {
            // Listening before reading: a settle between the read and the sleep still wakes it.
            let woken = watch.notify.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let order = self.find(id).await?;
            let settled = order
                .as_ref()
                .is_some_and(|o| o.status != OrderStatus::Approving);
            let now = tokio::time::Instant::now();
            if settled || now >= deadline {
                return Ok((order, settled));
            }
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep_until(deadline.min(now + self.poll)) => {}
            }
        }
    }
}
