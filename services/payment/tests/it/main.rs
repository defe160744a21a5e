//! The payment service's integration tests against the kakao-sandbox, one binary:
//! `cargo test -p payment --test it faults::` runs one module.

mod common;
mod faults;
mod flows;
