//! The board's actions (DESIGN §5 Board, accept, ready, cancel): 접수 moves a PLACED order to
//! ACCEPTED with a promised time, 완료 moves it to READY, 취소 refunds it in full through KakaoPay
//! and then records it CANCELED. The customer's 취소하기 is the same cancel, allowed only while the
//! order is PLACED: it and the store's 접수 both take the order's row lock, and the cancel records
//! its refund (CANCEL_PENDING) under it, so whichever commits first wins and the other is refused. Each writes its day-stream
//! entry and its `x:order:events` event through the outbox in the transaction of the change,
//! then gives the nickname back. Both are idempotent: the change is guarded by the order's status
//! under its row lock, and a repeat answers `changed = false`.
//!
//! A refund is recorded as intended (`order_payment` CANCEL_PENDING) before KakaoPay is asked,
//! so a crash or an unclear answer leaves a refund to finish, never one nobody knows of. It is
//! finished by the next cancel of the order or by [`Fulfilment::run`], which asks KakaoPay again
//! with the cancellable amount as guard: a refund already made is not made twice, and the
//! payment service settles a refused or silent cancel by inquiry.

pub mod events;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::payment::v1 as pay;
use domain::{
    AcceptSettings, CustomerId, Money, OrderId, OrderStatus, PrepMinutes, StoreId, Transition,
};
use sqlx::PgConnection;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::error::OrderError;
use crate::model::{Acceptance, Order, ledger};
use crate::nickname::Nicknames;
use crate::payment::Payment;
use crate::read::Reads;
use crate::storage::days;
use crate::storage::fulfil as fdb;
use crate::storage::orders as db;
use crate::storage::settings;
use events::Cancellation;

pub const MAX_REASON_CHARS: usize = 200;
/// Refunds settled per round of [`Fulfilment::run`]; the rest wait for the next.
const BATCH: i64 = 20;

const NOT_FOUND: &str = "주문을 찾을 수 없습니다.";
const NO_REASON: &str = "취소 사유를 입력해 주세요.";
const DAY_CLOSED: &str = "영업이 마감된 날의 주문은 취소할 수 없습니다.";
const REFUNDING: &str = "환불 중인 주문은 완료할 수 없습니다. 환불이 끝나면 취소로 바뀝니다.";
const REFUNDING_ACCEPT: &str =
    "취소되어 환불 중인 주문은 접수할 수 없습니다. 환불이 끝나면 취소로 바뀝니다.";
/// What the customer's cancel records as its reason.
pub const CUSTOMER_REASON: &str = "고객 요청으로 취소";
const REFUND_CHECKING: &str = "환불 확인 중입니다. 카카오페이의 결과를 확인하는 대로 주문이 취소됩니다. 잠시 후 다시 확인해 주세요.";
const REFUND_REFUSED: &str =
    "카카오페이가 환불을 거절해 주문을 취소하지 못했습니다. 잠시 후 다시 시도해 주세요.";

/// An order after a board action.
#[derive(Debug, Clone)]
pub struct Action {
    pub order: Order,
    /// False when the order already was where the action leads.
    pub changed: bool,
}

/// Who cancels.
#[derive(Debug, Clone, Copy)]
enum Canceler {
    Store(StoreId),
    Customer(CustomerId),
}

impl Canceler {
    fn owns(self, order: &Order) -> bool {
        match self {
            Canceler::Store(store) => order.store_id == store,
            Canceler::Customer(customer) => order.customer_id == customer,
        }
    }
}

/// The start of a cancel.
enum Start {
    /// Nothing to do: already canceled.
    Done(Action),
    /// The refund is recorded as intended: ask KakaoPay.
    Refund(Order),
}

