//! The store service's integration tests, one binary: `cargo test -p store --test it day::`
//! runs one module.

mod admin;
mod common;
mod day;
mod menu;
mod places;
mod search;
mod sessions;

/// The services these tests start in-process: the store and Kakao Local's stand-in.
const LAUNCH: testkit::Launch = testkit::launch!(
    Store => store::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
