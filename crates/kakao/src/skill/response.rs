//! SkillResponse 2.0: what a skill answers Kakao i Open Builder.
//!
//! # Limits
//! The builders make Kakao's documented limits impossible to break, with one consistent rule:
//!
//! - **Texts are truncated** to their limit, counting `char`s (not bytes), ending in `…`
//!   ([`truncate`]). A shortened label or description still works for the customer.
//!   A `message` button or quick reply keeps its full label as `messageText`, so truncating
//!   the label never changes what the bot receives.
//! - **Counts are checked**: every constructor or method that adds outputs, quick replies,
//!   buttons, list items or carousel items returns `Result<_, LimitError>`. Silently dropping
//!   a button or an output would hide part of the answer, so the caller decides.
//!
//! Where sources disagree the stricter value is used (see [`limits`]). Types with limits keep
//! their fields private; limit-free helper types ([`Thumbnail`], [`Link`], …) have public fields.
//!
//! [`validate`] walks any response JSON (not only ones built here) and reports every broken
//! limit; deserializing a [`SkillResponse`] runs it too, so a parsed response is always valid.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Limits per component. Counts are items, lengths are `char`s.
pub mod limits {
    pub const VERSION: &str = "2.0";
    pub const OUTPUTS_MIN: usize = 1;
    pub const OUTPUTS_MAX: usize = 3;
    pub const QUICK_REPLIES_MAX: usize = 10;
    pub const CAROUSEL_ITEMS_MAX: usize = 10;
    pub const CARD_BUTTONS_MAX: usize = 3;
    pub const LIST_CARD_BUTTONS_MAX: usize = 2;
    pub const COMMERCE_CARD_BUTTONS_MIN: usize = 1;
    pub const LABEL_MAX: usize = 14;
    pub const SIMPLE_TEXT_MAX: usize = 1000;
    pub const SIMPLE_IMAGE_ALT_TEXT_MAX: usize = 50;
    pub const TEXT_CARD_TITLE_MAX: usize = 50;
    pub const TEXT_CARD_DESCRIPTION_MAX: usize = 400;
    /// Old docs say "2 lines"; 50 chars is the countable, stricter reading.
    pub const BASIC_CARD_TITLE_MAX: usize = 50;
    pub const BASIC_CARD_DESCRIPTION_MAX: usize = 230;
    /// Sources say 76 and 230; 76 is used.
    pub const COMMERCE_CARD_DESCRIPTION_MAX: usize = 76;
    pub const LIST_CARD_ITEMS_MAX: usize = 5;
    pub const ITEM_CARD_ITEMS_MAX: usize = 5;
    /// Unconfirmed cap on the whole serialized response; kept as a sanity check.
    pub const RESPONSE_BYTES_MAX: usize = 30_720;
}

/// A count outside what Kakao accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("{what}: at most {max} allowed, got {got}")]
    TooMany {
        what: &'static str,
        max: usize,
        got: usize,
    },
    #[error("{what}: at least {min} required, got {got}")]
    TooFew {
        what: &'static str,
        min: usize,
        got: usize,
    },
}

fn check_count(what: &'static str, got: usize, min: usize, max: usize) -> Result<(), LimitError> {
    if got < min {
        Err(LimitError::TooFew { what, min, got })
    } else if got > max {
        Err(LimitError::TooMany { what, max, got })
    } else {
        Ok(())
    }
}

fn push_limited<T>(
    what: &'static str,
    items: &mut Vec<T>,
    item: T,
    max: usize,
) -> Result<(), LimitError> {
    check_count(what, items.len() + 1, 0, max)?;
    items.push(item);
    Ok(())
}

/// Shortens `text` to at most `max_chars` chars, ending in `…` when cut.
pub fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    if max_chars > 0 {
        out.push('…');
    }
    out
}

fn opt_text(text: impl Into<String>, max: usize) -> Option<String> {
    let text = text.into();
    (!text.is_empty()).then(|| truncate(&text, max))
}

/// Always serializes as `"2.0"`; only `"2.0"` deserializes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Version;

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(limits::VERSION)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = String::deserialize(d)?;
        if v == limits::VERSION {
            Ok(Version)
        } else {
            Err(serde::de::Error::custom(format!(
                "version must be \"2.0\", got {v:?}"
            )))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Response and template

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "Value")]
pub struct SkillResponse {
    version: Version,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<SkillTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<ContextControl>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    use_callback: Option<bool>,
}

/// Field mirror used after [`validate`] has accepted the JSON.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkillResponseFields {
    version: Version,
    #[serde(default)]
    template: Option<SkillTemplate>,
    #[serde(default)]
    context: Option<ContextControl>,
    #[serde(default)]
    data: Option<Map<String, Value>>,
    #[serde(default)]
    use_callback: Option<bool>,
}

