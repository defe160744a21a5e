//! The events the order service writes to its outbox (DESIGN §4), built from the recorded order.

use chrono::{DateTime, Utc};
use contracts::events::types;
use contracts::events::v1 as ev;
use contracts::time::timestamp as ts;
use contracts::{day_stream, streams};
use domain::Money;
use prost::Message as _;
use uuid::Uuid;

use crate::messages::line;
use crate::model::{Order, PaymentRef};

/// One outbox entry: its stream, its `type` and the encoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Set for day stream entries, whose id names the fact they report (see
    /// [`contracts::day_stream`]); the outbox draws one for the others.
    pub id: Option<Uuid>,
    pub stream: String,
    pub event_type: &'static str,
    pub data: Vec<u8>,
}

pub fn approval_requested(
    order: &Order,
    payment: &PaymentRef,
    requested_at: DateTime<Utc>,
) -> Event {
    let message = ev::OrderApprovalRequested {
        order_id: order.id.to_string(),
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        customer_id: order.customer_id.to_string(),
        bot_user_key: order.bot_user_key.clone(),
        nickname: order.nickname.clone(),
        tid: payment.tid.clone(),
        pg_token: payment.pg_token.clone(),
        partner_order_id: payment.partner_order_id.clone(),
        partner_user_id: payment.partner_user_id.clone(),
        amount: payment.amount.as_won(),
        cart_id: order.snapshot.cart_id.clone(),
        lines: order.snapshot.lines.iter().map(line).collect(),
        requested_at: Some(ts(requested_at)),
        store_name: order.snapshot.store_name.clone(),
    };
    Event {
        id: None,
        stream: streams::ORDER_APPROVAL.to_owned(),
        event_type: types::ORDER_APPROVAL_REQUESTED,
        data: message.encode_to_vec(),
    }
}

pub fn placed(order: &Order, placed_at: DateTime<Utc>) -> Event {
    let message = ev::OrderPlaced {
        order_id: order.id.to_string(),
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        customer_id: order.customer_id.to_string(),
        bot_user_key: order.bot_user_key.clone(),
        nickname: order.nickname.clone(),
        store_name: order.snapshot.store_name.clone(),
        lines: order.snapshot.lines.iter().map(line).collect(),
        total: order.snapshot.total.as_won(),
        placed_at: Some(ts(placed_at)),
    };
    Event {
        id: None,
        stream: streams::ORDER_EVENTS.to_owned(),
        event_type: types::ORDER_PLACED,
        data: message.encode_to_vec(),
    }
}

/// The placed order on the store's day stream (`stream_key` as recorded on the day), for the
/// live board.
pub fn store_day_placed(order: &Order, placed_at: DateTime<Utc>, stream_key: &str) -> Event {
    let message = ev::StoreDayEntry {
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        entry: Some(ev::store_day_entry::Entry::Placed(ev::StoreDayPlaced {
            order: Some(ev::BoardOrder {
                order_id: order.id.to_string(),
                nickname: order.nickname.clone(),
                lines: order.snapshot.lines.iter().map(line).collect(),
                total: order.snapshot.total.as_won(),
                placed_at: Some(ts(placed_at)),
            }),
        })),
    };
    Event {
        id: Some(day_stream::order_event_id(
            order.id.as_uuid(),
            day_stream::OrderFact::Placed,
        )),
        stream: stream_key.to_owned(),
        event_type: types::STORE_DAY_ENTRY,
        data: message.encode_to_vec(),
    }
}

/// Why an approval failed, for the customer (Korean) and for machines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// e.g. "USER_LOCKED", "STORE_CLOSED", "KAKAOPAY_-708".
    pub code: String,
    /// Returned by a compensating cancel.
    pub refunded: Money,
}

pub fn approval_failed(order: &Order, failure: &Failure, failed_at: DateTime<Utc>) -> Event {
    let message = ev::OrderApprovalFailed {
        order_id: order.id.to_string(),
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        customer_id: order.customer_id.to_string(),
        bot_user_key: order.bot_user_key.clone(),
        store_name: order.snapshot.store_name.clone(),
        reason: failure.reason.clone(),
        reason_code: failure.code.clone(),
        refunded_amount: failure.refunded.as_won(),
        failed_at: Some(ts(failed_at)),
    };
    Event {
        id: None,
        stream: streams::ORDER_EVENTS.to_owned(),
        event_type: types::ORDER_APPROVAL_FAILED,
        data: message.encode_to_vec(),
    }
}

/// Writes the event in the caller's transaction.
pub async fn enqueue(conn: &mut sqlx::PgConnection, event: &Event) -> Result<(), sqlx::Error> {
    let id = event.id.unwrap_or_else(Uuid::now_v7);
    platform::bus::outbox::enqueue_as(conn, id, &event.stream, event.event_type, &event.data)
        .await?;
    Ok(())
}
