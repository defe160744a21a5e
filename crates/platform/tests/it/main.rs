//! The platform crate's integration tests against real Postgres and Redis, one binary:
//! `cargo test -p platform --test it bus::`.

mod bus;
