//! The order service's business counters, on `/metrics` (README "Metrics"). Labels are codes,
//! never free text: a cancel's reason is the staff's words and stays in the event.

use std::sync::LazyLock;

use prometheus::{HistogramVec, IntCounterVec};

static ORDERS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    platform::metrics::counter(
        "orders_total",
        "Orders reaching an outcome (placed, accepted, failed, ready, canceled); a failure's reason is its \
         code (STORE_CLOSED, REFUNDED, AMOUNT_MISMATCH, NOT_PAID_<KakaoPay status>), a cancel's who \
         canceled (customer, store)",
        &["outcome", "reason"],
    )
});

static REFUNDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    platform::metrics::counter(
        "order_refunds_total",
        "Payments given back: a PLACED order canceled by staff (cancel) or money approved for an \
         order that could not be placed (approval)",
        &["kind"],
    )
});

static PAID_TO_PLACED: LazyLock<HistogramVec> = LazyLock::new(|| {
    platform::metrics::histogram(
        "order_paid_to_placed_seconds",
        "From the approval URL recording the order (APPROVING) to PLACED: the approval consumer, \
         KakaoPay approve and the PLACED transaction",
        &[],
    )
});

/// `waited` is from APPROVING to PLACED.
static STUCK: LazyLock<IntCounterVec> = LazyLock::new(|| {
    platform::metrics::counter(
        "order_stuck_approvals_total",
        "Orders found stuck in APPROVING by the sweeper, by whether it settled them \
         (settled, unsettled)",
        &["result"],
    )
});

/// Every series with the label values known in advance, at zero: `rate()` and the alert rules
/// see a series from the start rather than only after its first event.
pub fn init() {
    for outcome in ["placed", "accepted", "ready"] {
        ORDERS.with_label_values(&[outcome, ""]);
    }
    for canceler in ["customer", "store"] {
        ORDERS.with_label_values(&["canceled", canceler]);
    }
    for kind in ["cancel", "approval"] {
        REFUNDS.with_label_values(&[kind]);
    }
    for result in ["settled", "unsettled"] {
        STUCK.with_label_values(&[result]);
    }
    PAID_TO_PLACED.with_label_values::<&str>(&[]);
}

pub fn stuck(settled: bool) {
    let result = if settled { "settled" } else { "unsettled" };
    STUCK.with_label_values(&[result]).inc();
}

pub fn placed(waited: chrono::TimeDelta) {
    ORDERS.with_label_values(&["placed", ""]).inc();
    PAID_TO_PLACED
        .with_label_values::<&str>(&[])
        .observe(waited.as_seconds_f64().max(0.0));
}

pub fn failed(code: &str) {
    ORDERS.with_label_values(&["failed", code]).inc();
}

pub fn accepted() {
    ORDERS.with_label_values(&["accepted", ""]).inc();
}

pub fn ready() {
    ORDERS.with_label_values(&["ready", ""]).inc();
}

/// `by_customer`: the customer canceled their order; otherwise the store did.
pub fn canceled(by_customer: bool) {
    let canceler = if by_customer { "customer" } else { "store" };
    ORDERS.with_label_values(&["canceled", canceler]).inc();
    REFUNDS.with_label_values(&["cancel"]).inc();
}

pub fn refunded_approval() {
    REFUNDS.with_label_values(&["approval"]).inc();
}
