//! `POST /kakao/skill/{name}`: Kakao i Open Builder's skill webhooks, relayed verbatim to the
//! chatbot-skill service, whose answer (body and status) goes back as it is.
//!
//! Kakao gives a skill 5 seconds. Should chatbot-skill be down, slow or answer something that
//! is not a valid SkillResponse, the gateway answers a friendly bubble itself, with HTTP 200,
//! within its own deadline: Kakao never sees a 5xx or a broken body from us.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use contracts::chatbot::v1::HandleRequest;
use contracts::chatbot::v1::chatbot_skill_service_client::ChatbotSkillServiceClient;
use kakao::SkillResponse;
use kakao::skill::payload::{REQUEST_ID_HEADER, request_id};
use kakao::skill::response::QuickReply;
use platform::Config;
use platform::grpc::Client;

use crate::client_addr::ClientAddr;

/// The gateway's whole wait for chatbot-skill (which keeps its own budget under this).
pub const TIMEOUT: Duration = Duration::from_millis(4_500);
/// Real payloads are a few kilobytes.
const BODY_LIMIT_BYTES: usize = 256 * 1024;
/// Headers that belong to browsers, never to Kakao's calls, and are not passed on.
const DROPPED_HEADERS: [&str; 2] = ["cookie", "authorization"];
const TRY_AGAIN: &str = "지금은 답을 드리기 어려워요. 잠시 후 다시 시도해 주세요.";
const BUSY: &str = "주문이 몰려 잠시 후 다시 시도해 주세요.";
/// Where the skill routes live, so the HTTP bounds answer them in Kakao's shape when busy.
pub const PATH_PREFIX: &str = "/kakao/skill/";
const JSON: &str = "application/json; charset=utf-8";

#[derive(Clone)]
struct SkillState {
    chatbot: ChatbotSkillServiceClient<Client>,
}

pub fn router(config: &Config) -> Result<Router, platform::Error> {
    let url = config.chatbot_skill.endpoints().url;
    let state = SkillState {
        chatbot: ChatbotSkillServiceClient::new(platform::grpc::client(
            &config.identity(platform::Service::Gateway)?,
            &url,
        )?),
    };
    Ok(Router::new()
        .route(&format!("{PATH_PREFIX}{{name}}"), post(webhook))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .with_state(state))
}

async fn webhook(
    State(state): State<SkillState>,
    name: Result<Path<String>, PathRejection>,
    client: ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Kakao's id of the call goes on with the other headers to chatbot-skill, which logs it;
    // the gateway names it in the lines it logs when it answers by itself.
    let request_id =
        request_id(headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok())).to_owned();
    // An unreadable path or body still reaches chatbot-skill, which answers it properly
    // (404 for no such skill, a "start again" bubble for a body that is not a payload).
    let request = HandleRequest {
        name: name.map(|Path(n)| n).unwrap_or_default(),
        body: body.map(|b| b.to_vec()).unwrap_or_default(),
        headers: forwarded(&headers),
        client_ip: client.to_wire(),
    };
    let mut call = tonic::Request::new(request);
    call.set_timeout(TIMEOUT);
    let answer = match tokio::time::timeout(TIMEOUT, state.chatbot.clone().handle(call)).await {
        Ok(Ok(answer)) => answer.into_inner(),
        Ok(Err(status)) => {
            tracing::warn!(
                kakao_request_id = %request_id,
                code = ?status.code(),
                "chatbot-skill failed; answering try-again"
            );
            return try_again();
        }
        Err(_) => {
            tracing::warn!(
                kakao_request_id = %request_id,
                "chatbot-skill over the gateway deadline; answering try-again"
            );
            return try_again();
        }
    };
    let status = match answer.http_status {
        0 | 200 => StatusCode::OK,
        401 => StatusCode::UNAUTHORIZED,
        403 => StatusCode::FORBIDDEN,
        404 => StatusCode::NOT_FOUND,
        other => {
            tracing::warn!(
                kakao_request_id = %request_id,
                status = other,
                "chatbot-skill answered an unexpected status"
            );
            return try_again();
        }
    };
    let valid = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .is_ok_and(|body| kakao::validate(&body).is_ok());
    if !valid {
        tracing::error!(
            kakao_request_id = %request_id,
            "chatbot-skill answered an invalid SkillResponse; answering try-again"
        );
        return try_again();
    }
    let content_type = HeaderValue::from_str(&answer.content_type)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or(HeaderValue::from_static(JSON));
    (status, [(header::CONTENT_TYPE, content_type)], answer.body).into_response()
}

/// Request headers by lowercase name (several values joined), for the shared-secret check.
fn forwarded(headers: &HeaderMap) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (name, value) in headers {
        if DROPPED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let Ok(value) = value.to_str() else { continue };
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    out
}

/// The gateway's own answer when chatbot-skill cannot give one.
fn try_again() -> Response {
    bubble(TRY_AGAIN)
}

/// The answer to a skill call the gateway sheds over its concurrency cap or gives up on at the
/// request timeout: HTTP 200 and a SkillResponse, since Kakao shows nothing useful for a 503.
pub fn busy() -> Response {
    bubble(BUSY)
}

fn bubble(text: &str) -> Response {
    let response = SkillResponse::simple_text(text)
        .quick_reply(QuickReply::message("처음으로"))
        .unwrap_or_else(|_| SkillResponse::simple_text(text));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
        serde_json::to_vec(&response).unwrap_or_default(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_fallback_is_a_valid_skill_response() {
        let response = try_again();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        kakao::validate(&body).unwrap();
        assert_eq!(
            body["template"]["outputs"][0]["simpleText"]["text"],
            TRY_AGAIN
        );
    }

    #[test]
    fn browser_credentials_are_not_forwarded() {
        let mut headers = HeaderMap::new();
        headers.insert("x-simpleorder-skill-secret", HeaderValue::from_static("s"));
        headers.insert("cookie", HeaderValue::from_static("session=1"));
        headers.append("x-multi", HeaderValue::from_static("a"));
        headers.append("x-multi", HeaderValue::from_static("b"));
        let out = forwarded(&headers);
        assert_eq!(out["x-simpleorder-skill-secret"], "s");
        assert_eq!(out["x-multi"], "a, b");
        assert!(!out.contains_key("cookie"));
    }
}
