//! The payment service's operations (DESIGN §5 Place, Approve): prepare a payment and its
//! session, resolve tokens, and approve, inquire and cancel at KakaoPay — every unclear outcome
//! settled by an `order` inquiry before answering.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use domain::{BusinessDayId, CustomerId, Money, OrderId, StoreId};
use kakao::pay::{self, Call, ErrorKind, PaymentActionType};
use rand::Rng;

use crate::PaymentSettings;
use crate::error::PaymentError;
use crate::kakaopay::{Answer, Failure, KakaoPay};
use crate::session::{self, Binding, CallbackUrls, Redirect, Session, Token};
use crate::settle::{self, Outcome};
use crate::storage::{Resolved, SessionStore};

/// How often Prepare re-reads the session when concurrent 결제하기 taps keep changing it.
const REPLACE_ATTEMPTS: usize = 3;
/// KakaoPay's `payload` memo holds at most 200 characters.
const PAYLOAD_MAX: usize = 200;

pub struct Payments {
    pub kakaopay: KakaoPay,
    pub sessions: SessionStore,
    pub settings: PaymentSettings,
    pub public_base_url: String,
}

#[derive(Debug, Clone)]
pub struct PrepareInput {
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub store_id: StoreId,
    pub day_business_id: BusinessDayId,
    pub amount: Money,
    pub tax_free: Money,
    pub item_name: String,
    pub quantity: u32,
    pub cart_id: String,
}

#[derive(Debug, Clone)]
pub struct Prepared {
    pub session: Session,
    pub reused: bool,
}

/// KakaoPay's error as the caller sees it; `code` 0 when KakaoPay sent none (a timeout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KakaoPayError {
    pub code: i64,
    pub message: String,
    pub method_result_code: String,
    pub method_result_message: String,
}

impl KakaoPayError {
    fn of(failure: &Failure) -> KakaoPayError {
        let Some(body) = &failure.error else {
            return KakaoPayError {
                message: failure.detail.clone(),
                ..Default::default()
            };
        };
        let extras = body.extras.clone().unwrap_or_default();
        KakaoPayError {
            code: body.error_code,
            message: body.error_message.clone(),
            method_result_code: extras.method_result_code.unwrap_or_default(),
            method_result_message: extras.method_result_message.unwrap_or_default(),
        }
    }

    /// The call's failure, plus why the inquiry that should have settled it did not.
    fn unsettled(failure: &Failure, inquiry: &Failure) -> KakaoPayError {
        let mut error = KakaoPayError::of(failure);
        error.message = format!("{}; inquiry failed: {}", error.message, inquiry.detail);
        error
    }
}

#[derive(Debug, Clone)]
pub struct ApproveInput {
    pub tid: String,
    pub pg_token: String,
    pub partner_order_id: String,
    pub partner_user_id: String,
    pub amount: Money,
    pub order_id: String,
}

#[derive(Debug, Clone)]
pub struct Approval {
    pub outcome: Outcome,
    pub already_approved: bool,
    pub aid: String,
    pub payment_method_type: String,
    /// KakaoPay's approved total (0 unless Succeeded).
    pub amount: i64,
    pub approved_at: Option<DateTime<Utc>>,
    pub error: Option<KakaoPayError>,
    pub cid: String,
    pub raw: String,
}

