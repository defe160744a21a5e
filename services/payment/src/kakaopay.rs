//! The KakaoPay online single-payment client (reference/kakao-apis.md §2): `POST
//! /online/v1/payment/{ready,approve,order,cancel}` with JSON bodies and `Authorization:
//! SECRET_KEY …`. It only talks HTTP: every failure comes back as a [`Failure`] sorted by
//! [`kakao::pay::classify_call`]; deciding what a failure means for a payment is
//! [`crate::settle`]'s job.
//!
//! Neither the secret key nor request/response bodies (card details) are ever logged.

use std::sync::LazyLock;
use std::time::Duration;

use kakao::pay::{self, Call, ErrorBody, ErrorKind, NO_RESPONSE};
use platform::telemetry::Outbound;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

static CALLS: LazyLock<prometheus::IntCounterVec> = LazyLock::new(|| {
    prometheus::register_int_counter_vec_with_registry!(
        prometheus::Opts::new(
            "kakaopay_calls_total",
            "KakaoPay API calls by call and result (ok, retryable, unclear, final)"
        ),
        &["call", "result"],
        platform::metrics::REGISTRY.clone()
    )
    .expect("metric registers once")
});

/// Every call and result at zero, so ratios and alerts have series before the first call.
pub fn init_metrics() {
    for call in [Call::Ready, Call::Approve, Call::Order, Call::Cancel] {
        for result in ["ok", "retryable", "unclear", "final"] {
            CALLS.with_label_values(&[call_name(call), result]);
        }
        platform::metrics::OUTBOUND.with_label_values(&["kakaopay", call_name(call), "2xx"]);
    }
}

/// Per-call time limits (`PAYMENT_TIMEOUT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct Timeouts {
    /// `ready` runs inside the 결제하기 skill: Kakao gives a webhook 5 s and each gRPC hop on
    /// that path has 3 s, so a slower answer would reach nobody.
    #[arg(
        id = "payment-timeout-ready",
        long = "payment-timeout-ready",
        env = "PAYMENT_TIMEOUT_READY",
        value_name = "DURATION",
        default_value = "2500ms",
        value_parser = platform::settings::duration()
    )]
    pub ready: Duration,
    /// `order` is a read, retried with backoff when settling.
    #[arg(
        id = "payment-timeout-order",
        long = "payment-timeout-order",
        env = "PAYMENT_TIMEOUT_ORDER",
        value_name = "DURATION",
        default_value = "3s",
        value_parser = platform::settings::duration()
    )]
    pub order: Duration,
    /// `approve` and `cancel` move money. A timeout there is an unclear outcome that costs an
    /// inquiry and maybe a retry later, so they wait longer (KakaoPay's own limit is 11 s);
    /// they run in the approval consumer and the board, never inside a webhook.
    #[arg(
        id = "payment-timeout-approve",
        long = "payment-timeout-approve",
        env = "PAYMENT_TIMEOUT_APPROVE",
        value_name = "DURATION",
        default_value = "8s",
        value_parser = platform::settings::duration()
    )]
    pub approve: Duration,
    /// Time limit of a KakaoPay `cancel` (a refund); see `approve`.
    #[arg(
        id = "payment-timeout-cancel",
        long = "payment-timeout-cancel",
        env = "PAYMENT_TIMEOUT_CANCEL",
        value_name = "DURATION",
        default_value = "8s",
        value_parser = platform::settings::duration()
    )]
    pub cancel: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            ready: Duration::from_millis(2500),
            order: Duration::from_secs(3),
            approve: Duration::from_secs(8),
            cancel: Duration::from_secs(8),
        }
    }
}

impl Timeouts {
    fn of(&self, call: Call) -> Duration {
        match call {
            Call::Ready => self.ready,
            Call::Approve => self.approve,
            Call::Order => self.order,
            Call::Cancel => self.cancel,
        }
    }
}

/// A successful answer, with the body exactly as received (for the payment ledger's `raw`).
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub body: T,
    pub raw: String,
}

/// A call that did not succeed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub call: Call,
    pub kind: ErrorKind,
    /// [`NO_RESPONSE`] when no HTTP answer came (timeout, connection error).
    pub http_status: u16,
    /// KakaoPay's error body, when the answer had one.
    pub error: Option<ErrorBody>,
    /// What went wrong, for logs and the caller; never holds a body.
    pub detail: String,
}

impl Failure {
    pub fn code(&self) -> Option<i64> {
        self.error.as_ref().map(|e| e.error_code)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "kakaopay {:?}: {}", self.call, self.detail)
    }
}

pub struct KakaoPay {
    http: reqwest::Client,
    base_url: String,
    cid: String,
    authorization: String,
    timeouts: Timeouts,
}

