//! The builders: their JSON matches Kakao's documented shapes, and whatever goes into them the
//! answer keeps Kakao's limits (texts shortened at a word boundary, counts refused), including
//! the stricter ones of cards inside a carousel.

use kakao::skill::limits;
use kakao::skill::response::*;
use kakao::{LimitError, SkillResponse, validate};
use serde_json::{Value, json};

#[track_caller]
fn valid(r: &SkillResponse) -> Value {
    let v = r.to_value();
    validate(&v).unwrap_or_else(|e| panic!("built response invalid: {e:?}\n{v:#}"));
    v
}

fn thumb() -> Thumbnail {
    Thumbnail::new("https://img.example.com/latte.jpg")
}

fn target(id: &str) -> BlockTarget {
    BlockTarget::new(id)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

#[test]
fn simple_text_and_quick_replies_match_the_documented_example() {
    let r = SkillResponse::simple_text("주문이 접수되었습니다.")
        .quick_reply(QuickReply::message("메뉴"))
        .unwrap();
    assert_eq!(
        valid(&r),
        json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"주문이 접수되었습니다."}}],
               "quickReplies":[{"label":"메뉴","action":"message","messageText":"메뉴"}]}})
    );
}

#[test]
fn cards_buttons_and_block_targets_serialize_as_kakao_expects() {
    let card = BasicCard::new(thumb())
        .title("카페 라떼")
        .description("부드러운 우유와 에스프레소")
        .buttons([
            Button::web_link("자세히", "https://example.com/latte"),
            Button::block(
                "담기",
                target("blk_cart")
                    .message_text("카페 라떼 담기")
                    .extra("menu_id", "m-1")
                    .extra("qty", 1),
            ),
            Button::phone("전화", "021234567"),
        ])
        .unwrap();
    let r = SkillResponse::from_output(card)
        .quick_reply(QuickReply::block(
            "장바구니",
            target("blk_view_cart").extra("from", "card"),
        ))
        .unwrap();
    assert_eq!(
        valid(&r),
        json!({"version":"2.0","template":{
            "outputs":[{"basicCard":{
                "title":"카페 라떼",
                "description":"부드러운 우유와 에스프레소",
                "thumbnail":{"imageUrl":"https://img.example.com/latte.jpg"},
                "buttons":[
                    {"label":"자세히","action":"webLink","webLinkUrl":"https://example.com/latte"},
                    {"label":"담기","action":"block","blockId":"blk_cart","messageText":"카페 라떼 담기",
                     "extra":{"menu_id":"m-1","qty":1}},
                    {"label":"전화","action":"phone","phoneNumber":"021234567"}
                ]
            }}],
            "quickReplies":[
                {"label":"장바구니","action":"block","blockId":"blk_view_cart","extra":{"from":"card"}}
            ]
        }})
    );

    let list = ListCard::new(
        "가까운 매장",
        vec![
            ListItem::new("강남점", target("blk_store").extra("store_id", "s1"))
                .description("영업 중"),
            ListItem::new("역삼점", target("blk_store").message_text("역삼점")),
        ],
    )
    .unwrap();
    let item = ItemCard::new(vec![
        ItemRow::new("라떼", "9,000원"),
        ItemRow::new("쿠키", "2,500원"),
    ])
    .unwrap()
    .text("주문서", "두 가지를 담았어요")
    .summary("합계", "11,500원")
    .button(Button::block("결제하기", target("blk_pay")))
    .unwrap();
    let r = SkillResponse::with_outputs(vec![list.into(), item.into()]).unwrap();
    assert_eq!(
        valid(&r)["template"]["outputs"],
        json!([
            {"listCard":{
                "header":{"title":"가까운 매장"},
                "items":[
                    {"title":"강남점","description":"영업 중","action":"block","blockId":"blk_store",
                     "extra":{"store_id":"s1"}},
                    {"title":"역삼점","action":"block","blockId":"blk_store","messageText":"역삼점"}
                ]
            }},
            {"itemCard":{
                "itemList":[{"title":"라떼","description":"9,000원"},{"title":"쿠키","description":"2,500원"}],
                "itemListSummary":{"title":"합계","description":"11,500원"},
                "title":"주문서","description":"두 가지를 담았어요",
                "buttons":[{"label":"결제하기","action":"block","blockId":"blk_pay"}]
            }}
        ])
    );
}

