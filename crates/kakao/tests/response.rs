use kakao::skill::response::*;
use kakao::{LimitError, SkillResponse, validate};
use serde_json::{Value, json};

fn to_json(r: &SkillResponse) -> Value {
    let v = serde_json::to_value(r).unwrap();
    validate(&v).unwrap_or_else(|e| panic!("built response invalid: {e:?}\n{v:#}"));
    v
}

fn thumb() -> Thumbnail {
    Thumbnail::new("https://img.example.com/latte.jpg")
}

#[test]
fn simple_text_snapshot() {
    let r = SkillResponse::simple_text("주문이 접수되었습니다.");
    assert_eq!(
        to_json(&r),
        json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"주문이 접수되었습니다."}}]}})
    );
}

#[test]
fn quick_replies_and_context_match_the_documented_examples() {
    let r = SkillResponse::simple_text("주문이 접수되었습니다.")
        .quick_reply(QuickReply::message("메뉴"))
        .unwrap();
    assert_eq!(
        to_json(&r),
        json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"주문이 접수되었습니다."}}],
               "quickReplies":[{"label":"메뉴","action":"message","messageText":"메뉴"}]}})
    );

    let r = SkillResponse::simple_text("…").with_context(ContextControl::new(vec![
        ContextValue::new("order", 5).param("order_id", "A123"),
    ]));
    assert_eq!(
        to_json(&r),
        json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"…"}}]},
               "context":{"values":[{"name":"order","lifeSpan":5,"params":{"order_id":"A123"}}]}})
    );

    let r = SkillResponse::simple_text("x").with_context(ContextControl::new(vec![
        ContextValue::clear("cart").ttl(60),
    ]));
    assert_eq!(
        to_json(&r)["context"],
        json!({"values":[{"name":"cart","lifeSpan":0,"ttl":60}]})
    );
}

#[test]
fn basic_card_with_every_button_kind() {
    let card = BasicCard::new(thumb())
        .title("카페 라떼")
        .description("부드러운 우유와 에스프레소")
        .buttons([
            Button::web_link("자세히", "https://example.com/latte"),
            Button::block(
                "담기",
                BlockTarget::new("blk_cart")
                    .message_text("카페 라떼 담기")
                    .extra("menu_id", "m-1")
                    .extra("qty", 1),
            ),
            Button::phone("전화", "021234567"),
        ])
        .unwrap()
        .layout(ButtonLayout::Vertical);
    let r = SkillResponse::from_output(card)
        .quick_replies([
            QuickReply::block(
                "장바구니",
                BlockTarget::new("blk_view_cart").extra("from", "card"),
            ),
            QuickReply::message_with_text("처음으로", "처음"),
        ])
        .unwrap();
    assert_eq!(
        to_json(&r),
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
                ],
                "buttonLayout":"vertical"
            }}],
            "quickReplies":[
                {"label":"장바구니","action":"block","blockId":"blk_view_cart","extra":{"from":"card"}},
                {"label":"처음으로","action":"message","messageText":"처음"}
            ]
        }})
    );
}

#[test]
fn share_message_and_operator_buttons() {
    let card = TextCard::new("주문 완료", "A-17번으로 불러드릴게요")
        .buttons([
            Button::share("공유"),
            Button::message("주문 내역"),
            Button::operator("상담"),
        ])
        .unwrap();
    assert_eq!(
        to_json(&SkillResponse::from_output(card))["template"]["outputs"][0],
        json!({"textCard":{"title":"주문 완료","description":"A-17번으로 불러드릴게요","buttons":[
            {"label":"공유","action":"share"},
            {"label":"주문 내역","action":"message","messageText":"주문 내역"},
            {"label":"상담","action":"operator"}
        ]}})
    );
    let only_description = TextCard::new("", "설명만");
    assert_eq!(
        serde_json::to_value(&only_description).unwrap(),
        json!({"description":"설명만"})
    );
}

