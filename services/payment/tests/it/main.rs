//! The payment service's integration tests against the kakao-sandbox, one binary:
//! `cargo test -p payment --test it faults::` runs one module.

mod common;
mod faults;
mod flows;

/// The services these tests start in-process: payment and the KakaoPay stand-in.
const LAUNCH: testkit::Launch = testkit::launch!(
    Payment => payment::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