#[derive(Debug, Clone)]
pub struct CancelInput {
    pub tid: String,
    pub amount: Money,
    pub tax_free: Money,
    /// KakaoPay's concurrency guard: what we believe is still cancellable.
    pub cancel_available: Option<Money>,
    pub order_id: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Cancellation {
    pub outcome: Outcome,
    pub already_canceled: bool,
    pub canceled_now: i64,
    pub canceled_amount: i64,
    pub cancel_available_amount: i64,
    /// KakaoPay's status after the call, when known.
    pub status: Option<pay::PaymentStatus>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub error: Option<KakaoPayError>,
    pub aid: String,
    pub raw: String,
}

impl Payments {
    /// KakaoPay ready, a token and the customer's payment session; the same cart again returns
    /// the live payment unchanged.
    pub async fn prepare(&self, input: PrepareInput) -> Result<Prepared, PaymentError> {
        validate_prepare(&input)?;
        // Milliseconds, as stored: the answer now and a later read of the session agree.
        let now = Utc::now().trunc_subsecs(3);
        let current = self.sessions.session(input.customer_id).await?;
        if let Some(live) = current.as_ref().filter(|s| self.reusable(s, &input, now)) {
            return Ok(Prepared {
                session: live.clone(),
                reused: true,
            });
        }

        let token = Token::generate();
        let urls = CallbackUrls::new(&self.public_base_url, &token);
        let ready = self
            .kakaopay
            .ready(&pay::ReadyRequest {
                cid: self.kakaopay.cid().to_owned(),
                partner_order_id: input.order_id.to_string(),
                // Our customer id: KakaoPay asks for no personal data here.
                partner_user_id: input.customer_id.to_string(),
                item_name: session::item_name(&input.item_name),
                quantity: i64::from(input.quantity),
                total_amount: input.amount.as_won(),
                tax_free_amount: input.tax_free.as_won(),
                approval_url: urls.approval,
                cancel_url: urls.cancel,
                fail_url: urls.fail,
                ..Default::default()
            })
            .await
            .map_err(PaymentError::kakaopay)?
            .body;
        let mobile = ready.next_redirect_mobile_url.unwrap_or_default();
        if ready.tid.is_empty() || mobile.is_empty() {
            return Err(PaymentError::KakaoPayUnavailable(Failure {
                call: Call::Ready,
                kind: ErrorKind::Unclear,
                http_status: 200,
                error: None,
                detail: "ready answered without a tid or a payment page".into(),
            }));
        }
        let session = Session {
            token,
            binding: Binding {
                order_id: input.order_id,
                customer_id: input.customer_id,
                store_id: input.store_id,
                day_business_id: input.day_business_id,
                tid: ready.tid,
                amount: input.amount,
                cart_id: input.cart_id.clone(),
                partner_order_id: input.order_id.to_string(),
                partner_user_id: input.customer_id.to_string(),
                created_at: now,
                expires_at: now + self.settings.window,
                traceparent: platform::telemetry::current_traceparent(),
            },
            redirect: Redirect {
                mobile,
                pc: ready.next_redirect_pc_url.unwrap_or_default(),
                app: ready.next_redirect_app_url.unwrap_or_default(),
                android_app_scheme: ready.android_app_scheme.unwrap_or_default(),
                ios_app_scheme: ready.ios_app_scheme.unwrap_or_default(),
            },
        };

        let mut expected = current.map(|s| s.token);
        for _ in 0..REPLACE_ATTEMPTS {
            let replaced = self
                .sessions
                .replace(
                    expected.as_ref(),
                    &session,
                    self.settings.window + self.settings.session_margin,
                    self.settings.window,
                )
                .await?;
            if replaced {
                tracing::info!(
                    order_id = %input.order_id,
                    customer_id = %input.customer_id,
                    tid = %session.binding.tid,
                    amount = input.amount.as_won(),
                    "payment prepared"
                );
                return Ok(Prepared {
                    session,
                    reused: false,
                });
            }
            // Another 결제하기 of the same customer changed the session meanwhile.
            let now_current = self.sessions.session(input.customer_id).await?;
            if let Some(live) = now_current
                .as_ref()
                .filter(|s| self.reusable(s, &input, now))
            {
                tracing::info!(
                    abandoned_tid = %session.binding.tid,
                    "a concurrent 결제하기 prepared the same cart; its payment is used"
                );
                return Ok(Prepared {
                    session: live.clone(),
                    reused: true,
                });
            }
            expected = now_current.map(|s| s.token);
        }
        Err(PaymentError::Conflict(
            "the payment session kept changing; try again".into(),
        ))
    }

    fn reusable(&self, session: &Session, input: &PrepareInput, now: DateTime<Utc>) -> bool {
        session.reusable_for(
            &input.cart_id,
            input.amount,
            now,
            self.settings.reuse_min_remaining,
        )
    }

