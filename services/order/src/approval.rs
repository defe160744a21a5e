//! The `order-approver` consumer of `x:order:approval` (DESIGN §5 Approve): KakaoPay approve,
//! then one transaction moving the order to PLACED with its payment row and the outbox entries
//! for the store's day stream and `order.placed`. Every step may be repeated after a crash:
//! approving an approved payment succeeds without a second charge, and the state change is
//! guarded by the order's status under its row lock.
//!
//! Money that moved for an order that cannot stand is given back: the refund is first recorded
//! (`order_payment` CANCEL_PENDING, the order still APPROVING so the day cannot close), then
//! asked of KakaoPay, then the order becomes FAILED with an `order.approval_failed` event. An
//! approval of another amount than the one bound to the payment token is such money: the order
//! was priced at the bound amount, so the whole approved amount goes back.
//!
//! KakaoPay's errors fail an order only when they are documented refusals or KakaoPay's own view
//! of the payment (`order`) says it ended unpaid: while the payment still waits for approval the
//! order stays APPROVING and the approval is tried again (then by the sweeper).

use std::sync::Arc;

use contracts::events::v1::OrderApprovalRequested;
use contracts::payment::v1 as pay;
use domain::{Money, OrderId, OrderStatus, Transition};
use platform::bus::Message;
use platform::bus::idempotency::first_time;
use prost::Message as _;
use sqlx::PgPool;

use crate::cart::Carts;
use crate::error::OrderError;
use crate::events::{self, Failure};
use crate::model::{Order, PaymentRef, ledger};
use crate::nickname::Nicknames;
use crate::orders::Settled;
use crate::payment::Payment;
use crate::storage::days;
use crate::storage::orders as db;

/// The consumer group, and the consumer name in `processed_event`.
const CONSUMER: &str = contracts::streams::groups::ORDER_APPROVER;

const USER_LOCKED: &str = "카카오페이 계정이 잠겨 있어 결제가 승인되지 않았어요. 결제된 금액은 없어요. \
카카오페이 잠금을 푼 뒤 챗봇에서 다시 주문해 주세요.";
const EXPIRED: &str =
    "결제 시간이 지나 결제가 승인되지 않았어요. 결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const REFUSED: &str =
    "카카오페이가 결제를 승인하지 않았어요. 결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const NOT_PAID: &str =
    "결제가 완료되지 않았어요. 결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const REFUND_REASON: &str = "주문 접수 실패로 자동 취소";

fn refunded_message(amount: Money) -> String {
    format!(
        "주문을 접수하지 못해 결제를 취소했어요. {amount}은 카카오페이로 돌려 드려요. 챗봇에서 다시 주문해 주세요."
    )
}

fn mismatch_message(ordered: Money, charged: Money, refunded: Money) -> String {
    format!(
        "카카오페이 결제 금액({charged})이 주문 금액({ordered})과 달라 결제를 취소했어요. {refunded}은 카카오페이로 돌려 드려요. 챗봇에서 다시 주문해 주세요."
    )
}

/// What KakaoPay approved; an answer without an amount stands for the bound one.
fn approved_amount(approval: &pay::ApproveResponse, payment: &PaymentRef) -> Money {
    if approval.amount > 0 {
        Money::won(approval.amount)
    } else {
        payment.amount
    }
}

/// What was charged for an order whose refund is pending.
fn charged(order: &Order, payment: &PaymentRef) -> Money {
    order.charged.unwrap_or(payment.amount)
}

/// Why KakaoPay's refusal failed the order, for the customer.
pub fn approve_failure(error: Option<&pay::KakaoPayError>) -> Failure {
    let (reason, code) = match error {
        Some(e) if e.method_result_code == "USER_LOCKED" => (USER_LOCKED, "USER_LOCKED".to_owned()),
        Some(e) if i64::from(e.code) == kakao::pay::codes::EXPIRED => {
            (EXPIRED, "EXPIRED".to_owned())
        }
        Some(e) => (REFUSED, format!("KAKAOPAY_{}", e.code)),
        None => (REFUSED, "KAKAOPAY".to_owned()),
    };
    Failure {
        reason: reason.to_owned(),
        code,
        refunded: Money::ZERO,
    }
}

/// The order as KakaoPay's final "not paid" leaves it.
pub fn not_paid(status: &str) -> Failure {
    Failure {
        reason: NOT_PAID.to_owned(),
        code: format!("NOT_PAID_{status}"),
        refunded: Money::ZERO,
    }
}

/// How a placement attempt ended.
enum Placement {
    Placed,
    /// Already handled: placed earlier, or this message was processed.
    Done,
    /// A refund of this much was decided for this order before.
    Refunding(Money),
    /// The order is in a state that cannot become PLACED.
    Not(OrderStatus),
}