pub struct Fulfilment {
    pub pool: PgPool,
    pub payment: Payment,
    pub nicknames: Nicknames,
    pub reads: Arc<Reads>,
    /// A refund still unsettled this long after it was last tried is tried again.
    pub retry_after: Duration,
    pub sweep_every: Duration,
    /// Cancelled when this service instance ends: a cancel still waiting for KakaoPay then stops
    /// where it is, like the process would, and leaves its recorded refund to the recovery.
    alive: CancellationToken,
    /// One refund attempt per order at a time in this process, so a burst of clicks waits for
    /// the first instead of asking KakaoPay again (other replicas rely on KakaoPay's guard).
    in_flight: Mutex<HashMap<OrderId, Weak<tokio::sync::Mutex<()>>>>,
}

fn not_found() -> OrderError {
    OrderError::NotFound(NOT_FOUND.to_owned())
}

/// The store's reason, trimmed: 1 to [`MAX_REASON_CHARS`] characters.
pub fn reason(text: &str) -> Result<String, OrderError> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(OrderError::Invalid(NO_REASON.to_owned()));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(OrderError::Invalid(format!(
            "취소 사유는 {MAX_REASON_CHARS}자 이내로 입력해 주세요."
        )));
    }
    Ok(reason.to_owned())
}

/// Whether the order may move to `to`: `Ok(false)` when it is there already.
fn allowed(order: &Order, to: OrderStatus) -> Result<bool, OrderError> {
    match domain::transition(order.status, to) {
        Ok(Transition::Changed) => Ok(true),
        Ok(Transition::AlreadyThere) => Ok(false),
        Err(illegal) => Err(OrderError::Refused(illegal.to_string())),
    }
}

fn time(t: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(contracts::time::datetime)
}

/// Records the acceptance of an order the caller holds locked and found PLACED, with its
/// day-stream entry and its `order.accepted` event.
pub async fn record_acceptance(
    conn: &mut PgConnection,
    order: &Order,
    minutes: PrepMinutes,
) -> Result<Acceptance, OrderError> {
    let acceptance = fdb::set_accepted(conn, order.id, minutes).await?;
    let stream_key = days::stream_key(conn, order.store_id, order.day_id).await?;
    crate::events::enqueue(
        conn,
        &events::store_day_accepted(order, &acceptance, &stream_key),
    )
    .await?;
    crate::events::enqueue(conn, &events::accepted(order, &acceptance)).await?;
    Ok(acceptance)
}

/// The time auto-accept gives a just-placed order of the store; `None` when the store accepts
/// by hand.
pub async fn auto_accept(
    conn: &mut PgConnection,
    store: StoreId,
) -> Result<Option<PrepMinutes>, OrderError> {
    let settings = settings::get(conn, store).await?;
    Ok(settings.auto_accept.then(|| settings.default_minutes()))
}

