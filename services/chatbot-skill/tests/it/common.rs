//! Plays Kakao i Open Builder for the tests: builds SkillPayloads in Kakao's full format, posts
//! them to the gateway's `/kakao/skill/{name}`, and follows buttons the way Open Builder does
//! (a block button runs its block's skill with the button's `extra`; a message button sends its
//! text as an utterance). Every answer is checked: HTTP status and `kakao::validate`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::System;

pub const BOT_JSON: &str = include_str!("../../../../deploy/openbuilder/bot.json");

/// Kakao's limit on one skill answer.
pub const KAKAO_LIMIT: Duration = Duration::from_secs(5);

/// The setup file the way Open Builder routes with it.
pub struct Blocks {
    skill_by_block: HashMap<String, String>,
    utterances: Vec<(String, String)>,
}

impl Blocks {
    pub fn load() -> Blocks {
        let file: Value = serde_json::from_str(BOT_JSON).expect("bot.json");
        let mut skill_by_block = HashMap::new();
        let mut utterances = Vec::new();
        for block in file["blocks"].as_array().expect("blocks") {
            let skill = block["skill"].as_str().unwrap_or_default().to_owned();
            skill_by_block.insert(block["id"].as_str().unwrap().to_owned(), skill.clone());
            for u in block["utterances"].as_array().into_iter().flatten() {
                utterances.push((u.as_str().unwrap().to_owned(), skill.clone()));
            }
        }
        Blocks {
            skill_by_block,
            utterances,
        }
    }

    pub fn skill_of_block(&self, block_id: &str) -> Option<&str> {
        self.skill_by_block.get(block_id).map(String::as_str)
    }

    /// The exact utterance, else the longest one the text starts with.
    pub fn skill_of_utterance(&self, text: &str) -> Option<&str> {
        if let Some((_, skill)) = self.utterances.iter().find(|(u, _)| u == text) {
            return Some(skill);
        }
        self.utterances
            .iter()
            .filter(|(u, _)| text.starts_with(u.as_str()))
            .max_by_key(|(u, _)| u.len())
            .map(|(_, s)| s.as_str())
    }
}

pub struct Chat {
    pub http: reqwest::Client,
    pub base: String,
    pub bot_id: String,
    pub user: String,
    pub secret: Option<String>,
    pub blocks: Blocks,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub elapsed: Duration,
}

impl Chat {
    pub fn new(system: &System) -> Chat {
        Chat::at(&system.gateway_url(), &system.config.kakao.bot_id)
    }

    pub fn at(base: &str, bot_id: &str) -> Chat {
        Chat {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            base: base.to_owned(),
            bot_id: bot_id.to_owned(),
            user: format!("test-user-{}", uuid::Uuid::now_v7().simple()),
            secret: None,
            blocks: Blocks::load(),
        }
    }

