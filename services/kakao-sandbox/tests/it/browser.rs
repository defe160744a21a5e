//! The chat simulator page in headless Chromium, driven over WebDriver: type an utterance, see
//! the bot's carousel, list and item cards, tap a block button and a quick reply (each reaching
//! the stand-in gateway as the right SkillPayload), keep the same botUserKey after a reload, and
//! see violations and gateway failures as warnings. Leaves a screenshot in /tmp.
//!
//! Needs Debian's chromium and chromium-driver (`bash scripts/chromium.sh`, run by `make test`);
//! without them the test fails and says so.

use crate::common;

use std::time::Duration;

use anyhow::{Context, ensure};
use axum::http::StatusCode;
use common::{Answer, FakeGateway, sandbox};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use testkit::browser::{Driver, PATIENCE, find, screenshot};

const SCREENSHOT: &str = "/tmp/simpleorder-chat-simulator.png";

/// A Chromium window the size of a phone held upright.
async fn phone(driver: &Driver) -> anyhow::Result<Client> {
    driver.browser_sized(480, 900).await
}

/// Waits until `css` matches exactly `n` elements.
async fn count(
    c: &Client,
    css: &str,
    n: usize,
) -> anyhow::Result<Vec<fantoccini::elements::Element>> {
    testkit::eventually(PATIENCE, || {
        let c = c.clone();
        async move {
            let found = c.find_all(Locator::Css(css)).await.ok()?;
            (found.len() == n).then_some(found)
        }
    })
    .await
    .with_context(|| format!("{css} never matched {n} elements"))
}

/// Waits until the gateway has received `n` skill calls.
async fn calls(gateway: &FakeGateway, n: usize) -> anyhow::Result<Vec<common::Captured>> {
    testkit::eventually(PATIENCE, || async {
        let calls = gateway.calls();
        (calls.len() == n).then_some(calls)
    })
    .await
    .with_context(|| format!("the gateway never got {n} calls: {:?}", gateway.calls()))
}

async fn say(c: &Client, text: &str) -> anyhow::Result<()> {
    find(c, "#text").await?.send_keys(text).await?;
    find(c, "#send").await?.click().await?;
    Ok(())
}

/// Three outputs using every card the skills use, and quick replies of both kinds.
fn rich_answer() -> Value {
    let thumb = json!([{ "imageUrl": "http://127.0.0.1:9/latte.png" }]);
    json!({
        "version": "2.0",
        "template": {
            "outputs": [
                { "carousel": { "type": "commerceCard", "items": [
                    { "title": "카페라떼", "description": "고소한 우유", "price": 4500, "currency": "won",
                      "discount": 500, "thumbnails": thumb,
                      "buttons": [
                        { "label": "담기", "action": "block", "blockId": "blk_cart_add",
                          "extra": { "store_id": "s1", "item_id": "latte", "quantity": 1 } },
                        { "label": "매장 홈", "action": "webLink", "webLinkUrl": "https://example.com/store" }
                      ] },
                    { "title": "아메리카노", "price": 4000, "currency": "won", "thumbnails": thumb,
                      "buttons": [{ "label": "옵션 선택", "action": "block", "blockId": "blk_item",
                                    "extra": { "store_id": "s1", "item_id": "americano" } }] }
                ] } },
                { "listCard": { "header": { "title": "주문서" },
                    "items": [{ "title": "카페라떼 ×1", "description": "ICE" }],
                    "buttons": [{ "label": "결제하기", "action": "block", "blockId": "blk_order",
                                  "extra": { "cart_id": "1700000000000-3" } }] } },
                { "itemCard": { "head": { "title": "합계" },
                    "itemList": [{ "title": "카페라떼", "description": "4,000원" }],
                    "itemListSummary": { "title": "합계", "description": "4,000원" } } }
            ],
            "quickReplies": [
                { "label": "주문서", "action": "message", "messageText": "주문서" },
                { "label": "메뉴", "action": "block", "blockId": "blk_menu", "extra": { "store_id": "s1" } }
            ]
        }
    })
}

async fn conversation(c: &Client, sandbox: &str, gateway: &FakeGateway) -> anyhow::Result<()> {
    c.goto(&format!("{sandbox}/chat")).await?;
    let hint = find(c, "#hints .hint").await?;
    ensure!(
        hint.text().await? == "시작",
        "first hint is the welcome utterance"
    );
    let user_key = find(c, "#user-key").await?.text().await?;
    ensure!(user_key.len() == 64, "botUserKey {user_key:?}");

    say(c, "매장 찾기 간편카페").await?;
    let first = calls(gateway, 1).await?.remove(0);
    ensure!(first.skill == "stores", "{first:?}");
    ensure!(first.body["action"]["params"]["store_name"] == "간편카페");
    ensure!(first.body["userRequest"]["user"]["id"] == user_key.as_str());

    let bubble = find(c, ".row.user .bubble").await?.text().await?;
    ensure!(bubble == "매장 찾기 간편카페", "user bubble {bubble:?}");
    let cards = count(c, ".carousel .commerce-card", 2).await?;
    let price = cards[0].find(Locator::Css(".price")).await?.text().await?;
    ensure!(
        price.contains("4,000원") && price.contains("4,500원"),
        "discounted price shown as {price:?}"
    );
    find(c, ".list-card .list-item").await?;
    let summary = find(c, ".item-card .item-summary").await?.text().await?;
    ensure!(summary.contains("4,000원"), "item card summary {summary:?}");
    count(c, "#quick-replies .qr", 2).await?;

    let web = find(c, ".commerce-card a.btn.web").await?;
    ensure!(web.attr("target").await?.as_deref() == Some("_blank"));
    ensure!(web.attr("href").await?.as_deref() == Some("https://example.com/store"));

    // The 담기 button runs the cart-add block with the button's extra.
    cards[0]
        .find(Locator::Css("button.btn[data-action=block]"))
        .await?
        .click()
        .await?;
    let add = calls(gateway, 2).await?.remove(1);
    ensure!(add.skill == "cart-add", "{add:?}");
    ensure!(add.body["action"]["clientExtra"]["item_id"] == "latte");
    ensure!(add.body["userRequest"]["utterance"] == "담기");

    // A message quick reply sends its text as a new utterance.
    count(c, "#quick-replies .qr", 2).await?[0].click().await?;
    let cart = calls(gateway, 3).await?.remove(2);
    ensure!(cart.skill == "cart", "{cart:?}");

    // The location control reaches the stores block with coordinates.
    find(c, "#location button").await?.click().await?;
    let near = calls(gateway, 4).await?.remove(3);
    ensure!(near.skill == "stores" && near.body["action"]["params"]["latitude"].is_string());

    // A picture of the conversation for whoever reads the result.
    count(c, ".row.user", 4).await?;
    screenshot(c, SCREENSHOT).await?;

    // The same browser keeps its botUserKey.
    c.refresh().await?;
    let again = find(c, "#user-key").await?.text().await?;
    ensure!(again == user_key, "botUserKey changed on reload");
    Ok(())
}

