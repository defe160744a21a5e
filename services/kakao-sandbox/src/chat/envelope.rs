//! What the simulated user did (typed, tapped, shared a location) turned into the SkillPayload
//! Open Builder would POST to the block's skill: the full envelope, as Kakao sends it.

use std::collections::BTreeMap;

use kakao::skill::payload::{
    Action, Block, Bot, DetailParam, Intent, SkillPayload, User, UserProperties, UserRequest,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::bot::{BlockDef, BotFile, NUMBER_ENTITY};

/// Kakao's botUserKey is at most 70 characters.
const USER_KEY_MAX: usize = 70;
/// A chat message longer than this is not something a person types into KakaoTalk.
const UTTERANCE_MAX: usize = 1000;
/// `userRequest.params.surface` of traffic from a real channel.
const CHANNEL_SURFACE: &str = "Kakaotalk.plusfriend";
/// What the simulated user sends when sharing a location.
pub const LOCATION_UTTERANCE: &str = "내 위치 보내기";

/// Bad simulator input: answered 400 with this message.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InputError {
    #[error("user_key must be 1–{USER_KEY_MAX} printable characters")]
    UserKey,
    #[error("send exactly one of utterance, button or location")]
    NotOneInput,
    #[error("the utterance is empty or longer than {UTTERANCE_MAX} characters")]
    Utterance,
    #[error("the button targets block {0:?}, which the setup file does not have")]
    UnknownBlock(String),
    #[error("latitude must be within ±90 and longitude within ±180")]
    Location,
    #[error("no block of the setup file takes latitude and longitude parameters")]
    NoLocationBlock,
}

/// The simulated user: a stable fake botUserKey per browser, and its channel key.
#[derive(Debug, Clone, Deserialize)]
pub struct SimUser {
    pub user_key: String,
    #[serde(default)]
    pub plusfriend_user_key: Option<String>,
}

/// A `block` button or quick reply as the skill answered it (Kakao's field names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ButtonTap {
    pub block_id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub message_text: Option<String>,
    #[serde(default)]
    pub extra: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

/// What the user did. Exactly one of the three is set.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInput {
    #[serde(default)]
    pub utterance: Option<String>,
    #[serde(default)]
    pub button: Option<ButtonTap>,
    #[serde(default)]
    pub location: Option<Location>,
}

/// One turn: the block Open Builder runs and what it hands the skill.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    pub block: &'a BlockDef,
    pub utterance: String,
    /// Parameter name → what the user said for it.
    pub params: BTreeMap<String, String>,
    pub client_extra: Map<String, Value>,
    /// Open Builder fell back because no example utterance matched.
    pub fallback: bool,
}

impl UserInput {
    /// Picks the block as Open Builder would: a typed utterance by its example utterances, a
    /// button by its `blockId`, a location to the block that takes coordinates.
    pub fn resolve<'a>(&self, bot: &'a BotFile) -> Result<Turn<'a>, InputError> {
        match (&self.utterance, &self.button, &self.location) {
            (Some(utterance), None, None) => {
                let utterance = utterance.trim();
                if utterance.is_empty() || utterance.chars().count() > UTTERANCE_MAX {
                    return Err(InputError::Utterance);
                }
                let matched = bot.match_utterance(utterance);
                // Open Builder's entity recognition, played with the sandbox's gazetteer: a
                // known place name fills the block's location parameter, other text its free
                // text parameter.
                let params = matched
                    .remainder
                    .and_then(|text| {
                        let param = matched
                            .block
                            .location_param()
                            .filter(|_| crate::local::knows_place(&text))
                            .or(matched.block.text_param())?;
                        Some((param.name.clone(), text))
                    })
                    .into_iter()
                    .collect();
                Ok(Turn {
                    block: matched.block,
                    utterance: utterance.to_owned(),
                    params,
                    client_extra: Map::new(),
                    fallback: matched.fallback,
                })
            }
            (None, Some(button), None) => {
                let block = bot
                    .block(&button.block_id)
                    .ok_or_else(|| InputError::UnknownBlock(button.block_id.clone()))?;
                // The chat shows, and the bot receives, the echo text or else the label.
                let utterance = [&button.message_text, &button.label]
                    .into_iter()
                    .flatten()
                    .map(|s| s.trim())
                    .find(|s| !s.is_empty())
                    .unwrap_or(&block.name);
                Ok(Turn {
                    block,
                    utterance: utterance.to_owned(),
                    params: BTreeMap::new(),
                    client_extra: button.extra.clone().unwrap_or_default(),
                    fallback: false,
                })
            }
            (None, None, Some(location)) => {
                let Location {
                    latitude,
                    longitude,
                } = *location;
                if !(latitude.is_finite()
                    && longitude.is_finite()
                    && latitude.abs() <= 90.0
                    && longitude.abs() <= 180.0)
                {
                    return Err(InputError::Location);
                }
                let block = bot.location_block().ok_or(InputError::NoLocationBlock)?;
                Ok(Turn {
                    block,
                    utterance: LOCATION_UTTERANCE.to_owned(),
                    params: BTreeMap::from([
                        ("latitude".to_owned(), latitude.to_string()),
                        ("longitude".to_owned(), longitude.to_string()),
                    ]),
                    client_extra: Map::new(),
                    fallback: false,
                })
            }
            _ => Err(InputError::NotOneInput),
        }
    }
}

