//! The sandbox's Kakao bot Event API (reference §1.7), in memory, and the chat simulator's
//! inbox of the messages it sends:
//!
//! - `POST /v2/bots/{botId}/talk`: `Authorization: KakaoAK {KAKAO_REST_API_KEY}` (401
//!   otherwise), the bot id `KAKAO_BOT_ID` (with or without the dev `!`; 404 otherwise), a body
//!   of 1–100 users and an event name that a block of the setup file has (400 otherwise, with a
//!   Kakao-like `{code, msg}`); answers `{taskId, status: "SUCCESS", timestamp}`;
//! - `GET /v1/tasks/{taskId}`: the task's result as Kakao reports it: `ALL SUCCESS`, or `N FAIL`
//!   with the per-cause counts (`userKeyResolvingFailCount`) and `fail: {count, list}`;
//! - `GET /sandbox/events`: every request (`attempts`), every message that went out
//!   (`deliveries`, one per user) and `counts` of deliveries per event id, so tests can check
//!   that an event was sent exactly once; each log keeps its most recent `keep` entries
//!   ([`KEEP`] unless `SANDBOX_KEEP` says otherwise) and `dropped` counts the older ones it let
//!   go;
//! - faults (see [`faults`]): `POST`/`GET`/`DELETE /sandbox/events/faults`;
//! - playing Open Builder: after answering, the sandbox runs the event's block for each user,
//!   as Kakao does: it posts the SkillPayload (the request's `params` as the block's
//!   parameters) to the block's skill through the gateway, and keeps the answer in the inbox;
//! - `GET /chat/inbox?user={botUserKey}&after={seq}`: those answers for one user, which the
//!   chat simulator page polls and shows as bot messages.

mod faults;
mod ledger;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use chrono::Utc;
use kakao::event_api::{self, EventRequest, EventResponse};
use platform::Config;
use serde::Deserialize;
use serde_json::{Map, json};

use crate::chat::bot::BotFile;
use crate::chat::envelope::{self, SimUser, Turn};
use crate::chat::gateway::{Exchange, Gateway};
use crate::chat::{self, SetupError};
use faults::{Fault, FaultConfig, Faults};
use ledger::{BlockRef, Delivery, ErrorBody, InboxMessage, KeptJson, Ledger};

pub use ledger::KEEP;

/// What the Event API checks against and where it plays Open Builder.
pub struct Settings {
    pub rest_api_key: String,
    pub bot_id: String,
    /// Entries each log (attempts, deliveries, tasks, the inbox) keeps; older ones are dropped.
    pub keep: usize,
    pub chat: chat::Settings,
}

impl Settings {
    /// The key and bot id chatbot-skill sends (`KAKAO_REST_API_KEY`, `KAKAO_BOT_ID`), and the
    /// chat simulator's gateway and setup file.
    pub fn from_config(config: &Config) -> Result<Settings, SetupError> {
        Ok(Settings {
            rest_api_key: config.kakao.rest_api_key.clone(),
            bot_id: config.kakao.bot_id.clone(),
            keep: crate::keep(),
            chat: chat::Settings::from_config(config)?,
        })
    }
}

/// [`router`] as configured; a setup file that does not hold together stops the start.
pub fn routes(config: &Config) -> Result<Router, platform::Error> {
    Settings::from_config(config)
        .and_then(router)
        .map_err(|e| platform::Error::Config(e.to_string()))
}

struct Events {
    rest_api_key: String,
    bot_id: String,
    bot: BotFile,
    gateway: Gateway,
    ledger: Mutex<Ledger>,
    faults: Mutex<Faults>,
}

type Shared = State<Arc<Events>>;

/// The Event API, its sandbox controls and the chat inbox.
pub fn router(settings: Settings) -> Result<Router, SetupError> {
    let bot = BotFile::parse(&settings.chat.bot_file)?;
    let gateway = Gateway::new(
        &settings.chat.gateway_base_url,
        settings.chat.skill_secret.clone(),
    )?;
    let state = Arc::new(Events {
        rest_api_key: settings.rest_api_key,
        bot_id: settings.bot_id,
        bot,
        gateway,
        ledger: Mutex::new(Ledger::keeping(settings.keep)),
        faults: Mutex::new(Faults::default()),
    });
    Ok(Router::new()
        .route("/v2/bots/{bot_id}/talk", post(talk))
        .route("/v1/tasks/{task_id}", get(task))
        .route("/sandbox/events", get(view))
        .route(
            "/sandbox/events/faults",
            get(faults_view).post(faults_add).delete(faults_reset),
        )
        .route("/chat/inbox", get(inbox))
        .with_state(state))
}

