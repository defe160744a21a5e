//! Every failure of the payment service, mapped once to a gRPC status. Approve and Cancel report
//! KakaoPay's verdict in their response (an outcome), not as an error; errors are bad input,
//! KakaoPay failing a call that has no outcome field (Prepare, Inquire), and our own storage.

use kakao::pay::{ErrorKind, codes};
use tonic::metadata::MetadataValue;

use crate::kakaopay::Failure;

/// Trailer with KakaoPay's `error_code` (e.g. `-401`) on statuses caused by KakaoPay.
pub const KAKAOPAY_ERROR_CODE_TRAILER: &str = "kakaopay-error-code";

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// KakaoPay could not be reached or did not answer clearly; trying later is safe.
    #[error("{0}")]
    KakaoPayUnavailable(Failure),
    /// KakaoPay refused for good (bad key, unknown merchant, a request it will never accept).
    #[error("{0}")]
    KakaoPayRefused(Failure),
    /// Concurrent changes to the same session kept winning.
    #[error("{0}")]
    Conflict(String),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

impl PaymentError {
    pub fn kakaopay(failure: Failure) -> PaymentError {
        match failure.kind {
            ErrorKind::Final if failure.code() == Some(codes::TID_NOT_FOUND) => {
                PaymentError::NotFound(failure.to_string())
            }
            ErrorKind::Final => PaymentError::KakaoPayRefused(failure),
            ErrorKind::Retryable | ErrorKind::Unclear => PaymentError::KakaoPayUnavailable(failure),
        }
    }
}

impl From<PaymentError> for tonic::Status {
    fn from(e: PaymentError) -> tonic::Status {
        let code = match &e {
            PaymentError::KakaoPayUnavailable(f) | PaymentError::KakaoPayRefused(f) => f.code(),
            _ => None,
        };
        let mut status = match &e {
            PaymentError::Invalid(m) => tonic::Status::invalid_argument(m),
            PaymentError::NotFound(m) => tonic::Status::not_found(m),
            PaymentError::KakaoPayUnavailable(f) => tonic::Status::unavailable(f.to_string()),
            PaymentError::KakaoPayRefused(f) => tonic::Status::failed_precondition(f.to_string()),
            PaymentError::Conflict(m) => tonic::Status::aborted(m),
            PaymentError::Redis(_) => {
                tracing::error!(error = %e, "payment storage failed");
                tonic::Status::unavailable("payment sessions are unavailable; try again")
            }
        };
        if let Some(code) = code {
            status
                .metadata_mut()
                .insert(KAKAOPAY_ERROR_CODE_TRAILER, MetadataValue::from(code));
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakao::pay::{Call, ErrorBody};

    fn failure(kind: ErrorKind, code: Option<i64>) -> Failure {
        Failure {
            call: Call::Order,
            kind,
            http_status: 400,
            error: code.map(|c| ErrorBody::new(c, "error")),
            detail: "HTTP 400".into(),
        }
    }

    #[test]
    fn kakaopay_failures_become_statuses_with_the_code() {
        let status: tonic::Status =
            PaymentError::kakaopay(failure(ErrorKind::Final, Some(-401))).into();
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        assert_eq!(
            status.metadata().get(KAKAOPAY_ERROR_CODE_TRAILER).unwrap(),
            "-401"
        );

        let status: tonic::Status =
            PaymentError::kakaopay(failure(ErrorKind::Final, Some(-721))).into();
        assert_eq!(status.code(), tonic::Code::NotFound);

        let status: tonic::Status =
            PaymentError::kakaopay(failure(ErrorKind::Unclear, None)).into();
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(status.metadata().get(KAKAOPAY_ERROR_CODE_TRAILER).is_none());
    }
}
