//! 같은 메뉴 다시 담기 and 나만의 메뉴, played through the gateway's skill endpoints as Kakao
//! calls them, against the demo café with the real store, order and payment services: a paid
//! order comes back at today's prices without what is gone; a drink is saved, shown as a chip
//! on the menu, added in a tap, renamed by typing, removed, and the eleventh is refused.

use crate::common::{Chat, Reply};
use crate::journey::{Cafe, demo_cafe, ok};

use contracts::common::v1::Menu;
use contracts::store::v1 as pb;
use contracts::store::v1::edit_menu_request::Op;
use serde_json::{Value, json};

async fn menu(cafe: &Cafe) -> anyhow::Result<Menu> {
    let answer = cafe
        .system
        .store()
        .get_menu(pb::GetMenuRequest {
            store_id: cafe.store_id.clone(),
        })
        .await?
        .into_inner();
    answer.menu.ok_or_else(|| anyhow::anyhow!("no menu"))
}

fn item(menu: &Menu, name: &str) -> String {
    let found = menu.items.iter().find(|i| i.name == name);
    found.unwrap_or_else(|| panic!("no item {name}")).id.clone()
}

fn options(menu: &Menu, names: &[&str]) -> Vec<String> {
    let id = |name: &&str| {
        let found = menu.options.iter().find(|o| o.name == *name);
        found
            .unwrap_or_else(|| panic!("no option {name}"))
            .id
            .clone()
    };
    names.iter().map(id).collect()
}

/// The 담기 button of an item with these options, as the item skill draws it.
async fn add(
    chat: &Chat,
    cafe: &Cafe,
    menu: &Menu,
    name: &str,
    chosen: &[&str],
    quantity: u32,
) -> Reply {
    let extra = json!({
        "store_id": cafe.store_id,
        "item_id": item(menu, name),
        "option_ids": options(menu, chosen),
        "quantity": quantity,
    });
    let r = chat.call("cart-add", "담기", json!({}), extra).await;
    ok(&r);
    assert!(r.says("주문서에 담았어요"), "{}", r.body);
    r
}

async fn edit(cafe: &Cafe, op: Op) -> anyhow::Result<()> {
    cafe.system
        .store()
        .edit_menu(pb::EditMenuRequest {
            store_id: cafe.store_id.clone(),
            op: Some(op),
        })
        .await?;
    Ok(())
}

