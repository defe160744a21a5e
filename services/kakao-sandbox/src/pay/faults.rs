//! Fault injection for the sandbox's KakaoPay: per request with the `X-Sandbox-Fault` header,
//! or queued for the next calls with `POST /sandbox/faults` (for tests that cannot touch the
//! request, because a service makes it).
//!
//! Header: comma-separated faults, e.g. `X-Sandbox-Fault: latency=3000, status=500`.
//! Besides failures, two faults bend a successful answer: `approved-amount=N` (approve charges
//! N won instead of ready's amount) and `without-approved-cancel-amount` (the cancel answer
//! leaves out `approved_cancel_amount`, as some of KakaoPay's do).
//! Body of `POST /sandbox/faults`:
//! `{"next_approve": "timeout-after-approve" | ["5xx", "user-locked"], "next_order": …,
//!   "next_ready": …, "next_cancel": …, "latency_ms": 200, "hang_ms": 20000}` — each `next_*`
//! queues faults for that call, used one per call; `latency_ms` delays every call until reset;
//! `hang_ms` is how long a timeout fault holds the request before dropping it.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use kakao::pay::Call;
use serde::{Deserialize, Serialize};

/// How long a timeout fault holds a request by default: longer than any client waits.
const DEFAULT_HANG: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this much later (then normally).
    Latency(Duration),
    /// Answer with this HTTP status and no KakaoPay error body; nothing happens.
    Status(u16),
    /// Answer with this KakaoPay error code; nothing happens.
    Error(i64),
    /// Hold the request, then drop it; nothing happens.
    Timeout,
    /// Do what was asked (approve, cancel, …), then hold and drop the answer: the money moved
    /// and the caller never hears of it.
    TimeoutAfter,
    /// approve: −780 `USER_LOCKED`; nothing is approved.
    UserLocked,
    /// approve: approved, yet answered −780 `BANK_FIRM_UNKNOWN` (reference §2.10).
    BankFirmUnknown,
    /// approve: approves and charges this many won, whatever ready and the request said.
    ApprovedAmount(i64),
    /// cancel: refunds, and answers without `approved_cancel_amount`.
    WithoutApprovedCancelAmount,
}

impl Fault {
    pub fn parse(text: &str) -> Result<Fault, String> {
        let text = text.trim();
        let fault = match text {
            "5xx" => Fault::Status(500),
            "timeout" => Fault::Timeout,
            "timeout-after"
            | "timeout-after-approve"
            | "timeout-after-cancel"
            | "timeout-after-ready"
            | "timeout-after-order" => Fault::TimeoutAfter,
            "user-locked" => Fault::UserLocked,
            "bank-firm-unknown" => Fault::BankFirmUnknown,
            "without-approved-cancel-amount" => Fault::WithoutApprovedCancelAmount,
            _ => match text.split_once('=') {
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
                Some(("error", code)) => Fault::Error(code.trim().parse().map_err(|_| bad(text))?),
                Some(("approved-amount", won)) => match won.trim().parse() {
                    Ok(won) if won > 0 => Fault::ApprovedAmount(won),
                    _ => return Err(bad(text)),
                },
                _ => return Err(bad(text)),
            },
        };
        Ok(fault)
    }

    /// The `X-Sandbox-Fault` header: faults separated by commas.
    pub fn parse_list(text: &str) -> Result<Vec<Fault>, String> {
        text.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(Fault::parse)
            .collect()
    }
}

fn bad(text: &str) -> String {
    format!(
        "unknown fault '{text}' (latency=MS, status=CODE, 5xx, error=CODE, timeout, \
         timeout-after-approve, timeout-after-cancel, user-locked, bank-firm-unknown, \
         approved-amount=WON, without-approved-cancel-amount)"
    )
}

/// One fault or a list of them, for each `next_*` field.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn faults(&self) -> Result<Vec<Fault>, String> {
        match self {
            OneOrMany::One(text) => Ok(vec![Fault::parse(text)?]),
            OneOrMany::Many(texts) => texts.iter().map(|t| Fault::parse(t)).collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    pub next_ready: Option<OneOrMany>,
    pub next_approve: Option<OneOrMany>,
    pub next_order: Option<OneOrMany>,
    pub next_cancel: Option<OneOrMany>,
    pub latency_ms: Option<u64>,
    pub hang_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultView {
    pub queued: HashMap<String, Vec<String>>,
    pub latency_ms: u64,
    pub hang_ms: u64,
}

#[derive(Debug)]
pub struct Faults {
    queued: HashMap<Call, VecDeque<Fault>>,
    pub latency: Duration,
    pub hang: Duration,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            queued: HashMap::new(),
            latency: Duration::ZERO,
            hang: DEFAULT_HANG,
        }
    }
}

