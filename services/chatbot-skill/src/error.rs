//! Why a skill could not draw its answer. Every error ends as the same friendly bubble (see
//! `handler`); the variants exist for the log and for skills that answer some of them
//! differently (a nickname refused, an order not found).

use kakao::LimitError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{service} answered {code:?}: {message}")]
    Downstream {
        service: &'static str,
        code: tonic::Code,
        message: String,
    },
    #[error("{service} did not answer within its deadline")]
    Timeout { service: &'static str },
    #[error("{service} answered without {what}")]
    Missing {
        service: &'static str,
        what: &'static str,
    },
    #[error("response limit: {0}")]
    Limit(#[from] LimitError),
}

impl Error {
    pub fn from_status(service: &'static str, status: &tonic::Status) -> Error {
        Error::Downstream {
            service,
            code: status.code(),
            message: status.message().to_owned(),
        }
    }

    /// A refusal with a message meant for the customer (e.g. a nickname that breaks the rules).
    pub fn invalid_argument(&self) -> Option<&str> {
        match self {
            Error::Downstream {
                code: tonic::Code::InvalidArgument,
                message,
                ..
            } => Some(message),
            _ => None,
        }
    }

    /// A refusal or an unfinished outcome the order service explained for the customer.
    pub fn explained(&self) -> Option<&str> {
        match self {
            Error::Downstream {
                code: tonic::Code::FailedPrecondition | tonic::Code::Unavailable,
                message,
                ..
            } if !message.is_empty() => Some(message),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::Downstream {
                code: tonic::Code::NotFound,
                ..
            }
        )
    }
}
