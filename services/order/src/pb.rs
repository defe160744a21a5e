//! The service's values as gRPC messages.

use contracts::common::v1 as common;
use contracts::order::v1 as pb;
use contracts::time::timestamp as ts;

use crate::callback::{Abort, AbortOutcome, Approval, ApprovalOutcome};
use crate::cart::{CartUpdate, Outcome, Problem, ProblemCode};
use crate::error::OrderError;
use crate::favourite::Judged;
use crate::messages::{line, order};
use crate::model::{Customer, Favourite, Session};
use crate::placement::{Placed, Refusal};
use crate::reorder::Reordered;
use crate::seal::Sealing;

fn ts_ms(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1_000),
        nanos: i32::try_from(ms.rem_euclid(1_000) * 1_000_000).unwrap_or(0),
    }
}

pub fn customer(c: &Customer) -> pb::Customer {
    pb::Customer {
        customer_id: c.id.to_string(),
        bot_user_key: c.bot_user_key.clone(),
        plusfriend_user_key: c.plusfriend_user_key.clone().unwrap_or_default(),
        nickname: c.nickname.clone().unwrap_or_default(),
        created_at: Some(ts(c.created_at)),
    }
}

pub fn cart(session: &Session) -> Result<common::Cart, OrderError> {
    let priced = session
        .priced_cart()
        .map_err(|e| OrderError::Internal(format!("pricing a stored cart: {e:?}")))?;
    Ok(common::Cart {
        id: priced.cart_id.to_string(),
        store_id: priced.store_id.to_string(),
        lines: priced.lines.iter().map(line).collect(),
        total: priced.total.as_won(),
        customer_id: session.customer_id.to_string(),
        store_name: session.store_name.clone(),
        version: priced.cart_id.version(),
        created_at: Some(ts_ms(session.created_ms())),
        updated_at: Some(ts_ms(session.updated_ms)),
        expires_at: Some(ts_ms(session.expires_ms())),
    })
}

fn problem_code(code: ProblemCode) -> pb::CartProblemCode {
    use pb::CartProblemCode as C;
    match code {
        ProblemCode::Unspecified => C::Unspecified,
        ProblemCode::StoreNotFound => C::StoreNotFound,
        ProblemCode::ItemNotFound => C::ItemNotFound,
        ProblemCode::ItemDisabled => C::ItemDisabled,
        ProblemCode::ItemSoldOut => C::ItemSoldOut,
        ProblemCode::OptionNotFound => C::OptionNotFound,
        ProblemCode::OptionDisabled => C::OptionDisabled,
        ProblemCode::OptionSoldOut => C::OptionSoldOut,
        ProblemCode::OptionNotInItem => C::OptionNotInItem,
        ProblemCode::SelectionMin => C::SelectionMin,
        ProblemCode::SelectionMax => C::SelectionMax,
        ProblemCode::BadQuantity => C::BadQuantity,
        ProblemCode::CartFull => C::CartFull,
        ProblemCode::DuplicateOption => C::DuplicateOption,
    }
}

pub fn problem(p: &Problem) -> pb::CartProblem {
    let group = p.group.as_ref();
    pb::CartProblem {
        code: problem_code(p.code).into(),
        message: p.message.clone(),
        item_id: p.item_id.map(|id| id.to_string()).unwrap_or_default(),
        option_id: p.option_id.map(|id| id.to_string()).unwrap_or_default(),
        selection_id: group.map(|g| g.id.to_string()).unwrap_or_default(),
        selection_name: group.map(|g| g.name.clone()).unwrap_or_default(),
        min: group.map_or(0, |g| g.min),
        max: group.map_or(0, |g| g.max),
    }
}

pub fn update(u: &CartUpdate) -> Result<pb::CartUpdateResponse, OrderError> {
    let (outcome, problem) = match &u.outcome {
        Outcome::Updated => (pb::CartOutcome::Updated, None),
        Outcome::NeedsReplace => (pb::CartOutcome::NeedsReplace, None),
        Outcome::Stale => (pb::CartOutcome::Stale, None),
        Outcome::Invalid(p) => (pb::CartOutcome::Invalid, Some(problem(p))),
        Outcome::NotFound => (pb::CartOutcome::NotFound, None),
    };
    Ok(pb::CartUpdateResponse {
        outcome: outcome.into(),
        cart: u.session.as_ref().map(cart).transpose()?,
        problem,
    })
}

pub fn reordered(r: &Reordered) -> Result<pb::ReorderResponse, OrderError> {
    Ok(pb::ReorderResponse {
        update: Some(update(&r.update)?),
        left_out: r
            .left_out
            .iter()
            .map(|l| pb::LeftOutLine {
                item_name: l.item_name.clone(),
                message: l.message.clone(),
                problem: Some(problem(&l.problem)),
            })
            .collect(),
        store_id: r.store_id.clone(),
        store_name: r.store_name.clone(),
    })
}