impl Fulfilment {
    pub fn new(
        pool: PgPool,
        payment: Payment,
        nicknames: Nicknames,
        reads: Arc<Reads>,
        retry_after: Duration,
        sweep_every: Duration,
        alive: CancellationToken,
    ) -> Fulfilment {
        Fulfilment {
            pool,
            payment,
            nicknames,
            reads,
            retry_after,
            sweep_every,
            alive,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    pub async fn settings(&self, store: StoreId) -> Result<AcceptSettings, OrderError> {
        let mut conn = self.pool.acquire().await?;
        settings::get(&mut conn, store).await
    }

    pub async fn set_settings(
        &self,
        store: StoreId,
        settings: &AcceptSettings,
    ) -> Result<(), OrderError> {
        let mut conn = self.pool.acquire().await?;
        settings::set(&mut conn, store, settings).await
    }

    /// 접수: PLACED → ACCEPTED, promised `minutes` from now (`None`: the store's default).
    pub async fn accept(
        &self,
        store: StoreId,
        id: OrderId,
        minutes: Option<u32>,
    ) -> Result<Action, OrderError> {
        let mut tx = self.pool.begin().await?;
        let minutes = settings::get(&mut tx, store)
            .await?
            .minutes(minutes)
            .map_err(|e| OrderError::Invalid(e.to_string()))?;
        let mut order = db::lock(&mut tx, id)
            .await?
            .filter(|o| o.store_id == store)
            .ok_or_else(not_found)?;
        if !allowed(&order, OrderStatus::Accepted)? {
            return Ok(Action {
                order,
                changed: false,
            });
        }
        if order.refund_pending() {
            return Err(OrderError::Refused(REFUNDING_ACCEPT.to_owned()));
        }
        let acceptance = record_acceptance(&mut tx, &order, minutes).await?;
        tx.commit().await?;
        crate::metrics::accepted();
        order.status = OrderStatus::Accepted;
        order.accepted = Some(acceptance);
        tracing::info!(order_id = %id, minutes = minutes.get(), "order accepted");
        self.reads.invalidate(id, order.customer_id).await;
        Ok(Action {
            order,
            changed: true,
        })
    }

    /// 완료: PLACED or ACCEPTED → READY.
    pub async fn mark_ready(&self, store: StoreId, id: OrderId) -> Result<Action, OrderError> {
        let mut tx = self.pool.begin().await?;
        let mut order = db::lock(&mut tx, id)
            .await?
            .filter(|o| o.store_id == store)
            .ok_or_else(not_found)?;
        if !allowed(&order, OrderStatus::Ready)? {
            return Ok(Action {
                order,
                changed: false,
            });
        }
        if order.refund_pending() {
            return Err(OrderError::Refused(REFUNDING.to_owned()));
        }
        let ready_at = fdb::set_ready(&mut tx, id).await?;
        let stream_key = days::stream_key(&mut tx, order.store_id, order.day_id).await?;
        crate::events::enqueue(
            &mut tx,
            &events::store_day_ready(&order, ready_at, &stream_key),
        )
        .await?;
        crate::events::enqueue(&mut tx, &events::ready(&order, ready_at)).await?;
        tx.commit().await?;
        crate::metrics::ready();
        order.status = OrderStatus::Ready;
        order.ready_at = Some(ready_at);
        tracing::info!(order_id = %id, nickname = %order.nickname, "order ready");
        self.changed(&order).await;
        Ok(Action {
            order,
            changed: true,
        })
    }

    /// 취소: refunds the order in full, then records it CANCELED.
    pub async fn cancel(
        &self,
        store: StoreId,
        id: OrderId,
        reason: &str,
    ) -> Result<Action, OrderError> {
        let reason = self::reason(reason)?;
        self.cancel_as(Canceler::Store(store), id, &reason).await
    }

    /// The customer's 취소하기: refunds the order in full, but only until the store accepted it.
    pub async fn customer_cancel(
        &self,
        customer: CustomerId,
        id: OrderId,
    ) -> Result<Action, OrderError> {
        self.cancel_as(Canceler::Customer(customer), id, CUSTOMER_REASON)
            .await
    }

    async fn cancel_as(
        &self,
        who: Canceler,
        id: OrderId,
        reason: &str,
    ) -> Result<Action, OrderError> {
        let cancel = async {
            let _turn = self.turn(id).await;
            match self.start_cancel(who, id, reason).await? {
                Start::Done(action) => Ok(action),
                Start::Refund(order) => self.refund(order).await,
            }
        };
        tokio::select! {
            result = cancel => result,
            _ = self.alive.cancelled() => Err(OrderError::Unsettled(REFUND_CHECKING.to_owned())),
        }
    }

    async fn start_cancel(
        &self,
        who: Canceler,
        id: OrderId,
        reason: &str,
    ) -> Result<Start, OrderError> {
        let mut tx = self.pool.begin().await?;
        let mut order = db::lock(&mut tx, id)
            .await?
            .filter(|o| who.owns(o))
            .ok_or_else(not_found)?;
        if let Canceler::Customer(_) = who {
            // Only the customer's own machine: a store's refund under way is finished below
            // like any other, but the customer may not start one on an accepted order.
            if let Err(refused) = domain::customer_cancel(order.status) {
                return Err(OrderError::Refused(refused.to_string()));
            }
        }
        if !allowed(&order, OrderStatus::Canceled)? {
            return Ok(Start::Done(Action {
                order,
                changed: false,
            }));
        }
        // Asked for before (a crash, an unclear answer): finish that refund, with its reason.
        if order.refund_pending() {
            return Ok(Start::Refund(order));
        }
        // The day is share-locked with it, so it cannot be sealed (closed) before this commits.
        days::ensure(&mut tx, order.store_id, order.day_id).await?;
        let sealed = days::lock_shared(&mut tx, order.store_id, order.day_id)
            .await?
            .ok_or_else(|| OrderError::Internal(format!("order {id}: its day is not found")))?;
        if sealed {
            return Err(OrderError::Refused(DAY_CLOSED.to_owned()));
        }
        let by_customer = matches!(who, Canceler::Customer(_));
        fdb::request_refund(&mut tx, id, reason, by_customer).await?;
        tx.commit().await?;
        order.ledger_status = Some(ledger::CANCEL_PENDING.to_owned());
        order.cancel_reason = Some(reason.to_owned());
        order.canceled_by_customer = by_customer;
        self.reads.invalidate(id, order.customer_id).await;
        Ok(Start::Refund(order))
    }

    /// Asks KakaoPay to refund an order whose refund is recorded as intended, and records the
    /// outcome.
    async fn refund(&self, order: Order) -> Result<Action, OrderError> {
        let Some(payment) = order.payment.as_ref() else {
            return Err(OrderError::Internal(format!(
                "order {} has no payment",
                order.id
            )));
        };
        let reason = order.cancel_reason.clone().unwrap_or_default();
        let answer = self
            .payment
            .cancel(pay::CancelRequest {
                tid: payment.tid.clone(),
                amount: payment.amount.as_won(),
                tax_free_amount: 0,
                cancel_available_amount: payment.amount.as_won(),
                order_id: order.id.to_string(),
                reason,
            })
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(order_id = %order.id, error = %e, "refund outcome unknown");
                return Err(OrderError::Unsettled(REFUND_CHECKING.to_owned()));
            }
        };
        match answer.outcome() {
            pay::PaymentOutcome::Succeeded => self.refunded(order, &answer).await,
            pay::PaymentOutcome::Failed => {
                let error = answer.error.unwrap_or_default();
                tracing::error!(
                    order_id = %order.id,
                    code = error.code,
                    message = %error.message,
                    "KakaoPay refused the refund"
                );
                self.refused(&order).await?;
                Err(OrderError::Refused(REFUND_REFUSED.to_owned()))
            }
            outcome => {
                tracing::warn!(order_id = %order.id, ?outcome, "refund outcome unknown");
                Err(OrderError::Unsettled(REFUND_CHECKING.to_owned()))
            }
        }
    }

