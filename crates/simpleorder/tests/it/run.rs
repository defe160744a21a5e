//! `simpleorder run` as an operator sees it: every service up and ready, and readiness that tells
//! the truth when a dependency goes away.

use std::time::Duration;

use platform::Service;
use serde_json::Value;
use testkit::{System, TestDb, TestRedis, TestRedisServer, eventually};

async fn get(url: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_service_is_ready_and_readiness_names_a_stopped_redis() {
    let db = TestDb::new().await.unwrap();
    let mut server = TestRedisServer::start().await.unwrap();
    let redis = TestRedis::on(&server.url()).await.unwrap();
    let system = System::start(crate::LAUNCH, &Service::ALL, &db, &redis)
        .await
        .unwrap();

    for service in Service::ALL {
        let (status, body) = get(&format!("{}/readyz", system.ops_url(service))).await;
        assert_eq!(status, 200, "{} /readyz: {body}", service.name());
        let (status, _) = get(&format!("{}/healthz", system.ops_url(service))).await;
        assert_eq!(status, 200, "{} /healthz", service.name());
    }
    // Ops endpoints live on the ops port only: the internet reaches the public port.
    for path in ["/metrics", "/readyz", "/healthz"] {
        let response = reqwest::get(format!("{}{path}", system.gateway_url()))
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path} on the public port");
        let body = response.text().await.unwrap();
        assert!(!body.contains("simpleorder_"), "{path}: {body}");
    }

    // gRPC health answers SERVING on every gRPC service.
    for service in Service::ALL
        .into_iter()
        .filter(|s| *s != Service::KakaoSandbox)
    {
        let url = system.config.endpoints(service).unwrap().url;
        let channel = platform::grpc::channel(&url).unwrap();
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let reply = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.name().to_owned(),
            })
            .await
            .unwrap_or_else(|e| panic!("{} health: {e}", service.name()));
        assert_eq!(
            reply.into_inner().status,
            1,
            "{} is SERVING",
            service.name()
        );
    }

    server.stop().await;
    for service in [Service::Store, Service::Order, Service::Gateway] {
        let url = format!("{}/readyz", system.ops_url(service));
        let body = eventually(Duration::from_secs(10), || {
            let url = url.clone();
            async move {
                let (status, body) = get(&url).await;
                (status == 503).then_some(body)
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{} /readyz stayed 200 with Redis stopped", service.name()));
        assert_eq!(body["failing"], serde_json::json!(["redis"]), "{body}");
    }
    // Alive is not ready: /healthz still answers while Redis is down.
    let (status, _) = get(&format!("{}/healthz", system.ops_url(Service::Store))).await;
    assert_eq!(status, 200);

    let (_, metrics) = (
        0,
        reqwest::get(format!("{}/metrics", system.ops_url(Service::Order)))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        metrics.contains("simpleorder_grpc_requests_total"),
        "{metrics}"
    );

    system.stop().await.unwrap();
}

/// A request without the service token, or with a wrong one.
fn stranger<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert(platform::grpc::TOKEN_HEADER, token.parse().unwrap());
    }
    request
}