pub struct Approver {
    pub pool: PgPool,
    pub payment: Payment,
    pub nicknames: Nicknames,
    pub carts: Arc<Carts>,
    /// The approval pages waiting in this process for an order's outcome.
    pub settled: Arc<Settled>,
    /// Deliveries of one message before it is dead-lettered; the last one gives money back
    /// rather than leave it charged for an order that cannot be placed.
    pub max_deliveries: u64,
}

impl Approver {
    /// One `x:order:approval` message.
    pub async fn handle(&self, message: &Message) -> Result<(), OrderError> {
        let request = OrderApprovalRequested::decode(message.data.as_slice())
            .map_err(|e| OrderError::Internal(format!("undecodable approval request: {e}")))?;
        let id: OrderId = request.order_id.parse().map_err(|_| {
            OrderError::Internal(format!(
                "approval request names order '{}'",
                request.order_id
            ))
        })?;
        let last_attempt = message.deliveries >= self.max_deliveries;
        let settled = self.settle(id, Some(&message.event_id), last_attempt).await;
        self.settled.wake(id);
        settled
    }

    /// Drives an APPROVING order to PLACED or FAILED; for the consumer and the sweeper. An
    /// outcome that is not known yet is an error: try again later.
    pub async fn settle(
        &self,
        id: OrderId,
        event_id: Option<&str>,
        last_attempt: bool,
    ) -> Result<(), OrderError> {
        let order = db::find(&self.pool, id)
            .await?
            .ok_or_else(|| OrderError::Internal(format!("order {id} does not exist")))?;
        let Some(payment) = order.payment.clone() else {
            return Err(OrderError::Internal(format!("order {id} has no payment")));
        };
        // A refund once decided is finished first, whatever the order's status.
        if order.refund_pending() {
            return self
                .refund(&order, &payment, charged(&order, &payment))
                .await;
        }
        if order.status != OrderStatus::Approving {
            return Ok(());
        }
        let approval = self
            .payment
            .approve(pay::ApproveRequest {
                tid: payment.tid.clone(),
                pg_token: payment.pg_token.clone(),
                partner_order_id: payment.partner_order_id.clone(),
                partner_user_id: payment.partner_user_id.clone(),
                amount: payment.amount.as_won(),
                order_id: id.to_string(),
            })
            .await?;
        match approval.outcome() {
            pay::PaymentOutcome::Succeeded => {
                self.approved(&order, &payment, &approval, event_id, last_attempt)
                    .await
            }
            pay::PaymentOutcome::Failed => {
                let failure = approve_failure(approval.error.as_ref());
                tracing::info!(order_id = %id, code = %failure.code, "KakaoPay refused the approval");
                self.fail(&order, &failure, event_id).await
            }
            outcome => Err(OrderError::PaymentUnavailable(format!(
                "approve of order {id}: {outcome:?} ({})",
                approval.error.map(|e| e.message).unwrap_or_default()
            ))),
        }
    }

    async fn approved(
        &self,
        order: &Order,
        payment: &PaymentRef,
        approval: &pay::ApproveResponse,
        event_id: Option<&str>,
        last_attempt: bool,
    ) -> Result<(), OrderError> {
        let charged = approved_amount(approval, payment);
        if charged != payment.amount {
            tracing::error!(
                order_id = %order.id,
                ordered = payment.amount.as_won(),
                charged = charged.as_won(),
                "KakaoPay approved another amount than the order's; refunding it"
            );
            return self.refund_approved(order, payment, approval).await;
        }
        match self.place(order, payment, approval, event_id).await {
            Ok(Placement::Placed) => {
                tracing::info!(order_id = %order.id, nickname = %order.nickname, "order placed");
                self.settled.wake(order.id);
                self.tidy_up(order).await;
                Ok(())
            }
            Ok(
                Placement::Done
                | Placement::Not(OrderStatus::Placed | OrderStatus::Accepted | OrderStatus::Ready),
            ) => Ok(()),
            Ok(Placement::Refunding(charged)) => self.refund(order, payment, charged).await,
            Ok(Placement::Not(status)) => {
                tracing::error!(order_id = %order.id, ?status, "money moved for an order that cannot be placed; refunding");
                self.refund_approved(order, payment, approval).await
            }
            Err(e) if last_attempt => {
                tracing::error!(order_id = %order.id, error = %e, "a paid order could not be placed; refunding");
                self.refund_approved(order, payment, approval).await
            }
            Err(e) => Err(e),
        }
    }

