//! itemCard: `title: description` rows, an optional total row and text.

use serde::Serialize;

use super::button::{Button, add_button};
use super::card::Thumbnail;
use super::limit::{LimitError, check_count, opt_text, shorten};
use crate::skill::limits;

/// One `title: description` row of an itemCard. The title is shortened to 6 chars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRow {
    title: String,
    description: String,
}

impl ItemRow {
    pub fn new(title: impl AsRef<str>, description: impl AsRef<str>) -> Self {
        ItemRow {
            title: opt_text(title, limits::ITEM_CARD_ROW_TITLE_MAX)
                .unwrap_or_else(|| "-".to_owned()),
            description: opt_text(description, usize::MAX).unwrap_or_else(|| "-".to_owned()),
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn description(&self) -> &str {
        &self.description
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail: Option<Thumbnail>,
    pub(super) item_list: Vec<ItemRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_list_summary: Option<ItemRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
}

impl ItemCard {
    /// 1–10 rows (1–5 once in a carousel).
    pub fn new(item_list: Vec<ItemRow>) -> Result<Self, LimitError> {
        check_count(
            "itemCard.itemList",
            item_list.len(),
            1,
            limits::ITEM_CARD_ROWS_MAX,
        )?;
        Ok(ItemCard {
            thumbnail: None,
            item_list,
            item_list_summary: None,
            title: None,
            description: None,
            buttons: Vec::new(),
        })
    }

    pub fn thumbnail(mut self, thumbnail: Thumbnail) -> Self {
        self.thumbnail = Some(thumbnail);
        self
    }

    /// The total row: title shortened to 6 chars, description to 14.
    pub fn summary(mut self, title: impl AsRef<str>, description: impl AsRef<str>) -> Self {
        self.item_list_summary = Some(ItemRow {
            title: opt_text(title, limits::ITEM_CARD_SUMMARY_TITLE_MAX)
                .unwrap_or_else(|| "-".to_owned()),
            description: opt_text(description, limits::ITEM_CARD_SUMMARY_DESCRIPTION_MAX)
                .unwrap_or_else(|| "-".to_owned()),
        });
        self
    }

    /// Title and description share 200 chars (100 once in a carousel): the title keeps up to
    /// half of them, the description the rest. A description needs a title, so without one
    /// the description is left out.
    pub fn text(mut self, title: impl AsRef<str>, description: impl AsRef<str>) -> Self {
        self.title = opt_text(title, usize::MAX);
        self.description = opt_text(description, usize::MAX);
        self.fit_text(limits::ITEM_CARD_TEXT_MAX);
        self
    }

    pub(super) fn fit_text(&mut self, max: usize) {
        let Some(title) = self.title.as_mut() else {
            self.description = None;
            return;
        };
        *title = shorten(title, max / 2);
        let room = max - title.chars().count();
        self.description = self.description.take().and_then(|d| opt_text(d, room));
    }

    /// At most 3 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        add_button("itemCard.buttons", &mut self.buttons, button)?;
        Ok(self)
    }

    pub fn item_list(&self) -> &[ItemRow] {
        &self.item_list
    }
}
