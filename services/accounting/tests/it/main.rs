//! The accounting service's integration tests, one binary:
//! `cargo test -p accounting --test it reconcile::` runs one module.

mod common;
mod reconcile;
mod retry;
mod settings;

/// The services these tests start through testkit: payment, order (a closing day is sealed
/// with it) and the KakaoPay stand-in (the store service is started with settings of its own).
const LAUNCH: testkit::Launch = testkit::launch!(
    Order => order::serve,
    Payment => payment::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