#[test]
fn shortening_prefers_a_word_boundary_and_counts_chars() {
    assert_eq!(shorten("hello", 5), "hello");
    assert_eq!(shorten("hello!", 5), "hell…");
    assert_eq!(shorten("", 3), "");
    assert_eq!(shorten("바닐라 시럽 추가 옵션", 10), "바닐라 시럽…");
    assert_eq!(
        shorten("가나다라마바사아자차카타파하거", 14),
        "가나다라마바사아자차카타파…",
        "no space: cut mid-word"
    );
    assert_eq!(
        shorten("가 나다라마바사아자차카타파하거", 14),
        "가 나다라마바사아자차카타…",
        "a space too early is not worth half the room"
    );
}

#[test]
fn labels_are_shortened_but_a_message_keeps_its_full_text() {
    let long = "가나다라마바사아자차카타파하거"; // 15 chars
    let q = QuickReply::message(long);
    assert_eq!(chars(q.label()), limits::LABEL_MAX);
    assert_eq!(
        serde_json::to_value(&q).unwrap()["messageText"],
        long,
        "the bot still receives the full text"
    );
    let exactly = "가나다라마바사아자차카타파하"; // 14 chars: not cut
    assert_eq!(Button::block(exactly, target("b")).label(), exactly);
}

#[test]
fn texts_are_shortened_to_their_limits() {
    let r = SkillResponse::simple_text("가".repeat(1001));
    let Component::SimpleText(st) = &r.outputs()[0] else {
        panic!()
    };
    assert_eq!(chars(st.text()), limits::SIMPLE_TEXT_MAX);
    assert!(st.text().ends_with('…'));

    let tc = TextCard::new("t".repeat(51), "d".repeat(401));
    assert_eq!(chars(tc.title().unwrap()), limits::TEXT_CARD_TITLE_MAX);
    assert_eq!(
        chars(tc.description().unwrap()),
        limits::TEXT_CARD_DESCRIPTION_MAX
    );
    assert_eq!(TextCard::new("", "  ").title(), Some("-"), "never empty");

    let bc = BasicCard::new(thumb())
        .title("t".repeat(60))
        .description("설".repeat(231));
    assert_eq!(
        chars(bc.title_text().unwrap()),
        limits::BASIC_CARD_TITLE_MAX
    );
    assert_eq!(
        chars(bc.description_text().unwrap()),
        limits::BASIC_CARD_DESCRIPTION_MAX
    );

    let row = ItemRow::new("사이즈 업그레이드", "그란데");
    assert_eq!(row.title(), "사이즈…", "6 chars at most, cut between words");
    let card = ItemCard::new(vec![row])
        .unwrap()
        .summary("합계 금액입니다", "1,234,567,890,123원")
        .text("메".repeat(60), "설명 ".repeat(100));
    let v = valid(&SkillResponse::from_output(card));
    let card = &v["template"]["outputs"][0]["itemCard"];
    assert_eq!(chars(card["itemListSummary"]["title"].as_str().unwrap()), 6);
    assert_eq!(
        chars(card["itemListSummary"]["description"].as_str().unwrap()),
        14
    );
    assert_eq!(
        chars(card["title"].as_str().unwrap()),
        60,
        "a name fits whole"
    );
    let together =
        chars(card["title"].as_str().unwrap()) + chars(card["description"].as_str().unwrap());
    assert!(together <= limits::ITEM_CARD_TEXT_MAX, "{together}");
}

#[test]
fn an_item_card_description_needs_a_title() {
    let card = ItemCard::new(vec![ItemRow::new("a", "b")])
        .unwrap()
        .text("", "설명만");
    let v = valid(&SkillResponse::from_output(card));
    assert!(v["template"]["outputs"][0]["itemCard"]["description"].is_null());
}

