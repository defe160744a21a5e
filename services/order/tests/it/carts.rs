//! Carts over gRPC against the demo café: validation against the menu document, priced order
//! sheets, concurrent taps, another store's cart, stale ids, removal and the session lifetime.

use crate::common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{Harness, add, contents, outcome, problem_code};
use contracts::order::v1 as pb;
use contracts::store::v1 as store_pb;
use contracts::store::v1::edit_menu_request::Op;
use pb::{CartOutcome, CartProblemCode};
use redis::AsyncCommands;
use tonic::Code;

const TTL_MS: i64 = 30 * 60 * 1000;

async fn get_cart(h: &Harness, customer_id: &str) -> Option<contracts::common::v1::Cart> {
    h.order()
        .get_cart(pb::GetCartRequest {
            customer_id: customer_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .cart
}

async fn send(h: &Harness, request: pb::AddToCartRequest) -> pb::CartUpdateResponse {
    h.order().add_to_cart(request).await.unwrap().into_inner()
}

#[tokio::test]
async fn a_valid_choice_is_priced_with_its_option_snapshots() {
    let h = Harness::start().await;
    let me = h.customer("user-valid").await;
    let americano = h.item("아메리카노");
    let mut request = add(
        &me.customer_id,
        &h.store_id,
        &americano,
        // Out of menu order on purpose: the sheet lists them in the menu's order.
        &h.options(&["에스프레소 샷", "Large", "ICE"]),
    );
    request.quantity = 2;
    let response = send(&h, request).await;
    assert_eq!(outcome(&response), CartOutcome::Updated);
    assert!(response.problem.is_none());
    let cart = response.cart.unwrap();
    assert_eq!(cart.store_id, h.store_id);
    assert_eq!(cart.store_name, h.menu.store_name);
    assert!(!cart.store_name.is_empty());
    assert_eq!(cart.customer_id, me.customer_id);
    assert_eq!(cart.version, 2);
    assert!(cart.id.ends_with("-2"), "{}", cart.id);
    let line = &cart.lines[0];
    assert_eq!(line.item_name, "아메리카노");
    assert_eq!(line.item_id, americano);
    assert_eq!(line.quantity, 2);
    // 4,500 + ICE 0 + Large 500 + 에스프레소 샷 500
    assert_eq!(line.unit_price, 5_500);
    assert_eq!(line.line_total, 11_000);
    assert_eq!(cart.total, 11_000);
    let options: Vec<(&str, &str, i64)> = line
        .options
        .iter()
        .map(|o| (o.selection_name.as_str(), o.name.as_str(), o.price))
        .collect();
    assert_eq!(
        options,
        [
            ("온도", "ICE", 0),
            ("사이즈", "Large", 500),
            ("샷 추가", "에스프레소 샷", 500)
        ]
    );
    assert_eq!(line.options[0].selection_id, h.selection("온도"));

    // The order sheet reads the same later.
    let again = get_cart(&h, &me.customer_id).await.unwrap();
    assert_eq!(again, cart);
}

#[tokio::test]
async fn min_and_max_are_enforced_naming_the_group() {
    let h = Harness::start().await;
    let me = h.customer("user-minmax").await;
    let americano = h.item("아메리카노");

    let no_temperature = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["Regular"]),
        ),
    )
    .await;
    assert_eq!(outcome(&no_temperature), CartOutcome::Invalid);
    assert_eq!(problem_code(&no_temperature), CartProblemCode::SelectionMin);
    let problem = no_temperature.problem.as_ref().unwrap();
    assert!(problem.message.contains("'온도'"), "{}", problem.message);
    assert_eq!(problem.selection_name, "온도");
    assert_eq!(problem.selection_id, h.selection("온도"));
    assert_eq!((problem.min, problem.max), (1, 1));
    assert_eq!(problem.item_id, americano);
    assert!(no_temperature.cart.is_none(), "nothing was created");

    let both = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT", "ICE", "Regular"]),
        ),
    )
    .await;
    assert_eq!(outcome(&both), CartOutcome::Invalid);
    assert_eq!(problem_code(&both), CartProblemCode::SelectionMax);
    let problem = both.problem.as_ref().unwrap();
    assert_eq!(problem.message, "'온도'에서 1개를 골라 주세요.");
    assert_eq!(problem.selection_name, "온도");

    // The demo has two kinds of shot; a third makes "at most 2" reachable.
    let shots = h.selection("샷 추가");
    h.edit_menu(
        &h.store_id,
        Op::UpsertOption(store_pb::UpsertOption {
            name: "바닐라 샷".into(),
            price: 700,
            selection_ids: vec![shots.clone()],
            ..Default::default()
        }),
    )
    .await;
    let menu = h.fetch_menu(&h.store_id).await;
    let vanilla_shot = menu
        .options
        .iter()
        .find(|o| o.name == "바닐라 샷")
        .unwrap()
        .id
        .clone();
    let mut three = h.options(&["HOT", "Regular", "에스프레소 샷", "디카페인 샷"]);
    three.push(vanilla_shot);
    let too_many = send(&h, add(&me.customer_id, &h.store_id, &americano, &three)).await;
    assert_eq!(outcome(&too_many), CartOutcome::Invalid);
    assert_eq!(problem_code(&too_many), CartProblemCode::SelectionMax);
    let problem = too_many.problem.as_ref().unwrap();
    assert_eq!(problem.message, "'샷 추가'는 최대 2개까지 고를 수 있어요.");
    assert_eq!(
        (problem.selection_id.as_str(), problem.max),
        (shots.as_str(), 2)
    );

    let two_syrups = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT", "Regular", "바닐라 시럽", "카라멜 시럽"]),
        ),
    )
    .await;
    assert_eq!(problem_code(&two_syrups), CartProblemCode::SelectionMax);
    assert_eq!(two_syrups.problem.unwrap().selection_name, "시럽");

    // An option of another item's group is refused, and nothing reached the cart.
    let unknown_option = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &[uuid_v7(), h.option("HOT"), h.option("Regular")],
        ),
    )
    .await;
    assert_eq!(
        problem_code(&unknown_option),
        CartProblemCode::OptionNotFound
    );
    assert!(get_cart(&h, &me.customer_id).await.is_none());
}

