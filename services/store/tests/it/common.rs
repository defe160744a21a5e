//! The store service, in-process on free ports, against a database and Redis prefix of the
//! test's own, with settings the test chooses; beside it the order service, which a closing day
//! is sealed with.

use std::time::Duration;

use contracts::store::v1 as pb;
use contracts::store::v1::store_service_client::StoreServiceClient;
use platform::Shutdown;
use platform::grpc::Client;
use store::StoreSettings;
use testkit::{TestDb, TestRedis};
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "s3cret-pass";

pub struct Harness {
    pub db: TestDb,
    pub redis: TestRedis,
    pub client: StoreServiceClient<Client>,
    /// Where the store's gRPC answers, for a client with other deadlines.
    pub url: String,
    /// Who the harness calls as: the gateway, the only caller the store takes a login from.
    pub gateway: platform::grpc::Identity,
    pub keys: platform::redis::Keys,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), platform::Error>>,
    order: JoinHandle<Result<(), platform::Error>>,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(StoreSettings::default()).await
    }

    pub async fn start_with(settings: StoreSettings) -> Harness {
        let db = TestDb::new().await.expect("test database");
        let redis = TestRedis::new().await.expect("test redis");
        let config = testkit::System::config(&db.url, &redis.url, &redis.prefix).expect("config");
        let endpoints = config.store.endpoints();
        let gateway = config.identity(platform::Service::Gateway).expect("token");
        let shutdown = Shutdown::new();
        let order_addr = config.order.endpoints().grpc_addr;
        let order = tokio::spawn(order::serve(config.clone(), shutdown.clone()));
        let task = tokio::spawn(store::serve_with(config, settings, shutdown.clone()));
        testkit::until_serving(endpoints.grpc_addr, Duration::from_secs(20))
            .await
            .expect("store did not start listening");
        testkit::until_serving(order_addr, Duration::from_secs(20))
            .await
            .expect("order did not start listening");
        let client =
            StoreServiceClient::new(platform::grpc::client(&gateway, &endpoints.url).expect("url"));
        Harness {
            url: endpoints.url,
            gateway,
            keys: redis.keys(),
            db,
            redis,
            client,
            shutdown,
            task,
            order,
        }
    }

    pub fn client(&self) -> StoreServiceClient<Client> {
        self.client.clone()
    }

    /// A store with an admin account `login` / [`PASSWORD`]; (lat, lng) = (0, 0) means no location.
    pub async fn create_store(
        &self,
        name: &str,
        login: &str,
        lat: f64,
        lng: f64,
    ) -> pb::CreateStoreResponse {
        self.client()
            .create_store(pb::CreateStoreRequest {
                name: name.into(),
                login_id: login.into(),
                password: PASSWORD.into(),
                lat,
                lng,
                address: "서울특별시 강남구".into(),
                ..Default::default()
            })
            .await
            .expect("create store")
            .into_inner()
    }

    pub async fn login(&self, login: &str) -> pb::LoginResponse {
        self.client()
            .login(pb::LoginRequest {
                login_id: login.into(),
                password: PASSWORD.into(),
                client_ip: "203.0.113.10".into(),
            })
            .await
            .expect("login")
            .into_inner()
    }

    pub async fn resolve(&self, session_id: &str, touch: bool) -> pb::ResolveSessionResponse {
        self.client()
            .resolve_session(pb::ResolveSessionRequest {
                session_id: session_id.into(),
                touch,
            })
            .await
            .expect("resolve")
            .into_inner()
    }

    pub async fn transition(
        &self,
        store_id: &str,
        action: pb::DayAction,
    ) -> pb::TransitionDayResponse {
        self.client()
            .transition_day(pb::TransitionDayRequest {
                store_id: store_id.into(),
                action: action as i32,
                account_id: String::new(),
            })
            .await
            .expect("transition")
            .into_inner()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("store stops in time")
            .expect("store task")
            .expect("store ends cleanly");
        tokio::time::timeout(Duration::from_secs(15), self.order)
            .await
            .expect("order stops in time")
            .expect("order task")
            .expect("order ends cleanly");
    }
}