    /// The token's binding, once (unless `peek`). A malformed token is simply unknown.
    pub async fn resolve(&self, token: &str, peek: bool) -> Result<Resolved, PaymentError> {
        let Some(token) = Token::parse(token) else {
            return Ok(Resolved::Unknown);
        };
        Ok(self
            .sessions
            .resolve(
                &token,
                peek,
                self.settings.window + self.settings.session_margin,
            )
            .await?)
    }

    pub async fn session(&self, customer: CustomerId) -> Result<Option<Session>, PaymentError> {
        Ok(self.sessions.session(customer).await?)
    }

    pub async fn end_session(
        &self,
        customer: CustomerId,
        order: Option<OrderId>,
    ) -> Result<bool, PaymentError> {
        Ok(self.sessions.end(customer, order).await?)
    }

    /// KakaoPay approve. An unclear failure is settled by inquiry; an already-approved payment
    /// is Succeeded.
    pub async fn approve(&self, input: ApproveInput) -> Result<Approval, PaymentError> {
        validate_approve(&input)?;
        let request = pay::ApproveRequest {
            cid: self.kakaopay.cid().to_owned(),
            cid_secret: None,
            tid: input.tid.clone(),
            partner_order_id: input.partner_order_id.clone(),
            partner_user_id: input.partner_user_id.clone(),
            pg_token: input.pg_token.clone(),
            payload: payload(&input.order_id),
            total_amount: Some(input.amount.as_won()),
        };
        let failure = match self.kakaopay.approve(&request).await {
            Ok(answer) => return Ok(self.approved(&input, answer)),
            Err(failure) => failure,
        };
        let outcome = match failure.kind {
            ErrorKind::Retryable => Outcome::Retryable,
            // A documented refusal (`kakao::pay::is_documented_refusal`): nothing was approved
            // and this request never will be.
            ErrorKind::Final if failure.code().is_some() => Outcome::Failed,
            // Anything else may hide money that moved or a payment still waiting: only KakaoPay's
            // view of the payment may fail the order.
            ErrorKind::Final | ErrorKind::Unclear => {
                let inquiry = match self.inquire(&input.tid).await {
                    Ok(inquiry) => inquiry,
                    Err(inquiry_failure) => {
                        return Ok(self.not_approved(
                            Outcome::Unclear,
                            KakaoPayError::unsettled(&failure, &inquiry_failure),
                            String::new(),
                        ));
                    }
                };
                let settled =
                    settle::approve(settle::Answer::of(failure.code()), &inquiry.body.status);
                tracing::info!(
                    tid = %input.tid,
                    status = %inquiry.body.status,
                    outcome = ?settled,
                    "unclear approve settled by inquiry"
                );
                if settled == Outcome::Succeeded {
                    return Ok(self.approved_by_inquiry(&input, inquiry));
                }
                return Ok(self.not_approved(settled, KakaoPayError::of(&failure), inquiry.raw));
            }
        };
        Ok(self.not_approved(outcome, KakaoPayError::of(&failure), String::new()))
    }

    fn approved(&self, input: &ApproveInput, answer: Answer<pay::ApproveResponse>) -> Approval {
        let body = answer.body;
        warn_on_amount_mismatch(&input.tid, input.amount, body.amount.total);
        Approval {
            outcome: Outcome::Succeeded,
            already_approved: false,
            aid: body.aid,
            payment_method_type: body
                .payment_method_type
                .map(|m| m.to_string())
                .unwrap_or_default(),
            amount: body.amount.total,
            approved_at: body.approved_at.and_then(kst),
            error: None,
            cid: self.cid_or(&body.cid),
            raw: answer.raw,
        }
    }

