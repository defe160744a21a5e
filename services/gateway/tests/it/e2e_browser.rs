//! The whole system end to end with a real browser: the demo café's staff open the day and the
//! live board in headless Chromium; a customer orders through the chatbot skills (Kakao's
//! webhook payloads, through the gateway) and pays on the sandbox's KakaoPay page; the order
//! appears on the board (the delay is measured and printed); staff accept it with 10분 (접수) and
//! the customer is told the promised time, then click 완료; the customer's "ready" alert goes out
//! through the sandbox's Event API and comes back rendered by the `alert` skill. Leaves a
//! screenshot in /tmp.

use crate::common;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::Browser;
use contracts::store::v1::GetMenuRequest;
use fantoccini::{Client, Locator};
use platform::Service;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::browser::{Driver, click, fill, find, wait_text};
use testkit::{System, TestDb, TestRedis};

const SCREENSHOT: &str = "/tmp/simpleorder-e2e-board.png";
/// Paid to shown on the board, at most: the relay, the stream and the socket in between.
const BOARD_BOUND: Duration = Duration::from_secs(5);
/// The alert goes through the outbox, the alerts consumer, the Event API and the skill.
const ALERT_PATIENCE: Duration = Duration::from_secs(30);

/// A customer in KakaoTalk: skill requests as Kakao i Open Builder sends them.
struct Customer {
    http: reqwest::Client,
    gateway: String,
    bot_id: String,
    bot_user_key: String,
}

impl Customer {
    fn payload(&self, skill: &str, utterance: &str, extra: Value) -> Value {
        json!({
            "intent": {"id": format!("intent-{skill}"), "name": skill},
            "userRequest": {
                "timezone": "Asia/Seoul",
                "params": {"surface": "Kakaotalk.plusfriend"},
                "block": {"id": format!("block-{skill}"), "name": skill},
                "utterance": utterance,
                "lang": "ko",
                "user": {
                    "id": self.bot_user_key,
                    "type": "botUserKey",
                    "properties": {"botUserKey": self.bot_user_key, "isFriend": true}
                }
            },
            "bot": {"id": self.bot_id, "name": "간편주문"},
            "action": {
                "id": format!("action-{skill}"),
                "name": skill,
                "params": {},
                "detailParams": {},
                "clientExtra": extra
            }
        })
    }

    /// Taps a block button: the skill's answer.
    async fn tap(&self, skill: &str, utterance: &str, extra: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/kakao/skill/{skill}", self.gateway))
            .json(&self.payload(skill, utterance, extra))
            .send()
            .await?;
        anyhow::ensure!(response.status() == StatusCode::OK, "{skill}: {response:?}");
        let body: Value = response.json().await?;
        if let Err(problems) = kakao::validate(&body) {
            bail!("{skill}: invalid SkillResponse {problems:?}: {body}");
        }
        Ok(body)
    }
}

/// The first button (or quick reply) anywhere in an answer whose label starts with `label`.
fn button<'a>(answer: &'a Value, label: &str) -> Option<&'a Value> {
    match answer {
        Value::Object(map) => {
            let labelled = map
                .get("label")
                .and_then(Value::as_str)
                .is_some_and(|l| l.starts_with(label));
            if labelled && map.contains_key("action") {
                return Some(answer);
            }
            map.values().find_map(|v| button(v, label))
        }
        Value::Array(items) => items.iter().find_map(|v| button(v, label)),
        _ => None,
    }
}

fn card(order_id: &str) -> String {
    format!("#board article.order-card[data-order-id='{order_id}']")
}

