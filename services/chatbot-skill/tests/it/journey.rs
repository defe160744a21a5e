//! A customer's whole way through the chatbot, played through the gateway against the demo café
//! with the real store and order services: find the café, browse the menu, choose options,
//! build an order sheet, reach 결제하기, and use every other skill on the way. Every answer
//! is a valid SkillResponse (checked by `Chat`) and arrives within Kakao's 5 seconds.

use crate::common;

use common::{Chat, KAKAO_LIMIT, Reply};
use contracts::store::v1 as pb;
use contracts::store::v1::edit_menu_request::Op;
use platform::Service;
use reqwest::StatusCode;
use serde_json::json;
use testkit::{System, TestDb, TestRedis};

pub struct Cafe {
    pub system: System,
    _db: TestDb,
    _redis: TestRedis,
    pub store_id: String,
}

async fn open_day(system: &System, store_id: &str) -> anyhow::Result<()> {
    for action in [pb::DayAction::Ready, pb::DayAction::Open] {
        let response = system
            .store()
            .transition_day(pb::TransitionDayRequest {
                store_id: store_id.to_owned(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?
            .into_inner();
        anyhow::ensure!(
            response.refusal.is_none(),
            "{action:?} refused: {response:?}"
        );
    }
    Ok(())
}

/// The demo café, open for business; payment goes to the sandbox's KakaoPay.
pub async fn demo_cafe() -> anyhow::Result<Cafe> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let system = System::start(
        crate::LAUNCH,
        &[
            Service::Gateway,
            Service::Store,
            Service::Order,
            Service::Payment,
            Service::ChatbotSkill,
            Service::KakaoSandbox,
        ],
        &db,
        &redis,
    )
    .await?;
    let demo = store::admin::load_demo(&db.pool).await?;
    let store_id = demo.store_id.to_string();
    open_day(&system, &store_id).await?;
    Ok(Cafe {
        system,
        _db: db,
        _redis: redis,
        store_id,
    })
}

pub fn ok(r: &Reply) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.elapsed < KAKAO_LIMIT, "took {:?}", r.elapsed);
}