#[test]
fn commerce_list_item_cards_simple_image_snapshots() {
    let commerce = CommerceCard::new(5000, thumb(), Button::message("주문하기"))
        .title("카페 라떼")
        .description("우유 선택 가능")
        .discount(500)
        .profile(Profile {
            nickname: "간편카페".into(),
            image_url: None,
        });
    assert_eq!(
        serde_json::to_value(Component::from(commerce)).unwrap(),
        json!({"commerceCard":{
            "title":"카페 라떼","description":"우유 선택 가능","price":5000,"currency":"won","discount":500,
            "thumbnails":[{"imageUrl":"https://img.example.com/latte.jpg"}],
            "profile":{"nickname":"간편카페"},
            "buttons":[{"label":"주문하기","action":"message","messageText":"주문하기"}]
        }})
    );

    let list = ListCard::new(
        "가까운 매장",
        vec![
            ListItem::new("강남점")
                .description("영업 중")
                .image_url("https://img.example.com/s1.png")
                .on_tap_block(BlockTarget::new("blk_store").extra("store_id", "s1")),
            ListItem::new("역삼점").link(Link::web("https://example.com/s2")),
        ],
    )
    .unwrap()
    .button(Button::message("더 보기"))
    .unwrap();
    assert_eq!(
        serde_json::to_value(Component::from(list)).unwrap(),
        json!({"listCard":{
            "header":{"title":"가까운 매장"},
            "items":[
                {"title":"강남점","description":"영업 중","imageUrl":"https://img.example.com/s1.png",
                 "action":"block","blockId":"blk_store","extra":{"store_id":"s1"}},
                {"title":"역삼점","link":{"web":"https://example.com/s2"}}
            ],
            "buttons":[{"label":"더 보기","action":"message","messageText":"더 보기"}]
        }})
    );

    let item = ItemCard::new(vec![
        ItemRow::new("카페 라떼 x2", "9,000원"),
        ItemRow::new("쿠키", "2,500원"),
    ])
    .unwrap()
    .head("주문서")
    .alignment(ItemListAlignment::Right)
    .summary(ItemRow::new("합계", "11,500원"))
    .button(Button::block("결제하기", BlockTarget::new("blk_pay")))
    .unwrap();
    assert_eq!(
        serde_json::to_value(Component::from(item)).unwrap(),
        json!({"itemCard":{
            "head":{"title":"주문서"},
            "itemList":[{"title":"카페 라떼 x2","description":"9,000원"},{"title":"쿠키","description":"2,500원"}],
            "itemListAlignment":"right",
            "itemListSummary":{"title":"합계","description":"11,500원"},
            "buttons":[{"label":"결제하기","action":"block","blockId":"blk_pay"}]
        }})
    );

    assert_eq!(
        serde_json::to_value(Component::from(SimpleImage::new(
            "https://img.example.com/m.png",
            "메뉴판"
        )))
        .unwrap(),
        json!({"simpleImage":{"imageUrl":"https://img.example.com/m.png","altText":"메뉴판"}})
    );
}

