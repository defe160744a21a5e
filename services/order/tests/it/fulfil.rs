//! The board's 완료 (ready) and 취소 (cancel) against the real store, payment and order services
//! and the kakao-sandbox: orders are paid on the sandbox's payment page first. Double clicks
//! change an order once, write one day-stream entry and one event, and refund once (checked on
//! the sandbox ledger), also when the order service dies in the middle of a refund.

use crate::checkout;

use std::time::Duration;

use checkout::{PATIENCE, Shop, canceled_by, quick};
use contracts::events::v1 as ev;
use contracts::order::v1 as pb;
use contracts::order::v1::order_service_client::OrderServiceClient;
use futures::future::join_all;
use platform::grpc::Client;
use platform::{Endpoints, Service, Shutdown};
use prost::Message as _;
use redis::AsyncCommands;
use serde_json::json;
use tonic::Code;

/// A paid, PLACED order of two iced large 아메리카노 (10,000원): (customer id, order id, tid).
async fn paid_order(shop: &Shop, bot_user_key: &str) -> (String, String, String) {
    let (customer, placed, tid) = shop.placed(bot_user_key).await;
    let approval_url = shop.choose(&tid, "approve").await;
    let (status, _) = shop.visit(&approval_url).await;
    assert!(status.is_success(), "approval page: {status}");
    shop.until_status(&placed.order_id, "PLACED").await;
    (customer, placed.order_id, tid)
}

fn ready(shop: &Shop, order_id: &str) -> pb::MarkReadyRequest {
    pb::MarkReadyRequest {
        store_id: shop.store_id.clone(),
        order_id: order_id.into(),
        account_id: String::new(),
    }
}

fn cancel(shop: &Shop, order_id: &str, reason: &str) -> pb::CancelOrderRequest {
    pb::CancelOrderRequest {
        store_id: shop.store_id.clone(),
        order_id: order_id.into(),
        reason: reason.into(),
        account_id: String::new(),
    }
}

/// Outbox rows of one event type written for the order (published or not).
async fn outbox_count(shop: &Shop, event_type: &str, order_id: &str) -> usize {
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM ordering.outbox WHERE event_type = $1")
            .bind(event_type)
            .fetch_all(&shop.db.pool)
            .await
            .expect("outbox");
    payloads
        .iter()
        // Protobuf keeps strings as they are: the order id is in the bytes of its event.
        .filter(|payload| String::from_utf8_lossy(payload).contains(order_id))
        .count()
}

/// The day stream's entries about the order, as the board reads them.
async fn day_entries(shop: &Shop, order_id: &str) -> Vec<ev::store_day_entry::Entry> {
    shop.stream(&shop.stream_key)
        .await
        .into_iter()
        .filter_map(|(_, data)| ev::StoreDayEntry::decode(data.as_slice()).ok()?.entry)
        .filter(|entry| {
            let id = match entry {
                ev::store_day_entry::Entry::Placed(p) => {
                    p.order.as_ref().map(|o| o.order_id.as_str())
                }
                ev::store_day_entry::Entry::Accepted(a) => Some(a.order_id.as_str()),
                ev::store_day_entry::Entry::Ready(r) => Some(r.order_id.as_str()),
                ev::store_day_entry::Entry::Canceled(c) => Some(c.order_id.as_str()),
                ev::store_day_entry::Entry::Opened(_) => None,
            };
            id == Some(order_id)
        })
        .collect()
}

async fn events_of<T: prost::Message + Default>(shop: &Shop, kind: &str) -> Vec<T> {
    shop.stream(contracts::streams::ORDER_EVENTS)
        .await
        .into_iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, data)| T::decode(data.as_slice()).expect("an event"))
        .collect()
}

/// Whether the order's nickname is still held for the day.
async fn nickname_held(shop: &Shop, nickname: &str) -> bool {
    let key = format!(
        "{}nick:{}:{}",
        shop.redis.prefix, shop.store_id, shop.day_id
    );
    let mut conn = shop.redis.conn.clone();
    conn.sismember(key, nickname).await.expect("SISMEMBER")
}

async fn until_stream<F: Fn(&[ev::store_day_entry::Entry]) -> bool>(
    shop: &Shop,
    order_id: &str,
    done: F,
) -> Vec<ev::store_day_entry::Entry> {
    testkit::eventually(PATIENCE, || async {
        let entries = day_entries(shop, order_id).await;
        done(&entries).then_some(entries)
    })
    .await
    .expect("the day stream got the entries")
}

