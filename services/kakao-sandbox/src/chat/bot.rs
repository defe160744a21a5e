//! The Open Builder setup file (`deploy/openbuilder/bot.json`): the bot's blocks, their skills,
//! example utterances and parameters. The operator follows it to set up the real bot; the
//! simulator reads it to decide, as Open Builder would, which block a typed utterance or a
//! tapped button runs.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

/// The setup file as committed, so the simulator runs without any configuration.
pub const EMBEDDED: &str = include_str!("../../../../deploy/openbuilder/bot.json");

/// The placeholders the file's `skillUrl` and `skillHeaders` use.
const BASE_URL_PLACEHOLDER: &str = "{PUBLIC_BASE_URL}";
const SKILL_PLACEHOLDER: &str = "{skill}";
const SECRET_PLACEHOLDER: &str = "{KAKAO_SKILL_SECRET}";

/// Free-text entity: the part of an utterance after a block's example utterance.
pub const TEXT_ENTITY: &str = "sys.text";
pub const NUMBER_ENTITY: &str = "sys.number";
/// A place name ("강남역"); real Open Builder recognises it inside an utterance.
pub const LOCATION_ENTITY: &str = "sys.location";

#[derive(Debug, thiserror::Error)]
pub enum BotFileError {
    #[error("the Open Builder setup file is not valid JSON for a bot: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the Open Builder setup file is inconsistent: {0}")]
    Invalid(String),
}