#[test]
fn carousel_snapshot_and_reparse() {
    let cards = vec![
        BasicCard::new(thumb()).title("라떼"),
        BasicCard::new(thumb()).title("모카"),
    ];
    let carousel = Carousel::new(cards).unwrap().header(CarouselHeader {
        title: Some("추천 메뉴".into()),
        ..Default::default()
    });
    let r = SkillResponse::from_output(carousel);
    let v = to_json(&r);
    assert_eq!(
        v["template"]["outputs"][0],
        json!({"carousel":{"type":"basicCard","items":[
            {"title":"라떼","thumbnail":{"imageUrl":"https://img.example.com/latte.jpg"}},
            {"title":"모카","thumbnail":{"imageUrl":"https://img.example.com/latte.jpg"}}
        ],"header":{"title":"추천 메뉴"}}})
    );
    let back: SkillResponse = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

#[test]
fn data_only_and_callback_responses() {
    let mut data = serde_json::Map::new();
    data.insert("order_no".into(), json!("A-17"));
    assert_eq!(
        to_json(&SkillResponse::from_data(data.clone())),
        json!({"version":"2.0","data":{"order_no":"A-17"}})
    );
    assert_eq!(
        to_json(&SkillResponse::use_callback(None)),
        json!({"version":"2.0","useCallback":true})
    );
    assert!(SkillResponse::use_callback(None).uses_callback());
    assert_eq!(
        SkillResponse::from_data(data).quick_reply(QuickReply::message("메뉴")),
        Err(LimitError::TooFew {
            what: "template.outputs",
            min: 1,
            got: 0
        })
    );
}

#[test]
fn labels_are_cut_to_14_chars_but_keep_the_full_message() {
    let long = "가나다라마바사아자차카타파하거"; // 15 chars, 45 bytes
    assert_eq!(long.chars().count(), 15);
    let q = QuickReply::message(long);
    assert_eq!(q.label().chars().count(), 14);
    assert_eq!(q.label(), "가나다라마바사아자차카타파…");
    assert_eq!(
        serde_json::to_value(&q).unwrap()["messageText"],
        long,
        "the bot still receives the full text"
    );
    let b = Button::web_link("abcdefghijklmno", "https://x");
    assert_eq!(b.label(), "abcdefghijklm…");

    let exactly = "가나다라마바사아자차카타파하"; // 14 chars, 42 bytes: not cut
    assert_eq!(Button::message(exactly).label(), exactly);
}

#[test]
fn texts_are_truncated_to_their_limits_counting_chars() {
    let text = "가".repeat(1001);
    let r = SkillResponse::simple_text(&text);
    let Component::SimpleText(st) = &r.outputs()[0] else {
        panic!()
    };
    assert_eq!(st.text().chars().count(), 1000);
    assert!(st.text().ends_with('…'));
    assert_eq!(
        SkillResponse::simple_text("가".repeat(1000))
            .outputs()
            .len(),
        1
    );

    let tc = TextCard::new("t".repeat(51), "d".repeat(401));
    assert_eq!(tc.title().unwrap().chars().count(), 50);
    assert_eq!(tc.description().unwrap().chars().count(), 400);

    let bc = BasicCard::new(thumb())
        .title("t".repeat(60))
        .description("설".repeat(231));
    assert_eq!(bc.title_text().unwrap().chars().count(), 50);
    assert_eq!(bc.description_text().unwrap().chars().count(), 230);

    let cc = CommerceCard::new(1, thumb(), Button::share("공유")).description("설".repeat(77));
    let v = serde_json::to_value(&cc).unwrap();
    assert_eq!(v["description"].as_str().unwrap().chars().count(), 76);

    let img = SimpleImage::new("https://x", "a".repeat(80));
    assert_eq!(img.alt_text().chars().count(), 50);

    assert_eq!(truncate("hello", 5), "hello");
    assert_eq!(truncate("hello!", 5), "hell…");
    assert_eq!(truncate("", 3), "");
}

#[test]
fn four_outputs_are_impossible() {
    let r = SkillResponse::simple_text("1")
        .output(SimpleText::new("2"))
        .unwrap()
        .output(SimpleText::new("3"))
        .unwrap();
    assert_eq!(r.outputs().len(), 3);
    assert_eq!(
        r.output(SimpleText::new("4")),
        Err(LimitError::TooMany {
            what: "template.outputs",
            max: 3,
            got: 4
        })
    );
    let four: Vec<Component> = (0..4)
        .map(|i| SimpleText::new(i.to_string()).into())
        .collect();
    assert!(SkillResponse::with_outputs(four).is_err());
    assert!(SkillResponse::with_outputs(vec![]).is_err());
}

#[test]
fn eleven_quick_replies_are_impossible() {
    let ten = (0..10).map(|i| QuickReply::message(format!("q{i}")));
    let r = SkillResponse::simple_text("x").quick_replies(ten).unwrap();
    assert_eq!(r.quick_replies_ref().len(), 10);
    to_json(&r);
    assert_eq!(
        r.quick_reply(QuickReply::message("q10")),
        Err(LimitError::TooMany {
            what: "template.quickReplies",
            max: 10,
            got: 11
        })
    );
}

#[test]
fn card_item_and_button_counts_are_checked() {
    let four_buttons = || (0..4).map(|i| Button::message(format!("b{i}")));
    assert!(BasicCard::new(thumb()).buttons(four_buttons()).is_err());
    assert!(TextCard::new("t", "").buttons(four_buttons()).is_err());
    assert!(
        ItemCard::new(vec![ItemRow::new("a", "b")])
            .unwrap()
            .buttons(four_buttons())
            .is_err()
    );
    let cc = CommerceCard::new(1, thumb(), Button::share("a"))
        .button(Button::share("b"))
        .unwrap()
        .button(Button::share("c"))
        .unwrap();
    assert!(cc.button(Button::share("d")).is_err());

    let list = ListCard::new("h", vec![ListItem::new("a")]).unwrap();
    let list = list
        .buttons([Button::share("1"), Button::share("2")])
        .unwrap();
    assert_eq!(
        list.button(Button::share("3")),
        Err(LimitError::TooMany {
            what: "listCard.buttons",
            max: 2,
            got: 3
        })
    );

    let items = |n: usize| {
        (0..n)
            .map(|i| ListItem::new(format!("i{i}")))
            .collect::<Vec<_>>()
    };
    assert!(ListCard::new("h", items(5)).is_ok());
    assert!(ListCard::new("h", items(6)).is_err());
    assert!(ListCard::new("h", items(0)).is_err());

    let rows = |n: usize| {
        (0..n)
            .map(|i| ItemRow::new(format!("r{i}"), "x"))
            .collect::<Vec<_>>()
    };
    assert!(ItemCard::new(rows(5)).is_ok());
    assert!(ItemCard::new(rows(6)).is_err());

    let cards = |n: usize| (0..n).map(|_| BasicCard::new(thumb())).collect::<Vec<_>>();
    assert!(Carousel::new(cards(10)).is_ok());
    assert_eq!(
        Carousel::new(cards(11)),
        Err(LimitError::TooMany {
            what: "carousel.items",
            max: 10,
            got: 11
        })
    );
    assert!(Carousel::new(cards(0)).is_err());
}

#[test]
fn deserializing_a_response_validates_it() {
    let ok = json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"hi"}}],
        "quickReplies":[{"label":"메뉴","action":"message","messageText":"메뉴"}]}});
    let r: SkillResponse = serde_json::from_value(ok.clone()).unwrap();
    assert_eq!(serde_json::to_value(&r).unwrap(), ok);

    let long_label = json!({"version":"2.0","template":{"outputs":[{"simpleText":{"text":"hi"}}],
        "quickReplies":[{"label":"가나다라마바사아자차카타파하거","action":"message"}]}});
    let err = serde_json::from_value::<SkillResponse>(long_label).unwrap_err();
    assert!(err.to_string().contains("label"), "{err}");

    let wrong_version =
        json!({"version":"1.0","template":{"outputs":[{"simpleText":{"text":"hi"}}]}});
    assert!(serde_json::from_value::<SkillResponse>(wrong_version).is_err());
}

