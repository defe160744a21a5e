//! The sandbox's Kakao Local API over HTTP, as the store service (or curl) sees it: Kakao's
//! paths, `Authorization: KakaoAK …`, the `{meta, documents}` shape with `x` = longitude and
//! `y` = latitude as strings, Kakao's 401 and 400 bodies, and the fault switch tests use.

use crate::common;

use kakao::local::{AddressResponse, KeywordResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "local-test-key";

async fn start() -> String {
    common::serve(kakao_sandbox::local::router(KEY.to_owned())).await
}

async fn get(base: &str, path: &str, query: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .query(&[("query", query)]);
    if let Some(key) = key {
        request = request.header("Authorization", format!("KakaoAK {key}"));
    }
    let response = request.send().await.expect("answer");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn keyword_and_address_searches_answer_in_kakaos_shape() {
    let base = start().await;
    let (status, body) = get(&base, "/v2/local/search/keyword.json", "강남역", Some(KEY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["documents"][0]["x"].is_string() && body["documents"][0]["y"].is_string());
    let places: KeywordResponse = serde_json::from_value(body).unwrap();
    assert_eq!(places.documents[0].place_name, "강남역 2호선");
    assert_eq!(places.documents[0].category_group_code, "SW8");
    assert!(places.meta.total_count >= 1);
    let (lat, lng) = places.documents[0].lat_lng().unwrap();
    assert!((lat - 37.498).abs() < 0.001 && (lng - 127.028).abs() < 0.001);

    let (status, body) = get(
        &base,
        "/v2/local/search/address.json",
        "강남대로 396",
        Some(KEY),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let found: AddressResponse = serde_json::from_value(body).unwrap();
    assert_eq!(found.meta.total_count, 1);
    assert_eq!(
        found.documents[0].display_name(),
        "서울 강남구 강남대로 396"
    );
    assert_eq!(
        found.documents[0].address.as_ref().unwrap().address_name,
        "서울 강남구 역삼동 858"
    );

    let (_, body) = get(
        &base,
        "/v2/local/search/keyword.json",
        "없는동네123",
        Some(KEY),
    )
    .await;
    assert_eq!(body["meta"]["total_count"], 0);
    assert_eq!(body["documents"], json!([]));
}

#[tokio::test]
async fn a_wrong_or_missing_key_and_a_missing_query_get_kakaos_errors() {
    let base = start().await;
    for key in [Some("someone-elses-key"), None] {
        for path in [
            "/v2/local/search/keyword.json",
            "/v2/local/search/address.json",
        ] {
            let (status, body) = get(&base, path, "강남역", key).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(body["errorType"], "AccessDeniedError", "{body}");
            assert!(body["message"].is_string());
        }
    }
    let (status, body) = get(&base, "/v2/local/search/keyword.json", " ", Some(KEY)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorType"], "InvalidArgument");
}

#[tokio::test]
async fn a_fault_fails_every_search_until_cleared_and_searches_are_counted() {
    let base = start().await;
    let http = reqwest::Client::new();
    let faults = format!("{base}/sandbox/local/faults");
    let bad = http
        .post(&faults)
        .json(&json!({ "always": "explode" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    http.post(&faults)
        .json(&json!({ "always": "status=503" }))
        .send()
        .await
        .unwrap();
    let (status, _) = get(&base, "/v2/local/search/keyword.json", "강남역", Some(KEY)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    http.delete(&faults).send().await.unwrap();
    let (status, _) = get(&base, "/v2/local/search/keyword.json", "강남역", Some(KEY)).await;
    assert_eq!(status, StatusCode::OK);
    let view: Value = http
        .get(format!("{base}/sandbox/local"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["keyword_searches"], 1,
        "only answered searches count: {view}"
    );
    assert_eq!(view["fault"], Value::Null);
}
