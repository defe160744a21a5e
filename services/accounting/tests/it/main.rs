//! The accounting service's integration tests, one binary:
//! `cargo test -p accounting --test it reconcile::` runs one module.

mod common;
mod reconcile;
mod retry;
mod settings;
