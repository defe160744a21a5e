//! The gRPC adapter: proto in, [`Payments`] call, proto out.

use std::str::FromStr;
use std::sync::Arc;

use contracts::common::v1 as common;
use contracts::payment::v1 as pb;
use contracts::time::timestamp;
use domain::ids::IdParseError;
use domain::{Money, OrderId};
use kakao::pay::PaymentStatus;
use tonic::{Request, Response, Status};

use crate::error::PaymentError;
use crate::payments::{
    Approval, ApproveInput, CancelInput, Cancellation, KakaoPayError, Payments, PrepareInput,
};
use crate::session::{Binding, Redirect, Session};
use crate::settle::Outcome;
use crate::storage::Resolved;

#[derive(Clone)]
pub struct PaymentGrpc {
    pub payments: Arc<Payments>,
}

#[tonic::async_trait]
impl pb::payment_service_server::PaymentService for PaymentGrpc {
    async fn prepare(
        &self,
        request: Request<pb::PrepareRequest>,
    ) -> Result<Response<pb::PrepareResponse>, Status> {
        let r = request.into_inner();
        let input = PrepareInput {
            order_id: id(&r.order_id, "order_id")?,
            customer_id: id(&r.customer_id, "customer_id")?,
            store_id: id(&r.store_id, "store_id")?,
            day_business_id: id(&r.day_business_id, "day_business_id")?,
            amount: Money::won(r.amount),
            tax_free: Money::won(r.tax_free_amount),
            item_name: r.item_name,
            quantity: r.quantity,
            cart_id: r.cart_id,
        };
        let prepared = self.payments.prepare(input).await?;
        let Session {
            token,
            binding,
            redirect,
        } = prepared.session;
        Ok(Response::new(pb::PrepareResponse {
            token: token.as_str().to_owned(),
            tid: binding.tid,
            redirect: Some(redirect_pb(redirect)),
            order_id: binding.order_id.to_string(),
            reused: prepared.reused,
            amount: binding.amount.as_won(),
            created_at: Some(timestamp(binding.created_at)),
            expires_at: Some(timestamp(binding.expires_at)),
        }))
    }

    async fn resolve_token(
        &self,
        request: Request<pb::ResolveTokenRequest>,
    ) -> Result<Response<pb::ResolveTokenResponse>, Status> {
        let r = request.into_inner();
        let response = match self.payments.resolve(&r.token, r.peek).await? {
            Resolved::Bound(binding) => pb::ResolveTokenResponse {
                binding: Some(binding_pb(binding)),
                used_by_order_id: String::new(),
            },
            Resolved::Used { order_id } => pb::ResolveTokenResponse {
                binding: None,
                used_by_order_id: order_id,
            },
            Resolved::Unknown => pb::ResolveTokenResponse::default(),
        };
        Ok(Response::new(response))
    }

    async fn get_session(
        &self,
        request: Request<pb::GetSessionRequest>,
    ) -> Result<Response<pb::GetSessionResponse>, Status> {
        let customer = id(&request.into_inner().customer_id, "customer_id")?;
        let session = self.payments.session(customer).await?;
        Ok(Response::new(pb::GetSessionResponse {
            session: session.map(|s| pb::PaymentSession {
                binding: Some(binding_pb(s.binding)),
                redirect: Some(redirect_pb(s.redirect)),
            }),
        }))
    }

    async fn end_session(
        &self,
        request: Request<pb::EndSessionRequest>,
    ) -> Result<Response<pb::EndSessionResponse>, Status> {
        let r = request.into_inner();
        let customer = id(&r.customer_id, "customer_id")?;
        let order = if r.order_id.is_empty() {
            None
        } else {
            Some(id::<OrderId>(&r.order_id, "order_id")?)
        };
        let ended = self.payments.end_session(customer, order).await?;
        Ok(Response::new(pb::EndSessionResponse { ended }))
    }

    async fn approve(
        &self,
        request: Request<pb::ApproveRequest>,
    ) -> Result<Response<pb::ApproveResponse>, Status> {
        let r = request.into_inner();
        let approval = self
            .payments
            .approve(ApproveInput {
                tid: r.tid,
                pg_token: r.pg_token,
                partner_order_id: r.partner_order_id,
                partner_user_id: r.partner_user_id,
                amount: Money::won(r.amount),
                order_id: r.order_id,
            })
            .await?;
        Ok(Response::new(approval_pb(approval)))
    }

    async fn inquire(
        &self,
        request: Request<pb::InquireRequest>,
    ) -> Result<Response<pb::InquireResponse>, Status> {
        let tid = request.into_inner().tid;
        if tid.trim().is_empty() {
            return Err(PaymentError::Invalid("tid is required".into()).into());
        }
        let answer = self
            .payments
            .inquire(&tid)
            .await
            .map_err(PaymentError::kakaopay)?;
        let body = answer.body;
        let total = |a: Option<kakao::pay::Amount>| a.map(|a| a.total).unwrap_or_default();
        Ok(Response::new(pb::InquireResponse {
            status: status_pb(&body.status) as i32,
            raw_status: body.status.to_string(),
            tid: body.tid,
            partner_order_id: body.partner_order_id,
            partner_user_id: body.partner_user_id,
            payment_method_type: body
                .payment_method_type
                .map(|m| m.to_string())
                .unwrap_or_default(),
            amount: total(body.amount),
            canceled_amount: total(body.canceled_amount),
            cancel_available_amount: total(body.cancel_available_amount),
            item_name: body.item_name,
            quantity: body
                .quantity
                .and_then(|q| u32::try_from(q).ok())
                .unwrap_or_default(),
            created_at: kst_timestamp(body.created_at),
            approved_at: kst_timestamp(body.approved_at),
            canceled_at: kst_timestamp(body.canceled_at),
            actions: body
                .payment_action_details
                .into_iter()
                .map(|a| pb::PaymentAction {
                    aid: a.aid,
                    payment_action_type: a
                        .payment_action_type
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    amount: a.amount,
                    approved_at: kst_timestamp(a.approved_at),
                })
                .collect(),
            raw: answer.raw,
        }))
    }

