//! Checks any SkillResponse JSON (not only ones built by [`super::response`]) against every
//! limit of [`super::limits`], reporting each violation with its JSON path. The services check
//! their answers with it before sending them, the sandbox marks answers with it, and the tests
//! of every skill run it on every answer.

use serde_json::{Map, Value};

use super::limits;

/// `Ok` when Kakao would accept the answer; otherwise one message per broken rule.
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

/// Where a card sits: some limits are stricter inside a carousel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Single,
    Carousel,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn non_empty_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn is_integer(v: &Value) -> bool {
    v.is_i64() || v.is_u64()
}

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

    /// An optional string field of at most `max` chars.
    fn text(&mut self, path: &str, obj: &Map<String, Value>, key: &str, max: usize) {
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                let n = chars(s);
                if n > max {
                    self.err(&format!("{path}.{key}"), format!("{n} chars > {max}"));
                }
            }
            Some(_) => self.err(&format!("{path}.{key}"), "must be a string"),
        }
    }

    fn required_text(&mut self, path: &str, obj: &Map<String, Value>, key: &str, max: usize) {
        if non_empty_str(obj, key).is_some() {
            self.text(path, obj, key, max);
        } else {
            self.err(&format!("{path}.{key}"), "required non-empty string");
        }
    }

    /// An optional array of `min..=max` entries; absent counts as empty.
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
        let given = |k: &str| root.get(k).filter(|x| !x.is_null());
        // The template is needed only when the block draws the skill's answer; a block that
        // uses webhook values or only sets contexts takes an answer without one.
        if given("template").is_none()
            && given("context").is_none()
            && given("data").is_none()
            && root.get("useCallback") != Some(&Value::Bool(true))
        {
            self.err("$", "needs a template, context, data or useCallback: true");
        }
        if let Some(t) = given("template") {
            self.template("$.template", t);
        }
        if let Some(c) = given("context") {
            self.context("$.context", c);
        }
        if let Some(d) = given("data")
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
            self.button(
                &format!("{path}.quickReplies[{i}]"),
                q,
                limits::QUICK_REPLY_ACTIONS,
                limits::LABEL_MAX,
            );
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
                k => self.component(&p, k, body, Place::Single),
            }
        }
    }

    fn component(&mut self, path: &str, kind: &str, v: &Value, place: Place) {
        let Some(c) = self.object(path, v) else {
            return;
        };
        let in_carousel = place == Place::Carousel;
        match kind {
            "simpleText" => self.required_text(path, c, "text", limits::SIMPLE_TEXT_MAX),
            "simpleImage" => {
                self.required_text(path, c, "imageUrl", usize::MAX);
                self.text(path, c, "altText", limits::SIMPLE_IMAGE_ALT_TEXT_MAX);
            }
            "textCard" => {
                let description_max = if in_carousel {
                    limits::TEXT_CARD_DESCRIPTION_IN_CAROUSEL_MAX
                } else {
                    limits::TEXT_CARD_DESCRIPTION_MAX
                };
                self.text(path, c, "title", limits::TEXT_CARD_TITLE_MAX);
                self.text(path, c, "description", description_max);
                if non_empty_str(c, "title").is_none() && non_empty_str(c, "description").is_none()
                {
                    self.err(path, "needs a title or a description");
                }
                self.buttons(path, c, 0);
            }
            "basicCard" => {
                self.text(path, c, "title", limits::BASIC_CARD_TITLE_MAX);
                self.text(path, c, "description", limits::BASIC_CARD_DESCRIPTION_MAX);
                match c.get("thumbnail") {
                    Some(t) => self.thumbnail(&format!("{path}.thumbnail"), t),
                    None => self.err(&format!("{path}.thumbnail"), "required"),
                }
                self.buttons(path, c, 0);
            }
            "commerceCard" => self.commerce_card(path, c),
            "listCard" => self.list_card(path, c, place),
            "itemCard" => self.item_card(path, c, place),
            other => self.err(path, format!("unknown component {other:?}")),
        }
    }

    fn commerce_card(&mut self, path: &str, c: &Map<String, Value>) {
        self.text(path, c, "title", limits::COMMERCE_CARD_TITLE_MAX);
        self.text(
            path,
            c,
            "description",
            limits::COMMERCE_CARD_DESCRIPTION_MAX,
        );
        if !c.get("price").is_some_and(is_integer) {
            self.err(&format!("{path}.price"), "required integer");
        }
        for key in ["discount", "discountRate", "discountedPrice"] {
            if c.get(key).is_some_and(|p| !(is_integer(p) || p.is_null())) {
                self.err(&format!("{path}.{key}"), "must be an integer");
            }
        }
        let given = |k: &str| c.get(k).is_some_and(|x| !x.is_null());
        if given("discountRate") && !given("discountedPrice") {
            self.err(
                &format!("{path}.discountedPrice"),
                "required when discountRate is given",
            );
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
        self.buttons(path, c, limits::COMMERCE_CARD_BUTTONS_MIN);
    }

    fn list_card(&mut self, path: &str, c: &Map<String, Value>, place: Place) {
        match c.get("header").and_then(Value::as_object) {
            Some(h) => self.required_text(&format!("{path}.header"), h, "title", usize::MAX),
            None => self.err(&format!("{path}.header"), "required object"),
        }
        let max = match place {
            Place::Single => limits::LIST_CARD_ITEMS_MAX,
            Place::Carousel => limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX,
        };
        let items = self.array(path, c, "items", 1, max);
        for (i, item) in items.iter().enumerate() {
            let p = format!("{path}.items[{i}]");
            let Some(it) = self.object(&p, item) else {
                continue;
            };
            self.required_text(&p, it, "title", usize::MAX);
            match it.get("action").map(Value::as_str) {
                None => {}
                Some(Some("block")) => self.required_text(&p, it, "blockId", usize::MAX),
                Some(Some("message")) => self.required_text(&p, it, "messageText", usize::MAX),
                Some(_) => self.err(&format!("{p}.action"), "must be block or message"),
            }
        }
        let buttons = self.array(path, c, "buttons", 0, limits::LIST_CARD_BUTTONS_MAX);
        let label_max = self.label_max(c, buttons.len());
        for (i, b) in buttons.iter().enumerate() {
            self.button(
                &format!("{path}.buttons[{i}]"),
                b,
                limits::BUTTON_ACTIONS,
                label_max,
            );
        }
        self.layout(path, c);
    }

    fn item_card(&mut self, path: &str, c: &Map<String, Value>, place: Place) {
        let (rows_max, text_max) = match place {
            Place::Single => (limits::ITEM_CARD_ROWS_MAX, limits::ITEM_CARD_TEXT_MAX),
            Place::Carousel => (
                limits::ITEM_CARD_ROWS_IN_CAROUSEL_MAX,
                limits::ITEM_CARD_TEXT_IN_CAROUSEL_MAX,
            ),
        };
        let rows = self.array(path, c, "itemList", 1, rows_max);
        for (i, row) in rows.iter().enumerate() {
            let p = format!("{path}.itemList[{i}]");
            if let Some(r) = self.object(&p, row) {
                self.required_text(&p, r, "title", limits::ITEM_CARD_ROW_TITLE_MAX);
                self.required_text(&p, r, "description", usize::MAX);
            }
        }
        if let Some(summary) = c.get("itemListSummary") {
            let p = format!("{path}.itemListSummary");
            if let Some(s) = self.object(&p, summary) {
                self.required_text(&p, s, "title", limits::ITEM_CARD_SUMMARY_TITLE_MAX);
                self.required_text(
                    &p,
                    s,
                    "description",
                    limits::ITEM_CARD_SUMMARY_DESCRIPTION_MAX,
                );
            }
        }
        self.text(path, c, "title", usize::MAX);
        self.text(path, c, "description", usize::MAX);
        let title = c.get("title").and_then(Value::as_str).unwrap_or_default();
        let description = c
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let together = chars(title) + chars(description);
        if together > text_max {
            self.err(
                path,
                format!("title and description together {together} chars > {text_max}"),
            );
        }
        if title.is_empty() && !description.is_empty() {
            self.err(&format!("{path}.description"), "needs a title");
        }
        let given = |k: &str| c.get(k).is_some_and(|x| !x.is_null());
        if given("head") && given("profile") {
            self.err(path, "head and profile cannot be given together");
        }
        if let Some(profile) = c.get("profile").filter(|p| !p.is_null()) {
            let p = format!("{path}.profile");
            if let Some(pr) = self.object(&p, profile) {
                self.required_text(&p, pr, "title", limits::ITEM_CARD_PROFILE_TITLE_MAX);
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
        self.buttons(path, c, 0);
    }

    fn carousel(&mut self, path: &str, v: &Value) {
        let Some(c) = self.object(path, v) else {
            return;
        };
        let kind = c.get("type").and_then(Value::as_str).unwrap_or_default();
        let known = limits::CAROUSEL_TYPES.contains(&kind);
        if !known {
            self.err(
                &format!("{path}.type"),
                format!("must be one of {}", limits::CAROUSEL_TYPES.join(", ")),
            );
        }
        let max = if kind == "listCard" {
            limits::CAROUSEL_LIST_CARDS_MAX
        } else {
            limits::CAROUSEL_ITEMS_MAX
        };
        let items = self.array(path, c, "items", 1, max);
        if known {
            for (i, item) in items.iter().enumerate() {
                self.component(&format!("{path}.items[{i}]"), kind, item, Place::Carousel);
            }
        }
        let ratios: Vec<bool> = items.iter().filter_map(fixed_ratio).collect();
        if ratios.windows(2).any(|w| w[0] != w[1]) {
            self.err(
                &format!("{path}.items"),
                "all images of a carousel must have one ratio (fixedRatio)",
            );
        }
        if let Some(header) = c.get("header").filter(|h| !h.is_null()) {
            let p = format!("{path}.header");
            if limits::CAROUSEL_TYPES_WITHOUT_HEADER.contains(&kind) {
                self.err(&p, format!("not supported for a {kind} carousel"));
            }
            if let Some(h) = self.object(&p, header) {
                self.required_text(&p, h, "title", usize::MAX);
                self.required_text(&p, h, "description", usize::MAX);
                match h.get("thumbnail") {
                    Some(t) => self.thumbnail(&format!("{p}.thumbnail"), t),
                    None => self.err(&format!("{p}.thumbnail"), "required"),
                }
            }
        }
    }

    fn thumbnail(&mut self, path: &str, v: &Value) {
        if let Some(t) = self.object(path, v) {
            self.required_text(path, t, "imageUrl", usize::MAX);
            if t.get("fixedRatio").is_some_and(|f| !f.is_boolean()) {
                self.err(&format!("{path}.fixedRatio"), "must be a boolean");
            }
        }
    }

    /// Whether the card's buttons sit side by side.
    fn horizontal(card: &Map<String, Value>) -> bool {
        match card.get("buttonLayout").and_then(Value::as_str) {
            Some(layout) => layout == "horizontal",
            None => fixed_ratio_of(card) == Some(true),
        }
    }

    fn label_max(&self, card: &Map<String, Value>, buttons: usize) -> usize {
        if Self::horizontal(card) && buttons > 1 {
            limits::HORIZONTAL_LABEL_MAX
        } else {
            limits::LABEL_MAX
        }
    }

    fn layout(&mut self, path: &str, card: &Map<String, Value>) {
        if let Some(layout) = card.get("buttonLayout")
            && !matches!(layout.as_str(), Some("vertical" | "horizontal"))
        {
            self.err(
                &format!("{path}.buttonLayout"),
                "must be vertical or horizontal",
            );
        }
    }

    /// A card's buttons: at most 3 stacked, 2 side by side with labels of at most 8 chars.
    fn buttons(&mut self, path: &str, card: &Map<String, Value>, min: usize) {
        let max = if Self::horizontal(card) {
            limits::HORIZONTAL_BUTTONS_MAX
        } else {
            limits::CARD_BUTTONS_MAX
        };
        let buttons = self.array(path, card, "buttons", min, max);
        let label_max = self.label_max(card, buttons.len());
        for (i, b) in buttons.iter().enumerate() {
            self.button(
                &format!("{path}.buttons[{i}]"),
                b,
                limits::BUTTON_ACTIONS,
                label_max,
            );
        }
        self.layout(path, card);
    }

    fn button(&mut self, path: &str, v: &Value, allowed: &[&str], label_max: usize) {
        let Some(b) = self.object(path, v) else {
            return;
        };
        self.required_text(path, b, "label", label_max);
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

/// The `fixedRatio` of a card's image (basicCard and itemCard `thumbnail`, commerceCard
/// `thumbnails[0]`); absent means `false`.
fn fixed_ratio_of(card: &Map<String, Value>) -> Option<bool> {
    let thumbnail = card
        .get("thumbnail")
        .or_else(|| card.get("thumbnails").and_then(|t| t.get(0)))?;
    Some(
        thumbnail
            .get("fixedRatio")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )
}

fn fixed_ratio(card: &Value) -> Option<bool> {
    card.as_object().and_then(fixed_ratio_of)
}