#[tokio::test]
async fn ready_changes_the_order_once_under_double_clicks_and_tells_the_customer() {
    let shop = Shop::open(quick()).await;
    let (customer, order_id, _) = paid_order(&shop, "kakao-ready").await;
    let (_, nickname, _) = shop.order_row(&order_id).await.expect("the order");
    assert!(nickname_held(&shop, &nickname).await);

    let clicks = (0..10).map(|_| {
        let mut client = shop.order();
        let request = ready(&shop, &order_id);
        async move { client.mark_ready(request).await }
    });
    let answers: Vec<pb::OrderActionResponse> = join_all(clicks)
        .await
        .into_iter()
        .map(|answer| answer.expect("MarkReady").into_inner())
        .collect();
    assert_eq!(answers.iter().filter(|a| a.changed).count(), 1);
    for answer in &answers {
        let order = answer.order.as_ref().expect("the order");
        assert_eq!(order.status(), contracts::common::v1::OrderStatus::Ready);
        assert!(order.ready_at.is_some());
        assert_eq!(order.nickname, nickname);
    }
    assert_eq!(shop.order_row(&order_id).await.unwrap().0, "READY");
    assert_eq!(outbox_count(&shop, "order.ready", &order_id).await, 1);
    assert!(!nickname_held(&shop, &nickname).await, "nickname freed");

    let entries = until_stream(&shop, &order_id, |e| e.len() >= 2).await;
    assert!(matches!(entries[0], ev::store_day_entry::Entry::Placed(_)));
    let ev::store_day_entry::Entry::Ready(entry) = &entries[1] else {
        panic!("a ready entry: {entries:?}");
    };
    assert_eq!(entry.nickname, nickname);
    shop.until_events("order.ready", 1).await;
    let events: Vec<ev::OrderReady> = events_of(&shop, "order.ready").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].order_id, order_id);
    assert_eq!(events[0].customer_id, customer);
    assert_eq!(events[0].bot_user_key, "kakao-ready");
    assert_eq!(events[0].nickname, nickname);
    assert!(!events[0].store_name.is_empty());
    assert_eq!(day_entries(&shop, &order_id).await.len(), 2);

    // A handed-over order cannot be canceled any more.
    let refused = shop
        .order()
        .cancel_order(cancel(&shop, &order_id, "재료 소진"))
        .await
        .expect_err("a ready order is not canceled");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("준비 완료"),
        "{}",
        refused.message()
    );
    assert_eq!(
        shop.ledger(&paid_tid(&shop, &order_id).await).await["cancels"],
        0
    );
}

async fn paid_tid(shop: &Shop, order_id: &str) -> String {
    shop.payment_row(order_id).await.expect("a payment row").2
}

#[tokio::test]
async fn another_stores_order_is_not_found_and_bad_input_changes_nothing() {
    let shop = Shop::open(quick()).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-other-store").await;
    let other = store::admin::create_store(&shop.db.pool, "옆 가게", "neighbour", "s3cret-pass")
        .await
        .expect("store")
        .to_string();
    let mut client = shop.order();
    let mut request = ready(&shop, &order_id);
    request.store_id = other.clone();
    let status = client.mark_ready(request).await.expect_err("not theirs");
    assert_eq!(status.code(), Code::NotFound);
    let mut request = cancel(&shop, &order_id, "장난");
    request.store_id = other;
    let status = client.cancel_order(request).await.expect_err("not theirs");
    assert_eq!(status.code(), Code::NotFound);

    for reason in ["", "   ", &"가".repeat(201)] {
        let status = client
            .cancel_order(cancel(&shop, &order_id, reason))
            .await
            .expect_err("a reason of 1 to 200 characters");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("취소 사유"),
            "{}",
            status.message()
        );
    }
    let status = client
        .mark_ready(ready(&shop, "not-an-id"))
        .await
        .expect_err("malformed");
    assert_eq!(status.code(), Code::InvalidArgument);

    assert_eq!(shop.order_row(&order_id).await.unwrap().0, "PLACED");
    assert_eq!(shop.payment_row(&order_id).await.unwrap().0, "APPROVED");
    assert_eq!(shop.ledger(&tid).await["cancels"], 0);
}