#[tokio::test]
async fn a_customer_finds_the_demo_cafe_builds_an_order_sheet_and_reaches_pay() -> anyhow::Result<()>
{
    let cafe = demo_cafe().await?;
    let chat = Chat::new(&cafe.system);

    let r = chat.say("시작").await?;
    ok(&r);
    assert!(r.says("간편주문"));

    // Find the café by name; it is open and leads to its menu.
    let r = chat.tap(r.button("매장 찾기")?).await?;
    ok(&r);
    let r = chat.say("매장 찾기 간편카페").await?;
    ok(&r);
    assert!(r.says("간편카페 강남점"), "{}", r.body);
    assert!(r.says("영업 중"));

    let r = chat.tap(r.button("메뉴 보기")?).await?;
    ok(&r);
    assert!(r.says("카테고리를 골라 주세요"), "{}", r.body);
    let r = chat.tap(r.button("커피")?).await?;
    ok(&r);
    assert!(r.says("아메리카노") && r.says("4,500원"), "{}", r.body);

    // Choose options one group at a time.
    let r = chat.tap(r.button("옵션 선택")?).await?;
    ok(&r);
    assert!(r.says("[온도] 골라 주세요 (필수 1개)"), "{}", r.body);
    let r = chat.tap(r.button("ICE")?).await?;
    ok(&r);
    assert!(r.says("[사이즈]"), "{}", r.body);
    let r = chat.tap(r.button("Large")?).await?;
    ok(&r);
    assert!(r.says("[샷 추가]"), "{}", r.body);
    let r = chat.tap(r.button("에스프레소 샷")?).await?;
    ok(&r);
    let r = chat.tap(r.button("다음")?).await?;
    ok(&r);
    assert!(r.says("[시럽]"), "{}", r.body);
    let r = chat.tap(r.button("선택 안 함")?).await?;
    ok(&r);
    let add = r.button("담기 5,500원")?.clone();
    let r = chat.tap(&add).await?;
    ok(&r);
    assert!(r.says("주문서에 담았어요: 아메리카노"), "{}", r.body);
    assert!(r.says("합계 5,500원"), "{}", r.body);

    // "메뉴" typed: the cart's store; a dessert without options is added directly.
    let r = chat.say("메뉴").await?;
    ok(&r);
    let r = chat.tap(r.button("디저트")?).await?;
    ok(&r);
    let r = chat.tap(r.button("담기")?).await?;
    ok(&r);
    assert!(r.says("주문서에 담았어요: 치즈케이크"), "{}", r.body);

    // The order sheet and 결제하기.
    let r = chat.say("주문서").await?;
    ok(&r);
    assert!(
        r.says("ICE, Large(+500원), 에스프레소 샷(+500원)"),
        "{}",
        r.body
    );
    assert!(r.says("합계 12,000원"), "{}", r.body);
    let pay = r.button("결제하기")?.clone();
    assert_eq!(pay["blockId"], "blk_order");
    assert!(
        pay["extra"]["cart_id"]
            .as_str()
            .is_some_and(|id| id.contains('-'))
    );
    let r = chat.tap(&pay).await?;
    ok(&r);
    let kakaopay = r.button("카카오페이 결제")?;
    assert_eq!(kakaopay["action"], "webLink");
    assert!(r.says("결제 금액 12,000원"), "{}", r.body);

    // Take the cheesecake out again.
    let r = chat.say("주문서").await?;
    let r = chat.tap(r.button("2번 빼기")?).await?;
    ok(&r);
    assert!(r.says("주문서에서 뺐어요"), "{}", r.body);
    assert!(r.says("합계 5,500원"), "{}", r.body);

    // Nickname, orders, recent stores, an alert.
    let r = chat.say("닉네임 설정 민트").await?;
    ok(&r);
    assert!(r.says("닉네임을 정했어요: 민트"), "{}", r.body);
    let r = chat.say("닉네임").await?;
    ok(&r);
    assert!(r.says("지금 닉네임: 민트"), "{}", r.body);
    let r = chat.say("주문 내역").await?;
    ok(&r);
    assert!(r.says("주문 내역"), "{}", r.body);
    let r = chat.say("최근 매장").await?;
    ok(&r);
    let r = chat
        .call(
            "alert",
            "",
            json!({"event": "order_ready", "store_name": "간편카페 강남점", "nickname": "민트"}),
            json!({}),
        )
        .await;
    ok(&r);
    assert!(r.says("카운터에서 '민트'"), "{}", r.body);
    Ok(())
}

#[tokio::test]
async fn nearby_search_and_a_rule_breaking_add_are_answered() -> anyhow::Result<()> {
    let cafe = demo_cafe().await?;
    let chat = Chat::new(&cafe.system);

    let r = chat
        .call(
            "stores",
            "주변 매장",
            json!({"latitude": "37.4980", "longitude": "127.0270"}),
            json!({}),
        )
        .await;
    ok(&r);
    assert!(r.says("간편카페 강남점"), "{}", r.body);

    // Straight to 담기 without the required temperature: the service names the group.
    let menu = cafe
        .system
        .store()
        .get_menu(pb::GetMenuRequest {
            store_id: cafe.store_id.clone(),
        })
        .await?
        .into_inner()
        .menu
        .expect("menu");
    let americano = menu
        .items
        .iter()
        .find(|i| i.name == "아메리카노")
        .expect("item");
    let r = chat
        .call(
            "cart-add",
            "아메리카노 담기",
            json!({}),
            json!({"store_id": cafe.store_id, "item_id": americano.id, "quantity": 1}),
        )
        .await;
    ok(&r);
    assert!(r.says("온도"), "{}", r.body);
    assert!(r.button("옵션 다시 고르기").is_ok());
    Ok(())
}

