//! The sandbox's KakaoPay (reference §2), in memory:
//!
//! - `POST /online/v1/payment/{ready,approve,order,cancel}`: the real request and response
//!   shapes, `Authorization: SECRET_KEY …` (any key starting with `DEV`, like KakaoPay's dev
//!   keys; others get −401), statuses and error codes;
//! - `GET /kakaopay/pay/{tid}`: the payment page the redirect URLs open, where a person pays by
//!   card or with KakaoPay Money (카드 / 카카오페이머니), or chooses 취소 / 실패; tests `POST
//!   /kakaopay/pay/{tid}/{approve|cancel|fail}` (`approve?method=MONEY` for Money; card otherwise)
//!   and follow the `303` Location (`approval_url?pg_token=…`, `cancel_url`, `fail_url`);
//! - the payment window (15 minutes, `SANDBOX_PAYMENT_WINDOW_SECS`, or `POST
//!   /sandbox/kakaopay/config {"payment_window_secs": N}` for payments readied afterwards;
//!   `POST /sandbox/kakaopay/expire/{tid}` ends one payment's window now);
//! - faults (see [`faults`]): the `X-Sandbox-Fault` header, or `POST /sandbox/faults`;
//!   `DELETE /sandbox/faults` resets them;
//! - the ledger: `GET /sandbox/ledger/{tid}` and `GET /sandbox/ledger` — per tid its status and
//!   how many approve, cancel and order calls came and took effect, and the money moved.

mod faults;
mod page;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use kakao::pay::{self, Call};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use faults::{Fault, FaultConfig, Faults};
use state::{ApiError, Choice, Counted, PageError, Payments};

/// Per-request faults, e.g. `X-Sandbox-Fault: latency=3000, status=500`.
pub const FAULT_HEADER: &str = "x-sandbox-fault";
/// The payment window in seconds (default 900).
pub const WINDOW_ENV: &str = "SANDBOX_PAYMENT_WINDOW_SECS";
const DEFAULT_WINDOW: Duration = Duration::from_secs(15 * 60);

struct PayState {
    payments: Mutex<Payments>,
    faults: Mutex<Faults>,
}

/// Every KakaoPay route, with state of its own.
pub fn router() -> Router {
    let window = std::env::var(WINDOW_ENV)
        .ok()
        .and_then(|secs| secs.trim().parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_WINDOW);
    let state = Arc::new(PayState {
        payments: Mutex::new(Payments::new(window, crate::keep())),
        faults: Mutex::new(Faults::default()),
    });
    Router::new()
        .route(pay::READY_PATH, post(ready))
        .route(pay::APPROVE_PATH, post(approve))
        .route(pay::ORDER_PATH, post(order))
        .route(pay::CANCEL_PATH, post(cancel))
        .route("/kakaopay/pay/{tid}", get(payment_page))
        .route("/kakaopay/pay/{tid}/{choice}", post(choose))
        .route(
            "/sandbox/faults",
            get(faults_view).post(faults_add).delete(faults_reset),
        )
        .route("/sandbox/ledger", get(ledger_all))
        .route("/sandbox/ledger/{tid}", get(ledger_one))
        .route(
            "/sandbox/kakaopay/config",
            get(config_view).post(config_set),
        )
        .route("/sandbox/kakaopay/expire/{tid}", post(expire))
        .with_state(state)
}

type Shared = State<Arc<PayState>>;

/// A poisoned lock only means another request panicked; the data is still the sandbox's best.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn ready(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    // The page must be reachable where the caller reached the API: the same host.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    serve_call(
        &s,
        Call::Ready,
        &headers,
        &body,
        |_: &pay::ReadyRequest| None,
        move |payments, request, _| payments.ready(request, &format!("http://{host}"), Utc::now()),
    )
    .await
}

async fn approve(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    serve_call(
        &s,
        Call::Approve,
        &headers,
        &body,
        |r: &pay::ApproveRequest| Some((Counted::Approve, r.tid.clone())),
        |payments, request, faults| {
            let charge = faults.iter().find_map(|f| match f {
                Fault::ApprovedAmount(total) => Some(*total),
                _ => None,
            });
            payments.approve(&request, charge, Utc::now())
        },
    )
    .await
}

