//! The payment service against the kakao-sandbox, with a database and Redis prefix of the
//! test's own, and helpers that play the customer's browser on the sandbox payment page.

use std::time::Duration;

use contracts::payment::v1 as pb;
use contracts::payment::v1::payment_service_client::PaymentServiceClient;
use payment::PaymentSettings;
use platform::grpc::Client;
use platform::{Config, Service, Shutdown};
use serde_json::Value;
use testkit::{System, TestDb, TestRedis};
use tokio::task::JoinHandle;

/// Approve and Cancel wait for KakaoPay (8 s) and may settle by inquiry: callers need a
/// deadline well past the 3 s default.
pub const LONG_DEADLINE: Duration = Duration::from_secs(30);

pub struct Harness {
    pub system: System,
    pub client: PaymentServiceClient<Client>,
    pub http: reqwest::Client,
    /// The sandbox's KakaoPay page and ledger.
    pub kakaopay: testkit::kakaopay::Sandbox,
    pub config: Config,
    /// Set when the payment service runs with settings of the test's own.
    own_payment: Option<(Shutdown, JoinHandle<Result<(), platform::Error>>)>,
    _db: TestDb,
    _redis: TestRedis,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some((shutdown, _)) = &self.own_payment {
            shutdown.cancel();
        }
    }
}

impl Harness {
    /// Payment and the sandbox as `simpleorder run` starts them: default settings.
    pub async fn start() -> Harness {
        Harness::start_configured(|_| {}).await
    }

    pub async fn start_configured(edit: impl FnOnce(&mut Config)) -> Harness {
        let db = TestDb::new().await.expect("test database");
        let redis = TestRedis::new().await.expect("test redis");
        let mut config = System::config(&db.url, &redis.url, &redis.prefix).expect("config");
        edit(&mut config);
        let system = System::start_with(
            crate::LAUNCH,
            &[Service::Payment, Service::KakaoSandbox],
            config,
        )
        .await
        .expect("payment and sandbox start");
        let config = system.config.clone();
        Harness::assemble(system, config, None, db, redis).await
    }

    /// The sandbox from testkit, the payment service with `settings` (short windows, timeouts).
    pub async fn start_with(settings: PaymentSettings) -> Harness {
        let db = TestDb::new().await.expect("test database");
        let redis = TestRedis::new().await.expect("test redis");
        let config = System::config(&db.url, &redis.url, &redis.prefix).expect("config");
        let system = System::start_with(crate::LAUNCH, &[Service::KakaoSandbox], config.clone())
            .await
            .expect("sandbox starts");
        let shutdown = Shutdown::new();
        let task = tokio::spawn(payment::serve_with(
            config.clone(),
            settings,
            shutdown.clone(),
        ));
        Harness::assemble(system, config, Some((shutdown, task)), db, redis).await
    }