/// Checks the end state of a refunded cancel: the order, its payment row, one refund at
/// KakaoPay, one day-stream entry and one event, and the nickname given back.
async fn canceled_once(shop: &Shop, order_id: &str, tid: &str, reason: &str, nickname: &str) {
    let (status, _, _) = shop.order_row(order_id).await.expect("the order");
    assert_eq!(status, "CANCELED");
    let (pay_status, amount, _, canceled, _) = shop.payment_row(order_id).await.unwrap();
    assert_eq!(
        (pay_status.as_str(), amount, canceled),
        ("CANCELED", 10_000, 10_000)
    );
    let ledger = shop.ledger(tid).await;
    assert_eq!(ledger["cancels"], 1, "{ledger}");
    assert_eq!(ledger["canceled_amount"], 10_000, "{ledger}");
    assert_eq!(outbox_count(shop, "order.canceled", order_id).await, 1);
    assert!(!nickname_held(shop, nickname).await, "nickname freed");

    let entries = until_stream(shop, order_id, |e| e.len() >= 2).await;
    let ev::store_day_entry::Entry::Canceled(entry) = &entries[1] else {
        panic!("a canceled entry: {entries:?}");
    };
    assert_eq!(
        (entry.reason.as_str(), entry.refunded_amount),
        (reason, 10_000)
    );
    shop.until_events("order.canceled", 1).await;
    let events: Vec<ev::OrderCanceled> = events_of(shop, "order.canceled").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].order_id, order_id);
    assert_eq!(events[0].reason, reason);
    assert_eq!(events[0].refunded_amount, 10_000);
    assert_eq!(events[0].nickname, nickname);
    assert_eq!(day_entries(shop, order_id).await.len(), 2);
}

/// A second order service on the same database, Redis and payment service, as another pod.
async fn second_replica(shop: &Shop) -> (OrderServiceClient<Client>, Shutdown) {
    let mut config = shop.config.clone();
    let grpc_addr = testkit::reserve_addr().expect("address");
    let endpoints = Endpoints {
        grpc_addr,
        ops_addr: testkit::reserve_addr().expect("address"),
        url: format!("http://{grpc_addr}"),
    };
    config.set_endpoints(Service::Order, &endpoints);
    let gateway = config.identity(Service::Gateway).expect("token");
    let shutdown = Shutdown::new();
    tokio::spawn(order::serve_with(
        config,
        shop.settings.clone(),
        shutdown.clone(),
    ));
    testkit::until_serving(grpc_addr, PATIENCE)
        .await
        .expect("the second replica listens");
    let client = OrderServiceClient::new(
        platform::grpc::client_with_deadline(&gateway, &endpoints.url, checkout::LONG)
            .expect("url"),
    );
    (client, shutdown)
}

#[tokio::test]
async fn cancel_refunds_once_under_double_clicks_on_two_replicas() {
    let shop = Shop::open(quick()).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-cancel").await;
    let (_, nickname, _) = shop.order_row(&order_id).await.expect("the order");
    let (other, _replica) = second_replica(&shop).await;
    let canceled_before = canceled_by("store");

    let clicks = (0..10).map(|i| {
        let mut client = if i % 2 == 0 {
            shop.order()
        } else {
            other.clone()
        };
        let request = cancel(&shop, &order_id, "재료 소진");
        async move { client.cancel_order(request).await }
    });
    let answers: Vec<pb::OrderActionResponse> = join_all(clicks)
        .await
        .into_iter()
        .map(|answer| answer.expect("CancelOrder").into_inner())
        .collect();
    assert_eq!(answers.iter().filter(|a| a.changed).count(), 1);
    for answer in &answers {
        let order = answer.order.as_ref().expect("the order");
        assert_eq!(order.status(), contracts::common::v1::OrderStatus::Canceled);
        assert_eq!(order.cancel_reason, "재료 소진");
        assert_eq!(order.refunded_amount, 10_000);
    }
    canceled_once(&shop, &order_id, &tid, "재료 소진", &nickname).await;
    // An owner sees on the dashboard that the store canceled it.
    assert!(
        canceled_by("store") > canceled_before,
        "counted as the store's cancel"
    );

    // Canceled stays canceled: 완료 is refused, another cancel changes nothing.
    let refused = shop
        .order()
        .mark_ready(ready(&shop, &order_id))
        .await
        .expect_err("a canceled order is not handed over");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("취소됨"),
        "{}",
        refused.message()
    );
    let again = shop
        .order()
        .cancel_order(cancel(&shop, &order_id, "다른 사유"))
        .await
        .expect("CancelOrder")
        .into_inner();
    assert!(!again.changed);
    assert_eq!(again.order.unwrap().cancel_reason, "재료 소진");
    assert_eq!(shop.ledger(&tid).await["cancels"], 1);
}