#[tokio::test]
async fn a_grpc_call_without_the_service_token_is_unauthenticated_on_every_service() {
    use contracts::accounting::v1::ListReportsRequest;
    use contracts::accounting::v1::accounting_service_client::AccountingServiceClient;
    use contracts::chatbot::v1::HandleRequest;
    use contracts::chatbot::v1::chatbot_skill_service_client::ChatbotSkillServiceClient;
    use contracts::order::v1::GetCartRequest;
    use contracts::order::v1::order_service_client::OrderServiceClient;
    use contracts::payment::v1::InquireRequest;
    use contracts::payment::v1::payment_service_client::PaymentServiceClient;
    use contracts::store::v1::LoginRequest;
    use contracts::store::v1::store_service_client::StoreServiceClient;
    use tonic::Code;

    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let services = [
        Service::Store,
        Service::Order,
        Service::Payment,
        Service::Accounting,
        Service::ChatbotSkill,
    ];
    let system = System::start(crate::LAUNCH, &services, &db, &redis)
        .await
        .unwrap();
    let raw = |service: Service| {
        platform::grpc::channel(&system.config.endpoints(service).unwrap().url).unwrap()
    };

    for token in [None, Some("wrong-token"), Some("")] {
        let login = LoginRequest {
            login_id: "demo".into(),
            password: "guess".into(),
            client_ip: "203.0.113.9".into(),
        };
        let codes = [
            (
                "store",
                StoreServiceClient::new(raw(Service::Store))
                    .login(stranger(login, token))
                    .await
                    .map(drop),
            ),
            (
                "order",
                OrderServiceClient::new(raw(Service::Order))
                    .get_cart(stranger(GetCartRequest::default(), token))
                    .await
                    .map(drop),
            ),
            (
                "payment",
                PaymentServiceClient::new(raw(Service::Payment))
                    .inquire(stranger(InquireRequest::default(), token))
                    .await
                    .map(drop),
            ),
            (
                "accounting",
                AccountingServiceClient::new(raw(Service::Accounting))
                    .list_reports(stranger(ListReportsRequest::default(), token))
                    .await
                    .map(drop),
            ),
            (
                "chatbot-skill",
                ChatbotSkillServiceClient::new(raw(Service::ChatbotSkill))
                    .handle(stranger(HandleRequest::default(), token))
                    .await
                    .map(drop),
            ),
        ];
        for (name, outcome) in codes {
            let status = outcome.expect_err(name);
            assert_eq!(
                status.code(),
                Code::Unauthenticated,
                "{name} with {token:?}"
            );
            assert_eq!(status.message(), "missing or wrong service token", "{name}");
        }
    }

    // The services' own clients carry the token: the same calls get past the check.
    let with_token = [
        (
            "store",
            system
                .store()
                .get_store(contracts::store::v1::GetStoreRequest::default())
                .await
                .map(drop),
        ),
        (
            "order",
            system
                .order()
                .get_cart(GetCartRequest::default())
                .await
                .map(drop),
        ),
        (
            "accounting",
            system
                .accounting()
                .list_reports(ListReportsRequest::default())
                .await
                .map(drop),
        ),
        (
            "chatbot-skill",
            system
                .chatbot()
                .handle(HandleRequest::default())
                .await
                .map(drop),
        ),
    ];
    for (name, outcome) in with_token {
        let code = outcome.err().map(|status| status.code());
        assert_ne!(code, Some(Code::Unauthenticated), "{name} with the token");
    }

    // Each deployment has its own token, and a server takes only its callers': the gateway's
    // token opens store, order, accounting and chatbot-skill, but not payment, which only order
    // and accounting call; order's token gets into payment.
    let url = |service: Service| system.config.endpoints(service).unwrap().url;
    let as_gateway = system.client_as(Service::Gateway, &url(Service::Payment));
    let refused = PaymentServiceClient::new(as_gateway)
        .inquire(InquireRequest::default())
        .await
        .expect_err("payment answered the gateway");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let as_order = system.client_as(Service::Order, &url(Service::Payment));
    let answered = PaymentServiceClient::new(as_order)
        .inquire(InquireRequest::default())
        .await;
    assert_ne!(
        answered.err().map(|status| status.code()),
        Some(Code::Unauthenticated),
        "payment refused order's token"
    );
    let as_chatbot = system.client_as(Service::ChatbotSkill, &url(Service::Accounting));
    let refused = AccountingServiceClient::new(as_chatbot)
        .list_reports(ListReportsRequest::default())
        .await
        .expect_err("accounting answered chatbot-skill");
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    system.stop().await.unwrap();
}

/// The per-address login limit counts the address the login names, so only the public edge may
/// name one: another deployment, token and all, cannot log in with a made-up address.
#[tokio::test]
async fn the_client_address_of_a_login_comes_only_from_the_gateway() {
    use contracts::store::v1::LoginRequest;
    use contracts::store::v1::store_service_client::StoreServiceClient;
    use tonic::Code;

    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let system = System::start(crate::LAUNCH, &[Service::Store], &db, &redis)
        .await
        .unwrap();
    let url = system.config.store.endpoints().url;
    let login = || LoginRequest {
        login_id: "nobody".into(),
        password: "guess".into(),
        client_ip: "198.51.100.7".into(),
    };
    for caller in [Service::Order, Service::ChatbotSkill] {
        let refused = StoreServiceClient::new(system.client_as(caller, &url))
            .login(login())
            .await
            .expect_err("a login from another deployment");
        assert_eq!(refused.code(), Code::PermissionDenied, "{caller:?}");
    }
    // From the gateway the login gets as far as the password (no such account here).
    let from_gateway = StoreServiceClient::new(system.client_as(Service::Gateway, &url))
        .login(login())
        .await
        .expect_err("no account");
    assert_eq!(
        from_gateway.code(),
        Code::Unauthenticated,
        "{from_gateway:?}"
    );
    assert_eq!(
        from_gateway.message(),
        "아이디 또는 비밀번호가 올바르지 않습니다"
    );
    system.stop().await.unwrap();
}