    async fn assemble(
        system: System,
        config: Config,
        own_payment: Option<(Shutdown, JoinHandle<Result<(), platform::Error>>)>,
        db: TestDb,
        redis: TestRedis,
    ) -> Harness {
        let endpoints = config.payment.endpoints();
        testkit::until_serving(endpoints.grpc_addr, Duration::from_secs(20))
            .await
            .expect("payment did not start listening");
        let client = PaymentServiceClient::new(
            platform::grpc::client_with_deadline(
                &config.identity(Service::Order).expect("token"),
                &endpoints.url,
                LONG_DEADLINE,
            )
            .expect("url"),
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Harness {
            system,
            client,
            http,
            kakaopay: testkit::kakaopay::Sandbox::new(&config),
            config,
            own_payment,
            _db: db,
            _redis: redis,
        }
    }

    pub fn client(&self) -> PaymentServiceClient<Client> {
        self.client.clone()
    }

    pub fn sandbox(&self) -> String {
        self.system.sandbox_url()
    }

    pub async fn prepare(&self, request: pb::PrepareRequest) -> pb::PrepareResponse {
        self.client()
            .prepare(request)
            .await
            .expect("prepare")
            .into_inner()
    }

    /// The person taps 승인 on the sandbox payment page; the approval URL KakaoPay sends the
    /// browser to: (our token from its path, pg_token from its query).
    pub async fn authenticate(&self, tid: &str) -> (String, String) {
        let location = self.choose(tid, "approve").await;
        let (path, query) = location.split_once('?').expect("a query string");
        let token = path
            .rsplit_once("/pay/kakaopay/approval/")
            .expect("the approval route")
            .1
            .to_owned();
        let pg_token = query
            .strip_prefix("pg_token=")
            .expect("pg_token")
            .to_owned();
        (token, pg_token)
    }

    /// A choice on the payment page; the Location it redirects to.
    pub async fn choose(&self, tid: &str, choice: &str) -> String {
        self.kakaopay
            .page_choice(tid, choice)
            .await
            .expect("payment page")
    }

    pub async fn ledger(&self, tid: &str) -> Value {
        self.kakaopay.ledger(tid).await.expect("ledger")
    }

    pub async fn ledger_all(&self) -> Vec<Value> {
        self.kakaopay.ledger_all().await.expect("ledger")
    }

    /// Queues sandbox faults (`POST /sandbox/faults`).
    pub async fn faults(&self, body: Value) {
        self.kakaopay.faults(body).await.expect("faults");
    }

    pub async fn set_window(&self, secs: u64) {
        let response = self
            .http
            .post(format!("{}/sandbox/kakaopay/config", self.sandbox()))
            .json(&serde_json::json!({ "payment_window_secs": secs }))
            .send()
            .await
            .expect("config");
        assert!(response.status().is_success());
    }

    pub async fn approve(
        &self,
        binding: &pb::PaymentBinding,
        pg_token: &str,
    ) -> pb::ApproveResponse {
        self.client()
            .approve(approve_request(binding, pg_token))
            .await
            .expect("approve")
            .into_inner()
    }

    /// ResolveToken, as the order service does at the approval URL.
    pub async fn resolve(&self, token: &str) -> pb::ResolveTokenResponse {
        self.client()
            .resolve_token(pb::ResolveTokenRequest {
                token: token.into(),
                peek: false,
            })
            .await
            .expect("resolve")
            .into_inner()
    }

    pub async fn cancel(&self, tid: &str, amount: i64, guard: i64) -> pb::CancelResponse {
        self.client()
            .cancel(pb::CancelRequest {
                tid: tid.into(),
                amount,
                cancel_available_amount: guard,
                reason: "가게 사정으로 취소".into(),
                ..Default::default()
            })
            .await
            .expect("cancel")
            .into_inner()
    }

    pub async fn inquire(&self, tid: &str) -> pb::InquireResponse {
        self.client()
            .inquire(pb::InquireRequest { tid: tid.into() })
            .await
            .expect("inquire")
            .into_inner()
    }

    /// A payment the person has authenticated on the page, its token resolved as the
    /// approval URL does: (binding, pg_token).
    pub async fn authenticated_payment(&self, amount: i64) -> (pb::PaymentBinding, String) {
        let prepared = self
            .prepare(prepare_request(&uuid(), "1700000000000-1", amount))
            .await;
        let (token, pg_token) = self.authenticate(&prepared.tid).await;
        assert_eq!(token, prepared.token);
        let binding = self.resolve(&token).await.binding.expect("a live token");
        (binding, pg_token)
    }

    /// An approved payment: (binding, approval).
    pub async fn paid(&self, amount: i64) -> (pb::PaymentBinding, pb::ApproveResponse) {
        let (binding, pg_token) = self.authenticated_payment(amount).await;
        let approval = self.approve(&binding, &pg_token).await;
        assert_eq!(approval.outcome(), pb::PaymentOutcome::Succeeded);
        (binding, approval)
    }
}

pub fn uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn prepare_request(customer_id: &str, cart_id: &str, amount: i64) -> pb::PrepareRequest {
    pb::PrepareRequest {
        order_id: uuid(),
        customer_id: customer_id.into(),
        store_id: uuid(),
        amount,
        item_name: "아메리카노 외 1건".into(),
        quantity: 2,
        cart_id: cart_id.into(),
        day_business_id: uuid(),
        tax_free_amount: 0,
    }
}

/// Approve as the order service does: everything from the binding, plus the pg_token.
pub fn approve_request(binding: &pb::PaymentBinding, pg_token: &str) -> pb::ApproveRequest {
    pb::ApproveRequest {
        tid: binding.tid.clone(),
        pg_token: pg_token.into(),
        partner_order_id: binding.partner_order_id.clone(),
        partner_user_id: binding.partner_user_id.clone(),
        amount: binding.amount,
        order_id: binding.order_id.clone(),
    }
}