#[tokio::test]
async fn an_unclear_refund_answers_checking_and_is_settled_later() {
    let settings = order::OrderSettings {
        refund_retry_after: Duration::from_secs(1),
        refund_sweep_every: Duration::from_millis(300),
        ..quick()
    };
    let shop = Shop::open(settings).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-unclear").await;
    let (_, nickname, _) = shop.order_row(&order_id).await.expect("the order");
    // KakaoPay is down for the cancel and the inquiry after it: nothing is refunded yet.
    shop.faults(json!({ "next_cancel": "5xx", "next_order": "5xx" }))
        .await;
    let status = shop
        .order()
        .cancel_order(cancel(&shop, &order_id, "손님 요청"))
        .await
        .expect_err("the refund is not confirmed");
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        status.message().contains("환불 확인 중"),
        "{}",
        status.message()
    );

    // The recovery finishes it once KakaoPay answers again.
    shop.until_status(&order_id, "CANCELED").await;
    canceled_once(&shop, &order_id, &tid, "손님 요청", &nickname).await;
}

#[tokio::test]
async fn a_refund_survives_the_order_service_dying_mid_cancel() {
    let settings = order::OrderSettings {
        refund_retry_after: Duration::from_secs(1),
        refund_sweep_every: Duration::from_millis(300),
        ..quick()
    };
    let mut shop = Shop::open(settings).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-dies").await;
    let (_, nickname, _) = shop.order_row(&order_id).await.expect("the order");
    // KakaoPay refunds, then holds its answer: the service dies while waiting for it.
    shop.faults(json!({ "next_cancel": "timeout-after-cancel", "hang_ms": 5000 }))
        .await;
    let mut client = shop.order();
    let request = cancel(&shop, &order_id, "기계 고장");
    let click = tokio::spawn(async move { client.cancel_order(request).await });
    testkit::eventually(PATIENCE, || async {
        (shop.ledger(&tid).await["cancels"] == 1).then_some(())
    })
    .await
    .expect("KakaoPay refunded");
    shop.kill_order().await;
    let answer = click.await.expect("the click task");
    assert!(
        answer.is_err(),
        "a dead service answers nothing: {answer:?}"
    );
    assert_eq!(shop.order_row(&order_id).await.unwrap().0, "PLACED");
    assert_eq!(
        shop.payment_row(&order_id).await.unwrap().0,
        "CANCEL_PENDING"
    );

    shop.start_order().await;
    shop.until_status(&order_id, "CANCELED").await;
    canceled_once(&shop, &order_id, &tid, "기계 고장", &nickname).await;
}

