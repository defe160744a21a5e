//! The chatbot-skill service: Kakao skill payloads in, SkillResponse 2.0 out.
//!
//! `serve` → [`grpc`] (thin) → [`handler`] (secret, payload, bot id, budget, fallbacks) →
//! `skills` (one module per skill; pure rendering) → `clients` (store and order with
//! deadlines). Block ids come from the Open Builder setup file (`openbuilder`). Beside the
//! webhook, [`alerts`] consumes the order events and tells customers through the Event API.
//!
//! Configuration (besides the shared settings): `KAKAO_SKILL_SECRET` (the shared-secret header
//! `X-SimpleOrder-Skill-Secret`; not required when unset, for local runs and the sandbox),
//! `KAKAO_BOT_IDS` (allowed bot ids, default `KAKAO_BOT_ID`, `!` dev suffix accepted) and
//! `KAKAO_OPENBUILDER_FILE` (the operator's bot.json; default the built-in one).

mod alerts;
mod auth;
mod clients;
mod error;
mod grpc;
mod handler;
mod openbuilder;
mod payload;
mod skills;

use std::sync::Arc;

use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub const SERVICE: &str = "chatbot-skill";

pub use alerts::{AlertSettings, GROUP as ALERTS_GROUP, STREAM as ORDER_EVENTS_STREAM};

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, AlertSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    alerts: AlertSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    let mut runtime = Runtime::connect(SERVICE, &config, shutdown).await?;
    let receipts = alerts::Receipts::new(runtime.pool.clone());
    let app = Arc::new(handler::App::new(&config, receipts)?);
    alerts::spawn(&mut runtime, &config, &alerts)?;
    let server =
        contracts::chatbot::v1::chatbot_skill_service_server::ChatbotSkillServiceServer::new(
            grpc::ChatbotSkillGrpc::new(app),
        );
    runtime
        .run(config.chatbot_skill.endpoints(), Routes::new(server))
        .await
}