// Hand-written so the secret key can never reach a log through `{:?}`.
impl std::fmt::Debug for KakaoPay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KakaoPay")
            .field("base_url", &self.base_url)
            .field("cid", &self.cid)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl KakaoPay {
    pub fn new(
        base_url: &str,
        cid: &str,
        secret_key: &str,
        timeouts: Timeouts,
    ) -> Result<KakaoPay, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(KakaoPay {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            cid: cid.to_owned(),
            authorization: pay::authorization_value(secret_key),
            timeouts,
        })
    }

    pub fn cid(&self) -> &str {
        &self.cid
    }

    pub async fn ready(
        &self,
        request: &pay::ReadyRequest,
    ) -> Result<Answer<pay::ReadyResponse>, Failure> {
        self.call(Call::Ready, request).await
    }

    pub async fn approve(
        &self,
        request: &pay::ApproveRequest,
    ) -> Result<Answer<pay::ApproveResponse>, Failure> {
        self.call(Call::Approve, request).await
    }

    pub async fn order(&self, tid: &str) -> Result<Answer<pay::OrderResponse>, Failure> {
        let request = pay::OrderRequest {
            cid: self.cid.clone(),
            cid_secret: None,
            tid: tid.to_owned(),
        };
        self.call(Call::Order, &request).await
    }

    pub async fn cancel(
        &self,
        request: &pay::CancelRequest,
    ) -> Result<Answer<pay::CancelResponse>, Failure> {
        self.call(Call::Cancel, request).await
    }

    async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        call: Call,
        request: &Req,
    ) -> Result<Answer<Resp>, Failure> {
        let timeout = self.timeouts.of(call);
        let started = std::time::Instant::now();
        let result = self.exchange(call, request, timeout).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(f) => match f.kind {
                ErrorKind::Retryable => "retryable",
                ErrorKind::Unclear => "unclear",
                ErrorKind::Final => "final",
            },
        };
        CALLS.with_label_values(&[call_name(call), outcome]).inc();
        match &result {
            Ok(_) => tracing::debug!(call = ?call, elapsed_ms, "kakaopay call succeeded"),
            Err(failure) => tracing::warn!(
                call = ?call,
                elapsed_ms,
                http_status = failure.http_status,
                error_code = failure.code(),
                kind = ?failure.kind,
                detail = %failure.detail,
                "kakaopay call failed"
            ),
        }
        result
    }

    async fn exchange<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        call: Call,
        request: &Req,
        timeout: Duration,
    ) -> Result<Answer<Resp>, Failure> {
        let url = format!("{}{}", self.base_url, call.path());
        let outbound = Outbound::start("kakaopay", call_name(call), "POST", call.path());
        let response = self
            .http
            .post(&url)
            .header(pay::AUTHORIZATION_HEADER, &self.authorization)
            .json(request)
            .timeout(timeout)
            .send()
            .instrument(outbound.span())
            .await;
        outbound.finish(response.as_ref().ok().map(|r| r.status().as_u16()));
        let response = response.map_err(|e| no_response(call, timeout, e))?;
        let status = response.status().as_u16();
        let raw = response
            .text()
            .await
            .map_err(|e| no_response(call, timeout, e))?;
        if (200..300).contains(&status) {
            return match serde_json::from_str::<Resp>(&raw) {
                Ok(body) => Ok(Answer { body, raw }),
                Err(e) => Err(Failure {
                    call,
                    kind: pay::classify_call(call, status, None),
                    http_status: status,
                    error: None,
                    // serde's message names the field, never the value.
                    detail: format!("HTTP {status} with an unreadable body: {e}"),
                }),
            };
        }
        let error = serde_json::from_str::<ErrorBody>(&raw).ok();
        let code = error.as_ref().map(|e| e.error_code);
        let detail = match &error {
            Some(e) => format!("HTTP {status}, {} {}", e.error_code, e.error_message),
            None => format!("HTTP {status} without a KakaoPay error body"),
        };
        Err(Failure {
            call,
            kind: pay::classify_call(call, status, code),
            http_status: status,
            error,
            detail,
        })
    }
}

fn call_name(call: Call) -> &'static str {
    match call {
        Call::Ready => "ready",
        Call::Approve => "approve",
        Call::Order => "order",
        Call::Cancel => "cancel",
    }
}

fn no_response(call: Call, timeout: Duration, e: reqwest::Error) -> Failure {
    let detail = if e.is_timeout() {
        format!("no answer within {} ms", timeout.as_millis())
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        // Without the URL: reqwest's message is enough, and shorter.
        format!("no answer: {}", e.without_url())
    };
    Failure {
        call,
        kind: pay::classify_call(call, NO_RESPONSE, None),
        http_status: NO_RESPONSE,
        error: None,
        detail,
    }
}
