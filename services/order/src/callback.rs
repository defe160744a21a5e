//! The KakaoPay redirects (DESIGN §5 Approve). The approval URL resolves its token once, checks
//! that the payment still matches the customer's cart and that the business day is not closed,
//! and records the order as APPROVING with its `x:order:approval` outbox entry in one
//! transaction; the approval consumer does the rest. Cancel and fail URLs end the attempt only
//! once KakaoPay confirms it ended unpaid.
//!
//! The token is a secret: it never reaches a log.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use contracts::payment::v1 as pay;
use domain::{BusinessDayId, CustomerId, Money, OrderId, OrderStatus, StoreId};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::cart::Carts;
use crate::customer::Customers;
use crate::error::OrderError;
use crate::events::{self, Failure};
use crate::model::{Order, PaymentRef, Snapshot};
use crate::nickname::Nicknames;
use crate::orders::Orders;
use crate::payment::Payment;
use crate::storage::OrderKeys;
use crate::storage::days;
use crate::storage::orders as db;

/// How long the first visit's decision is remembered for repeated visits: far longer than the
/// payment service remembers a used token.
const REMEMBER: Duration = Duration::from_secs(24 * 3600);
/// Pause between looks while a repeated visit waits for the first one.
const REPEAT_POLL: Duration = Duration::from_millis(100);

const CHECKING: &str = "결제를 확인하고 있어요.";
const INVALID_TOKEN: &str = "결제 정보를 찾을 수 없어요. 결제 시간이 지났거나 이미 끝난 결제일 수 있어요. \
결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const EXPIRED: &str =
    "결제 시간이 지나 주문을 받지 못했어요. 결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const CART_EXPIRED: &str =
    "주문서가 만료되어 주문을 받지 못했어요. 결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const MISMATCH: &str = "결제하는 사이 주문서가 바뀌어 이 결제는 진행하지 않았어요. 결제된 금액은 없어요. \
바뀐 주문서를 확인한 뒤 다시 결제해 주세요.";
const STORE_CLOSED: &str =
    "가게 영업이 끝나 주문을 받을 수 없어요. 결제를 승인하지 않았으니 결제된 금액은 없어요.";
const NOT_CHECKED: &str =
    "결제를 확인하지 못했어요. 결제된 금액은 없어요. 챗봇에서 다시 주문해 주세요.";
const ALREADY_PAID: &str = "이미 결제가 끝난 주문이에요. 주문 결과는 챗봇에서 확인할 수 있어요.";
const STILL_PAYING: &str =
    "카카오페이에서 결제가 아직 진행 중이에요. 결제를 마치면 결과를 챗봇으로 알려 드릴게요.";
const CANCELED: &str = "결제를 취소했어요. 결제된 금액은 없어요. 주문서는 그대로 있으니 챗봇에서 다시 결제할 수 있어요.";
const FAILED: &str = "결제가 완료되지 않았어요. 결제된 금액은 없어요. 주문서는 그대로 있으니 챗봇에서 다시 결제해 주세요.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApprovalOutcome {
    /// The order is recorded: its outcome follows.
    Accepted,
    InvalidToken,
    Expired,
    Mismatch,
    StoreClosed,
}

/// What a visit of the approval URL decided; the first visit's is remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub outcome: ApprovalOutcome,
    pub order_id: Option<OrderId>,
    /// Korean, for the customer.
    pub message: String,
}