pub fn favourite(j: &Judged) -> pb::Favourite {
    pb::Favourite {
        item_name: j.item_name.clone(),
        option_names: j.option_names.clone(),
        unit_price: j.unit_price.map_or(0, |m| m.as_won()),
        unavailable: j.unavailable.clone().unwrap_or_default(),
        ..saved_favourite(&j.favourite)
    }
}

/// As saved, without today's menu.
pub fn saved_favourite(f: &Favourite) -> pb::Favourite {
    pb::Favourite {
        favourite_id: f.id.to_string(),
        store_id: f.store_id.to_string(),
        name: f.name.clone(),
        item_id: f.item_id.to_string(),
        option_ids: f.option_ids.iter().map(ToString::to_string).collect(),
        ..pb::Favourite::default()
    }
}

pub fn placed(p: &Placed) -> Result<pb::PlaceOrderResponse, OrderError> {
    Ok(match p {
        Placed::Ready {
            cart: session,
            prepared,
        } => pb::PlaceOrderResponse {
            outcome: pb::PlaceOutcome::ReadyToPay.into(),
            order_id: prepared.order_id.clone(),
            cart: Some(cart(session)?),
            redirect: prepared.redirect.clone(),
            amount: prepared.amount,
            expires_at: prepared.expires_at,
            reused: prepared.reused,
            problem: None,
            message: String::new(),
        },
        Placed::Refused {
            refusal,
            message,
            cart: session,
        } => {
            let (outcome, problem) = match refusal {
                Refusal::CartEmpty => (pb::PlaceOutcome::CartEmpty, None),
                Refusal::CartChanged => (pb::PlaceOutcome::CartChanged, None),
                Refusal::StoreNotOpen => (pb::PlaceOutcome::StoreNotOpen, None),
                Refusal::Invalid(p) => (pb::PlaceOutcome::Invalid, Some(problem(p))),
                Refusal::PaymentUnavailable => (pb::PlaceOutcome::PaymentUnavailable, None),
            };
            pb::PlaceOrderResponse {
                outcome: outcome.into(),
                cart: session.as_ref().map(cart).transpose()?,
                problem,
                message: message.clone(),
                ..Default::default()
            }
        }
    })
}

pub fn approval(a: &Approval) -> pb::ApprovePaymentResponse {
    let outcome = match a.verdict.outcome {
        ApprovalOutcome::Accepted => pb::ApprovalOutcome::Accepted,
        ApprovalOutcome::InvalidToken => pb::ApprovalOutcome::InvalidToken,
        ApprovalOutcome::Expired => pb::ApprovalOutcome::Expired,
        ApprovalOutcome::Mismatch => pb::ApprovalOutcome::Mismatch,
        ApprovalOutcome::StoreClosed => pb::ApprovalOutcome::StoreClosed,
    };
    pb::ApprovePaymentResponse {
        outcome: outcome.into(),
        order_id: match a.verdict.outcome {
            ApprovalOutcome::Accepted => a.verdict.order_id.map(|id| id.to_string()),
            _ => None,
        }
        .unwrap_or_default(),
        order: a.order.as_ref().map(order),
        message: a.verdict.message.clone(),
    }
}

pub fn abort(a: &Abort) -> pb::AbortPaymentResponse {
    let outcome = match a.outcome {
        AbortOutcome::Aborted => pb::AbortOutcome::Aborted,
        AbortOutcome::AlreadyPaid => pb::AbortOutcome::AlreadyPaid,
        AbortOutcome::Pending => pb::AbortOutcome::Pending,
        AbortOutcome::InvalidToken => pb::AbortOutcome::InvalidToken,
    };
    pb::AbortPaymentResponse {
        outcome: outcome.into(),
        order_id: a.order_id.map(|id| id.to_string()).unwrap_or_default(),
        kakaopay_status: a.kakaopay_status.clone(),
        message: a.message.clone(),
    }
}

pub fn sealing(s: &Sealing) -> pb::SealDayResponse {
    match s {
        Sealing::Open(orders) => pb::SealDayResponse {
            open_order_ids: orders.iter().map(ToString::to_string).collect(),
            ..Default::default()
        },
        Sealing::Closable => pb::SealDayResponse::default(),
        Sealing::Sealed(sums) => pb::SealDayResponse {
            open_order_ids: Vec::new(),
            sealed: true,
            summary: Some(sums.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_milliseconds() {
        let t = ts_ms(1_740_000_000_123);
        assert_eq!((t.seconds, t.nanos), (1_740_000_000, 123_000_000));
    }
}
