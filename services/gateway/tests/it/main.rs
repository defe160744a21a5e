//! The gateway's integration tests, one binary: `cargo test -p gateway --test it live::` runs
//! one module. The `*browser` modules drive headless Chromium.

mod board_browser;
mod browser;
mod common;
mod e2e_browser;
mod hardening;
mod live;
mod profile;
mod reports;
mod store_api;
mod timeouts;
