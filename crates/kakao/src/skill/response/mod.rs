//! SkillResponse 2.0 builders: what a skill answers Kakao i Open Builder.
//!
//! The builders cannot produce an answer outside Kakao's limits ([`super::limits`]), with one
//! consistent rule:
//!
//! - **Texts are shortened** to their limit, counting `char`s, at a word boundary when one is
//!   near, ending in `…` ([`shorten`]). A `message` quick reply keeps its full label as
//!   `messageText`, so shortening the label never changes what the bot receives.
//! - **Counts are checked**: every constructor or method that adds outputs, quick replies,
//!   buttons, list rows or carousel cards returns `Result<_, LimitError>`. Silently dropping
//!   a choice would hide part of the answer, so the caller decides (pages, usually).
//! - **Place matters**: a card put into a [`Carousel`] is held to the stricter in-carousel
//!   limits there (texts shortened again, counts checked again).
//!
//! Only the components and fields the skills use are built here; [`super::validate`] still
//! checks every component Kakao knows, on any JSON.

mod button;
mod card;
mod carousel;
mod item_card;
mod limit;
mod list_card;

use serde::Serialize;
use serde_json::Value;

pub use button::{BlockTarget, Button, QuickReply};
pub use card::{BasicCard, SimpleText, TextCard, Thumbnail};
pub use carousel::{Carousel, CarouselCard, CarouselItems};
pub use item_card::{ItemCard, ItemRow};
pub use limit::{LimitError, shorten};
pub use list_card::{ListCard, ListItem};

use super::limits;
use limit::{check_count, push_limited};

/// Always serializes as `"2.0"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Version;

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(limits::VERSION)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillResponse {
    version: Version,
    template: SkillTemplate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct SkillTemplate {
    outputs: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    quick_replies: Vec<QuickReply>,
}

impl SkillResponse {
    /// One simpleText bubble (shortened to 1000 chars).
    pub fn simple_text(text: impl AsRef<str>) -> Self {
        Self::from_output(SimpleText::new(text))
    }

    /// One output bubble.
    pub fn from_output(output: impl Into<Component>) -> Self {
        SkillResponse {
            version: Version,
            template: SkillTemplate {
                outputs: vec![output.into()],
                quick_replies: Vec::new(),
            },
        }
    }

    /// 1–3 output bubbles.
    pub fn with_outputs(outputs: Vec<Component>) -> Result<Self, LimitError> {
        check_count(
            "template.outputs",
            outputs.len(),
            limits::OUTPUTS_MIN,
            limits::OUTPUTS_MAX,
        )?;
        Ok(SkillResponse {
            version: Version,
            template: SkillTemplate {
                outputs,
                quick_replies: Vec::new(),
            },
        })
    }

    /// Appends an output bubble; at most 3 per response.
    pub fn output(mut self, output: impl Into<Component>) -> Result<Self, LimitError> {
        push_limited(
            "template.outputs",
            &mut self.template.outputs,
            output.into(),
            limits::OUTPUTS_MAX,
        )?;
        Ok(self)
    }

    /// Appends a quick reply; at most 10.
    pub fn quick_reply(mut self, reply: QuickReply) -> Result<Self, LimitError> {
        push_limited(
            "template.quickReplies",
            &mut self.template.quick_replies,
            reply,
            limits::QUICK_REPLIES_MAX,
        )?;
        Ok(self)
    }

    pub fn quick_replies(
        self,
        replies: impl IntoIterator<Item = QuickReply>,
    ) -> Result<Self, LimitError> {
        replies.into_iter().try_fold(self, Self::quick_reply)
    }

    pub fn outputs(&self) -> &[Component] {
        &self.template.outputs
    }

    pub fn quick_replies_ref(&self) -> &[QuickReply] {
        &self.template.quick_replies
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// One output bubble: serialized as an object with exactly one key (`{"simpleText":{…}}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Component {
    SimpleText(SimpleText),
    TextCard(TextCard),
    BasicCard(BasicCard),
    ListCard(ListCard),
    ItemCard(ItemCard),
    Carousel(Carousel),
}

macro_rules! into_component {
    ($($t:ident),*) => {$(
        impl From<$t> for Component {
            fn from(c: $t) -> Self {
                Component::$t(c)
            }
        }
    )*};
}
into_component!(
    SimpleText, TextCard, BasicCard, ListCard, ItemCard, Carousel
);