async fn order(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    serve_call(
        &s,
        Call::Order,
        &headers,
        &body,
        |r: &pay::OrderRequest| Some((Counted::Order, r.tid.clone())),
        |payments, request, _| payments.order(&request, Utc::now()),
    )
    .await
}

async fn cancel(State(s): Shared, headers: HeaderMap, body: Bytes) -> Response {
    serve_call(
        &s,
        Call::Cancel,
        &headers,
        &body,
        |r: &pay::CancelRequest| Some((Counted::Cancel, r.tid.clone())),
        |payments, request, _| payments.cancel(&request, Utc::now()),
    )
    .await
}

/// One KakaoPay API call: faults, authorization, the body, the state change, the answer.
async fn serve_call<Req, Resp>(
    s: &PayState,
    call: Call,
    headers: &HeaderMap,
    body: &[u8],
    tid_of: fn(&Req) -> Option<(Counted, String)>,
    apply: impl FnOnce(&mut Payments, Req, &[Fault]) -> Result<Resp, ApiError>,
) -> Response
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let mut faults = match headers.get(FAULT_HEADER).map(|h| h.to_str()) {
        None => Vec::new(),
        Some(Ok(text)) => match Fault::parse_list(text) {
            Ok(faults) => faults,
            Err(message) => return error_response(&ApiError::new(state::BAD_PARAMETER, &message)),
        },
        Some(Err(_)) => {
            return error_response(&ApiError::new(
                state::BAD_PARAMETER,
                "X-Sandbox-Fault is not text",
            ));
        }
    };
    let (latency, hang) = {
        let mut configured = lock(&s.faults);
        faults.extend(configured.take(call));
        (configured.latency, configured.hang)
    };
    let latency = faults.iter().fold(latency, |total, f| match f {
        Fault::Latency(d) => total + *d,
        _ => total,
    });
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(pay::parse_authorization);
    match key {
        None => {
            return error_response(&ApiError::new(
                pay::codes::MISSING_AUTHORIZATION,
                "Authorization 헤더가 없거나 형식이 올바르지 않습니다.",
            ));
        }
        Some(key) if !key.starts_with("DEV") => {
            return error_response(&ApiError::new(
                pay::codes::BAD_SECRET_KEY,
                "Secret key가 올바르지 않습니다.",
            ));
        }
        Some(_) => {}
    }

    let request: Req = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => {
            return error_response(&ApiError::new(
                state::BAD_PARAMETER,
                &format!("요청 본문을 읽을 수 없습니다: {e}"),
            ));
        }
    };
    let counted = tid_of(&request);
    if let Some((what, tid)) = &counted {
        lock(&s.payments).count(*what, tid);
    }
    let tid = counted.map(|(_, tid)| tid).unwrap_or_default();

    for fault in &faults {
        match fault {
            Fault::Status(status) => {
                tracing::info!(?call, %tid, status, "sandbox fault: bare status");
                let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
                return (status, "sandbox fault").into_response();
            }
            Fault::Error(code) => {
                return error_response(&ApiError::new(*code, "sandbox fault"));
            }
            Fault::Timeout => {
                tracing::info!(?call, %tid, "sandbox fault: timeout before acting");
                return hang_then_drop(hang).await;
            }
            Fault::UserLocked if call == Call::Approve => {
                return error_response(&ApiError::approve_failed(
                    "USER_LOCKED",
                    "진행중인 거래가 있습니다. 잠시 후 다시 시도해 주세요.",
                ));
            }
            _ => {}
        }
    }

    let result = apply(&mut lock(&s.payments), request, &faults);
    tracing::info!(
        ?call,
        %tid,
        error_code = result.as_ref().err().map(ApiError::code),
        "sandbox kakaopay call"
    );

    if faults.contains(&Fault::TimeoutAfter) {
        tracing::info!(?call, %tid, "sandbox fault: answer dropped after acting");
        return hang_then_drop(hang).await;
    }
    if call == Call::Approve && result.is_ok() && faults.contains(&Fault::BankFirmUnknown) {
        let mut error =
            ApiError::approve_failed("BANK_FIRM_UNKNOWN", "은행 응답을 확인할 수 없습니다.");
        error.http_status = 500;
        return error_response(&error);
    }
    match result {
        Ok(answer) if faults.contains(&Fault::WithoutApprovedCancelAmount) => {
            let mut answer = serde_json::to_value(answer).unwrap_or_default();
            if let Some(fields) = answer.as_object_mut() {
                fields.remove("approved_cancel_amount");
            }
            Json(answer).into_response()
        }
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error_response(&error),
    }
}