fn uuid_v7() -> String {
    domain::OptionId::new().to_string()
}

#[tokio::test]
async fn an_invalid_choice_leaves_an_existing_cart_untouched() {
    let h = Harness::start().await;
    let me = h.customer("user-untouched").await;
    let americano = h.item("아메리카노");
    let first = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await;
    let cart = first.cart.unwrap();
    let refused = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT"]),
        ),
    )
    .await;
    assert_eq!(outcome(&refused), CartOutcome::Invalid);
    assert_eq!(refused.problem.as_ref().unwrap().selection_name, "사이즈");
    assert_eq!(
        refused.cart.as_ref(),
        Some(&cart),
        "the current cart comes back unchanged"
    );
    assert_eq!(get_cart(&h, &me.customer_id).await.as_ref(), Some(&cart));
}

#[tokio::test]
async fn fifty_concurrent_taps_lose_nothing() {
    let h = Harness::start().await;
    let me = h.customer("user-concurrent").await;
    let americano = h.item("아메리카노");
    let choices = [
        h.options(&["HOT", "Regular"]),
        h.options(&["ICE", "Regular"]),
        h.options(&["HOT", "Large"]),
        h.options(&["ICE", "Large"]),
        h.options(&["ICE", "Large", "에스프레소 샷"]),
    ];
    let tasks = (0..50).map(|i| {
        let client = h.order();
        let request = add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &choices[i % choices.len()],
        );
        tokio::spawn(async move {
            let mut client = client;
            client.add_to_cart(request).await
        })
    });
    let responses = futures::future::join_all(tasks).await;
    for response in responses {
        let response = response.unwrap().expect("every tap is answered");
        assert_eq!(outcome(response.get_ref()), CartOutcome::Updated);
    }
    let cart = get_cart(&h, &me.customer_id).await.unwrap();
    assert_eq!(cart.lines.len(), 5);
    assert!(
        cart.lines.iter().all(|l| l.quantity == 10),
        "{:?}",
        contents(&cart)
    );
    // A new cart is version 1; each of the 50 changes bumped it once.
    assert_eq!(cart.version, 51);
    assert!(cart.id.ends_with("-51"));
    assert_eq!(cart.total, 10 * (4_500 * 2 + 5_000 * 2 + 5_500));
}

