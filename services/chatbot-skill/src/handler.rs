//! One skill webhook from start to finish: the shared secret, reading the payload, the bot id,
//! the skill name, then the skill under an overall time budget. Whatever happens, the answer
//! is a valid SkillResponse: an error or a timeout becomes a friendly bubble with a chip that
//! tries the same thing again, and an answer that breaks a limit (a bug) is replaced by it too.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use kakao::skill::payload::{REQUEST_ID_HEADER, request_id};
use kakao::skill::response::QuickReply;
use kakao::{SkillPayload, SkillResponse};
use platform::Config;
use prometheus::{IntCounterVec, Opts, register_int_counter_vec_with_registry};
use tracing::Instrument;

use crate::alerts::Receipts;
use crate::auth::Access;
use crate::clients::{CALL_DEADLINE, Clients};
use crate::openbuilder::OpenBuilder;
use crate::payload;
use crate::skill::Skill;
use crate::skills::{self, common};

/// The whole skill's budget: under Kakao's 5 s with room for the gateway hop and the network.
pub const BUDGET: Duration = Duration::from_millis(4_000);

/// A `clientExtra` larger than this is not repeated in the retry chip (it could push the
/// answer over Kakao's size limit, and real buttons carry a few ids).
const RETRY_EXTRA_MAX_BYTES: usize = 1_000;
const RETRY_ECHO_MAX_CHARS: usize = 100;

static ANSWERS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec_with_registry!(
        Opts::new(
            "skill_answers_total",
            "Skill webhooks answered, by skill and outcome \
             (ok, error, timeout, invalid, denied, unreadable, unknown_skill, no_user)",
        ),
        &["skill", "outcome"],
        platform::metrics::REGISTRY.clone()
    )
    .expect("metric registers once")
});

static LATENCY: LazyLock<prometheus::HistogramVec> = LazyLock::new(|| {
    platform::metrics::histogram(
        "skill_duration_seconds",
        "Time the chatbot service took to answer a skill webhook, by skill (Kakao allows 5 s)",
        &["skill"],
    )
});

/// Every skill's latency and its answers at zero, so the p99 rule and the panels have series
/// from the start.
pub fn init_metrics() {
    for skill in Skill::ALL {
        LATENCY.with_label_values(&[skill.name()]);
        ANSWERS.with_label_values(&[skill.name(), "ok"]);
        ANSWERS.with_label_values(&[skill.name(), "error"]);
    }
}

/// Counts one answer; names that are not skills share one label so callers cannot grow it.
fn count(name: &str, outcome: &str) {
    let skill = Skill::from_name(name).map_or("unknown", Skill::name);
    ANSWERS.with_label_values(&[skill, outcome]).inc();
}

pub struct App {
    clients: Clients,
    receipts: Receipts,
    ob: OpenBuilder,
    access: Access,
    budget: Duration,
}

/// What the gateway sends back to Kakao.
#[derive(Debug)]
pub struct Answer {
    pub http_status: u16,
    pub response: SkillResponse,
}

impl Answer {
    fn ok(response: SkillResponse) -> Answer {
        Answer {
            http_status: 200,
            response,
        }
    }

    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&self.response).unwrap_or_default()
    }
}

impl App {
    pub fn new(config: &Config, receipts: Receipts) -> Result<App, platform::Error> {
        let ob = OpenBuilder::load(config.kakao.openbuilder_file.as_deref())
            .map_err(|e| platform::Error::Config(format!("KAKAO_OPENBUILDER_FILE: {e}")))?;
        let access = Access::from_config(config);
        if !access.requires_secret() {
            tracing::warn!(
                "KAKAO_SKILL_SECRET is not set: skill calls are accepted without the shared-secret header"
            );
        }
        Ok(App {
            clients: Clients::new(config, CALL_DEADLINE)?,
            receipts,
            ob,
            access,
            budget: BUDGET,
        })
    }

    /// Answers one webhook and logs it in one line with Kakao's request id, which an
    /// operator quotes to Kakao support; every other line logged on the way carries it too.
    pub async fn handle(
        &self,
        name: &str,
        body: &[u8],
        headers: &HashMap<String, String>,
    ) -> Answer {
        let skill = Skill::from_name(name).map_or("unknown", Skill::name);
        let span = tracing::info_span!(
            "skill_call",
            skill,
            kakao_request_id = request_id(headers.get(REQUEST_ID_HEADER).map(String::as_str))
        );
        async {
            let started = Instant::now();
            let (outcome, answer) = self.answer(name, body, headers).await;
            count(name, outcome);
            LATENCY
                .with_label_values(&[skill])
                .observe(started.elapsed().as_secs_f64());
            tracing::info!(
                outcome,
                http_status = answer.http_status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "skill answered"
            );
            answer
        }
        .instrument(span)
        .await
    }