#[test]
fn counts_are_refused_not_dropped() {
    let r = SkillResponse::simple_text("1")
        .output(SimpleText::new("2"))
        .unwrap()
        .output(SimpleText::new("3"))
        .unwrap();
    assert_eq!(
        r.output(SimpleText::new("4")),
        Err(LimitError::TooMany {
            what: "template.outputs",
            max: 3,
            got: 4
        })
    );
    assert!(SkillResponse::with_outputs(vec![]).is_err());

    let ten = (0..10).map(|i| QuickReply::message(format!("q{i}")));
    let r = SkillResponse::simple_text("x").quick_replies(ten).unwrap();
    valid(&r);
    assert!(r.quick_reply(QuickReply::message("q10")).is_err());

    let four_buttons = || (0..4).map(|i| Button::block(format!("b{i}"), target("b")));
    assert!(BasicCard::new(thumb()).buttons(four_buttons()).is_err());
    assert!(TextCard::new("t", "").buttons(four_buttons()).is_err());
    let list = ListCard::new("h", vec![ListItem::new("a", target("b"))]).unwrap();
    let list = list
        .button(Button::block("1", target("b")))
        .unwrap()
        .button(Button::block("2", target("b")))
        .unwrap();
    assert!(list.button(Button::block("3", target("b"))).is_err());

    let rows = |n: usize| {
        (0..n)
            .map(|i| ListItem::new(format!("i{i}"), target("b")))
            .collect::<Vec<_>>()
    };
    assert!(ListCard::new("h", rows(5)).is_ok());
    assert!(ListCard::new("h", rows(6)).is_err());
    assert!(ListCard::new("h", rows(0)).is_err());

    let item_rows = |n: usize| {
        (0..n)
            .map(|i| ItemRow::new(format!("r{i}"), "x"))
            .collect::<Vec<_>>()
    };
    assert!(ItemCard::new(item_rows(10)).is_ok());
    assert!(ItemCard::new(item_rows(11)).is_err());
}

#[test]
fn a_carousel_holds_cards_to_the_in_carousel_limits() {
    let cards = |n: usize| {
        (0..n)
            .map(|i| TextCard::new(format!("카드 {i}"), "설명 ".repeat(100)))
            .collect::<Vec<_>>()
    };
    assert!(Carousel::new(cards(11)).is_err());
    assert!(Carousel::new(Vec::<TextCard>::new()).is_err());
    let r = SkillResponse::from_output(Carousel::new(cards(10)).unwrap());
    let v = valid(&r);
    let description = v["template"]["outputs"][0]["carousel"]["items"][0]["description"]
        .as_str()
        .unwrap();
    assert!(chars(description) <= limits::TEXT_CARD_DESCRIPTION_IN_CAROUSEL_MAX);
    assert!(description.ends_with("설명…"), "cut between words");

    let list = |rows: usize| {
        ListCard::new(
            "h",
            (0..rows)
                .map(|i| ListItem::new(format!("i{i}"), target("b")))
                .collect(),
        )
        .unwrap()
    };
    assert_eq!(
        Carousel::new(vec![list(5)]),
        Err(LimitError::TooMany {
            what: "listCard.items in a carousel",
            max: 4,
            got: 5
        })
    );
    assert!(Carousel::new(vec![list(4); 6]).is_err(), "5 list cards");
    valid(&SkillResponse::from_output(
        Carousel::new(vec![list(4); 5]).unwrap(),
    ));

    let item = |rows: usize| {
        ItemCard::new(
            (0..rows)
                .map(|i| ItemRow::new(format!("r{i}"), "x"))
                .collect(),
        )
        .unwrap()
        .text("메".repeat(60), "설명 ".repeat(60))
    };
    assert!(Carousel::new(vec![item(6)]).is_err());
    let v = valid(&SkillResponse::from_output(
        Carousel::new(vec![item(5); 10]).unwrap(),
    ));
    let card = &v["template"]["outputs"][0]["carousel"]["items"][0];
    let together =
        chars(card["title"].as_str().unwrap()) + chars(card["description"].as_str().unwrap());
    assert!(
        together <= limits::ITEM_CARD_TEXT_IN_CAROUSEL_MAX,
        "{together}"
    );

    let basic: Vec<BasicCard> = (0..10).map(|_| BasicCard::new(thumb())).collect();
    valid(&SkillResponse::from_output(Carousel::new(basic).unwrap()));
}
