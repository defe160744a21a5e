//! The gateway's integration tests, one binary: `cargo test -p gateway --test it live::` runs
//! one module. The `*browser` modules drive headless Chromium.

mod board_browser;
mod browser;
mod common;
mod e2e_browser;
mod export;
mod hardening;
mod live;
mod profile;
mod reports;
mod store_api;
mod timeouts;

/// The services these tests start in-process: all of them, the gateway being the way in to each.
const LAUNCH: testkit::Launch = testkit::launch!(
    Gateway => gateway::serve,
    Store => store::serve,
    Order => order::serve,
    Payment => payment::serve,
    Accounting => accounting::serve,
    ChatbotSkill => chatbot_skill::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