    async fn place(
        &self,
        order: &Order,
        payment: &PaymentRef,
        approval: &pay::ApproveResponse,
        event_id: Option<&str>,
    ) -> Result<Placement, OrderError> {
        let mut tx = self.pool.begin().await?;
        if let Some(event_id) = event_id
            && !first_time(&mut tx, CONSUMER, event_id).await?
        {
            return Ok(Placement::Done);
        }
        let Some(locked) = db::lock(&mut tx, order.id).await? else {
            return Err(OrderError::Internal(format!("order {} vanished", order.id)));
        };
        if locked.refund_pending() {
            return Ok(Placement::Refunding(charged(&locked, payment)));
        }
        match domain::transition(locked.status, OrderStatus::Placed) {
            Ok(Transition::Changed) => {}
            Ok(Transition::AlreadyThere) => return Ok(Placement::Done),
            Err(_) => return Ok(Placement::Not(locked.status)),
        }
        let placed_at = db::set_placed(&mut tx, order.id).await?;
        let amount = approved_amount(approval, payment);
        db::insert_ledger(
            &mut tx,
            &db::LedgerEntry {
                order_id: order.id,
                tid: &payment.tid,
                cid: &approval.cid,
                amount,
                status: ledger::APPROVED,
                aid: &approval.aid,
                method: &approval.payment_method_type,
                approved_at: approval
                    .approved_at
                    .as_ref()
                    .and_then(contracts::time::datetime),
                raw: &approval.raw,
            },
        )
        .await?;
        let stream_key = days::stream_key(&mut tx, order.store_id, order.day_id).await?;
        events::enqueue(
            &mut tx,
            &events::store_day_placed(&locked, placed_at, &stream_key),
        )
        .await?;
        events::enqueue(&mut tx, &events::placed(&locked, placed_at)).await?;
        let auto_accepted = match crate::fulfil::auto_accept(&mut tx, order.store_id).await? {
            Some(minutes) => {
                crate::fulfil::record_acceptance(&mut tx, &locked, minutes).await?;
                true
            }
            None => false,
        };
        tx.commit().await?;
        crate::metrics::placed(placed_at - locked.created_at);
        if auto_accepted {
            crate::metrics::accepted();
        }
        Ok(Placement::Placed)
    }

    /// The cart and the payment session of a placed order are done with; the approval URL
    /// already cleared them unless it crashed first.
    async fn tidy_up(&self, order: &Order) {
        if let Err(e) = self
            .carts
            .clear_ordered(order.customer_id, &order.snapshot.cart_id)
            .await
        {
            tracing::warn!(order_id = %order.id, error = %e, "ordered cart not cleared");
        }
        if let Err(e) = self.payment.end_session(order.customer_id, order.id).await {
            tracing::warn!(order_id = %order.id, error = %e, "payment session not ended");
        }
    }

    /// APPROVING → FAILED without any money having moved.
    pub async fn fail(
        &self,
        order: &Order,
        failure: &Failure,
        event_id: Option<&str>,
    ) -> Result<(), OrderError> {
        let mut tx = self.pool.begin().await?;
        let Some(locked) = db::lock(&mut tx, order.id).await? else {
            return Err(OrderError::Internal(format!("order {} vanished", order.id)));
        };
        if locked.refund_pending()
            || domain::transition(locked.status, OrderStatus::Failed) != Ok(Transition::Changed)
        {
            return Ok(());
        }
        let failed_at = db::set_failed(&mut tx, order.id, &failure.reason).await?;
        events::enqueue(
            &mut tx,
            &events::approval_failed(&locked, failure, failed_at),
        )
        .await?;
        if let Some(event_id) = event_id {
            first_time(&mut tx, CONSUMER, event_id).await?;
        }
        tx.commit().await?;
        crate::metrics::failed(&failure.code);
        tracing::info!(order_id = %order.id, code = %failure.code, "order failed");
        self.release_nickname(order).await;
        Ok(())
    }

    /// Records that the approved money goes back, then gives it back.
    async fn refund_approved(
        &self,
        order: &Order,
        payment: &PaymentRef,
        approval: &pay::ApproveResponse,
    ) -> Result<(), OrderError> {
        let mut tx = self.pool.begin().await?;
        let Some(locked) = db::lock(&mut tx, order.id).await? else {
            return Err(OrderError::Internal(format!("order {} vanished", order.id)));
        };
        // Placed after all (by a concurrent attempt): the money stands for the order.
        if matches!(
            locked.status,
            OrderStatus::Placed | OrderStatus::Accepted | OrderStatus::Ready
        ) {
            return Ok(());
        }
        let amount = approved_amount(approval, payment);
        db::insert_ledger(
            &mut tx,
            &db::LedgerEntry {
                order_id: order.id,
                tid: &payment.tid,
                cid: &approval.cid,
                amount,
                status: ledger::CANCEL_PENDING,
                aid: &approval.aid,
                method: &approval.payment_method_type,
                approved_at: approval
                    .approved_at
                    .as_ref()
                    .and_then(contracts::time::datetime),
                raw: &approval.raw,
            },
        )
        .await?;
        tx.commit().await?;
        self.refund(&locked, payment, amount).await
    }

