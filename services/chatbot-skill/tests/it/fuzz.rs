//! Property test: whatever body arrives at `/kakao/skill/{name}` (random bytes, random JSON,
//! real payloads with random fields and button extras), the answer is HTTP 200 with a valid
//! SkillResponse within Kakao's 5 seconds. Bodies that are JSON objects carry our bot id, since
//! another bot's call is refused with 403 by design (tested in webhook.rs).
//!
//! One system (demo café open, all skill-related services) serves every case; proptest drives
//! it from a plain test thread through a Tokio runtime.

use crate::common;

use std::sync::Arc;
use std::time::Instant;

use common::{Chat, KAKAO_LIMIT};
use contracts::chatbot::v1::HandleRequest;
use contracts::chatbot::v1::chatbot_skill_service_client::ChatbotSkillServiceClient;
use contracts::store::v1 as pb;
use platform::Service;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use testkit::{System, TestDb, TestRedis};

const SKILLS: [&str; 11] = [
    "welcome",
    "stores",
    "menu",
    "item",
    "cart-add",
    "cart-remove",
    "cart",
    "order",
    "orders",
    "nickname",
    "alert",
];

const EXTRA_KEYS: [&str; 16] = [
    "store_id",
    "item_id",
    "option_ids",
    "category_id",
    "quantity",
    "replace",
    "cart_id",
    "line_id",
    "order_id",
    "page",
    "step",
    "nickname",
    "store_name",
    "latitude",
    "longitude",
    "event",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "[가-힣 ]{0,20}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Values a button extra might hold, including the demo café's real ids so that deep paths
/// (menus, items, carts) are reached, not only the "bad id" answers.
fn extra_value(real_ids: Arc<Vec<String>>) -> impl Strategy<Value = Value> {
    let real = prop::sample::select(real_ids.to_vec()).prop_map(Value::String);
    let real_list = prop::collection::vec(prop::sample::select(real_ids.to_vec()), 0..6)
        .prop_map(|ids| json!(ids));
    prop_oneof![
        3 => real,
        2 => real_list,
        1 => "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".prop_map(Value::String),
        1 => "[0-9]{13}-[0-9]{1,3}".prop_map(Value::String),
        2 => json_value(),
    ]
}

fn extras(real_ids: Arc<Vec<String>>) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(EXTRA_KEYS.to_vec()).prop_map(str::to_owned),
        extra_value(real_ids),
        0..6,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// A real payload of a random skill with random utterance, params, extras, and sometimes a
/// whole section swapped for random JSON.
fn mutated_payload(
    chat: Arc<Chat>,
    real_ids: Arc<Vec<String>>,
) -> impl Strategy<Value = (String, Value)> {
    let section = prop::option::of((
        prop::sample::select(vec![
            "intent",
            "userRequest",
            "action",
            "contexts",
            "userRequest.user",
            "action.params",
            "action.detailParams",
        ]),
        json_value(),
    ));
    (
        prop::sample::select(SKILLS.to_vec()),
        prop_oneof![
            ".{0,60}",
            "(매장 찾기|닉네임 설정|메뉴|주문서|결제하기) ?.{0,20}"
        ],
        extras(real_ids.clone()),
        extras(real_ids),
        section,
    )
        .prop_map(move |(skill, said, params, extra, section)| {
            let params: Map<String, Value> = params
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::String(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
                    )
                })
                .collect();
            let mut body = chat.payload(skill, &said, Value::Object(params), extra);
            if let Some((path, value)) = section {
                let mut node = &mut body;
                let parts: Vec<&str> = path.split('.').collect();
                for part in &parts[..parts.len() - 1] {
                    node = &mut node[*part];
                }
                node[parts[parts.len() - 1]] = value;
            }
            (skill.to_owned(), body)
        })
}

