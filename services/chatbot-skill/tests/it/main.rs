//! The chatbot-skill service's integration tests, one binary:
//! `cargo test -p chatbot-skill --test it journey::` runs one module.

mod alerts;
mod big_store;
mod common;
mod favourites;
mod fuzz;
mod journey;
mod nearby;
mod orders;
mod request_id;
mod skill_secret;
mod webhook;

/// The services these tests start in-process: a customer's chat goes through the gateway to
/// the skills and on to store, order and payment; the sandbox plays Kakao.
const LAUNCH: testkit::Launch = testkit::launch!(
    Gateway => gateway::serve,
    Store => store::serve,
    Order => order::serve,
    Payment => payment::serve,
    ChatbotSkill => chatbot_skill::serve,
    KakaoSandbox => kakao_sandbox::serve,
);
