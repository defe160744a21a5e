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

/// The send's `status` when Kakao took the request; any other status is a refusal.
pub const ACCEPTED: &str = "SUCCESS";
/// A task's `status` once every message of the send went out.
pub const TASK_ALL_SUCCESS: &str = "ALL SUCCESS";

/// Answer to a send: `{"taskId": "…", "status": "SUCCESS", "timestamp": …}`.
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

impl EventResponse {
    /// Only `SUCCESS` means Kakao took the request.
    pub fn accepted(&self) -> bool {
        self.status == ACCEPTED
    }
}

/// Answer of `GET /v1/tasks/{taskId}`: `status` is `ALL SUCCESS`, or `N FAIL` with the counts
/// per cause beside the totals (`userKeyResolvingFailCount`: a user key Kakao could not resolve)
/// and the failures Kakao itemises in `fail.list` (e.g. the skill server answering an error).
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
    pub fail: Option<TaskFailures>,
    /// The per-cause counts (`…FailCount`) and whatever else Kakao adds.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskFailures {
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub count: i64,
    #[serde(deserialize_with = "lenient::null_default")]
    pub list: Vec<TaskFailure>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskFailure {
    #[serde(deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub req_user_type: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub created_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<TaskError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskError {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub error_type: Option<i64>,
    #[serde(deserialize_with = "lenient::string")]
    pub msg: String,
}

/// What a task result says about the messages of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// Every message went out.
    AllSuccess,
    /// `failed` messages did not go out; `reason` names the causes, for a log or a row.
    Failed { failed: i64, reason: String },
    /// No verdict (yet): a status that is neither of the above.
    Unsettled,
}

impl TaskResult {
    pub fn outcome(&self) -> TaskOutcome {
        let status = self.status.trim();
        if status.eq_ignore_ascii_case(TASK_ALL_SUCCESS) {
            return TaskOutcome::AllSuccess;
        }
        let failed = match status.rsplit_once(' ') {
            Some((count, word)) if word.eq_ignore_ascii_case("FAIL") => count.trim().parse().ok(),
            None if status.eq_ignore_ascii_case("FAIL") => Some(0),
            _ => None,
        };
        match failed {
            Some(failed) => TaskOutcome::Failed {
                failed: failed.max(self.fail.as_ref().map_or(0, |f| f.count)),
                reason: self.reason(),
            },
            None => TaskOutcome::Unsettled,
        }
    }

    /// The counts per cause that are above zero, e.g. `("userKeyResolvingFailCount", 1)`.
    pub fn fail_counts(&self) -> Vec<(&str, i64)> {
        self.other
            .iter()
            .filter(|(name, _)| name.ends_with("FailCount"))
            .filter_map(|(name, count)| Some((name.as_str(), count.as_i64()?)))
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    /// e.g. `1 FAIL of 2: userKeyResolvingFailCount=1; Bot skill server responded with an HTTP
    /// error. (errorType 201)`.
    fn reason(&self) -> String {
        let mut reason = self.status.trim().to_owned();
        if let Some(all) = self.all_request_count {
            reason.push_str(&format!(" of {all}"));
        }
        let mut causes: Vec<String> = self
            .fail_counts()
            .into_iter()
            .map(|(name, count)| format!("{name}={count}"))
            .collect();
        let mut messages: Vec<String> = Vec::new();
        for failure in self.fail.iter().flat_map(|f| &f.list) {
            let Some(error) = &failure.error_msg else {
                continue;
            };
            let text = match error.error_type {
                Some(kind) => format!("{} (errorType {kind})", error.msg.trim()),
                None => error.msg.trim().to_owned(),
            };
            if !messages.contains(&text) {
                messages.push(text);
            }
        }
        causes.append(&mut messages);
        if !causes.is_empty() {
            reason.push_str(": ");
            reason.push_str(&causes.join("; "));
        }
        reason
    }
}
