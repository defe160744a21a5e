//! The read model: a customer's orders (newest first) and one order for the chatbot, through
//! the Redis cache that every change invalidates, a store's day for the board's fallback, and a
//! day's books for accounting.

use crate::checkout;

use checkout::{PATIENCE, Shop, quick};
use contracts::common::v1::OrderStatus;
use contracts::order::v1 as pb;
use redis::AsyncCommands;
use tonic::Code;

/// A paid, PLACED order of two iced large 아메리카노 for the customer: its id.
async fn paid(shop: &Shop, bot_user_key: &str) -> String {
    let customer = shop.customer(bot_user_key).await;
    let cart = shop.add_americano(&customer, 2).await;
    let placed = shop.place(&customer, &cart.id).await;
    assert_eq!(placed.outcome(), pb::PlaceOutcome::ReadyToPay, "{placed:?}");
    let approval_url = shop.choose(&checkout::tid_of(&placed), "approve").await;
    let (status, _) = shop.visit(&approval_url).await;
    assert!(status.is_success(), "approval page: {status}");
    shop.until_status(&placed.order_id, "PLACED").await;
    placed.order_id
}

async fn my_orders(shop: &Shop, customer_id: &str, limit: u32) -> Vec<pb::Order> {
    shop.order()
        .list_customer_orders(pb::ListCustomerOrdersRequest {
            customer_id: customer_id.into(),
            limit,
        })
        .await
        .expect("ListCustomerOrders")
        .into_inner()
        .orders
}

fn ids(orders: &[pb::Order]) -> Vec<&str> {
    orders.iter().map(|o| o.order_id.as_str()).collect()
}

async fn get(shop: &Shop, order_id: &str, customer_id: &str) -> Result<pb::Order, tonic::Status> {
    shop.order()
        .get_order(pb::GetOrderRequest {
            order_id: order_id.into(),
            store_id: String::new(),
            customer_id: customer_id.into(),
        })
        .await
        .map(|answer| answer.into_inner().order.expect("an order"))
}

#[tokio::test]
async fn my_orders_are_newest_first_and_follow_every_change() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-reader").await;
    assert!(my_orders(&shop, &customer, 0).await.is_empty());
    // The empty list is cached now; a new order shows up all the same.
    let cached = format!("{}orders:customer:{customer}", shop.redis.prefix);
    let mut conn = shop.redis.conn.clone();
    assert!(conn.exists::<_, bool>(&cached).await.unwrap());

    let first = paid(&shop, "kakao-reader").await;
    testkit::eventually(PATIENCE, || async {
        (ids(&my_orders(&shop, &customer, 0).await) == [first.as_str()]).then_some(())
    })
    .await
    .expect("the placed order is listed");
    let second = paid(&shop, "kakao-reader").await;
    testkit::eventually(PATIENCE, || async {
        let orders = my_orders(&shop, &customer, 0).await;
        (ids(&orders) == [second.as_str(), first.as_str()]).then_some(())
    })
    .await
    .expect("newest first");
    assert_eq!(
        ids(&my_orders(&shop, &customer, 1).await),
        [second.as_str()]
    );

    let orders = my_orders(&shop, &customer, 0).await;
    let order = &orders[0];
    assert_eq!(order.status(), OrderStatus::Placed);
    assert_eq!(order.total, 10_000);
    assert_eq!(order.lines.len(), 1);
    assert_eq!(order.lines[0].item_name, "아메리카노");
    assert_eq!(order.lines[0].quantity, 2);
    assert!(!order.store_name.is_empty());
    assert!(!order.nickname.is_empty());

    // A board action shows at once, cached list or not.
    shop.order()
        .mark_ready(pb::MarkReadyRequest {
            store_id: shop.store_id.clone(),
            order_id: second.clone(),
            account_id: String::new(),
        })
        .await
        .expect("MarkReady");
    let orders = my_orders(&shop, &customer, 0).await;
    assert_eq!(orders[0].status(), OrderStatus::Ready);
    assert!(orders[0].ready_at.is_some());
    assert_eq!(orders[1].status(), OrderStatus::Placed);
}

