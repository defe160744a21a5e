//! Kakao i Open Builder skill webhooks: what Kakao sends and what a skill answers.

pub mod payload;
pub mod response;