impl SimUser {
    pub fn check(&self) -> Result<(), InputError> {
        let key = &self.user_key;
        let len = key.chars().count();
        if len == 0 || len > USER_KEY_MAX || key.chars().any(|c| c.is_control() || c == ' ') {
            return Err(InputError::UserKey);
        }
        Ok(())
    }

    /// The channel-scoped key: the browser's own, or one derived from the botUserKey.
    fn plusfriend_user_key(&self) -> String {
        self.plusfriend_user_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.chars().count() <= USER_KEY_MAX)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("pf-{}", self.user_key.chars().take(16).collect::<String>()))
    }
}

/// The SkillPayload for `turn`: intent and userRequest.block name the block, action the skill,
/// the user carries both camelCase and snake_case keys as real payloads do.
pub fn build(bot: &BotFile, user: &SimUser, turn: &Turn<'_>) -> SkillPayload {
    let block = turn.block;
    let plusfriend_user_key = user.plusfriend_user_key();
    let mut params = BTreeMap::new();
    let mut detail_params = BTreeMap::new();
    for (name, said) in &turn.params {
        let entity = block.param(name).map(|p| p.entity.as_str());
        let value = entity_value(entity, said);
        detail_params.insert(
            name.clone(),
            DetailParam {
                origin: said.clone(),
                value: value.clone(),
                group_name: String::new(),
            },
        );
        params.insert(name.clone(), value);
    }
    SkillPayload {
        intent: Intent {
            id: block.id.clone(),
            name: block.name.clone(),
            extra: Some(json!({ "reason": { "code": 1, "message": "OK" } })),
        },
        user_request: UserRequest {
            timezone: "Asia/Seoul".into(),
            block: Block {
                id: block.id.clone(),
                name: block.name.clone(),
            },
            utterance: turn.utterance.clone(),
            lang: "ko".into(),
            params: BTreeMap::from([("surface".to_owned(), CHANNEL_SURFACE.to_owned())]),
            user: User {
                id: user.user_key.clone(),
                kind: "botUserKey".into(),
                properties: UserProperties {
                    bot_user_key: Some(user.user_key.clone()),
                    bot_user_key_snake: Some(user.user_key.clone()),
                    plusfriend_user_key: Some(plusfriend_user_key.clone()),
                    plusfriend_user_key_snake: Some(plusfriend_user_key),
                    is_friend: Some(true),
                    ..UserProperties::default()
                },
            },
            callback_url: None,
            chat: None,
        },
        bot: Bot {
            id: bot.bot.id.clone(),
            name: bot.bot.name.clone(),
        },
        action: Action {
            id: format!("sandbox-skill-{}", block.skill),
            name: block.skill.clone(),
            params,
            detail_params,
            client_extra: turn.client_extra.clone(),
        },
        contexts: Vec::new(),
    }
}

/// The payload as it goes on the wire. Kakao sends `clientExtra: null` when no button extra
/// triggered the block, so the skill sees that case too.
pub fn to_wire(payload: &SkillPayload) -> Value {
    let mut value = serde_json::to_value(payload).unwrap_or(Value::Null);
    if payload.action.client_extra.is_empty()
        && let Some(action) = value.get_mut("action").and_then(Value::as_object_mut)
    {
        action.insert("clientExtra".into(), Value::Null);
    }
    value
}

/// System entities arrive JSON-encoded: a `sys.number` as `{"amount":…,"unit":null}`.
fn entity_value(entity: Option<&str>, said: &str) -> String {
    match (entity, said.trim().parse::<f64>()) {
        (Some(NUMBER_ENTITY), Ok(amount)) if amount.is_finite() => {
            json!({ "amount": amount, "unit": null }).to_string()
        }
        _ => said.to_owned(),
    }
}