    /// The answer and its outcome label for the metric and the log.
    async fn answer(
        &self,
        name: &str,
        body: &[u8],
        headers: &HashMap<String, String>,
    ) -> (&'static str, Answer) {
        if let Err(denied) = self.access.check_secret(headers) {
            tracing::warn!("skill call without the right shared secret");
            let answer = Answer {
                http_status: denied.http_status(),
                response: common::denied(),
            };
            return ("denied", answer);
        }
        // Nothing can be checked or looked up for a body that is not a payload, and nothing
        // is: the customer is asked to start again.
        let Some(payload) = payload::parse(body) else {
            return ("unreadable", Answer::ok(common::unreadable(&self.ob)));
        };
        if let Err(denied) = self.access.check_bot(&payload) {
            tracing::warn!("skill call for a bot that is not ours");
            let answer = Answer {
                http_status: denied.http_status(),
                response: common::denied(),
            };
            return ("denied", answer);
        }
        let Some(skill) = Skill::from_name(name) else {
            let answer = Answer {
                http_status: 404,
                response: common::unknown_skill(&self.ob),
            };
            return ("unknown_skill", answer);
        };
        let Some(user_key) = payload.bot_user_key() else {
            return ("no_user", Answer::ok(common::no_user(&self.ob)));
        };
        let deps = skills::Deps {
            clients: &self.clients,
            receipts: &self.receipts,
            ob: &self.ob,
        };
        let run = skills::run(skill, &deps, &payload, user_key);
        let (outcome, response) = match tokio::time::timeout(self.budget, run).await {
            Ok(Ok(response)) => ("ok", response),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "skill failed; answering try-again");
                (
                    "error",
                    common::try_again(retry(&self.ob, skill, &payload), &self.ob),
                )
            }
            Err(_) => {
                tracing::warn!(
                    budget_ms = self.budget.as_millis() as u64,
                    "skill over budget; answering try-again"
                );
                (
                    "timeout",
                    common::try_again(retry(&self.ob, skill, &payload), &self.ob),
                )
            }
        };
        match self.checked(skill, &payload, response) {
            Ok(response) => (outcome, Answer::ok(response)),
            Err(fallback) => ("invalid", Answer::ok(fallback)),
        }
    }

    /// The response if it keeps every limit; otherwise (a bug, logged) the try-again bubble.
    fn checked(
        &self,
        skill: Skill,
        payload: &SkillPayload,
        response: SkillResponse,
    ) -> Result<SkillResponse, SkillResponse> {
        match kakao::validate(&response.to_value()) {
            Ok(()) => Ok(response),
            Err(problems) => {
                tracing::error!(?problems, "skill drew an invalid response");
                Err(common::try_again(retry(&self.ob, skill, payload), &self.ob))
            }
        }
    }
}

/// A chip that runs the same block with the same `extra` and echo text. An add may have
/// gone through before the time ran out, so its chips first offer a look at the order sheet.
fn retry(ob: &OpenBuilder, skill: Skill, payload: &SkillPayload) -> Vec<QuickReply> {
    let said = payload.utterance().trim();
    let echo = if said.is_empty() || said.chars().count() > RETRY_ECHO_MAX_CHARS {
        "다시 시도"
    } else {
        said
    };
    let mut target = ob.target(skill, echo);
    let extra = &payload.action.client_extra;
    let small = serde_json::to_vec(extra).is_ok_and(|bytes| bytes.len() <= RETRY_EXTRA_MAX_BYTES);
    if !extra.is_empty() && small {
        target.extra = Some(extra.clone());
    }
    let again = QuickReply::block("다시 시도", target);
    // Reorders and favourites add to the sheet too.
    if matches!(skill, Skill::CartAdd | Skill::Reorder | Skill::Favourites) {
        vec![common::show_cart(ob), again]
    } else {
        vec![again]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_retry_chip_repeats_the_tap_unless_it_is_too_big() {
        let ob = OpenBuilder::load(None).unwrap();
        let p: SkillPayload = serde_json::from_value(json!({
            "userRequest": {"utterance": "메뉴 보기"},
            "action": {"clientExtra": {"store_id": "s1"}}
        }))
        .unwrap();
        let chip = serde_json::to_value(&retry(&ob, Skill::Menu, &p)[0]).unwrap();
        assert_eq!(chip["blockId"], "blk_menu");
        assert_eq!(chip["messageText"], "메뉴 보기");
        assert_eq!(chip["extra"]["store_id"], "s1");

        let p: SkillPayload = serde_json::from_value(json!({
            "userRequest": {"utterance": "x".repeat(5000)},
            "action": {"clientExtra": {"blob": "y".repeat(5000)}}
        }))
        .unwrap();
        let chip = serde_json::to_value(&retry(&ob, Skill::Stores, &p)[0]).unwrap();
        assert_eq!(chip["messageText"], "다시 시도");
        assert!(chip.get("extra").is_none());

        let add = retry(&ob, Skill::CartAdd, &p);
        assert_eq!(add.len(), 2);
        assert_eq!(
            add[0].label(),
            "주문서 보기",
            "an add may have gone through"
        );
        assert_eq!(add[1].label(), "다시 시도");
    }
}