async fn shown(c: &Client, css: &str) -> bool {
    match c.find(Locator::Css(css)).await {
        Ok(element) => element.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

/// Waits until an order card is on the board; its order id.
async fn first_card(c: &Client, patience: Duration) -> anyhow::Result<String> {
    let deadline = Instant::now() + patience;
    loop {
        if let Ok(card) = c.find(Locator::Css("#board article.order-card")).await
            && let Some(id) = card.attr("data-order-id").await?
        {
            return Ok(id);
        }
        if Instant::now() > deadline {
            bail!("no order card on the board within {patience:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sandbox's Event API deliveries to this customer.
async fn deliveries(
    http: &reqwest::Client,
    sandbox: &str,
    user: &str,
) -> anyhow::Result<Vec<Value>> {
    let view: Value = http
        .get(format!("{sandbox}/sandbox/events"))
        .send()
        .await?
        .json()
        .await?;
    Ok(view["deliveries"]
        .as_array()
        .context("deliveries")?
        .iter()
        .filter(|d| d["user"]["id"] == user)
        .cloned()
        .collect())
}

async fn journey(c: &Client, system: &System, db: &TestDb, store_id: &str) -> anyhow::Result<()> {
    let gateway = system.gateway_url();
    let sandbox = system.sandbox_url();

    // Staff open the board.
    c.goto(&gateway).await?;
    fill(c, "#login-form input[name=login]", store::admin::DEMO_LOGIN).await?;
    fill(
        c,
        "#login-form input[name=password]",
        store::admin::DEMO_PASSWORD,
    )
    .await?;
    click(c, "#login-submit").await?;
    wait_text(c, "#store-name", store::admin::DEMO_NAME).await?;
    click(c, "button[data-tab=board]").await?;
    wait_text(c, "#board .board-empty", "새 주문이 없습니다.").await?;

    // A customer orders an iced large 아메리카노 through the chatbot.
    let menu = system
        .store()
        .get_menu(GetMenuRequest {
            store_id: store_id.to_owned(),
        })
        .await?
        .into_inner()
        .menu
        .context("a menu")?;
    let item = menu
        .items
        .iter()
        .find(|i| i.name == "아메리카노")
        .context("아메리카노")?;
    let option = |name: &str| {
        menu.options
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.id.clone())
            .with_context(|| format!("option {name}"))
    };
    let customer = Customer {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?,
        gateway: gateway.clone(),
        bot_id: system.config.kakao.bot_id.clone(),
        bot_user_key: format!("e2e-{}", uuid::Uuid::now_v7().simple()),
    };
    let sheet = customer
        .tap(
            "cart-add",
            "담기",
            json!({
                "store_id": store_id,
                "item_id": item.id,
                "option_ids": [option("ICE")?, option("Large")?],
                "quantity": 1
            }),
        )
        .await?;
    let pay = button(&sheet, "결제하기").with_context(|| format!("no 결제하기 in {sheet}"))?;
    let cart_id = pay["extra"]["cart_id"].as_str().context("cart_id")?;
    let placed = customer
        .tap("order", "결제하기", json!({ "cart_id": cart_id }))
        .await?;
    let kakaopay = button(&placed, "카카오페이 결제")
        .with_context(|| format!("no KakaoPay button in {placed}"))?;
    let page = kakaopay["webLinkUrl"].as_str().context("webLinkUrl")?;
    let tid = page.rsplit('/').next().context("tid")?;

    // The sandbox's payment page: 결제 → the approval URL on the gateway.
    let approved = customer
        .http
        .post(format!("{sandbox}/kakaopay/pay/{tid}/approve"))
        .send()
        .await?;
    anyhow::ensure!(approved.status() == StatusCode::SEE_OTHER, "{approved:?}");
    let approval_url = approved.headers()["location"].to_str()?.to_owned();
    let paid = Instant::now();
    let result = customer.http.get(&approval_url).send().await?;
    anyhow::ensure!(result.status() == StatusCode::OK, "{result:?}");

    // The order appears on the board.
    let order_id = first_card(c, BOARD_BOUND).await?;
    let delay = paid.elapsed();
    println!("paid → on the board: {} ms", delay.as_millis());
    let (status, nickname) = order::testing::status(&db.pool, order_id.parse()?).await?;
    anyhow::ensure!(status == "PLACED", "{status}");
    let text = find(c, &card(&order_id)).await?.text().await?;
    for part in [nickname.as_str(), "아메리카노 × 1", "ICE", "Large"] {
        anyhow::ensure!(text.contains(part), "{part:?} missing from {text:?}");
    }

    // 접수 with 10분: the order moves from 신규 to 진행 중 with its promised time.
    click(
        c,
        &format!(
            "{} button[data-board-action=accept][data-minutes='10']",
            card(&order_id)
        ),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while shown(c, &card(&order_id)).await {
        if Instant::now() > deadline {
            bail!("the accepted order is still on the new list");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(c, "button[data-board-filter=accepted]").await?;
    let accepted = find(c, &format!("{}[data-status=accepted]", card(&order_id))).await?;
    let text = accepted.text().await?;
    anyhow::ensure!(
        text.contains("약속") && text.contains("남음"),
        "the promise shows: {text:?}"
    );
    let (status, _) = order::testing::status(&db.pool, order_id.parse()?).await?;
    anyhow::ensure!(status == "ACCEPTED", "{status}");

    // 완료: the order leaves the in-progress list and is READY.
    click(
        c,
        &format!("{} button[data-board-action=ready]", card(&order_id)),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while shown(c, &card(&order_id)).await {
        if Instant::now() > deadline {
            bail!("the ready order is still in progress on the board");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(c, "button[data-board-filter=ready]").await?;
    find(c, &format!("{}[data-status=ready]", card(&order_id))).await?;
    let (status, _) = order::testing::status(&db.pool, order_id.parse()?).await?;
    anyhow::ensure!(status == "READY", "{status}");

    // The customer is told, once each: the promised time, then ready (the Event API deliveries
    // and the alert skill's messages).
    let http = reqwest::Client::new();
    let accepted = testkit::eventually(ALERT_PATIENCE, || async {
        let accepted: Vec<Value> = deliveries(&http, &sandbox, &customer.bot_user_key)
            .await
            .ok()?
            .into_iter()
            .filter(|d| d["event"] == "order_accepted")
            .collect();
        (!accepted.is_empty()).then_some(accepted)
    })
    .await
    .context("no order_accepted alert reached the sandbox's Event API")?;
    anyhow::ensure!(accepted.len() == 1, "one alert, not {accepted:?}");
    let ready = testkit::eventually(ALERT_PATIENCE, || async {
        let ready: Vec<Value> = deliveries(&http, &sandbox, &customer.bot_user_key)
            .await
            .ok()?
            .into_iter()
            .filter(|d| d["event"] == "order_ready")
            .collect();
        (!ready.is_empty()).then_some(ready)
    })
    .await
    .context("no order_ready alert reached the sandbox's Event API")?;
    anyhow::ensure!(ready.len() == 1, "one alert, not {ready:?}");
    let inbox = testkit::eventually(ALERT_PATIENCE, || async {
        let inbox: Value = http
            .get(format!(
                "{sandbox}/chat/inbox?user={}&after=0",
                customer.bot_user_key
            ))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let text = inbox.to_string();
        (text.contains("준비되었어요") && text.contains("약 10분 후 준비돼요")).then_some(inbox)
    })
    .await
    .context("the alert skill's messages are not in the chat simulator's inbox")?;
    anyhow::ensure!(inbox.to_string().contains(&nickname), "{inbox}");
    Ok(())
}

#[tokio::test]
async fn an_order_paid_in_the_chatbot_shows_on_the_board_and_completing_it_alerts_the_customer()
-> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let demo = store::admin::load_demo(&db.pool).await?;
    let system = System::start(crate::LAUNCH, &Service::ALL, &db, &redis).await?;
    let staff = Browser {
        base: system.gateway_url(),
        http: reqwest::Client::builder().cookie_store(true).build()?,
    }
    .signed_in(store::admin::DEMO_LOGIN, store::admin::DEMO_PASSWORD)
    .await?;
    for action in ["ready", "open"] {
        let day = staff.post("/day", json!({ "action": action })).await?;
        anyhow::ensure!(day.status.is_success(), "{action}: {day:?}");
    }
    let driver = Driver::start().await?;
    let c = driver.browser().await?;
    let outcome = journey(&c, &system, &db, &demo.store_id.to_string()).await;
    if let Ok(png) = c.screenshot().await {
        std::fs::write(SCREENSHOT, png).context("writing the screenshot")?;
    }
    c.close().await.ok();
    outcome?;
    println!("screenshot: {SCREENSHOT}");
    Ok(())
}
