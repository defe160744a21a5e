//! A café open for business with everything a payment touches: the demo café's day readied and
//! opened, the store service (closing allowed at once), the gateway, the payment service and
//! the kakao-sandbox from testkit, and the order service with settings of the test's own that
//! the test can stop, kill and start again. Helpers play the customer's browser on the sandbox
//! payment page and read what a payment left behind: rows, streams and the sandbox ledger.

use std::time::Duration;

use contracts::common::v1 as common_pb;
use contracts::events::v1 as ev;
use contracts::order::v1 as pb;
use contracts::order::v1::order_service_client::OrderServiceClient;
use contracts::payment::v1 as pay_pb;
use contracts::store::v1 as store_pb;
use order::OrderSettings;
use platform::grpc::Client;
use platform::{Config, Service, Shutdown};
use prost::Message as _;
use redis::AsyncCommands;
use redis::streams::StreamRangeReply;
use serde_json::Value;
use testkit::{System, TestDb, TestRedis};
use tokio::task::JoinHandle;

/// Approve and the result page wait for KakaoPay; calls need more than the 3 s default.
pub const LONG: Duration = Duration::from_secs(30);
/// How long a test waits for something that happens in the background.
pub const PATIENCE: Duration = Duration::from_secs(20);

type Task = (Shutdown, JoinHandle<Result<(), platform::Error>>);

pub struct Shop {
    pub system: System,
    pub config: Config,
    pub settings: OrderSettings,
    pub http: reqwest::Client,
    /// The sandbox's KakaoPay page and ledger.
    pub kakaopay: testkit::kakaopay::Sandbox,
    pub redis: TestRedis,
    pub db: TestDb,
    pub store_id: String,
    pub day_id: String,
    /// The day stream's key without the Redis prefix.
    pub stream_key: String,
    pub menu: common_pb::Menu,
    store: Task,
    order: Option<Task>,
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.store.0.cancel();
        if let Some((shutdown, _)) = &self.order {
            shutdown.cancel();
        }
    }
}

/// Settings with short waits, so retries happen within a test. An approval must finish within
/// the retry wait (or another consumer takes its message over): faults that hold KakaoPay's
/// answer hold it for less.
pub fn quick() -> OrderSettings {
    OrderSettings {
        approval_retry_after: Duration::from_secs(3),
        ..OrderSettings::default()
    }
}

/// Whether the service on `addr` answers yet (its first start serves on a listener bound
/// beforehand, which accepts connections before the service runs).
async fn answers(addr: std::net::SocketAddr) -> bool {
    tokio::time::timeout(Duration::from_secs(1), platform::listen::answers(addr))
        .await
        .unwrap_or(false)
}

impl Shop {
    pub async fn open(settings: OrderSettings) -> Shop {
        Shop::open_with(settings, &[]).await
    }

    /// `extra` services (e.g. the chatbot) run beside the gateway, payment and the sandbox.
    pub async fn open_with(settings: OrderSettings, extra: &[Service]) -> Shop {
        let db = TestDb::new().await.expect("test database");
        let redis = TestRedis::new().await.expect("test redis");
        let demo = store::admin::load_demo(&db.pool).await.expect("demo café");
        let config = System::config(&db.url, &redis.url, &redis.prefix).expect("config");
        let store_shutdown = Shutdown::new();
        let store_task = tokio::spawn(store::serve_with(
            config.clone(),
            store::StoreSettings {
                close_wait: Duration::ZERO,
                ..store::StoreSettings::default()
            },
            store_shutdown.clone(),
        ));
        let mut services = vec![Service::Gateway, Service::Payment, Service::KakaoSandbox];
        services.extend_from_slice(extra);
        let system = System::start_with(crate::LAUNCH, &services, config.clone())
            .await
            .expect("gateway, payment and sandbox start");
        let store_addr = config.store.endpoints().grpc_addr;
        testkit::until_serving(store_addr, PATIENCE)
            .await
            .expect("the store service listens");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(LONG)
            .build()
            .expect("http client");
        let mut shop = Shop {
            system,
            kakaopay: testkit::kakaopay::Sandbox::new(&config),
            config,
            settings,
            http,
            redis,
            db,
            store_id: demo.store_id.to_string(),
            day_id: String::new(),
            stream_key: String::new(),
            menu: common_pb::Menu::default(),
            store: (store_shutdown, store_task),
            order: None,
        };
        shop.start_order().await;
        shop.transition(store_pb::DayAction::Ready).await;
        let day = shop.transition(store_pb::DayAction::Open).await;
        shop.day_id = day.day_business_id;
        shop.stream_key = day.stream_key;
        shop.menu = shop
            .system
            .store()
            .get_menu(store_pb::GetMenuRequest {
                store_id: shop.store_id.clone(),
            })
            .await
            .expect("GetMenu")
            .into_inner()
            .menu
            .expect("a menu");
        shop
    }

