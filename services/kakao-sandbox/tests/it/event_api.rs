//! The sandbox's Event API as chatbot-skill and a developer meet it: the key and the bot id are
//! checked, bodies Kakao would refuse get a Kakao-like 400, every delivery is recorded and
//! counted per event, tasks can be looked up, faults misbehave as configured, and each
//! delivery runs the event's block through the gateway, its answer landing in the chat
//! simulator's inbox.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Answer, FakeGateway, serve};
use serde_json::{Value, json};

const KEY: &str = "test-rest-key";
const BOT: &str = "sandbox-bot";
const PATIENCE: Duration = Duration::from_secs(10);

fn config(gateway: &FakeGateway) -> platform::Config {
    let mut config = platform::Config::local();
    config.public_base_url = gateway.url.clone();
    config.kakao.rest_api_key = KEY.to_owned();
    config.kakao.bot_id = BOT.to_owned();
    config.kakao.openbuilder_file = None;
    config
}

/// The whole sandbox (as `simpleorder run` serves it), playing Open Builder against `gateway`.
async fn sandbox(gateway: &FakeGateway) -> String {
    serve(kakao_sandbox::router(&config(gateway)).expect("router")).await
}

/// The Event API alone, its logs keeping `keep` entries each.
async fn sandbox_keeping(gateway: &FakeGateway, keep: usize) -> String {
    let mut settings = kakao_sandbox::events::Settings::from_config(&config(gateway)).unwrap();
    settings.keep = keep;
    serve(kakao_sandbox::events::router(settings).expect("router")).await
}

fn alert_answer() -> Value {
    json!({
        "version": "2.0",
        "template": { "outputs": [{ "simpleText": { "text": "주문하신 메뉴가 준비되었어요." } }] }
    })
}

fn talk_body(event: &str, event_id: &str, users: &[&str]) -> Value {
    json!({
        "event": { "name": event, "data": { "text": "알림", "event_id": event_id } },
        "user": users.iter().map(|u| json!({ "type": "botUserKey", "id": u })).collect::<Vec<_>>(),
        "params": { "event": event, "nickname": "민트", "event_id": event_id }
    })
}

async fn talk(
    sandbox: &str,
    authorization: Option<&str>,
    bot: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{sandbox}/v2/bots/{bot}/talk"))
        .json(body);
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let res = request.send().await.expect("the sandbox answers");
    let status = StatusCode::from_u16(res.status().as_u16()).expect("status");
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(url: &str) -> Value {
    reqwest::get(url)
        .await
        .expect("the sandbox answers")
        .json()
        .await
        .expect("JSON")
}

async fn post(url: &str, body: Value) -> StatusCode {
    let res = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("the sandbox answers");
    StatusCode::from_u16(res.status().as_u16()).expect("status")
}

fn ok_auth() -> Option<&'static str> {
    Some("KakaoAK test-rest-key")
}

