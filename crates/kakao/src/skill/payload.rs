//! The SkillPayload Kakao i Open Builder POSTs to a skill URL.
//!
//! Parsing is tolerant by design: Kakao adds fields over time and real traffic differs from
//! the doc samples, so unknown fields are ignored, every field has a default, `null` is read
//! as "absent", scalars in string maps are accepted as text, and `lang` is free text
//! (`"kr"` in docs, `"ko"` in real traffic). The types also serialize (camelCase), so the
//! sandbox can play Kakao's side.

use crate::lenient;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Suffix Kakao appends to the bot id for traffic from the development channel.
pub const DEV_BOT_SUFFIX: char = '!';

/// The header carrying Kakao's id of one skill call (e.g. `chp-…`), by its lowercase name.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
const REQUEST_ID_MAX_BYTES: usize = 128;

/// Kakao's request id as it may go into a log line (an operator quotes it to Kakao support):
/// the header's value when it looks like an id, otherwise `-`, so a forged header cannot write
/// into the log.
pub fn request_id(header_value: Option<&str>) -> &str {
    header_value
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= REQUEST_ID_MAX_BYTES
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .unwrap_or("-")
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SkillPayload {
    #[serde(deserialize_with = "lenient::null_default")]
    pub intent: Intent,
    #[serde(deserialize_with = "lenient::null_default")]
    pub user_request: UserRequest,
    #[serde(deserialize_with = "lenient::null_default")]
    pub bot: Bot,
    #[serde(deserialize_with = "lenient::null_default")]
    pub action: Action,
    /// Active contexts; their shape is undocumented, so they stay raw JSON.
    #[serde(deserialize_with = "lenient::null_default")]
    pub contexts: Vec<Value>,
}

/// The block that matched the utterance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Intent {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// `reason`, `knowledge` (지식+ matches): kept raw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserRequest {
    #[serde(deserialize_with = "lenient::string")]
    pub timezone: String,
    #[serde(deserialize_with = "lenient::null_default")]
    pub block: Block,
    #[serde(deserialize_with = "lenient::string")]
    pub utterance: String,
    #[serde(deserialize_with = "lenient::string")]
    pub lang: String,
    /// e.g. `{"surface":"Kakaotalk.plusfriend"}` or `{"surface":"BuilderBotTest","ignoreMe":"true"}`.
    #[serde(deserialize_with = "lenient::string_map")]
    pub params: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::null_default")]
    pub user: User,
    /// Present only when the block has AI-chatbot callback enabled; valid 1 minute, single use.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub callback_url: Option<String>,
    /// Group (team-chat) bots only: `{id, type:"botGroupKey", properties}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Block {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    /// The botUserKey (per bot; up to 70 chars).
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `"botUserKey"` today; legacy samples used `"talk_user_id"`.
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: String,
    #[serde(deserialize_with = "lenient::null_default")]
    pub properties: UserProperties,
}

/// User keys and flags. Real payloads carry both camelCase and snake_case copies of the same
/// key, so each spelling has its own field (`*_snake`); the helpers on [`SkillPayload`] and
/// [`UserProperties`] pick whichever is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserProperties {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub plusfriend_user_key: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub app_user_id: Option<String>,
    /// Channel friend; may be absent when the user is not a friend.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_bool"
    )]
    pub is_friend: Option<bool>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub bot_user_key: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub app_user_status: Option<String>,
    /// Seen in one real fixture; meaning undocumented.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub account_id: Option<String>,
    #[serde(
        rename = "plusfriend_user_key",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub plusfriend_user_key_snake: Option<String>,
    #[serde(
        rename = "app_user_id",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub app_user_id_snake: Option<String>,
    #[serde(
        rename = "bot_user_key",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub bot_user_key_snake: Option<String>,
    #[serde(
        rename = "app_user_status",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub app_user_status_snake: Option<String>,
}

fn first_non_empty<'a>(candidates: &[&'a Option<String>]) -> Option<&'a str> {
    candidates
        .iter()
        .filter_map(|c| c.as_deref())
        .map(str::trim)
        .find(|s| !s.is_empty())
}