#[tokio::test]
async fn a_conversation_in_the_simulator_reaches_the_skills_in_chromium() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, rich_answer())).await;
    let sandbox = sandbox(&gateway.url, None).await;
    let driver = Driver::start().await?;
    let c = phone(&driver).await?;
    let outcome = conversation(&c, &sandbox, &gateway).await;
    if outcome.is_err()
        && let Ok(png) = c.screenshot().await
    {
        std::fs::write(SCREENSHOT, png).context("writing the screenshot")?;
    }
    c.close().await.ok();
    outcome?;
    println!("screenshot: {SCREENSHOT}");
    Ok(())
}

#[tokio::test]
async fn violations_and_gateway_failures_show_as_warnings_in_chromium() -> anyhow::Result<()> {
    let invalid = json!({ "version": "2.0", "template": { "outputs": [] } });
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, invalid)).await;
    let bad_answers = sandbox(&gateway.url, None).await;
    let nobody = format!("http://{}", testkit::unused_addr()?);
    let no_gateway = sandbox(&nobody, None).await;

    let driver = Driver::start().await?;
    let c = phone(&driver).await?;
    let outcome = async {
        c.goto(&format!("{bad_answers}/chat")).await?;
        say(&c, "시작").await?;
        let warning = find(&c, ".violations").await?.text().await?;
        ensure!(
            warning.contains("outputs"),
            "violations box says {warning:?}"
        );

        c.goto(&format!("{no_gateway}/chat")).await?;
        say(&c, "시작").await?;
        let note = find(&c, ".note.error").await?.text().await?;
        ensure!(
            note.contains("연결하지 못했습니다"),
            "error note says {note:?}"
        );
        Ok(())
    }
    .await;
    c.close().await.ok();
    outcome
}

#[tokio::test]
async fn an_event_api_message_appears_in_the_open_chat_in_chromium() -> anyhow::Result<()> {
    let said = "[간편카페] 주문하신 메뉴가 준비되었어요. 카운터에서 '민트'를 찾아 주세요.";
    let answer = json!({
        "version": "2.0",
        "template": {
            "outputs": [{ "simpleText": { "text": said } }],
            "quickReplies": [{ "label": "주문 보기", "action": "block", "blockId": "blk_orders",
                               "extra": { "order_id": "o-1" } }]
        }
    });
    let gateway = FakeGateway::start(Answer::Json(StatusCode::OK, answer)).await;
    let mut config = platform::Config::local();
    config.public_base_url = gateway.url.clone();
    config.kakao.openbuilder_file = None;
    let sandbox = common::serve(kakao_sandbox::router(&config)?).await;

    let driver = Driver::start().await?;
    let c = phone(&driver).await?;
    let outcome = async {
        c.goto(&format!("{sandbox}/chat")).await?;
        let user_key = find(&c, "#user-key").await?.text().await?;
        ensure!(user_key.len() == 64, "botUserKey {user_key:?}");
        // chatbot-skill's request, for the user of this page.
        let sent = reqwest::Client::new()
            .post(format!("{sandbox}/v2/bots/{}/talk", config.kakao.bot_id))
            .header(
                "Authorization",
                format!("KakaoAK {}", config.kakao.rest_api_key),
            )
            .json(&json!({
                "event": { "name": "order_ready" },
                "user": [{ "type": "botUserKey", "id": user_key }],
                "params": { "event": "order_ready", "text": said }
            }))
            .send()
            .await?;
        ensure!(
            sent.status().is_success(),
            "talk answered {}",
            sent.status()
        );
        let bubble = find(&c, ".row.bot .bubble").await?.text().await?;
        ensure!(bubble == said, "bot bubble {bubble:?}");
        count(&c, "#quick-replies .qr", 1).await?;
        let call = calls(&gateway, 1).await?.remove(0);
        ensure!(call.skill == "alert", "{call:?}");
        ensure!(call.body["action"]["params"]["text"] == said);
        // Shown once, however often the page polls.
        tokio::time::sleep(Duration::from_secs(2)).await;
        count(&c, ".row.bot .bubble", 1).await?;
        Ok(())
    }
    .await;
    c.close().await.ok();
    outcome
}
