//! The kakao-sandbox's integration tests, one binary:
//! `cargo test -p kakao-sandbox --test it kakaopay::` runs one module.

mod bot_file;
mod browser;
mod chat_http;
mod common;
mod envelope;
mod event_api;
mod kakaopay;
mod local_api;
