//! Every failure of the store service, mapped once to a gRPC status.

use std::time::Duration;

use tonic::metadata::MetadataValue;

/// The trailer that carries the seconds to wait after a rate-limited login.
pub const RETRY_AFTER_TRAILER: &str = "retry-after-secs";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Bad input; the message is Korean and meant for the person who typed it.
    #[error("{0}")]
    Invalid(String),
    /// Unknown, or belongs to another store: the caller cannot tell the two apart.
    #[error("{0}")]
    NotFound(String),
    #[error("아이디 또는 비밀번호가 올바르지 않습니다")]
    BadCredentials,
    /// The session given is not a valid admin session (for actions that need one).
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("로그인 시도가 너무 많습니다. {}초 후에 다시 시도해 주세요", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    /// A concurrent change won; retrying the request sees the new state.
    #[error("{0}")]
    Conflict(String),
    /// A service we depend on (Kakao Local) failed or was too slow; nothing changed.
    #[error("{0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Internal(String),
}

impl From<crate::admin::AdminError> for StoreError {
    fn from(e: crate::admin::AdminError) -> StoreError {
        use crate::admin::AdminError;
        match e {
            AdminError::Validation(m) => StoreError::Invalid(m),
            AdminError::LoginTaken => StoreError::AlreadyExists(e.to_string()),
            AdminError::Db(e) => StoreError::Db(e),
            AdminError::Hash(m) => StoreError::Internal(m),
        }
    }
}

impl From<StoreError> for tonic::Status {
    fn from(e: StoreError) -> tonic::Status {
        match e {
            StoreError::Invalid(m) => tonic::Status::invalid_argument(m),
            StoreError::NotFound(m) => tonic::Status::not_found(m),
            StoreError::BadCredentials => tonic::Status::unauthenticated(e.to_string()),
            StoreError::Unauthenticated(m) => tonic::Status::unauthenticated(m),
            StoreError::PermissionDenied(m) => tonic::Status::permission_denied(m),
            StoreError::AlreadyExists(m) => tonic::Status::already_exists(m),
            StoreError::RateLimited { retry_after } => {
                let mut status = tonic::Status::resource_exhausted(e.to_string());
                status.metadata_mut().insert(
                    RETRY_AFTER_TRAILER,
                    MetadataValue::from(retry_after.as_secs()),
                );
                status
            }
            StoreError::Conflict(m) => tonic::Status::aborted(m),
            StoreError::Unavailable(m) => tonic::Status::unavailable(m),
            // Internal details go to the log, not to the caller.
            StoreError::Db(_) | StoreError::Redis(_) | StoreError::Internal(_) => {
                tracing::error!(error = %e, "store request failed");
                tonic::Status::internal("일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_carries_the_wait_in_message_and_trailer() {
        let status = tonic::Status::from(StoreError::RateLimited {
            retry_after: Duration::from_secs(90),
        });
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert!(status.message().contains("90초"), "{}", status.message());
        assert_eq!(status.metadata().get(RETRY_AFTER_TRAILER).unwrap(), "90");
    }

    #[test]
    fn storage_errors_do_not_leak_details() {
        let status = tonic::Status::from(StoreError::Internal("secret detail".into()));
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(!status.message().contains("secret"));
    }
}
