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

use serde::Serialize;
use serde_json::{Map, Value};

use super::limits;

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

/// `text` in at most `max_chars` chars: whole when it fits, otherwise cut and ended with `…`,
/// at the last space when that keeps at least half of the room (Korean and English both
/// separate words by spaces), else mid-word.
pub fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    if max_chars == 0 {
        return String::new();
    }
    let room = max_chars - 1;
    let head: String = text.chars().take(room).collect();
    let at_space = head
        .char_indices()
        .filter(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .next_back()
        .filter(|&i| head[..i].trim_end().chars().count() * 2 >= room);
    let mut out = match at_space {
        Some(i) => head[..i].trim_end().to_owned(),
        None => head,
    };
    out.push('…');
    out
}

fn opt_text(text: impl AsRef<str>, max: usize) -> Option<String> {
    let text = text.as_ref().trim();
    (!text.is_empty()).then(|| shorten(text, max))
}

/// Always serializes as `"2.0"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Version;

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(limits::VERSION)
    }
}

// ---------------------------------------------------------------------------------------------
// Response and template

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

// ---------------------------------------------------------------------------------------------
// Buttons and quick replies

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

// ---------------------------------------------------------------------------------------------
// Components

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

/// A card's buttons: at most 3.
fn add_button(
    what: &'static str,
    buttons: &mut Vec<Button>,
    button: Button,
) -> Result<(), LimitError> {
    push_limited(what, buttons, button, limits::CARD_BUTTONS_MAX)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
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
    items: Vec<ListItem>,
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
    item_list: Vec<ItemRow>,
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

    fn fit_text(&mut self, max: usize) {
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

/// A card that can sit in a carousel, held there to the in-carousel limits.
pub trait CarouselCard: Sized {
    /// How many of these one carousel holds.
    const MAX: usize;
    /// The card as it may appear inside a carousel: texts shortened, counts checked.
    fn in_carousel(self) -> Result<Self, LimitError>;
    fn wrap(cards: Vec<Self>) -> CarouselItems;
}

impl CarouselCard for TextCard {
    const MAX: usize = limits::CAROUSEL_ITEMS_MAX;

    fn in_carousel(mut self) -> Result<Self, LimitError> {
        self.description = self
            .description
            .map(|d| shorten(&d, limits::TEXT_CARD_DESCRIPTION_IN_CAROUSEL_MAX));
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::TextCard(cards)
    }
}

impl CarouselCard for BasicCard {
    const MAX: usize = limits::CAROUSEL_ITEMS_MAX;

    fn in_carousel(self) -> Result<Self, LimitError> {
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::BasicCard(cards)
    }
}

impl CarouselCard for ListCard {
    const MAX: usize = limits::CAROUSEL_LIST_CARDS_MAX;

    fn in_carousel(self) -> Result<Self, LimitError> {
        check_count(
            "listCard.items in a carousel",
            self.items.len(),
            1,
            limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX,
        )?;
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::ListCard(cards)
    }
}

impl CarouselCard for ItemCard {
    const MAX: usize = limits::CAROUSEL_ITEMS_MAX;

    fn in_carousel(mut self) -> Result<Self, LimitError> {
        check_count(
            "itemCard.itemList in a carousel",
            self.item_list.len(),
            1,
            limits::ITEM_CARD_ROWS_IN_CAROUSEL_MAX,
        )?;
        self.fit_text(limits::ITEM_CARD_TEXT_IN_CAROUSEL_MAX);
        Ok(self)
    }

    fn wrap(cards: Vec<Self>) -> CarouselItems {
        CarouselItems::ItemCard(cards)
    }
}

/// The cards of a carousel, all of one type: serialized as `"type"` + `"items"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "items", rename_all = "camelCase")]
pub enum CarouselItems {
    BasicCard(Vec<BasicCard>),
    ListCard(Vec<ListCard>),
    ItemCard(Vec<ItemCard>),
    TextCard(Vec<TextCard>),
}

impl CarouselItems {
    pub fn len(&self) -> usize {
        match self {
            CarouselItems::BasicCard(v) => v.len(),
            CarouselItems::ListCard(v) => v.len(),
            CarouselItems::ItemCard(v) => v.len(),
            CarouselItems::TextCard(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A carousel without a header (the skills need none, and textCard and listCard carousels
/// take none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Carousel {
    #[serde(flatten)]
    items: CarouselItems,
}

impl Carousel {
    /// 1–10 cards of one type (1–5 list cards), each held to the in-carousel limits.
    pub fn new<T: CarouselCard>(cards: Vec<T>) -> Result<Self, LimitError> {
        check_count("carousel.items", cards.len(), 1, T::MAX)?;
        let cards = cards
            .into_iter()
            .map(T::in_carousel)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Carousel {
            items: T::wrap(cards),
        })
    }

    pub fn items(&self) -> &CarouselItems {
        &self.items
    }
}