/// The same body straight to chatbot-skill's `Handle` (which must answer 200 itself, not
/// lean on the gateway's fallback) and through the gateway.
fn check(
    runtime: &tokio::runtime::Runtime,
    chat: &Chat,
    direct: &ChatbotSkillServiceClient<platform::grpc::Client>,
    skill: &str,
    body: Vec<u8>,
) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let handled = runtime
        .block_on(direct.clone().handle(HandleRequest {
            name: skill.to_owned(),
            body: body.clone(),
            ..HandleRequest::default()
        }))
        .map_err(|status| TestCaseError::fail(format!("Handle failed: {status}")))?
        .into_inner();
    prop_assert!(
        started.elapsed() < KAKAO_LIMIT,
        "took {:?}",
        started.elapsed()
    );
    prop_assert!(
        matches!(handled.http_status, 0 | 200),
        "Handle answered {}",
        handled.http_status
    );
    let answer: Value = serde_json::from_slice(&handled.body)
        .map_err(|e| TestCaseError::fail(format!("Handle body is not JSON: {e}")))?;
    prop_assert!(kakao::validate(&answer).is_ok(), "invalid: {}", answer);

    // `post_raw` panics on a body that is not a valid SkillResponse, which fails the case.
    let reply = runtime.block_on(chat.post_raw(skill, body, &[]));
    prop_assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    prop_assert!(reply.elapsed < KAKAO_LIMIT, "took {:?}", reply.elapsed);
    Ok(())
}

struct Running {
    system: System,
    _db: TestDb,
    _redis: TestRedis,
    real_ids: Vec<String>,
}

async fn start() -> anyhow::Result<Running> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let system = System::start(
        crate::LAUNCH,
        &[
            Service::Gateway,
            Service::Store,
            Service::Order,
            Service::ChatbotSkill,
        ],
        &db,
        &redis,
    )
    .await?;
    let demo = store::admin::load_demo(&db.pool).await?;
    let store_id = demo.store_id.to_string();
    for action in [pb::DayAction::Ready, pb::DayAction::Open] {
        system
            .store()
            .transition_day(pb::TransitionDayRequest {
                store_id: store_id.clone(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?;
    }
    let menu = system
        .store()
        .get_menu(pb::GetMenuRequest {
            store_id: store_id.clone(),
        })
        .await?
        .into_inner()
        .menu
        .unwrap_or_default();
    let mut real_ids = vec![store_id];
    real_ids.extend(menu.categories.iter().map(|c| c.id.clone()));
    real_ids.extend(menu.items.iter().map(|i| i.id.clone()));
    real_ids.extend(menu.options.iter().map(|o| o.id.clone()));
    Ok(Running {
        system,
        _db: db,
        _redis: redis,
        real_ids,
    })
}

#[test]
fn no_body_gets_a_non_200_or_an_invalid_answer() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(start()).expect("system");
    let chat = Arc::new(Chat::new(&running.system));
    // The channel spawns its connection task on the runtime it is made in.
    let direct = {
        let _runtime = runtime.enter();
        running.system.chatbot()
    };
    let real_ids = Arc::new(running.real_ids.clone());
    // A runner counts its cases over its lifetime, so each property gets a fresh one.
    let runner = || {
        TestRunner::new(ProptestConfig {
            cases: 64,
            failure_persistence: None,
            ..ProptestConfig::default()
        })
    };

    // Random bytes and JSON that is not an object: nothing to read.
    let not_objects = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value()
            .prop_filter("objects are payload-shaped", |v| !v.is_object())
            .prop_map(|v| v.to_string().into_bytes()),
    ]
    .prop_filter("JSON objects carry a bot id", |bytes| {
        !serde_json::from_slice::<Value>(bytes).is_ok_and(|v| v.is_object())
    });
    runner()
        .run(
            &(prop::sample::select(SKILLS.to_vec()), not_objects),
            |(skill, body)| check(&runtime, &chat, &direct, skill, body),
        )
        .expect("random bytes");

    // Random JSON objects with our bot id.
    let bot_id = running.system.config.kakao.bot_id.clone();
    let objects = prop::collection::btree_map(
        prop::sample::select(vec![
            "intent",
            "userRequest",
            "action",
            "contexts",
            "flow",
            "x",
        ])
        .prop_map(str::to_owned),
        json_value(),
        0..5,
    );
    runner()
        .run(
            &(prop::sample::select(SKILLS.to_vec()), objects),
            |(skill, fields)| {
                let mut body: Map<String, Value> = fields.into_iter().collect();
                body.insert("bot".into(), json!({"id": bot_id}));
                check(
                    &runtime,
                    &chat,
                    &direct,
                    skill,
                    Value::Object(body).to_string().into_bytes(),
                )
            },
        )
        .expect("random objects");

    // Real payloads with random fields and extras.
    runner()
        .run(&mutated_payload(chat.clone(), real_ids), |(skill, body)| {
            check(
                &runtime,
                &chat,
                &direct,
                &skill,
                body.to_string().into_bytes(),
            )
        })
        .expect("mutated payloads");

    runtime.block_on(running.system.stop()).ok();
}
