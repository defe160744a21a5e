//! The `orders` skill against an order service that answers ListCustomerOrders and GetOrder
//! (a stand-in here, so the skill's side is checked whatever the order service's state): the
//! customer's recent orders as cards with their status, one order's detail from a card or from
//! an alert's chip, and a friendly answer for an order that is not theirs.

use crate::common;

use std::sync::{Arc, Mutex};

use common::Chat;
use contracts::common::v1::{CartLine, OrderStatus};
use contracts::order::v1 as pb;
use contracts::order::v1::order_service_server::{OrderService, OrderServiceServer};
use platform::Service;
use prost_types::Timestamp;
use reqwest::StatusCode;
use serde_json::json;
use testkit::{System, TestDb, TestRedis};
use tonic::{Request, Response, Status};

const CUSTOMER: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a00";
const READY: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a01";
const PLACED: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a02";
const CANCELED: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a03";

/// Answers the reads the skill makes and remembers what it was asked.
#[derive(Clone, Default)]
struct FakeOrders {
    asked: Arc<Mutex<Vec<String>>>,
}

fn order(id: &str, status: OrderStatus, minutes: i64) -> pb::Order {
    pb::Order {
        order_id: id.to_owned(),
        store_name: "간편카페 강남점".into(),
        customer_id: CUSTOMER.into(),
        status: status as i32,
        nickname: "민트".into(),
        lines: vec![CartLine {
            item_name: "아메리카노".into(),
            quantity: 2,
            unit_price: 4_500,
            line_total: 9_000,
            ..CartLine::default()
        }],
        total: 9_000,
        // 2024-06-12 13:05 KST, minus `minutes`.
        placed_at: Some(Timestamp {
            seconds: 1_718_165_100 - minutes * 60,
            nanos: 0,
        }),
        ..pb::Order::default()
    }
}

#[tonic::async_trait]
impl OrderService for FakeOrders {
    async fn get_or_create_customer(
        &self,
        _request: Request<pb::GetOrCreateCustomerRequest>,
    ) -> Result<Response<pb::GetOrCreateCustomerResponse>, Status> {
        Ok(Response::new(pb::GetOrCreateCustomerResponse {
            customer: Some(pb::Customer {
                customer_id: CUSTOMER.into(),
                ..pb::Customer::default()
            }),
            ..Default::default()
        }))
    }

    async fn list_customer_orders(
        &self,
        request: Request<pb::ListCustomerOrdersRequest>,
    ) -> Result<Response<pb::OrderList>, Status> {
        let request = request.into_inner();
        self.asked
            .lock()
            .unwrap()
            .push(format!("list {} {}", request.customer_id, request.limit));
        Ok(Response::new(pb::OrderList {
            orders: vec![
                order(READY, OrderStatus::Ready, 0),
                order(PLACED, OrderStatus::Placed, 30),
            ],
        }))
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        let request = request.into_inner();
        self.asked
            .lock()
            .unwrap()
            .push(format!("get {} {}", request.order_id, request.customer_id));
        let found = match request.order_id.as_str() {
            READY => order(READY, OrderStatus::Ready, 0),
            CANCELED => pb::Order {
                cancel_reason: "재료 소진".into(),
                refunded_amount: 9_000,
                ..order(CANCELED, OrderStatus::Canceled, 60)
            },
            _ => return Err(Status::not_found("no such order for this customer")),
        };
        Ok(Response::new(pb::GetOrderResponse { order: Some(found) }))
    }
}

async fn start() -> anyhow::Result<(System, FakeOrders, TestDb, TestRedis)> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    config.order.url = Some(format!("http://{}", listener.local_addr()?));
    let fake = FakeOrders::default();
    let server = tonic::transport::Server::builder()
        .add_service(OrderServiceServer::new(fake.clone()))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    let system = System::start_with(
        crate::LAUNCH,
        &[Service::Gateway, Service::ChatbotSkill],
        config,
    )
    .await?;
    Ok((system, fake, db, redis))
}

#[tokio::test]
async fn my_orders_list_their_status_and_open_one_order() -> anyhow::Result<()> {
    let (system, fake, _db, _redis) = start().await?;
    let chat = Chat::new(&system);

    let r = chat.say("주문 내역").await?;
    assert_eq!(r.status, StatusCode::OK);
    let cards = &r.body["template"]["outputs"][1]["carousel"]["items"];
    assert_eq!(
        cards[0]["title"], "간편카페 강남점 · 준비 완료",
        "{}",
        r.body
    );
    assert_eq!(cards[1]["title"], "간편카페 강남점 · 접수 대기");
    assert!(
        cards[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("6월 12일 13:05") && d.contains("9,000원")),
        "{}",
        cards[0]
    );

    // A card's button opens that order.
    let r = chat.tap(r.button("자세히 보기")?).await?;
    assert!(r.says("상태: 준비 완료"), "{}", r.body);
    assert!(r.says("닉네임: 민트"), "{}", r.body);
    assert!(r.says("아메리카노"), "{}", r.body);

    // An alert's chip opens the order it is about.
    let alert = chat
        .call(
            "alert",
            "",
            json!({"event": "order_canceled", "order_id": CANCELED, "text": "주문이 취소되었어요."}),
            json!({}),
        )
        .await;
    let r = chat.tap(alert.button("주문 보기")?).await?;
    assert!(r.says("상태: 취소됨"), "{}", r.body);
    assert!(r.says("사유: 재료 소진"), "{}", r.body);
    assert!(r.says("환불: 9,000원"), "{}", r.body);

    // Someone else's order (or a stale id) is simply not found.
    let r = chat
        .call(
            "orders",
            "주문 자세히 보기",
            json!({}),
            json!({"order_id": PLACED}),
        )
        .await;
    assert!(r.says("주문을 찾지 못했어요"), "{}", r.body);

    let asked = fake.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            format!("list {CUSTOMER} 10"),
            format!("get {READY} {CUSTOMER}"),
            format!("get {CANCELED} {CUSTOMER}"),
            format!("get {PLACED} {CUSTOMER}"),
        ],
        "each read is scoped to the customer"
    );
    Ok(())
}