    /// Starts the order service (again), on the same ports.
    pub async fn start_order(&mut self) {
        let endpoints = self.config.order.endpoints();
        for _ in 0..50 {
            let shutdown = Shutdown::new();
            let task = tokio::spawn(order::serve_with(
                self.config.clone(),
                self.settings.clone(),
                shutdown.clone(),
            ));
            let deadline = tokio::time::Instant::now() + PATIENCE;
            while !answers(endpoints.grpc_addr).await && !task.is_finished() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the order service did not start listening"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !task.is_finished() {
                self.order = Some((shutdown, task));
                return;
            }
            // The ports of a killed instance may take a moment to be free again.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the order service did not start");
    }

    /// Stops the order service the way SIGTERM does: its consumers finish their message.
    pub async fn stop_order(&mut self) {
        if let Some((shutdown, task)) = self.order.take() {
            shutdown.cancel();
            let _ = tokio::time::timeout(LONG, task).await;
        }
    }

    /// Kills the order service in the middle of whatever it does.
    pub async fn kill_order(&mut self) {
        if let Some((_, task)) = self.order.take() {
            task.abort();
            let _ = task.await;
        }
    }

    pub fn order(&self) -> OrderServiceClient<Client> {
        let url = self.config.order.endpoints().url;
        let gateway = self.config.identity(Service::Gateway).expect("token");
        OrderServiceClient::new(
            platform::grpc::client_with_deadline(&gateway, &url, LONG).expect("url"),
        )
    }

    pub async fn transition(&self, action: store_pb::DayAction) -> store_pb::BusinessDay {
        let answer = self
            .system
            .store()
            .transition_day(store_pb::TransitionDayRequest {
                store_id: self.store_id.clone(),
                action: action.into(),
                account_id: String::new(),
            })
            .await
            .expect("TransitionDay")
            .into_inner();
        assert!(answer.refusal.is_none(), "{action:?}: {:?}", answer.refusal);
        answer.day.expect("a day")
    }

    pub async fn customer(&self, bot_user_key: &str) -> String {
        self.order()
            .get_or_create_customer(pb::GetOrCreateCustomerRequest {
                bot_user_key: bot_user_key.into(),
                plusfriend_user_key: String::new(),
            })
            .await
            .expect("GetOrCreateCustomer")
            .into_inner()
            .customer
            .expect("a customer")
            .customer_id
    }

    pub fn item(&self, name: &str) -> String {
        let item = self.menu.items.iter().find(|i| i.name == name);
        item.unwrap_or_else(|| panic!("no item {name}")).id.clone()
    }

    pub fn option(&self, name: &str) -> String {
        let option = self.menu.options.iter().find(|o| o.name == name);
        option
            .unwrap_or_else(|| panic!("no option {name}"))
            .id
            .clone()
    }

