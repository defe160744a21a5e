//! The live order board in headless Chromium: orders written to the store day stream appear on
//! the board with their nickname, items and options; a new one badges the page title; 취소 asks
//! for a reason; the filters sort orders by state (신규, 진행 중 with the promised time and late
//! marked, 완료, 취소); and when the gateway goes away the board shows 연결 끊김, then reconnects
//! by itself and shows what it missed. (Accept → ready against the real order service is driven
//! through this UI by `e2e_browser`.) An order's 인쇄 prints its ticket alone on an 80 mm page
//! (rendered to PDF as the print dialog would), and with 새 주문 자동 인쇄 each new order prints
//! itself. Leaves screenshots and the ticket's PDF in /tmp for people to look at.

use crate::common;

use std::time::Duration;

use anyhow::{Context, bail};
use common::Browser;
use contracts::common::v1::{CartLine, LineOption};
use contracts::events::types::STORE_DAY_ENTRY;
use contracts::events::v1::store_day_entry::Entry;
use contracts::events::v1::{
    BoardOrder, StoreDayAccepted, StoreDayEntry, StoreDayPlaced, StoreDayReady,
};
use contracts::store::v1::GetDayRequest;
use fantoccini::{Client, Locator};
use platform::{Config, Service};
use prost::Message as _;
use redis::AsyncCommands;
use serde_json::json;
use testkit::browser::{Driver, PATIENCE, click, fill, find, screenshot, wait_text};
use testkit::{System, TestDb, TestRedis};

const SCREENSHOT: &str = "/tmp/simpleorder-board.png";
const CANCEL_SCREENSHOT: &str = "/tmp/simpleorder-board-cancel.png";
const OFFLINE_SCREENSHOT: &str = "/tmp/simpleorder-board-offline.png";
const SERVICES: [Service; 2] = [Service::Gateway, Service::Store];

struct Day {
    store_id: String,
    day_id: String,
    stream: String,
    redis: redis::aio::ConnectionManager,
}

impl Day {
    async fn add(&self, entry: Entry) -> anyhow::Result<()> {
        let entry = StoreDayEntry {
            store_id: self.store_id.clone(),
            day_business_id: self.day_id.clone(),
            entry: Some(entry),
        };
        let _: String = self
            .redis
            .clone()
            .xadd(
                &self.stream,
                "*",
                &[
                    ("type", STORE_DAY_ENTRY.as_bytes().to_vec()),
                    ("event_id", uuid::Uuid::now_v7().to_string().into_bytes()),
                    ("occurred_at", b"2025-01-01T00:00:00.000Z".to_vec()),
                    ("traceparent", Vec::new()),
                    ("data", entry.encode_to_vec()),
                ],
            )
            .await?;
        Ok(())
    }
}

fn placed(order_id: &str, nickname: &str, item: &str, option: &str, minutes_ago: i64) -> Entry {
    let at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
    placed_at(order_id, nickname, item, option, at)
}

