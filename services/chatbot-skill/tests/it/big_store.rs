//! A big store browsed and ordered from end to end through the skills, via the gateway, with
//! the real store, order and payment services and the sandbox's KakaoPay: 30 categories of 20
//! items, each item with 200-character descriptions and option groups of 12 choices. Every
//! answer is a valid SkillResponse (checked by `Chat` on each call), every category and every
//! item is reachable through 더 보기, and an order reaches the KakaoPay button.

use crate::common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::{Chat, KAKAO_LIMIT, Reply};
use contracts::store::v1 as pb;
use contracts::store::v1::edit_menu_request::Op;
use platform::Service;
use reqwest::StatusCode;
use testkit::{System, TestDb, TestRedis};

const CATEGORIES: usize = 30;
const ITEMS: usize = 20;
const CHOICES: usize = 12;
const DESCRIPTION_CHARS: usize = 200;
const FILL_WORKERS: usize = 3;

fn ok(r: &Reply) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.elapsed < KAKAO_LIMIT, "took {:?}", r.elapsed);
    assert!(
        !r.says("잠시 후 다시 시도해 주세요"),
        "the error bubble: {}",
        r.body
    );
}

fn category_name(c: usize) -> String {
    format!("{c:02}번 시즌 한정 음료와 디저트")
}

fn item_name(c: usize, i: usize) -> String {
    format!("{c:02}-{i:02} 바닐라 크림 콜드브루")
}

fn description() -> String {
    "부드러운 바닐라 크림과 진한 콜드브루가 어우러진 시즌 한정 음료예요. "
        .repeat(8)
        .chars()
        .take(DESCRIPTION_CHARS)
        .collect()
}

