//! The order as recorded: what was bought, how it was paid, and where it stands.

use chrono::{DateTime, Utc};
use domain::cart::PricedCartLine;
use domain::{
    BusinessDayId, CustomerId, ItemId, Money, OrderId, OrderStatus, PrepMinutes, StoreId,
};
use serde::{Deserialize, Serialize};

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

/// An order as accounting copies it into its books: the recorded columns and lines, which every
/// order has whatever its cart snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedOrder {
    pub id: OrderId,
    pub status: OrderStatus,
    pub total: Money,
    /// The payment row's tid, else the one recorded at approval.
    pub tid: Option<String>,
    pub placed_at: Option<DateTime<Utc>>,
    /// In the order they were recorded.
    pub lines: Vec<BookedLine>,
}

/// One `order_item` row: an item as paid for, options included in its total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedLine {
    pub id: uuid::Uuid,
    pub item_id: ItemId,
    pub name: String,
    pub quantity: u32,
    pub line_total: Money,
}