/// Where a crash between the store's 취소 and the recorded outcome leaves a paid order: the
/// service down, the order PLACED with its refund recorded as intended (CANCEL_PENDING) and the
/// store's reason, as the cancel writes them before asking KakaoPay.
async fn crashed_mid_cancel(shop: &mut Shop, order_id: &str, reason: &str) {
    shop.kill_order().await;
    let mut tx = shop.db.pool.begin().await.expect("begin");
    sqlx::query(
        "UPDATE order_payment SET status = 'CANCEL_PENDING', updated_at = now() \
         WHERE order_id = $1::uuid AND status = 'APPROVED'",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await
    .expect("the refund intent");
    sqlx::query("UPDATE customer_order SET cancel_reason = $2 WHERE id = $1::uuid")
        .bind(order_id)
        .bind(reason)
        .execute(&mut *tx)
        .await
        .expect("the reason");
    tx.commit().await.expect("commit");
    assert_eq!(shop.order_row(order_id).await.unwrap().0, "PLACED");
    assert_eq!(
        shop.payment_row(order_id).await.unwrap().0,
        "CANCEL_PENDING"
    );
}

fn recovering() -> order::OrderSettings {
    order::OrderSettings {
        refund_retry_after: Duration::from_secs(1),
        refund_sweep_every: Duration::from_millis(300),
        ..quick()
    }
}

/// After settling, further rounds of the recovery change nothing.
async fn settled_for_good(shop: &Shop, order_id: &str, tid: &str, reason: &str, nickname: &str) {
    shop.until_status(order_id, "CANCELED").await;
    canceled_once(shop, order_id, tid, reason, nickname).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    canceled_once(shop, order_id, tid, reason, nickname).await;
    assert_eq!(outbox_count(shop, "store_day.entry", order_id).await, 2);
}

#[tokio::test]
async fn the_recovery_records_a_refund_kakaopay_made_before_the_crash() {
    let mut shop = Shop::open(recovering()).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-refunded-then-crashed").await;
    let (_, nickname, _) = shop.order_row(&order_id).await.expect("the order");
    crashed_mid_cancel(&mut shop, &order_id, "우유 소진").await;
    // KakaoPay refunded; the answer died with the service.
    testkit::kakaopay::Sandbox::new(&shop.config)
        .cancel(&tid, 10_000)
        .await
        .expect("KakaoPay refunds");
    assert_eq!(shop.ledger(&tid).await["status"], "CANCEL_PAYMENT");

    shop.start_order().await;
    settled_for_good(&shop, &order_id, &tid, "우유 소진", &nickname).await;
    // The recovery asked KakaoPay again; it refused a second refund and the inquiry settled it.
    assert_eq!(shop.ledger(&tid).await["cancel_calls"], 2);
}

#[tokio::test]
async fn the_recovery_refunds_an_order_kakaopay_was_never_asked_about() {
    let mut shop = Shop::open(recovering()).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-crashed-before-refund").await;
    let (_, nickname, _) = shop.order_row(&order_id).await.expect("the order");
    crashed_mid_cancel(&mut shop, &order_id, "기계 점검").await;
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["cancels"], 0, "{ledger}");

    shop.start_order().await;
    settled_for_good(&shop, &order_id, &tid, "기계 점검", &nickname).await;
    assert_eq!(shop.ledger(&tid).await["cancel_calls"], 1);
}

#[tokio::test]
async fn a_closed_day_refuses_cancels() {
    let shop = Shop::open(quick()).await;
    let (_, order_id, tid) = paid_order(&shop, "kakao-closed").await;
    // The store service never closes a day with a waiting order (sealing it here is refused);
    // only an operator's hand seals one.
    sqlx::query("UPDATE order_day SET sealed_at = now() WHERE id = $1::uuid")
        .bind(&shop.day_id)
        .execute(&shop.db.pool)
        .await
        .expect("close the day");

    let status = shop
        .order()
        .cancel_order(cancel(&shop, &order_id, "마감 후 취소"))
        .await
        .expect_err("no cancel after closing");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("마감"), "{}", status.message());
    assert_eq!(shop.order_row(&order_id).await.unwrap().0, "PLACED");
    assert_eq!(shop.payment_row(&order_id).await.unwrap().0, "APPROVED");
    assert_eq!(shop.ledger(&tid).await["cancels"], 0);
}

type Board =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The demo café's admin signed in on the gateway: the session cookie.
async fn admin_cookie(shop: &Shop) -> String {
    let answer = shop
        .http
        .post(format!("{}/api/store/login", shop.system.gateway_url()))
        .header("X-SimpleOrder-CSRF", "1")
        .json(
            &json!({ "login": store::admin::DEMO_LOGIN, "password": store::admin::DEMO_PASSWORD }),
        )
        .send()
        .await
        .expect("login");
    assert!(answer.status().is_success(), "login: {}", answer.status());
    let set_cookie = answer.headers()["set-cookie"].to_str().expect("ascii");
    set_cookie.split(';').next().expect("a cookie").to_owned()
}

/// A live board of the demo café, resuming after `after` when given.
async fn board(shop: &Shop, cookie: &str, after: Option<&str>) -> Board {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let gateway = shop.config.gateway_addr;
    let query = after.map_or(String::new(), |id| {
        format!("?after={id}&day={}", shop.day_id)
    });
    let mut request = format!("ws://{gateway}/api/store/live{query}")
        .into_client_request()
        .expect("a request");
    let headers = request.headers_mut();
    headers.insert("cookie", HeaderValue::from_str(cookie).expect("ascii"));
    let origin = format!("http://{gateway}");
    headers.insert("origin", HeaderValue::from_str(&origin).expect("ascii"));
    tokio_tungstenite::connect_async(request)
        .await
        .expect("the board connects")
        .0
}