#[tokio::test]
async fn the_key_and_the_bot_must_be_ours() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, alert_answer())).await;
    let sandbox = sandbox(&gateway).await;
    let body = talk_body("order_ready", "ev-auth", &["u1"]);
    for authorization in [
        None,
        Some("KakaoAK wrong-key"),
        Some("Bearer test-rest-key"),
        Some("KakaoAK "),
    ] {
        let (status, answer) = talk(&sandbox, authorization, BOT, &body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_eq!(answer["code"], -401, "{answer}");
    }
    let (status, answer) = talk(&sandbox, ok_auth(), "another-bot", &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");

    let view = get(&format!("{sandbox}/sandbox/events")).await;
    assert_eq!(view["deliveries"], json!([]), "nothing went out: {view}");
    assert_eq!(view["attempts"].as_array().unwrap().len(), 5);
    assert!(gateway.calls().is_empty());

    // The development channel's `!` suffix reaches the same bot.
    let (status, _) = talk(&sandbox, ok_auth(), "sandbox-bot!", &body).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bodies_kakao_would_refuse_get_a_kakao_like_400() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, alert_answer())).await;
    let sandbox = sandbox(&gateway).await;
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    for (why, body) in [
        ("unknown event", talk_body("order_shipped", "e", &["u1"])),
        ("no users", talk_body("order_ready", "e", &[])),
        ("101 users", talk_body("order_ready", "e", &many)),
        ("not an event request", json!({ "hello": "world" })),
        (
            "unknown user type",
            json!({ "event": { "name": "order_ready" }, "user": [{ "type": "phone", "id": "010" }] }),
        ),
    ] {
        let (status, answer) = talk(&sandbox, ok_auth(), BOT, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {answer}");
        assert_eq!(answer["code"], -2, "{why}: {answer}");
        assert!(
            answer["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{why}"
        );
    }
    let view = get(&format!("{sandbox}/sandbox/events")).await;
    assert_eq!(view["deliveries"], json!([]));
}

#[tokio::test]
async fn a_delivery_is_recorded_looked_up_and_rendered_into_the_inbox() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, alert_answer())).await;
    let sandbox = sandbox(&gateway).await;

    let (status, answer) = talk(
        &sandbox,
        ok_auth(),
        BOT,
        &talk_body("order_ready", "ev-1", &["user-a", "user-b"]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "SUCCESS");
    let task_id = answer["taskId"].as_str().expect("a taskId").to_owned();

    let view = get(&format!("{sandbox}/sandbox/events")).await;
    assert_eq!(view["counts"]["ev-1"], 2, "one delivery per user: {view}");
    assert_eq!(view["deliveries"][0]["user"]["id"], "user-a");
    assert_eq!(view["deliveries"][0]["params"]["nickname"], "민트");
    assert_eq!(view["deliveries"][0]["task_id"], task_id);

    let task = reqwest::Client::new()
        .get(format!("{sandbox}/v1/tasks/{task_id}"))
        .header("Authorization", "KakaoAK test-rest-key")
        .send()
        .await
        .unwrap();
    assert_eq!(task.status().as_u16(), 200);
    let task: Value = task.json().await.unwrap();
    assert_eq!(
        task,
        json!({
            "taskId": task_id,
            "status": "ALL SUCCESS",
            "allRequestCount": 2,
            "successCount": 2,
            "fail": {"count": 0, "list": []}
        })
    );
    let unknown = reqwest::Client::new()
        .get(format!("{sandbox}/v1/tasks/nope"))
        .header("Authorization", "KakaoAK test-rest-key")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let anonymous = reqwest::get(format!("{sandbox}/v1/tasks/{task_id}"))
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    // Open Builder's part: the event's block runs its skill for each user, with the params.
    let inbox = testkit::eventually(PATIENCE, || async {
        let inbox = get(&format!("{sandbox}/chat/inbox?user=user-a&after=0")).await;
        (!inbox["messages"].as_array()?.is_empty()).then_some(inbox)
    })
    .await
    .expect("the alert reaches user-a's inbox");
    let message = &inbox["messages"][0];
    assert_eq!(message["response"], alert_answer());
    assert_eq!(message["event"], "order_ready");
    assert_eq!(message["event_id"], "ev-1");
    assert_eq!(message["block"]["id"], "blk_alert");
    assert_eq!(message["violations"], json!([]));
    let last = inbox["last"].as_u64().unwrap();
    let again = get(&format!("{sandbox}/chat/inbox?user=user-a&after={last}")).await;
    assert_eq!(
        again["messages"],
        json!([]),
        "nothing new after the last one"
    );

    testkit::eventually(PATIENCE, || async {
        (gateway.calls().len() == 2).then_some(())
    })
    .await
    .expect("one skill call per user");
    let call = gateway
        .calls()
        .into_iter()
        .find(|c| c.body["userRequest"]["user"]["id"] == "user-a")
        .expect("user-a's skill call");
    assert_eq!(call.skill, "alert");
    assert_eq!(call.body["userRequest"]["block"]["id"], "blk_alert");
    assert_eq!(call.body["action"]["params"]["nickname"], "민트");
    assert_eq!(call.body["action"]["params"]["event_id"], "ev-1");
    assert_eq!(call.body["bot"]["id"], BOT);
}