    /// A SkillPayload as Kakao sends it from a channel (both key spellings, `clientExtra`
    /// null when the block was reached by typing).
    pub fn payload(&self, skill: &str, utterance: &str, params: Value, extra: Value) -> Value {
        let detail: serde_json::Map<String, Value> = params
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), json!({"origin": v, "value": v, "groupName": ""})))
            .collect();
        let extra = if extra.as_object().is_some_and(|o| o.is_empty()) {
            Value::Null
        } else {
            extra
        };
        json!({
            "intent": {"id": format!("intent-{skill}"), "name": skill, "extra": {"reason": {"code": 1, "message": "OK"}}},
            "userRequest": {
                "timezone": "Asia/Seoul",
                "params": {"surface": "Kakaotalk.plusfriend"},
                "block": {"id": format!("block-{skill}"), "name": skill},
                "utterance": utterance,
                "lang": "ko",
                "user": {
                    "id": self.user,
                    "type": "botUserKey",
                    "properties": {
                        "botUserKey": self.user,
                        "bot_user_key": self.user,
                        "plusfriendUserKey": format!("pf-{}", self.user),
                        "plusfriend_user_key": format!("pf-{}", self.user),
                        "isFriend": true
                    }
                }
            },
            "bot": {"id": self.bot_id, "name": "간편주문"},
            "action": {
                "id": format!("action-{skill}"),
                "name": skill,
                "params": params,
                "detailParams": detail,
                "clientExtra": extra
            },
            "contexts": []
        })
    }

    pub async fn post_raw(&self, skill: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/kakao/skill/{skill}", self.base))
            .header("content-type", "application/json;charset=UTF-8")
            .body(body);
        if let Some(secret) = &self.secret {
            request = request.header("X-SimpleOrder-Skill-Secret", secret);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let started = Instant::now();
        let response = request.send().await.expect("the gateway answers");
        let status = response.status();
        let bytes = response.bytes().await.expect("a body");
        let elapsed = started.elapsed();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{skill}: body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        if let Err(problems) = kakao::validate(&body) {
            panic!("{skill}: invalid SkillResponse {problems:?}: {body}");
        }
        Reply {
            status,
            body,
            elapsed,
        }
    }

    pub async fn call(&self, skill: &str, utterance: &str, params: Value, extra: Value) -> Reply {
        let body = self.payload(skill, utterance, params, extra);
        self.post_raw(skill, body.to_string().into_bytes(), &[])
            .await
    }

    /// Types `text`, routed to a block by the setup file's utterances.
    pub async fn say(&self, text: &str) -> anyhow::Result<Reply> {
        let skill = self
            .blocks
            .skill_of_utterance(text)
            .with_context(|| format!("no block takes the utterance {text:?}"))?
            .to_owned();
        Ok(self.call(&skill, text, json!({}), json!({})).await)
    }

    /// Taps a button, quick reply or list row of an answer.
    pub async fn tap(&self, button: &Value) -> anyhow::Result<Reply> {
        match button["action"].as_str() {
            Some("block") => {
                let block = button["blockId"].as_str().context("blockId")?;
                let skill = self
                    .blocks
                    .skill_of_block(block)
                    .with_context(|| format!("no block {block} in bot.json"))?
                    .to_owned();
                let text = button["messageText"]
                    .as_str()
                    .or(button["label"].as_str())
                    .unwrap_or_default();
                let extra = button.get("extra").cloned().unwrap_or(json!({}));
                Ok(self.call(&skill, text, json!({}), extra).await)
            }
            Some("message") => {
                let text = button["messageText"]
                    .as_str()
                    .or(button["label"].as_str())
                    .context("message text")?;
                self.say(text).await
            }
            other => bail!("cannot tap a {other:?} button"),
        }
    }
}

impl Reply {
    /// Every text of the answer in one string, for "does it say …" checks.
    pub fn text(&self) -> String {
        fn walk(v: &Value, out: &mut String) {
            match v {
                Value::String(s) => {
                    out.push_str(s);
                    out.push('\n');
                }
                Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                Value::Object(map) => map
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "extra" | "blockId"))
                    .for_each(|(_, v)| walk(v, out)),
                _ => {}
            }
        }
        let mut out = String::new();
        walk(&self.body["template"], &mut out);
        out
    }

    /// Every tappable thing: card buttons, quick replies and list rows.
    pub fn buttons(&self) -> Vec<&Value> {
        fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
            match v {
                Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
                Value::Object(map) => {
                    if map.contains_key("action")
                        && (map.contains_key("label") || map.contains_key("title"))
                    {
                        out.push(v);
                    }
                    map.values().for_each(|c| walk(c, out));
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.body["template"], &mut out);
        out
    }

    /// The first button whose label (or list row title) starts with `prefix`.
    pub fn button(&self, prefix: &str) -> anyhow::Result<&Value> {
        self.buttons()
            .into_iter()
            .find(|b| {
                b["label"]
                    .as_str()
                    .or(b["title"].as_str())
                    .is_some_and(|l| l.starts_with(prefix))
            })
            .with_context(|| format!("no button {prefix:?} in {}", self.body))
    }

    pub fn says(&self, fragment: &str) -> bool {
        self.text().contains(fragment)
    }
}

/// A TCP port that accepts connections and never answers: a hung peer.
pub async fn black_hole() -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Ok((url, task))
}

/// A URL where nothing listens.
pub fn closed_port() -> anyhow::Result<String> {
    Ok(format!("http://{}", testkit::unused_addr()?))
}
