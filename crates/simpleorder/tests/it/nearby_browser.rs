//! A store made with `simpleorder store create` has no address, so customers' "주변 매장" never
//! finds it. Its staff enter the address under 매장 정보 in the store UI (headless Chromium),
//! see where it was located, and from then on the chatbot's nearby search by place name
//! (Open Builder's `sys_location`, resolved through the kakao-sandbox's Kakao Local API) lists
//! the open store with its opening hours.
//!
//! Needs Debian's chromium and chromium-driver (`bash scripts/chromium.sh`, run by `make test`).

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use platform::Service;
use serde_json::{Value, json};
use testkit::browser::{Driver, PATIENCE, click, fill, screenshot, wait_text};
use testkit::{System, TestDb, TestRedis};
use tokio::io::AsyncWriteExt;

const SCREENSHOT: &str = "/tmp/simpleorder-store-profile.png";
const NAME: &str = "골목 카페";
const LOGIN: &str = "alley-cafe";
const PASSWORD: &str = "alley-pass-1";

/// `simpleorder store create`, as an operator runs it; returns the store id it prints.
async fn create_store_from_the_cli(database_url: &str) -> anyhow::Result<String> {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_simpleorder"))
        .args(["store", "create", "--name", NAME, "--login", LOGIN])
        .env("DATABASE_URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running simpleorder store create")?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(format!("{PASSWORD}\n").as_bytes()).await?;
    drop(stdin);
    let output = child.wait_with_output().await?;
    anyhow::ensure!(
        output.status.success(),
        "store create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// What Kakao i Open Builder posts for "주변 매장 강남역" with `sys_location` tagged.
async fn nearby(gateway: &str, place: &str) -> anyhow::Result<String> {
    let user = "browser-nearby-user";
    let payload = json!({
        "intent": {"id": "blk_stores", "name": "매장 찾기"},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"surface": "Kakaotalk.plusfriend"},
            "block": {"id": "blk_stores", "name": "매장 찾기"},
            "utterance": format!("주변 매장 {place}"),
            "lang": "ko",
            "user": {"id": user, "type": "botUserKey",
                     "properties": {"botUserKey": user, "plusfriendUserKey": format!("pf-{user}")}}
        },
        "bot": {"id": "sandbox-bot", "name": "간편주문"},
        "action": {
            "id": "stores", "name": "stores",
            "params": {"sys_location": place},
            "detailParams": {"sys_location": {"origin": place, "value": place, "groupName": ""}},
            "clientExtra": null
        },
        "contexts": []
    });
    let answer: Value = reqwest::Client::new()
        .post(format!("{gateway}/kakao/skill/stores"))
        .json(&payload)
        .timeout(Duration::from_secs(5))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    kakao::validate(&answer).map_err(|e| anyhow::anyhow!("invalid answer {e:?}: {answer}"))?;
    Ok(answer["template"].to_string())
}

/// Waits until the element's text contains `part`.
async fn wait_contains(c: &Client, css: &str, part: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(part) {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{css} shows {text:?}, without {part:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scenario(c: &Client, gateway: &str) -> anyhow::Result<()> {
    c.goto(gateway).await?;
    fill(c, "#login-form input[name=login]", LOGIN).await?;
    fill(c, "#login-form input[name=password]", PASSWORD).await?;
    click(c, "#login-submit").await?;
    wait_text(c, "#store-name", NAME).await?;

    // Open for business: still not in nearby search, having no address.
    click(c, "#day-actions button[data-day-action=ready]").await?;
    wait_text(c, "#day-state", "준비").await?;
    click(c, "#day-actions button[data-day-action=open]").await?;
    wait_text(c, "#day-state", "영업").await?;
    let before = nearby(gateway, "강남역").await?;
    anyhow::ensure!(
        !before.contains(NAME),
        "found before it had an address: {before}"
    );

    click(c, "button[data-tab=profile]").await?;
    wait_contains(c, "#profile-location", "주소가 없어").await?;
    fill(c, "#profile-form input[name=address]", "강남대로 396").await?;
    fill(c, "#profile-form input[name=phone]", "02-555-0147").await?;
    fill(
        c,
        "#profile-form textarea[name=opening_hours]",
        "평일 08:00~21:00",
    )
    .await?;
    click(c, "#profile-submit").await?;
    wait_contains(c, "#profile-message", "저장했습니다").await?;
    wait_contains(c, "#profile-location", "서울 강남구 강남대로 396").await?;
    wait_contains(c, "#profile-location", "위도 37.49").await?;
    screenshot(c, SCREENSHOT).await?;

    // An address Kakao does not know is refused in the form; the location stays.
    fill(c, "#profile-form input[name=address]", "없는로 12345").await?;
    click(c, "#profile-submit").await?;
    wait_contains(c, "#profile-message", "주소를 찾지 못했습니다").await?;
    wait_contains(c, "#profile-location", "서울 강남구 강남대로 396").await?;
    Ok(())
}

#[tokio::test]
async fn a_cli_store_that_saves_its_address_in_the_ui_is_found_nearby() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let system = System::start(
        crate::LAUNCH,
        &[
            Service::Gateway,
            Service::Store,
            Service::Order,
            Service::ChatbotSkill,
            Service::KakaoSandbox,
        ],
        &db,
        &redis,
    )
    .await?;
    let store_id = create_store_from_the_cli(&db.url).await?;
    anyhow::ensure!(uuid::Uuid::parse_str(&store_id).is_ok(), "{store_id:?}");

    let driver = Driver::start().await?;
    let c = driver.browser().await?;
    let gateway = system.gateway_url();
    let outcome = scenario(&c, &gateway).await;
    if outcome.is_err() {
        let _ = screenshot(&c, SCREENSHOT).await;
    }
    c.close().await.ok();
    outcome?;

    let after = nearby(&gateway, "강남역").await?;
    assert!(after.contains("'강남역 2호선' 근처 매장이에요."), "{after}");
    assert!(after.contains(NAME), "{after}");
    assert!(after.contains("영업시간 평일 08:00~21:00"), "{after}");
    println!("screenshot: {SCREENSHOT}");
    Ok(())
}