/// The board's next message other than a heartbeat.
async fn board_message(board: &mut Board) -> serde_json::Value {
    use futures::StreamExt;
    loop {
        let message = tokio::time::timeout(PATIENCE, board.next())
            .await
            .expect("a board message in time")
            .expect("the board is open")
            .expect("a message");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let value: serde_json::Value = serde_json::from_str(text.as_str()).expect("JSON");
            if value["kind"] != "heartbeat" {
                return value;
            }
        }
    }
}

/// `hello`, then the replayed entries up to `caught_up`: (hello, what the board shows by order
/// id → status, the last entry id).
async fn board_opening(
    board: &mut Board,
) -> (
    serde_json::Value,
    std::collections::BTreeMap<String, String>,
    String,
) {
    let hello = board_message(board).await;
    assert_eq!(hello["kind"], "hello", "{hello}");
    let mut shown = std::collections::BTreeMap::new();
    loop {
        let message = board_message(board).await;
        match message["kind"].as_str() {
            Some("caught_up") => {
                let last = message["id"].as_str().unwrap_or_default().to_owned();
                return (hello, shown, last);
            }
            Some(kind @ ("placed" | "ready" | "canceled")) => {
                let id = message["order"]["order_id"].as_str().expect("an order");
                let previous = shown.insert(id.to_owned(), kind.to_owned());
                if kind == "placed" {
                    assert_eq!(previous, None, "{id} placed twice in one replay");
                }
            }
            _ => panic!("unexpected during the replay: {message}"),
        }
    }
}

/// Redis restarted empty, as far as this test's keys go: every key under its prefix is gone.
async fn lose_redis_data(shop: &Shop) {
    let mut conn = shop.redis.conn.clone();
    let keys: Vec<String> = conn
        .keys(format!("{}*", shop.redis.prefix))
        .await
        .expect("KEYS");
    if !keys.is_empty() {
        let _: usize = conn.del(keys).await.expect("DEL");
    }
}

#[tokio::test]
async fn after_redis_loses_the_day_stream_the_board_shows_the_whole_day_again() {
    let shop = Shop::open(quick()).await;
    let cookie = admin_cookie(&shop).await;
    let (_, handed_over, _) = paid_order(&shop, "kakao-rebuild-ready").await;
    let (_, refunded, _) = paid_order(&shop, "kakao-rebuild-cancel").await;
    let (_, waiting, _) = paid_order(&shop, "kakao-rebuild-wait").await;
    let mut client = shop.order();
    client
        .mark_ready(ready(&shop, &handed_over))
        .await
        .expect("ready");
    client
        .cancel_order(cancel(&shop, &refunded, "재료 소진"))
        .await
        .expect("cancel");
    until_stream(&shop, &refunded, |e| e.len() >= 2).await;
    until_stream(&shop, &handed_over, |e| e.len() >= 2).await;

    // A board that follows the day when Redis loses it.
    let mut watching = board(&shop, &cookie, None).await;
    let (hello, shown, last_seen) = board_opening(&mut watching).await;
    let first_stream = hello["stream_id"].as_str().expect("a stream id").to_owned();
    assert_eq!(shown.len(), 3, "{shown:?}");

    lose_redis_data(&shop).await;
    // The next order re-creates the stream with itself first.
    let (_, after_loss, _) = paid_order(&shop, "kakao-rebuild-after").await;
    let entries = until_stream(&shop, &after_loss, |e| !e.is_empty()).await;
    assert!(matches!(entries[0], ev::store_day_entry::Entry::Placed(_)));

    // Sessions lived in Redis too: staff sign in again. A board opened now, and many readers
    // at once: one rebuild, and every board shows the whole day, each order once and as it
    // stands.
    let cookie = admin_cookie(&shop).await;
    let requests = (0..6).map(|_| {
        let mut client = shop.order();
        let request = pb::EnsureDayStreamRequest {
            store_id: shop.store_id.clone(),
            day_business_id: shop.day_id.clone(),
        };
        async move { client.ensure_day_stream(request).await }
    });
    let mut fresh = board(&shop, &cookie, None).await;
    let answers: Vec<pb::EnsureDayStreamResponse> = join_all(requests)
        .await
        .into_iter()
        .map(|a| a.expect("EnsureDayStream").into_inner())
        .collect();
    let (hello, shown, _) = board_opening(&mut fresh).await;
    let rebuilt_stream = hello["stream_id"].as_str().expect("a stream id").to_owned();
    assert_ne!(rebuilt_stream, first_stream);
    assert!(answers.iter().all(|a| a.opened_entry_id == rebuilt_stream));
    assert!(answers.iter().filter(|a| a.rebuilt).count() <= 1);
    let expected: std::collections::BTreeMap<String, String> = [
        (handed_over.clone(), "ready"),
        (refunded.clone(), "canceled"),
        (waiting.clone(), "placed"),
        (after_loss.clone(), "placed"),
    ]
    .into_iter()
    .map(|(id, kind)| (id, kind.to_owned()))
    .collect();
    assert_eq!(shown, expected);
    for order in [&handed_over, &refunded, &waiting, &after_loss] {
        let facts = day_entries(&shop, order).await;
        let placed = facts
            .iter()
            .filter(|f| matches!(f, ev::store_day_entry::Entry::Placed(_)))
            .count();
        assert_eq!(placed, 1, "{order}: {facts:?}");
    }

    // The board that was following is told to start over, and then shows the whole day too.
    loop {
        let message = board_message(&mut watching).await;
        if message["kind"] == "reload" {
            break;
        }
        assert_ne!(message["kind"], "caught_up", "{message}");
    }
    let mut resumed = board(&shop, &cookie, Some(&last_seen)).await;
    let (hello, shown, _) = board_opening(&mut resumed).await;
    assert_eq!(hello["stream_id"], rebuilt_stream.as_str());
    assert_eq!(shown, expected);

    // Orders after the rebuild reach the boards once.
    let (_, later, _) = paid_order(&shop, "kakao-rebuild-later").await;
    let message = board_message(&mut fresh).await;
    assert_eq!(message["kind"], "placed", "{message}");
    assert_eq!(message["order"]["order_id"], later.as_str());
    assert_eq!(day_entries(&shop, &later).await.len(), 1);
}

