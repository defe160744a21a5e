//! Posts a SkillPayload to the gateway the way Open Builder does: to the block's skill URL, with
//! the configured headers, giving up after Kakao's 5 seconds. Whatever went wrong is reported
//! in words a developer can act on, as Kakao would have shown the user an error instead.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::bot::BotFile;

/// Kakao waits this long for a skill, then shows the user an error.
pub const SKILL_TIMEOUT: Duration = Duration::from_secs(5);

/// Not `Debug`, so the secret cannot end up in a log line.
#[derive(Clone)]
pub struct Gateway {
    client: reqwest::Client,
    base_url: String,
    secret: Option<String>,
}

/// Why the exchange failed, from Kakao's point of view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    #[error("스킬 서버가 5초 안에 답하지 않았습니다. 카카오는 사용자에게 오류를 보여 줍니다.")]
    Timeout,
    #[error("스킬 서버에 연결하지 못했습니다 ({detail}). 게이트웨이가 실행 중인지 확인하세요.")]
    Unreachable { detail: String },
    #[error(
        "스킬 서버가 HTTP {status}(으)로 답했습니다. 카카오는 200이 아닌 응답을 오류로 봅니다."
    )]
    Status { status: u16 },
    #[error("스킬 서버의 응답이 JSON이 아닙니다. 카카오는 이 응답을 보여 줄 수 없습니다.")]
    NotJson,
}

impl ExchangeError {
    /// A stable name for scripts and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            ExchangeError::Timeout => "timeout",
            ExchangeError::Unreachable { .. } => "unreachable",
            ExchangeError::Status { .. } => "status",
            ExchangeError::NotJson => "not_json",
        }
    }
}

/// The gateway's side of one turn.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub url: String,
    /// The gateway's HTTP status, when it answered at all.
    pub status: Option<u16>,
    /// The answer, when it was JSON.
    pub response: Option<Value>,
    /// Every SkillResponse limit the answer breaks (`kakao::validate`).
    pub violations: Vec<String>,
    pub error: Option<ExchangeError>,
    pub elapsed_ms: u64,
}

impl Gateway {
    pub fn new(base_url: &str, secret: Option<String>) -> Result<Gateway, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(SKILL_TIMEOUT)
            .connect_timeout(SKILL_TIMEOUT)
            .build()?;
        Ok(Gateway {
            client,
            base_url: base_url.to_owned(),
            secret: secret.filter(|s| !s.is_empty()),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn send(&self, bot: &BotFile, skill: &str, payload: &Value) -> Exchange {
        let url = bot.skill_url(&self.base_url, skill);
        let started = Instant::now();
        let mut request = self
            .client
            .post(&url)
            .header("Content-Type", "application/json;charset=UTF-8")
            .header("Accept", "application/json")
            .body(payload.to_string());
        for (name, value) in bot.skill_headers(self.secret.as_deref()) {
            request = request.header(name, value);
        }
        let result = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
        .await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut exchange = Exchange {
            url,
            status: None,
            response: None,
            violations: Vec::new(),
            error: None,
            elapsed_ms,
        };
        match result {
            Err(e) if e.is_timeout() => exchange.error = Some(ExchangeError::Timeout),
            Err(e) => {
                exchange.error = Some(ExchangeError::Unreachable {
                    detail: with_causes(&e),
                })
            }
            Ok((status, body)) => {
                exchange.status = Some(status);
                match serde_json::from_slice::<Value>(&body) {
                    Ok(json) => {
                        if let Err(violations) = kakao::validate(&json) {
                            exchange.violations = violations;
                        }
                        exchange.response = Some(json);
                        if status != 200 {
                            exchange.error = Some(ExchangeError::Status { status });
                        }
                    }
                    Err(_) if status != 200 => {
                        exchange.error = Some(ExchangeError::Status { status })
                    }
                    Err(_) => exchange.error = Some(ExchangeError::NotJson),
                }
            }
        }
        tracing::info!(
            skill,
            status = exchange.status,
            elapsed_ms = exchange.elapsed_ms,
            violations = exchange.violations.len(),
            error = exchange.error.as_ref().map(|e| e.to_string()),
            "simulated skill call"
        );
        exchange
    }
}

/// reqwest's message with its causes, which say what actually failed (refused, DNS, TLS).
fn with_causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