/// Why a JSON value is not an acceptable SkillResponse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SkillResponse: {}", .0.join("; "))]
pub struct InvalidResponse(pub Vec<String>);

impl TryFrom<Value> for SkillResponse {
    type Error = InvalidResponse;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        validate(&value).map_err(InvalidResponse)?;
        let f: SkillResponseFields =
            serde_json::from_value(value).map_err(|e| InvalidResponse(vec![e.to_string()]))?;
        Ok(SkillResponse {
            version: f.version,
            template: f.template,
            context: f.context,
            data: f.data,
            use_callback: f.use_callback,
        })
    }
}

impl SkillResponse {
    fn empty() -> Self {
        SkillResponse {
            version: Version,
            template: None,
            context: None,
            data: None,
            use_callback: None,
        }
    }

    /// One simpleText bubble (truncated to 1000 chars).
    pub fn simple_text(text: impl AsRef<str>) -> Self {
        Self::from_output(SimpleText::new(text))
    }

    /// One output bubble.
    pub fn from_output(output: impl Into<Component>) -> Self {
        SkillResponse {
            template: Some(SkillTemplate {
                outputs: vec![output.into()],
                quick_replies: Vec::new(),
            }),
            ..Self::empty()
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
            template: Some(SkillTemplate {
                outputs,
                quick_replies: Vec::new(),
            }),
            ..Self::empty()
        })
    }

    /// Only `data` for a block that uses webhook values instead of skill-drawn bubbles.
    pub fn from_data(data: Map<String, Value>) -> Self {
        SkillResponse {
            data: Some(data),
            ..Self::empty()
        }
    }

    /// The immediate answer of an AI-chatbot callback block (`useCallback: true`); the real
    /// answer is POSTed to `userRequest.callbackUrl` later. `data` may carry `{"text": …}`.
    pub fn use_callback(data: Option<Map<String, Value>>) -> Self {
        SkillResponse {
            use_callback: Some(true),
            data,
            ..Self::empty()
        }
    }

    /// Appends an output bubble; at most 3 per response.
    pub fn output(mut self, output: impl Into<Component>) -> Result<Self, LimitError> {
        let template = self.template.get_or_insert_with(SkillTemplate::default);
        push_limited(
            "template.outputs",
            &mut template.outputs,
            output.into(),
            limits::OUTPUTS_MAX,
        )?;
        Ok(self)
    }

    /// Appends a quick reply; at most 10, and only on a response with outputs.
    pub fn quick_reply(mut self, reply: QuickReply) -> Result<Self, LimitError> {
        let Some(template) = self.template.as_mut() else {
            return Err(LimitError::TooFew {
                what: "template.outputs",
                min: limits::OUTPUTS_MIN,
                got: 0,
            });
        };
        push_limited(
            "template.quickReplies",
            &mut template.quick_replies,
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

    pub fn with_context(mut self, context: ContextControl) -> Self {
        self.context = Some(context);
        self
    }

    pub fn with_data(mut self, data: Map<String, Value>) -> Self {
        self.data = Some(data);
        self
    }

    pub fn template(&self) -> Option<&SkillTemplate> {
        self.template.as_ref()
    }

    pub fn outputs(&self) -> &[Component] {
        self.template.as_ref().map_or(&[], |t| &t.outputs)
    }

    pub fn quick_replies_ref(&self) -> &[QuickReply] {
        self.template.as_ref().map_or(&[], |t| &t.quick_replies)
    }

    pub fn context(&self) -> Option<&ContextControl> {
        self.context.as_ref()
    }

    pub fn data(&self) -> Option<&Map<String, Value>> {
        self.data.as_ref()
    }

    pub fn uses_callback(&self) -> bool {
        self.use_callback == Some(true)
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillTemplate {
    outputs: Vec<Component>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    quick_replies: Vec<QuickReply>,
}

impl SkillTemplate {
    pub fn outputs(&self) -> &[Component] {
        &self.outputs
    }

    pub fn quick_replies(&self) -> &[QuickReply] {
        &self.quick_replies
    }
}

/// One output bubble: serialized as an object with exactly one key (`{"simpleText":{…}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Component {
    SimpleText(SimpleText),
    SimpleImage(SimpleImage),
    TextCard(TextCard),
    BasicCard(BasicCard),
    CommerceCard(CommerceCard),
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
    SimpleText,
    SimpleImage,
    TextCard,
    BasicCard,
    CommerceCard,
    ListCard,
    ItemCard,
    Carousel
);

// ---------------------------------------------------------------------------------------------
// Buttons and quick replies

/// Where a `block` button or quick reply leads, with the optional echo text and the `extra`
/// Kakao hands back to the skill as `action.clientExtra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockTarget {
    pub block_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ButtonAction {
    WebLink {
        web_link_url: String,
    },
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_text: Option<String>,
    },
    Block(BlockTarget),
    Phone {
        phone_number: String,
    },
    Share,
    /// 상담원 연결 (hand over to a human operator).
    Operator,
}

/// A card button. The label is truncated to 14 chars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Button {
    label: String,
    #[serde(flatten)]
    action: ButtonAction,
}

