//! Who may call the skills in production: without a configured secret every call is refused
//! (fail closed) and changes nothing; while the secret is rotated, either of two is accepted, and
//! a call with neither is refused and changes nothing.

use crate::common;

use common::Chat;
use platform::config::Environment;
use platform::{Config, Service};
use reqwest::StatusCode;
use serde_json::json;
use testkit::{System, TestDb, TestRedis};

const SERVICES: [Service; 4] = [
    Service::Gateway,
    Service::ChatbotSkill,
    Service::Order,
    Service::Store,
];

async fn start(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<(System, TestDb, TestRedis)> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
    config.environment = Environment::Production;
    tweak(&mut config);
    let system = System::start_with(crate::LAUNCH, &SERVICES, config).await?;
    Ok((system, db, redis))
}

/// Customers and their nicknames (Postgres), carts and sessions (Redis): what a skill call
/// could have touched.
async fn footprint(db: &TestDb, redis: &TestRedis) -> anyhow::Result<(i64, usize)> {
    let pool = sqlx::PgPool::connect(&db.url).await?;
    let customers = order::testing::customer_count(&pool).await?;
    pool.close().await;
    let mut conn = redis::Client::open(redis.url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", redis.prefix))
        .query_async(&mut conn)
        .await?;
    Ok((customers, keys.len()))
}

#[tokio::test]
async fn production_without_a_secret_refuses_every_call_and_touches_nothing() -> anyhow::Result<()>
{
    let (system, db, redis) = start(|c| c.kakao.skill_secret = None).await?;
    let before = footprint(&db, &redis).await?;
    let mut chat = Chat::new(&system);
    for secret in [None, Some(""), Some("anything-at-all-even-32-characters")] {
        chat.secret = secret.map(str::to_owned);
        for (skill, utterance) in [
            ("nickname", "닉네임 설정 민트"),
            ("orders", "주문 내역"),
            ("cart", "주문서"),
            ("welcome", "시작"),
        ] {
            let r = chat.call(skill, utterance, json!({}), json!({})).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{skill} with {secret:?}"
            );
            assert!(!r.says("민트"), "{}", r.body);
        }
    }
    assert_eq!(footprint(&db, &redis).await?, before, "nothing was touched");
    system.stop().await?;
    Ok(())
}

#[tokio::test]
async fn either_secret_is_accepted_while_rotating() -> anyhow::Result<()> {
    let current = "current-secret-0123456789abcdef-xyz";
    let next = "next-secret-0123456789abcdef-uvwxyz";
    let (system, db, redis) = start(|c| {
        c.kakao.skill_secret = Some(current.into());
        c.kakao.skill_secret_next = Some(next.into());
    })
    .await?;
    let mut chat = Chat::new(&system);
    // Without the header, or with a wrong value: 401, and the nickname is not set.
    let before = footprint(&db, &redis).await?;
    for secret in [
        None,
        Some(""),
        Some("current-secret"),
        Some("current-secret-0123456789abcdef-xyZ"),
    ] {
        chat.secret = secret.map(str::to_owned);
        let r = chat
            .call("nickname", "닉네임 설정 민트", json!({}), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{secret:?}");
        assert!(!r.says("민트"), "{}", r.body);
    }
    assert_eq!(footprint(&db, &redis).await?, before, "nothing was touched");
    for (secret, expected) in [
        (Some(current), StatusCode::OK),
        (Some(next), StatusCode::OK),
        (None, StatusCode::UNAUTHORIZED),
        (Some("current-secret"), StatusCode::UNAUTHORIZED),
    ] {
        chat.secret = secret.map(str::to_owned);
        let r = chat.call("welcome", "시작", json!({}), json!({})).await;
        assert_eq!(r.status, expected, "{secret:?}");
    }
    system.stop().await?;
    Ok(())
}
