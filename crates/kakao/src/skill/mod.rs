//! Kakao i Open Builder skill webhooks: what Kakao sends and what a skill answers.

pub mod limits;
pub mod payload;
pub mod response;
mod validate;

pub use validate::validate;