/// Pays the order sheet on the sandbox's KakaoPay page, as the customer's browser would.
async fn pay(chat: &Chat, cafe: &Cafe) -> anyhow::Result<()> {
    let r = chat.say("주문서").await?;
    let r = chat.tap(r.button("결제하기")?).await?;
    ok(&r);
    let url = r.button("카카오페이 결제")?["webLinkUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let tid = url.rsplit('/').next().unwrap_or_default();
    let sandbox = testkit::kakaopay::Sandbox::new(&cafe.system.config);
    let approval = sandbox.page_choice(tid, "approve").await?;
    let page = reqwest::get(&approval).await?;
    anyhow::ensure!(
        page.status().is_success(),
        "approval page {}",
        page.status()
    );
    Ok(())
}

#[tokio::test]
async fn yesterdays_order_comes_back_at_todays_prices_without_what_is_gone() -> anyhow::Result<()> {
    let cafe = demo_cafe().await?;
    let menu = menu(&cafe).await?;
    let chat = Chat::new(&cafe.system);
    add(&chat, &cafe, &menu, "아메리카노", &["ICE", "Large"], 2).await;
    add(&chat, &cafe, &menu, "카페라떼", &["HOT", "Regular"], 1).await;
    add(
        &chat,
        &cafe,
        &menu,
        "바닐라라떼",
        &["ICE", "Regular", "디카페인 샷"],
        1,
    )
    .await;
    add(&chat, &cafe, &menu, "치즈케이크", &[], 1).await;
    pay(&chat, &cafe).await?;

    // The next morning: 카페라떼 sold out, decaf shots off, 아메리카노 at 4,800원.
    edit(
        &cafe,
        Op::SetSoldOut(pb::SetSoldOut {
            kind: pb::MenuEntryKind::Item.into(),
            id: item(&menu, "카페라떼"),
            sold_out: true,
        }),
    )
    .await?;
    edit(
        &cafe,
        Op::SetDisabled(pb::SetDisabled {
            kind: pb::MenuEntryKind::Option.into(),
            id: options(&menu, &["디카페인 샷"]).remove(0),
            disabled: true,
        }),
    )
    .await?;
    let americano = menu.items.iter().find(|i| i.name == "아메리카노").unwrap();
    edit(
        &cafe,
        Op::UpsertItem(pb::UpsertItem {
            id: americano.id.clone(),
            name: americano.name.clone(),
            description: americano.description.clone(),
            price: 4_800,
            image_url: americano.image_url.clone(),
            category_ids: Vec::new(),
        }),
    )
    .await?;

    let r = chat.say("주문 내역").await?;
    ok(&r);
    let again = r.button("같은 메뉴 다시 담기")?.clone();
    assert_eq!(again["blockId"], "blk_reorder");
    let r = chat.tap(&again).await?;
    ok(&r);
    assert!(r.says("카페라떼는 품절이라 빼고 담았어요."), "{}", r.body);
    assert!(
        r.says("바닐라라떼는 '디카페인 샷' 옵션을 지금 고를 수 없어서 빼고 담았어요."),
        "{}",
        r.body
    );
    // The sheet before paying: (4,800 + 500) × 2 + 6,500.
    assert!(r.says("아메리카노 ×2  10,600원"), "{}", r.body);
    assert!(r.says("합계 17,100원"), "{}", r.body);
    assert!(!r.says("카페라떼 ×"), "{}", r.body);
    let pay = r.button("결제하기")?;
    assert_eq!(pay["blockId"], "blk_order");

    // The same from the order's own card.
    let r = chat.say("주문 내역").await?;
    let r = chat.tap(r.button("자세히 보기")?).await?;
    ok(&r);
    let r = chat.tap(r.button("같은 메뉴 다시 담기")?).await?;
    ok(&r);
    assert!(r.says("아메리카노 ×4"), "{}", r.body);
    Ok(())
}

fn chip<'a>(r: &'a Reply, label: &str) -> Option<&'a Value> {
    r.body["template"]["quickReplies"]
        .as_array()?
        .iter()
        .find(|c| c["label"] == label)
}

