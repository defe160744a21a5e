//! The order service's integration tests, one binary: `cargo test -p order --test it carts::`
//! runs one module. `common` starts store and order; `checkout` adds the gateway, payment and
//! the kakao-sandbox for tests that pay.

mod accept;
mod carts;
mod checkout;
mod common;
mod customers;
mod failures;
mod fulfil;
mod payments;
mod placement;
mod read;
