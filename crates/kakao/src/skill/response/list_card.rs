//! listCard: a header and rows that each run a block.

use serde::Serialize;
use serde_json::{Map, Value};

use super::button::{BlockTarget, Button};
use super::limit::{LimitError, check_count, opt_text, push_limited};
use crate::skill::limits;

/// A listCard row; tapping it runs a block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListItem {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    action: &'static str,
    block_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra: Option<Map<String, Value>>,
}

impl ListItem {
    /// A row that runs `target`'s block when tapped; an empty title becomes "-".
    pub fn new(title: impl AsRef<str>, target: BlockTarget) -> Self {
        ListItem {
            title: opt_text(title, usize::MAX).unwrap_or_else(|| "-".to_owned()),
            description: None,
            action: "block",
            block_id: target.block_id,
            message_text: target.message_text,
            extra: target.extra,
        }
    }

    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = opt_text(description, usize::MAX);
        self
    }

    pub fn title(&self) -> &str {
        &self.title
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ListCardHeader {
    title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListCard {
    header: ListCardHeader,
    pub(super) items: Vec<ListItem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
}

impl ListCard {
    /// 1–5 rows (1–4 once in a carousel).
    pub fn new(header_title: impl AsRef<str>, items: Vec<ListItem>) -> Result<Self, LimitError> {
        check_count(
            "listCard.items",
            items.len(),
            1,
            limits::LIST_CARD_ITEMS_MAX,
        )?;
        Ok(ListCard {
            header: ListCardHeader {
                title: opt_text(header_title, usize::MAX).unwrap_or_else(|| "-".to_owned()),
            },
            items,
            buttons: Vec::new(),
        })
    }

    /// At most 2 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        push_limited(
            "listCard.buttons",
            &mut self.buttons,
            button,
            limits::LIST_CARD_BUTTONS_MAX,
        )?;
        Ok(self)
    }

    pub fn items(&self) -> &[ListItem] {
        &self.items
    }
}