/// A poisoned lock only means another request panicked; the data is still the sandbox's best.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kakao's REST APIs answer errors as `{"code": negative number, "msg": text}`.
fn kakao_error(status: StatusCode, code: i64, msg: &str) -> Response {
    (status, Json(json!({ "code": code, "msg": msg }))).into_response()
}

impl Events {
    /// The 401 for a request without our `Authorization: KakaoAK …`.
    fn denial(&self, headers: &HeaderMap) -> Option<Response> {
        let key = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(event_api::parse_authorization);
        let message = match key {
            Some(key) if key == self.rest_api_key => return None,
            Some(_) => "invalid app key: KakaoAK 키가 앱의 REST API 키와 다릅니다.",
            None => "Authorization: KakaoAK {REST API 키} 헤더가 필요합니다.",
        };
        Some(kakao_error(StatusCode::UNAUTHORIZED, -401, message))
    }

    fn is_our_bot(&self, bot_id: &str) -> bool {
        bot_id == self.bot_id
            || bot_id.strip_suffix(kakao::skill::payload::DEV_BOT_SUFFIX) == Some(&self.bot_id)
    }

    fn attempt(&self, request: Option<&EventRequest>, outcome: String) {
        let (event, event_id, users) = request.map_or((String::new(), None, 0), |r| {
            (r.event.name.clone(), ledger::event_id(r), r.user.len())
        });
        lock(&self.ledger).attempt(&event, event_id, users, outcome, Utc::now());
    }

    /// Runs the event's block for one delivery, as Open Builder does, and keeps the answer.
    async fn play(self: Arc<Self>, block_id: String, delivery: Delivery) {
        let Some(block) = self.bot.block(&block_id) else {
            return;
        };
        let user = SimUser {
            user_key: delivery.user.id.clone(),
            plusfriend_user_key: None,
        };
        let turn = Turn {
            block,
            utterance: String::new(),
            params: delivery.params.clone(),
            client_extra: Map::new(),
            fallback: false,
        };
        let payload = envelope::to_wire(&envelope::build(&self.bot, &user, &turn));
        let Exchange {
            url,
            status,
            response,
            violations,
            error,
            elapsed_ms,
        } = self.gateway.send(&self.bot, &block.skill, &payload).await;
        lock(&self.ledger).push_inbox(InboxMessage {
            seq: 0,
            at: Utc::now(),
            user_key: delivery.user.id,
            event: delivery.event,
            event_id: delivery.event_id,
            task_id: delivery.task_id,
            block: BlockRef {
                id: block.id.clone(),
                name: block.name.clone(),
            },
            skill: block.skill.clone(),
            url,
            request: KeptJson::from(&payload),
            status,
            response: response.as_ref().map(KeptJson::from),
            violations,
            error: error.map(|e| ErrorBody {
                kind: e.kind(),
                message: e.to_string(),
            }),
            elapsed_ms,
        });
    }
}