#[tokio::test]
async fn an_order_is_found_only_by_its_own_customer_and_store() {
    let shop = Shop::open(quick()).await;
    let order_id = paid(&shop, "kakao-owner").await;
    let owner = shop.customer("kakao-owner").await;
    let stranger = shop.customer("kakao-stranger").await;

    let order = get(&shop, &order_id, &owner).await.expect("GetOrder");
    assert_eq!(order.order_id, order_id);
    assert_eq!(order.customer_id, owner);
    assert_eq!(order.status(), OrderStatus::Placed);
    assert_eq!(order.lines[0].options.len(), 2);
    // Read twice: the second answer comes from the cache and is the same.
    assert_eq!(
        get(&shop, &order_id, &owner).await.expect("GetOrder"),
        order
    );

    let status = get(&shop, &order_id, &stranger)
        .await
        .expect_err("not theirs");
    assert_eq!(status.code(), Code::NotFound);
    let status = shop
        .order()
        .get_order(pb::GetOrderRequest {
            order_id: order_id.clone(),
            store_id: uuid::Uuid::now_v7().to_string(),
            customer_id: String::new(),
        })
        .await
        .expect_err("another store's view");
    assert_eq!(status.code(), Code::NotFound);
    let status = get(&shop, &uuid::Uuid::now_v7().to_string(), &owner)
        .await
        .expect_err("no such order");
    assert_eq!(status.code(), Code::NotFound);

    shop.order()
        .cancel_order(pb::CancelOrderRequest {
            store_id: shop.store_id.clone(),
            order_id: order_id.clone(),
            reason: "재료 소진".into(),
            account_id: String::new(),
        })
        .await
        .expect("CancelOrder");
    let order = get(&shop, &order_id, &owner).await.expect("GetOrder");
    assert_eq!(order.status(), OrderStatus::Canceled);
    assert_eq!(order.cancel_reason, "재료 소진");
    assert_eq!(order.refunded_amount, 10_000);
}

#[tokio::test]
async fn the_days_orders_come_from_postgres_with_a_status_filter() {
    let shop = Shop::open(quick()).await;
    let first = paid(&shop, "kakao-day-1").await;
    let second = paid(&shop, "kakao-day-2").await;
    shop.order()
        .mark_ready(pb::MarkReadyRequest {
            store_id: shop.store_id.clone(),
            order_id: first.clone(),
            account_id: String::new(),
        })
        .await
        .expect("MarkReady");
    let day = |day_business_id: &str, statuses: &[OrderStatus]| pb::ListDayOrdersRequest {
        store_id: shop.store_id.clone(),
        day_business_id: day_business_id.into(),
        statuses: statuses.iter().map(|&s| s as i32).collect(),
    };
    let list = |request| async {
        shop.order()
            .list_day_orders(request)
            .await
            .map(|answer| answer.into_inner().orders)
    };

    // In the order they were placed; the live day when none is named.
    let all = list(day("", &[])).await.expect("ListDayOrders");
    assert_eq!(ids(&all), [first.as_str(), second.as_str()]);
    let named = list(day(&shop.day_id, &[])).await.expect("ListDayOrders");
    assert_eq!(named, all);
    let waiting = list(day(&shop.day_id, &[OrderStatus::Placed]))
        .await
        .expect("ListDayOrders");
    assert_eq!(ids(&waiting), [second.as_str()]);
    let done = list(day("", &[OrderStatus::Ready, OrderStatus::Canceled]))
        .await
        .expect("ListDayOrders");
    assert_eq!(ids(&done), [first.as_str()]);
    assert_eq!(done[0].status(), OrderStatus::Ready);

    let status = list(day("", &[OrderStatus::Unspecified]))
        .await
        .expect_err("an unknown status");
    assert_eq!(status.code(), Code::InvalidArgument);
    // Another store sees nothing of this day.
    let other = store::admin::create_store(&shop.db.pool, "옆 가게", "neighbour", "s3cret-pass")
        .await
        .expect("store");
    let theirs = list(pb::ListDayOrdersRequest {
        store_id: other.to_string(),
        day_business_id: shop.day_id.clone(),
        statuses: Vec::new(),
    })
    .await
    .expect("ListDayOrders");
    assert!(theirs.is_empty());
}

