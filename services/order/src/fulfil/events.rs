//! The events of the board's changes: an entry on the store's day stream for the board, and an
//! `x:order:events` event for the customer's alert.

use chrono::{DateTime, Utc};
use contracts::day_stream::{self, OrderFact};
use contracts::events::types;
use contracts::events::v1 as ev;
use contracts::time::timestamp as ts;
use domain::Money;
use prost::Message as _;

use crate::events::Event;
use crate::model::{Acceptance, Order};

fn day_entry(
    order: &Order,
    stream_key: &str,
    fact: OrderFact,
    entry: ev::store_day_entry::Entry,
) -> Event {
    let message = ev::StoreDayEntry {
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        entry: Some(entry),
    };
    Event {
        id: Some(day_stream::order_event_id(order.id.as_uuid(), fact)),
        stream: stream_key.to_owned(),
        event_type: types::STORE_DAY_ENTRY,
        data: message.encode_to_vec(),
    }
}

pub fn store_day_accepted(order: &Order, a: &Acceptance, stream_key: &str) -> Event {
    day_entry(
        order,
        stream_key,
        OrderFact::Accepted,
        ev::store_day_entry::Entry::Accepted(ev::StoreDayAccepted {
            order_id: order.id.to_string(),
            nickname: order.nickname.clone(),
            accepted_at: Some(ts(a.at)),
            promised_at: Some(ts(a.promised_at)),
            prep_minutes: a.minutes.get(),
        }),
    )
}

pub fn accepted(order: &Order, a: &Acceptance) -> Event {
    let message = ev::OrderAccepted {
        order_id: order.id.to_string(),
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        customer_id: order.customer_id.to_string(),
        bot_user_key: order.bot_user_key.clone(),
        nickname: order.nickname.clone(),
        store_name: order.snapshot.store_name.clone(),
        accepted_at: Some(ts(a.at)),
        promised_at: Some(ts(a.promised_at)),
        prep_minutes: a.minutes.get(),
    };
    Event {
        id: None,
        stream: contracts::streams::ORDER_EVENTS.to_owned(),
        event_type: types::ORDER_ACCEPTED,
        data: message.encode_to_vec(),
    }
}

pub fn store_day_ready(order: &Order, ready_at: DateTime<Utc>, stream_key: &str) -> Event {
    day_entry(
        order,
        stream_key,
        OrderFact::Ready,
        ev::store_day_entry::Entry::Ready(ev::StoreDayReady {
            order_id: order.id.to_string(),
            nickname: order.nickname.clone(),
            ready_at: Some(ts(ready_at)),
        }),
    )
}

pub fn ready(order: &Order, ready_at: DateTime<Utc>) -> Event {
    let message = ev::OrderReady {
        order_id: order.id.to_string(),
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        customer_id: order.customer_id.to_string(),
        bot_user_key: order.bot_user_key.clone(),
        nickname: order.nickname.clone(),
        store_name: order.snapshot.store_name.clone(),
        ready_at: Some(ts(ready_at)),
    };
    Event {
        id: None,
        stream: contracts::streams::ORDER_EVENTS.to_owned(),
        event_type: types::ORDER_READY,
        data: message.encode_to_vec(),
    }
}

/// What a cancel did: why, and how much went back.
#[derive(Debug, Clone)]
pub struct Cancellation<'a> {
    pub reason: &'a str,
    pub refunded: Money,
    pub canceled_at: DateTime<Utc>,
    pub by_customer: bool,
}

pub fn store_day_canceled(order: &Order, c: &Cancellation<'_>, stream_key: &str) -> Event {
    day_entry(
        order,
        stream_key,
        OrderFact::Canceled,
        ev::store_day_entry::Entry::Canceled(ev::StoreDayCanceled {
            order_id: order.id.to_string(),
            nickname: order.nickname.clone(),
            reason: c.reason.to_owned(),
            refunded_amount: c.refunded.as_won(),
            canceled_at: Some(ts(c.canceled_at)),
            by_customer: c.by_customer,
        }),
    )
}

pub fn canceled(order: &Order, c: &Cancellation<'_>) -> Event {
    let message = ev::OrderCanceled {
        order_id: order.id.to_string(),
        store_id: order.store_id.to_string(),
        day_business_id: order.day_id.to_string(),
        customer_id: order.customer_id.to_string(),
        bot_user_key: order.bot_user_key.clone(),
        nickname: order.nickname.clone(),
        store_name: order.snapshot.store_name.clone(),
        reason: c.reason.to_owned(),
        refunded_amount: c.refunded.as_won(),
        canceled_at: Some(ts(c.canceled_at)),
        by_customer: c.by_customer,
    };
    Event {
        id: None,
        stream: contracts::streams::ORDER_EVENTS.to_owned(),
        event_type: types::ORDER_CANCELED,
        data: message.encode_to_vec(),
    }
}
