//! The validator against Kakao's official answer-format guide (kakao-apis.md §1.4a): the
//! guide's own examples pass, and every rule of its table is shown rejecting one violation.
//! Each rejection starts from a valid answer and breaks exactly one thing, so the test fails
//! if the rule is missing, not merely if something else is wrong.

use kakao::validate;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/guide/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const GUIDE_EXAMPLES: [&str; 15] = [
    "simple_text",
    "simple_image",
    "simple_image_without_alt_text",
    "text_card",
    "basic_card",
    "commerce_card",
    "list_card",
    "item_card",
    "item_card_head",
    "carousel_basic_card",
    "carousel_commerce_card_with_header",
    "carousel_list_card",
    "quick_replies",
    "context_only",
    "data_only",
];

#[test]
fn the_guides_examples_are_valid() {
    for name in GUIDE_EXAMPLES {
        assert_eq!(validate(&fixture(name)), Ok(()), "{name}");
    }
}

/// `base` is valid; after `break_it` it must be rejected with an error containing `needle`.
#[track_caller]
fn rejects(base: &str, needle: &str, break_it: impl FnOnce(&mut Value)) {
    let mut v = fixture(base);
    assert_eq!(validate(&v), Ok(()), "{base} is valid before the change");
    break_it(&mut v);
    let errors = validate(&v).expect_err("must be rejected");
    assert!(
        errors.iter().any(|e| e.contains(needle)),
        "no error containing {needle:?} in {errors:#?}"
    );
}

fn output(v: &mut Value) -> &mut Value {
    &mut v["template"]["outputs"][0]
}

fn text(n: usize) -> Value {
    Value::String("가".repeat(n))
}

// ---- response and template ----

#[test]
fn version_must_be_2_0() {
    rejects("simple_text", "$.version", |v| v["version"] = json!("1.0"));
}

#[test]
fn an_answer_needs_a_template_context_or_data() {
    rejects("data_only", "needs a template, context, data", |v| {
        v.as_object_mut().unwrap().remove("data");
    });
}

#[test]
fn outputs_are_one_to_three() {
    rejects("simple_text", "outputs: 0 items < 1", |v| {
        v["template"]["outputs"] = json!([]);
    });
    rejects("simple_text", "outputs: 4 items > 3", |v| {
        let one = v["template"]["outputs"][0].clone();
        v["template"]["outputs"] = json!([one, one, one, one]);
    });
}

#[test]
fn an_output_has_exactly_one_known_key() {
    rejects("simple_text", "exactly one key", |v| {
        output(v)["simpleImage"] = json!({"imageUrl": "https://x"});
    });
    rejects("simple_text", "unknown component", |v| {
        v["template"]["outputs"][0] = json!({"fancyCard": {}});
    });
}

#[test]
fn quick_replies_are_at_most_ten() {
    rejects("quick_replies", "quickReplies: 11 items > 10", |v| {
        let one = v["template"]["quickReplies"][0].clone();
        v["template"]["quickReplies"] = Value::Array(vec![one; 11]);
    });
}

#[test]
fn quick_replies_are_message_or_block_with_a_block_id() {
    rejects("quick_replies", "quickReplies[0].action", |v| {
        v["template"]["quickReplies"][0] =
            json!({"label": "웹", "action": "webLink", "webLinkUrl": "https://x"});
    });
    rejects("quick_replies", "quickReplies[2].blockId", |v| {
        v["template"]["quickReplies"][2]
            .as_object_mut()
            .unwrap()
            .remove("blockId");
    });
}

#[test]
fn context_values_need_a_name_and_a_life_span() {
    rejects("context_only", "values[0].lifeSpan", |v| {
        v["context"]["values"][0]["lifeSpan"] = json!(-1);
    });
}

#[test]
fn data_must_be_an_object() {
    rejects("data_only", "$.data: must be an object", |v| {
        v["data"] = json!("text");
    });
}

#[test]
fn the_whole_answer_stays_under_30720_bytes() {
    rejects("simple_text", "bytes > 30720", |v| {
        v["data"] = json!({"blob": "x".repeat(31_000)});
    });
}

// ---- simpleText, simpleImage ----

#[test]
fn simple_text_is_at_most_1000_chars() {
    let mut ok = fixture("simple_text");
    output(&mut ok)["simpleText"]["text"] = text(1000);
    assert_eq!(validate(&ok), Ok(()), "1000 chars (3000 bytes) fit");
    rejects("simple_text", "text: 1001 chars > 1000", |v| {
        output(v)["simpleText"]["text"] = text(1001);
    });
}