    fn approved_by_inquiry(
        &self,
        input: &ApproveInput,
        inquiry: Answer<pay::OrderResponse>,
    ) -> Approval {
        let body = inquiry.body;
        let payment = body
            .payment_action_details
            .iter()
            .rev()
            .find(|a| a.payment_action_type == Some(PaymentActionType::Payment));
        let amount = body.amount.map(|a| a.total).unwrap_or_default();
        warn_on_amount_mismatch(&input.tid, input.amount, amount);
        Approval {
            outcome: Outcome::Succeeded,
            already_approved: true,
            aid: payment.map(|p| p.aid.clone()).unwrap_or_default(),
            payment_method_type: body
                .payment_method_type
                .map(|m| m.to_string())
                .unwrap_or_default(),
            amount,
            approved_at: body
                .approved_at
                .or_else(|| payment.and_then(|p| p.approved_at))
                .and_then(kst),
            error: None,
            cid: self.cid_or(&body.cid),
            raw: inquiry.raw,
        }
    }

    fn not_approved(&self, outcome: Outcome, error: KakaoPayError, raw: String) -> Approval {
        Approval {
            outcome,
            already_approved: false,
            aid: String::new(),
            payment_method_type: String::new(),
            amount: 0,
            approved_at: None,
            error: Some(error),
            cid: self.kakaopay.cid().to_owned(),
            raw,
        }
    }

    /// KakaoPay `order`, retried with backoff on anything but a final refusal: it only reads.
    pub async fn inquire(&self, tid: &str) -> Result<Answer<pay::OrderResponse>, Failure> {
        let attempts = self.settings.inquiry_attempts.max(1);
        let mut backoff = self.settings.inquiry_backoff;
        let mut attempt = 1;
        loop {
            match self.kakaopay.order(tid).await {
                Ok(answer) => return Ok(answer),
                Err(failure) if failure.kind != ErrorKind::Final && attempt < attempts => {
                    let jitter_ms = rand::rng().random_range(0..=backoff.as_millis() as u64 / 2);
                    tokio::time::sleep(backoff + std::time::Duration::from_millis(jitter_ms)).await;
                    backoff *= 2;
                    attempt += 1;
                }
                Err(failure) => return Err(failure),
            }
        }
    }

    /// KakaoPay cancel (refund). A failure the payment's state may explain is settled by
    /// inquiry: a payment found canceled is Succeeded, so a repeated cancel refunds once.
    pub async fn cancel(&self, input: CancelInput) -> Result<Cancellation, PaymentError> {
        validate_cancel(&input)?;
        let request = pay::CancelRequest {
            cid: self.kakaopay.cid().to_owned(),
            cid_secret: None,
            tid: input.tid.clone(),
            cancel_amount: input.amount.as_won(),
            cancel_tax_free_amount: input.tax_free.as_won(),
            cancel_vat_amount: None,
            cancel_available_amount: input.cancel_available.map(Money::as_won),
            payload: payload(&input.reason),
        };
        let failure = match self.kakaopay.cancel(&request).await {
            Ok(answer) => return Ok(self.canceled(&input, answer).await),
            Err(failure) => failure,
        };
        if !settle::cancel_needs_inquiry(failure.kind, failure.code()) {
            return Ok(Cancellation::unsettled(
                Outcome::Failed,
                KakaoPayError::of(&failure),
            ));
        }
        let inquiry = match self.inquire(&input.tid).await {
            Ok(inquiry) => inquiry,
            Err(inquiry_failure) => {
                return Ok(Cancellation::unsettled(
                    Outcome::Unclear,
                    KakaoPayError::unsettled(&failure, &inquiry_failure),
                ));
            }
        };
        let outcome = settle::cancel(settle::Answer::of(failure.code()), &inquiry.body.status);
        tracing::info!(
            tid = %input.tid,
            status = %inquiry.body.status,
            outcome = ?outcome,
            "failed cancel settled by inquiry"
        );
        let body = inquiry.body;
        let aid = refund_action(&body, None)
            .map(|a| a.aid.clone())
            .unwrap_or_default();
        let succeeded = outcome == Outcome::Succeeded;
        Ok(Cancellation {
            outcome,
            already_canceled: succeeded,
            canceled_now: 0,
            canceled_amount: body.canceled_amount.map(|a| a.total).unwrap_or_default(),
            cancel_available_amount: body
                .cancel_available_amount
                .map(|a| a.total)
                .unwrap_or_default(),
            canceled_at: body.canceled_at.and_then(kst),
            status: Some(body.status),
            error: (!succeeded).then(|| KakaoPayError::of(&failure)),
            aid,
            raw: inquiry.raw,
        })
    }