fn error_response(error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.http_status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(&error.body)).into_response()
}

/// Holds the request past any client's patience, then breaks the connection mid-answer.
async fn hang_then_drop(hang: Duration) -> Response {
    tokio::time::sleep(hang).await;
    let broken = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("the sandbox dropped this answer"))
    });
    Response::new(Body::from_stream(broken))
}

async fn payment_page(State(s): Shared, Path(tid): Path<String>) -> Response {
    let now = Utc::now();
    let mut payments = lock(&s.payments);
    match payments.open(&tid, now) {
        Some(payment) => Html(page::payment(payment, now)).into_response(),
        None => (StatusCode::NOT_FOUND, Html(page::not_found())).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct ChoiceQuery {
    /// `CARD` or `MONEY`, for `approve`.
    method: Option<String>,
}

async fn choose(
    State(s): Shared,
    Path((tid, choice)): Path<(String, String)>,
    Query(query): Query<ChoiceQuery>,
) -> Response {
    let Some(choice) = Choice::parse(&choice, query.method.as_deref()) else {
        return (StatusCode::NOT_FOUND, Html(page::not_found())).into_response();
    };
    let outcome = lock(&s.payments).choose(&tid, choice, Utc::now());
    match outcome {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(PageError::UnknownTid) => {
            (StatusCode::NOT_FOUND, Html(page::not_found())).into_response()
        }
        Err(PageError::AlreadyDone(status)) => {
            (StatusCode::CONFLICT, Html(page::already_done(&status))).into_response()
        }
        Err(PageError::MethodNotOffered(method)) => (
            StatusCode::BAD_REQUEST,
            Html(page::method_not_offered(&method)),
        )
            .into_response(),
    }
}

async fn faults_view(State(s): Shared) -> Response {
    Json(lock(&s.faults).view()).into_response()
}

async fn faults_add(State(s): Shared, Json(config): Json<FaultConfig>) -> Response {
    let mut faults = lock(&s.faults);
    match faults.configure(&config) {
        Ok(()) => Json(faults.view()).into_response(),
        Err(message) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
        }
    }
}

async fn faults_reset(State(s): Shared) -> Response {
    let mut faults = lock(&s.faults);
    *faults = Faults::default();
    Json(faults.view()).into_response()
}

async fn ledger_all(State(s): Shared) -> Response {
    Json(lock(&s.payments).ledger_all(Utc::now())).into_response()
}

async fn ledger_one(State(s): Shared, Path(tid): Path<String>) -> Response {
    match lock(&s.payments).ledger(&tid, Utc::now()) {
        Some(entry) => Json(entry).into_response(),
        None => unknown_tid(&tid),
    }
}

async fn expire(State(s): Shared, Path(tid): Path<String>) -> Response {
    let now = Utc::now();
    let mut payments = lock(&s.payments);
    if payments.expire_now(&tid, now).is_none() {
        return unknown_tid(&tid);
    }
    match payments.ledger(&tid, now) {
        Some(entry) => Json(entry).into_response(),
        None => unknown_tid(&tid),
    }
}

fn unknown_tid(tid: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": format!("unknown tid {tid}") })),
    )
        .into_response()
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayConfig {
    payment_window_secs: u64,
}

async fn config_view(State(s): Shared) -> Response {
    Json(PayConfig {
        payment_window_secs: lock(&s.payments).window.as_secs(),
    })
    .into_response()
}

async fn config_set(State(s): Shared, Json(config): Json<PayConfig>) -> Response {
    lock(&s.payments).window = Duration::from_secs(config.payment_window_secs);
    Json(config).into_response()
}
