//! The chatbot-skill service's integration tests, one binary:
//! `cargo test -p chatbot-skill --test it journey::` runs one module.

mod alerts;
mod big_store;
mod common;
mod fuzz;
mod journey;
mod nearby;
mod orders;
mod request_id;
mod skill_secret;
mod webhook;
