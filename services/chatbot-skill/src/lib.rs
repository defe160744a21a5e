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
mod skill;
mod skills;

use std::sync::Arc;
use std::time::Duration;

use platform::settings::{Problems, Validate, format_duration};
use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub const SERVICE: &str = "chatbot-skill";

pub use alerts::AlertSettings;

impl Validate for AlertSettings {
    fn check(&self, problems: &mut Problems) {
        let floor = self.call_deadline + Duration::from_secs(1);
        problems.require(self.outcome_grace >= floor, || {
            format!(
                "ALERT_OUTCOME_GRACE ({}) must be at least ALERT_CALL_DEADLINE ({}) plus 1s: a \
                 request another consumer still waits on would be taken for lost and the \
                 customer messaged twice",
                format_duration(self.outcome_grace),
                format_duration(self.call_deadline)
            )
        });
        problems.non_zero_duration("ALERT_CALL_DEADLINE", self.call_deadline);
        problems.non_zero_duration("ALERT_RETRY_AFTER", self.retry_after);
        problems.at_least_one("ALERT_CONSUMERS", self.consumers as u64);
        problems.at_least_one("ALERT_MAX_DELIVERIES", self.max_deliveries);
    }
}

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, AlertSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    alerts: AlertSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    let mut runtime = Runtime::connect(platform::Service::ChatbotSkill, &config, shutdown).await?;
    handler::init_metrics();
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

#[cfg(test)]
mod settings_tests {
    use super::*;
    use platform::settings::parse_from;

    #[test]
    fn a_grace_shorter_than_a_call_is_refused() {
        let settings = parse_from::<AlertSettings>(&[
            "--alert-call-deadline",
            "10s",
            "--alert-outcome-grace",
            "10s",
        ])
        .unwrap();
        assert_eq!(settings.call_deadline, Duration::from_secs(10));
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains(
                "ALERT_OUTCOME_GRACE (10s) must be at least ALERT_CALL_DEADLINE (10s) plus 1s"
            ),
            "{error}"
        );
        let fine = AlertSettings {
            outcome_grace: Duration::from_secs(11),
            ..settings
        };
        fine.validate().unwrap();
    }
}
