//! 접수 with a promised time, auto-accept, the customer's place in line and the customer's own
//! 취소하기, against the real store, payment and order services and the kakao-sandbox (orders
//! are paid on the sandbox's payment page first). The customer's cancel and the store's 접수 take
//! the same row lock: exactly one of them wins, and money moves only for a cancel, once.

use crate::checkout::{self, Shop, quick};
use contracts::common::v1::OrderStatus;
use contracts::events::v1 as ev;
use contracts::order::v1 as pb;
use futures::future::join_all;
use prost::Message as _;
use tonic::Code;

/// A paid, PLACED order of two iced large 아메리카노 (10,000원): (customer id, order id, tid).
async fn paid_order(shop: &Shop, bot_user_key: &str) -> (String, String, String) {
    let (customer, placed, tid) = shop.placed(bot_user_key).await;
    let approval_url = shop.choose(&tid, "approve").await;
    let (status, _) = shop.visit(&approval_url).await;
    assert!(status.is_success(), "approval page: {status}");
    testkit::eventually(checkout::PATIENCE, || async {
        let (status, _, _) = shop.order_row(&placed.order_id).await?;
        (status != "APPROVING").then_some(())
    })
    .await
    .expect("the order left APPROVING");
    (customer, placed.order_id, tid)
}

fn accept(shop: &Shop, order_id: &str, minutes: u32) -> pb::AcceptOrderRequest {
    pb::AcceptOrderRequest {
        store_id: shop.store_id.clone(),
        order_id: order_id.into(),
        minutes,
        account_id: String::new(),
    }
}

fn customer_cancel(customer: &str, order_id: &str) -> pb::CustomerCancelOrderRequest {
    pb::CustomerCancelOrderRequest {
        customer_id: customer.into(),
        order_id: order_id.into(),
    }
}

async fn get(shop: &Shop, customer: &str, order_id: &str) -> pb::Order {
    shop.order()
        .get_order(pb::GetOrderRequest {
            order_id: order_id.into(),
            store_id: String::new(),
            customer_id: customer.into(),
        })
        .await
        .expect("GetOrder")
        .into_inner()
        .order
        .expect("the order")
}

async fn events_of<T: prost::Message + Default>(shop: &Shop, kind: &str) -> Vec<T> {
    shop.stream(contracts::streams::ORDER_EVENTS)
        .await
        .into_iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, data)| T::decode(data.as_slice()).expect("an event"))
        .collect()
}

fn seconds(t: Option<&prost_types::Timestamp>) -> i64 {
    t.expect("a time").seconds
}

