//! The Open Builder setup file (deploy/openbuilder/bot.json): which block runs which skill, and
//! the utterances that reach it. Buttons in answers target blocks by the ids found here, and
//! message buttons only send utterances listed here, so the bot an operator sets up from the
//! same file (and the sandbox's chat simulator) routes every tap.

use std::collections::HashMap;
use std::path::Path;

use kakao::skill::response::BlockTarget;
use serde::Deserialize;

use crate::skill::Skill;

/// The file as shipped; `KAKAO_OPENBUILDER_FILE` replaces it with the operator's copy, whose
/// block ids are the ones Open Builder assigned.
pub const BUILT_IN: &str = include_str!("../../../deploy/openbuilder/bot.json");

#[derive(Debug, Deserialize)]
struct File {
    blocks: Vec<BlockEntry>,
}

#[derive(Debug, Deserialize)]
struct BlockEntry {
    id: String,
    #[serde(default)]
    skill: Option<String>,
    #[serde(default)]
    utterances: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: String,
    pub utterances: Vec<String>,
}

/// Every skill's block.
#[derive(Debug, Clone)]
pub struct OpenBuilder {
    blocks: HashMap<Skill, Block>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("not an Open Builder setup file: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("no block with a non-empty id runs the skill {0:?}")]
    MissingSkill(&'static str),
}

impl OpenBuilder {
    pub fn load(path: Option<&Path>) -> Result<OpenBuilder, SetupError> {
        match path {
            None => OpenBuilder::parse(BUILT_IN),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SetupError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                OpenBuilder::parse(&text)
            }
        }
    }

    /// Every skill needs a block: an answer's button may lead to any of them.
    pub fn parse(json: &str) -> Result<OpenBuilder, SetupError> {
        let file: File = serde_json::from_str(json)?;
        let mut blocks = HashMap::new();
        for entry in file.blocks {
            let Some(skill) = entry.skill.as_deref().and_then(Skill::from_name) else {
                continue;
            };
            if entry.id.trim().is_empty() {
                continue;
            }
            blocks.entry(skill).or_insert(Block {
                id: entry.id,
                utterances: entry.utterances,
            });
        }
        if let Some(missing) = Skill::ALL.iter().find(|s| !blocks.contains_key(s)) {
            return Err(SetupError::MissingSkill(missing.name()));
        }
        Ok(OpenBuilder { blocks })
    }

    fn block(&self, skill: Skill) -> &Block {
        // `parse` guarantees an entry for every skill.
        &self.blocks[&skill]
    }

    /// A button or quick-reply target running `skill`, echoing `message_text` as the
    /// customer's message.
    pub fn target(&self, skill: Skill, message_text: &str) -> BlockTarget {
        BlockTarget::new(self.block(skill).id.clone()).message_text(message_text)
    }

    pub fn utterances(&self, skill: Skill) -> &[String] {
        &self.block(skill).utterances
    }

    /// Whether typing `text` reaches a block: message buttons must send one of these.
    #[cfg(test)]
    pub fn is_utterance(&self, text: &str) -> bool {
        self.blocks
            .values()
            .any(|b| b.utterances.iter().any(|u| u == text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_file_has_a_block_for_every_skill() {
        let ob = OpenBuilder::load(None).expect("bot.json parses");
        for skill in Skill::ALL {
            assert!(!ob.target(skill, "x").block_id.is_empty(), "{skill:?}");
        }
        assert_eq!(ob.target(Skill::Menu, "메뉴").block_id, "blk_menu");
        assert!(ob.is_utterance("매장 찾기"));
        assert!(!ob.is_utterance("아무 말"));
    }

    #[test]
    fn a_file_missing_a_skill_is_refused_at_start() {
        let json = r#"{"blocks":[{"id":"b1","skill":"welcome","utterances":["시작"]}]}"#;
        assert!(matches!(
            OpenBuilder::parse(json),
            Err(SetupError::MissingSkill(_))
        ));
    }

    #[test]
    fn an_operators_file_replaces_the_block_ids() {
        let blocks: Vec<String> = Skill::ALL
            .iter()
            .map(|s| {
                format!(
                    r#"{{"id":"64f1{}","skill":"{}"}}"#,
                    s.name().len(),
                    s.name()
                )
            })
            .collect();
        let json = format!(r#"{{"bot":{{}},"blocks":[{}]}}"#, blocks.join(","));
        let dir = std::env::temp_dir().join(format!("ob-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&dir, json).unwrap();
        let ob = OpenBuilder::load(Some(&dir)).unwrap();
        std::fs::remove_file(&dir).ok();
        assert_eq!(ob.target(Skill::Cart, "주문서").block_id, "64f14");
        assert!(OpenBuilder::load(Some(Path::new("/nonexistent/bot.json"))).is_err());
    }
}
