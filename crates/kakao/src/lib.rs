//! Kakao wire types shared by chatbot-skill, payment, store and kakao-sandbox.
//!
//! Pure serde types and builders, no I/O. Field names and limits follow
//! `shared/reference/kakao-apis.md`; where sources disagree the stricter value is used.
//!
//! - [`skill::payload`]: the SkillPayload Kakao i Open Builder POSTs to a skill.
//! - [`skill::response`]: SkillResponse 2.0 builders that keep Kakao's limits
//!   ([`skill::limits`]); [`skill::validate`] checks any answer against them.
//! - [`event_api`]: the bot Event API (proactive messages).
//! - [`pay`]: the KakaoPay online single-payment API (new generation).
//! - [`local`]: the Kakao Local API's keyword and address searches (place → coordinates).

pub mod event_api;
mod lenient;
pub mod local;
pub mod pay;
pub mod skill;

pub use skill::payload::SkillPayload;
pub use skill::response::{LimitError, SkillResponse};
pub use skill::validate;
