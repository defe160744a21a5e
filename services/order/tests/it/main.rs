//! The order service's integration tests, one binary: `cargo test -p order --test it carts::`
//! runs one module. `common` starts store and order; `checkout` adds the gateway, payment and
//! the kakao-sandbox for tests that pay.

mod accept;
mod carts;
mod checkout;
mod common;
mod customers;
mod failures;
mod favourites;
mod fulfil;
mod payments;
mod placement;
mod read;
mod reorder;

/// The services these tests start in-process: everything an order touches but accounting.
const LAUNCH: testkit::Launch = testkit::launch!(
    Store => store::serve,
    Order => order::serve,
    Payment => payment::serve,
    Gateway => gateway::serve,
    ChatbotSkill => chatbot_skill::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