    /// The refund of `charged` recorded as CANCEL_PENDING, asked of KakaoPay (again, if need be:
    /// a refund already made is found by inquiry and not made twice).
    async fn refund(
        &self,
        order: &Order,
        payment: &PaymentRef,
        charged: Money,
    ) -> Result<(), OrderError> {
        let cancel = self
            .payment
            .cancel(pay::CancelRequest {
                tid: payment.tid.clone(),
                amount: charged.as_won(),
                tax_free_amount: 0,
                cancel_available_amount: charged.as_won(),
                order_id: order.id.to_string(),
                reason: REFUND_REASON.to_owned(),
            })
            .await?;
        if cancel.outcome() != pay::PaymentOutcome::Succeeded {
            return Err(OrderError::PaymentUnavailable(format!(
                "refund of order {}: {:?} ({})",
                order.id,
                cancel.outcome(),
                cancel.error.map(|e| e.message).unwrap_or_default()
            )));
        }
        let refunded = if cancel.canceled_amount > 0 {
            Money::won(cancel.canceled_amount)
        } else {
            charged
        };
        let mut tx = self.pool.begin().await?;
        let Some(locked) = db::lock(&mut tx, order.id).await? else {
            return Err(OrderError::Internal(format!("order {} vanished", order.id)));
        };
        db::ledger_canceled(
            &mut tx,
            order.id,
            refunded,
            cancel
                .canceled_at
                .as_ref()
                .and_then(contracts::time::datetime),
            &cancel.raw,
        )
        .await?;
        let newly_failed = locked.status == OrderStatus::Approving;
        let mut failed_code = None;
        if newly_failed {
            let failure = if charged == payment.amount {
                Failure {
                    reason: refunded_message(refunded),
                    code: "REFUNDED".to_owned(),
                    refunded,
                }
            } else {
                Failure {
                    reason: mismatch_message(payment.amount, charged, refunded),
                    code: "AMOUNT_MISMATCH".to_owned(),
                    refunded,
                }
            };
            let failed_at = db::set_failed(&mut tx, order.id, &failure.reason).await?;
            events::enqueue(
                &mut tx,
                &events::approval_failed(&locked, &failure, failed_at),
            )
            .await?;
            failed_code = Some(failure.code);
        }
        tx.commit().await?;
        crate::metrics::refunded_approval();
        if let Some(code) = failed_code {
            crate::metrics::failed(&code);
        }
        tracing::warn!(order_id = %order.id, refunded = refunded.as_won(), "payment refunded");
        if newly_failed {
            self.release_nickname(order).await;
        }
        Ok(())
    }

    async fn release_nickname(&self, order: &Order) {
        if let Err(e) = self
            .nicknames
            .release(order.store_id, order.day_id, &order.nickname)
            .await
        {
            tracing::warn!(order_id = %order.id, error = %e, "nickname not released");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i32, method_result_code: &str) -> pay::KakaoPayError {
        pay::KakaoPayError {
            code,
            message: "error".into(),
            method_result_code: method_result_code.into(),
            method_result_message: String::new(),
        }
    }

    #[test]
    fn a_locked_account_is_named_to_the_customer() {
        let failure = approve_failure(Some(&error(-780, "USER_LOCKED")));
        assert_eq!(failure.code, "USER_LOCKED");
        assert!(failure.reason.contains("잠겨"), "{}", failure.reason);
        assert!(failure.reason.contains("결제된 금액은 없어요"));
        assert_eq!(failure.refunded, Money::ZERO);
    }

    #[test]
    fn other_refusals_keep_kakaopays_code() {
        assert_eq!(approve_failure(Some(&error(-723, ""))).code, "EXPIRED");
        assert_eq!(
            approve_failure(Some(&error(-708, ""))).code,
            "KAKAOPAY_-708"
        );
        assert_eq!(approve_failure(None).code, "KAKAOPAY");
    }

    #[test]
    fn a_refund_message_names_the_amount() {
        assert!(refunded_message(Money::won(9_500)).contains("9,500원은"));
        let mismatch = mismatch_message(Money::won(10_000), Money::won(9_900), Money::won(9_900));
        assert!(mismatch.contains("결제 금액(9,900원)이 주문 금액(10,000원)과 달라"));
        assert!(mismatch.contains("9,900원은 카카오페이로 돌려 드려요"));
    }
}