/// The setup file. Keys this code does not use are ignored, so the file can grow.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotFile {
    pub bot: BotInfo,
    /// e.g. `{PUBLIC_BASE_URL}/kakao/skill/{skill}`.
    pub skill_url: String,
    /// Headers typed into every skill's "헤더값 입력"; values may hold `{KAKAO_SKILL_SECRET}`.
    #[serde(default)]
    pub skill_headers: BTreeMap<String, String>,
    /// The block Open Builder runs when no utterance matches.
    pub fallback_block: String,
    pub blocks: Vec<BlockDef>,
    #[serde(default)]
    pub events: Vec<EventDef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BotInfo {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BlockDef {
    pub id: String,
    pub name: String,
    pub skill: String,
    #[serde(default)]
    pub utterances: Vec<String>,
    #[serde(default)]
    pub params: Vec<ParamDef>,
    /// The `clientExtra` keys buttons into this block carry (documentation for the operator).
    #[serde(default)]
    pub extra: Vec<String>,
    /// Run only by the Event API, never by an utterance.
    #[serde(default)]
    pub event: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ParamDef {
    pub name: String,
    /// Empty for parameters only the Event API fills (the alert block's).
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventDef {
    pub name: String,
    pub block: String,
}

/// The block an utterance runs and the free text left after its example utterance.
#[derive(Debug, Clone)]
pub struct UtteranceMatch<'a> {
    pub block: &'a BlockDef,
    /// Text after the matched example utterance, e.g. `간편카페` in `매장 찾기 간편카페`.
    pub remainder: Option<String>,
    /// No example utterance matched; this is the fallback block.
    pub fallback: bool,
}

impl BotFile {
    pub fn parse(text: &str) -> Result<BotFile, BotFileError> {
        let file: BotFile = serde_json::from_str(text)?;
        file.check()?;
        Ok(file)
    }

    pub fn embedded() -> Result<BotFile, BotFileError> {
        BotFile::parse(EMBEDDED)
    }

    fn check(&self) -> Result<(), BotFileError> {
        let invalid = |msg: String| Err(BotFileError::Invalid(msg));
        if self.blocks.is_empty() {
            return invalid("no blocks".into());
        }
        let mut ids = HashSet::new();
        for block in &self.blocks {
            if block.id.trim().is_empty() {
                return invalid(format!("block {:?} has an empty id", block.name));
            }
            if !ids.insert(block.id.as_str()) {
                return invalid(format!("block id {:?} is used twice", block.id));
            }
            if !is_path_segment(&block.skill) {
                return invalid(format!(
                    "block {:?}: skill {:?} must be letters, digits, '-' or '_'",
                    block.id, block.skill
                ));
            }
        }
        if self.block(&self.fallback_block).is_none() {
            return invalid(format!(
                "fallbackBlock {:?} is not a block",
                self.fallback_block
            ));
        }
        if let Some(event) = self.events.iter().find(|e| self.block(&e.block).is_none()) {
            return invalid(format!(
                "event {:?} names the unknown block {:?}",
                event.name, event.block
            ));
        }
        if !self.skill_url.contains(SKILL_PLACEHOLDER) {
            return invalid(format!("skillUrl must contain {SKILL_PLACEHOLDER}"));
        }
        Ok(())
    }

    pub fn block(&self, id: &str) -> Option<&BlockDef> {
        self.blocks.iter().find(|b| b.id == id)
    }

    pub fn fallback(&self) -> &BlockDef {
        // `check` made sure the fallback block exists.
        self.block(&self.fallback_block).unwrap_or(&self.blocks[0])
    }

    /// The block whose parameters take a location (`latitude` and `longitude`).
    pub fn location_block(&self) -> Option<&BlockDef> {
        self.blocks
            .iter()
            .find(|b| b.param("latitude").is_some() && b.param("longitude").is_some())
    }

    /// Open Builder's choice for a typed utterance: the longest example utterance that equals
    /// it or starts it (followed by a space); the rest of the text is left for the block's
    /// free-text parameter. Nothing matching runs the fallback block.
    pub fn match_utterance(&self, utterance: &str) -> UtteranceMatch<'_> {
        let text = normalize(utterance);
        let mut best: Option<(&BlockDef, usize, &str)> = None;
        for block in self.blocks.iter().filter(|b| !b.event) {
            for example in &block.utterances {
                let example = normalize(example);
                let Some(rest) = text.strip_prefix(example.as_str()) else {
                    continue;
                };
                let len = example.chars().count();
                let whole_words = rest.is_empty() || rest.starts_with(' ');
                // Strictly longer, so the first of equal matches in file order wins.
                if len > 0 && whole_words && best.is_none_or(|(_, l, _)| len > l) {
                    best = Some((block, len, rest));
                }
            }
        }
        match best {
            Some((block, _, rest)) => UtteranceMatch {
                block,
                remainder: Some(rest.trim().to_owned()).filter(|r| !r.is_empty()),
                fallback: false,
            },
            None => UtteranceMatch {
                block: self.fallback(),
                remainder: None,
                fallback: true,
            },
        }
    }

    /// The skill URL of `skill` on the gateway at `base_url`.
    pub fn skill_url(&self, base_url: &str, skill: &str) -> String {
        self.skill_url
            .replace(BASE_URL_PLACEHOLDER, base_url.trim_end_matches('/'))
            .replace(SKILL_PLACEHOLDER, skill)
    }

    /// The headers every skill call carries. A header that needs the secret is left out when no
    /// secret is configured (the gateway then does not check it either).
    pub fn skill_headers(&self, secret: Option<&str>) -> Vec<(String, String)> {
        self.skill_headers
            .iter()
            .filter_map(|(name, value)| {
                if value.contains(SECRET_PLACEHOLDER) {
                    secret.map(|s| (name.clone(), value.replace(SECRET_PLACEHOLDER, s)))
                } else {
                    Some((name.clone(), value.clone()))
                }
            })
            .collect()
    }
}

impl BlockDef {
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The parameter free text after the example utterance fills.
    pub fn text_param(&self) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.entity == TEXT_ENTITY)
    }

    /// The parameter a place name fills.
    pub fn location_param(&self) -> Option<&ParamDef> {
        self.params.iter().find(|p| p.entity == LOCATION_ENTITY)
    }
}

/// Trimmed, with every run of whitespace made one space, as people type loosely.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