fn placed_at(
    order_id: &str,
    nickname: &str,
    item: &str,
    option: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Entry {
    Entry::Placed(StoreDayPlaced {
        order: Some(BoardOrder {
            order_id: order_id.to_owned(),
            nickname: nickname.to_owned(),
            lines: vec![CartLine {
                line_id: "l1".into(),
                item_id: "i1".into(),
                item_name: item.to_owned(),
                options: vec![LineOption {
                    option_id: "o1".into(),
                    selection_id: "s1".into(),
                    name: option.to_owned(),
                    price: 500,
                    selection_name: "온도".into(),
                }],
                quantity: 2,
                unit_price: 5000,
                line_total: 10000,
            }],
            total: 10000,
            placed_at: Some(prost_types::Timestamp {
                seconds: at.timestamp(),
                nanos: 0,
            }),
        }),
    })
}

/// The demo café with its day ready and open (through the API), and its stream.
async fn open_day(config: &Config, db: &TestDb, redis: &TestRedis) -> anyhow::Result<Day> {
    let demo = store::admin::load_demo(&db.pool).await?;
    let admin = Browser {
        base: format!("http://{}", config.gateway_addr),
        http: reqwest::Client::builder().cookie_store(true).build()?,
    };
    let admin = admin
        .signed_in(store::admin::DEMO_LOGIN, store::admin::DEMO_PASSWORD)
        .await?;
    for action in ["ready", "open"] {
        let day = admin.post("/day", json!({ "action": action })).await?;
        anyhow::ensure!(day.status.is_success(), "{action}: {day:?}");
    }
    let mut store = contracts::store::v1::store_service_client::StoreServiceClient::new(
        platform::grpc::client(
            &config.identity(platform::Service::Gateway)?,
            &config.store.endpoints().url,
        )?,
    );
    let day = store
        .get_day(GetDayRequest {
            store_id: demo.store_id.to_string(),
        })
        .await?
        .into_inner()
        .day
        .context("day")?;
    common::until_opened(redis, &day.stream_key).await?;
    Ok(Day {
        store_id: demo.store_id.to_string(),
        day_id: day.day_business_id,
        stream: redis.keys().key(&day.stream_key),
        redis: redis.conn.clone(),
    })
}

fn card(order_id: &str) -> String {
    format!("#board article.order-card[data-order-id='{order_id}']")
}

async fn displayed(c: &Client, css: &str) -> bool {
    match c.find(Locator::Css(css)).await {
        Ok(element) => element.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

async fn until(
    c: &Client,
    patience: Duration,
    what: &str,
    css: &str,
    shown: bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + patience;
    while displayed(c, css).await != shown {
        if tokio::time::Instant::now() > deadline {
            bail!(
                "{what}: {css} still {}",
                if shown { "hidden" } else { "shown" }
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// A card's text and class. The board redraws a card when an entry arrives or a minute passes;
/// one redrawn between finding and reading it is found again.
async fn read_card(c: &Client, css: &str) -> anyhow::Result<(String, String)> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let element = find(c, css).await?;
        let read = async {
            let text = element.text().await?;
            let class = element.attr("class").await?.unwrap_or_default();
            Ok::<_, fantoccini::error::CmdError>((text, class))
        };
        match read.await {
            Ok(card) => return Ok(card),
            Err(e) if e.is_stale_element_reference() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn title_is(c: &Client, expected: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let title = c.title().await?;
        if title == expected {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the title is {title:?}, not {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scenario(c: &Client, config: &Config, day: &Day) -> anyhow::Result<()> {
    let earlier = uuid::Uuid::now_v7().to_string();
    day.add(placed(&earlier, "행복한 고래", "카페라떼", "아이스", 12))
        .await?;

    c.goto(&format!("http://{}", config.gateway_addr)).await?;
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

    // The day so far, replayed: the nickname, the item with its option, the total.
    let (text, late) = read_card(c, &card(&earlier)).await?;
    for part in [
        "행복한 고래",
        "카페라떼 × 2",
        "온도: 아이스",
        "10,000원",
        "12분 전",
    ] {
        anyhow::ensure!(text.contains(part), "{part:?} missing from {text:?}");
    }
    anyhow::ensure!(late.contains("is-late"), "a 12-minute wait is late: {late}");
    title_is(c, "간편주문 매장 관리").await?;

    // A new order while staff look at another tab: the title says so.
    click(c, "button[data-tab=menu]").await?;
    let live = uuid::Uuid::now_v7().to_string();
    day.add(placed(&live, "용감한 참새", "아메리카노", "따뜻하게", 0))
        .await?;
    title_is(c, "(1) 간편주문 매장 관리").await?;
    wait_text(c, "#board-tab-count", "2").await?;
    click(c, "button[data-tab=board]").await?;
    let (_, class) = read_card(c, &card(&live)).await?;
    anyhow::ensure!(
        class.contains("is-fresh"),
        "a new order stands out: {class}"
    );
    title_is(c, "간편주문 매장 관리").await?;

    // 접수 while the order service cannot take it: staff are told, the order stays new.
    click(
        c,
        &format!("{} button[data-board-action=accept-default]", card(&live)),
    )
    .await?;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let notice = find(c, "#notice").await?.text().await.unwrap_or_default();
        if notice.contains("잠시 후") {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("no notice after 완료 failed: {notice:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    find(c, &format!("{}[data-status=placed]", card(&live))).await?;

    // 취소 asks for a reason in a dialog before anything happens.
    click(
        c,
        &format!("{} button[data-board-action=cancel]", card(&live)),
    )
    .await?;
    find(c, "#board-cancel-dialog[open]").await?;
    wait_text(c, "#board-cancel-summary", "용감한 참새 · 10,000원").await?;
    c.execute("document.querySelector('#board-cancel-dialog input[name=reason]').removeAttribute('required')", vec![]).await?;
    click(c, "#board-cancel-submit").await?;
    wait_text(c, "#board-cancel-message", "취소 사유를 입력해 주세요.").await?;
    screenshot(c, CANCEL_SCREENSHOT).await?;
    click(c, "#board-cancel-dialog button.secondary").await?;
    until(
        c,
        PATIENCE,
        "the cancel dialog closes",
        "#board-cancel-dialog",
        false,
    )
    .await?;

    // Accepted elsewhere (another device) 15 minutes ago for 10 minutes: 진행 중, and late.
    let ts = |minutes_ago: i64| {
        Some(prost_types::Timestamp {
            seconds: (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).timestamp(),
            nanos: 0,
        })
    };
    day.add(Entry::Accepted(StoreDayAccepted {
        order_id: earlier.clone(),
        nickname: "행복한 고래".into(),
        accepted_at: ts(15),
        promised_at: ts(5),
        prep_minutes: 10,
    }))
    .await?;
    until(
        c,
        PATIENCE,
        "accepted leaves the new list",
        &card(&earlier),
        false,
    )
    .await?;
    wait_text(c, "button[data-board-filter=accepted]", "진행 중 1").await?;
    click(c, "button[data-board-filter=accepted]").await?;
    let (text, class) = read_card(c, &card(&earlier)).await?;
    anyhow::ensure!(
        text.contains("5분 늦음"),
        "the broken promise shows: {text:?}"
    );
    anyhow::ensure!(
        class.contains("is-late"),
        "a broken promise is late: {class}"
    );
    find(
        c,
        &format!("{} button[data-board-action=ready]", card(&earlier)),
    )
    .await?;

    // Handed over elsewhere: the order moves from 진행 중 to 완료.
    day.add(Entry::Ready(StoreDayReady {
        order_id: earlier.clone(),
        nickname: "행복한 고래".into(),
        ready_at: None,
    }))
    .await?;
    until(
        c,
        PATIENCE,
        "ready leaves the in-progress list",
        &card(&earlier),
        false,
    )
    .await?;
    wait_text(c, "button[data-board-filter=accepted]", "진행 중 0").await?;
    wait_text(c, "button[data-board-filter=placed]", "신규 1").await?;
    click(c, "button[data-board-filter=ready]").await?;
    find(c, &format!("{}[data-status=ready]", card(&earlier))).await?;
    click(c, "button[data-board-filter=canceled]").await?;
    wait_text(c, "#board .board-empty", "취소한 주문이 없습니다.").await?;
    click(c, "button[data-board-filter=placed]").await?;
    find(c, &card(&live)).await?;
    screenshot(c, SCREENSHOT).await?;
    Ok(())
}

#[tokio::test]
async fn the_board_shows_orders_live_and_reconnects_by_itself_in_chromium() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let config = System::config(&db.url, &redis.url, &redis.prefix)?;
    let system = System::start_with(crate::LAUNCH, &SERVICES, config.clone()).await?;
    let day = open_day(&config, &db, &redis).await?;
    let driver = Driver::start().await?;
    let c = driver.browser().await?;

    let outcome = async {
        scenario(&c, &config, &day).await?;

        // The gateway goes away: the board says it is offline.
        system.stop().await?;
        until(&c, PATIENCE, "offline banner", "#board-offline", true).await?;
        let banner = find(&c, "#board-offline").await?.text().await?;
        anyhow::ensure!(banner.contains("연결 끊김"), "{banner:?}");
        screenshot(&c, OFFLINE_SCREENSHOT).await?;

        // An order arrives while the board is away; the gateway comes back.
        let missed = uuid::Uuid::now_v7().to_string();
        day.add(placed(&missed, "조용한 다람쥐", "녹차", "아이스", 0))
            .await?;
        let system = System::start_with(crate::LAUNCH, &SERVICES, config.clone()).await?;
        until(
            &c,
            Duration::from_secs(30),
            "reconnected",
            "#board-offline",
            false,
        )
        .await?;
        find(&c, &card(&missed)).await?;
        wait_text(&c, "button[data-board-filter=placed]", "신규 2").await?;
        anyhow::Ok(system)
    }
    .await;
    if let Ok(png) = c.screenshot().await {
        std::fs::write(SCREENSHOT, png).context("writing the screenshot")?;
    }
    c.close().await.ok();
    outcome?;
    println!("screenshots: {SCREENSHOT} {CANCEL_SCREENSHOT} {OFFLINE_SCREENSHOT}");
    Ok(())
}

const TICKET_PDF: &str = "/tmp/simpleorder-ticket.pdf";
/// 80 mm in PDF points (1/72 inch).
const TICKET_WIDTH_PT: f32 = 80.0 / 25.4 * 72.0;

fn timestamp(at: chrono::DateTime<chrono::Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    })
}

/// Replaces `window.print` (whose dialog WebDriver cannot drive) with a note of the order whose
/// ticket was about to print; the page is left exactly as the browser would print it.
async fn spy_on_printing(c: &Client) -> anyhow::Result<()> {
    c.execute(
        "window.printed = []; window.print = () => window.printed.push(\
         document.querySelector('#ticket .ticket').dataset.orderId);",
        vec![],
    )
    .await?;
    Ok(())
}

/// The orders whose tickets printed, in order, once there are `count`.
async fn printed(c: &Client, count: usize) -> anyhow::Result<Vec<String>> {
    testkit::eventually(PATIENCE, || {
        let c = c.clone();
        async move {
            let printed = c.execute("return window.printed;", vec![]).await.ok()?;
            let printed: Vec<String> = serde_json::from_value(printed).ok()?;
            (printed.len() >= count).then_some(printed)
        }
    })
    .await
    .with_context(|| format!("{count} tickets did not print"))
}

/// The PDF's pages as (width, height) in points.
fn pages(pdf: &[u8]) -> anyhow::Result<Vec<(f32, f32)>> {
    let document = pdf_extract::Document::load_mem(pdf)?;
    let mut sizes = Vec::new();
    for id in document.get_pages().into_values() {
        let page = document.get_object(id)?.as_dict()?;
        let corners = page
            .get(b"MediaBox")?
            .as_array()?
            .iter()
            .map(|n| n.as_float())
            .collect::<Result<Vec<f32>, _>>()?;
        let [x0, y0, x1, y1] = corners[..] else {
            bail!("MediaBox {corners:?}");
        };
        sizes.push((x1 - x0, y1 - y0));
    }
    Ok(sizes)
}

/// Text without any white space: PDF text comes back with its own line breaks and gaps.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn tickets(c: &Client, driver: &Driver, config: &Config, day: &Day) -> anyhow::Result<()> {
    // An order accepted for 10 minutes, its item named with markup that must print as text; and
    // another order on the board that must not print with it.
    let paid = chrono::Utc::now() - chrono::Duration::minutes(3);
    let promised = paid + chrono::Duration::minutes(10);
    let order = uuid::Uuid::now_v7().to_string();
    day.add(placed_at(
        &order,
        "행복한 고래",
        "<b>카페라떼</b>",
        "아이스",
        paid,
    ))
    .await?;
    day.add(Entry::Accepted(StoreDayAccepted {
        order_id: order.clone(),
        nickname: "행복한 고래".into(),
        accepted_at: timestamp(paid),
        promised_at: timestamp(promised),
        prep_minutes: 10,
    }))
    .await?;
    let other = uuid::Uuid::now_v7().to_string();
    day.add(placed(&other, "용감한 참새", "아메리카노", "따뜻하게", 1))
        .await?;

    c.goto(&format!("http://{}", config.gateway_addr)).await?;
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
    find(c, &card(&other)).await?;
    spy_on_printing(c).await?;

    // 인쇄 on the accepted order: its ticket, and nothing else, on one 80 mm wide page.
    click(c, "button[data-board-filter=accepted]").await?;
    click(
        c,
        &format!("{} button[data-board-action=print]", card(&order)),
    )
    .await?;
    anyhow::ensure!(printed(c, 1).await? == [order.as_str()]);
    let pdf = driver.print_pdf(c).await?;
    std::fs::write(TICKET_PDF, &pdf).context("writing the ticket's PDF")?;
    let sizes = pages(&pdf)?;
    let [(width, height)] = sizes[..] else {
        bail!("the ticket prints on one page, not {sizes:?}");
    };
    anyhow::ensure!(
        (width - TICKET_WIDTH_PT).abs() <= 1.0,
        "the page is {width} pt wide, not 80 mm ({TICKET_WIDTH_PT} pt)"
    );
    anyhow::ensure!(height > 0.0, "{sizes:?}");
    let text = squeezed(&pdf_extract::extract_text_from_mem(&pdf)?);
    let paid_kst = paid.with_timezone(&domain::KST);
    for part in [
        store::admin::DEMO_NAME.to_owned(),
        "행복한 고래".to_owned(),
        "<b>카페라떼</b> × 2".to_owned(),
        "온도: 아이스".to_owned(),
        format!("주문번호 {}", &order[order.len() - 8..]),
        format!("결제 {}", paid_kst.format("%-m월 %-d일 %H:%M")),
        format!(
            "픽업 예정 {}",
            promised.with_timezone(&domain::KST).format("%H:%M")
        ),
    ] {
        anyhow::ensure!(
            text.contains(&squeezed(&part)),
            "{part:?} missing from the ticket: {text:?}"
        );
    }
    for board_only in ["용감한 참새", "주문 현황", "10,000원"] {
        anyhow::ensure!(
            !text.contains(&squeezed(board_only)),
            "the ticket prints {board_only:?} of the board: {text:?}"
        );
    }

    // 새 주문 자동 인쇄, remembered by this browser: each new order prints once, as it arrives;
    // the orders a reload replays do not print again.
    click(c, "#board-autoprint").await?;
    let first = uuid::Uuid::now_v7().to_string();
    day.add(placed(&first, "조용한 다람쥐", "녹차", "아이스", 0))
        .await?;
    anyhow::ensure!(printed(c, 2).await? == [order.as_str(), first.as_str()]);
    c.refresh().await?;
    wait_text(c, "#store-name", store::admin::DEMO_NAME).await?;
    click(c, "button[data-tab=board]").await?;
    find(c, &card(&first)).await?;
    spy_on_printing(c).await?;
    anyhow::ensure!(
        find(c, "#board-autoprint").await?.is_selected().await?,
        "the automatic printing is remembered across a reload"
    );
    let second = uuid::Uuid::now_v7().to_string();
    day.add(placed(&second, "씩씩한 수달", "녹차", "따뜻하게", 0))
        .await?;
    anyhow::ensure!(printed(c, 1).await? == [second.as_str()]);
    let ticket = c
        .execute(
            "return document.querySelector('#ticket').textContent;",
            vec![],
        )
        .await?;
    let ticket = ticket.as_str().unwrap_or_default();
    anyhow::ensure!(
        ticket.contains("씩씩한 수달") && ticket.contains("픽업 시간: 접수 전"),
        "the new order's own ticket printed: {ticket:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_orders_ticket_prints_alone_on_an_80_mm_page_in_chromium() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let config = System::config(&db.url, &redis.url, &redis.prefix)?;
    let _system = System::start_with(crate::LAUNCH, &SERVICES, config.clone()).await?;
    let day = open_day(&config, &db, &redis).await?;
    let driver = Driver::start().await?;
    let c = driver.browser().await?;

    let outcome = tickets(&c, &driver, &config, &day).await;
    c.close().await.ok();
    outcome?;
    println!("the ticket: {TICKET_PDF}");
    Ok(())
}