#[tokio::test]
async fn adding_from_another_store_asks_before_replacing_the_sheet() -> anyhow::Result<()> {
    let cafe = demo_cafe().await?;
    let chat = Chat::new(&cafe.system);
    let mut store = cafe.system.store();

    let other = store
        .create_store(pb::CreateStoreRequest {
            name: "간편분식 역삼점".into(),
            login_id: "bunsik".into(),
            password: "bunsik-1234".into(),
            lat: 37.5006,
            lng: 127.0364,
            ..Default::default()
        })
        .await?
        .into_inner()
        .store
        .expect("store")
        .store_id;
    let edit = |op| pb::EditMenuRequest {
        store_id: other.clone(),
        op: Some(op),
    };
    let category = store
        .edit_menu(edit(Op::UpsertCategory(pb::UpsertCategory {
            id: String::new(),
            name: "분식".into(),
        })))
        .await?
        .into_inner()
        .id;
    let gimbap = store
        .edit_menu(edit(Op::UpsertItem(pb::UpsertItem {
            name: "김밥".into(),
            price: 3_500,
            category_ids: vec![category],
            ..Default::default()
        })))
        .await?
        .into_inner()
        .id;
    open_day(&cafe.system, &other).await?;

    let r = chat.say("매장 찾기 간편카페").await?;
    let r = chat.tap(r.button("메뉴 보기")?).await?;
    let r = chat.tap(r.button("디저트")?).await?;
    let r = chat.tap(r.button("담기")?).await?;
    ok(&r);
    assert!(r.says("주문서에 담았어요"), "{}", r.body);

    let r = chat
        .call(
            "cart-add",
            "김밥 담기",
            json!({}),
            json!({"store_id": other, "item_id": gimbap, "quantity": 1}),
        )
        .await;
    ok(&r);
    assert!(
        r.says("다른 매장의 주문서를 비우고 담을까요?"),
        "{}",
        r.body
    );
    let r = chat.tap(r.button("비우고 담기")?).await?;
    ok(&r);
    assert!(r.says("주문서에 담았어요: 김밥"), "{}", r.body);
    assert!(
        r.says("간편분식 역삼점") && r.says("합계 3,500원"),
        "{}",
        r.body
    );
    Ok(())
}

/// A pasted URL or a sentence as the store name used to fail in the store service and answer
/// the try-again bubble, whose 다시 시도 chip failed the same way. Now the customer is told
/// the limit the store service keeps, with chips that work.
#[tokio::test]
async fn long_or_odd_input_is_told_what_is_wrong_never_the_error_bubble() -> anyhow::Result<()> {
    let cafe = demo_cafe().await?;
    let chat = Chat::new(&cafe.system);
    let try_again = "잠시 후 다시 시도해 주세요";

    let long = format!(
        "매장 찾기 https://place.map.kakao.com/{}",
        "1234567890".repeat(6)
    );
    let r = chat.say(&long).await?;
    ok(&r);
    assert!(!r.says(try_again), "{}", r.body);
    assert!(r.says("매장 이름은 60자까지 찾을 수 있어요"), "{}", r.body);
    for chip in ["매장 찾기", "최근 매장"] {
        let next = chat.tap(r.button(chip)?).await?;
        ok(&next);
        assert!(!next.says(try_again), "{chip}: {}", next.body);
    }
    let r = chat
        .call(
            "stores",
            "매장 찾기",
            json!({"store_name": "간".repeat(61)}),
            json!({}),
        )
        .await;
    ok(&r);
    assert!(r.says("60자까지"), "{}", r.body);
    let r = chat.say(&format!("매장 찾기 {}", "간".repeat(60))).await?;
    ok(&r);
    assert!(
        r.says("이름의 매장을 찾지 못했어요"),
        "60 chars are searched: {}",
        r.body
    );

    let r = chat
        .say(&format!("닉네임 설정 {}", "민트".repeat(300)))
        .await?;
    ok(&r);
    assert!(!r.says(try_again), "{}", r.body);
    assert!(r.says("닉네임은 10자까지 정할 수 있어요"), "{}", r.body);
    let r = chat.say("닉네임 설정 민트 초코 칩").await?;
    ok(&r);
    assert!(
        r.says("닉네임을 정했어요: 민트 초코 칩"),
        "10 chars are taken: {}",
        r.body
    );
    Ok(())
}
