//! Menu edits over gRPC and the menu document they produce: the round trip, validation,
//! disable and sold-out marks, ordering, the Redis cache, and store isolation.

use crate::common;

use common::Harness;
use contracts::common::v1 as common_pb;
use contracts::store::v1 as pb;
use contracts::store::v1::edit_menu_request::Op;
use tonic::Code;
use uuid::Uuid;

async fn edit(h: &Harness, store_id: &str, op: Op) -> Result<pb::EditMenuResponse, tonic::Status> {
    h.client()
        .edit_menu(pb::EditMenuRequest {
            store_id: store_id.into(),
            op: Some(op),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn menu(h: &Harness, store_id: &str) -> common_pb::Menu {
    h.client()
        .get_menu(pb::GetMenuRequest {
            store_id: store_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .menu
        .unwrap()
}

fn category(name: &str) -> Op {
    Op::UpsertCategory(pb::UpsertCategory {
        id: String::new(),
        name: name.into(),
    })
}

fn item(name: &str, price: i64, category_ids: &[&str]) -> Op {
    Op::UpsertItem(pb::UpsertItem {
        name: name.into(),
        price,
        description: format!("{name} 설명"),
        category_ids: category_ids.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
}

fn selection(name: &str, min: u32, max: u32) -> Op {
    Op::UpsertSelection(pb::UpsertSelection {
        id: String::new(),
        name: name.into(),
        min,
        max,
    })
}

fn option(name: &str, price: i64, selection_ids: &[&str]) -> Op {
    Op::UpsertOption(pb::UpsertOption {
        id: String::new(),
        name: name.into(),
        price,
        selection_ids: selection_ids.iter().map(|s| s.to_string()).collect(),
    })
}

async fn create(h: &Harness, store_id: &str, op: Op) -> String {
    edit(h, store_id, op).await.expect("edit").id
}

fn item_named<'a>(m: &'a common_pb::Menu, name: &str) -> &'a common_pb::Item {
    m.items
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn an_item_with_an_option_group_round_trips_through_the_document() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("메뉴 가게", "menushop", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let empty = menu(&h, &store_id).await;
    assert_eq!(empty.version, 0);
    assert_eq!(empty.store_name, "메뉴 가게");
    assert!(empty.items.is_empty());

    let coffee = create(&h, &store_id, category("커피")).await;
    let shots = create(&h, &store_id, selection("샷 추가", 0, 2)).await;
    let espresso = create(&h, &store_id, option("에스프레소 샷", 500, &[&shots])).await;
    let decaf = create(&h, &store_id, option("디카페인 샷", 600, &[&shots])).await;
    let americano = create(&h, &store_id, item("아메리카노", 4_500, &[&coffee])).await;
    let linked = edit(
        &h,
        &store_id,
        Op::SetItemSelections(pb::SetItemSelections {
            item_id: americano.clone(),
            selection_ids: vec![shots.clone()],
        }),
    )
    .await
    .unwrap();
    assert_eq!(linked.version, 6, "every edit bumps the version");

    let m = menu(&h, &store_id).await;
    assert_eq!(m.version, 6);
    assert_eq!(m.categories.len(), 1);
    assert_eq!(m.categories[0].name, "커피");
    assert_eq!(m.categories[0].item_ids, vec![americano.clone()]);
    let a = item_named(&m, "아메리카노");
    assert_eq!((a.price, a.disabled, a.sold_out), (4_500, false, false));
    assert_eq!(a.description, "아메리카노 설명");
    assert_eq!(a.selection_ids, vec![shots.clone()]);
    let group = &m.selections[0];
    assert_eq!(
        (group.name.as_str(), group.min, group.max),
        ("샷 추가", 0, 2)
    );
    assert_eq!(group.option_ids, vec![espresso.clone(), decaf.clone()]);
    let prices: Vec<(String, i64)> = m
        .options
        .iter()
        .map(|o| (o.name.clone(), o.price))
        .collect();
    assert_eq!(
        prices,
        [
            ("에스프레소 샷".to_owned(), 500),
            ("디카페인 샷".to_owned(), 600)
        ]
    );

    // The cached document is the domain's menu model, readable by any service.
    let mut conn = h.redis.conn.clone();
    let json: String = redis::cmd("GET")
        .arg(h.keys.key(&format!("menu:{store_id}")))
        .query_async(&mut conn)
        .await
        .unwrap();
    let doc: domain::Menu = serde_json::from_str(&json).unwrap();
    assert_eq!(doc.version, 6);
    assert_eq!(doc.items[0].price, domain::Money::won(4_500));

    // Updating keeps the id and changes the document.
    let updated = edit(
        &h,
        &store_id,
        Op::UpsertItem(pb::UpsertItem {
            id: americano.clone(),
            name: "아메리카노 (L)".into(),
            price: 5_000,
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(updated.id, americano);
    let m = menu(&h, &store_id).await;
    assert_eq!(m.version, 7);
    assert_eq!(item_named(&m, "아메리카노 (L)").price, 5_000);
    h.stop().await;
}

#[tokio::test]
async fn bad_edits_are_refused_in_korean_and_change_nothing() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("검사 가게", "checker", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    create(&h, &store_id, category("커피")).await;
    let version = menu(&h, &store_id).await.version;

    let cases = [
        (selection("샷", 3, 2), "최소 선택 수"),
        (selection("샷", 0, 0), "최대 선택 수"),
        (item("", 1_000, &[]), "이름"),
        (item(&"가".repeat(61), 1_000, &[]), "60자"),
        (item("금", 10_000_001, &[]), "가격"),
        (item("마이너스", -1, &[]), "가격"),
        (option("샷", -100, &[]), "가격"),
        (
            Op::SetDisabled(pb::SetDisabled {
                kind: 1,
                id: "not-an-id".into(),
                disabled: true,
            }),
            "id",
        ),
    ];
    for (op, needle) in cases {
        let err = edit(&h, &store_id, op).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{needle}");
        assert!(
            err.message().contains(needle),
            "{} lacks {needle}",
            err.message()
        );
    }
    let err = h
        .client()
        .edit_menu(pb::EditMenuRequest {
            store_id: store_id.clone(),
            op: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(menu(&h, &store_id).await.version, version);
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM menu_item")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(items, 0);
    h.stop().await;
}

#[tokio::test]
async fn disabled_and_sold_out_entries_stay_in_the_document_marked() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("품절 가게", "soldout", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let dessert = create(&h, &store_id, category("디저트")).await;
    let cake = create(&h, &store_id, item("치즈케이크", 6_500, &[&dessert])).await;
    let size = create(&h, &store_id, selection("사이즈", 1, 1)).await;
    let large = create(&h, &store_id, option("Large", 500, &[&size])).await;

    let set_disabled = |kind: pb::MenuEntryKind, id: &str, disabled| {
        Op::SetDisabled(pb::SetDisabled {
            kind: kind as i32,
            id: id.into(),
            disabled,
        })
    };
    let set_sold_out = |kind: pb::MenuEntryKind, id: &str, sold_out| {
        Op::SetSoldOut(pb::SetSoldOut {
            kind: kind as i32,
            id: id.into(),
            sold_out,
        })
    };
    edit(
        &h,
        &store_id,
        set_disabled(pb::MenuEntryKind::Item, &cake, true),
    )
    .await
    .unwrap();
    edit(
        &h,
        &store_id,
        set_sold_out(pb::MenuEntryKind::Option, &large, true),
    )
    .await
    .unwrap();
    let m = menu(&h, &store_id).await;
    let c = item_named(&m, "치즈케이크");
    assert!(c.disabled && !c.sold_out, "disabled, never deleted");
    assert_eq!(m.categories[0].item_ids, vec![cake.clone()]);
    let l = m.options.iter().find(|o| o.id == large).unwrap();
    assert!(l.sold_out && !l.disabled);

    edit(
        &h,
        &store_id,
        set_disabled(pb::MenuEntryKind::Item, &cake, false),
    )
    .await
    .unwrap();
    edit(
        &h,
        &store_id,
        set_sold_out(pb::MenuEntryKind::Item, &cake, true),
    )
    .await
    .unwrap();
    edit(
        &h,
        &store_id,
        set_sold_out(pb::MenuEntryKind::Option, &large, false),
    )
    .await
    .unwrap();
    let m = menu(&h, &store_id).await;
    let c = item_named(&m, "치즈케이크");
    assert!(!c.disabled && c.sold_out);
    assert!(!m.options.iter().find(|o| o.id == large).unwrap().sold_out);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM menu_item")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    h.stop().await;
}

#[tokio::test]
async fn categories_items_and_options_are_reordered() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("순서 가게", "orderer", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let coffee = create(&h, &store_id, category("커피")).await;
    let tea = create(&h, &store_id, category("차")).await;
    let dessert = create(&h, &store_id, category("디저트")).await;
    let latte = create(&h, &store_id, item("라떼", 5_000, &[&coffee])).await;
    let mocha = create(&h, &store_id, item("모카", 5_500, &[&coffee])).await;
    let temp = create(&h, &store_id, selection("온도", 1, 1)).await;
    let hot = create(&h, &store_id, option("HOT", 0, &[&temp])).await;
    let ice = create(&h, &store_id, option("ICE", 0, &[&temp])).await;

    let names = |m: &common_pb::Menu| {
        m.categories
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&menu(&h, &store_id).await), ["커피", "차", "디저트"]);

    edit(
        &h,
        &store_id,
        Op::ReorderCategories(pb::ReorderCategories {
            category_ids: vec![dessert.clone(), coffee.clone(), tea.clone()],
        }),
    )
    .await
    .unwrap();
    edit(
        &h,
        &store_id,
        Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: coffee.clone(),
            item_ids: vec![mocha.clone(), latte.clone()],
        }),
    )
    .await
    .unwrap();
    edit(
        &h,
        &store_id,
        Op::SetSelectionOptions(pb::SetSelectionOptions {
            selection_id: temp.clone(),
            option_ids: vec![ice.clone(), hot.clone()],
        }),
    )
    .await
    .unwrap();
    let m = menu(&h, &store_id).await;
    assert_eq!(names(&m), ["디저트", "커피", "차"]);
    assert_eq!(m.categories[1].item_ids, vec![mocha.clone(), latte.clone()]);
    assert_eq!(m.selections[0].option_ids, vec![ice, hot]);
    let item_order: Vec<&str> = m.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(item_order, ["모카", "라떼"], "items follow category order");

    // A reorder must name every category exactly once.
    let err = edit(
        &h,
        &store_id,
        Op::ReorderCategories(pb::ReorderCategories {
            category_ids: vec![coffee.clone()],
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(names(&menu(&h, &store_id).await), ["디저트", "커피", "차"]);
    h.stop().await;
}

#[tokio::test]
async fn option_categories_group_option_groups() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("분류 가게", "grouper", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let temp = create(&h, &store_id, selection("온도", 1, 1)).await;
    let hot = create(&h, &store_id, option("HOT", 0, &[&temp])).await;
    let syrup = create(&h, &store_id, selection("시럽", 0, 1)).await;
    let vanilla = create(&h, &store_id, option("바닐라", 500, &[&syrup])).await;
    let drinks = create(
        &h,
        &store_id,
        Op::UpsertOptionCategory(pb::UpsertOptionCategory {
            name: "음료 옵션".into(),
            selection_ids: vec![temp.clone()],
            ..Default::default()
        }),
    )
    .await;
    edit(
        &h,
        &store_id,
        Op::SetOptionCategorySelections(pb::SetOptionCategorySelections {
            option_category_id: drinks.clone(),
            selection_ids: vec![syrup.clone(), temp.clone()],
        }),
    )
    .await
    .unwrap();
    let m = menu(&h, &store_id).await;
    let group = &m.option_categories[0];
    assert_eq!(group.name, "음료 옵션");
    assert_eq!(group.selection_ids, vec![syrup, temp]);
    assert_eq!(group.option_ids, vec![vanilla, hot]);
    h.stop().await;
}

#[tokio::test]
async fn get_menu_serves_the_cache_and_rebuilds_when_it_is_gone() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("캐시 가게", "cacher", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    create(&h, &store_id, item("라떼", 5_000, &[])).await;
    let fresh = menu(&h, &store_id).await;

    let key = h.keys.key(&format!("menu:{store_id}"));
    let mut conn = h.redis.conn.clone();
    let json: String = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        ttl > 0 && ttl <= 24 * 3600 * 1000,
        "expires by the next midnight: {ttl}"
    );
    let marked = json.replace("캐시 가게", "캐시에서 읽음");
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(&marked)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(menu(&h, &store_id).await.store_name, "캐시에서 읽음");

    let _: () = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let rebuilt = menu(&h, &store_id).await;
    assert_eq!(rebuilt.store_name, "캐시 가게");
    assert_eq!(
        (rebuilt.version, rebuilt.items.clone()),
        (fresh.version, fresh.items)
    );
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(exists, "the rebuilt document is cached again");

    let err = h
        .client()
        .get_menu(pb::GetMenuRequest {
            store_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    h.stop().await;
}

#[tokio::test]
async fn one_store_cannot_touch_another_stores_menu() {
    let h = Harness::start().await;
    let a = h
        .create_store("가게 A", "storea", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let b = h
        .create_store("가게 B", "storeb", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let a_category = create(&h, &a, category("A 분류")).await;
    let b_category = create(&h, &b, category("B 분류")).await;
    let b_item = create(&h, &b, item("B 메뉴", 3_000, &[&b_category])).await;
    let b_group = create(&h, &b, selection("B 그룹", 0, 1)).await;
    let b_before = menu(&h, &b).await;

    let attempts = [
        Op::SetDisabled(pb::SetDisabled {
            kind: pb::MenuEntryKind::Item as i32,
            id: b_item.clone(),
            disabled: true,
        }),
        Op::SetSoldOut(pb::SetSoldOut {
            kind: pb::MenuEntryKind::Item as i32,
            id: b_item.clone(),
            sold_out: true,
        }),
        Op::UpsertItem(pb::UpsertItem {
            id: b_item.clone(),
            name: "가로채기".into(),
            price: 1,
            ..Default::default()
        }),
        item("A 메뉴", 1_000, &[&b_category]),
        option("A 옵션", 0, &[&b_group]),
        Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: a_category.clone(),
            item_ids: vec![b_item.clone()],
        }),
        Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: b_category.clone(),
            item_ids: vec![],
        }),
        Op::UpsertCategory(pb::UpsertCategory {
            id: b_category.clone(),
            name: "바꿈".into(),
        }),
        Op::ReorderCategories(pb::ReorderCategories {
            category_ids: vec![a_category.clone(), b_category.clone()],
        }),
    ];
    for op in attempts {
        let err = edit(&h, &a, op.clone()).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{op:?}: {}", err.message());
    }
    assert_eq!(menu(&h, &b).await, b_before, "store B's menu is untouched");
    h.stop().await;
}

#[tokio::test]
async fn the_demo_menu_reads_back_in_order() {
    let h = Harness::start().await;
    let demo = store::admin::load_demo(&h.db.pool).await.unwrap();
    let m = menu(&h, &demo.store_id.to_string()).await;
    assert_eq!(m.store_name, "간편카페 강남점");
    let categories: Vec<&str> = m.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(categories, ["커피", "논커피", "디저트"]);
    assert_eq!(m.items.len(), 8);
    let americano = item_named(&m, "아메리카노");
    let groups: Vec<&str> = americano
        .selection_ids
        .iter()
        .map(|id| {
            m.selections
                .iter()
                .find(|s| &s.id == id)
                .unwrap()
                .name
                .as_str()
        })
        .collect();
    assert_eq!(groups, ["온도", "사이즈", "샷 추가", "시럽"]);
    assert_eq!(m.option_categories[0].name, "음료 옵션");
    assert_eq!(m.option_categories[0].selection_ids.len(), 4);
    h.stop().await;
}