impl Verdict {
    fn new(outcome: ApprovalOutcome, order_id: Option<OrderId>, message: &str) -> Verdict {
        Verdict {
            outcome,
            order_id,
            message: message.to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Approval {
    pub verdict: Verdict,
    /// The order as recorded, when there is one yet.
    pub order: Option<Order>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortKind {
    Cancel,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortOutcome {
    Aborted,
    AlreadyPaid,
    Pending,
    InvalidToken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abort {
    pub outcome: AbortOutcome,
    pub order_id: Option<OrderId>,
    /// KakaoPay's status as inquired, when known.
    pub kakaopay_status: String,
    pub message: String,
}

/// Where a payment stands at KakaoPay, for a cancel or fail redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Money moved (and maybe came back): the redirect changes nothing.
    Paid,
    /// Quit, failed, or never authenticated: the attempt is over.
    Abandoned,
    /// Authenticated, approval on its way: a cancel now must not kill it.
    Authenticated,
}

pub fn standing(status: Option<pay::KakaoPayStatus>) -> Standing {
    use pay::KakaoPayStatus as S;
    match status {
        Some(S::SuccessPayment | S::PartCancelPayment | S::CancelPayment) => Standing::Paid,
        // KakaoPay does not know the payment, or the customer never got past the payment page.
        None
        | Some(
            S::QuitPayment
            | S::FailPayment
            | S::FailAuthPassword
            | S::Ready
            | S::SendTms
            | S::OpenPayment
            | S::SelectMethod
            | S::ArsWaiting,
        ) => Standing::Abandoned,
        Some(S::AuthPassword | S::IssuedSid | S::Unspecified) => Standing::Authenticated,
    }
}

/// Our tokens are short base64url; anything else is not one and is not looked up.
fn plausible_token(token: &str) -> bool {
    (16..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// KakaoPay's pg_token is a short alphanumeric code.
fn plausible_pg_token(pg_token: &str) -> bool {
    (1..=100).contains(&pg_token.len())
        && pg_token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn parse_id<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, OrderError> {
    text.parse()
        .map_err(|_| OrderError::Internal(format!("payment binding has a malformed {what}")))
}

/// The ids of a token's binding.
#[derive(Debug, Clone, Copy)]
struct Bound {
    order: OrderId,
    customer: CustomerId,
    store: StoreId,
    day: BusinessDayId,
}

impl Bound {
    fn of(b: &pay::PaymentBinding) -> Result<Bound, OrderError> {
        Ok(Bound {
            order: parse_id("order_id", &b.order_id)?,
            customer: parse_id("customer_id", &b.customer_id)?,
            store: parse_id("store_id", &b.store_id)?,
            day: parse_id("day_business_id", &b.day_business_id)?,
        })
    }
}

enum Recorded {
    Inserted,
    /// The order was recorded before (by this very token).
    Existing,
    DayClosed,
}

pub struct Callbacks {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: OrderKeys,
    pub payment: Payment,
    pub carts: Arc<Carts>,
    pub customers: Arc<Customers>,
    pub nicknames: Nicknames,
    pub orders: Arc<Orders>,
    /// How long a repeated visit waits for the first visit's decision.
    pub repeat_wait: Duration,
}

impl Callbacks {
    /// The approval URL. The first visit decides; every later visit (a refresh, a double tap)
    /// answers the same and changes nothing.
    pub async fn approve(&self, token: &str, pg_token: &str) -> Result<Approval, OrderError> {
        if !plausible_token(token) || !plausible_pg_token(pg_token) {
            return Ok(self.answer(Verdict::new(
                ApprovalOutcome::InvalidToken,
                None,
                INVALID_TOKEN,
            )));
        }
        let resolved = self.payment.resolve(token, false).await?;
        if let Some(binding) = resolved.binding {
            platform::telemetry::link_current(&binding.traceparent);
            return self.first_visit(token, pg_token, &binding).await;
        }
        let used = Some(resolved.used_by_order_id.as_str())
            .filter(|id| !id.is_empty())
            .map(|id| parse_id::<OrderId>("used order id", id))
            .transpose()?;
        self.repeat_visit(token, pg_token, used).await
    }

    fn answer(&self, verdict: Verdict) -> Approval {
        Approval {
            verdict,
            order: None,
        }
    }

    async fn first_visit(
        &self,
        token: &str,
        pg_token: &str,
        binding: &pay::PaymentBinding,
    ) -> Result<Approval, OrderError> {
        let decided = self.decide(pg_token, binding).await;
        let verdict = match &decided {
            Ok(approval) => approval.verdict.clone(),
            // The token is spent and no order was recorded: nobody can be charged for it.
            Err(_) => Verdict::new(ApprovalOutcome::Expired, None, NOT_CHECKED),
        };
        if let Err(e) = self.remember(token, &verdict).await {
            tracing::warn!(order_id = %binding.order_id, error = %e, "approval verdict not remembered");
        }
        decided
    }

    async fn decide(
        &self,
        pg_token: &str,
        binding: &pay::PaymentBinding,
    ) -> Result<Approval, OrderError> {
        let ids = Bound::of(binding)?;
        let refuse = |outcome, message: &'static str| async move {
            // The payment cannot be approved any more; a later 결제하기 starts afresh.
            if let Err(e) = self.payment.end_session(ids.customer, ids.order).await {
                tracing::warn!(order_id = %ids.order, error = %e, "payment session not ended");
            }
            tracing::info!(order_id = %ids.order, ?outcome, "approval refused");
            Ok(self.answer(Verdict::new(outcome, Some(ids.order), message)))
        };
        match self.payment.session(ids.customer).await? {
            None => return refuse(ApprovalOutcome::Expired, EXPIRED).await,
            Some(session)
                if session.binding.as_ref().map(|b| b.order_id.as_str())
                    != Some(binding.order_id.as_str()) =>
            {
                return refuse(ApprovalOutcome::Mismatch, MISMATCH).await;
            }
            Some(_) => {}
        }
        let Some(cart) = self.carts.get(ids.customer).await? else {
            return refuse(ApprovalOutcome::Expired, CART_EXPIRED).await;
        };
        let total = cart
            .priced_cart()
            .map_err(|e| OrderError::Internal(format!("pricing a stored cart: {e:?}")))?
            .total;
        if cart.cart.id.to_string() != binding.cart_id
            || cart.cart.store_id != ids.store
            || total != Money::won(binding.amount)
        {
            return refuse(ApprovalOutcome::Mismatch, MISMATCH).await;
        }
        let customer = self.customers.get(ids.customer).await?;
        let nickname = self
            .nicknames
            .reserve(ids.store, ids.day, customer.nickname.as_deref())
            .await?;
        let payment = PaymentRef {
            tid: binding.tid.clone(),
            pg_token: pg_token.to_owned(),
            partner_order_id: binding.partner_order_id.clone(),
            partner_user_id: binding.partner_user_id.clone(),
            amount: Money::won(binding.amount),
            expires_at: binding
                .expires_at
                .as_ref()
                .and_then(contracts::time::datetime)
                .unwrap_or_else(Utc::now),
        };
        let order = Order {
            id: ids.order,
            store_id: ids.store,
            day_id: ids.day,
            customer_id: ids.customer,
            bot_user_key: customer.bot_user_key.clone(),
            status: OrderStatus::Approving,
            nickname: nickname.clone(),
            snapshot: Snapshot {
                cart_id: binding.cart_id.clone(),
                store_name: cart.store_name.clone(),
                lines: cart.priced.clone(),
                total,
            },
            payment: Some(payment.clone()),
            ledger_status: None,
            charged: None,
            refunded: Money::ZERO,
            failure_reason: None,
            cancel_reason: None,
            created_at: Utc::now(),
            placed_at: None,
            ready_at: None,
            canceled_at: None,
            failed_at: None,
            accepted: None,
            canceled_by_customer: false,
        };
        let recorded = self.record(&order, &payment).await;
        if !matches!(recorded, Ok(Recorded::Inserted))
            && let Err(e) = self.nicknames.release(ids.store, ids.day, &nickname).await
        {
            tracing::warn!(order_id = %ids.order, error = %e, "nickname not released");
        }
        match recorded? {
            Recorded::DayClosed => return refuse(ApprovalOutcome::StoreClosed, STORE_CLOSED).await,
            Recorded::Inserted => {
                tracing::info!(order_id = %ids.order, tid = %payment.tid, "order approving");
            }
            Recorded::Existing => {}
        }
        // The order has its snapshot; the cart and the payment session are done with.
        if let Err(e) = self
            .carts
            .clear_ordered(ids.customer, &binding.cart_id)
            .await
        {
            tracing::warn!(order_id = %ids.order, error = %e, "ordered cart not cleared");
        }
        if let Err(e) = self.payment.end_session(ids.customer, ids.order).await {
            tracing::warn!(order_id = %ids.order, error = %e, "payment session not ended");
        }
        // Recorded: whatever fails from here on, the order stands and its outcome follows.
        let order = self.orders.find(ids.order).await.unwrap_or_else(|e| {
            tracing::warn!(order_id = %ids.order, error = %e, "recorded order not read back");
            None
        });
        Ok(Approval {
            verdict: Verdict::new(ApprovalOutcome::Accepted, Some(ids.order), CHECKING),
            order,
        })
    }

    /// The APPROVING row with its line snapshots and its approval request, in one transaction,
    /// unless the day is sealed (closed); then only the customer's alert is written.
    async fn record(&self, order: &Order, payment: &PaymentRef) -> Result<Recorded, OrderError> {
        let mut tx = self.pool.begin().await?;
        days::ensure(&mut tx, order.store_id, order.day_id).await?;
        let sealed = days::lock_shared(&mut tx, order.store_id, order.day_id).await?;
        if sealed.is_none_or(|sealed| sealed) {
            let failure = Failure {
                reason: STORE_CLOSED.to_owned(),
                code: "STORE_CLOSED".to_owned(),
                refunded: Money::ZERO,
            };
            events::enqueue(
                &mut tx,
                &events::approval_failed(order, &failure, Utc::now()),
            )
            .await?;
            tx.commit().await?;
            crate::metrics::failed(&failure.code);
            return Ok(Recorded::DayClosed);
        }
        if !db::insert_approving(&mut tx, order).await? {
            tx.rollback().await?;
            return Ok(Recorded::Existing);
        }
        events::enqueue(
            &mut tx,
            &events::approval_requested(order, payment, Utc::now()),
        )
        .await?;
        tx.commit().await?;
        Ok(Recorded::Inserted)
    }

    async fn repeat_visit(
        &self,
        token: &str,
        pg_token: &str,
        used: Option<OrderId>,
    ) -> Result<Approval, OrderError> {
        let deadline = tokio::time::Instant::now() + self.repeat_wait;
        loop {
            if let Some(id) = used
                && let Some(order) = self.orders.find(id).await?
            {
                return Ok(Approval {
                    verdict: Verdict::new(ApprovalOutcome::Accepted, Some(id), CHECKING),
                    order: Some(order),
                });
            }
            if let Some(verdict) = self.recall(token).await? {
                let order = match verdict.order_id {
                    Some(id) if verdict.outcome == ApprovalOutcome::Accepted => {
                        self.orders.find(id).await?
                    }
                    _ => None,
                };
                return Ok(Approval { verdict, order });
            }
            let Some(id) = used else {
                // Redis forgot the token and the verdict (it restarted empty), but Postgres
                // knows the order the payment became: the customer is told about it, not
                // invited to pay again.
                if let Some(order) = self.orders.find_by_pg_token(pg_token).await? {
                    return Ok(Approval {
                        verdict: Verdict::new(ApprovalOutcome::Accepted, Some(order.id), CHECKING),
                        order: Some(order),
                    });
                }
                return Ok(self.answer(Verdict::new(
                    ApprovalOutcome::InvalidToken,
                    None,
                    INVALID_TOKEN,
                )));
            };
            // The first visit is still deciding; its order will be waited for by the caller.
            if tokio::time::Instant::now() >= deadline {
                return Ok(self.answer(Verdict::new(
                    ApprovalOutcome::Accepted,
                    Some(id),
                    CHECKING,
                )));
            }
            tokio::time::sleep(REPEAT_POLL).await;
        }
    }

    async fn remember(&self, token: &str, verdict: &Verdict) -> Result<(), OrderError> {
        let json = serde_json::to_string(verdict)
            .map_err(|e| OrderError::Internal(format!("encoding a verdict: {e}")))?;
        let mut conn = self.redis.clone();
        let _: () = redis::cmd("SET")
            .arg(self.keys.approval_result(token))
            .arg(json)
            .arg("PX")
            .arg(u64::try_from(REMEMBER.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn recall(&self, token: &str) -> Result<Option<Verdict>, OrderError> {
        let mut conn = self.redis.clone();
        let raw: Option<String> = redis::cmd("GET")
            .arg(self.keys.approval_result(token))
            .query_async(&mut conn)
            .await?;
        Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
    }

    /// The cancel and fail URLs: the attempt ends only if KakaoPay says it ended unpaid (or
    /// never got past the payment page); a paid order is never touched.
    pub async fn abort(&self, token: &str, kind: AbortKind) -> Result<Abort, OrderError> {
        let invalid = || Abort {
            outcome: AbortOutcome::InvalidToken,
            order_id: None,
            kakaopay_status: String::new(),
            message: INVALID_TOKEN.to_owned(),
        };
        if !plausible_token(token) {
            return Ok(invalid());
        }
        let resolved = self.payment.resolve(token, true).await?;
        let Some(binding) = resolved.binding else {
            let used = Some(resolved.used_by_order_id.as_str())
                .filter(|id| !id.is_empty())
                .map(|id| parse_id::<OrderId>("used order id", id))
                .transpose()?;
            return self
                .after_approval(token, used)
                .await
                .map(|a| a.unwrap_or_else(invalid));
        };
        let ids = Bound::of(&binding)?;
        let inquiry = self.payment.inquire(&binding.tid).await?;
        let status = inquiry.as_ref().map(pay::InquireResponse::status);
        let kakaopay_status = inquiry.map(|i| i.raw_status).unwrap_or_default();
        let (outcome, message) = match standing(status) {
            Standing::Paid => (AbortOutcome::AlreadyPaid, ALREADY_PAID),
            Standing::Authenticated => (AbortOutcome::Pending, STILL_PAYING),
            Standing::Abandoned => {
                self.payment.end_session(ids.customer, ids.order).await?;
                tracing::info!(order_id = %ids.order, ?kind, %kakaopay_status, "payment attempt ended");
                let message = match kind {
                    AbortKind::Cancel => CANCELED,
                    AbortKind::Fail => FAILED,
                };
                (AbortOutcome::Aborted, message)
            }
        };
        Ok(Abort {
            outcome,
            order_id: Some(ids.order),
            kakaopay_status,
            message: message.to_owned(),
        })
    }

    /// A cancel or fail URL whose token the approval URL already used.
    async fn after_approval(
        &self,
        token: &str,
        used: Option<OrderId>,
    ) -> Result<Option<Abort>, OrderError> {
        let verdict = self.recall(token).await?;
        let order_id = used.or(verdict.as_ref().and_then(|v| v.order_id));
        let order = match order_id {
            Some(id) => self.orders.find(id).await?,
            None => None,
        };
        let (outcome, message) = match (&order, &verdict) {
            (Some(_), _) => (AbortOutcome::AlreadyPaid, ALREADY_PAID.to_owned()),
            (None, Some(v)) if v.outcome != ApprovalOutcome::Accepted => {
                (AbortOutcome::Aborted, v.message.clone())
            }
            (None, _) if order_id.is_some() => (AbortOutcome::Pending, CHECKING.to_owned()),
            (None, _) => return Ok(None),
        };
        Ok(Some(Abort {
            outcome,
            order_id,
            kakaopay_status: String::new(),
            message,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pay::KakaoPayStatus as S;

    #[test]
    fn only_unpaid_endings_and_untouched_pages_abandon_a_payment() {
        for status in [S::SuccessPayment, S::PartCancelPayment, S::CancelPayment] {
            assert_eq!(standing(Some(status)), Standing::Paid, "{status:?}");
        }
        for status in [
            S::QuitPayment,
            S::FailPayment,
            S::FailAuthPassword,
            S::Ready,
            S::OpenPayment,
            S::SelectMethod,
        ] {
            assert_eq!(standing(Some(status)), Standing::Abandoned, "{status:?}");
        }
        assert_eq!(standing(None), Standing::Abandoned);
        for status in [S::AuthPassword, S::IssuedSid, S::Unspecified] {
            assert_eq!(
                standing(Some(status)),
                Standing::Authenticated,
                "{status:?}"
            );
        }
    }

    #[test]
    fn tokens_and_pg_tokens_are_checked_before_any_lookup() {
        assert!(plausible_token("abcdefghijklmnopqrstuvwxyzABCDEF"));
        assert!(!plausible_token("short"));
        assert!(!plausible_token("abcdefghijklmnop/../qrstuvwxyz"));
        assert!(plausible_pg_token("a1b2c3d4e5f6g7h8i9j0"));
        assert!(!plausible_pg_token(""));
        assert!(!plausible_pg_token("a b"));
        assert!(!plausible_pg_token(&"a".repeat(101)));
    }

    #[test]
    fn a_verdict_round_trips_through_json() {
        let verdict = Verdict::new(
            ApprovalOutcome::StoreClosed,
            Some(OrderId::new()),
            STORE_CLOSED,
        );
        let json = serde_json::to_string(&verdict).unwrap();
        assert!(json.contains("\"STORE_CLOSED\""), "{json}");
        assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), verdict);
    }
}