#[tokio::test]
async fn a_days_books_list_every_order_with_its_tid_and_lines_a_page_at_a_time() {
    let shop = Shop::open(quick()).await;
    let mut paid_ids = Vec::new();
    for n in 0..3 {
        paid_ids.push(paid(&shop, &format!("kakao-books-{n}")).await);
    }
    paid_ids.sort();
    let page = |page_token: String| async {
        shop.order()
            .list_day_books(pb::ListDayBooksRequest {
                store_id: shop.store_id.clone(),
                day_business_id: shop.day_id.clone(),
                page_size: 2,
                page_token,
            })
            .await
            .map(|answer| answer.into_inner())
    };
    let first = page(String::new()).await.expect("ListDayBooks");
    assert_eq!(first.orders.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let second = page(first.next_page_token.clone())
        .await
        .expect("ListDayBooks");
    assert!(second.next_page_token.is_empty());
    let books: Vec<pb::BookedOrder> = first.orders.into_iter().chain(second.orders).collect();
    let booked_ids: Vec<&str> = books.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(booked_ids, paid_ids);

    let americano = shop.item("아메리카노");
    let mut tids = std::collections::HashSet::new();
    for booked in &books {
        let order = get(&shop, &booked.order_id, "").await.expect("GetOrder");
        assert_eq!(booked.status(), OrderStatus::Placed);
        assert_eq!(booked.total, order.total);
        assert_eq!(booked.placed_at, order.placed_at);
        assert!(tids.insert(booked.tid.clone()) && !booked.tid.is_empty());
        let lines: Vec<(&str, &str, u32, i64)> = booked
            .lines
            .iter()
            .map(|l| {
                (
                    l.item_id.as_str(),
                    l.name.as_str(),
                    l.quantity,
                    l.line_total,
                )
            })
            .collect();
        assert_eq!(lines, [(americano.as_str(), "아메리카노", 2, order.total)]);
    }

    let garbage = page("not-an-order".into()).await.expect_err("a bad token");
    assert_eq!(garbage.code(), Code::InvalidArgument);
    let other = store::admin::create_store(&shop.db.pool, "옆 가게", "neighbour", "s3cret-pass")
        .await
        .expect("store");
    let theirs = shop
        .order()
        .list_day_books(pb::ListDayBooksRequest {
            store_id: other.to_string(),
            day_business_id: shop.day_id.clone(),
            ..Default::default()
        })
        .await
        .expect("ListDayBooks")
        .into_inner();
    assert!(theirs.orders.is_empty());
}

#[tokio::test]
async fn a_paid_order_puts_its_store_among_the_customers_recent_stores() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-regular").await;
    paid(&shop, "kakao-regular").await;
    // The store service keeps the list from the order.placed event.
    testkit::eventually(PATIENCE, || async {
        let stores = shop
            .system
            .store()
            .recent_stores(contracts::store::v1::RecentStoresRequest {
                customer_id: customer.clone(),
                limit: 5,
            })
            .await
            .ok()?
            .into_inner()
            .stores;
        let ids: Vec<&str> = stores
            .iter()
            .filter_map(|s| s.store.as_ref())
            .map(|s| s.store_id.as_str())
            .collect();
        (ids == [shop.store_id.as_str()]).then_some(())
    })
    .await
    .expect("the store is among the customer's recent stores");
}