#[tokio::test]
async fn concurrent_taps_through_two_replicas_lose_nothing() {
    let h = Harness::start().await;
    let (replica, replica_shutdown) = h.second_order_replica().await;
    let me = h.customer("user-replicas").await;
    let americano = h.item("아메리카노");
    let choices = [
        h.options(&["HOT", "Regular"]),
        h.options(&["ICE", "Regular"]),
        h.options(&["HOT", "Large"]),
        h.options(&["ICE", "Large"]),
        h.options(&["ICE", "Large", "디카페인 샷"]),
    ];
    // Half the taps reach each replica, so only the compare-and-set keeps them apart.
    let tasks = (0..50).map(|i| {
        let mut client = if i % 2 == 0 {
            h.order()
        } else {
            replica.clone()
        };
        let request = add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &choices[i % choices.len()],
        );
        tokio::spawn(async move { client.add_to_cart(request).await })
    });
    for response in futures::future::join_all(tasks).await {
        let response = response.unwrap().expect("every tap is answered");
        assert_eq!(outcome(response.get_ref()), CartOutcome::Updated);
    }
    let cart = get_cart(&h, &me.customer_id).await.unwrap();
    assert_eq!(cart.lines.len(), 5);
    assert!(
        cart.lines.iter().all(|l| l.quantity == 10),
        "{:?}",
        contents(&cart)
    );
    assert_eq!(cart.version, 51);
    replica_shutdown.cancel();
}

