//! The store service's integration tests, one binary: `cargo test -p store --test it day::`
//! runs one module.

mod admin;
mod common;
mod day;
mod menu;
mod places;
mod search;
mod sessions;
