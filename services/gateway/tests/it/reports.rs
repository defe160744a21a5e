//! Daily reports through the gateway: `/api/store/reports` for the signed-in store only, and the
//! 정산 tab in headless Chromium drawing its SVG charts. The days are real: the store closes them,
//! the payments are made in the kakao-sandbox, and the accounting service reconciles them
//! (through ReconcileDay, instead of waiting out the settle delay).
//!
//! Leaves screenshots at /tmp/simpleorder-reports-list.png and /tmp/simpleorder-reports.png. Needs Debian's chromium and
//! chromium-driver (`bash scripts/chromium.sh`, run by `make test`).

use crate::common;

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use common::Browser;
use contracts::accounting::v1 as acc;
use contracts::clients::{AccountingServiceClient, StoreServiceClient};
use contracts::events::v1::{
    BoardOrder, StoreDayEntry, StoreDayPlaced, StoreDayReady, store_day_entry,
};
use contracts::store::v1 as store_pb;
use fantoccini::{Client, Locator};
use platform::{Config, Service, Shutdown};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::browser::{Driver, PATIENCE, find};
use testkit::kakaopay::Sandbox;
use testkit::{System, TestDb, TestRedis};
use uuid::Uuid;

const PASSWORD: &str = "s3cret-pass";
const SCREENSHOT: &str = "/tmp/simpleorder-reports.png";
const LIST_SCREENSHOT: &str = "/tmp/simpleorder-reports-list.png";

/// The gateway with every service a report needs; the store closes without waiting out the
/// payment window.
struct World {
    config: Config,
    db: TestDb,
    _redis: TestRedis,
    _system: System,
    shutdown: Shutdown,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// One closed and reconciled business day.
struct Day {
    store_id: String,
    day_id: String,
}

impl World {
    async fn start() -> anyhow::Result<World> {
        let db = TestDb::new().await?;
        let redis = TestRedis::new().await?;
        let config = System::config(&db.url, &redis.url, &redis.prefix)?;
        let system = System::start_with(
            crate::LAUNCH,
            &[
                Service::Gateway,
                Service::Order,
                Service::Payment,
                Service::Accounting,
                Service::KakaoSandbox,
            ],
            config.clone(),
        )
        .await?;
        let shutdown = Shutdown::new();
        tokio::spawn(store::serve_with(
            config.clone(),
            store::StoreSettings {
                close_wait: Duration::ZERO,
                ..store::StoreSettings::default()
            },
            shutdown.clone(),
        ));
        let ops = config.store.endpoints().ops_addr;
        testkit::until_serving(ops, Duration::from_secs(20))
            .await
            .context("the store service did not start")?;
        Ok(World {
            config,
            db,
            _redis: redis,
            _system: system,
            shutdown,
        })
    }

    fn base(&self) -> String {
        format!("http://{}", self.config.gateway_addr)
    }