#[tokio::test]
async fn concurrent_taps_past_the_line_limit_keep_exactly_the_accepted_ones() {
    let h = Harness::start().await;
    let me = h.customer("user-full").await;
    let americano = h.item("아메리카노");
    // 50 distinct choices of 아메리카노 (temperature × size × shots × syrup).
    let mut choices = Vec::new();
    for temperature in ["HOT", "ICE"] {
        for size in ["Regular", "Large"] {
            for shots in [
                &[][..],
                &["에스프레소 샷"],
                &["디카페인 샷"],
                &["에스프레소 샷", "디카페인 샷"],
            ] {
                for syrup in [
                    None,
                    Some("바닐라 시럽"),
                    Some("헤이즐넛 시럽"),
                    Some("카라멜 시럽"),
                ] {
                    let mut names = vec![temperature, size];
                    names.extend_from_slice(shots);
                    names.extend(syrup);
                    choices.push(names);
                }
            }
        }
    }
    choices.truncate(50);
    let tasks = choices.iter().map(|names| {
        let mut client = h.order();
        let request = add(&me.customer_id, &h.store_id, &americano, &h.options(names));
        let key = format!("아메리카노 {}", names.join("/"));
        tokio::spawn(async move { (key, client.add_to_cart(request).await) })
    });
    let mut accepted = HashSet::new();
    let mut full = 0;
    for joined in futures::future::join_all(tasks).await {
        let (key, response) = joined.unwrap();
        let response = response.expect("every tap is answered").into_inner();
        match outcome(&response) {
            CartOutcome::Updated => {
                accepted.insert(key);
            }
            CartOutcome::Invalid => {
                assert_eq!(problem_code(&response), CartProblemCode::CartFull);
                full += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((accepted.len(), full), (20, 30));
    let cart = get_cart(&h, &me.customer_id).await.unwrap();
    let held: HashSet<String> = contents(&cart).into_keys().collect();
    // Options show in menu order, which is the order the names were listed in.
    assert_eq!(held, accepted);
    assert_eq!(cart.version, 21);
}

#[tokio::test]
async fn another_stores_item_asks_before_replacing() {
    let h = Harness::start().await;
    let me = h.customer("user-replace").await;
    let (other_store, cake) = h.other_store().await;
    let first = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &h.item("아메리카노"),
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await;
    let cafe_cart = first.cart.unwrap();

    let ask = send(&h, add(&me.customer_id, &other_store, &cake, &[])).await;
    assert_eq!(outcome(&ask), CartOutcome::NeedsReplace);
    assert_eq!(
        ask.cart.as_ref(),
        Some(&cafe_cart),
        "the existing cart, to ask about"
    );
    assert_eq!(
        get_cart(&h, &me.customer_id).await.as_ref(),
        Some(&cafe_cart),
        "untouched"
    );

    // Confirming against a cart id that is no longer current changes nothing.
    let mut stale = add(&me.customer_id, &other_store, &cake, &[]);
    stale.replace = true;
    stale.expected_cart_id = format!("{}-1", cafe_cart.id.split('-').next().unwrap());
    let refused = send(&h, stale).await;
    assert_eq!(outcome(&refused), CartOutcome::Stale);
    assert_eq!(refused.cart.as_ref(), Some(&cafe_cart));

    let mut confirm = add(&me.customer_id, &other_store, &cake, &[]);
    confirm.replace = true;
    confirm.expected_cart_id = cafe_cart.id.clone();
    let replaced = send(&h, confirm).await;
    assert_eq!(outcome(&replaced), CartOutcome::Updated);
    let new_cart = replaced.cart.unwrap();
    assert_eq!(new_cart.store_id, other_store);
    assert_eq!(new_cart.store_name, "다른 카페");
    assert_eq!(new_cart.total, 6_000);
    assert_eq!(new_cart.lines.len(), 1);
    assert_ne!(new_cart.id, cafe_cart.id);
    assert_eq!(get_cart(&h, &me.customer_id).await, Some(new_cart));
}

#[tokio::test]
async fn an_unknown_store_is_reported_and_bad_ids_are_refused() {
    let h = Harness::start().await;
    let me = h.customer("user-unknown").await;
    let unknown = send(
        &h,
        add(
            &me.customer_id,
            &domain::StoreId::new().to_string(),
            &h.item("아메리카노"),
            &[],
        ),
    )
    .await;
    assert_eq!(outcome(&unknown), CartOutcome::Invalid);
    assert_eq!(problem_code(&unknown), CartProblemCode::StoreNotFound);

    let status = h
        .order()
        .add_to_cart(add(
            "not-a-customer",
            &h.store_id,
            &h.item("아메리카노"),
            &[],
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = h
        .order()
        .add_to_cart(add(&me.customer_id, &h.store_id, "latte", &[]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn removing_a_line_or_part_of_it() {
    let h = Harness::start().await;
    let me = h.customer("user-remove").await;
    let americano = h.item("아메리카노");
    let mut three = add(
        &me.customer_id,
        &h.store_id,
        &americano,
        &h.options(&["ICE", "Regular"]),
    );
    three.quantity = 3;
    send(&h, three).await;
    let latte = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &h.item("카페라떼"),
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await;
    let cart = latte.cart.unwrap();
    assert_eq!(cart.total, 3 * 4_500 + 5_000);
    let americano_line = cart.lines[0].line_id.clone();
    let latte_line = cart.lines[1].line_id.clone();

    let remove = |line_id: &str, quantity: u32, expected: &str| pb::RemoveFromCartRequest {
        customer_id: me.customer_id.clone(),
        line_id: line_id.into(),
        quantity,
        expected_cart_id: expected.into(),
    };
    let less = h
        .order()
        .remove_from_cart(remove(&americano_line, 2, &cart.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&less), CartOutcome::Updated);
    let less_cart = less.cart.unwrap();
    assert_eq!(less_cart.lines[0].quantity, 1);
    assert_eq!(less_cart.total, 4_500 + 5_000);
    assert_eq!(less_cart.version, cart.version + 1);

    let gone = h
        .order()
        .remove_from_cart(remove(&latte_line, 0, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&gone), CartOutcome::Updated);
    let gone_cart = gone.cart.unwrap();
    assert_eq!(gone_cart.lines.len(), 1);
    assert_eq!(gone_cart.lines[0].line_id, americano_line);
    assert_eq!(gone_cart.total, 4_500);

    let again = h
        .order()
        .remove_from_cart(remove(&latte_line, 0, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&again), CartOutcome::NotFound);
    assert_eq!(again.cart, Some(gone_cart.clone()));

    // A button from an older order sheet is stale: nothing is removed.
    let stale = h
        .order()
        .remove_from_cart(remove(&americano_line, 0, &cart.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&stale), CartOutcome::Stale);
    assert_eq!(stale.cart, Some(gone_cart.clone()));

    // Line ids are never reused, so an old "빼기" cannot hit a new line.
    let readded = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &h.item("카페라떼"),
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await;
    let readded_line = readded.cart.unwrap().lines[1].line_id.clone();
    assert_ne!(readded_line, latte_line);
}

#[tokio::test]
async fn clearing_with_a_stale_id_changes_nothing() {
    let h = Harness::start().await;
    let me = h.customer("user-clear").await;
    let americano = h.item("아메리카노");
    let first = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await
    .cart
    .unwrap();
    let second = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["ICE", "Regular"]),
        ),
    )
    .await
    .cart
    .unwrap();
    assert_eq!(second.version, first.version + 1);

    let clear = |expected: &str| pb::ClearCartRequest {
        customer_id: me.customer_id.clone(),
        expected_cart_id: expected.into(),
    };
    let stale = h
        .order()
        .clear_cart(clear(&first.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&stale), CartOutcome::Stale);
    assert_eq!(stale.cart.as_ref(), Some(&second));

    // An add that expects an old id is stale too.
    let mut expecting_old = add(
        &me.customer_id,
        &h.store_id,
        &americano,
        &h.options(&["HOT", "Large"]),
    );
    expecting_old.expected_cart_id = first.id.clone();
    let refused = send(&h, expecting_old).await;
    assert_eq!(outcome(&refused), CartOutcome::Stale);
    assert_eq!(refused.cart.as_ref(), Some(&second));

    let cleared = h
        .order()
        .clear_cart(clear(&second.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&cleared), CartOutcome::Updated);
    assert!(cleared.cart.is_none());
    assert!(get_cart(&h, &me.customer_id).await.is_none());
    let mut conn = h.redis.conn.clone();
    let exists: bool = conn.exists(h.cart_key(&me.customer_id)).await.unwrap();
    assert!(!exists);

    let nothing = h.order().clear_cart(clear("")).await.unwrap().into_inner();
    assert_eq!(outcome(&nothing), CartOutcome::NotFound);
}

#[tokio::test]
async fn the_session_lives_thirty_minutes_from_the_last_change() {
    let h = Harness::start().await;
    let me = h.customer("user-ttl").await;
    let americano = h.item("아메리카노");
    let key = h.cart_key(&me.customer_id);
    let mut conn = h.redis.conn.clone();

    let cart = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await
    .cart
    .unwrap();
    let ttl: i64 = conn.pttl(&key).await.unwrap();
    assert!((TTL_MS - 10_000..=TTL_MS).contains(&ttl), "{ttl}");
    let updated = cart.updated_at.unwrap();
    let expires = cart.expires_at.unwrap();
    assert_eq!(expires.seconds - updated.seconds, TTL_MS / 1000);

    // Time passes (the key is made to expire sooner); reading does not renew it...
    let _: () = conn.pexpire(&key, 60_000).await.unwrap();
    assert!(get_cart(&h, &me.customer_id).await.is_some());
    let ttl: i64 = conn.pttl(&key).await.unwrap();
    assert!(ttl <= 60_000, "{ttl}");
    // ...a change does.
    send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["ICE", "Regular"]),
        ),
    )
    .await;
    let ttl: i64 = conn.pttl(&key).await.unwrap();
    assert!(ttl > TTL_MS - 10_000, "{ttl}");

    // Once expired, the customer has no cart and starts a new one.
    let _: () = conn.pexpire(&key, 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(get_cart(&h, &me.customer_id).await.is_none());
    let fresh = send(
        &h,
        add(
            &me.customer_id,
            &h.store_id,
            &americano,
            &h.options(&["HOT", "Regular"]),
        ),
    )
    .await
    .cart
    .unwrap();
    assert_eq!(fresh.version, 2);
    assert_eq!(fresh.lines.len(), 1);
}

#[tokio::test]
async fn a_stopped_store_service_is_a_quick_unavailable() {
    let db = testkit::TestDb::new().await.unwrap();
    let redis = testkit::TestRedis::new().await.unwrap();
    let demo = store::admin::load_demo(&db.pool).await.unwrap();
    let system = testkit::System::start(crate::LAUNCH, &[platform::Service::Order], &db, &redis)
        .await
        .unwrap();
    let customer = system
        .order()
        .get_or_create_customer(pb::GetOrCreateCustomerRequest {
            bot_user_key: "user-no-store".into(),
            plusfriend_user_key: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let started = Instant::now();
    let status = system
        .order()
        .add_to_cart(add(
            &customer.customer_id,
            &demo.store_id.to_string(),
            &domain::ItemId::new().to_string(),
            &[],
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("잠시 후"), "{}", status.message());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
