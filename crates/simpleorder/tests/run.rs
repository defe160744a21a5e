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
    let system = System::start(&Service::ALL, &db, &redis).await.unwrap();

    for service in Service::ALL {
        let (status, body) = get(&format!("{}/readyz", system.ops_url(service))).await;
        assert_eq!(status, 200, "{} /readyz: {body}", service.name());
        let (status, _) = get(&format!("{}/healthz", system.ops_url(service))).await;
        assert_eq!(status, 200, "{} /healthz", service.name());
    }
    let (status, _) = get(&format!("{}/readyz", system.gateway_url())).await;
    assert_eq!(
        status, 200,
        "the gateway's public port answers readiness too"
    );

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
