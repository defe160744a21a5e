//! The single bubbles: simpleText, textCard and basicCard.

use serde::Serialize;

use super::button::{Button, add_button};
use super::limit::{LimitError, opt_text, shorten};
use crate::skill::limits;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Thumbnail {
    image_url: String,
}

impl Thumbnail {
    pub fn new(image_url: impl Into<String>) -> Self {
        Thumbnail {
            image_url: image_url.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimpleText {
    text: String,
}

impl SimpleText {
    /// Shortened to 1000 chars (Kakao folds the bubble after 500 behind "전체 보기").
    pub fn new(text: impl AsRef<str>) -> Self {
        SimpleText {
            text: shorten(text.as_ref(), limits::SIMPLE_TEXT_MAX),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
}

impl TextCard {
    /// Title ≤ 50 and description ≤ 400 chars (128 once in a carousel); an empty text is left
    /// out, and a card with neither gets a blank-free placeholder title.
    pub fn new(title: impl AsRef<str>, description: impl AsRef<str>) -> Self {
        let title = opt_text(title, limits::TEXT_CARD_TITLE_MAX);
        let description = opt_text(description, limits::TEXT_CARD_DESCRIPTION_MAX);
        TextCard {
            title: if title.is_none() && description.is_none() {
                Some("-".to_owned())
            } else {
                title
            },
            description,
            buttons: Vec::new(),
        }
    }

    /// At most 3 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        add_button("textCard.buttons", &mut self.buttons, button)?;
        Ok(self)
    }

    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Result<Self, LimitError> {
        buttons.into_iter().try_fold(self, Self::button)
    }

    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    thumbnail: Thumbnail,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
}

impl BasicCard {
    pub fn new(thumbnail: Thumbnail) -> Self {
        BasicCard {
            title: None,
            description: None,
            thumbnail,
            buttons: Vec::new(),
        }
    }

    /// Shortened to 50 chars.
    pub fn title(mut self, title: impl AsRef<str>) -> Self {
        self.title = opt_text(title, limits::BASIC_CARD_TITLE_MAX);
        self
    }

    /// Shortened to 230 chars.
    pub fn description(mut self, description: impl AsRef<str>) -> Self {
        self.description = opt_text(description, limits::BASIC_CARD_DESCRIPTION_MAX);
        self
    }

    /// At most 3 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        add_button("basicCard.buttons", &mut self.buttons, button)?;
        Ok(self)
    }

    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Result<Self, LimitError> {
        buttons.into_iter().try_fold(self, Self::button)
    }

    pub fn title_text(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn description_text(&self) -> Option<&str> {
        self.description.as_deref()
    }
}
