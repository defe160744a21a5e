//! The model's values as messages shared below the gRPC adapter: the cart lines of replies and
//! events (`contracts::common`), and the order as replies and the read model's cache hold it.

use contracts::common::v1 as common;
use contracts::order::v1 as pb;
use contracts::time::timestamp as ts;
use domain::OrderStatus;
use domain::cart::PricedCartLine;

use crate::model::{BookedOrder, Order};

/// A priced line with its option snapshots, as on the order sheet and in events.
pub fn line(l: &PricedCartLine) -> common::CartLine {
    common::CartLine {
        line_id: l.line_id.to_string(),
        item_id: l.line.item_id.to_string(),
        item_name: l.line.item_name.clone(),
        options: l
            .line
            .options
            .iter()
            .map(|o| common::LineOption {
                option_id: o.option_id.to_string(),
                selection_id: o.selection_id.to_string(),
                name: o.option_name.clone(),
                price: o.price.as_won(),
                selection_name: o.selection_name.clone(),
            })
            .collect(),
        quantity: l.line.quantity,
        unit_price: l.line.unit_price.as_won(),
        line_total: l.line.line_total.as_won(),
    }
}

fn status(s: OrderStatus) -> common::OrderStatus {
    match s {
        OrderStatus::Approving => common::OrderStatus::Approving,
        OrderStatus::Placed => common::OrderStatus::Placed,
        OrderStatus::Accepted => common::OrderStatus::Accepted,
        OrderStatus::Ready => common::OrderStatus::Ready,
        OrderStatus::Canceled => common::OrderStatus::Canceled,
        OrderStatus::Failed => common::OrderStatus::Failed,
    }
}

pub fn order(o: &Order) -> pb::Order {
    pb::Order {
        order_id: o.id.to_string(),
        store_id: o.store_id.to_string(),
        store_name: o.snapshot.store_name.clone(),
        day_business_id: o.day_id.to_string(),
        customer_id: o.customer_id.to_string(),
        status: status(o.status).into(),
        nickname: o.nickname.clone(),
        lines: o.snapshot.lines.iter().map(line).collect(),
        total: o.snapshot.total.as_won(),
        cart_id: o.snapshot.cart_id.clone(),
        created_at: Some(ts(o.created_at)),
        placed_at: o.placed_at.map(ts),
        ready_at: o.ready_at.map(ts),
        canceled_at: o.canceled_at.map(ts),
        failed_at: o.failed_at.map(ts),
        cancel_reason: o.cancel_reason.clone().unwrap_or_default(),
        refunded_amount: o.refunded.as_won(),
        failure_reason: o.failure_reason.clone().unwrap_or_default(),
        accepted_at: o.accepted.map(|a| ts(a.at)),
        promised_at: o.accepted.map(|a| ts(a.promised_at)),
        prep_minutes: o.accepted.map_or(0, |a| a.minutes.get()),
        // Counted at each read (`Reads::with_place_in_line`), never cached.
        ahead: 0,
    }
}

/// An order as accounting copies it into its books.
pub fn booked(o: &BookedOrder) -> pb::BookedOrder {
    pb::BookedOrder {
        order_id: o.id.to_string(),
        status: status(o.status).into(),
        total: o.total.as_won(),
        tid: o.tid.clone().unwrap_or_default(),
        placed_at: o.placed_at.map(ts),
        lines: o
            .lines
            .iter()
            .map(|l| pb::BookedLine {
                line_id: l.id.to_string(),
                item_id: l.item_id.to_string(),
                name: l.name.clone(),
                quantity: l.quantity,
                line_total: l.line_total.as_won(),
            })
            .collect(),
    }
}
