//! Every failure of the accounting service, mapped once to a gRPC status.

#[derive(Debug, thiserror::Error)]
pub enum AccountingError {
    /// Bad input; the message is Korean.
    #[error("{0}")]
    Invalid(String),
    /// Unknown, another store's, or not reconciled yet: the caller cannot tell them apart.
    #[error("{0}")]
    NotFound(String),
    /// The day is not closed yet.
    #[error("{0}")]
    NotClosed(String),
    /// A source could not answer now (KakaoPay via the payment service); trying later is safe.
    #[error("{0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("{0}")]
    Internal(String),
}

impl From<domain::MoneyOverflow> for AccountingError {
    fn from(e: domain::MoneyOverflow) -> AccountingError {
        AccountingError::Internal(e.to_string())
    }
}

impl From<AccountingError> for tonic::Status {
    fn from(e: AccountingError) -> tonic::Status {
        match e {
            AccountingError::Invalid(m) => tonic::Status::invalid_argument(m),
            AccountingError::NotFound(m) => tonic::Status::not_found(m),
            AccountingError::NotClosed(m) => tonic::Status::failed_precondition(m),
            AccountingError::Unavailable(m) => tonic::Status::unavailable(m),
            AccountingError::Db(_) | AccountingError::Redis(_) | AccountingError::Internal(_) => {
                tracing::error!(error = %e, "accounting failed");
                tonic::Status::internal("accounting failed; try again")
            }
        }
    }
}
