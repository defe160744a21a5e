//! The platform crate's integration tests (the event bus against real Postgres and Redis, the
//! bounds of every HTTP listener), one binary: `cargo test -p platform --test it bus::`.

mod bus;
mod web;