    async fn cancel(
        &self,
        request: Request<pb::CancelRequest>,
    ) -> Result<Response<pb::CancelResponse>, Status> {
        let r = request.into_inner();
        let cancellation = self
            .payments
            .cancel(CancelInput {
                tid: r.tid,
                amount: Money::won(r.amount),
                tax_free: Money::won(r.tax_free_amount),
                cancel_available: (r.cancel_available_amount != 0)
                    .then_some(Money::won(r.cancel_available_amount)),
                order_id: r.order_id,
                reason: r.reason,
            })
            .await?;
        Ok(Response::new(cancellation_pb(cancellation)))
    }
}

fn id<T: FromStr<Err = IdParseError>>(text: &str, field: &str) -> Result<T, PaymentError> {
    text.parse()
        .map_err(|_| PaymentError::Invalid(format!("{field} must be a UUID")))
}

fn kst_timestamp(naive: Option<chrono::NaiveDateTime>) -> Option<prost_types::Timestamp> {
    naive.and_then(crate::payments::kst).map(timestamp)
}

fn redirect_pb(r: Redirect) -> common::PaymentRedirect {
    common::PaymentRedirect {
        next_redirect_mobile_url: r.mobile,
        next_redirect_pc_url: r.pc,
        next_redirect_app_url: r.app,
        android_app_scheme: r.android_app_scheme,
        ios_app_scheme: r.ios_app_scheme,
    }
}

fn binding_pb(b: Binding) -> pb::PaymentBinding {
    pb::PaymentBinding {
        order_id: b.order_id.to_string(),
        customer_id: b.customer_id.to_string(),
        store_id: b.store_id.to_string(),
        tid: b.tid,
        amount: b.amount.as_won(),
        cart_id: b.cart_id,
        partner_order_id: b.partner_order_id,
        partner_user_id: b.partner_user_id,
        created_at: Some(timestamp(b.created_at)),
        expires_at: Some(timestamp(b.expires_at)),
        day_business_id: b.day_business_id.to_string(),
        traceparent: b.traceparent.unwrap_or_default(),
    }
}

fn outcome_pb(outcome: Outcome) -> pb::PaymentOutcome {
    match outcome {
        Outcome::Succeeded => pb::PaymentOutcome::Succeeded,
        Outcome::Failed => pb::PaymentOutcome::Failed,
        Outcome::Retryable => pb::PaymentOutcome::Retryable,
        Outcome::Unclear => pb::PaymentOutcome::Unclear,
    }
}

fn error_pb(e: KakaoPayError) -> pb::KakaoPayError {
    pb::KakaoPayError {
        code: i32::try_from(e.code).unwrap_or_default(),
        message: e.message,
        method_result_code: e.method_result_code,
        method_result_message: e.method_result_message,
    }
}

fn approval_pb(a: Approval) -> pb::ApproveResponse {
    pb::ApproveResponse {
        outcome: outcome_pb(a.outcome) as i32,
        aid: a.aid,
        payment_method_type: a.payment_method_type,
        amount: a.amount,
        approved_at: a.approved_at.map(timestamp),
        already_approved: a.already_approved,
        error: a.error.map(error_pb),
        cid: a.cid,
        raw: a.raw,
    }
}

fn cancellation_pb(c: Cancellation) -> pb::CancelResponse {
    pb::CancelResponse {
        outcome: outcome_pb(c.outcome) as i32,
        already_canceled: c.already_canceled,
        canceled_now: c.canceled_now,
        canceled_amount: c.canceled_amount,
        cancel_available_amount: c.cancel_available_amount,
        status: c
            .status
            .as_ref()
            .map(status_pb)
            .unwrap_or(pb::KakaoPayStatus::Unspecified) as i32,
        canceled_at: c.canceled_at.map(timestamp),
        error: c.error.map(error_pb),
        aid: c.aid,
        raw: c.raw,
    }
}

fn status_pb(status: &PaymentStatus) -> pb::KakaoPayStatus {
    use pb::KakaoPayStatus as S;
    match status {
        PaymentStatus::Ready => S::Ready,
        PaymentStatus::SendTms => S::SendTms,
        PaymentStatus::OpenPayment => S::OpenPayment,
        PaymentStatus::SelectMethod => S::SelectMethod,
        PaymentStatus::ArsWaiting => S::ArsWaiting,
        PaymentStatus::AuthPassword => S::AuthPassword,
        PaymentStatus::IssuedSid => S::IssuedSid,
        PaymentStatus::SuccessPayment => S::SuccessPayment,
        PaymentStatus::PartCancelPayment => S::PartCancelPayment,
        PaymentStatus::CancelPayment => S::CancelPayment,
        PaymentStatus::FailAuthPassword => S::FailAuthPassword,
        PaymentStatus::QuitPayment => S::QuitPayment,
        PaymentStatus::FailPayment => S::FailPayment,
        PaymentStatus::Unknown(_) => S::Unspecified,
    }
}