    /// A cancel KakaoPay answered. The current API's answer has no `aid`, and some lack
    /// `approved_cancel_amount`: the `order` inquiry's CANCEL action of this refund tells both.
    async fn canceled(
        &self,
        input: &CancelInput,
        answer: Answer<pay::CancelResponse>,
    ) -> Cancellation {
        let body = answer.body;
        let mut aid = body.aid.clone().filter(|aid| !aid.trim().is_empty());
        let mut canceled_now = body.approved_cancel_amount.map(|a| a.total);
        if aid.is_none() || canceled_now.is_none() {
            match self.inquire(&input.tid).await {
                Ok(inquiry) => {
                    let action = refund_action(&inquiry.body, canceled_now);
                    aid = aid.or_else(|| action.map(|a| a.aid.clone()));
                    canceled_now = canceled_now.or_else(|| action.map(|a| a.amount));
                }
                // The refund went through; only its bookkeeping details are missing.
                Err(failure) => tracing::warn!(
                    tid = %input.tid,
                    detail = %failure.detail,
                    "canceled, but the inquiry for the refund's aid failed"
                ),
            }
        }
        // KakaoPay cancels exactly what was asked, or refuses.
        let canceled_now = canceled_now.unwrap_or(input.amount.as_won());
        tracing::info!(
            tid = %input.tid,
            order_id = %input.order_id,
            canceled = canceled_now,
            status = %body.status,
            "payment canceled"
        );
        Cancellation {
            outcome: Outcome::Succeeded,
            already_canceled: false,
            canceled_now,
            canceled_amount: body.canceled_amount.total,
            cancel_available_amount: body.cancel_available_amount.total,
            status: Some(body.status),
            canceled_at: body.canceled_at.and_then(kst),
            error: None,
            aid: aid.unwrap_or_default(),
            raw: answer.raw,
        }
    }

    fn cid_or(&self, answered: &str) -> String {
        if answered.is_empty() {
            self.kakaopay.cid().to_owned()
        } else {
            answered.to_owned()
        }
    }
}

impl Cancellation {
    fn unsettled(outcome: Outcome, error: KakaoPayError) -> Cancellation {
        Cancellation {
            outcome,
            already_canceled: false,
            canceled_now: 0,
            canceled_amount: 0,
            cancel_available_amount: 0,
            status: None,
            canceled_at: None,
            error: Some(error),
            aid: String::new(),
            raw: String::new(),
        }
    }
}

/// The newest CANCEL action, preferring one of `amount` when it is known.
fn refund_action(
    order: &pay::OrderResponse,
    amount: Option<i64>,
) -> Option<&pay::PaymentActionDetail> {
    let mut cancels = order
        .payment_action_details
        .iter()
        .rev()
        .filter(|a| a.payment_action_type == Some(PaymentActionType::Cancel));
    match amount {
        Some(amount) => cancels
            .clone()
            .find(|a| a.amount == amount)
            .or_else(|| cancels.next()),
        None => cancels.next(),
    }
}

fn validate_prepare(input: &PrepareInput) -> Result<(), PaymentError> {
    let invalid = |m: &str| Err(PaymentError::Invalid(m.to_owned()));
    if input.amount <= Money::ZERO {
        return invalid("amount must be positive");
    }
    if input.tax_free < Money::ZERO || input.tax_free > input.amount {
        return invalid("tax_free_amount must be between 0 and amount");
    }
    if input.quantity == 0 {
        return invalid("quantity must be at least 1");
    }
    if input.item_name.trim().is_empty() {
        return invalid("item_name is required");
    }
    if input.cart_id.trim().is_empty() || input.cart_id.len() > 200 {
        return invalid("cart_id is required (at most 200 bytes)");
    }
    Ok(())
}

fn validate_approve(input: &ApproveInput) -> Result<(), PaymentError> {
    let invalid = |m: &str| Err(PaymentError::Invalid(m.to_owned()));
    if input.tid.trim().is_empty() {
        return invalid("tid is required");
    }
    if input.pg_token.trim().is_empty() {
        return invalid("pg_token is required");
    }
    if input.partner_order_id.is_empty() || input.partner_user_id.is_empty() {
        return invalid("partner_order_id and partner_user_id are required");
    }
    if input.amount <= Money::ZERO {
        return invalid("amount must be positive");
    }
    Ok(())
}

fn validate_cancel(input: &CancelInput) -> Result<(), PaymentError> {
    let invalid = |m: &str| Err(PaymentError::Invalid(m.to_owned()));
    if input.tid.trim().is_empty() {
        return invalid("tid is required");
    }
    if input.amount <= Money::ZERO {
        return invalid("amount must be positive");
    }
    if input.tax_free < Money::ZERO || input.tax_free > input.amount {
        return invalid("tax_free_amount must be between 0 and amount");
    }
    if input.cancel_available.is_some_and(|a| a < input.amount) {
        return invalid("cancel_available_amount is less than the amount to cancel");
    }
    Ok(())
}

fn payload(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(PAYLOAD_MAX).collect())
}

