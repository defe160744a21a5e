//! Kakao's bot Event API as the alerts need it: one `POST /v2/bots/{botId}/talk` with a
//! deadline, and its outcome sorted by what it tells us about the customer's phone.

use std::time::Duration;

use kakao::event_api::{self, EventRequest, EventResponse};
use platform::config::KakaoConfig;

/// Enough of Kakao's error body to act on, not a whole HTML page.
const DETAIL_MAX_CHARS: usize = 300;

/// Not `Debug`: it holds the REST API key.
#[derive(Clone)]
pub struct EventApi {
    http: reqwest::Client,
    talk_url: String,
    authorization: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Kakao took the request.
    Accepted { task_id: String },
    /// Kakao answered that it will never take this request (a 4xx, or a `FAIL` status).
    Refused { status: u16, detail: String },
    /// The request surely did not reach Kakao, or Kakao said to come back later (429).
    NotSent(String),
    /// Nobody knows whether Kakao acted: a timeout, a broken connection, a 5xx.
    Unknown(String),
}

impl EventApi {
    pub fn new(kakao: &KakaoConfig, deadline: Duration) -> Result<EventApi, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(deadline)
            .connect_timeout(deadline)
            .build()?;
        Ok(EventApi {
            http,
            talk_url: format!(
                "{}{}",
                kakao.bot_api_base_url.trim_end_matches('/'),
                event_api::talk_path(&kakao.bot_id)
            ),
            authorization: event_api::authorization_value(&kakao.rest_api_key),
        })
    }

    pub async fn send(&self, request: &EventRequest) -> Outcome {
        let sent = self
            .http
            .post(&self.talk_url)
            .header(event_api::AUTHORIZATION_HEADER, &self.authorization)
            .json(request)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Outcome::NotSent(format!("no connection: {e}")),
            Err(e) if e.is_timeout() => return Outcome::Unknown("no answer in time".to_owned()),
            Err(e) => return Outcome::Unknown(format!("the exchange broke off: {e}")),
        };
        let status = response.status().as_u16();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) if (200..300).contains(&status) => {
                tracing::warn!(error = %e, "Event API accepted the alert; its answer broke off");
                return Outcome::Accepted {
                    task_id: String::new(),
                };
            }
            Err(e) => return Outcome::Unknown(format!("HTTP {status}, body broke off: {e}")),
        };
        classify(status, &body)
    }
}

/// The outcome of an answer with `status` and `body`.
pub fn classify(status: u16, body: &[u8]) -> Outcome {
    let detail = || {
        String::from_utf8_lossy(body)
            .chars()
            .take(DETAIL_MAX_CHARS)
            .collect::<String>()
    };
    match status {
        200..=299 => {
            let answer: EventResponse = serde_json::from_slice(body).unwrap_or_default();
            if answer.status.eq_ignore_ascii_case("FAIL") {
                Outcome::Refused {
                    status,
                    detail: detail(),
                }
            } else {
                Outcome::Accepted {
                    task_id: answer.task_id,
                }
            }
        }
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
        assert_eq!(
            classify(200, b"not json"),
            Outcome::Accepted {
                task_id: String::new()
            }
        );
        assert!(matches!(
            classify(200, br#"{"taskId":"t","status":"FAIL"}"#),
            Outcome::Refused { status: 200, .. }
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