#[tokio::test]
async fn accept_promises_a_time_once_and_tells_the_customer() {
    let shop = Shop::open(quick()).await;
    let (customer, order_id, tid) = paid_order(&shop, "kakao-accept").await;

    let clicks = (0..6).map(|_| {
        let mut client = shop.order();
        let request = accept(&shop, &order_id, 15);
        async move { client.accept_order(request).await }
    });
    let answers: Vec<pb::OrderActionResponse> = join_all(clicks)
        .await
        .into_iter()
        .map(|a| a.expect("AcceptOrder").into_inner())
        .collect();
    assert_eq!(answers.iter().filter(|a| a.changed).count(), 1);
    let order = answers[0].order.clone().expect("the order");
    assert_eq!(order.status(), OrderStatus::Accepted);
    assert_eq!(order.prep_minutes, 15);
    assert_eq!(
        seconds(order.promised_at.as_ref()) - seconds(order.accepted_at.as_ref()),
        15 * 60
    );

    // A second accept with another time keeps the first promise.
    let again = shop
        .order()
        .accept_order(accept(&shop, &order_id, 5))
        .await
        .expect("accept again")
        .into_inner();
    assert!(!again.changed);
    assert_eq!(again.order.expect("order").prep_minutes, 15);

    shop.until_events("order.accepted", 1).await;
    let events: Vec<ev::OrderAccepted> = events_of(&shop, "order.accepted").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].order_id, order_id);
    assert_eq!(events[0].customer_id, customer);
    assert_eq!(events[0].bot_user_key, "kakao-accept");
    assert_eq!(events[0].prep_minutes, 15);
    assert_eq!(events[0].promised_at, order.promised_at);

    let entries: Vec<ev::StoreDayAccepted> = shop
        .stream(&shop.stream_key)
        .await
        .into_iter()
        .filter_map(
            |(_, data)| match ev::StoreDayEntry::decode(data.as_slice()).ok()?.entry {
                Some(ev::store_day_entry::Entry::Accepted(a)) => Some(a),
                _ => None,
            },
        )
        .collect();
    assert_eq!(entries.len(), 1, "one accepted entry on the day stream");
    assert_eq!(entries[0].promised_at, order.promised_at);

    // Only the store cancels an accepted order; the customer is told so and nothing moves.
    let refused = shop
        .order()
        .customer_cancel_order(customer_cancel(&customer, &order_id))
        .await
        .expect_err("accepted: the customer may not cancel");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        refused.message(),
        "매장에서 이미 주문을 접수해 취소할 수 없어요. 매장에 문의해 주세요."
    );
    assert_eq!(shop.order_row(&order_id).await.unwrap().0, "ACCEPTED");
    assert_eq!(shop.ledger(&tid).await["cancels"], 0);

    // Out of range minutes change nothing.
    for minutes in [121, 1000] {
        let status = shop
            .order()
            .accept_order(accept(&shop, &order_id, minutes))
            .await
            .expect_err("1 to 120 minutes");
        assert_eq!(status.code(), Code::InvalidArgument);
    }
}

#[tokio::test]
async fn customer_cancel_before_acceptance_refunds_once_under_repeated_taps() {
    let shop = Shop::open(quick()).await;
    let (customer, order_id, tid) = paid_order(&shop, "kakao-self-cancel").await;
    let canceled_before = checkout::canceled_by("customer");

    let taps = (0..8).map(|_| {
        let mut client = shop.order();
        let request = customer_cancel(&customer, &order_id);
        async move { client.customer_cancel_order(request).await }
    });
    let answers: Vec<pb::OrderActionResponse> = join_all(taps)
        .await
        .into_iter()
        .map(|a| a.expect("CustomerCancelOrder").into_inner())
        .collect();
    assert_eq!(answers.iter().filter(|a| a.changed).count(), 1);
    for answer in &answers {
        let order = answer.order.as_ref().expect("the order");
        assert_eq!(order.status(), OrderStatus::Canceled);
        assert_eq!(order.refunded_amount, 10_000);
    }
    let (pay_status, amount, _, canceled, _) = shop.payment_row(&order_id).await.unwrap();
    assert_eq!(
        (pay_status.as_str(), amount, canceled),
        ("CANCELED", 10_000, 10_000)
    );
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["cancels"], 1, "{ledger}");
    assert_eq!(ledger["canceled_amount"], 10_000, "{ledger}");

    shop.until_events("order.canceled", 1).await;
    let events: Vec<ev::OrderCanceled> = events_of(&shop, "order.canceled").await;
    assert_eq!(events.len(), 1);
    assert!(events[0].by_customer);
    assert_eq!(events[0].refunded_amount, 10_000);
    assert!(
        checkout::canceled_by("customer") > canceled_before,
        "counted as the customer's cancel"
    );

    // The store can no longer accept it; another customer cannot touch an order not theirs.
    let refused = shop
        .order()
        .accept_order(accept(&shop, &order_id, 10))
        .await
        .expect_err("canceled");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let (_, other_order, _) = paid_order(&shop, "kakao-other").await;
    let status = shop
        .order()
        .customer_cancel_order(customer_cancel(&customer, &other_order))
        .await
        .expect_err("not theirs");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(shop.order_row(&other_order).await.unwrap().0, "PLACED");
}

