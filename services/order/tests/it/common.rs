//! The store and order services in-process against a database and Redis prefix of the test's
//! own, with the demo café loaded and its menu ids looked up by name.

use std::collections::HashMap;
use std::time::Duration;

use contracts::common::v1 as common_pb;
use contracts::order::v1 as pb;
use contracts::order::v1::order_service_client::OrderServiceClient;
use contracts::store::v1 as store_pb;
use contracts::store::v1::edit_menu_request::Op;
use platform::grpc::Client;
use platform::{Service, Shutdown};
use testkit::{System, TestDb, TestRedis};

pub struct Harness {
    pub system: System,
    pub redis: TestRedis,
    pub db: TestDb,
    pub store_id: String,
    pub menu: common_pb::Menu,
}

impl Harness {
    pub async fn start() -> Harness {
        let db = TestDb::new().await.expect("test database");
        let redis = TestRedis::new().await.expect("test redis");
        let demo = store::admin::load_demo(&db.pool).await.expect("demo café");
        let system = System::start(
            crate::LAUNCH,
            &[Service::Store, Service::Order],
            &db,
            &redis,
        )
        .await
        .expect("services start");
        let mut h = Harness {
            system,
            redis,
            db,
            store_id: demo.store_id.to_string(),
            menu: common_pb::Menu::default(),
        };
        h.menu = h.fetch_menu(&h.store_id.clone()).await;
        h
    }

    pub fn order(&self) -> OrderServiceClient<Client> {
        self.system.order()
    }

    pub async fn fetch_menu(&self, store_id: &str) -> common_pb::Menu {
        self.system
            .store()
            .get_menu(store_pb::GetMenuRequest {
                store_id: store_id.into(),
            })
            .await
            .expect("GetMenu")
            .into_inner()
            .menu
            .expect("a menu")
    }

    pub async fn edit_menu(&self, store_id: &str, op: Op) -> String {
        self.system
            .store()
            .edit_menu(store_pb::EditMenuRequest {
                store_id: store_id.into(),
                op: Some(op),
            })
            .await
            .expect("EditMenu")
            .into_inner()
            .id
    }

    pub fn item(&self, name: &str) -> String {
        self.menu
            .items
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no item {name}"))
            .id
            .clone()
    }

    pub fn option(&self, name: &str) -> String {
        self.menu
            .options
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("no option {name}"))
            .id
            .clone()
    }

    pub fn selection(&self, name: &str) -> String {
        self.menu
            .selections
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no option group {name}"))
            .id
            .clone()
    }

    /// Option ids by name, for the names given.
    pub fn options(&self, names: &[&str]) -> Vec<String> {
        names.iter().map(|n| self.option(n)).collect()
    }

    pub async fn customer(&self, bot_user_key: &str) -> pb::Customer {
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
    }

    /// A second order replica on the same database, Redis prefix and store service, as in a
    /// deployment with several pods; it stops when the returned token is cancelled (or dropped
    /// with the test's runtime).
    pub async fn second_order_replica(&self) -> (OrderServiceClient<Client>, Shutdown) {
        let mut config =
            System::config(&self.db.url, &self.redis.url, &self.redis.prefix).expect("config");
        let store = self.system.config.endpoints(Service::Store).expect("store");
        config.set_endpoints(Service::Store, &store);
        let endpoints = config.order.endpoints();
        let gateway = config.identity(Service::Gateway).expect("token");
        let shutdown = Shutdown::new();
        tokio::spawn(order::serve(config, shutdown.clone()));
        testkit::until_serving(endpoints.grpc_addr, Duration::from_secs(20))
            .await
            .expect("the second order replica did not start");
        let client =
            OrderServiceClient::new(platform::grpc::client(&gateway, &endpoints.url).expect("url"));
        (client, shutdown)
    }

    /// The key the cart of `customer_id` lives under.
    pub fn cart_key(&self, customer_id: &str) -> String {
        format!("{}cart:{customer_id}", self.redis.prefix)
    }

    /// A second store with one plain item (no options), returning (store id, item id).
    pub async fn other_store(&self) -> (String, String) {
        let id = store::admin::create_store(&self.db.pool, "다른 카페", "other", "s3cret-pass")
            .await
            .expect("store")
            .to_string();
        let category = self
            .edit_menu(
                &id,
                Op::UpsertCategory(store_pb::UpsertCategory {
                    id: String::new(),
                    name: "디저트".into(),
                }),
            )
            .await;
        let item = self
            .edit_menu(
                &id,
                Op::UpsertItem(store_pb::UpsertItem {
                    name: "치즈케이크".into(),
                    price: 6_000,
                    category_ids: vec![category],
                    ..Default::default()
                }),
            )
            .await;
        (id, item)
    }
}

pub fn add(
    customer_id: &str,
    store_id: &str,
    item_id: &str,
    options: &[String],
) -> pb::AddToCartRequest {
    pb::AddToCartRequest {
        customer_id: customer_id.into(),
        store_id: store_id.into(),
        item_id: item_id.into(),
        option_ids: options.to_vec(),
        quantity: 1,
        expected_cart_id: String::new(),
        replace: false,
    }
}

pub fn outcome(response: &pb::CartUpdateResponse) -> pb::CartOutcome {
    pb::CartOutcome::try_from(response.outcome).expect("a known outcome")
}

pub fn problem_code(response: &pb::CartUpdateResponse) -> pb::CartProblemCode {
    let problem = response.problem.as_ref().expect("a problem");
    pb::CartProblemCode::try_from(problem.code).expect("a known code")
}

/// Quantity per item name and option names, e.g. {"아메리카노 HOT/Regular": 2}.
pub fn contents(cart: &common_pb::Cart) -> HashMap<String, u32> {
    cart.lines
        .iter()
        .map(|l| {
            let options: Vec<&str> = l.options.iter().map(|o| o.name.as_str()).collect();
            (format!("{} {}", l.item_name, options.join("/")), l.quantity)
        })
        .collect()
}