#[test]
fn every_component_reparses_to_the_same_response() {
    let all: Vec<Component> = vec![
        SimpleText::new("안녕하세요").into(),
        SimpleImage::new("https://x/i.png", "이미지").into(),
        TextCard::new("제목", "설명")
            .button(Button::share("공유"))
            .unwrap()
            .into(),
        BasicCard::new(thumb())
            .buttons([
                Button::web_link("웹", "https://x"),
                Button::block(
                    "블록",
                    BlockTarget::new("b").message_text("m").extra("k", 1),
                ),
                Button::phone("전화", "0212345678"),
            ])
            .unwrap()
            .into(),
        CommerceCard::new(4500, thumb(), Button::message("주문"))
            .discount_rate(10)
            .discounted_price(4050)
            .into(),
        ListCard::new("목록", vec![ListItem::new("a").on_tap_message("a 선택")])
            .unwrap()
            .into(),
        ItemCard::new(vec![ItemRow::new("a", "b")])
            .unwrap()
            .thumbnail(thumb())
            .into(),
        Carousel::new(vec![TextCard::new("1", ""), TextCard::new("2", "")])
            .unwrap()
            .into(),
        Carousel::new(vec![CommerceCard::new(
            1,
            thumb(),
            Button::operator("상담"),
        )])
        .unwrap()
        .into(),
        Carousel::new(vec![ListCard::new("h", vec![ListItem::new("x")]).unwrap()])
            .unwrap()
            .into(),
        Carousel::new(vec![ItemCard::new(vec![ItemRow::new("x", "y")]).unwrap()])
            .unwrap()
            .into(),
    ];
    for chunk in all.chunks(3) {
        let r = SkillResponse::with_outputs(chunk.to_vec())
            .unwrap()
            .quick_reply(QuickReply::block("다음", BlockTarget::new("next")))
            .unwrap();
        let v = to_json(&r);
        let back: SkillResponse = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}