#[tokio::test]
async fn customer_cancel_racing_the_stores_accept_has_exactly_one_winner() {
    let shop = Shop::open(quick()).await;
    for round in 0..4 {
        let (customer, order_id, tid) = paid_order(&shop, &format!("kakao-race-{round}")).await;
        let mut cancel_client = shop.order();
        let mut accept_client = shop.order();
        let cancel_request = customer_cancel(&customer, &order_id);
        let accept_request = accept(&shop, &order_id, 10);
        let (canceled, accepted) = tokio::join!(
            async move { cancel_client.customer_cancel_order(cancel_request).await },
            async move { accept_client.accept_order(accept_request).await },
        );
        let row = shop.order_row(&order_id).await.unwrap().0;
        let ledger = shop.ledger(&tid).await;
        match (canceled, accepted) {
            (Ok(c), Err(a)) => {
                assert!(c.into_inner().changed);
                assert_eq!(a.code(), Code::FailedPrecondition, "{a:?}");
                assert_eq!(row, "CANCELED");
                assert_eq!(ledger["cancels"], 1, "{ledger}");
                assert_eq!(ledger["canceled_amount"], 10_000, "{ledger}");
            }
            (Err(c), Ok(a)) => {
                assert!(a.into_inner().changed);
                assert_eq!(c.code(), Code::FailedPrecondition, "{c:?}");
                assert_eq!(row, "ACCEPTED");
                assert_eq!(ledger["cancels"], 0, "{ledger}");
                assert_eq!(shop.payment_row(&order_id).await.unwrap().0, "APPROVED");
            }
            other => panic!("round {round}: exactly one must win, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn auto_accept_promises_the_default_time_and_the_line_moves_as_orders_are_ready() {
    let shop = Shop::open(quick()).await;
    let settings = shop
        .order()
        .set_accept_settings(pb::SetAcceptSettingsRequest {
            store_id: shop.store_id.clone(),
            prep_minutes: 12,
            busy: true,
            auto_accept: true,
        })
        .await
        .expect("SetAcceptSettings")
        .into_inner();
    assert_eq!(settings.default_minutes, 22, "바쁨 adds 10 minutes");

    let mut orders = Vec::new();
    for n in 0..3 {
        let (customer, order_id, _) = paid_order(&shop, &format!("kakao-line-{n}")).await;
        shop.until_status(&order_id, "ACCEPTED").await;
        orders.push((customer, order_id));
    }
    let first = get(&shop, &orders[0].0, &orders[0].1).await;
    assert_eq!(first.status(), OrderStatus::Accepted);
    assert_eq!(first.prep_minutes, 22);
    assert_eq!(
        seconds(first.promised_at.as_ref()) - seconds(first.accepted_at.as_ref()),
        22 * 60
    );
    shop.until_events("order.accepted", 3).await;
    let events: Vec<ev::OrderAccepted> = events_of(&shop, "order.accepted").await;
    assert!(events.iter().all(|e| e.prep_minutes == 22));

    let aheads = |orders: Vec<pb::Order>| orders.iter().map(|o| o.ahead).collect::<Vec<_>>();
    let mut now = Vec::new();
    for (customer, id) in &orders {
        now.push(get(&shop, customer, id).await);
    }
    assert_eq!(aheads(now), [0, 1, 2]);

    shop.order()
        .mark_ready(pb::MarkReadyRequest {
            store_id: shop.store_id.clone(),
            order_id: orders[0].1.clone(),
            account_id: String::new(),
        })
        .await
        .expect("MarkReady");
    // Read through the customer's list (cached) too: the place is counted at every look.
    let listed = shop
        .order()
        .list_customer_orders(pb::ListCustomerOrdersRequest {
            customer_id: orders[2].0.clone(),
            limit: 5,
        })
        .await
        .expect("list")
        .into_inner()
        .orders;
    assert_eq!(listed[0].ahead, 1);
    let third = get(&shop, &orders[2].0, &orders[2].1).await;
    assert_eq!(third.ahead, 1);
    let ready = get(&shop, &orders[0].0, &orders[0].1).await;
    assert_eq!((ready.status(), ready.ahead), (OrderStatus::Ready, 0));
}