/// The store, its menu made through the store API, and its business day open.
async fn big_store(system: &System) -> anyhow::Result<String> {
    let mut store = system.store();
    let store_id = store
        .create_store(pb::CreateStoreRequest {
            name: "간편카페 대형 메뉴점".into(),
            login_id: "bigmenu".into(),
            password: "bigmenu-1234".into(),
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
        store_id: store_id.clone(),
        op: Some(op),
    };
    let mut groups = Vec::new();
    for (name, min, max, price) in [("사이즈", 1, 1, 0), ("토핑 추가", 0, 3, 500)] {
        let group = store
            .edit_menu(edit(Op::UpsertSelection(pb::UpsertSelection {
                name: name.into(),
                min,
                max,
                ..Default::default()
            })))
            .await?
            .into_inner()
            .id;
        for n in 1..=CHOICES {
            store
                .edit_menu(edit(Op::UpsertOption(pb::UpsertOption {
                    name: format!("{name} {n}번"),
                    price,
                    selection_ids: vec![group.clone()],
                    ..Default::default()
                })))
                .await?;
        }
        groups.push(group);
    }
    // A few writers side by side: the store rebuilds the menu document once for the edits
    // that came in while it was building (more writers would wait out their deadlines).
    let mut fills = tokio::task::JoinSet::new();
    for worker in 0..FILL_WORKERS {
        let (mut store, store_id, groups) = (store.clone(), store_id.clone(), groups.clone());
        fills.spawn(async move {
            let edit = |op| pb::EditMenuRequest {
                store_id: store_id.clone(),
                op: Some(op),
            };
            let mut made = Vec::new();
            for c in (worker..CATEGORIES).step_by(FILL_WORKERS) {
                let category = store
                    .edit_menu(edit(Op::UpsertCategory(pb::UpsertCategory {
                        id: String::new(),
                        name: category_name(c),
                    })))
                    .await?
                    .into_inner()
                    .id;
                for i in 0..ITEMS {
                    let item = store
                        .edit_menu(edit(Op::UpsertItem(pb::UpsertItem {
                            name: item_name(c, i),
                            description: description(),
                            price: 5_000 + 100 * i as i64,
                            category_ids: vec![category.clone()],
                            ..Default::default()
                        })))
                        .await?
                        .into_inner()
                        .id;
                    store
                        .edit_menu(edit(Op::SetItemSelections(pb::SetItemSelections {
                            item_id: item,
                            selection_ids: groups.clone(),
                        })))
                        .await?;
                }
                made.push((c, category));
            }
            Ok::<_, tonic::Status>(made)
        });
    }
    let mut order = Vec::new();
    while let Some(filled) = fills.join_next().await {
        order.extend(filled??);
    }
    // Categories come back in creation order as the store lists them; put them in name order.
    order.sort();
    store
        .edit_menu(edit(Op::ReorderCategories(pb::ReorderCategories {
            category_ids: order.into_iter().map(|(_, id)| id).collect(),
        })))
        .await?;
    for action in [pb::DayAction::Ready, pb::DayAction::Open] {
        store
            .transition_day(pb::TransitionDayRequest {
                store_id: store_id.clone(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?;
    }
    Ok(store_id)
}

/// Every page of an answer, following its 더 보기 chip.
async fn pages(chat: &Chat, first: Reply) -> anyhow::Result<Vec<Reply>> {
    let mut all = vec![first];
    while let Ok(more) = all.last().expect("a page").button("더 보기") {
        let more = more.clone();
        let next = chat.tap(&more).await?;
        ok(&next);
        all.push(next);
    }
    Ok(all)
}

/// Titles of the list rows or carousel cards of an answer's carousel.
fn titles(r: &Reply) -> Vec<String> {
    let carousel = r.body["template"]["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|o| o.get("carousel"))
        .cloned()
        .unwrap_or_default();
    let cards = carousel["items"].as_array().cloned().unwrap_or_default();
    if carousel["type"] == "listCard" {
        cards
            .iter()
            .flat_map(|c| c["items"].as_array().cloned().unwrap_or_default())
            .filter_map(|row| row["title"].as_str().map(str::to_owned))
            .collect()
    } else {
        cards
            .iter()
            .filter_map(|c| c["title"].as_str().map(str::to_owned))
            .collect()
    }
}

#[tokio::test]
async fn thirty_categories_of_twenty_items_are_browsed_and_ordered_with_every_answer_valid()
-> anyhow::Result<()> {
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
    let started = Instant::now();
    big_store(&system).await?;
    let setup = started.elapsed();
    eprintln!("big store: menu made through the store API in {setup:?}");
    let started = Instant::now();
    let chat = Chat::new(&system);

    let r = chat.say("매장 찾기 간편카페 대형").await?;
    ok(&r);
    let menu = chat.tap(r.button("메뉴 보기")?).await?;
    ok(&menu);

    // Every category, over the pages of the category list.
    let category_pages = pages(&chat, menu).await?;
    assert_eq!(category_pages.len(), 2, "20 categories a page");
    let mut categories = Vec::new();
    for page in &category_pages {
        for title in titles(page) {
            categories.push((title.clone(), page.button(&title)?.clone()));
        }
    }
    let expected: Vec<String> = (0..CATEGORIES).map(category_name).collect();
    let seen: Vec<&String> = categories.iter().map(|(t, _)| t).collect();
    assert_eq!(seen, expected.iter().collect::<Vec<_>>());

    // Every item of every category, over the pages of each category.
    let mut items = BTreeSet::new();
    let mut first_items = Vec::new();
    for (title, row) in &categories {
        let first = chat.tap(row).await?;
        ok(&first);
        let item_pages = pages(&chat, first).await?;
        assert_eq!(item_pages.len(), 2, "{title}: 10 items a page");
        for page in &item_pages {
            let card = &page.body["template"]["outputs"][1]["carousel"]["items"][0];
            let description = card["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("00원\n") && description.ends_with('…'),
                "price first, the 200-char description shortened: {description}"
            );
            items.extend(titles(page));
        }
        first_items.push(item_pages[0].button("옵션 선택")?.clone());
    }
    assert_eq!(items.len(), CATEGORIES * ITEMS, "every item reachable");

    // One item of each category opens with its option card.
    for options in &first_items {
        let r = chat.tap(options).await?;
        ok(&r);
        assert!(r.says("[사이즈] 골라 주세요 (필수 1개)"), "{}", r.body);
    }

    // Order the last category's first item: size 12, two toppings, then pay.
    let r = chat.tap(first_items.last().expect("an item")).await?;
    ok(&r);
    let r = chat.tap(r.button("사이즈 12번")?).await?;
    ok(&r);
    assert!(
        r.says("[토핑 추가] 골라 주세요 (선택, 최대 3개)"),
        "{}",
        r.body
    );
    let r = chat.tap(r.button("토핑 추가 3번")?).await?;
    ok(&r);
    let r = chat.tap(r.button("토핑 추가 11번")?).await?;
    ok(&r);
    let r = chat.tap(r.button("다음")?).await?;
    ok(&r);
    let price = 5_000 + 2 * 500;
    let add = r
        .button(&format!("담기 {},{:03}원", price / 1000, price % 1000))?
        .clone();
    let r = chat.tap(&add).await?;
    ok(&r);
    assert!(
        r.says("주문서에 담았어요: 29-00 바닐라 크림 콜드브루"),
        "{}",
        r.body
    );
    assert!(
        r.says("사이즈 12번, 토핑 추가 3번(+500원), 토핑 추가 11번(+500원)"),
        "{}",
        r.body
    );
    let r = chat.tap(r.button("결제하기")?).await?;
    ok(&r);
    let kakaopay = r.button("카카오페이 결제")?;
    assert_eq!(kakaopay["action"], "webLink");
    assert!(r.says("결제 금액 6,000원"), "{}", r.body);

    eprintln!("big store: browsed and ordered in {:?}", started.elapsed());
    system.stop().await.ok();
    Ok(())
}
