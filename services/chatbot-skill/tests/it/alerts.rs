//! Customer alerts end to end: order events written through the outbox and published to
//! `x:order:events`, the chatbot-skill `alerts` consumer, the sandbox's Event API (which
//! records every request and delivery) and, as Open Builder, the sandbox running the alert
//! block through the gateway into the `alert` skill, whose answer lands in the chat
//! simulator's inbox. Every event must reach the customer exactly once: with a healthy API,
//! with the consumer killed while its request is in flight, with a failing API, with an answer
//! other than `SUCCESS`, and when Kakao takes a request but its task result reports the message
//! failed (`1 FAIL`): recorded and sent again, or dead-lettered with the cause. A request Kakao
//! refuses must end in `x:dead` with its error at once, without retries.

use std::time::Duration;

use contracts::events::types;
use contracts::events::v1 as events;
use platform::bus::{Relay, RelayOptions, outbox};
use platform::{Config, Service, Shutdown};
use prost::Message as _;
use redis::AsyncCommands;
use serde_json::{Value, json};
use testkit::{System, TestDb, TestRedis};
use tokio::task::JoinHandle;

const PATIENCE: Duration = Duration::from_secs(20);

/// Quick retries; deadlines still roomy enough for a loaded test machine.
fn quick() -> chatbot_skill::AlertSettings {
    chatbot_skill::AlertSettings {
        consumers: 1,
        retry_after: Duration::from_millis(300),
        max_deliveries: 40,
        outcome_grace: Duration::from_secs(3),
        call_deadline: Duration::from_secs(2),
    }
}

/// The gateway and the sandbox as a system; chatbot-skill run (and killed) by the test.
struct Rig {
    db: TestDb,
    redis: TestRedis,
    config: Config,
    system: System,
    skill: Option<(Shutdown, JoinHandle<Result<(), platform::Error>>)>,
    http: reqwest::Client,
}

impl Rig {
    async fn start() -> Rig {
        let db = TestDb::new().await.expect("test database");
        let redis = TestRedis::new().await.expect("test redis");
        let config = System::config(&db.url, &redis.url, &redis.prefix).expect("config");
        let system = System::start_with(
            crate::LAUNCH,
            &[Service::Gateway, Service::KakaoSandbox],
            config.clone(),
        )
        .await
        .expect("gateway and sandbox start");
        Rig {
            db,
            redis,
            config,
            system,
            skill: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client"),
        }
    }