    /// The money went back: PLACED or ACCEPTED → CANCELED with the payment row and both events.
    async fn refunded(
        &self,
        order: Order,
        answer: &pay::CancelResponse,
    ) -> Result<Action, OrderError> {
        let refunded = match answer.canceled_amount {
            0 => order
                .payment
                .as_ref()
                .map_or(order.snapshot.total, |p| p.amount),
            won => Money::won(won),
        };
        let mut tx = self.pool.begin().await?;
        let mut locked = db::lock(&mut tx, order.id)
            .await?
            .ok_or_else(|| OrderError::Internal(format!("order {} vanished", order.id)))?;
        if locked.status == OrderStatus::Canceled {
            return Ok(Action {
                order: locked,
                changed: false,
            });
        }
        db::ledger_canceled(
            &mut tx,
            order.id,
            refunded,
            time(answer.canceled_at.as_ref()),
            &answer.raw,
        )
        .await?;
        if !locked.status.is_open() {
            // The status guards make this unreachable; the refund is recorded all the same.
            tx.commit().await?;
            return Err(OrderError::Internal(format!(
                "order {} was refunded while {}",
                order.id, locked.status
            )));
        }
        let canceled_at = fdb::set_canceled(&mut tx, order.id).await?;
        let reason = locked.cancel_reason.clone().unwrap_or_default();
        let cancellation = Cancellation {
            reason: &reason,
            refunded,
            canceled_at,
            by_customer: locked.canceled_by_customer,
        };
        let stream_key = days::stream_key(&mut tx, locked.store_id, locked.day_id).await?;
        crate::events::enqueue(
            &mut tx,
            &events::store_day_canceled(&locked, &cancellation, &stream_key),
        )
        .await?;
        crate::events::enqueue(&mut tx, &events::canceled(&locked, &cancellation)).await?;
        tx.commit().await?;
        crate::metrics::canceled(locked.canceled_by_customer);
        locked.status = OrderStatus::Canceled;
        locked.canceled_at = Some(canceled_at);
        locked.refunded = refunded;
        locked.ledger_status = Some(ledger::CANCELED.to_owned());
        tracing::info!(
            order_id = %order.id,
            refunded = refunded.as_won(),
            "order canceled and refunded"
        );
        self.changed(&locked).await;
        Ok(Action {
            order: locked,
            changed: true,
        })
    }