impl Faults {
    /// Adds the configured faults; nothing changes when any of them is malformed.
    pub fn configure(&mut self, config: &FaultConfig) -> Result<(), String> {
        let mut additions = Vec::new();
        for (call, next) in [
            (Call::Ready, &config.next_ready),
            (Call::Approve, &config.next_approve),
            (Call::Order, &config.next_order),
            (Call::Cancel, &config.next_cancel),
        ] {
            if let Some(next) = next {
                additions.push((call, next.faults()?));
            }
        }
        for (call, faults) in additions {
            self.queued.entry(call).or_default().extend(faults);
        }
        if let Some(ms) = config.latency_ms {
            self.latency = Duration::from_millis(ms);
        }
        if let Some(ms) = config.hang_ms {
            self.hang = Duration::from_millis(ms);
        }
        Ok(())
    }

    /// The next queued fault for `call`, used up.
    pub fn take(&mut self, call: Call) -> Option<Fault> {
        self.queued.get_mut(&call)?.pop_front()
    }

    pub fn view(&self) -> FaultView {
        FaultView {
            queued: self
                .queued
                .iter()
                .filter(|(_, q)| !q.is_empty())
                .map(|(call, q)| {
                    (
                        format!("{call:?}").to_lowercase(),
                        q.iter().map(|f| format!("{f:?}")).collect(),
                    )
                })
                .collect(),
            latency_ms: self.latency.as_millis() as u64,
            hang_ms: self.hang.as_millis() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_faults_parse() {
        assert_eq!(
            Fault::parse_list("latency=3000, status=503").unwrap(),
            [Fault::Latency(Duration::from_secs(3)), Fault::Status(503)]
        );
        assert_eq!(Fault::parse("5xx").unwrap(), Fault::Status(500));
        assert_eq!(
            Fault::parse("timeout-after-approve").unwrap(),
            Fault::TimeoutAfter
        );
        assert_eq!(Fault::parse("user-locked").unwrap(), Fault::UserLocked);
        assert_eq!(Fault::parse("error=-503").unwrap(), Fault::Error(-503));
        assert_eq!(
            Fault::parse("approved-amount=9900").unwrap(),
            Fault::ApprovedAmount(9_900)
        );
        assert_eq!(
            Fault::parse("without-approved-cancel-amount").unwrap(),
            Fault::WithoutApprovedCancelAmount
        );
        for bad in [
            "latency=soon",
            "status=200",
            "explode",
            "status=abc",
            "approved-amount=0",
            "approved-amount=-5",
        ] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn queued_faults_are_used_one_per_call_in_order() {
        let mut faults = Faults::default();
        let config: FaultConfig = serde_json::from_str(
            r#"{"next_approve": ["5xx", "user-locked"], "next_order": "timeout", "latency_ms": 50}"#,
        )
        .unwrap();
        faults.configure(&config).unwrap();
        assert_eq!(faults.take(Call::Approve), Some(Fault::Status(500)));
        assert_eq!(faults.take(Call::Order), Some(Fault::Timeout));
        assert_eq!(faults.take(Call::Approve), Some(Fault::UserLocked));
        assert_eq!(faults.take(Call::Approve), None);
        assert_eq!(faults.take(Call::Cancel), None);
        assert_eq!(faults.latency, Duration::from_millis(50));
    }

    #[test]
    fn a_malformed_configuration_changes_nothing() {
        let mut faults = Faults::default();
        let config: FaultConfig =
            serde_json::from_str(r#"{"next_approve": "5xx", "next_cancel": "nonsense"}"#).unwrap();
        assert!(faults.configure(&config).is_err());
        assert_eq!(faults.take(Call::Approve), None);
        assert!(serde_json::from_str::<FaultConfig>(r#"{"next_aprove": "5xx"}"#).is_err());
    }
}
