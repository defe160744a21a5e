use kakao::validate;
use serde_json::json;

fn errors(v: serde_json::Value) -> Vec<String> {
    validate(&v).expect_err("should be invalid")
}

fn assert_has(errs: &[String], needle: &str) {
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "no error containing {needle:?} in:\n{}",
        errs.join("\n")
    );
}

#[test]
fn documented_examples_are_valid() {
    for ok in [
        json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"주문이 접수되었습니다."}}],
               "quickReplies":[{"label":"메뉴","action":"message","messageText":"메뉴"}]}}),
        json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"…"}}]},
               "context":{"values":[{"name":"order","lifeSpan":5,"params":{"order_id":"A123"}}]}}),
        json!({"version":"2.0","data":{"text":"x"}}),
        json!({"version":"2.0","useCallback":true}),
    ] {
        assert_eq!(validate(&ok), Ok(()), "{ok}");
    }
}

#[test]
fn a_hand_written_bad_response_reports_every_violation() {
    let label15 = "가나다라마바사아자차카타파하거";
    let qr = |i: usize| json!({"label": format!("q{i}"), "action": "message"});
    let btn = |l: &str| json!({"label": l, "action": "message"});
    let bad = json!({
        "version": "2",
        "template": {
            "outputs": [
                {"simpleText": {"text": "가".repeat(1001)}},
                {"textCard": {"title": "t".repeat(51), "description": "d".repeat(401),
                              "buttons": [btn("1"), btn("2"), btn("3"), btn("4")]}},
                {"basicCard": {"description": "d".repeat(231),
                               "buttons": [{"label": label15, "action": "webLink"}]}},
                {"carousel": {"type": "commerceCard", "items": [
                    {"price": "5000", "currency": "usd", "description": "d".repeat(77),
                     "thumbnails": [{"imageUrl": "a"}, {"imageUrl": "b"}], "buttons": []}
                ]}}
            ],
            "quickReplies": (0..11).map(qr).collect::<Vec<_>>()
        }
    });
    let errs = errors(bad);
    for needle in [
        "$.version",
        "$.template.outputs: 4 items > 3",
        "$.template.quickReplies: 11 items > 10",
        "outputs[0].simpleText.text: 1001 chars > 1000",
        "outputs[1].textCard.title: 51 chars > 50",
        "outputs[1].textCard.description: 401 chars > 400",
        "outputs[1].textCard.buttons: 4 items > 3",
        "outputs[2].basicCard.thumbnail: required",
        "outputs[2].basicCard.description: 231 chars > 230",
        "outputs[2].basicCard.buttons[0].label: 15 chars > 14",
        "outputs[2].basicCard.buttons[0].webLinkUrl",
        "carousel.items[0].price: required integer",
        "carousel.items[0].currency",
        "carousel.items[0].description: 77 chars > 76",
        "carousel.items[0].thumbnails: 2 items > 1",
        "carousel.items[0].buttons: 0 items < 1",
    ] {
        assert_has(&errs, needle);
    }
}

#[test]
fn list_item_carousel_and_quick_reply_violations() {
    let item = |i: usize| json!({"title": format!("i{i}")});
    let errs = errors(json!({
        "version": "2.0",
        "template": {
            "outputs": [
                {"listCard": {"items": (0..6).map(item).collect::<Vec<_>>(),
                              "buttons": [{"label":"a","action":"share"},{"label":"b","action":"share"},{"label":"c","action":"share"}]}},
                {"itemCard": {"itemList": (0..6).map(|i| json!({"title": i.to_string(), "description": "x"})).collect::<Vec<_>>(),
                              "itemListAlignment": "center"}},
                {"carousel": {"type": "simpleText", "items": (0..11).map(|_| json!({"text": "x"})).collect::<Vec<_>>()}}
            ],
            "quickReplies": [
                {"label": "가나다라마바사아자차카타파하거", "action": "message"},
                {"label": "웹", "action": "webLink", "webLinkUrl": "https://x"},
                {"label": "블록", "action": "block"},
                {"label": "", "action": "message", "extra": "null"}
            ]
        }
    }));
    for needle in [
        "listCard.header: required object",
        "listCard.items: 6 items > 5",
        "listCard.buttons: 3 items > 2",
        "itemCard.itemList: 6 items > 5",
        "itemCard.itemListAlignment",
        "carousel.type: must be one of",
        "carousel.items: 11 items > 10",
        "quickReplies[0].label: 15 chars > 14",
        "quickReplies[1].action",
        "quickReplies[2].blockId",
        "quickReplies[3].label: required",
        "quickReplies[3].extra: must be an object",
    ] {
        assert_has(&errs, needle);
    }
}

#[test]
fn structural_violations() {
    assert_has(&errors(json!([])), "$: must be an object");
    assert_has(
        &errors(json!({"version":"2.0"})),
        "needs template, data or useCallback",
    );
    assert_has(
        &errors(json!({"version":"2.0","template":{"outputs":[]}})),
        "outputs: 0 items < 1",
    );
    assert_has(
        &errors(
            json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"a"},"simpleImage":{}}]}}),
        ),
        "exactly one key",
    );
    assert_has(
        &errors(json!({"version":"2.0","template":{"outputs":[{"fancyCard":{}}]}})),
        "unknown component",
    );
    assert_has(
        &errors(
            json!({"version":"2.0","template":{"outputs":[{"simpleImage":{"imageUrl":"x","altText":"a".repeat(51)}}]}}),
        ),
        "altText: 51 chars > 50",
    );
    assert_has(
        &errors(json!({"version":"2.0","template":{"outputs":[{"textCard":{"buttons":[]}}]}})),
        "needs a title or a description",
    );
    assert_has(
        &errors(
            json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"a"}}]},
                       "context":{"values":[{"name":"","lifeSpan":-1}]}}),
        ),
        "lifeSpan",
    );
    let huge: Vec<_> = (0..3)
        .map(|_| json!({"simpleText":{"text":"가".repeat(1000)}}))
        .collect();
    let mut big = json!({"version":"2.0","template":{"outputs":huge}});
    assert_eq!(validate(&big), Ok(()));
    big["data"] = json!({"blob": "x".repeat(30_000)});
    assert_has(&errors(big), "bytes > 30720");
}

#[test]
fn labels_count_chars_not_bytes() {
    let ok = json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"a"}}],
        "quickReplies":[{"label":"가나다라마바사아자차카타파하","action":"message"}]}});
    assert_eq!(validate(&ok), Ok(()));
}
