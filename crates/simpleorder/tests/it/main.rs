//! The whole system's tests (the `simpleorder` binary, manifests, migrations, production
//! settings), one binary: `cargo test -p simpleorder --test it run::` runs one module.

mod logs;
mod manifests;
mod migrate;
mod nearby_browser;
mod observability;
mod process;
mod production;
mod run;
mod trace;

/// Every service: these tests are the whole system's.
const LAUNCH: testkit::Launch = testkit::launch!(
    Gateway => gateway::serve,
    Store => store::serve,
    Order => order::serve,
    Payment => payment::serve,
    Accounting => accounting::serve,
    ChatbotSkill => chatbot_skill::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