    /// Puts `quantity` iced large 아메리카노 (5,000원 each) in the customer's cart.
    pub async fn add_americano(&self, customer_id: &str, quantity: u32) -> common_pb::Cart {
        let answer = self
            .order()
            .add_to_cart(pb::AddToCartRequest {
                customer_id: customer_id.into(),
                store_id: self.store_id.clone(),
                item_id: self.item("아메리카노"),
                option_ids: vec![self.option("ICE"), self.option("Large")],
                quantity,
                expected_cart_id: String::new(),
                replace: false,
            })
            .await
            .expect("AddToCart")
            .into_inner();
        assert_eq!(answer.outcome(), pb::CartOutcome::Updated, "{answer:?}");
        answer.cart.expect("a cart")
    }

    pub async fn cart(&self, customer_id: &str) -> Option<common_pb::Cart> {
        self.order()
            .get_cart(pb::GetCartRequest {
                customer_id: customer_id.into(),
            })
            .await
            .expect("GetCart")
            .into_inner()
            .cart
    }

    pub async fn place(&self, customer_id: &str, cart_id: &str) -> pb::PlaceOrderResponse {
        self.order()
            .place_order(pb::PlaceOrderRequest {
                customer_id: customer_id.into(),
                cart_id: cart_id.into(),
            })
            .await
            .expect("PlaceOrder")
            .into_inner()
    }

    /// A customer with a cart of two iced large 아메리카노 (10,000원), placed: (customer id,
    /// the placement, the KakaoPay tid).
    pub async fn placed(&self, bot_user_key: &str) -> (String, pb::PlaceOrderResponse, String) {
        let customer = self.customer(bot_user_key).await;
        let cart = self.add_americano(&customer, 2).await;
        let placed = self.place(&customer, &cart.id).await;
        assert_eq!(placed.outcome(), pb::PlaceOutcome::ReadyToPay, "{placed:?}");
        let tid = tid_of(&placed);
        (customer, placed, tid)
    }

    /// The customer's live payment session.
    pub async fn session(&self, customer_id: &str) -> Option<pay_pb::PaymentSession> {
        self.system
            .payment()
            .get_session(pay_pb::GetSessionRequest {
                customer_id: customer_id.into(),
            })
            .await
            .expect("GetSession")
            .into_inner()
            .session
    }

    /// A choice on the sandbox payment page; where it sends the browser.
    pub async fn choose(&self, tid: &str, choice: &str) -> String {
        self.kakaopay
            .page_choice(tid, choice)
            .await
            .expect("payment page")
    }

    /// The browser opens `url`: (status, page).
    pub async fn visit(&self, url: &str) -> (reqwest::StatusCode, String) {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .expect("the gateway answers");
        let status = response.status();
        (status, response.text().await.expect("a page"))
    }

    pub async fn ledger(&self, tid: &str) -> Value {
        self.kakaopay.ledger(tid).await.expect("ledger")
    }

    /// Queues sandbox faults (`POST /sandbox/faults`).
    pub async fn faults(&self, body: Value) {
        self.kakaopay.faults(body).await.expect("faults");
    }

    /// (status, nickname, failure_reason) of an order row.
    pub async fn order_row(&self, order_id: &str) -> Option<(String, String, Option<String>)> {
        sqlx::query_as(
            "SELECT status, nickname, failure_reason FROM customer_order WHERE id = $1::uuid",
        )
        .bind(order_id)
        .fetch_optional(&self.db.pool)
        .await
        .expect("customer_order")
    }

    /// Waits until the order has `status`.
    pub async fn until_status(&self, order_id: &str, status: &str) {
        let reached = testkit::eventually(PATIENCE, || async {
            self.order_row(order_id)
                .await
                .filter(|(s, _, _)| s == status)
                .map(|_| ())
        })
        .await;
        assert!(
            reached.is_ok(),
            "order never became {status}: {:?}",
            self.order_row(order_id).await
        );
    }

