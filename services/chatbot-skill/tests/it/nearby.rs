//! "주변 매장" as real Open Builder sends it: a place name in `sys_location`, never coordinates.
//! Played through the gateway against the demo café, with the store service resolving the name
//! through the kakao-sandbox's Kakao Local API: a station finds the café; an unknown place, a
//! wrong REST API key and a Kakao Local that does not answer each get their own bubble, in time,
//! never the generic error.

use crate::common;

use std::time::Duration;

use common::{Chat, KAKAO_LIMIT, Reply};
use contracts::store::v1 as pb;
use platform::{Config, Service};
use reqwest::StatusCode;
use serde_json::json;
use testkit::{System, TestDb, TestRedis};

const SERVICES: [Service; 4] = [
    Service::Gateway,
    Service::Store,
    Service::Order,
    Service::ChatbotSkill,
];

struct Cafe {
    system: System,
    _sandbox: Option<System>,
    _db: TestDb,
    _redis: TestRedis,
}

/// The demo café, open, with the system's Kakao Local at `local` (default: its own sandbox).
async fn demo_cafe(local: Option<System>) -> anyhow::Result<Cafe> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
    let mut services = SERVICES.to_vec();
    match &local {
        Some(sandbox) => config.kakao.local_base_url = sandbox.sandbox_url(),
        None => services.push(Service::KakaoSandbox),
    }
    let system = System::start_with(crate::LAUNCH, &services, config).await?;
    let demo = store::admin::load_demo(&db.pool).await?;
    for action in [pb::DayAction::Ready, pb::DayAction::Open] {
        let answer = system
            .store()
            .transition_day(pb::TransitionDayRequest {
                store_id: demo.store_id.to_string(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?
            .into_inner();
        anyhow::ensure!(answer.refusal.is_none(), "{answer:?}");
    }
    Ok(Cafe {
        system,
        _sandbox: local,
        _db: db,
        _redis: redis,
    })
}

async fn near(chat: &Chat, place: &str) -> Reply {
    let r = chat
        .call(
            "stores",
            &format!("주변 매장 {place}"),
            json!({ "sys_location": place }),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.elapsed < KAKAO_LIMIT, "took {:?}", r.elapsed);
    r
}

/// The generic error bubble, which a place lookup must never show.
const GENERIC_ERROR: &str = "지금은 답을 드리기 어려워요";

fn is_the_outage_bubble(r: &Reply) {
    assert!(r.says("지금은 위치로 매장을 찾을 수 없어요"), "{}", r.body);
    assert!(!r.says(GENERIC_ERROR), "{}", r.body);
    assert!(r.button("최근 매장").is_ok());
}

#[tokio::test]
async fn a_station_name_finds_the_demo_cafe_through_kakao_local() -> anyhow::Result<()> {
    let cafe = demo_cafe(None).await?;
    let chat = Chat::new(&cafe.system);
    let r = near(&chat, "강남역").await;
    let cached = near(&chat, "강남역").await;
    println!(
        "skill answer, place asked of Kakao Local: {:?}; from the cache: {:?}",
        r.elapsed, cached.elapsed
    );
    assert!(r.says("'강남역 2호선' 근처 매장이에요."), "{}", r.body);
    assert!(r.says("간편카페 강남점"), "{}", r.body);
    assert!(r.says("영업 중 ·"), "the distance is shown: {}", r.body);
    // Its menu is one tap away.
    let menu = chat.tap(r.button("메뉴 보기")?).await?;
    assert_eq!(menu.status, StatusCode::OK);
    assert!(menu.says("간편카페 강남점"), "{}", menu.body);

    // Far from the café: the place is found, the café is not near it.
    let far = near(&chat, "홍대입구역").await;
    assert!(
        far.says("'홍대입구역 2호선' 근처(3km 안)에 영업 중인 매장이 없어요."),
        "{}",
        far.body
    );
    Ok(())
}

#[tokio::test]
async fn an_unknown_place_asks_for_a_more_precise_one() -> anyhow::Result<()> {
    let cafe = demo_cafe(None).await?;
    let chat = Chat::new(&cafe.system);
    let r = near(&chat, "없는동네123").await;
    assert!(
        r.says("'없는동네123'이(가) 어디인지 찾지 못했어요"),
        "{}",
        r.body
    );
    assert!(r.says("더 정확히"), "{}", r.body);
    let recent = chat.tap(r.button("최근 매장")?).await?;
    assert_eq!(recent.status, StatusCode::OK, "{}", recent.body);
    Ok(())
}

#[tokio::test]
async fn a_wrong_rest_api_key_gives_the_friendly_bubble() -> anyhow::Result<()> {
    // Kakao's Local API for an app whose key is not the one the store service sends.
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let mut kakao: Config = System::config(&db.url, &redis.url, &redis.prefix)?;
    kakao.kakao.rest_api_key = "the-apps-real-key".into();
    let sandbox = System::start_with(crate::LAUNCH, &[Service::KakaoSandbox], kakao).await?;
    let cafe = demo_cafe(Some(sandbox)).await?;
    let chat = Chat::new(&cafe.system);
    is_the_outage_bubble(&near(&chat, "강남역").await);
    Ok(())
}

#[tokio::test]
async fn a_kakao_local_that_does_not_answer_gives_the_friendly_bubble_in_time() -> anyhow::Result<()>
{
    let cafe = demo_cafe(None).await?;
    let chat = Chat::new(&cafe.system);
    let faults = format!("{}/sandbox/local/faults", cafe.system.sandbox_url());
    let http = reqwest::Client::new();
    http.post(&faults)
        .json(&json!({ "always": "timeout" }))
        .send()
        .await?
        .error_for_status()?;
    let r = near(&chat, "강남역").await;
    is_the_outage_bubble(&r);
    println!("skill answer while Kakao Local hangs: {:?}", r.elapsed);
    assert!(
        r.elapsed >= Duration::from_millis(1_400),
        "the lookup waited its deadline: {:?}",
        r.elapsed
    );

    // Kakao Local back: the same place works, the failure was not remembered.
    http.delete(&faults).send().await?.error_for_status()?;
    let r = near(&chat, "강남역").await;
    assert!(r.says("간편카페 강남점"), "{}", r.body);
    Ok(())
}