impl UserProperties {
    pub fn plusfriend_user_key(&self) -> Option<&str> {
        first_non_empty(&[&self.plusfriend_user_key, &self.plusfriend_user_key_snake])
    }

    pub fn app_user_id(&self) -> Option<&str> {
        first_non_empty(&[&self.app_user_id, &self.app_user_id_snake])
    }

    pub fn bot_user_key(&self) -> Option<&str> {
        first_non_empty(&[&self.bot_user_key, &self.bot_user_key_snake])
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bot {
    /// Ends with `!` for the development channel.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

/// The skill call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Action {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Block parameters; system entities (`sys_number`, `sys_date`) arrive JSON-encoded.
    #[serde(deserialize_with = "lenient::string_map")]
    pub params: BTreeMap<String, String>,
    #[serde(deserialize_with = "lenient::null_default")]
    pub detail_params: BTreeMap<String, DetailParam>,
    /// The `extra` of the button or quick reply that triggered the block. `null`, the legacy
    /// string `"null"` and any other non-object read as empty.
    #[serde(deserialize_with = "lenient::object")]
    pub client_extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DetailParam {
    /// The raw text the user typed.
    #[serde(deserialize_with = "lenient::string")]
    pub origin: String,
    /// The resolved value.
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
}

impl SkillPayload {
    /// The user's botUserKey: `user.id`, falling back to `properties.botUserKey`/`bot_user_key`.
    pub fn bot_user_key(&self) -> Option<&str> {
        let user = &self.user_request.user;
        Some(user.id.trim())
            .filter(|id| !id.is_empty())
            .or_else(|| user.properties.bot_user_key())
    }

    pub fn plusfriend_user_key(&self) -> Option<&str> {
        self.user_request.user.properties.plusfriend_user_key()
    }

    pub fn app_user_id(&self) -> Option<&str> {
        self.user_request.user.properties.app_user_id()
    }

    pub fn utterance(&self) -> &str {
        &self.user_request.utterance
    }

    pub fn callback_url(&self) -> Option<&str> {
        self.user_request
            .callback_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
    }

    /// A parameter by name: `action.params`, then `detailParams[name].value`, then a string
    /// value in `clientExtra` (so a button's `extra` can stand in for a typed parameter).
    pub fn param(&self, name: &str) -> Option<&str> {
        let action = &self.action;
        action
            .params
            .get(name)
            .map(String::as_str)
            .or_else(|| action.detail_params.get(name).map(|p| p.value.as_str()))
            .or_else(|| action.client_extra.get(name).and_then(Value::as_str))
    }

    /// A `clientExtra` value as `T`. A string holding JSON (e.g. `"3"` for a number) is also
    /// tried, because extras typed into the Open Builder UI arrive as strings. `None` when
    /// absent or not convertible.
    pub fn extra<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let value = self.action.client_extra.get(name)?;
        serde_json::from_value::<T>(value.clone())
            .ok()
            .or_else(|| match value {
                Value::String(s) => serde_json::from_str::<T>(s).ok(),
                _ => None,
            })
    }

    /// `userRequest.params.surface`: `"Kakaotalk.plusfriend"` on a channel, `"BuilderBotTest"`
    /// in the Open Builder bot test.
    pub fn surface(&self) -> Option<&str> {
        self.user_request.params.get("surface").map(String::as_str)
    }

    pub fn is_builder_bot_test(&self) -> bool {
        self.surface() == Some("BuilderBotTest")
    }

    /// Traffic from the development channel (bot id ends with `!`).
    pub fn is_dev_bot(&self) -> bool {
        self.bot.id.ends_with(DEV_BOT_SUFFIX)
    }

    /// The bot id with the development suffix removed, to compare with the configured id.
    pub fn bot_id_without_dev_suffix(&self) -> &str {
        self.bot
            .id
            .strip_suffix(DEV_BOT_SUFFIX)
            .unwrap_or(&self.bot.id)
    }
}
