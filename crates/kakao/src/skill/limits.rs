//! Kakao's limits on a SkillResponse, as the official answer-format guide states them
//! (`shared/reference/kakao-apis.md` §1.4a). Counts are items, lengths are `char`s.
//! The builders of [`super::response`] keep them by construction; [`super::validate`] checks
//! them on any JSON.

pub const VERSION: &str = "2.0";

pub const OUTPUTS_MIN: usize = 1;
pub const OUTPUTS_MAX: usize = 3;
pub const QUICK_REPLIES_MAX: usize = 10;

pub const SIMPLE_TEXT_MAX: usize = 1000;
pub const SIMPLE_IMAGE_ALT_TEXT_MAX: usize = 50;

pub const TEXT_CARD_TITLE_MAX: usize = 50;
pub const TEXT_CARD_DESCRIPTION_MAX: usize = 400;
pub const TEXT_CARD_DESCRIPTION_IN_CAROUSEL_MAX: usize = 128;

pub const BASIC_CARD_TITLE_MAX: usize = 50;
pub const BASIC_CARD_DESCRIPTION_MAX: usize = 230;

pub const COMMERCE_CARD_TITLE_MAX: usize = 30;
pub const COMMERCE_CARD_DESCRIPTION_MAX: usize = 40;
pub const COMMERCE_CARD_BUTTONS_MIN: usize = 1;

pub const LIST_CARD_ITEMS_MAX: usize = 5;
pub const LIST_CARD_ITEMS_IN_CAROUSEL_MAX: usize = 4;
/// An older table's value; the current guide names no other, so the stricter one stays.
pub const LIST_CARD_BUTTONS_MAX: usize = 2;

pub const ITEM_CARD_ROWS_MAX: usize = 10;
pub const ITEM_CARD_ROWS_IN_CAROUSEL_MAX: usize = 5;
/// Kakao's own example uses 8; the guide's table says 6.
pub const ITEM_CARD_ROW_TITLE_MAX: usize = 6;
pub const ITEM_CARD_SUMMARY_TITLE_MAX: usize = 6;
pub const ITEM_CARD_SUMMARY_DESCRIPTION_MAX: usize = 14;
/// `title` and `description` together.
pub const ITEM_CARD_TEXT_MAX: usize = 200;
pub const ITEM_CARD_TEXT_IN_CAROUSEL_MAX: usize = 100;
pub const ITEM_CARD_PROFILE_TITLE_MAX: usize = 15;

pub const CAROUSEL_ITEMS_MAX: usize = 10;
pub const CAROUSEL_LIST_CARDS_MAX: usize = 5;
pub const CAROUSEL_TYPES: &[&str] = &[
    "basicCard",
    "commerceCard",
    "listCard",
    "itemCard",
    "textCard",
];
/// Carousel types that take no `header`.
pub const CAROUSEL_TYPES_WITHOUT_HEADER: &[&str] = &["textCard", "listCard"];

/// Buttons of one card laid out vertically (the default).
pub const CARD_BUTTONS_MAX: usize = 3;
/// Buttons side by side: `buttonLayout: "horizontal"`, or a `fixedRatio` thumbnail without
/// a layout.
pub const HORIZONTAL_BUTTONS_MAX: usize = 2;
pub const LABEL_MAX: usize = 14;
pub const HORIZONTAL_LABEL_MAX: usize = 8;
pub const BUTTON_ACTIONS: &[&str] = &["webLink", "message", "phone", "block", "share", "operator"];
pub const QUICK_REPLY_ACTIONS: &[&str] = &["message", "block"];

/// Unconfirmed cap on the whole serialized response (§1.1); kept as a sanity check.
pub const RESPONSE_BYTES_MAX: usize = 30_720;
