//! The chat simulator: a web page that plays Kakao i Open Builder for this bot.
//!
//! The page (`GET /chat`, plain HTML + JS embedded in the binary) sends what the user typed or
//! tapped to `POST /chat/send`; the server picks the block from the setup file
//! ([`bot`]), builds the SkillPayload Kakao would send ([`envelope`]), posts it to the gateway's
//! skill URL with the skill headers ([`gateway`]), checks the answer with `kakao::validate` and
//! returns all of it, so the page only renders. Building payloads here keeps them testable
//! without a browser and spares the page a cross-origin call. Messages the bot sends on its own
//! (the Event API, `crate::events`) reach the page through `GET /chat/inbox`, which it polls.

pub mod bot;
pub mod envelope;
pub mod gateway;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use platform::Config;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use bot::{BotFile, BotFileError};
use envelope::{SimUser, UserInput};
use gateway::{Exchange, ExchangeError, Gateway};

const INDEX_HTML: &str = include_str!("../assets/chat/index.html");
const CHAT_JS: &str = include_str!("../assets/chat/chat.js");
const CHAT_CSS: &str = include_str!("../assets/chat/chat.css");

/// What the simulator needs: where the gateway is, the secret, and the setup file's text.
/// Not `Debug`, so the secret cannot end up in a log line.
#[derive(Clone)]
pub struct Settings {
    /// `PUBLIC_BASE_URL`: the gateway as Kakao reaches it.
    pub gateway_base_url: String,
    pub skill_secret: Option<String>,
    pub bot_file: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read KAKAO_OPENBUILDER_FILE={}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    BotFile(#[from] BotFileError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl Settings {
    /// The gateway from `PUBLIC_BASE_URL`, the secret from `KAKAO_SKILL_SECRET`, and the setup
    /// file from `KAKAO_OPENBUILDER_FILE` (the copy with the real bot's block ids, which
    /// chatbot-skill reads too, so both agree) or else the committed one.
    pub fn from_config(config: &Config) -> Result<Settings, SetupError> {
        let bot_file = match &config.kakao.openbuilder_file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| SetupError::Read {
                path: path.clone(),
                source,
            })?,
            None => bot::EMBEDDED.to_owned(),
        };
        Ok(Settings {
            gateway_base_url: config.public_base_url.clone(),
            skill_secret: config.kakao.skill_secret.clone(),
            bot_file,
        })
    }
}

#[derive(Clone)]
struct Chat {
    bot: Arc<BotFile>,
    bot_file: Arc<str>,
    gateway: Gateway,
}

/// The simulator's routes under `/chat`. Fails on a setup file that does not hold together.
pub fn router(settings: Settings) -> Result<Router, SetupError> {
    let bot = BotFile::parse(&settings.bot_file)?;
    let gateway = Gateway::new(&settings.gateway_base_url, settings.skill_secret)?;
    let chat = Chat {
        bot: Arc::new(bot),
        bot_file: settings.bot_file.into(),
        gateway,
    };
    Ok(Router::new()
        .route("/chat", get(|| async { Html(INDEX_HTML) }))
        .route(
            "/chat/chat.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHAT_JS) }),
        )
        .route(
            "/chat/chat.css",
            get(|| async { asset("text/css; charset=utf-8", CHAT_CSS) }),
        )
        .route("/chat/bot.json", get(bot_json))
        .route("/chat/send", post(send))
        .with_state(chat))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn bot_json(State(chat): State<Chat>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        chat.bot_file.to_string(),
    )
        .into_response()
}

/// `POST /chat/send`: the simulated user plus exactly one of `utterance`, `button`
/// (`{blockId, label, messageText, extra}`) or `location` (`{latitude, longitude}`).
#[derive(Debug, Deserialize)]
struct SendRequest {
    #[serde(flatten)]
    user: SimUser,
    #[serde(flatten)]
    input: UserInput,
}

#[derive(Debug, Serialize)]
struct SendResponse {
    block: BlockRef,
    skill: String,
    /// No example utterance matched, so Open Builder ran the fallback block.
    fallback: bool,
    url: String,
    /// The SkillPayload as sent.
    request: Value,
    status: Option<u16>,
    response: Option<Value>,
    violations: Vec<String>,
    error: Option<ErrorBody>,
    elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
struct BlockRef {
    id: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    kind: &'static str,
    message: String,
}

async fn send(
    State(chat): State<Chat>,
    body: Result<Json<SendRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request(rejection.body_text()),
    };
    if let Err(e) = request.user.check() {
        return bad_request(e);
    }
    let turn = match request.input.resolve(&chat.bot) {
        Ok(turn) => turn,
        Err(e) => return bad_request(e),
    };
    let payload = envelope::to_wire(&envelope::build(&chat.bot, &request.user, &turn));
    let Exchange {
        url,
        status,
        response,
        violations,
        error,
        elapsed_ms,
    } = chat
        .gateway
        .send(&chat.bot, &turn.block.skill, &payload)
        .await;
    let http_status = match &error {
        None => StatusCode::OK,
        Some(ExchangeError::Timeout) => StatusCode::GATEWAY_TIMEOUT,
        Some(_) => StatusCode::BAD_GATEWAY,
    };
    let body = SendResponse {
        block: BlockRef {
            id: turn.block.id.clone(),
            name: turn.block.name.clone(),
        },
        skill: turn.block.skill.clone(),
        fallback: turn.fallback,
        url,
        request: payload,
        status,
        response,
        violations,
        error: error.map(|e| ErrorBody {
            kind: e.kind(),
            message: e.to_string(),
        }),
        elapsed_ms,
    };
    (http_status, Json(body)).into_response()
}

fn bad_request(message: impl ToString) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": { "kind": "bad_request", "message": message.to_string() } })),
    )
        .into_response()
}