impl Button {
    fn with(label: &str, action: ButtonAction) -> Self {
        Button {
            label: truncate(label, limits::LABEL_MAX),
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

    /// Sends the full label as the user's message.
    pub fn message(label: impl AsRef<str>) -> Self {
        let label = label.as_ref();
        Self::message_with_text(label, label)
    }

    pub fn message_with_text(label: impl AsRef<str>, text: impl Into<String>) -> Self {
        Self::with(
            label.as_ref(),
            ButtonAction::Message {
                message_text: Some(text.into()),
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

    pub fn share(label: impl AsRef<str>) -> Self {
        Self::with(label.as_ref(), ButtonAction::Share)
    }

    pub fn operator(label: impl AsRef<str>) -> Self {
        Self::with(label.as_ref(), ButtonAction::Operator)
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn action(&self) -> &ButtonAction {
        &self.action
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum QuickReplyAction {
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_text: Option<String>,
    },
    Block(BlockTarget),
}

/// A quick reply chip under the bubbles. The label is truncated to 14 chars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickReply {
    label: String,
    #[serde(flatten)]
    action: QuickReplyAction,
}

impl QuickReply {
    /// Sends the full label as the user's message.
    pub fn message(label: impl AsRef<str>) -> Self {
        let label = label.as_ref();
        Self::message_with_text(label, label)
    }

    pub fn message_with_text(label: impl AsRef<str>, text: impl Into<String>) -> Self {
        QuickReply {
            label: truncate(label.as_ref(), limits::LABEL_MAX),
            action: QuickReplyAction::Message {
                message_text: Some(text.into()),
            },
        }
    }

    pub fn block(label: impl AsRef<str>, target: BlockTarget) -> Self {
        QuickReply {
            label: truncate(label.as_ref(), limits::LABEL_MAX),
            action: QuickReplyAction::Block(target),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn action(&self) -> &QuickReplyAction {
        &self.action
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ButtonLayout {
    Vertical,
    Horizontal,
}

// ---------------------------------------------------------------------------------------------
// Common objects

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Link {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Overrides `pc` and `mobile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
}

impl Link {
    pub fn web(url: impl Into<String>) -> Self {
        Link {
            web: Some(url.into()),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thumbnail {
    pub image_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// `true`: 1:1 keeping the ratio; `false`: 2:1 centre crop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_ratio: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl Thumbnail {
    pub fn new(image_url: impl Into<String>) -> Self {
        Thumbnail {
            image_url: image_url.into(),
            ..Self::default()
        }
    }
}

/// basicCard / commerceCard profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub nickname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Components

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleText {
    text: String,
}

impl SimpleText {
    /// Truncated to 1000 chars (Kakao folds the bubble after 500 behind "전체 보기").
    pub fn new(text: impl AsRef<str>) -> Self {
        SimpleText {
            text: truncate(text.as_ref(), limits::SIMPLE_TEXT_MAX),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleImage {
    image_url: String,
    alt_text: String,
}

impl SimpleImage {
    pub fn new(image_url: impl Into<String>, alt_text: impl AsRef<str>) -> Self {
        SimpleImage {
            image_url: image_url.into(),
            alt_text: truncate(alt_text.as_ref(), limits::SIMPLE_IMAGE_ALT_TEXT_MAX),
        }
    }

    pub fn image_url(&self) -> &str {
        &self.image_url
    }

    pub fn alt_text(&self) -> &str {
        &self.alt_text
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    button_layout: Option<ButtonLayout>,
}

impl TextCard {
    /// Title ≤50 and description ≤400 chars (truncated); an empty text is left out.
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        TextCard {
            title: opt_text(title, limits::TEXT_CARD_TITLE_MAX),
            description: opt_text(description, limits::TEXT_CARD_DESCRIPTION_MAX),
            ..Self::default()
        }
    }

    /// At most 3 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        push_limited(
            "textCard.buttons",
            &mut self.buttons,
            button,
            limits::CARD_BUTTONS_MAX,
        )?;
        Ok(self)
    }

    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Result<Self, LimitError> {
        buttons.into_iter().try_fold(self, Self::button)
    }

    pub fn layout(mut self, layout: ButtonLayout) -> Self {
        self.button_layout = Some(layout);
        self
    }

    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn button_list(&self) -> &[Button] {
        &self.buttons
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    thumbnail: Thumbnail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<Profile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    button_layout: Option<ButtonLayout>,
}

impl BasicCard {
    pub fn new(thumbnail: Thumbnail) -> Self {
        BasicCard {
            thumbnail,
            ..Self::default()
        }
    }

    /// Truncated to 50 chars.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = opt_text(title, limits::BASIC_CARD_TITLE_MAX);
        self
    }

    /// Truncated to 230 chars.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = opt_text(description, limits::BASIC_CARD_DESCRIPTION_MAX);
        self
    }

    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// At most 3 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        push_limited(
            "basicCard.buttons",
            &mut self.buttons,
            button,
            limits::CARD_BUTTONS_MAX,
        )?;
        Ok(self)
    }

    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Result<Self, LimitError> {
        buttons.into_iter().try_fold(self, Self::button)
    }

    pub fn layout(mut self, layout: ButtonLayout) -> Self {
        self.button_layout = Some(layout);
        self
    }

    pub fn title_text(&self) -> Option<&str> {
        self.title.as_deref()
    }

    pub fn description_text(&self) -> Option<&str> {
        self.description.as_deref()
    }

    pub fn thumbnail(&self) -> &Thumbnail {
        &self.thumbnail
    }

    pub fn button_list(&self) -> &[Button] {
        &self.buttons
    }
}

/// commerceCard currency: Kakao accepts only `"won"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    #[default]
    #[serde(rename = "won")]
    Won,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommerceCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    price: i64,
    #[serde(default)]
    currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount_rate: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discounted_price: Option<i64>,
    thumbnails: [Thumbnail; 1],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<Profile>,
    buttons: Vec<Button>,
}

impl CommerceCard {
    /// Exactly one thumbnail and at least one button are required by Kakao.
    pub fn new(price_won: i64, thumbnail: Thumbnail, button: Button) -> Self {
        CommerceCard {
            title: None,
            description: None,
            price: price_won,
            currency: Currency::Won,
            discount: None,
            discount_rate: None,
            discounted_price: None,
            thumbnails: [thumbnail],
            profile: None,
            buttons: vec![button],
        }
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = opt_text(title, limits::BASIC_CARD_TITLE_MAX);
        self
    }

    /// Truncated to 76 chars.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = opt_text(description, limits::COMMERCE_CARD_DESCRIPTION_MAX);
        self
    }

    pub fn discount(mut self, won: i64) -> Self {
        self.discount = Some(won);
        self
    }

    /// Shown only together with `discounted_price`.
    pub fn discount_rate(mut self, percent: i64) -> Self {
        self.discount_rate = Some(percent);
        self
    }

    /// Wins over every other price field in Kakao's display.
    pub fn discounted_price(mut self, won: i64) -> Self {
        self.discounted_price = Some(won);
        self
    }

    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// At most 3 buttons in all.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        push_limited(
            "commerceCard.buttons",
            &mut self.buttons,
            button,
            limits::CARD_BUTTONS_MAX,
        )?;
        Ok(self)
    }

    pub fn price(&self) -> i64 {
        self.price
    }

    pub fn button_list(&self) -> &[Button] {
        &self.buttons
    }
}

/// A listCard row. Tapping it opens `link` or, if set, runs a block / sends a message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListItem {
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<ListItemAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    block_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extra: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListItemAction {
    Block,
    Message,
}

impl ListItem {
    pub fn new(title: impl Into<String>) -> Self {
        ListItem {
            title: title.into(),
            ..Self::default()
        }
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub fn image_url(mut self, url: impl Into<String>) -> Self {
        self.image_url = Some(url.into());
        self
    }

    pub fn link(mut self, link: Link) -> Self {
        self.link = Some(link);
        self
    }

    pub fn on_tap_block(mut self, target: BlockTarget) -> Self {
        self.action = Some(ListItemAction::Block);
        self.block_id = Some(target.block_id);
        self.message_text = target.message_text;
        self.extra = target.extra;
        self
    }

    pub fn on_tap_message(mut self, text: impl Into<String>) -> Self {
        self.action = Some(ListItemAction::Message);
        self.block_id = None;
        self.message_text = Some(text.into());
        self.extra = None;
        self
    }

    pub fn title(&self) -> &str {
        &self.title
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListCardHeader {
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListCard {
    header: ListCardHeader,
    items: Vec<ListItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    button_layout: Option<ButtonLayout>,
}

impl ListCard {
    /// 1–5 items.
    pub fn new(header_title: impl Into<String>, items: Vec<ListItem>) -> Result<Self, LimitError> {
        check_count(
            "listCard.items",
            items.len(),
            1,
            limits::LIST_CARD_ITEMS_MAX,
        )?;
        Ok(ListCard {
            header: ListCardHeader {
                title: header_title.into(),
            },
            items,
            buttons: Vec::new(),
            button_layout: None,
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

    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Result<Self, LimitError> {
        buttons.into_iter().try_fold(self, Self::button)
    }

    pub fn layout(mut self, layout: ButtonLayout) -> Self {
        self.button_layout = Some(layout);
        self
    }

    pub fn header(&self) -> &ListCardHeader {
        &self.header
    }

    pub fn items(&self) -> &[ListItem] {
        &self.items
    }

    pub fn button_list(&self) -> &[Button] {
        &self.buttons
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemCardHead {
    pub title: String,
}

/// itemCard profile (unlike basicCard's, named by `title`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCardProfile {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageTitle {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// One `title: description` row of an itemCard (also its `itemListSummary`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemRow {
    pub title: String,
    pub description: String,
}

impl ItemRow {
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        ItemRow {
            title: title.into(),
            description: description.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemListAlignment {
    Left,
    Right,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    thumbnail: Option<Thumbnail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    head: Option<ItemCardHead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<ItemCardProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image_title: Option<ImageTitle>,
    item_list: Vec<ItemRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item_list_alignment: Option<ItemListAlignment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    item_list_summary: Option<ItemRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    buttons: Vec<Button>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    button_layout: Option<ButtonLayout>,
}

impl ItemCard {
    /// 1–5 rows.
    pub fn new(item_list: Vec<ItemRow>) -> Result<Self, LimitError> {
        check_count(
            "itemCard.itemList",
            item_list.len(),
            1,
            limits::ITEM_CARD_ITEMS_MAX,
        )?;
        Ok(ItemCard {
            item_list,
            ..Self::default()
        })
    }

    pub fn thumbnail(mut self, thumbnail: Thumbnail) -> Self {
        self.thumbnail = Some(thumbnail);
        self
    }

    pub fn head(mut self, title: impl Into<String>) -> Self {
        self.head = Some(ItemCardHead {
            title: title.into(),
        });
        self
    }

    pub fn profile(mut self, profile: ItemCardProfile) -> Self {
        self.profile = Some(profile);
        self
    }

    pub fn image_title(mut self, image_title: ImageTitle) -> Self {
        self.image_title = Some(image_title);
        self
    }

    pub fn alignment(mut self, alignment: ItemListAlignment) -> Self {
        self.item_list_alignment = Some(alignment);
        self
    }

    pub fn summary(mut self, summary: ItemRow) -> Self {
        self.item_list_summary = Some(summary);
        self
    }

    /// Truncated to 50 chars like the other card titles.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = opt_text(title, limits::TEXT_CARD_TITLE_MAX);
        self
    }

    /// Truncated to 230 chars like basicCard.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = opt_text(description, limits::BASIC_CARD_DESCRIPTION_MAX);
        self
    }

    /// At most 3 buttons.
    pub fn button(mut self, button: Button) -> Result<Self, LimitError> {
        push_limited(
            "itemCard.buttons",
            &mut self.buttons,
            button,
            limits::CARD_BUTTONS_MAX,
        )?;
        Ok(self)
    }

    pub fn buttons(self, buttons: impl IntoIterator<Item = Button>) -> Result<Self, LimitError> {
        buttons.into_iter().try_fold(self, Self::button)
    }

    pub fn layout(mut self, layout: ButtonLayout) -> Self {
        self.button_layout = Some(layout);
        self
    }

    pub fn item_list(&self) -> &[ItemRow] {
        &self.item_list
    }

    pub fn button_list(&self) -> &[Button] {
        &self.buttons
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CarouselHeader {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Only `imageUrl` is honoured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Thumbnail>,
}

/// The cards of a carousel, all of one type: serialized as `"type"` + `"items"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "items", rename_all = "camelCase")]
pub enum CarouselItems {
    BasicCard(Vec<BasicCard>),
    CommerceCard(Vec<CommerceCard>),
    ListCard(Vec<ListCard>),
    ItemCard(Vec<ItemCard>),
    TextCard(Vec<TextCard>),
}

impl CarouselItems {
    pub fn len(&self) -> usize {
        match self {
            CarouselItems::BasicCard(v) => v.len(),
            CarouselItems::CommerceCard(v) => v.len(),
            CarouselItems::ListCard(v) => v.len(),
            CarouselItems::ItemCard(v) => v.len(),
            CarouselItems::TextCard(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

macro_rules! into_carousel_items {
    ($($t:ident),*) => {$(
        impl From<Vec<$t>> for CarouselItems {
            fn from(v: Vec<$t>) -> Self {
                CarouselItems::$t(v)
            }
        }
    )*};
}
into_carousel_items!(BasicCard, CommerceCard, ListCard, ItemCard, TextCard);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Carousel {
    #[serde(flatten)]
    items: CarouselItems,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header: Option<CarouselHeader>,
}

impl Carousel {
    /// 1–10 cards of one type, e.g. `Carousel::new(vec![basic_card_a, basic_card_b])`.
    pub fn new(items: impl Into<CarouselItems>) -> Result<Self, LimitError> {
        let items = items.into();
        check_count("carousel.items", items.len(), 1, limits::CAROUSEL_ITEMS_MAX)?;
        Ok(Carousel {
            items,
            header: None,
        })
    }

    pub fn header(mut self, header: CarouselHeader) -> Self {
        self.header = Some(header);
        self
    }

    pub fn items(&self) -> &CarouselItems {
        &self.items
    }
}

// ---------------------------------------------------------------------------------------------
// Context

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContextControl {
    pub values: Vec<ContextValue>,
}

impl ContextControl {
    pub fn new(values: Vec<ContextValue>) -> Self {
        ContextControl { values }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextValue {
    /// Must exist in the bot's context list.
    pub name: String,
    /// Remaining turns; 0 deletes the context.
    pub life_span: u32,
    /// Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl ContextValue {
    pub fn new(name: impl Into<String>, life_span: u32) -> Self {
        ContextValue {
            name: name.into(),
            life_span,
            ..Self::default()
        }
    }

    /// Deletes the context (`lifeSpan: 0`).
    pub fn clear(name: impl Into<String>) -> Self {
        Self::new(name, 0)
    }

    pub fn ttl(mut self, seconds: u32) -> Self {
        self.ttl = Some(seconds);
        self
    }

    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(key.into(), value.into());
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Validation of any response JSON

/// Checks every limit of this module on any SkillResponse JSON, returning one message per
/// violation (prefixed with its JSON path). Tests of other crates run it on every answer.
pub fn validate(response: &Value) -> Result<(), Vec<String>> {
    let mut v = Validator::default();
    v.response(response);
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<String>,
}

const BUTTON_ACTIONS: &[&str] = &["webLink", "message", "block", "phone", "share", "operator"];
const CAROUSEL_TYPES: &[&str] = &[
    "basicCard",
    "commerceCard",
    "listCard",
    "itemCard",
    "textCard",
];

impl Validator {
    fn err(&mut self, path: &str, msg: impl std::fmt::Display) {
        self.errors.push(format!("{path}: {msg}"));
    }

    fn object<'a>(&mut self, path: &str, v: &'a Value) -> Option<&'a Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.err(path, "must be an object");
        }
        o
    }

    /// An optional string field, checked against `max` chars.
    fn text(&mut self, path: &str, obj: &Map<String, Value>, key: &str, max: usize) {
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n > max {
                    self.err(&format!("{path}.{key}"), format!("{n} chars > {max}"));
                }
            }
            Some(_) => self.err(&format!("{path}.{key}"), "must be a string"),
        }
    }

    fn required_text(&mut self, path: &str, obj: &Map<String, Value>, key: &str, max: usize) {
        match obj.get(key) {
            Some(Value::String(s)) if !s.is_empty() => self.text(path, obj, key, max),
            _ => self.err(&format!("{path}.{key}"), "required non-empty string"),
        }
    }

    /// An optional array, checked to hold `min..=max` entries; absent counts as empty.
    fn array<'a>(
        &mut self,
        path: &str,
        obj: &'a Map<String, Value>,
        key: &str,
        min: usize,
        max: usize,
    ) -> &'a [Value] {
        let p = format!("{path}.{key}");
        let items: &[Value] = match obj.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.err(&p, "must be an array");
                return &[];
            }
        };
        if items.len() < min {
            self.err(&p, format!("{} items < {min}", items.len()));
        }
        if items.len() > max {
            self.err(&p, format!("{} items > {max}", items.len()));
        }
        items
    }

    fn response(&mut self, v: &Value) {
        let Some(root) = self.object("$", v) else {
            return;
        };
        if root.get("version").and_then(Value::as_str) != Some(limits::VERSION) {
            self.err("$.version", "must be \"2.0\"");
        }
        let size = v.to_string().len();
        if size > limits::RESPONSE_BYTES_MAX {
            self.err(
                "$",
                format!("{size} bytes > {}", limits::RESPONSE_BYTES_MAX),
            );
        }
        let has = |k: &str| root.get(k).is_some_and(|x| !x.is_null());
        if !has("template") && !has("data") && root.get("useCallback") != Some(&Value::Bool(true)) {
            self.err("$", "needs template, data or useCallback: true");
        }
        if let Some(t) = root.get("template").filter(|t| !t.is_null()) {
            self.template("$.template", t);
        }
        if let Some(c) = root.get("context").filter(|c| !c.is_null()) {
            self.context("$.context", c);
        }
        if let Some(d) = root.get("data").filter(|d| !d.is_null())
            && !d.is_object()
        {
            self.err("$.data", "must be an object");
        }
    }

    fn template(&mut self, path: &str, v: &Value) {
        let Some(t) = self.object(path, v) else {
            return;
        };
        let outputs = self.array(path, t, "outputs", limits::OUTPUTS_MIN, limits::OUTPUTS_MAX);
        for (i, o) in outputs.iter().enumerate() {
            self.output(&format!("{path}.outputs[{i}]"), o);
        }
        let replies = self.array(path, t, "quickReplies", 0, limits::QUICK_REPLIES_MAX);
        for (i, q) in replies.iter().enumerate() {
            self.quick_reply(&format!("{path}.quickReplies[{i}]"), q);
        }
    }

    fn output(&mut self, path: &str, v: &Value) {
        let Some(o) = self.object(path, v) else {
            return;
        };
        if o.len() != 1 {
            self.err(path, format!("must have exactly one key, has {}", o.len()));
        }
        for (kind, body) in o {
            let p = format!("{path}.{kind}");
            match kind.as_str() {
                "carousel" => self.carousel(&p, body),
                k => self.component(&p, k, body),
            }
        }
    }

    fn component(&mut self, path: &str, kind: &str, v: &Value) {
        let Some(c) = self.object(path, v) else {
            return;
        };
        match kind {
            "simpleText" => self.required_text(path, c, "text", limits::SIMPLE_TEXT_MAX),
            "simpleImage" => {
                self.required_text(path, c, "imageUrl", usize::MAX);
                self.required_text(path, c, "altText", limits::SIMPLE_IMAGE_ALT_TEXT_MAX);
            }
            "textCard" => {
                self.text(path, c, "title", limits::TEXT_CARD_TITLE_MAX);
                self.text(path, c, "description", limits::TEXT_CARD_DESCRIPTION_MAX);
                let non_empty = |k: &str| {
                    c.get(k)
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty())
                };
                if !non_empty("title") && !non_empty("description") {
                    self.err(path, "needs a title or a description");
                }
                self.buttons(path, c, 0, limits::CARD_BUTTONS_MAX);
            }
            "basicCard" => {
                self.text(path, c, "title", limits::BASIC_CARD_TITLE_MAX);
                self.text(path, c, "description", limits::BASIC_CARD_DESCRIPTION_MAX);
                match c.get("thumbnail") {
                    Some(t) => self.thumbnail(&format!("{path}.thumbnail"), t),
                    None => self.err(&format!("{path}.thumbnail"), "required"),
                }
                self.buttons(path, c, 0, limits::CARD_BUTTONS_MAX);
            }
            "commerceCard" => {
                self.text(path, c, "title", limits::BASIC_CARD_TITLE_MAX);
                self.text(
                    path,
                    c,
                    "description",
                    limits::COMMERCE_CARD_DESCRIPTION_MAX,
                );
                if !c.get("price").is_some_and(|p| p.is_i64() || p.is_u64()) {
                    self.err(&format!("{path}.price"), "required integer");
                }
                for key in ["discount", "discountRate", "discountedPrice"] {
                    if c.get(key)
                        .is_some_and(|p| !(p.is_i64() || p.is_u64() || p.is_null()))
                    {
                        self.err(&format!("{path}.{key}"), "must be an integer");
                    }
                }
                if let Some(cur) = c.get("currency")
                    && cur.as_str() != Some("won")
                {
                    self.err(&format!("{path}.currency"), "must be \"won\"");
                }
                let thumbs = self.array(path, c, "thumbnails", 1, 1);
                for (i, t) in thumbs.iter().enumerate() {
                    self.thumbnail(&format!("{path}.thumbnails[{i}]"), t);
                }
                self.buttons(
                    path,
                    c,
                    limits::COMMERCE_CARD_BUTTONS_MIN,
                    limits::CARD_BUTTONS_MAX,
                );
            }
            "listCard" => {
                match c.get("header").and_then(Value::as_object) {
                    Some(h) => {
                        self.required_text(&format!("{path}.header"), h, "title", usize::MAX)
                    }
                    None => self.err(&format!("{path}.header"), "required object"),
                }
                let items = self.array(path, c, "items", 1, limits::LIST_CARD_ITEMS_MAX);
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{path}.items[{i}]");
                    if let Some(it) = self.object(&p, item) {
                        self.required_text(&p, it, "title", usize::MAX);
                        if let Some(a) = it.get("action") {
                            match a.as_str() {
                                Some("block") => self.required_text(&p, it, "blockId", usize::MAX),
                                Some("message") => {}
                                _ => self.err(&format!("{p}.action"), "must be block or message"),
                            }
                        }
                    }
                }
                self.buttons(path, c, 0, limits::LIST_CARD_BUTTONS_MAX);
            }
            "itemCard" => {
                let rows = self.array(path, c, "itemList", 1, limits::ITEM_CARD_ITEMS_MAX);
                for (i, row) in rows.iter().enumerate() {
                    let p = format!("{path}.itemList[{i}]");
                    if let Some(r) = self.object(&p, row) {
                        self.required_text(&p, r, "title", usize::MAX);
                        self.required_text(&p, r, "description", usize::MAX);
                    }
                }
                if let Some(a) = c.get("itemListAlignment")
                    && !matches!(a.as_str(), Some("left" | "right"))
                {
                    self.err(
                        &format!("{path}.itemListAlignment"),
                        "must be left or right",
                    );
                }
                if let Some(t) = c.get("thumbnail") {
                    self.thumbnail(&format!("{path}.thumbnail"), t);
                }
                self.buttons(path, c, 0, limits::CARD_BUTTONS_MAX);
            }
            other => self.err(path, format!("unknown component {other:?}")),
        }
        if let Some(layout) = c.get("buttonLayout")
            && !matches!(layout.as_str(), Some("vertical" | "horizontal"))
        {
            self.err(
                &format!("{path}.buttonLayout"),
                "must be vertical or horizontal",
            );
        }
    }

    fn carousel(&mut self, path: &str, v: &Value) {
        let Some(c) = self.object(path, v) else {
            return;
        };
        let kind = c.get("type").and_then(Value::as_str).unwrap_or_default();
        if !CAROUSEL_TYPES.contains(&kind) {
            self.err(
                &format!("{path}.type"),
                format!("must be one of {}", CAROUSEL_TYPES.join(", ")),
            );
        }
        let items = self.array(path, c, "items", 1, limits::CAROUSEL_ITEMS_MAX);
        if CAROUSEL_TYPES.contains(&kind) {
            for (i, item) in items.iter().enumerate() {
                self.component(&format!("{path}.items[{i}]"), kind, item);
            }
        }
    }

    fn thumbnail(&mut self, path: &str, v: &Value) {
        if let Some(t) = self.object(path, v) {
            self.required_text(path, t, "imageUrl", usize::MAX);
        }
    }

    fn buttons(&mut self, path: &str, card: &Map<String, Value>, min: usize, max: usize) {
        let buttons = self.array(path, card, "buttons", min, max);
        for (i, b) in buttons.iter().enumerate() {
            self.button(&format!("{path}.buttons[{i}]"), b, BUTTON_ACTIONS);
        }
    }

    fn quick_reply(&mut self, path: &str, v: &Value) {
        self.button(path, v, &["message", "block"]);
    }

    fn button(&mut self, path: &str, v: &Value, allowed: &[&str]) {
        let Some(b) = self.object(path, v) else {
            return;
        };
        self.required_text(path, b, "label", limits::LABEL_MAX);
        let action = b.get("action").and_then(Value::as_str).unwrap_or_default();
        if !allowed.contains(&action) {
            self.err(
                &format!("{path}.action"),
                format!("{action:?} is not one of {}", allowed.join(", ")),
            );
        }
        match action {
            "webLink" => self.required_text(path, b, "webLinkUrl", usize::MAX),
            "block" => self.required_text(path, b, "blockId", usize::MAX),
            "phone" => self.required_text(path, b, "phoneNumber", usize::MAX),
            _ => {}
        }
        if let Some(extra) = b.get("extra")
            && !(extra.is_object() || extra.is_null())
        {
            self.err(&format!("{path}.extra"), "must be an object");
        }
    }

    fn context(&mut self, path: &str, v: &Value) {
        let Some(c) = self.object(path, v) else {
            return;
        };
        let values = self.array(path, c, "values", 0, usize::MAX);
        for (i, value) in values.iter().enumerate() {
            let p = format!("{path}.values[{i}]");
            if let Some(cv) = self.object(&p, value) {
                self.required_text(&p, cv, "name", usize::MAX);
                if !cv.get("lifeSpan").is_some_and(Value::is_u64) {
                    self.err(&format!("{p}.lifeSpan"), "required non-negative integer");
                }
            }
        }
    }
}