#[tokio::test]
async fn faults_fail_hang_or_lose_the_answer_as_configured() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, alert_answer())).await;
    let sandbox = sandbox(&gateway).await;
    let faults = format!("{sandbox}/sandbox/events/faults");
    assert_eq!(
        post(
            &faults,
            json!({ "next": ["5xx", "timeout", "timeout-after"], "hang_ms": 300 })
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        post(&faults, json!({ "next": "explode" })).await,
        StatusCode::BAD_REQUEST
    );

    let body = |id: &str| talk_body("order_placed", id, &["u1"]);
    let (status, answer) = talk(&sandbox, ok_auth(), BOT, &body("ev-5xx")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");

    let client = reqwest::Client::new();
    let send = |id: &str| {
        client
            .post(format!("{sandbox}/v2/bots/{BOT}/talk"))
            .header("Authorization", "KakaoAK test-rest-key")
            .json(&body(id))
            .send()
    };
    // Both hold the request and then break the connection; only the second delivered first.
    let hung = async { send("ev-timeout").await?.bytes().await };
    assert!(hung.await.is_err(), "a timeout never answers");
    let lost = async { send("ev-after").await?.bytes().await };
    assert!(lost.await.is_err(), "the answer after delivering is lost");

    let view = get(&format!("{sandbox}/sandbox/events")).await;
    assert_eq!(view["counts"], json!({ "ev-after": 1 }), "{view}");
    let outcomes: Vec<&str> = view["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["status=500", "timeout", "timeout-after"]);

    // A standing fault holds until cleared; then requests go through again.
    assert_eq!(
        post(&faults, json!({ "always": "4xx" })).await,
        StatusCode::OK
    );
    for _ in 0..2 {
        let (status, answer) = talk(&sandbox, ok_auth(), BOT, &body("ev-4xx")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    }
    assert_eq!(
        post(&faults, json!({ "always": null })).await,
        StatusCode::OK
    );
    let (status, _) = talk(&sandbox, ok_auth(), BOT, &body("ev-ok")).await;
    assert_eq!(status, StatusCode::OK);
    let view = get(&format!("{sandbox}/sandbox/events")).await;
    assert_eq!(
        view["counts"],
        json!({ "ev-after": 1, "ev-ok": 1 }),
        "{view}"
    );

    // Answered, but not with SUCCESS; and accepted, with a task that failed every user.
    assert_eq!(
        post(
            &faults,
            json!({ "next": ["answer-status=FAIL", "user-key-fail"] })
        )
        .await,
        StatusCode::OK
    );
    let (status, answer) = talk(&sandbox, ok_auth(), BOT, &body("ev-fail")).await;
    assert_eq!(
        (status, &answer["status"]),
        (StatusCode::OK, &json!("FAIL"))
    );
    let (status, answer) = talk(&sandbox, ok_auth(), BOT, &body("ev-unresolved")).await;
    assert_eq!(
        (status, &answer["status"]),
        (StatusCode::OK, &json!("SUCCESS"))
    );
    let task: Value = client
        .get(format!(
            "{sandbox}/v1/tasks/{}",
            answer["taskId"].as_str().unwrap()
        ))
        .header("Authorization", "KakaoAK test-rest-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(task["status"], "1 FAIL", "{task}");
    assert_eq!(task["userKeyResolvingFailCount"], 1, "{task}");
    assert_eq!(task["successCount"], 0, "{task}");
    assert_eq!(task["fail"]["count"], 1, "{task}");
    let view = get(&format!("{sandbox}/sandbox/events")).await;
    assert_eq!(
        view["counts"],
        json!({ "ev-after": 1, "ev-ok": 1 }),
        "nothing more went out: {view}"
    );
    let outcomes: Vec<&str> = view["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["user-key-fail", "answer-status=FAIL"]);
}

#[tokio::test]
async fn the_logs_keep_their_most_recent_entries_and_count_the_dropped() {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, alert_answer())).await;
    let full = get(&format!("{}/sandbox/events", sandbox(&gateway).await)).await;
    assert_eq!(full["keep"], kakao_sandbox::events::KEEP);
    assert_eq!(full["keep"], 10_000);

    let sandbox = sandbox_keeping(&gateway, 3).await;
    let mut tasks = Vec::new();
    for i in 0..5 {
        let body = talk_body("order_ready", &format!("ev-{i}"), &["user-a"]);
        let (status, answer) = talk(&sandbox, ok_auth(), BOT, &body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        tasks.push(answer["taskId"].as_str().expect("a taskId").to_owned());
    }
    // Each delivery's block runs in the background; its answer is the inbox's fifth entry.
    let view = testkit::eventually(PATIENCE, || async {
        let view = get(&format!("{sandbox}/sandbox/events")).await;
        (view["dropped"]["inbox"] == 2).then_some(view)
    })
    .await
    .expect("five answers reached the inbox");
    assert_eq!(view["keep"], 3);
    assert_eq!(
        view["dropped"],
        json!({ "attempts": 2, "deliveries": 2, "tasks": 2, "inbox": 2 })
    );
    let kept: Vec<&str> = view["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(kept, ["ev-2", "ev-3", "ev-4"], "the newest, oldest first");
    assert_eq!(view["attempts"].as_array().unwrap().len(), 3);
    assert_eq!(view["counts"], json!({ "ev-2": 1, "ev-3": 1, "ev-4": 1 }));
    let inbox = get(&format!("{sandbox}/chat/inbox?user=user-a&after=0")).await;
    assert_eq!(inbox["messages"].as_array().unwrap().len(), 3, "{inbox}");

    let task = |id: String| {
        reqwest::Client::new()
            .get(format!("{sandbox}/v1/tasks/{id}"))
            .header("Authorization", "KakaoAK test-rest-key")
            .send()
    };
    let oldest = task(tasks[0].clone()).await.unwrap();
    assert_eq!(
        oldest.status().as_u16(),
        404,
        "the oldest task is forgotten"
    );
    let newest = task(tasks[4].clone()).await.unwrap();
    assert_eq!(newest.status().as_u16(), 200);
}
