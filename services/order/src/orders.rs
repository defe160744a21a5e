//! The order as recorded in Postgres (`customer_order` and its payment row), and the bounded
//! wait for an order to leave APPROVING that the approval result page uses.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::cart::PricedCartLine;
use domain::{BusinessDayId, CustomerId, Money, OrderId, OrderStatus, PrepMinutes, StoreId};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

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
    pub poll: Duration,
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
        loop {
            let order = self.find(id).await?;
            let settled = order
                .as_ref()
                .is_some_and(|o| o.status != OrderStatus::Approving);
            if settled || tokio::time::Instant::now() + self.poll > deadline {
                return Ok((order, settled));
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}
