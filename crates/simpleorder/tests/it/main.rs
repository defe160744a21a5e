//! The whole system's tests (the `simpleorder` binary, manifests, migrations, production
//! settings), one binary: `cargo test -p simpleorder --test it run::` runs one module.

mod manifests;
mod migrate;
mod nearby_browser;
mod observability;
mod production;
mod run;
