//! The payment service, with a deadline per call: short on the paths a person waits on (the
//! 결제하기 skill, the approval page), long where KakaoPay moves money and unclear outcomes are
//! settled by inquiry before the answer comes.

use std::future::Future;
use std::time::Duration;

use contracts::clients::PaymentServiceClient;
use contracts::payment::v1 as pb;
use domain::{CustomerId, OrderId};
use platform::grpc::Client;

use crate::error::OrderError;

/// Prepare runs inside the 결제하기 skill (5 s for the whole webhook); KakaoPay ready gets 2.5 s.
const PREPARE_DEADLINE: Duration = Duration::from_secs(3);
const SESSION_DEADLINE: Duration = Duration::from_secs(2);
/// An inquiry is retried with backoff inside the payment service.
const INQUIRE_DEADLINE: Duration = Duration::from_secs(15);
/// Approve and cancel wait for KakaoPay (8 s) and then may settle by inquiry.
pub const MONEY_DEADLINE: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Payment {
    /// Its channel allows [`MONEY_DEADLINE`]; shorter calls set their own.
    pub client: PaymentServiceClient<Client>,
}

fn unavailable(call: &str, status: &tonic::Status) -> OrderError {
    OrderError::PaymentUnavailable(format!("{call}: {:?} {}", status.code(), status.message()))
}

async fn call<T>(
    name: &str,
    deadline: Duration,
    future: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, tonic::Status> {
    match tokio::time::timeout(deadline, future).await {
        Ok(answer) => answer.map(tonic::Response::into_inner),
        Err(_) => Err(tonic::Status::deadline_exceeded(format!(
            "{name} took longer than {deadline:?}"
        ))),
    }
}

fn request<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(deadline);
    request
}

impl Payment {
    pub async fn prepare(&self, r: pb::PrepareRequest) -> Result<pb::PrepareResponse, OrderError> {
        let mut client = self.client.clone();
        call(
            "Prepare",
            PREPARE_DEADLINE,
            client.prepare(request(r, PREPARE_DEADLINE)),
        )
        .await
        .map_err(|s| unavailable("Prepare", &s))
    }

    /// The token's binding (used up unless `peek`).
    pub async fn resolve(
        &self,
        token: &str,
        peek: bool,
    ) -> Result<pb::ResolveTokenResponse, OrderError> {
        let mut client = self.client.clone();
        let r = pb::ResolveTokenRequest {
            token: token.to_owned(),
            peek,
        };
        call(
            "ResolveToken",
            SESSION_DEADLINE,
            client.resolve_token(request(r, SESSION_DEADLINE)),
        )
        .await
        .map_err(|s| unavailable("ResolveToken", &s))
    }

    pub async fn session(
        &self,
        customer: CustomerId,
    ) -> Result<Option<pb::PaymentSession>, OrderError> {
        let mut client = self.client.clone();
        let r = pb::GetSessionRequest {
            customer_id: customer.to_string(),
        };
        call(
            "GetSession",
            SESSION_DEADLINE,
            client.get_session(request(r, SESSION_DEADLINE)),
        )
        .await
        .map(|answer| answer.session)
        .map_err(|s| unavailable("GetSession", &s))
    }

    /// Ends the customer's payment session if it still is for `order`.
    pub async fn end_session(
        &self,
        customer: CustomerId,
        order: OrderId,
    ) -> Result<bool, OrderError> {
        let mut client = self.client.clone();
        let r = pb::EndSessionRequest {
            customer_id: customer.to_string(),
            order_id: order.to_string(),
        };
        call(
            "EndSession",
            SESSION_DEADLINE,
            client.end_session(request(r, SESSION_DEADLINE)),
        )
        .await
        .map(|answer| answer.ended)
        .map_err(|s| unavailable("EndSession", &s))
    }

    pub async fn approve(&self, r: pb::ApproveRequest) -> Result<pb::ApproveResponse, OrderError> {
        let mut client = self.client.clone();
        call(
            "Approve",
            MONEY_DEADLINE,
            client.approve(request(r, MONEY_DEADLINE)),
        )
        .await
        .map_err(|s| unavailable("Approve", &s))
    }

    /// KakaoPay's view of the payment; `None` when KakaoPay does not know the tid.
    pub async fn inquire(&self, tid: &str) -> Result<Option<pb::InquireResponse>, OrderError> {
        let mut client = self.client.clone();
        let r = pb::InquireRequest {
            tid: tid.to_owned(),
        };
        match call(
            "Inquire",
            INQUIRE_DEADLINE,
            client.inquire(request(r, INQUIRE_DEADLINE)),
        )
        .await
        {
            Ok(answer) => Ok(Some(answer)),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(unavailable("Inquire", &status)),
        }
    }

    pub async fn cancel(&self, r: pb::CancelRequest) -> Result<pb::CancelResponse, OrderError> {
        let mut client = self.client.clone();
        call(
            "Cancel",
            MONEY_DEADLINE,
            client.cancel(request(r, MONEY_DEADLINE)),
        )
        .await
        .map_err(|s| unavailable("Cancel", &s))
    }
}