#[test]
fn simple_image_needs_an_image_and_at_most_50_chars_of_alt_text() {
    rejects("simple_image", "simpleImage.imageUrl", |v| {
        output(v)["simpleImage"]["imageUrl"] = json!("");
    });
    rejects("simple_image", "altText: 51 chars > 50", |v| {
        output(v)["simpleImage"]["altText"] = text(51);
    });
}

// ---- textCard ----

#[test]
fn text_card_title_is_at_most_50_chars() {
    rejects("text_card", "textCard.title: 51 chars > 50", |v| {
        output(v)["textCard"]["title"] = text(51);
    });
}

#[test]
fn text_card_description_is_at_most_400_chars_alone() {
    rejects("text_card", "textCard.description: 401 chars > 400", |v| {
        output(v)["textCard"]["description"] = text(401);
    });
}

#[test]
fn text_card_description_is_at_most_128_chars_in_a_carousel() {
    rejects("text_card", "items[0].description: 129 chars > 128", |v| {
        let mut card = output(v)["textCard"].clone();
        card["description"] = text(129);
        v["template"]["outputs"][0] = json!({"carousel": {"type": "textCard", "items": [card]}});
    });
}

#[test]
fn text_card_needs_a_title_or_a_description() {
    rejects("text_card", "needs a title or a description", |v| {
        let card = output(v)["textCard"].as_object_mut().unwrap();
        card.remove("title");
        card.remove("description");
    });
}

// ---- basicCard ----

#[test]
fn basic_card_title_is_at_most_50_chars() {
    rejects("basic_card", "basicCard.title: 51 chars > 50", |v| {
        output(v)["basicCard"]["title"] = text(51);
    });
}

#[test]
fn basic_card_description_is_at_most_230_chars() {
    rejects(
        "basic_card",
        "basicCard.description: 231 chars > 230",
        |v| {
            output(v)["basicCard"]["description"] = text(231);
        },
    );
}

#[test]
fn basic_card_needs_a_thumbnail() {
    rejects("basic_card", "basicCard.thumbnail: required", |v| {
        output(v)["basicCard"]
            .as_object_mut()
            .unwrap()
            .remove("thumbnail");
    });
}

// ---- commerceCard ----

#[test]
fn commerce_card_title_is_at_most_30_chars() {
    rejects("commerce_card", "commerceCard.title: 31 chars > 30", |v| {
        output(v)["commerceCard"]["title"] = text(31);
    });
}

#[test]
fn commerce_card_description_is_at_most_40_chars() {
    rejects(
        "commerce_card",
        "commerceCard.description: 41 chars > 40",
        |v| output(v)["commerceCard"]["description"] = text(41),
    );
}

#[test]
fn commerce_card_price_is_a_required_integer() {
    rejects("commerce_card", "price: required integer", |v| {
        output(v)["commerceCard"]["price"] = json!("10000");
    });
}

#[test]
fn commerce_card_currency_is_won() {
    rejects("commerce_card", "currency: must be \"won\"", |v| {
        output(v)["commerceCard"]["currency"] = json!("usd");
    });
}

#[test]
fn commerce_card_discount_rate_needs_a_discounted_price() {
    rejects(
        "carousel_commerce_card_with_header",
        "items[0].discountedPrice: required when discountRate",
        |v| {
            output(v)["carousel"]["items"][0]
                .as_object_mut()
                .unwrap()
                .remove("discountedPrice");
        },
    );
}

#[test]
fn commerce_card_has_exactly_one_thumbnail() {
    rejects("commerce_card", "thumbnails: 2 items > 1", |v| {
        let one = output(v)["commerceCard"]["thumbnails"][0].clone();
        output(v)["commerceCard"]["thumbnails"] = json!([one, one]);
    });
}

#[test]
fn commerce_card_needs_a_button() {
    rejects("commerce_card", "commerceCard.buttons: 0 items < 1", |v| {
        output(v)["commerceCard"]["buttons"] = json!([]);
    });
}

// ---- listCard ----

#[test]
fn list_card_needs_a_header() {
    rejects("list_card", "listCard.header: required", |v| {
        output(v)["listCard"]
            .as_object_mut()
            .unwrap()
            .remove("header");
    });
}

#[test]
fn list_card_has_at_most_5_items_alone() {
    rejects("list_card", "listCard.items: 6 items > 5", |v| {
        let one = output(v)["listCard"]["items"][0].clone();
        output(v)["listCard"]["items"] = Value::Array(vec![one; 6]);
    });
}

#[test]
fn list_card_has_at_most_4_items_in_a_carousel() {
    rejects("carousel_list_card", "items[0].items: 5 items > 4", |v| {
        let one = output(v)["carousel"]["items"][0]["items"][0].clone();
        output(v)["carousel"]["items"][0]["items"] = Value::Array(vec![one; 5]);
    });
}

