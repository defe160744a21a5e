//! Card buttons and quick replies, and the block a tap leads to.

use serde::Serialize;
use serde_json::{Map, Value};

use super::limit::{LimitError, push_limited, shorten};
use crate::skill::limits;

/// Where a `block` button, quick reply or list row leads, with the optional echo text and the
/// `extra` Kakao hands back to the skill as `action.clientExtra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockTarget {
    pub block_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Map<String, Value>>,
}

impl BlockTarget {
    pub fn new(block_id: impl Into<String>) -> Self {
        BlockTarget {
            block_id: block_id.into(),
            ..Self::default()
        }
    }

    /// The text shown as the user's message when tapped.
    pub fn message_text(mut self, text: impl Into<String>) -> Self {
        self.message_text = Some(text.into());
        self
    }

    /// Adds one `extra` entry.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra
            .get_or_insert_with(Map::new)
            .insert(key.into(), value.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum ButtonAction {
    WebLink { web_link_url: String },
    Block(BlockTarget),
    Phone { phone_number: String },
}

/// A card button, stacked vertically (Kakao's default layout). The label is shortened to 14
/// chars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Button {
    label: String,
    #[serde(flatten)]
    action: ButtonAction,
}

impl Button {
    fn with(label: &str, action: ButtonAction) -> Self {
        Button {
            label: shorten(label, limits::LABEL_MAX),
            action,
        }
    }

    pub fn web_link(label: impl AsRef<str>, url: impl Into<String>) -> Self {
        Self::with(
            label.as_ref(),
            ButtonAction::WebLink {
                web_link_url: url.into(),
            },
        )
    }

    pub fn block(label: impl AsRef<str>, target: BlockTarget) -> Self {
        Self::with(label.as_ref(), ButtonAction::Block(target))
    }

    pub fn phone(label: impl AsRef<str>, phone_number: impl Into<String>) -> Self {
        Self::with(
            label.as_ref(),
            ButtonAction::Phone {
                phone_number: phone_number.into(),
            },
        )
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum QuickReplyAction {
    Message { message_text: String },
    Block(BlockTarget),
}

/// A quick reply chip under the bubbles. The label is shortened to 14 chars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuickReply {
    label: String,
    #[serde(flatten)]
    action: QuickReplyAction,
}

impl QuickReply {
    /// Sends the full label as the user's message.
    pub fn message(label: impl AsRef<str>) -> Self {
        let label = label.as_ref();
        QuickReply {
            label: shorten(label, limits::LABEL_MAX),
            action: QuickReplyAction::Message {
                message_text: label.to_owned(),
            },
        }
    }

    pub fn block(label: impl AsRef<str>, target: BlockTarget) -> Self {
        QuickReply {
            label: shorten(label.as_ref(), limits::LABEL_MAX),
            action: QuickReplyAction::Block(target),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// A card's buttons: at most 3.
pub(super) fn add_button(
    what: &'static str,
    buttons: &mut Vec<Button>,
    button: Button,
) -> Result<(), LimitError> {
    push_limited(what, buttons, button, limits::CARD_BUTTONS_MAX)
}