    fn browser(&self) -> Browser {
        Browser {
            base: self.base(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("reqwest client"),
        }
    }

    fn store(&self) -> StoreServiceClient<platform::grpc::Client> {
        let url = self.config.store.endpoints().url;
        let gateway = self
            .config
            .identity(platform::Service::Gateway)
            .expect("token");
        StoreServiceClient::new(platform::grpc::client(&gateway, &url).expect("store url"))
    }

    fn accounting(&self) -> AccountingServiceClient<platform::grpc::Client> {
        let url = self.config.accounting.endpoints().url;
        let gateway = self
            .config
            .identity(platform::Service::Gateway)
            .expect("token");
        AccountingServiceClient::new(
            platform::grpc::client(&gateway, &url).expect("accounting url"),
        )
    }

    async fn act(&self, store_id: &str, action: store_pb::DayAction) -> anyhow::Result<()> {
        let answer = self
            .store()
            .transition_day(store_pb::TransitionDayRequest {
                store_id: store_id.into(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?
            .into_inner();
        if let Some(refusal) = answer.refusal {
            bail!("{action:?} refused: {}", refusal.message);
        }
        Ok(())
    }

    /// A store whose day had two orders paid in the sandbox and handed over (at 9 and 12 o'clock
    /// in Korea), one of them afterwards refunded at KakaoPay behind the store's back; closed and
    /// reconciled.
    async fn reconciled_day(&self, name: &str, login: &str) -> anyhow::Result<Day> {
        let store_id = store::admin::create_store(&self.db.pool, name, login, PASSWORD)
            .await?
            .to_string();
        self.act(&store_id, store_pb::DayAction::Ready).await?;
        self.act(&store_id, store_pb::DayAction::Open).await?;
        let day = self
            .store()
            .get_day(store_pb::GetDayRequest {
                store_id: store_id.clone(),
            })
            .await?
            .into_inner()
            .day
            .context("day")?;
        let sandbox = Sandbox::new(&self.config);
        let morning = ("아메리카노", 4_500, 2_i32, "2026-03-02T00:10:00Z");
        let noon = ("치즈케이크", 6_500, 1_i32, "2026-03-02T03:30:00Z");
        let mut refunded = None;
        for (item, price, quantity, placed_at) in [morning, noon] {
            let total = price * i64::from(quantity);
            let tid = sandbox.paid(total).await?;
            self.ready_order(&day, item, price, quantity, &tid, placed_at)
                .await?;
            refunded = Some((tid, total));
        }
        let (tid, total) = refunded.context("an order")?;
        sandbox.cancel(&tid, total).await?;
        self.act(&store_id, store_pb::DayAction::StartClosing)
            .await?;
        // The store's relay publishes the day's entries; accounting archives what is there.
        let stream = format!("{}{}", self.config.redis_prefix, day.stream_key);
        let redis = platform::redis::connect(&self.config.redis_url).await?;
        testkit::eventually(PATIENCE, || {
            let mut redis = redis.clone();
            let stream = stream.clone();
            async move {
                let n: usize = redis::cmd("XLEN")
                    .arg(&stream)
                    .query_async(&mut redis)
                    .await
                    .ok()?;
                // The day's `opened` entry and the four orders' entries.
                (n == 5).then_some(())
            }
        })
        .await
        .context("the day stream")?;
        self.act(&store_id, store_pb::DayAction::Close).await?;
        let reconciled = self
            .accounting()
            .reconcile_day(acc::ReconcileDayRequest {
                store_id: store_id.clone(),
                day_business_id: day.day_business_id.clone(),
            })
            .await?
            .into_inner();
        anyhow::ensure!(reconciled.changed, "the day was reconciled afresh");
        Ok(Day {
            store_id,
            day_id: day.day_business_id,
        })
    }

    /// A READY order as the order service records it, with its placed and ready entries.
    async fn ready_order(
        &self,
        day: &store_pb::BusinessDay,
        item: &str,
        price: i64,
        quantity: i32,
        tid: &str,
        placed_at: &str,
    ) -> anyhow::Result<()> {
        let placed_at: DateTime<Utc> = DateTime::parse_from_rfc3339(placed_at)?.into();
        let (store_id, day_id): (Uuid, Uuid) =
            (day.store_id.parse()?, day.day_business_id.parse()?);
        let (order, item_id) = (Uuid::now_v7(), Uuid::now_v7());
        let total = price * i64::from(quantity);
        let record = order::testing::Order {
            id: order,
            store_id,
            day_business_id: day_id,
            status: "READY",
            nickname: "행복한 판다".into(),
            total,
            tid: Some(tid.to_owned()),
            placed_at: Some(placed_at),
            ready_at: Some(placed_at),
            lines: vec![order::testing::Line {
                item_id,
                name: item.to_owned(),
                unit_price: price,
                quantity,
                line_total: total,
                options: Vec::new(),
            }],
            payment: Some(order::testing::Payment {
                tid: tid.to_owned(),
                amount: total,
                status: "APPROVED",
                approved_at: Some(placed_at),
                ..Default::default()
            }),
            ..Default::default()
        };
        let stamp = prost_types::Timestamp {
            seconds: placed_at.timestamp(),
            nanos: 0,
        };
        let entries = [
            store_day_entry::Entry::Placed(StoreDayPlaced {
                order: Some(BoardOrder {
                    order_id: order.to_string(),
                    nickname: "행복한 판다".into(),
                    lines: vec![contracts::CartLine {
                        item_id: item_id.to_string(),
                        item_name: item.into(),
                        quantity: quantity as u32,
                        unit_price: price,
                        line_total: total,
                        ..Default::default()
                    }],
                    total,
                    placed_at: Some(stamp),
                }),
            }),
            store_day_entry::Entry::Ready(StoreDayReady {
                order_id: order.to_string(),
                nickname: "행복한 판다".into(),
                ready_at: Some(stamp),
            }),
        ];
        let entries: Vec<StoreDayEntry> = entries
            .into_iter()
            .map(|entry| StoreDayEntry {
                store_id: store_id.to_string(),
                day_business_id: day_id.to_string(),
                entry: Some(entry),
            })
            .collect();
        order::testing::insert(&self.db.pool, &record, &day.stream_key, &entries).await?;
        Ok(())
    }
}

#[tokio::test]
async fn reports_api_shows_only_the_signed_in_stores_days() -> anyhow::Result<()> {
    let w = World::start().await?;
    let mine = w.reconciled_day("정산 카페", "reports").await?;
    let theirs = w.reconciled_day("옆집 카페", "neighbour").await?;

    let anonymous = w.browser().get("/reports").await?;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let me = w.browser().signed_in("reports", PASSWORD).await?;
    let list = me.get("/reports").await?;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    let reports = list.body["reports"].as_array().context("reports")?;
    assert_eq!(reports.len(), 1, "{}", list.body);
    let day = &reports[0];
    assert_eq!(day["day_business_id"], mine.day_id.as_str());
    assert_eq!(day["status"], "discrepancies");
    assert_eq!(day["discrepancy_count"], 1);
    assert_eq!(
        day["totals"],
        json!({
            "order_count": 2, "placed_count": 0, "ready_count": 2, "canceled_count": 0,
            "failed_count": 0, "gross": 15_500, "canceled": 0, "net": 15_500,
        })
    );

    let detail = me.get(&format!("/reports/{}", mine.day_id)).await?;
    assert_eq!(detail.status, StatusCode::OK, "{detail:?}");
    let report = &detail.body;
    assert_eq!(
        report["by_hour"],
        json!([
            { "hour": 9, "order_count": 1, "amount": 9_000 },
            { "hour": 12, "order_count": 1, "amount": 6_500 },
        ])
    );
    assert_eq!(report["by_item"][0]["name"], "아메리카노");
    assert_eq!(report["by_item"][0]["quantity"], 2);
    assert_eq!(report["kakaopay_approved"], 15_500);
    assert_eq!(report["kakaopay_canceled"], 6_500);
    let discrepancy = &report["discrepancies"][0];
    assert_eq!(discrepancy["kind"], "canceled_at_kakaopay_only");
    assert_eq!(discrepancy["our_status"], "ready");
    assert_eq!(discrepancy["kakaopay_status"], "CANCEL_PAYMENT");
    assert!(
        common::is_korean(discrepancy["description"].as_str().unwrap_or_default()),
        "{discrepancy}"
    );

    // Another store's day, an unknown day and a malformed id all look the same: not found.
    for path in [
        format!("/reports/{}", theirs.day_id),
        format!("/reports/{}", Uuid::now_v7()),
        "/reports/not-a-day".to_owned(),
    ] {
        let answer = me.get(&path).await?;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {answer:?}");
        assert_eq!(answer.error(), "not_found");
    }
    assert_ne!(theirs.store_id, mine.store_id);

    for query in [
        "?from=2026-13-01",
        "?from=2026-03-10&to=2026-03-01",
        "?from=2024-01-01&to=2026-03-01",
    ] {
        let answer = me.get(&format!("/reports{query}")).await?;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {answer:?}"
        );
        assert!(common::is_korean(answer.message()), "{answer:?}");
    }
    let long_ago = me.get("/reports?from=2020-01-01&to=2020-01-31").await?;
    assert_eq!(long_ago.status, StatusCode::OK);
    assert_eq!(long_ago.body["reports"], json!([]));
    assert_eq!(long_ago.body["from"], "2020-01-01");

    let openapi: Value = reqwest::get(format!("{}/api/openapi.json", w.base()))
        .await?
        .json()
        .await?;
    for path in ["/api/store/reports", "/api/store/reports/{day_business_id}"] {
        assert!(
            openapi["paths"][path]["get"].is_object(),
            "{path} documented"
        );
    }
    Ok(())
}

/// Clicks once the element is shown (the app view appears only after login has answered).
async fn click(c: &Client, css: &str) -> anyhow::Result<()> {
    let element = find(c, css).await?;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !element.is_displayed().await? {
        if tokio::time::Instant::now() > deadline {
            bail!("{css} never became visible");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    element
        .click()
        .await
        .with_context(|| format!("click {css}"))
}

/// Log in, open 정산, see the daily chart, open the day and see its hourly chart and the
/// highlighted discrepancy.
async fn scenario(c: &Client, base: &str, day: &Day) -> anyhow::Result<()> {
    c.goto(base).await?;
    find(c, "#login-form input[name=login]")
        .await?
        .send_keys("reports")
        .await?;
    find(c, "#login-form input[name=password]")
        .await?
        .send_keys(PASSWORD)
        .await?;
    click(c, "#login-submit").await?;
    click(c, "button[data-tab=reports]").await?;

    let daily = find(c, "#reports-daily-chart svg").await?;
    // Days and hours without sales have an empty (invisible) bar.
    let bars = daily.find_all(Locator::Css("rect.bar:not(.empty)")).await?;
    anyhow::ensure!(bars.len() == 1, "one day with sales, {} bars", bars.len());
    let caption = find(c, "#reports-daily-chart figcaption")
        .await?
        .text()
        .await?;
    anyhow::ensure!(caption == "일별 순매출", "caption {caption:?}");
    // The CSV links carry the period shown and download with the page's session.
    let period = find(c, ".reports-period input[name=from]")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    anyhow::ensure!(!period.is_empty(), "the period form has a start date");
    for (link, file) in [
        ("#export-orders", "orders.csv"),
        ("#export-days", "days.csv"),
    ] {
        let href = find(c, link).await?.attr("href").await?.unwrap_or_default();
        anyhow::ensure!(
            href.starts_with(&format!("/api/store/export/{file}?from={period}&to=")),
            "{link} {href:?}"
        );
    }
    let head = c
        .execute(
            "return fetch(document.querySelector('#export-days').href)\
               .then((r) => r.arrayBuffer())\
               .then((b) => Array.from(new Uint8Array(b.slice(0, 3))));",
            vec![],
        )
        .await?;
    anyhow::ensure!(
        head == json!([0xEF, 0xBB, 0xBF]),
        "days.csv starts with a BOM: {head}"
    );
    if let Ok(png) = c.screenshot().await {
        std::fs::write(LIST_SCREENSHOT, png).context("writing the screenshot")?;
    }

    click(c, &format!("button[data-report='{}']", day.day_id)).await?;
    let hourly = find(c, "#report-hour-chart svg").await?;
    let bars = hourly
        .find_all(Locator::Css("rect.bar:not(.empty)"))
        .await?;
    let mut values = Vec::new();
    for bar in &bars {
        values.push(bar.attr("data-value").await?.unwrap_or_default());
    }
    anyhow::ensure!(values == ["9000", "6500"], "hourly bars {values:?}");
    let labels = hourly.text().await?;
    anyhow::ensure!(
        labels.contains("9시") && labels.contains("12시"),
        "axis {labels:?}"
    );
    let warning = find(c, ".discrepancy-box .discrepancy")
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        warning.contains("카카오페이에서만 취소"),
        "the discrepancy is highlighted: {warning:?}"
    );
    let net = find(c, ".report-figure.net strong").await?.text().await?;
    anyhow::ensure!(net == "15,500원", "net {net:?}");
    c.execute("window.scrollTo(0, 0);", vec![]).await?;
    Ok(())
}

#[tokio::test]
async fn the_reports_tab_draws_its_charts_in_chromium() -> anyhow::Result<()> {
    let w = World::start().await?;
    let day = w.reconciled_day("정산 카페", "reports").await?;
    let driver = Driver::start().await?;
    let c = driver.browser().await?;
    let outcome = scenario(&c, &w.base(), &day).await;
    if let Ok(png) = c.screenshot().await {
        std::fs::write(SCREENSHOT, png).context("writing the screenshot")?;
    }
    c.close().await.ok();
    outcome?;
    println!("screenshots: {LIST_SCREENSHOT} {SCREENSHOT}");
    Ok(())
}
