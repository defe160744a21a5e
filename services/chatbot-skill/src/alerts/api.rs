//! Kakao's bot Event API as the alerts need it: one `POST /v2/bots/{botId}/talk` with a
//! deadline, its outcome sorted by what it tells us about the customer's phone, and the task
//! result of a send Kakao took (`GET /v1/tasks/{taskId}`).

use std::time::Duration;

use kakao::event_api::{self, EventRequest, EventResponse, TaskResult};
use platform::config::KakaoConfig;
use platform::telemetry::Outbound;
use tracing::Instrument;

/// Enough of Kakao's error body to act on, not a whole HTML page.
const DETAIL_MAX_CHARS: usize = 300;

/// Not `Debug`: it holds the REST API key.
#[derive(Clone)]
pub struct EventApi {
    http: reqwest::Client,
    base_url: String,
    talk_url: String,
    authorization: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Kakao took the request: it answered `SUCCESS`.
    Accepted { task_id: String },
    /// Kakao answered that it will never take this request (a 4xx).
    Refused { status: u16, detail: String },
    /// The request surely did not reach anyone: no connection, Kakao said to come back later
    /// (429), or it answered a status other than `SUCCESS`.
    NotSent(String),
    /// Nobody knows whether Kakao acted: a timeout, a broken connection, a 5xx, an answer that
    /// cannot be read.
    Unknown(String),
}

impl EventApi {
    pub fn new(kakao: &KakaoConfig, deadline: Duration) -> Result<EventApi, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(deadline)
            .connect_timeout(deadline)
            .build()?;
        let base_url = kakao.bot_api_base_url.trim_end_matches('/').to_owned();
        Ok(EventApi {
            http,
            talk_url: format!("{base_url}{}", event_api::talk_path(&kakao.bot_id)),
            base_url,
            authorization: event_api::authorization_value(&kakao.rest_api_key),
        })
    }

    /// The result of the send Kakao gave `task_id`; why there is none otherwise.
    pub async fn task(&self, task_id: &str) -> Result<TaskResult, String> {
        let outbound = Outbound::start("event_api", "task", "GET", "/v1/tasks/{taskId}");
        let response = self
            .http
            .get(format!(
                "{}{}",
                self.base_url,
                event_api::task_path(task_id)
            ))
            .header(event_api::AUTHORIZATION_HEADER, &self.authorization)
            .send()
            .instrument(outbound.span())
            .await;
        outbound.finish(response.as_ref().ok().map(|r| r.status().as_u16()));
        let response =
            response.map_err(|e| format!("task lookup: no answer: {}", e.without_url()))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("task lookup: HTTP {status}, body broke off: {e}"))?;
        if !(200..300).contains(&status) {
            return Err(format!("task lookup: HTTP {status}: {}", detail(&body)));
        }
        serde_json::from_slice(&body)
            .map_err(|e| format!("task lookup: unreadable answer ({e}): {}", detail(&body)))
    }

    pub async fn send(&self, request: &EventRequest) -> Outcome {
        let outbound = Outbound::start("event_api", "talk", "POST", "/v2/bots/{botId}/talk");
        let sent = self
            .http
            .post(&self.talk_url)
            .header(event_api::AUTHORIZATION_HEADER, &self.authorization)
            .json(request)
            .send()
            .instrument(outbound.span())
            .await;
        outbound.finish(sent.as_ref().ok().map(|r| r.status().as_u16()));
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Outcome::NotSent(format!("no connection: {e}")),
            Err(e) if e.is_timeout() => return Outcome::Unknown("no answer in time".to_owned()),
            Err(e) => return Outcome::Unknown(format!("the exchange broke off: {e}")),
        };
        let status = response.status().as_u16();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return Outcome::Unknown(format!("HTTP {status}, body broke off: {e}")),
        };
        classify(status, &body)
    }
}

fn detail(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(DETAIL_MAX_CHARS)
        .collect()
}

/// The outcome of an answer with `status` and `body`. Only a `SUCCESS` status is Kakao taking
/// the request.
pub fn classify(status: u16, body: &[u8]) -> Outcome {
    let detail = || detail(body);
    match status {
        200..=299 => match serde_json::from_slice::<EventResponse>(body) {
            Ok(answer) if answer.accepted() => Outcome::Accepted {
                task_id: answer.task_id,
            },
            Ok(answer) => Outcome::NotSent(format!(
                "HTTP {status} with status {:?}: {}",
                answer.status,
                detail()
            )),
            Err(_) => Outcome::Unknown(format!("HTTP {status}, unreadable answer: {}", detail())),
        },
        429 => Outcome::NotSent(format!("HTTP 429: {}", detail())),
        408 => Outcome::Unknown(format!("HTTP 408: {}", detail())),
        400..=499 => Outcome::Refused {
            status,
            detail: detail(),
        },
        _ => Outcome::Unknown(format!("HTTP {status}: {}", detail())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_sort_into_what_they_say_about_the_message() {
        assert_eq!(
            classify(200, br#"{"taskId":"t-1","status":"SUCCESS"}"#),
            Outcome::Accepted {
                task_id: "t-1".into()
            }
        );
        assert!(matches!(classify(200, b"not json"), Outcome::Unknown(_)));
        for answer in [
            br#"{"taskId":"t","status":"FAIL"}"#.as_slice(),
            br#"{"taskId":"t","status":"success"}"#,
            br#"{"taskId":"t"}"#,
            b"{}",
        ] {
            assert!(
                matches!(classify(200, answer), Outcome::NotSent(ref reason) if reason.contains("status")),
                "{}",
                String::from_utf8_lossy(answer)
            );
        }
        assert!(matches!(
            classify(200, br#"{"taskId":"t","status":"FAIL","message":"bad user"}"#),
            Outcome::NotSent(ref reason) if reason.contains("bad user")
        ));
        assert!(matches!(
            classify(400, br#"{"code":-2}"#),
            Outcome::Refused { status: 400, ref detail } if detail.contains("-2")
        ));
        assert!(matches!(
            classify(401, b""),
            Outcome::Refused { status: 401, .. }
        ));
        assert!(matches!(classify(429, b""), Outcome::NotSent(_)));
        assert!(matches!(classify(408, b""), Outcome::Unknown(_)));
        assert!(matches!(classify(500, b"oops"), Outcome::Unknown(ref e) if e.contains("500")));
        assert!(matches!(classify(503, b""), Outcome::Unknown(_)));
        let long = vec![b'x'; 10_000];
        let Outcome::Refused { detail, .. } = classify(400, &long) else {
            panic!("a 400 is refused");
        };
        assert_eq!(detail.len(), DETAIL_MAX_CHARS);
    }
}