#[tokio::test]
async fn a_favourite_is_saved_added_from_the_menu_renamed_and_removed() -> anyhow::Result<()> {
    let cafe = demo_cafe().await?;
    let menu = menu(&cafe).await?;
    let chat = Chat::new(&cafe.system);

    let r = add(
        &chat,
        &cafe,
        &menu,
        "아메리카노",
        &["ICE", "Large", "에스프레소 샷"],
        1,
    )
    .await;
    let r = chat.tap(r.button("나만의 메뉴 저장")?).await?;
    ok(&r);
    assert!(
        r.says("나만의 메뉴에 저장했어요: 아메리카노 ICE"),
        "{}",
        r.body
    );

    // On the menu it is a chip that adds it in one tap.
    let r = chat.say("메뉴").await?;
    ok(&r);
    let star = chip(&r, "★ 아메리카노 ICE").cloned();
    let Some(star) = star else {
        anyhow::bail!("no favourite chip: {}", r.body);
    };
    assert!(chip(&r, "커피").is_some(), "{}", r.body);
    let r = chat.tap(&star).await?;
    ok(&r);
    assert!(r.says("주문서에 담았어요: 아메리카노"), "{}", r.body);
    assert!(r.says("아메리카노 ×2  11,000원"), "{}", r.body);

    // Listed, renamed by typing its number, refused a name too long.
    let r = chat.say("나만의 메뉴").await?;
    ok(&r);
    assert!(r.says("1. 아메리카노 ICE"), "{}", r.body);
    assert!(r.says("ICE, Large, 에스프레소 샷"), "{}", r.body);
    let r = chat.tap(r.button("이름 바꾸기")?).await?;
    ok(&r);
    assert!(r.says("'나만의 메뉴 이름 1 아아 라지'"), "{}", r.body);
    let r = chat.say("나만의 메뉴 이름 1 아아 라지 샷").await?;
    ok(&r);
    assert!(
        r.says("1번 이름을 '아아 라지 샷'으로 바꿨어요."),
        "{}",
        r.body
    );
    assert!(r.says("1. 아아 라지 샷"), "{}", r.body);
    let r = chat.say("메뉴").await?;
    assert!(chip(&r, "★ 아아 라지 샷").is_some(), "{}", r.body);
    assert!(chip(&r, "★ 아메리카노 ICE").is_none(), "{}", r.body);
    let r = chat
        .say("나만의 메뉴 이름 1 아주아주아주아주긴새이름이에요")
        .await?;
    ok(&r);
    assert!(r.says("이름은 12자까지 정할 수 있어요."), "{}", r.body);
    let r = chat.say("나만의 메뉴 이름 7 없는번호").await?;
    ok(&r);
    assert!(r.says("7번 나만의 메뉴가 없어요."), "{}", r.body);

    // Removed, and the menu has no chip for it any more.
    let r = chat.say("나만의 메뉴").await?;
    let r = chat.tap(r.button("지우기")?).await?;
    ok(&r);
    assert!(r.says("나만의 메뉴에서 지웠어요."), "{}", r.body);
    assert!(r.says("아직 이 매장의 나만의 메뉴가 없어요."), "{}", r.body);
    let r = chat.say("메뉴").await?;
    assert!(chip(&r, "★ 아아 라지 샷").is_none(), "{}", r.body);
    Ok(())
}

#[tokio::test]
async fn the_eleventh_favourite_of_a_store_is_refused_clearly() -> anyhow::Result<()> {
    let cafe = demo_cafe().await?;
    let menu = menu(&cafe).await?;
    let chat = Chat::new(&cafe.system);
    let mut choices = Vec::new();
    for t in ["HOT", "ICE"] {
        for s in ["Regular", "Large"] {
            for shot in [None, Some("에스프레소 샷"), Some("디카페인 샷")] {
                choices.push(
                    [Some(t), Some(s), shot]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    let save = |chosen: &[&str]| {
        json!({
            "action": "save",
            "store_id": cafe.store_id,
            "item_id": item(&menu, "아메리카노"),
            "option_ids": options(&menu, chosen),
        })
    };
    for chosen in &choices[..10] {
        let r = chat
            .call("favourites", "나만의 메뉴 저장", json!({}), save(chosen))
            .await;
        ok(&r);
        assert!(r.says("나만의 메뉴에 저장했어요"), "{}", r.body);
    }
    let r = chat
        .call(
            "favourites",
            "나만의 메뉴 저장",
            json!({}),
            save(&choices[10]),
        )
        .await;
    ok(&r);
    assert!(
        r.says("나만의 메뉴는 한 가게에 10개까지 저장할 수 있어요."),
        "{}",
        r.body
    );
    // Ten favourites and the categories still answer within Kakao's limits (`Chat` checks).
    let r = chat
        .call(
            "menu",
            "메뉴",
            json!({}),
            json!({"store_id": cafe.store_id}),
        )
        .await;
    ok(&r);
    assert!(chip(&r, "★ 나만의 메뉴").is_some(), "{}", r.body);
    let r = chat.say("나만의 메뉴").await?;
    ok(&r);
    assert!(r.says("나만의 메뉴 (10/10)"), "{}", r.body);
    Ok(())
}