#[test]
fn list_card_items_run_a_block_or_send_a_message() {
    rejects("list_card", "items[1].blockId", |v| {
        output(v)["listCard"]["items"][1]
            .as_object_mut()
            .unwrap()
            .remove("blockId");
    });
    rejects("list_card", "items[2].messageText", |v| {
        output(v)["listCard"]["items"][2]
            .as_object_mut()
            .unwrap()
            .remove("messageText");
    });
    rejects(
        "list_card",
        "items[0].action: must be block or message",
        |v| {
            output(v)["listCard"]["items"][0]["action"] = json!("webLink");
        },
    );
}

#[test]
fn list_card_has_at_most_2_buttons() {
    rejects("list_card", "listCard.buttons: 3 items > 2", |v| {
        let one = output(v)["listCard"]["buttons"][0].clone();
        output(v)["listCard"]["buttons"] = json!([one, one, one]);
    });
}

// ---- itemCard ----

#[test]
fn item_card_has_at_most_10_rows_alone() {
    rejects("item_card", "itemList: 11 items > 10", |v| {
        let one = output(v)["itemCard"]["itemList"][0].clone();
        output(v)["itemCard"]["itemList"] = Value::Array(vec![one; 11]);
    });
}

#[test]
fn item_card_has_at_most_5_rows_in_a_carousel() {
    rejects("item_card", "items[0].itemList: 6 items > 5", |v| {
        let mut card = output(v)["itemCard"].clone();
        let one = card["itemList"][0].clone();
        card["itemList"] = Value::Array(vec![one; 6]);
        v["template"]["outputs"][0] = json!({"carousel": {"type": "itemCard", "items": [card]}});
    });
}

#[test]
fn item_card_row_titles_are_at_most_6_chars() {
    rejects("item_card", "itemList[0].title: 7 chars > 6", |v| {
        output(v)["itemCard"]["itemList"][0]["title"] = json!("Departs");
    });
}

#[test]
fn item_card_summary_is_6_and_14_chars() {
    rejects("item_card", "itemListSummary.title: 7 chars > 6", |v| {
        output(v)["itemCard"]["itemListSummary"]["title"] = json!("Amounts");
    });
    rejects(
        "item_card",
        "itemListSummary.description: 15 chars > 14",
        |v| output(v)["itemCard"]["itemListSummary"]["description"] = json!("$4,032,000.5400"),
    );
}

#[test]
fn item_card_title_and_description_share_200_chars_alone() {
    rejects("item_card_head", "together 201 chars > 200", |v| {
        output(v)["itemCard"]["title"] = text(101);
        output(v)["itemCard"]["description"] = text(100);
    });
}

#[test]
fn item_card_title_and_description_share_100_chars_in_a_carousel() {
    rejects("item_card_head", "together 101 chars > 100", |v| {
        let mut card = output(v)["itemCard"].clone();
        card["title"] = text(51);
        card["description"] = text(50);
        v["template"]["outputs"][0] = json!({"carousel": {"type": "itemCard", "items": [card]}});
    });
}

#[test]
fn item_card_description_needs_a_title() {
    rejects(
        "item_card_head",
        "itemCard.description: needs a title",
        |v| {
            output(v)["itemCard"]
                .as_object_mut()
                .unwrap()
                .remove("title");
        },
    );
}

#[test]
fn item_card_head_and_profile_are_not_given_together() {
    rejects("item_card_head", "head and profile", |v| {
        output(v)["itemCard"]["profile"] = json!({"title": "AA Airline"});
    });
}

#[test]
fn item_card_profile_title_is_at_most_15_chars() {
    rejects("item_card", "profile.title: 16 chars > 15", |v| {
        output(v)["itemCard"]["profile"]["title"] = json!("AA Airline Korea");
    });
}

// ---- carousel ----

#[test]
fn carousel_has_at_most_10_cards() {
    rejects(
        "carousel_basic_card",
        "carousel.items: 11 items > 10",
        |v| {
            let one = output(v)["carousel"]["items"][0].clone();
            output(v)["carousel"]["items"] = Value::Array(vec![one; 11]);
        },
    );
}

#[test]
fn carousel_has_at_most_5_list_cards() {
    rejects("carousel_list_card", "carousel.items: 6 items > 5", |v| {
        let one = output(v)["carousel"]["items"][0].clone();
        output(v)["carousel"]["items"] = Value::Array(vec![one; 6]);
    });
}