    pub async fn order_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM customer_order")
            .fetch_one(&self.db.pool)
            .await
            .expect("count")
    }

    /// (status, amount, tid, canceled_amount, aid) of the order's payment row.
    pub async fn payment_row(
        &self,
        order_id: &str,
    ) -> Option<(String, i64, String, i64, Option<String>)> {
        sqlx::query_as(
            "SELECT status, amount, tid, canceled_amount, aid FROM order_payment \
             WHERE order_id = $1::uuid",
        )
        .bind(order_id)
        .fetch_optional(&self.db.pool)
        .await
        .expect("order_payment")
    }

    /// Every entry of a stream (logical name): (type, data).
    pub async fn stream(&self, name: &str) -> Vec<(String, Vec<u8>)> {
        let mut conn = self.redis.conn.clone();
        let reply: StreamRangeReply = conn
            .xrange_all(format!("{}{name}", self.redis.prefix))
            .await
            .expect("XRANGE");
        reply
            .ids
            .into_iter()
            .map(|entry| {
                let kind: String = entry.get("type").expect("type");
                let data: Vec<u8> = entry.get("data").expect("data");
                (kind, data)
            })
            .collect()
    }

    /// The store day stream's placed entries.
    pub async fn board(&self) -> Vec<ev::BoardOrder> {
        self.stream(&self.stream_key)
            .await
            .into_iter()
            .filter_map(
                |(_, data)| match ev::StoreDayEntry::decode(data.as_slice()) {
                    Ok(ev::StoreDayEntry {
                        entry: Some(ev::store_day_entry::Entry::Placed(placed)),
                        ..
                    }) => placed.order,
                    _ => None,
                },
            )
            .collect()
    }

    pub async fn placed_events(&self) -> Vec<ev::OrderPlaced> {
        self.stream(contracts::streams::ORDER_EVENTS)
            .await
            .into_iter()
            .filter(|(kind, _)| kind == "order.placed")
            .map(|(_, data)| ev::OrderPlaced::decode(data.as_slice()).expect("OrderPlaced"))
            .collect()
    }

    pub async fn failed_events(&self) -> Vec<ev::OrderApprovalFailed> {
        self.stream(contracts::streams::ORDER_EVENTS)
            .await
            .into_iter()
            .filter(|(kind, _)| kind == "order.approval_failed")
            .map(|(_, data)| {
                ev::OrderApprovalFailed::decode(data.as_slice()).expect("OrderApprovalFailed")
            })
            .collect()
    }

    /// Waits until the events stream holds `n` events of `kind`.
    pub async fn until_events(&self, kind: &str, n: usize) {
        let reached = testkit::eventually(PATIENCE, || async {
            let count = self
                .stream(contracts::streams::ORDER_EVENTS)
                .await
                .iter()
                .filter(|(k, _)| k == kind)
                .count();
            (count >= n).then_some(())
        })
        .await;
        assert!(reached.is_ok(), "fewer than {n} {kind} events");
    }
}

/// The KakaoPay tid of a placement: the last segment of its payment page URL.
pub fn tid_of(placed: &pb::PlaceOrderResponse) -> String {
    let url = &placed
        .redirect
        .as_ref()
        .expect("a redirect")
        .next_redirect_mobile_url;
    url.rsplit('/').next().expect("a tid").to_owned()
}

/// The nickname shown on a result page.
pub fn nickname_on(page: &str) -> Option<String> {
    let start = page.find("<strong id=\"nickname\">")? + "<strong id=\"nickname\">".len();
    let end = page[start..].find("</strong>")?;
    Some(page[start..start + end].to_owned())
}

/// `orders_total{outcome="canceled"}` of `canceler` (customer, store) on this process's
/// `/metrics`, where the in-process order services count. Tests of this binary run side by
/// side, so a test can only count on its own cancels adding to it.
pub fn canceled_by(canceler: &str) -> u64 {
    let wanted = format!("reason=\"{canceler}\"");
    platform::metrics::render()
        .lines()
        .filter(|l| l.starts_with("simpleorder_orders_total{"))
        .filter(|l| l.contains("outcome=\"canceled\"") && l.contains(&wanted))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}
