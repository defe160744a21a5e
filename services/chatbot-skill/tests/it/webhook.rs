//! The webhook's guarantees, through the gateway: who may call (shared secret → 401, other
//! bot → 403, unknown skill → 404, each with a valid body), bad bodies get a friendly bubble,
//! and a stopped or hung service behind it still gets the customer an answer within Kakao's
//! 5 seconds. `Chat::post_raw` validates every body it receives.

use crate::common;

use std::time::Duration;

use common::{Chat, KAKAO_LIMIT, black_hole, closed_port};
use platform::{Config, Service};
use reqwest::StatusCode;
use serde_json::json;
use testkit::{System, TestDb, TestRedis};

const TRY_AGAIN: &str = "잠시 후 다시 시도해 주세요";
/// What the alert of `every_skill` says.
const ALERT: &str = "카운터에서 '민트'를 찾아 주세요";

async fn start(
    services: &[Service],
    tweak: impl FnOnce(&mut Config),
) -> anyhow::Result<(System, TestDb, TestRedis)> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
    tweak(&mut config);
    let system = System::start_with(crate::LAUNCH, services, config).await?;
    Ok((system, db, redis))
}

/// A plausible tap for every skill: ids in the right shape, so each reaches its downstream call.
fn every_skill() -> Vec<(
    &'static str,
    &'static str,
    serde_json::Value,
    serde_json::Value,
)> {
    let store = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b";
    let item = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a60";
    vec![
        ("welcome", "시작", json!({}), json!({})),
        ("stores", "매장 찾기 간편카페", json!({}), json!({})),
        ("menu", "메뉴", json!({}), json!({"store_id": store})),
        (
            "item",
            "아메리카노",
            json!({}),
            json!({"store_id": store, "item_id": item}),
        ),
        (
            "cart-add",
            "담기",
            json!({}),
            json!({"store_id": store, "item_id": item, "quantity": 1}),
        ),
        (
            "cart-remove",
            "빼기",
            json!({}),
            json!({"line_id": "1", "cart_id": "1718000000000-2"}),
        ),
        ("cart", "주문서", json!({}), json!({})),
        (
            "order",
            "결제하기",
            json!({}),
            json!({"cart_id": "1718000000000-2"}),
        ),
        ("orders", "주문 내역", json!({}), json!({})),
        ("nickname", "닉네임 설정 민트", json!({}), json!({})),
        (
            "alert",
            "",
            json!({"event": "order_ready", "nickname": "민트"}),
            json!({}),
        ),
    ]
}

