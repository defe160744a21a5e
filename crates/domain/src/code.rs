//! The error shared by the state enums that travel as text codes (DB columns,
//! gRPC strings, JSON).

/// A text code that names none of the variants of `kind`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} code '{code}'")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}
