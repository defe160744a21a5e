//! The one place where failures become HTTP answers: a 4xx/5xx JSON body
//! `{ "error": code, "message": Korean text }`, mapped once from gRPC status codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tonic::Code;
use utoipa::ToSchema;

use crate::store_api::dto::DayStateName;

pub const MSG_LOGIN_REQUIRED: &str = "로그인이 필요합니다.";
pub const MSG_SESSION_REPLACED: &str =
    "다른 기기에서 새로 로그인하여 이 기기는 로그아웃되었습니다. 다시 로그인해 주세요.";
pub const MSG_SESSION_EXPIRED: &str =
    "로그인 유지 시간이 지나 로그아웃되었습니다. 다시 로그인해 주세요.";
const MSG_FORBIDDEN: &str = "이 작업을 할 권한이 없습니다.";
const MSG_NOT_FOUND: &str = "찾을 수 없습니다.";
const MSG_INVALID: &str = "입력값이 올바르지 않습니다.";
const MSG_CONFLICT: &str = "지금 상태에서는 처리할 수 없는 요청입니다.";
const MSG_RATE_LIMITED: &str = "시도가 너무 많습니다. 잠시 후 다시 시도해 주세요.";
const MSG_UNAVAILABLE: &str = "서비스가 잠시 응답하지 않습니다. 잠시 후 다시 시도해 주세요.";
const MSG_NOT_IMPLEMENTED: &str = "아직 제공하지 않는 기능입니다.";
const MSG_INTERNAL: &str = "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.";

/// Used when a rate-limited answer does not say how long to wait.
const DEFAULT_RETRY_AFTER_SECS: u64 = 60;

/// The body of every error answer of the JSON API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `session_replaced`, `csrf`, `not_found`, `illegal_transition`.
    pub error: String,
    /// Korean text ready to show to store staff.
    pub message: String,
    /// Day refusals: the state the day is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_state: Option<DayStateName>,
    /// Day refusals (payment window): when closing becomes possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possible_at: Option<DateTime<Utc>>,
    /// Day refusals (open orders): the orders not yet ready or canceled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_order_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: code.to_owned(),
                message: message.into(),
                current_state: None,
                possible_at: None,
                open_order_ids: Vec::new(),
            },
            retry_after_secs: None,
        }
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            MSG_LOGIN_REQUIRED,
        )
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", MSG_NOT_FOUND)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
    }

    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            MSG_UNAVAILABLE,
        )
    }

    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", MSG_INTERNAL)
    }
}

/// The store service's messages for staff are Korean sentences; anything else is internal detail
/// that must not reach the browser.
pub fn staff_message(status: &tonic::Status) -> Option<&str> {
    let message = status.message().trim();
    let korean = message
        .chars()
        .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
    korean.then_some(message)
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> ApiError {
        let (http, code, fallback) = match status.code() {
            Code::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                MSG_LOGIN_REQUIRED,
            ),
            Code::PermissionDenied => (StatusCode::FORBIDDEN, "forbidden", MSG_FORBIDDEN),
            Code::NotFound => (StatusCode::NOT_FOUND, "not_found", MSG_NOT_FOUND),
            Code::InvalidArgument | Code::OutOfRange => {
                (StatusCode::BAD_REQUEST, "invalid_argument", MSG_INVALID)
            }
            Code::FailedPrecondition => (StatusCode::CONFLICT, "failed_precondition", MSG_CONFLICT),
            Code::AlreadyExists | Code::Aborted => (StatusCode::CONFLICT, "conflict", MSG_CONFLICT),
            Code::ResourceExhausted => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                MSG_RATE_LIMITED,
            ),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                MSG_UNAVAILABLE,
            ),
            Code::Unimplemented => (
                StatusCode::NOT_IMPLEMENTED,
                "not_implemented",
                MSG_NOT_IMPLEMENTED,
            ),
            Code::Ok | Code::Unknown | Code::Internal | Code::DataLoss => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", MSG_INTERNAL)
            }
        };
        if http.is_server_error() {
            tracing::warn!(grpc_code = ?status.code(), grpc_message = status.message(), "backend call failed");
        }
        // A service that is up but waiting on KakaoPay says so in Korean ("환불 확인 중…"); a
        // transport failure speaks English and keeps the generic text.
        let message = if http.is_client_error() || status.code() == Code::Unavailable {
            staff_message(&status).unwrap_or(fallback)
        } else {
            fallback
        };
        let mut error = ApiError::new(http, code, message);
        if http == StatusCode::TOO_MANY_REQUESTS {
            let secs = status
                .metadata()
                .get("retry-after-secs")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(DEFAULT_RETRY_AFTER_SECS);
            error.retry_after_secs = Some(secs.max(1));
        }
        error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(status: tonic::Status) -> ApiError {
        ApiError::from(status)
    }

    #[test]
    fn grpc_codes_map_to_http_statuses() {
        let cases = [
            (Code::Unauthenticated, StatusCode::UNAUTHORIZED),
            (Code::PermissionDenied, StatusCode::FORBIDDEN),
            (Code::NotFound, StatusCode::NOT_FOUND),
            (Code::InvalidArgument, StatusCode::BAD_REQUEST),
            (Code::FailedPrecondition, StatusCode::CONFLICT),
            (Code::ResourceExhausted, StatusCode::TOO_MANY_REQUESTS),
            (Code::Unavailable, StatusCode::SERVICE_UNAVAILABLE),
            (Code::DeadlineExceeded, StatusCode::SERVICE_UNAVAILABLE),
            (Code::Internal, StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (code, http) in cases {
            assert_eq!(
                mapped(tonic::Status::new(code, "x")).status,
                http,
                "{code:?}"
            );
        }
    }

    #[test]
    fn korean_messages_pass_and_internal_details_do_not() {
        let shown = mapped(tonic::Status::invalid_argument(
            "가격은 0원 이상이어야 합니다",
        ));
        assert_eq!(shown.body.message, "가격은 0원 이상이어야 합니다");
        let hidden = mapped(tonic::Status::invalid_argument(
            "violates check constraint price_ck",
        ));
        assert_eq!(hidden.body.message, MSG_INVALID);
        let internal = mapped(tonic::Status::internal("데이터베이스 연결 실패: 10.0.0.3"));
        assert_eq!(internal.body.message, MSG_INTERNAL);
        let checking = mapped(tonic::Status::unavailable(
            "환불 확인 중입니다. 잠시 후 다시 확인해 주세요.",
        ));
        assert_eq!(checking.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(checking.body.message.starts_with("환불 확인 중"));
        let transport = mapped(tonic::Status::unavailable("tcp connect error"));
        assert_eq!(transport.body.message, MSG_UNAVAILABLE);
    }

    #[test]
    fn rate_limit_carries_retry_after_from_the_trailer() {
        let mut status = tonic::Status::resource_exhausted("잠시 후 다시 시도해 주세요");
        status
            .metadata_mut()
            .insert("retry-after-secs", "42".parse().expect("ascii"));
        let response = mapped(status).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }
}