fn warn_on_amount_mismatch(tid: &str, expected: Money, approved: i64) {
    if approved != expected.as_won() {
        tracing::error!(
            tid,
            expected = expected.as_won(),
            approved,
            "KakaoPay approved another amount than the order's"
        );
    }
}

/// KakaoPay's timestamps are KST without an offset.
pub(crate) fn kst(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    naive
        .and_local_timezone(domain::KST)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kakaopay_times_are_kst() {
        let naive =
            NaiveDateTime::parse_from_str("2024-03-01T09:30:00", "%Y-%m-%dT%H:%M:%S").unwrap();
        assert_eq!(
            kst(naive).unwrap().to_rfc3339(),
            "2024-03-01T00:30:00+00:00"
        );
    }

    #[test]
    fn payloads_are_trimmed_and_bounded() {
        assert_eq!(payload("  "), None);
        assert_eq!(payload("주문 취소").as_deref(), Some("주문 취소"));
        assert_eq!(payload(&"가".repeat(300)).unwrap().chars().count(), 200);
    }

    fn prepare_input() -> PrepareInput {
        PrepareInput {
            order_id: OrderId::new(),
            customer_id: CustomerId::new(),
            store_id: StoreId::new(),
            day_business_id: BusinessDayId::new(),
            amount: Money::won(9_000),
            tax_free: Money::ZERO,
            item_name: "아메리카노 외 1건".into(),
            quantity: 2,
            cart_id: "1700000000000-2".into(),
        }
    }

    #[test]
    fn bad_prepare_input_is_refused() {
        assert!(validate_prepare(&prepare_input()).is_ok());
        let cases: [fn(&mut PrepareInput); 7] = [
            |i| i.amount = Money::ZERO,
            |i| i.amount = Money::won(-1),
            |i| i.tax_free = Money::won(10_000),
            |i| i.tax_free = Money::won(-1),
            |i| i.quantity = 0,
            |i| i.item_name = " ".into(),
            |i| i.cart_id = String::new(),
        ];
        for (n, change) in cases.iter().enumerate() {
            let mut input = prepare_input();
            change(&mut input);
            assert!(
                matches!(validate_prepare(&input), Err(PaymentError::Invalid(_))),
                "case {n}"
            );
        }
    }

    #[test]
    fn a_cancel_guard_below_the_amount_is_refused() {
        let input = CancelInput {
            tid: "T1".into(),
            amount: Money::won(5_000),
            tax_free: Money::ZERO,
            cancel_available: Some(Money::won(4_000)),
            order_id: String::new(),
            reason: String::new(),
        };
        assert!(matches!(
            validate_cancel(&input),
            Err(PaymentError::Invalid(_))
        ));
    }
}
