//! The chat simulator over HTTP: its page and setup file, and `POST /chat/send` forwarding to a
//! stand-in gateway the way Open Builder calls skills (URL, headers, 5 s limit).

use crate::common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{Answer, FakeGateway, SECRET, SECRET_HEADER, hello_answer, post_send, sandbox, serve};
use platform::{Config, Shutdown};
use serde_json::{Value, json};

const USER_KEY: &str = "0f3a9c1e5b7d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a";

fn said(text: &str) -> Value {
    json!({ "user_key": USER_KEY, "utterance": text })
}

/// The sandbox as `simpleorder run` starts it, on a free port.
async fn running_sandbox() -> (String, Shutdown) {
    let mut config = Config::local();
    config.sandbox_addr = testkit::reserve_addr().unwrap();
    let url = format!("http://{}", config.sandbox_addr);
    let shutdown = Shutdown::new();
    tokio::spawn(kakao_sandbox::serve(config, shutdown.clone()));
    testkit::eventually(Duration::from_secs(10), || async {
        reqwest::get(format!("{url}/healthz")).await.ok()
    })
    .await
    .unwrap();
    (url, shutdown)
}

#[tokio::test]
async fn the_chat_page_is_served_in_korean_with_its_script() {
    let (url, shutdown) = running_sandbox().await;
    let res = reqwest::get(format!("{url}/chat")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("lang=\"ko\"") && html.contains("내 위치 보내기"));
    assert!(html.contains("/chat/chat.js"));

    for (path, kind, marker) in [
        ("/chat/chat.js", "text/javascript", "pushBotMessage"),
        ("/chat/chat.css", "text/css", ".bubble"),
    ] {
        let res = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(res.text().await.unwrap().contains(marker), "{path}");
    }
    let landing = reqwest::get(format!("{url}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(landing.contains("href=\"/chat\""));
    shutdown.cancel();
}

#[tokio::test]
async fn the_setup_file_is_served_as_committed() {
    let (url, shutdown) = running_sandbox().await;
    let res = reqwest::get(format!("{url}/chat/bot.json")).await.unwrap();
    assert_eq!(res.status(), 200);
    let served: Value = res.json().await.unwrap();
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/openbuilder/bot.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(served, on_disk);
    shutdown.cancel();
}

#[tokio::test]
async fn an_utterance_is_posted_to_the_blocks_skill_with_the_secret_header() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, hello_answer())).await;
    let sandbox = sandbox(&gateway.url, Some(SECRET)).await;

    let (status, body) = post_send(&sandbox, said("매장 찾기 간편카페")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let call = gateway.only_call();
    assert_eq!(call.skill, "stores");
    assert_eq!(call.headers[SECRET_HEADER], SECRET);
    assert!(
        call.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(call.body["action"]["params"]["store_name"], "간편카페");
    assert_eq!(call.body["userRequest"]["user"]["id"], USER_KEY);
    // What the page gets: the payload as sent, the answer, and no violations.
    assert_eq!(body["request"], call.body);
    assert_eq!(body["response"], hello_answer());
    assert_eq!(body["violations"], json!([]));
    assert_eq!(body["error"], Value::Null);
    assert_eq!(body["block"]["id"], "blk_stores");
    assert_eq!(body["skill"], "stores");
    assert_eq!(body["url"], format!("{}/kakao/skill/stores", gateway.url));
}

#[tokio::test]
async fn without_a_configured_secret_no_secret_header_is_sent() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, hello_answer())).await;
    let sandbox = sandbox(&gateway.url, None).await;
    let (status, _) = post_send(&sandbox, said("시작")).await;
    assert_eq!(status, StatusCode::OK);
    let call = gateway.only_call();
    assert_eq!(call.skill, "welcome");
    assert!(call.headers.get(SECRET_HEADER).is_none());
}