    /// Starts chatbot-skill (again), on the same ports.
    async fn start_skill(&mut self, settings: chatbot_skill::AlertSettings, config: Config) {
        let addr = config.chatbot_skill.endpoints().grpc_addr;
        for _ in 0..50 {
            let shutdown = Shutdown::new();
            let task = tokio::spawn(chatbot_skill::serve_with(
                config.clone(),
                settings.clone(),
                shutdown.clone(),
            ));
            let deadline = tokio::time::Instant::now() + PATIENCE;
            // Its first start serves on a listener bound beforehand, which accepts connections
            // before the service runs: wait for an answer.
            while !tokio::time::timeout(Duration::from_secs(1), platform::listen::answers(addr))
                .await
                .unwrap_or(false)
                && !task.is_finished()
            {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "chatbot-skill did not start listening"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !task.is_finished() {
                self.skill = Some((shutdown, task));
                return;
            }
            // A killed instance's ports may take a moment to be free again.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chatbot-skill did not start");
    }

    /// Kills chatbot-skill in the middle of whatever it does.
    async fn kill_skill(&mut self) {
        if let Some((_, task)) = self.skill.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Writes `data` to `x:order:events` through the outbox and publishes it, as the order
    /// service does; returns the event id.
    async fn publish(&self, event_type: &str, data: Vec<u8>) -> String {
        let mut tx = self.db.pool.begin().await.expect("tx");
        let id = outbox::enqueue(&mut tx, contracts::streams::ORDER_EVENTS, event_type, &data)
            .await
            .expect("outbox");
        tx.commit().await.expect("commit");
        let relay = Relay::new(
            self.db.pool.clone(),
            self.redis.conn.clone(),
            self.redis.keys(),
            RelayOptions::default(),
        );
        relay.publish_batch().await.expect("published");
        id.to_string()
    }

    async fn sandbox(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.system.sandbox_url()))
            .send()
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("JSON")
    }

    async fn faults(&self, body: Value) {
        let res = self
            .http
            .post(format!(
                "{}/sandbox/events/faults",
                self.system.sandbox_url()
            ))
            .json(&body)
            .send()
            .await
            .expect("the sandbox answers");
        assert!(res.status().is_success(), "faults {body}");
    }

    /// Waits until every one of `event_ids` was delivered once.
    async fn delivered_once(&self, event_ids: &[&str]) -> Value {
        let view = testkit::eventually(PATIENCE, || async {
            let view = self.sandbox("/sandbox/events").await;
            event_ids
                .iter()
                .all(|id| view["counts"][*id] == 1)
                .then_some(view)
        })
        .await;
        match view {
            Ok(view) => view,
            Err(_) => panic!(
                "not every event was delivered: {}",
                self.sandbox("/sandbox/events").await
            ),
        }
    }

    /// The request outcomes the sandbox saw for one event, in order.
    async fn attempts(&self, event_id: &str) -> Vec<String> {
        self.sandbox("/sandbox/events").await["attempts"]
            .as_array()
            .expect("attempts")
            .iter()
            .filter(|a| a["event_id"] == event_id)
            .map(|a| a["outcome"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until Kakao's answer to an alert is recorded (the receipt may come first):
    /// SENT with its taskId. Returns (attempts, rendered).
    async fn answered(&self, event_id: &str) -> (i32, bool) {
        let answered = testkit::eventually(PATIENCE, || async {
            let (state, attempts, task_id, rendered) = self.row(event_id).await;
            (state == "SENT" && task_id.is_some_and(|t| !t.is_empty()))
                .then_some((attempts, rendered))
        })
        .await;
        match answered {
            Ok(answered) => answered,
            Err(_) => panic!("{event_id} never answered: {:?}", self.row(event_id).await),
        }
    }

    /// (state, attempts, task status, last error) of an event's alert, once it has a row.
    async fn task_row(
        &self,
        event_id: &str,
    ) -> Option<(String, i32, Option<String>, Option<String>)> {
        sqlx::query_as(
            "SELECT state, attempts, task_status, last_error
             FROM alert_delivery WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.db.pool)
        .await
        .expect("alert_delivery")
    }

    /// Waits for the dead letters: each letter's fields.
    async fn dead_letters(&self) -> Vec<Vec<(String, String)>> {
        let conn = self.redis.conn.clone();
        let dead_key = self.redis.keys().dead_letters();
        testkit::eventually(PATIENCE, || {
            let mut conn = conn.clone();
            let dead_key = dead_key.clone();
            async move {
                let reply: redis::streams::StreamRangeReply =
                    conn.xrange_all(&dead_key).await.ok()?;
                let letters: Vec<Vec<(String, String)>> = reply
                    .ids
                    .into_iter()
                    .map(|e| {
                        e.map
                            .iter()
                            .filter_map(|(k, v)| {
                                Some((k.clone(), redis::from_redis_value_ref::<String>(v).ok()?))
                            })
                            .collect()
                    })
                    .collect();
                (!letters.is_empty()).then_some(letters)
            }
        })
        .await
        .expect("a dead letter")
    }

    /// (state, attempts, task id, rendered) of an event's alert.
    async fn row(&self, event_id: &str) -> (String, i32, Option<String>, bool) {
        sqlx::query_as(
            "SELECT state, attempts, task_id, rendered_at IS NOT NULL
             FROM alert_delivery WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_one(&self.db.pool)
        .await
        .expect("the alert's row")
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn ready(user: &str, nickname: &str) -> Vec<u8> {
    events::OrderReady {
        order_id: uuid::Uuid::now_v7().to_string(),
        bot_user_key: user.into(),
        nickname: nickname.into(),
        store_name: "간편카페 강남점".into(),
        ..Default::default()
    }
    .encode_to_vec()
}

fn canceled(user: &str) -> Vec<u8> {
    events::OrderCanceled {
        order_id: uuid::Uuid::now_v7().to_string(),
        bot_user_key: user.into(),
        nickname: "곰".into(),
        store_name: "간편카페 강남점".into(),
        reason: "재료 소진".into(),
        refunded_amount: 12_000,
        ..Default::default()
    }
    .encode_to_vec()
}

/// The simpleText the inbox shows for one event, once the alert skill answered it.
async fn rendered_text(rig: &Rig, user: &str, event_id: &str) -> String {
    let found = testkit::eventually(PATIENCE, || async {
        let inbox = rig
            .sandbox(&format!("/chat/inbox?user={user}&after=0"))
            .await;
        inbox["messages"]
            .as_array()?
            .iter()
            .find(|m| m["event_id"] == event_id)
            .cloned()
    })
    .await
    .unwrap_or_else(|_| panic!("no rendered alert for {event_id} in {user}'s inbox"));
    assert_eq!(found["status"], 200, "{found}");
    assert_eq!(found["violations"], json!([]), "{found}");
    found["response"]["template"]["outputs"][0]["simpleText"]["text"]
        .as_str()
        .expect("a simpleText")
        .to_owned()
}

#[tokio::test]
async fn each_order_event_gets_exactly_one_alert_with_its_message() {
    let mut rig = Rig::start().await;
    rig.start_skill(quick(), rig.config.clone()).await;
    let user = "user-alerts";
    let placed = events::OrderPlaced {
        order_id: uuid::Uuid::now_v7().to_string(),
        bot_user_key: user.into(),
        nickname: "민트".into(),
        store_name: "간편카페 강남점".into(),
        total: 12_000,
        ..Default::default()
    };
    let failed = events::OrderApprovalFailed {
        order_id: uuid::Uuid::now_v7().to_string(),
        bot_user_key: user.into(),
        store_name: "간편카페 강남점".into(),
        reason: "잔액이 부족해요.".into(),
        refunded_amount: 0,
        ..Default::default()
    };
    let ids = [
        rig.publish(types::ORDER_PLACED, placed.encode_to_vec())
            .await,
        rig.publish(types::ORDER_READY, ready(user, "민트")).await,
        rig.publish(types::ORDER_CANCELED, canceled(user)).await,
        rig.publish(types::ORDER_APPROVAL_FAILED, failed.encode_to_vec())
            .await,
    ];
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let view = rig.delivered_once(&id_refs).await;

    let expected = [
        (
            "order_placed",
            "[간편카페 강남점] 결제가 완료되었어요 (닉네임: 민트). 매장에서 주문을 확인하면 알려 드릴게요.",
        ),
        (
            "order_ready",
            "[간편카페 강남점] 주문하신 메뉴가 준비되었어요. 카운터에서 '민트'를 찾아 주세요.",
        ),
        (
            "order_canceled",
            "[간편카페 강남점] 주문이 취소되었어요.\n사유: 재료 소진\n결제하신 12,000원은 카카오페이로 환불됩니다.",
        ),
        (
            "order_approval_failed",
            "[간편카페 강남점] 주문이 접수되지 않았어요. 잔액이 부족해요.",
        ),
    ];
    for (id, (event, text)) in ids.iter().zip(expected) {
        let delivery = view["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["event_id"] == id.as_str())
            .expect("a delivery");
        assert_eq!(delivery["event"], event, "{delivery}");
        assert_eq!(delivery["user"], json!({"type": "botUserKey", "id": user}));
        assert_eq!(delivery["params"]["text"], text, "{delivery}");
        assert_eq!(delivery["data"]["text"], text);
        assert_eq!(delivery["params"]["event"], event);
        assert_eq!(delivery["params"]["event_id"], id.as_str());

        // Kakao ran the alert block: the real `alert` skill drew the same words.
        assert_eq!(rendered_text(&rig, user, id).await, text);
        let (attempts, rendered) = rig.answered(id).await;
        assert_eq!(attempts, 1);
        assert!(rendered, "the skill recorded the receipt");
    }

    // Redelivered or not, nothing more goes out.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let view = rig.sandbox("/sandbox/events").await;
    for id in &ids {
        assert_eq!(view["counts"][id.as_str()], 1, "{view}");
    }
    assert_eq!(view["attempts"].as_array().unwrap().len(), 4, "{view}");
    rig.kill_skill().await;
}

#[tokio::test]
async fn an_alert_survives_its_consumer_being_killed_mid_delivery() {
    let mut rig = Rig::start().await;
    let settings = chatbot_skill::AlertSettings {
        // Both events in flight at once, and the kill well inside the request deadline.
        consumers: 2,
        retry_after: Duration::from_millis(500),
        call_deadline: Duration::from_secs(5),
        outcome_grace: Duration::from_secs(6),
        ..quick()
    };
    rig.start_skill(settings.clone(), rig.config.clone()).await;
    // The first request is delivered and its answer lost; the second is lost before Kakao
    // acts. Both hold their connection long past the kill.
    rig.faults(json!({ "next": ["timeout-after", "timeout"], "hang_ms": 30_000 }))
        .await;
    let a = rig
        .publish(types::ORDER_READY, ready("user-a", "민트"))
        .await;
    let b = rig.publish(types::ORDER_CANCELED, canceled("user-b")).await;

    let in_flight = testkit::eventually(PATIENCE, || async {
        let view = rig.sandbox("/sandbox/events").await;
        let attempts = view["attempts"].as_array()?;
        (attempts.len() == 2).then(|| attempts.clone())
    })
    .await
    .expect("both requests reach the sandbox");
    let delivered = in_flight
        .iter()
        .find(|a| a["outcome"] == "timeout-after")
        .expect("one delivered")["event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lost = if delivered == a { &b } else { &a };
    let delivered_user = if delivered == a { "user-a" } else { "user-b" };
    // Kakao runs the block right after taking a request: its receipt is in before the kill.
    rendered_text(&rig, delivered_user, &delivered).await;
    let (state, ..) = rig.row(lost).await;
    assert_eq!(
        state, "SENDING",
        "the consumer is still waiting on the lost request"
    );

    rig.kill_skill().await;
    rig.start_skill(settings, rig.config.clone()).await;

    rig.delivered_once(&[&a, &b]).await;
    // Past the grace and several more redeliveries, still one each.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let view = rig.sandbox("/sandbox/events").await;
    assert_eq!(view["counts"][a.as_str()], 1, "{view}");
    assert_eq!(view["counts"][b.as_str()], 1, "{view}");
    assert_eq!(rig.attempts(&delivered).await, ["timeout-after"]);
    assert_eq!(rig.attempts(lost).await, ["timeout", "delivered"]);
    for id in [&a, &b] {
        let (state, _, _, rendered) = rig.row(id).await;
        assert_eq!(state, "SENT", "{id}");
        assert!(rendered, "{id}");
    }
    rig.kill_skill().await;
}

#[tokio::test]
async fn a_failing_event_api_is_retried_until_it_takes_the_alert() {
    let mut rig = Rig::start().await;
    rig.faults(json!({ "next": ["5xx", "5xx"] })).await;
    rig.start_skill(quick(), rig.config.clone()).await;
    let id = rig
        .publish(types::ORDER_READY, ready("user-retry", "민트"))
        .await;

    rig.delivered_once(&[&id]).await;
    assert_eq!(
        rig.attempts(&id).await,
        ["status=500", "status=500", "delivered"]
    );
    let (attempts, _) = rig.answered(&id).await;
    assert_eq!(attempts, 3);
    rig.kill_skill().await;
}

#[tokio::test]
async fn an_alert_kakao_refuses_ends_in_the_dead_letters_at_once_with_the_error() {
    let mut rig = Rig::start().await;
    // A REST API key the Event API does not know: 401 on every request, forever.
    let mut wrong_key = rig.config.clone();
    wrong_key.kakao.rest_api_key = "not-the-apps-key".into();
    // No retry can happen within the test's patience: the letter must come from the first
    // delivery.
    let settings = chatbot_skill::AlertSettings {
        retry_after: Duration::from_secs(120),
        max_deliveries: 8,
        ..quick()
    };
    assert!(settings.retry_after > PATIENCE);
    rig.start_skill(settings, wrong_key).await;
    let id = rig
        .publish(types::ORDER_READY, ready("user-refused", "민트"))
        .await;

    let dead = rig.dead_letters().await;
    let fields = &dead[0];
    let field = |name: &str| field(fields, name);
    assert_eq!(field("orig_event_id"), id);
    assert_eq!(field("group"), contracts::streams::groups::ALERTS);
    assert!(
        field("error").contains("refused the alert for good: HTTP 401"),
        "{fields:?}"
    );
    assert_eq!(field("reason"), "permanent", "{fields:?}");
    assert_eq!(field("deliveries"), "1", "{fields:?}");
    assert_eq!(dead.len(), 1);

    // Kakao was asked once, and the group holds nothing back for a retry.
    assert_eq!(rig.attempts(&id).await, ["rejected: 401"]);
    let mut conn = rig.redis.conn.clone();
    let dead_key = rig.redis.keys().dead_letters();
    let pending: redis::streams::StreamPendingReply = conn
        .xpending(
            rig.redis.keys().stream(contracts::streams::ORDER_EVENTS),
            contracts::streams::groups::ALERTS,
        )
        .await
        .expect("the group's pending entries");
    assert_eq!(
        pending.count(),
        0,
        "nothing is pending for the alerts group"
    );
    let (state, attempts, ..) = rig.row(&id).await;
    assert_eq!(state, "FAILED");
    assert_eq!(attempts, 1);
    let view = rig.sandbox("/sandbox/events").await;
    assert_eq!(view["deliveries"], json!([]));
    let _: () = conn.del(&dead_key).await.expect("clean up");
    rig.kill_skill().await;
}

#[tokio::test]
async fn an_answer_other_than_success_is_a_failure_and_sent_again() {
    let mut rig = Rig::start().await;
    rig.faults(json!({ "next": "answer-status=FAIL" })).await;
    rig.start_skill(quick(), rig.config.clone()).await;
    let id = rig
        .publish(types::ORDER_READY, ready("user-status", "민트"))
        .await;

    rig.delivered_once(&[&id]).await;
    assert_eq!(rig.attempts(&id).await, ["answer-status=FAIL", "delivered"]);
    let (attempts, _) = rig.answered(&id).await;
    assert_eq!(attempts, 2);
    rig.kill_skill().await;
}

#[tokio::test]
async fn an_alert_whose_task_failed_is_recorded_as_failed_and_sent_again() {
    let mut rig = Rig::start().await;
    // Kakao answers SUCCESS to every request, but cannot resolve the user key: each task
    // reports `1 FAIL` with userKeyResolvingFailCount 1, and nothing reaches the customer.
    rig.faults(json!({ "always": "user-key-fail" })).await;
    rig.start_skill(quick(), rig.config.clone()).await;
    let id = rig
        .publish(types::ORDER_READY, ready("user-unresolved", "민트"))
        .await;

    let failed = testkit::eventually(PATIENCE, || async {
        let row = rig.task_row(&id).await?;
        (row.0 == "PENDING" && row.1 >= 2).then_some(row)
    })
    .await;
    let Ok(failed) = failed else {
        panic!("never failed twice: {:?}", rig.task_row(&id).await);
    };
    assert_eq!(failed.2.as_deref(), Some("1 FAIL"), "{failed:?}");
    let error = failed.3.unwrap_or_default();
    assert!(
        error.contains("1 FAIL of 1: userKeyResolvingFailCount=1"),
        "{error}"
    );
    let view = rig.sandbox("/sandbox/events").await;
    assert!(
        view["counts"].get(&id).is_none(),
        "nothing delivered: {view}"
    );

    // Once the key resolves, the next try delivers it, once.
    rig.faults(json!({ "always": null })).await;
    rig.delivered_once(&[&id]).await;
    let (attempts, _) = rig.answered(&id).await;
    let tried = rig.attempts(&id).await;
    assert_eq!(tried.len(), attempts as usize, "{tried:?}");
    assert_eq!(tried.last().map(String::as_str), Some("delivered"));
    assert!(
        tried[..tried.len() - 1]
            .iter()
            .all(|t| t == "user-key-fail"),
        "{tried:?}"
    );
    // The receipt may mark it SENT before the task result is written beside it.
    let settled = testkit::eventually(PATIENCE, || async {
        let row = rig.task_row(&id).await?;
        (row.2.as_deref() == Some("ALL SUCCESS")).then_some(row)
    })
    .await;
    let Ok((state, _, _, last_error)) = settled else {
        panic!("no task result recorded: {:?}", rig.task_row(&id).await);
    };
    assert_eq!(state, "SENT");
    assert_eq!(last_error, None);
    assert!(
        rendered_text(&rig, "user-unresolved", &id)
            .await
            .contains("민트")
    );
    rig.kill_skill().await;
}

#[tokio::test]
async fn an_alert_whose_tasks_keep_failing_is_dead_lettered_with_the_cause() {
    let mut rig = Rig::start().await;
    rig.faults(json!({ "always": "user-key-fail" })).await;
    let settings = chatbot_skill::AlertSettings {
        max_deliveries: 2,
        ..quick()
    };
    rig.start_skill(settings, rig.config.clone()).await;
    let id = rig
        .publish(types::ORDER_READY, ready("user-gone", "민트"))
        .await;

    let dead = rig.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert_eq!(field(&dead[0], "orig_event_id"), id);
    assert_eq!(field(&dead[0], "reason"), "failed_too_often", "{dead:?}");
    assert_eq!(field(&dead[0], "deliveries"), "2", "{dead:?}");
    assert!(
        field(&dead[0], "error").contains("userKeyResolvingFailCount=1"),
        "{dead:?}"
    );
    assert_eq!(rig.attempts(&id).await, ["user-key-fail", "user-key-fail"]);
    let (state, attempts, task_status, last_error) = rig.task_row(&id).await.expect("a row");
    assert_eq!((state.as_str(), attempts), ("PENDING", 2));
    assert_eq!(task_status.as_deref(), Some("1 FAIL"));
    assert!(last_error.is_some_and(|e| e.contains("1 FAIL")));
    let _: () = rig
        .redis
        .conn
        .clone()
        .del(rig.redis.keys().dead_letters())
        .await
        .expect("clean up");
    rig.kill_skill().await;
}
