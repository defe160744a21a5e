//! Every failure of the order service, mapped once to a gRPC status.

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// Bad input; the message is Korean and meant for the customer.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The order is not in a state that allows this; Korean, for store staff.
    #[error("{0}")]
    Refused(String),
    /// Started and not known to be finished yet (a refund KakaoPay has not confirmed); it
    /// completes in the background. Korean, for store staff.
    #[error("{0}")]
    Unsettled(String),
    /// The store service did not answer in time (or at all).
    #[error("store service: {0}")]
    StoreUnavailable(String),
    /// The payment service (or KakaoPay behind it) did not answer in time, or refused.
    #[error("payment service: {0}")]
    PaymentUnavailable(String),
    /// Every compare-and-set attempt lost to a concurrent change of the same cart.
    #[error("cart kept changing concurrently")]
    Contended,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Internal(String),
}

impl OrderError {
    /// The same error for another caller of a call they shared. A driver's error cannot be
    /// copied and travels as text, which answers the caller the same way.
    pub fn duplicate(&self) -> OrderError {
        match self {
            OrderError::Invalid(m) => OrderError::Invalid(m.clone()),
            OrderError::NotFound(m) => OrderError::NotFound(m.clone()),
            OrderError::Refused(m) => OrderError::Refused(m.clone()),
            OrderError::Unsettled(m) => OrderError::Unsettled(m.clone()),
            OrderError::StoreUnavailable(m) => OrderError::StoreUnavailable(m.clone()),
            OrderError::PaymentUnavailable(m) => OrderError::PaymentUnavailable(m.clone()),
            OrderError::Contended => OrderError::Contended,
            OrderError::Db(_) | OrderError::Redis(_) | OrderError::Internal(_) => {
                OrderError::Internal(self.to_string())
            }
        }
    }
}

const RETRY_LATER: &str = "일시적인 오류가 발생했어요. 잠시 후 다시 시도해 주세요.";

impl From<OrderError> for tonic::Status {
    fn from(e: OrderError) -> tonic::Status {
        match e {
            OrderError::Invalid(m) => tonic::Status::invalid_argument(m),
            OrderError::NotFound(m) => tonic::Status::not_found(m),
            OrderError::Refused(m) => tonic::Status::failed_precondition(m),
            OrderError::Unsettled(m) => tonic::Status::unavailable(m),
            OrderError::StoreUnavailable(_) => {
                tracing::warn!(error = %e, "store service unavailable");
                tonic::Status::unavailable(
                    "가게 정보를 불러오지 못했어요. 잠시 후 다시 시도해 주세요.",
                )
            }
            OrderError::PaymentUnavailable(_) => {
                tracing::warn!(error = %e, "payment service unavailable");
                tonic::Status::unavailable(
                    "결제 서비스에 연결하지 못했어요. 잠시 후 다시 시도해 주세요.",
                )
            }
            OrderError::Contended => {
                tracing::warn!(error = %e, "cart update gave up");
                tonic::Status::aborted("주문서가 동시에 바뀌고 있어요. 다시 시도해 주세요.")
            }
            // Internal details go to the log, not to the caller.
            OrderError::Db(_) | OrderError::Redis(_) | OrderError::Internal(_) => {
                tracing::error!(error = %e, "order request failed");
                tonic::Status::internal(RETRY_LATER)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_do_not_leak_details() {
        let status = tonic::Status::from(OrderError::Internal("secret detail".into()));
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(!status.message().contains("secret"));
        assert_eq!(status.message(), RETRY_LATER);
    }

    #[test]
    fn customer_facing_errors_keep_their_message() {
        let status = tonic::Status::from(OrderError::Invalid("닉네임을 입력해 주세요.".into()));
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(status.message(), "닉네임을 입력해 주세요.");
        let status = tonic::Status::from(OrderError::StoreUnavailable("timeout".into()));
        assert_eq!(status.code(), tonic::Code::Unavailable);
        assert!(!status.message().contains("timeout"));
    }

    #[test]
    fn a_shared_error_answers_every_caller_alike() {
        for e in [
            OrderError::StoreUnavailable("GetDay timed out".into()),
            OrderError::Invalid("주문서가 비어 있어요.".into()),
            OrderError::Contended,
            OrderError::Db(sqlx::Error::PoolTimedOut),
        ] {
            let copy = tonic::Status::from(e.duplicate());
            let original = tonic::Status::from(e);
            assert_eq!(
                (copy.code(), copy.message()),
                (original.code(), original.message())
            );
        }
    }
}