#[tokio::test]
async fn a_tapped_block_button_carries_its_extra() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, hello_answer())).await;
    let sandbox = sandbox(&gateway.url, Some(SECRET)).await;
    let (status, body) = post_send(
        &sandbox,
        json!({
            "user_key": USER_KEY,
            "button": { "blockId": "blk_menu", "label": "메뉴", "extra": { "store_id": "s1" } }
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let call = gateway.only_call();
    assert_eq!(call.skill, "menu");
    assert_eq!(
        call.body["action"]["clientExtra"],
        json!({ "store_id": "s1" })
    );
    assert_eq!(call.body["userRequest"]["utterance"], "메뉴");
}

#[tokio::test]
async fn a_gateway_slower_than_five_seconds_is_a_visible_timeout() {
    let gateway = FakeGateway::start(Answer::SleepThenJson(
        Duration::from_secs(6),
        hello_answer(),
    ))
    .await;
    let sandbox = sandbox(&gateway.url, None).await;

    let started = Instant::now();
    let (status, body) = post_send(&sandbox, said("시작")).await;
    let took = started.elapsed();

    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert!(
        took >= Duration::from_millis(4900) && took < Duration::from_millis(5800),
        "gave up after {took:?}"
    );
    assert_eq!(body["error"]["kind"], "timeout");
    assert!(body["error"]["message"].as_str().unwrap().contains("5초"));
    assert_eq!(body["response"], Value::Null);
    assert_eq!(body["request"]["action"]["name"], "welcome");
}

#[tokio::test]
async fn an_answer_breaking_kakaos_limits_comes_back_with_its_violations() {
    let too_much = json!({
        "version": "2.0",
        "template": {
            "outputs": [
                { "simpleText": { "text": "1" } }, { "simpleText": { "text": "2" } },
                { "simpleText": { "text": "3" } }, { "simpleText": { "text": "4" } }
            ],
            "quickReplies": [{ "label": "열다섯 글자가 넘는 아주 긴 바로가기", "action": "message" }]
        }
    });
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, too_much.clone())).await;
    let sandbox = sandbox(&gateway.url, None).await;
    let (status, body) = post_send(&sandbox, said("주문서")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response"], too_much);
    let violations: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        violations.iter().any(|v| v.contains("outputs")),
        "{violations:?}"
    );
    assert!(
        violations.iter().any(|v| v.contains("label")),
        "{violations:?}"
    );
}

#[tokio::test]
async fn gateway_failures_are_reported_as_kakao_would_see_them() {
    let cases = [
        (
            Answer::Json(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "boom" }),
            ),
            "status",
        ),
        (
            Answer::Text(StatusCode::OK, "<html>oops</html>"),
            "not_json",
        ),
    ];
    for (answer, kind) in cases {
        let gateway = FakeGateway::start(answer).await;
        let sandbox = sandbox(&gateway.url, None).await;
        let (status, body) = post_send(&sandbox, said("시작")).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert_eq!(body["error"]["kind"], kind, "{body}");
        assert_eq!(gateway.calls().len(), 1);
    }

    // Nobody listening at PUBLIC_BASE_URL.
    let nobody = format!("http://{}", testkit::unused_addr().unwrap());
    let sandbox = sandbox(&nobody, None).await;
    let (status, body) = post_send(&sandbox, said("시작")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body["error"]["kind"], "unreachable");
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, hello_answer())).await;
    let sandbox = sandbox(&gateway.url, None).await;
    for body in [
        json!({ "user_key": USER_KEY }),
        json!({ "user_key": "", "utterance": "시작" }),
        json!({ "utterance": "시작" }),
        json!({ "user_key": USER_KEY, "button": { "blockId": "blk_nope" } }),
        json!({ "user_key": USER_KEY, "location": { "latitude": 100, "longitude": 0 } }),
        json!("not an object"),
    ] {
        let (status, answer) = post_send(&sandbox, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(answer["error"]["message"].as_str().is_some(), "{answer}");
    }
    let res = reqwest::Client::new()
        .post(format!("{sandbox}/chat/send"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(gateway.calls().is_empty());
}

#[tokio::test]
async fn an_edited_setup_file_replaces_the_committed_one() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, hello_answer())).await;
    let mut file: Value = serde_json::from_str(kakao_sandbox::chat::bot::EMBEDDED).unwrap();
    let real_id = "64f1c3d0b7e3d10a2c5e8f55";
    let stores = file["blocks"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|b| b["skill"] == "stores")
        .unwrap();
    stores["id"] = json!(real_id);
    let path = std::env::temp_dir().join(format!("so-bot-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&path, file.to_string()).unwrap();

    let mut config = Config::local();
    config.public_base_url = gateway.url.clone();
    config.kakao.openbuilder_file = Some(path.clone());
    config.kakao.skill_secret = Some(SECRET.into());
    let sandbox = serve(kakao_sandbox::router(&config).unwrap()).await;
    std::fs::remove_file(&path).unwrap();

    let served: Value = reqwest::get(format!("{sandbox}/chat/bot.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, file);
    let (status, body) = post_send(&sandbox, said("매장 찾기")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let call = gateway.only_call();
    assert_eq!(call.body["intent"]["id"], real_id);
    assert_eq!(call.body["userRequest"]["block"]["id"], real_id);
    assert_eq!(call.headers[SECRET_HEADER], SECRET);
}

#[test]
fn a_missing_or_broken_setup_file_stops_the_start_naming_it() {
    let mut config = Config::local();
    config.kakao.openbuilder_file = Some("/nonexistent/bot.json".into());
    let err = kakao_sandbox::router(&config).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/bot.json"), "{err}");

    let path = std::env::temp_dir().join(format!("so-bot-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&path, r#"{"bot":{"id":"b","name":"n"},"skillUrl":"{PUBLIC_BASE_URL}/kakao/skill/{skill}","fallbackBlock":"x","blocks":[]}"#).unwrap();
    config.kakao.openbuilder_file = Some(path.clone());
    let err = kakao_sandbox::router(&config).unwrap_err().to_string();
    std::fs::remove_file(&path).unwrap();
    assert!(err.contains("no blocks"), "{err}");
}
