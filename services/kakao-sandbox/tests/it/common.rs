//! A stand-in gateway that records every skill call, and the chat simulator served on a free port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kakao_sandbox::chat::{self, Settings};
use serde_json::{Value, json};
use tokio::net::TcpListener;

pub const SECRET: &str = "test-skill-secret";
pub const SECRET_HEADER: &str = "x-simpleorder-skill-secret";

/// One skill call as the gateway received it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub skill: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// How the stand-in gateway answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(StatusCode, Value),
    Text(StatusCode, &'static str),
    SleepThenJson(Duration, Value),
}

#[derive(Clone)]
struct GatewayState {
    answer: Answer,
    calls: Arc<Mutex<Vec<Captured>>>,
}

pub struct FakeGateway {
    pub url: String,
    calls: Arc<Mutex<Vec<Captured>>>,
}

impl FakeGateway {
    pub async fn start(answer: Answer) -> FakeGateway {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let state = GatewayState {
            answer,
            calls: calls.clone(),
        };
        let app = Router::new()
            .route("/kakao/skill/{name}", post(skill))
            .with_state(state);
        let url = serve(app).await;
        FakeGateway { url, calls }
    }

    pub fn calls(&self) -> Vec<Captured> {
        self.calls.lock().expect("not poisoned").clone()
    }

    pub fn only_call(&self) -> Captured {
        let calls = self.calls();
        assert_eq!(calls.len(), 1, "exactly one skill call expected: {calls:?}");
        calls.into_iter().next().expect("one call")
    }
}

async fn skill(
    State(state): State<GatewayState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.calls.lock().expect("not poisoned").push(Captured {
        skill: name,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    match state.answer {
        Answer::Json(status, value) => (status, axum::Json(value)).into_response(),
        Answer::Text(status, text) => (status, text).into_response(),
        Answer::SleepThenJson(delay, value) => {
            tokio::time::sleep(delay).await;
            axum::Json(value).into_response()
        }
    }
}

/// Serves `app` on a free loopback port for the rest of the test.
pub async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The chat simulator pointed at `gateway_url` (`PUBLIC_BASE_URL`) with the committed setup file.
pub async fn sandbox(gateway_url: &str, secret: Option<&str>) -> String {
    let mut config = platform::Config::local();
    config.public_base_url = gateway_url.to_owned();
    config.kakao.skill_secret = secret.map(str::to_owned);
    config.kakao.openbuilder_file = None;
    let settings = Settings::from_config(&config).expect("settings");
    serve(chat::router(settings).expect("router")).await
}

/// A valid answer with one simpleText and a block quick reply.
pub fn hello_answer() -> Value {
    json!({
        "version": "2.0",
        "template": {
            "outputs": [{ "simpleText": { "text": "안녕하세요" } }],
            "quickReplies": [{ "label": "메뉴", "action": "block", "blockId": "blk_menu",
                               "extra": { "store_id": "s1" } }]
        }
    })
}

pub async fn post_send(sandbox: &str, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{sandbox}/chat/send"))
        .json(&body)
        .send()
        .await
        .expect("sandbox answers");
    let status = res.status();
    let body = res.json::<Value>().await.expect("JSON body");
    (StatusCode::from_u16(status.as_u16()).expect("status"), body)
}