    /// KakaoPay refused the refund for good: the order stays as it was and may be accepted or
    /// canceled again.
    async fn refused(&self, order: &Order) -> Result<(), OrderError> {
        let mut tx = self.pool.begin().await?;
        db::lock(&mut tx, order.id).await?;
        fdb::refund_refused(&mut tx, order.id).await?;
        tx.commit().await?;
        self.reads.invalidate(order.id, order.customer_id).await;
        Ok(())
    }

    /// After a change: the nickname is free for another order and cached views are stale.
    async fn changed(&self, order: &Order) {
        if let Err(e) = self
            .nicknames
            .release(order.store_id, order.day_id, &order.nickname)
            .await
        {
            tracing::warn!(order_id = %order.id, error = %e, "nickname not released");
        }
        self.reads.invalidate(order.id, order.customer_id).await;
    }

    /// Waits for this order's turn in this process.
    async fn turn(&self, id: OrderId) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            in_flight.retain(|_, lock| lock.strong_count() > 0);
            match in_flight.get(&id).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    in_flight.insert(id, Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }

    /// Finishes refunds left unsettled (the service stopped mid-cancel, KakaoPay's answer was
    /// unclear), periodically until shutdown.
    pub async fn run(self: Arc<Self>, shutdown: platform::Shutdown) -> Result<(), platform::Error> {
        let mut ticker = tokio::time::interval(self.sweep_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            match self.settle_refunds().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "unsettled refunds retried"),
                Err(e) => tracing::warn!(error = %e, "retrying unsettled refunds failed"),
            }
        }
    }

    /// One round; how many orders it looked at.
    pub async fn settle_refunds(&self) -> Result<usize, OrderError> {
        let ids = fdb::claim_stale_refunds(&self.pool, self.retry_after, BATCH).await?;
        for &id in &ids {
            let _turn = self.turn(id).await;
            let Some(order) = db::find(&self.pool, id).await? else {
                continue;
            };
            if !order.status.is_open() || !order.refund_pending() {
                continue;
            }
            match self.refund(order).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(order_id = %id, error = %e, "refund not settled yet"),
            }
        }
        Ok(ids.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(reason("  재료 소진 ").unwrap(), "재료 소진");
        assert!(matches!(reason(" \n "), Err(OrderError::Invalid(m)) if m == NO_REASON));
        assert!(reason(&"가".repeat(MAX_REASON_CHARS)).is_ok());
        assert!(matches!(
            reason(&"가".repeat(MAX_REASON_CHARS + 1)),
            Err(OrderError::Invalid(m)) if m.contains("200자")
        ));
    }
}