#[tokio::test]
async fn only_our_bot_with_the_shared_secret_is_answered() -> anyhow::Result<()> {
    let (system, _db, _redis) = start(&[Service::Gateway, Service::ChatbotSkill], |c| {
        c.kakao.skill_secret = Some("s3cret-for-tests".into());
    })
    .await?;
    let mut chat = Chat::new(&system);

    let r = chat.call("welcome", "시작", json!({}), json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "no header");
    chat.secret = Some("wrong".into());
    let r = chat.call("welcome", "시작", json!({}), json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "wrong secret");

    chat.secret = Some("s3cret-for-tests".into());
    let r = chat.call("welcome", "시작", json!({}), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.says("간편주문"), "{}", r.body);

    chat.bot_id = format!("{}!", system.config.kakao.bot_id);
    let r = chat.call("welcome", "시작", json!({}), json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the development channel of our bot"
    );

    chat.bot_id = "someone-elses-bot".into();
    let r = chat.call("welcome", "시작", json!({}), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    chat.bot_id = system.config.kakao.bot_id.clone();
    let r = chat
        .call("pay-everything", "시작", json!({}), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.says("없는 기능"));
    Ok(())
}

#[tokio::test]
async fn the_bot_allowlist_comes_from_kakao_bot_ids() -> anyhow::Result<()> {
    let (system, _db, _redis) = start(&[Service::Gateway, Service::ChatbotSkill], |c| {
        c.kakao.bot_ids = vec!["bot-one".into(), "bot-two".into()];
    })
    .await?;
    let mut chat = Chat::new(&system);
    let r = chat.call("welcome", "시작", json!({}), json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "KAKAO_BOT_ID is replaced by the list"
    );
    for bot in ["bot-one", "bot-two!"] {
        chat.bot_id = bot.into();
        let r = chat.call("welcome", "시작", json!({}), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{bot}");
    }
    Ok(())
}

#[tokio::test]
async fn bodies_that_are_not_payloads_get_a_friendly_bubble() -> anyhow::Result<()> {
    let (system, _db, _redis) = start(&[Service::Gateway, Service::ChatbotSkill], |_| {}).await?;
    let chat = Chat::new(&system);
    for body in ["", "not json", "[]", "{", "\"text\"", "null", "{\"bot\": "] {
        let r = chat.post_raw("menu", body.as_bytes().to_vec(), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{body:?}");
        assert!(r.says("요청을 읽지 못했어요"), "{body:?}: {}", r.body);
    }
    // A payload without a user key cannot be served, but is answered.
    let mut p = chat.payload("cart", "주문서", json!({}), json!({}));
    p["userRequest"]["user"] = json!(null);
    let r = chat.post_raw("cart", p.to_string().into_bytes(), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.says("사용자 정보를 확인하지 못했어요"));
    Ok(())
}

#[tokio::test]
async fn with_the_order_service_stopped_every_skill_answers_in_time() -> anyhow::Result<()> {
    let (system, _db, _redis) = start(
        &[Service::Gateway, Service::Store, Service::ChatbotSkill],
        |_| {},
    )
    .await?;
    let chat = Chat::new(&system);
    for (skill, said, params, extra) in every_skill() {
        let r = chat.call(skill, said, params, extra).await;
        assert_eq!(r.status, StatusCode::OK, "{skill}");
        assert!(r.elapsed < KAKAO_LIMIT, "{skill} took {:?}", r.elapsed);
        if skill == "welcome" {
            assert!(r.says("간편주문"), "the greeting needs no order service");
        } else if skill == "alert" {
            assert!(r.says(ALERT), "an alert draws on its parameters only");
        } else {
            assert!(r.says(TRY_AGAIN), "{skill}: {}", r.body);
            let retry = r.button("다시 시도")?;
            assert_eq!(retry["action"], "block");
        }
    }
    Ok(())
}

#[tokio::test]
async fn with_the_store_service_stopped_store_skills_answer_in_time() -> anyhow::Result<()> {
    // The order service runs (the customer is looked up first); the store service does not.
    let (system, _db, _redis) = start(
        &[Service::Gateway, Service::Order, Service::ChatbotSkill],
        |c| c.store.url = Some(closed_port().expect("port")),
    )
    .await?;
    let chat = Chat::new(&system);
    let r = chat.say("매장 찾기 간편카페").await?;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.elapsed < KAKAO_LIMIT);
    assert!(r.says(TRY_AGAIN), "{}", r.body);
    Ok(())
}

/// Peers that accept the connection and never answer: each call runs into its deadline, and
/// still the answer arrives within 5 s.
#[tokio::test]
async fn hung_downstream_services_still_get_an_answer_within_five_seconds() -> anyhow::Result<()> {
    let (hole, _hole_task) = black_hole().await?;
    let (system, _db, _redis) = start(&[Service::Gateway, Service::ChatbotSkill], |c| {
        c.order.url = Some(hole.clone());
        c.store.url = Some(hole.clone());
    })
    .await?;
    let chat = std::sync::Arc::new(Chat::new(&system));
    let mut calls = tokio::task::JoinSet::new();
    for (skill, said, params, extra) in every_skill() {
        let chat = chat.clone();
        calls.spawn(async move { (skill, chat.call(skill, said, params, extra).await) });
    }
    while let Some(done) = calls.join_next().await {
        let (skill, r) = done?;
        assert_eq!(r.status, StatusCode::OK, "{skill}");
        assert!(r.elapsed < KAKAO_LIMIT, "{skill} took {:?}", r.elapsed);
        if skill == "alert" {
            // It asks no peer, so it does not wait for the hung ones.
            assert!(r.says(ALERT), "{}", r.body);
            continue;
        }
        assert!(
            r.elapsed >= Duration::from_secs(2),
            "{skill} answered in {:?}: it did not wait for the hung peer",
            r.elapsed
        );
        let expected = if skill == "welcome" {
            "간편주문"
        } else {
            TRY_AGAIN
        };
        assert!(r.says(expected), "{skill}: {}", r.body);
    }
    Ok(())
}

#[tokio::test]
async fn the_gateway_answers_itself_when_chatbot_skill_is_down_or_hung() -> anyhow::Result<()> {
    let (down, _db, _redis) = start(&[Service::Gateway], |c| {
        c.chatbot_skill.url = Some(closed_port().expect("port"));
    })
    .await?;
    let r = Chat::new(&down)
        .call("menu", "메뉴", json!({}), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.says(TRY_AGAIN), "{}", r.body);
    assert!(r.elapsed < KAKAO_LIMIT);

    let (hole, _hole_task) = black_hole().await?;
    let (hung, _db2, _redis2) = start(&[Service::Gateway], |c| {
        c.chatbot_skill.url = Some(hole);
    })
    .await?;
    let r = Chat::new(&hung)
        .call("menu", "메뉴", json!({}), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.says(TRY_AGAIN), "{}", r.body);
    assert!(r.elapsed < KAKAO_LIMIT, "took {:?}", r.elapsed);
    Ok(())
}