#[tokio::test]
async fn after_redis_loses_the_nickname_set_a_waiting_customers_name_is_not_given_again() {
    let shop = Shop::open(quick()).await;
    let mut client = shop.order();
    for bot_user_key in ["kakao-nick-first", "kakao-nick-second"] {
        let customer_id = shop.customer(bot_user_key).await;
        client
            .set_nickname(pb::SetNicknameRequest {
                customer_id,
                nickname: "커피왕".into(),
            })
            .await
            .expect("SetNickname");
    }
    let (_, first, _) = paid_order(&shop, "kakao-nick-first").await;
    assert_eq!(shop.order_row(&first).await.unwrap().1, "커피왕");

    lose_redis_data(&shop).await;
    let (_, second, _) = paid_order(&shop, "kakao-nick-second").await;
    let called = shop.order_row(&second).await.unwrap().1;
    assert_ne!(called, "커피왕", "two waiting orders called by one name");
    assert!(called.starts_with("커피왕"), "{called}");

    // Once the first order is handed over its name is free again.
    client
        .mark_ready(ready(&shop, &first))
        .await
        .expect("ready");
    let (_, third, _) = paid_order(&shop, "kakao-nick-first").await;
    assert_eq!(shop.order_row(&third).await.unwrap().1, "커피왕");
}

#[tokio::test]
async fn an_approval_url_visited_again_after_redis_lost_its_token_shows_the_order() {
    let shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-reload-after-loss").await;
    let approval_url = shop.choose(&tid, "approve").await;
    let (status, first) = shop.visit(&approval_url).await;
    assert!(status.is_success(), "{first}");
    shop.until_status(&placed.order_id, "PLACED").await;

    // Redis restarted empty: the token, its use and the remembered verdict are gone.
    lose_redis_data(&shop).await;
    let (status, again) = shop.visit(&approval_url).await;
    assert!(status.is_success(), "{again}");
    assert!(!again.contains("결제 정보를 찾을 수 없어요"), "{again}");
    assert!(again.contains("주문이 접수되었어요"), "{again}");
    let (_, nickname, _) = shop.order_row(&placed.order_id).await.expect("the order");
    assert!(again.contains(&nickname), "{again}");
    // Seeing it again changed nothing: one charge.
    assert_eq!(shop.ledger(&tid).await["approved_amount"], 10_000);
    assert_eq!(
        shop.payment_row(&placed.order_id).await.unwrap().0,
        "APPROVED"
    );
}
