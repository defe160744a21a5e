//! Fault injection for the sandbox's Event API, queued for the next requests with
//! `POST /sandbox/events/faults` (the requests come from chatbot-skill, not from the test):
//!
//! `{"next": "5xx" | ["timeout-after", "5xx"], "always": "4xx" | null, "latency_ms": 200,
//!   "hang_ms": 20000}` — `next` faults are used one per request, in order; `always` applies to
//! every request without a queued fault until reset (`null` clears it); `latency_ms` delays
//! every request; `hang_ms` is how long a timeout holds the request before dropping it.
//! `DELETE /sandbox/events/faults` resets everything.
//!
//! Faults: `5xx` (HTTP 500), `4xx` (HTTP 400), `status=CODE`, each answered with a Kakao-like
//! error and nothing delivered; `timeout` (hold, then drop the connection; nothing delivered);
//! `timeout-after` (deliver, then hold and drop the answer: the message went out and the
//! caller never hears of it); `latency=MS` (answer that much later, normally);
//! `answer-status=TEXT` (HTTP 200 with that `status` instead of `SUCCESS`; nothing delivered);
//! `user-key-fail` (answered `SUCCESS`, but no user key resolves: nothing is delivered and the
//! task reports `N FAIL` with `userKeyResolvingFailCount`).

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Longer than any Event API client waits.
const DEFAULT_HANG: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Latency(Duration),
    Status(u16),
    Timeout,
    TimeoutAfter,
    AnswerStatus(String),
    UserKeyFail,
}

impl Fault {
    pub fn parse(text: &str) -> Result<Fault, String> {
        let text = text.trim();
        let fault = match text {
            "5xx" => Fault::Status(500),
            "4xx" => Fault::Status(400),
            "timeout" => Fault::Timeout,
            "timeout-after" => Fault::TimeoutAfter,
            "user-key-fail" => Fault::UserKeyFail,
            _ => match text.split_once('=') {
                Some(("answer-status", status)) if !status.trim().is_empty() => {
                    Fault::AnswerStatus(status.trim().to_owned())
                }
                Some(("latency", ms)) => Fault::Latency(Duration::from_millis(
                    ms.trim().parse().map_err(|_| bad(text))?,
                )),
                Some(("status", status)) => {
                    let status: u16 = status.trim().parse().map_err(|_| bad(text))?;
                    if !(400..=599).contains(&status) {
                        return Err(bad(text));
                    }
                    Fault::Status(status)
                }
                _ => return Err(bad(text)),
            },
        };
        Ok(fault)
    }

    /// A stable name for the attempt log.
    pub fn name(&self) -> String {
        match self {
            Fault::Latency(d) => format!("latency={}", d.as_millis()),
            Fault::Status(status) => format!("status={status}"),
            Fault::Timeout => "timeout".to_owned(),
            Fault::TimeoutAfter => "timeout-after".to_owned(),
            Fault::AnswerStatus(status) => format!("answer-status={status}"),
            Fault::UserKeyFail => "user-key-fail".to_owned(),
        }
    }
}

fn bad(text: &str) -> String {
    format!(
        "unknown fault '{text}' (5xx, 4xx, status=CODE, timeout, timeout-after, latency=MS, \
         answer-status=TEXT, user-key-fail)"
    )
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    pub next: Option<OneOrMany>,
    /// `Some(None)` (JSON `null`) clears the standing fault.
    #[serde(default, deserialize_with = "explicit_null")]
    pub always: Option<Option<String>>,
    pub latency_ms: Option<u64>,
    pub hang_ms: Option<u64>,
}

/// Tells a missing field (`None`, through `default`) from an explicit `null` (`Some(None)`).
fn explicit_null<'de, D>(deserializer: D) -> Result<Option<Option<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultView {
    pub next: Vec<String>,
    pub always: Option<String>,
    pub latency_ms: u64,
    pub hang_ms: u64,
}

#[derive(Debug)]
pub struct Faults {
    next: VecDeque<Fault>,
    always: Option<Fault>,
    pub latency: Duration,
    pub hang: Duration,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            next: VecDeque::new(),
            always: None,
            latency: Duration::ZERO,
            hang: DEFAULT_HANG,
        }
    }
}

impl Faults {
    /// Applies `config`; nothing changes when any fault in it is malformed.
    pub fn configure(&mut self, config: &FaultConfig) -> Result<(), String> {
        let next = match &config.next {
            None => Vec::new(),
            Some(OneOrMany::One(text)) => vec![Fault::parse(text)?],
            Some(OneOrMany::Many(texts)) => texts
                .iter()
                .map(|t| Fault::parse(t))
                .collect::<Result<_, _>>()?,
        };
        let always = match &config.always {
            None => self.always.clone(),
            Some(None) => None,
            Some(Some(text)) => Some(Fault::parse(text)?),
        };
        self.next.extend(next);
        self.always = always;
        if let Some(ms) = config.latency_ms {
            self.latency = Duration::from_millis(ms);
        }
        if let Some(ms) = config.hang_ms {
            self.hang = Duration::from_millis(ms);
        }
        Ok(())
    }

    /// The fault for the next request: a queued one (used up), else the standing one.
    pub fn take(&mut self) -> Option<Fault> {
        self.next.pop_front().or_else(|| self.always.clone())
    }

    pub fn view(&self) -> FaultView {
        FaultView {
            next: self.next.iter().map(Fault::name).collect(),
            always: self.always.as_ref().map(Fault::name),
            latency_ms: u64::try_from(self.latency.as_millis()).unwrap_or(u64::MAX),
            hang_ms: u64::try_from(self.hang.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse() {
        assert_eq!(Fault::parse("5xx").unwrap(), Fault::Status(500));
        assert_eq!(Fault::parse("4xx").unwrap(), Fault::Status(400));
        assert_eq!(Fault::parse("status=429").unwrap(), Fault::Status(429));
        assert_eq!(Fault::parse("timeout-after").unwrap(), Fault::TimeoutAfter);
        assert_eq!(Fault::parse("user-key-fail").unwrap(), Fault::UserKeyFail);
        assert_eq!(
            Fault::parse("answer-status=FAIL").unwrap(),
            Fault::AnswerStatus("FAIL".into())
        );
        assert!(Fault::parse("answer-status=").is_err());
        assert_eq!(
            Fault::parse("latency=250").unwrap(),
            Fault::Latency(Duration::from_millis(250))
        );
        for bad in ["status=200", "latency=soon", "explode", ""] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn queued_faults_come_first_then_the_standing_one() {
        let mut faults = Faults::default();
        let config: FaultConfig =
            serde_json::from_str(r#"{"next": ["5xx", "timeout"], "always": "4xx"}"#).unwrap();
        faults.configure(&config).unwrap();
        assert_eq!(faults.take(), Some(Fault::Status(500)));
        assert_eq!(faults.take(), Some(Fault::Timeout));
        assert_eq!(faults.take(), Some(Fault::Status(400)));
        assert_eq!(faults.take(), Some(Fault::Status(400)));
        let clear: FaultConfig = serde_json::from_str(r#"{"always": null}"#).unwrap();
        faults.configure(&clear).unwrap();
        assert_eq!(faults.take(), None);
    }

    #[test]
    fn a_malformed_configuration_changes_nothing() {
        let mut faults = Faults::default();
        let config: FaultConfig =
            serde_json::from_str(r#"{"next": "5xx", "always": "nonsense"}"#).unwrap();
        assert!(faults.configure(&config).is_err());
        assert_eq!(faults.take(), None);
        assert!(serde_json::from_str::<FaultConfig>(r#"{"nxt": "5xx"}"#).is_err());
    }
}