#[test]
fn carousel_types_are_the_five_cards() {
    rejects(
        "carousel_basic_card",
        "carousel.type: must be one of",
        |v| {
            output(v)["carousel"]["type"] = json!("simpleText");
        },
    );
}

#[test]
fn carousel_images_share_one_ratio() {
    rejects("carousel_basic_card", "one ratio", |v| {
        output(v)["carousel"]["items"][1]["thumbnail"]["fixedRatio"] = json!(true);
    });
}

#[test]
fn carousel_header_needs_title_description_and_thumbnail() {
    rejects(
        "carousel_commerce_card_with_header",
        "header.thumbnail: required",
        |v| {
            output(v)["carousel"]["header"]
                .as_object_mut()
                .unwrap()
                .remove("thumbnail");
        },
    );
    rejects(
        "carousel_commerce_card_with_header",
        "header.description",
        |v| {
            output(v)["carousel"]["header"]
                .as_object_mut()
                .unwrap()
                .remove("description");
        },
    );
}

#[test]
fn carousel_header_is_not_supported_for_list_and_text_cards() {
    let header = json!({"title": "t", "description": "d", "thumbnail": {"imageUrl": "https://x"}});
    rejects(
        "carousel_list_card",
        "not supported for a listCard carousel",
        |v| output(v)["carousel"]["header"] = header.clone(),
    );
    rejects("text_card", "not supported for a textCard carousel", |v| {
        let card = output(v)["textCard"].clone();
        v["template"]["outputs"][0] =
            json!({"carousel": {"type": "textCard", "items": [card], "header": header}});
    });
}

// ---- buttons ----

#[test]
fn a_card_has_at_most_3_stacked_buttons() {
    rejects("basic_card", "basicCard.buttons: 4 items > 3", |v| {
        let one = output(v)["basicCard"]["buttons"][0].clone();
        output(v)["basicCard"]["buttons"] = Value::Array(vec![one; 4]);
    });
}

#[test]
fn a_horizontal_layout_has_at_most_2_buttons() {
    rejects("item_card_head", "itemCard.buttons: 3 items > 2", |v| {
        let one = output(v)["itemCard"]["buttons"][0].clone();
        output(v)["itemCard"]["buttons"] = Value::Array(vec![one; 3]);
    });
}

#[test]
fn a_fixed_ratio_thumbnail_without_a_layout_means_side_by_side() {
    rejects("text_card", "basicCard.buttons: 3 items > 2", |v| {
        let button = json!({"label": "열어보기", "action": "message"});
        v["template"]["outputs"][0] = json!({"basicCard": {
            "thumbnail": {"imageUrl": "https://x", "fixedRatio": true},
            "buttons": [button, button, button]
        }});
    });
}

#[test]
fn side_by_side_labels_are_at_most_8_chars() {
    rejects("item_card_head", "buttons[0].label: 9 chars > 8", |v| {
        output(v)["itemCard"]["buttons"][0]["label"] = json!("지금 바로 구매해");
    });
}

#[test]
fn labels_are_at_most_14_chars_counting_chars_not_bytes() {
    let mut ok = fixture("quick_replies");
    ok["template"]["quickReplies"][0]["label"] = text(14);
    assert_eq!(validate(&ok), Ok(()), "14 chars (42 bytes) fit");
    rejects(
        "quick_replies",
        "quickReplies[0].label: 15 chars > 14",
        |v| {
            v["template"]["quickReplies"][0]["label"] = text(15);
        },
    );
    rejects("basic_card", "buttons[0].label: 15 chars > 14", |v| {
        output(v)["basicCard"]["buttons"][0]["label"] = text(15);
    });
}

#[test]
fn a_button_action_is_one_of_the_six_with_its_target() {
    rejects("basic_card", "buttons[0].action", |v| {
        output(v)["basicCard"]["buttons"][0]["action"] = json!("osLink");
    });
    rejects("basic_card", "buttons[1].webLinkUrl", |v| {
        output(v)["basicCard"]["buttons"][1]
            .as_object_mut()
            .unwrap()
            .remove("webLinkUrl");
    });
    rejects("commerce_card", "buttons[1].phoneNumber", |v| {
        output(v)["commerceCard"]["buttons"][1]
            .as_object_mut()
            .unwrap()
            .remove("phoneNumber");
    });
}

#[test]
fn every_violation_is_reported_with_its_path() {
    let mut v = fixture("basic_card");
    output(&mut v)["basicCard"]["title"] = text(51);
    output(&mut v)["basicCard"]["description"] = text(231);
    v["template"]["quickReplies"] = json!([{"label": "", "action": "message", "extra": "null"}]);
    let errors = validate(&v).unwrap_err();
    assert_eq!(errors.len(), 4, "{errors:#?}");
}
