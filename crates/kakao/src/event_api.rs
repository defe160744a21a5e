//! Kakao bot Event API: proactive messages to users of a chatbot channel.
//!
//! `POST {bot-api}/v2/bots/{botId}/talk` with `Authorization: KakaoAK {REST API key}` runs the
//! block that has the event name set, for each listed user (at most 100 per request).
//! The development channel's bot id carries a `!` suffix.

use crate::lenient;
use crate::skill::response::LimitError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const AUTHORIZATION_HEADER: &str = "Authorization";
/// `Authorization: KakaoAK {REST API key}`.
pub const AUTHORIZATION_SCHEME: &str = "KakaoAK";
pub const USERS_PER_REQUEST_MAX: usize = 100;

pub fn authorization_value(rest_api_key: &str) -> String {
    format!("{AUTHORIZATION_SCHEME} {rest_api_key}")
}

/// The key from an `Authorization: KakaoAK …` header value, if it has that scheme.
pub fn parse_authorization(header_value: &str) -> Option<&str> {
    header_value
        .strip_prefix(AUTHORIZATION_SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// `/v2/bots/{botId}/talk`.
pub fn talk_path(bot_id: &str) -> String {
    format!("/v2/bots/{bot_id}/talk")
}

/// `/v1/tasks/{taskId}`: the result of one send.
pub fn task_path(task_id: &str) -> String {
    format!("/v1/tasks/{task_id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRequest {
    pub event: Event,
    /// Recipients, at most 100 (see [`EventRequest::batches`] and [`EventRequest::check`]).
    #[serde(default)]
    pub user: Vec<EventUser>,
    /// Block parameters; omitted when the block has none.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "lenient::string_map"
    )]
    pub params: BTreeMap<String, String>,
}

impl EventRequest {
    /// One request per 100 users, each with the same event and params. No users, no requests.
    pub fn batches(
        event: Event,
        users: Vec<EventUser>,
        params: BTreeMap<String, String>,
    ) -> Vec<EventRequest> {
        users
            .chunks(USERS_PER_REQUEST_MAX)
            .map(|chunk| EventRequest {
                event: event.clone(),
                user: chunk.to_vec(),
                params: params.clone(),
            })
            .collect()
    }

    /// 1–100 users, as Kakao accepts.
    pub fn check(&self) -> Result<(), LimitError> {
        let got = self.user.len();
        if got == 0 {
            Err(LimitError::TooFew {
                what: "user",
                min: 1,
                got,
            })
        } else if got > USERS_PER_REQUEST_MAX {
            Err(LimitError::TooMany {
                what: "user",
                max: USERS_PER_REQUEST_MAX,
                got,
            })
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event name set on the target block.
    pub name: String,
    /// e.g. `{"text": "…"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
}

impl Event {
    pub fn new(name: impl Into<String>) -> Self {
        Event {
            name: name.into(),
            data: None,
        }
    }

    pub fn data(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.data
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UserKeyType {
    BotUserKey,
    PlusfriendUserKey,
    AppUserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventUser {
    #[serde(rename = "type")]
    pub kind: UserKeyType,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
}

impl EventUser {
    pub fn bot_user_key(id: impl Into<String>) -> Self {
        Self::new(UserKeyType::BotUserKey, id)
    }

    pub fn plusfriend_user_key(id: impl Into<String>) -> Self {
        Self::new(UserKeyType::PlusfriendUserKey, id)
    }

    pub fn app_user_id(id: impl Into<String>) -> Self {
        Self::new(UserKeyType::AppUserId, id)
    }

    fn new(kind: UserKeyType, id: impl Into<String>) -> Self {
        EventUser {
            kind,
            id: id.into(),
            properties: None,
        }
    }
}

/// Answer to a send. Some clients also see `message`/`timestamp`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub task_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub message: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub timestamp: Option<i64>,
}

/// Answer of `GET /v1/tasks/{taskId}` (field names seen in third-party clients only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskResult {
    #[serde(deserialize_with = "lenient::string")]
    pub task_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub all_request_count: Option<i64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub success_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail: Option<Value>,
}