async fn talk(
    State(events): Shared,
    Path(bot_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fault, latency, hang) = {
        let mut faults = lock(&events.faults);
        (faults.take(), faults.latency, faults.hang)
    };
    let latency = match &fault {
        Some(Fault::Latency(extra)) => latency + *extra,
        _ => latency,
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    // Read before the checks only so that the attempt log can name the event.
    let parsed = serde_json::from_slice::<EventRequest>(&body);
    if let Some(denied) = events.denial(&headers) {
        events.attempt(parsed.as_ref().ok(), "rejected: 401".to_owned());
        return denied;
    }
    if !events.is_our_bot(&bot_id) {
        events.attempt(parsed.as_ref().ok(), "rejected: 404".to_owned());
        return kakao_error(
            StatusCode::NOT_FOUND,
            -404,
            &format!("봇을 찾을 수 없습니다: {bot_id}"),
        );
    }
    let request = match parsed {
        Ok(request) => request,
        Err(e) => {
            events.attempt(None, "rejected: 400".to_owned());
            return kakao_error(
                StatusCode::BAD_REQUEST,
                -2,
                &format!("요청 본문을 읽을 수 없습니다: {e}"),
            );
        }
    };
    let block_id = match ledger::check(&request, &events.bot) {
        Ok(event) => event.block.clone(),
        Err(message) => {
            events.attempt(Some(&request), "rejected: 400".to_owned());
            return kakao_error(StatusCode::BAD_REQUEST, -2, &message);
        }
    };
    match &fault {
        Some(Fault::Status(status)) => {
            events.attempt(Some(&request), format!("status={status}"));
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
            return kakao_error(status, -1, "sandbox fault");
        }
        Some(Fault::Timeout) => {
            events.attempt(Some(&request), "timeout".to_owned());
            return hang_then_drop(hang).await;
        }
        Some(Fault::AnswerStatus(status)) => {
            events.attempt(Some(&request), format!("answer-status={status}"));
            return Json(EventResponse {
                task_id: String::new(),
                status: status.clone(),
                message: Some("sandbox fault".to_owned()),
                timestamp: Some(Utc::now().timestamp_millis()),
            })
            .into_response();
        }
        Some(Fault::UserKeyFail) => {
            let task_id = lock(&events.ledger).unresolved(&request);
            events.attempt(Some(&request), "user-key-fail".to_owned());
            return Json(EventResponse {
                task_id,
                status: event_api::ACCEPTED.to_owned(),
                message: None,
                timestamp: Some(Utc::now().timestamp_millis()),
            })
            .into_response();
        }
        _ => {}
    }

    let (task_id, delivered) = lock(&events.ledger).deliver(&request, Utc::now());
    let outcome = match fault {
        Some(Fault::TimeoutAfter) => "timeout-after",
        _ => "delivered",
    };
    events.attempt(Some(&request), outcome.to_owned());
    tracing::info!(
        event = %request.event.name,
        users = request.user.len(),
        %task_id,
        outcome,
        "sandbox event api call"
    );
    for delivery in delivered {
        tokio::spawn(events.clone().play(block_id.clone(), delivery));
    }
    if fault == Some(Fault::TimeoutAfter) {
        return hang_then_drop(hang).await;
    }
    Json(EventResponse {
        task_id,
        status: event_api::ACCEPTED.to_owned(),
        message: None,
        timestamp: Some(Utc::now().timestamp_millis()),
    })
    .into_response()
}

/// Holds the request past any client's patience, then breaks the connection mid-answer.
async fn hang_then_drop(hang: Duration) -> Response {
    tokio::time::sleep(hang).await;
    let broken = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("the sandbox dropped this answer"))
    });
    Response::new(Body::from_stream(broken))
}

async fn task(State(events): Shared, Path(task_id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(denied) = events.denial(&headers) {
        return denied;
    }
    match lock(&events.ledger).task(&task_id) {
        Some(result) => Json(result).into_response(),
        None => kakao_error(
            StatusCode::NOT_FOUND,
            -404,
            &format!("task를 찾을 수 없습니다: {task_id}"),
        ),
    }
}

async fn view(State(events): Shared) -> Response {
    Json(lock(&events.ledger).view()).into_response()
}

async fn faults_view(State(events): Shared) -> Response {
    Json(lock(&events.faults).view()).into_response()
}

async fn faults_add(State(events): Shared, Json(config): Json<FaultConfig>) -> Response {
    let mut faults = lock(&events.faults);
    match faults.configure(&config) {
        Ok(()) => Json(faults.view()).into_response(),
        Err(message) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
        }
    }
}

async fn faults_reset(State(events): Shared) -> Response {
    let mut faults = lock(&events.faults);
    *faults = Faults::default();
    Json(faults.view()).into_response()
}

#[derive(Debug, Deserialize)]
struct InboxQuery {
    user: String,
    #[serde(default)]
    after: u64,
}

/// `GET /chat/inbox?user=…&after=…`: `{messages, last}`; `last` is the `after` to ask with
/// next. A restarted sandbox counts from zero again: an `after` beyond everything it has is
/// read as zero, so a page left open keeps getting its messages.
async fn inbox(State(events): Shared, Query(query): Query<InboxQuery>) -> Response {
    let ledger = lock(&events.ledger);
    let after = if query.after > ledger.latest() {
        0
    } else {
        query.after
    };
    let messages = ledger.inbox(&query.user, after);
    let last = messages.last().map_or(after, |m| m.seq);
    Json(json!({ "messages": messages, "last": last })).into_response()
}
