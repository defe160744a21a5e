//! Kakao's wire types against Kakao's documented bodies, one binary:
//! `cargo test -p kakao --test it pay::` runs one module.

mod event_api;
mod local;
mod pay;
mod payload;
mod response;
mod validate;
