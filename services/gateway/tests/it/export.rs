//! The reports page's CSV export through the gateway: the demo café's staff open the day, three
//! customers order and pay in the kakao-sandbox (order service, payment service and the approval
//! redirect through the gateway, as in KakaoTalk), the board accepts, hands over and cancels
//! them, the day closes and is reconciled; then `orders.csv` and `days.csv` are downloaded with
//! the staff's session and read back as a spreadsheet would. Leaves orders.csv in /tmp.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use common::{Answer, Browser};
use contracts::accounting::v1 as acc;
use contracts::common::v1::{Menu, OrderStatus};
use contracts::order::v1 as pb;
use platform::{Config, Service, Shutdown};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::kakaopay::Sandbox;
use testkit::{System, TestDb, TestRedis};

/// The downloaded orders.csv, left for people to open in a spreadsheet.
const ORDERS_FILE: &str = "/tmp/simpleorder-export-orders.csv";
/// How long a test waits for what happens in the background (the approval consumer).
const PATIENCE: Duration = Duration::from_secs(20);

struct World {
    config: Config,
    db: TestDb,
    _redis: TestRedis,
    system: System,
    shutdown: Shutdown,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl World {
    /// Every service an order and a report go through; the store closes without waiting out the
    /// payment window.
    async fn start() -> anyhow::Result<World> {
        let db = TestDb::new().await?;
        let redis = TestRedis::new().await?;
        let config = System::config(&db.url, &redis.url, &redis.prefix)?;
        let shutdown = Shutdown::new();
        tokio::spawn(store::serve_with(
            config.clone(),
            store::StoreSettings {
                close_wait: Duration::ZERO,
                ..store::StoreSettings::default()
            },
            shutdown.clone(),
        ));
        testkit::until_serving(config.store.endpoints().ops_addr, PATIENCE)
            .await
            .context("the store service did not start")?;
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
        Ok(World {
            config,
            db,
            _redis: redis,
            system,
            shutdown,
        })
    }

    fn browser(&self) -> Browser {
        Browser {
            base: format!("http://{}", self.config.gateway_addr),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("reqwest client"),
        }
    }

    /// A customer's order of `lines` (item, option names, quantity), paid on the sandbox's
    /// KakaoPay page and approved through the gateway's redirect: its id once it is placed.
    async fn paid_order(
        &self,
        store_id: &str,
        menu: &Menu,
        customer: &str,
        lines: &[(&str, &[&str], u32)],
    ) -> anyhow::Result<String> {
        let mut order = self.system.order();
        let customer_id = order
            .get_or_create_customer(pb::GetOrCreateCustomerRequest {
                bot_user_key: customer.into(),
                plusfriend_user_key: String::new(),
            })
            .await?
            .into_inner()
            .customer
            .context("a customer")?
            .customer_id;
        let mut cart_id = String::new();
        for (item, options, quantity) in lines {
            let id_of = |name: &str| -> anyhow::Result<String> {
                let option = menu.options.iter().find(|o| o.name == name);
                Ok(option.with_context(|| format!("option {name}"))?.id.clone())
            };
            let item = menu.items.iter().find(|i| i.name == *item);
            let added = order
                .add_to_cart(pb::AddToCartRequest {
                    customer_id: customer_id.clone(),
                    store_id: store_id.into(),
                    item_id: item.context("an item")?.id.clone(),
                    option_ids: options
                        .iter()
                        .map(|o| id_of(o))
                        .collect::<anyhow::Result<_>>()?,
                    quantity: *quantity,
                    expected_cart_id: String::new(),
                    replace: false,
                })
                .await?
                .into_inner();
            anyhow::ensure!(
                added.outcome() == pb::CartOutcome::Updated,
                "AddToCart: {added:?}"
            );
            cart_id = added.cart.context("a cart")?.id;
        }
        let placed = order
            .place_order(pb::PlaceOrderRequest {
                customer_id: customer_id.clone(),
                cart_id,
            })
            .await?
            .into_inner();
        anyhow::ensure!(
            placed.outcome() == pb::PlaceOutcome::ReadyToPay,
            "PlaceOrder: {placed:?}"
        );
        let redirect = placed.redirect.context("a redirect")?;
        let tid = redirect
            .next_redirect_mobile_url
            .rsplit('/')
            .next()
            .context("a tid")?;
        let approval = Sandbox::new(&self.config)
            .page_choice(tid, "approve")
            .await?;
        let result = reqwest::get(&approval).await?;
        anyhow::ensure!(result.status().is_success(), "approval page: {result:?}");
        let order_id = placed.order_id;
        testkit::eventually(PATIENCE, || {
            let mut order = self.system.order();
            let order_id = order_id.clone();
            async move {
                let status = order
                    .get_order(pb::GetOrderRequest {
                        order_id,
                        ..Default::default()
                    })
                    .await
                    .ok()?
                    .into_inner()
                    .order?
                    .status();
                (status == OrderStatus::Placed).then_some(())
            }
        })
        .await
        .context("the order was never placed")?;
        Ok(order_id)
    }
}

fn ok(answer: anyhow::Result<Answer>, what: &str) -> anyhow::Result<Value> {
    let answer = answer?;
    if answer.status != StatusCode::OK {
        bail!("{what}: {answer:?}");
    }
    Ok(answer.body)
}

/// A download: (status, content type, content disposition, body).
async fn download(
    http: &reqwest::Client,
    url: &str,
) -> anyhow::Result<(StatusCode, String, String, Vec<u8>)> {
    let response = http.get(url).send().await?;
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, disposition) = (
        header(reqwest::header::CONTENT_TYPE),
        header(reqwest::header::CONTENT_DISPOSITION),
    );
    Ok((
        response.status(),
        content_type,
        disposition,
        response.bytes().await?.to_vec(),
    ))
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV after its byte order mark, as records by column name.
fn records(body: &[u8]) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let Some(csv) = body.strip_prefix(BOM) else {
        bail!(
            "no UTF-8 byte order mark: {:?}",
            &body[..body.len().min(16)]
        );
    };
    let mut reader = csv::Reader::from_reader(csv);
    let headers = reader.headers()?.iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| Ok(r?.iter().map(str::to_owned).collect()))
        .collect::<anyhow::Result<_>>()?;
    Ok((headers, rows))
}

fn column(headers: &[String], name: &str) -> anyhow::Result<usize> {
    headers
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("no column {name} in {headers:?}"))
}

fn won(text: &str) -> anyhow::Result<i64> {
    text.parse()
        .with_context(|| format!("'{text}' is not whole won"))
}

fn is_kst_time(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok()
}

#[tokio::test]
async fn the_csv_export_has_every_order_line_and_the_days_totals_equal_the_report()
-> anyhow::Result<()> {
    let w = World::start().await?;
    let demo = store::admin::load_demo(&w.db.pool).await?;
    let store_id = demo.store_id.to_string();
    let staff = w.browser().signed_in(&demo.login, &demo.password).await?;
    ok(
        staff.post("/day", json!({ "action": "ready" })).await,
        "ready",
    )?;
    let opened = ok(
        staff.post("/day", json!({ "action": "open" })).await,
        "open",
    )?;
    let day_id = opened["day_business_id"]
        .as_str()
        .context("the day's id")?
        .to_owned();
    let menu = w
        .system
        .store()
        .get_menu(contracts::store::v1::GetMenuRequest {
            store_id: store_id.clone(),
        })
        .await?
        .into_inner()
        .menu
        .context("a menu")?;

    // 2 × (4,500 + 500 + 500) = 11,000원
    let americano = w
        .paid_order(
            &store_id,
            &menu,
            "export-a",
            &[("아메리카노", &["ICE", "Large", "에스프레소 샷"], 2)],
        )
        .await?;
    // 6,500 + (5,000 + 500) = 12,000원
    let two_lines = w
        .paid_order(
            &store_id,
            &menu,
            "export-b",
            &[
                ("치즈케이크", &[], 1),
                ("카페라떼", &["HOT", "Regular", "바닐라 시럽"], 1),
            ],
        )
        .await?;
    // 5,500 + 500 = 6,000원, canceled and refunded.
    let canceled = w
        .paid_order(
            &store_id,
            &menu,
            "export-c",
            &[("녹차라떼", &["ICE", "Large"], 1)],
        )
        .await?;
    let reason = "재료 소진, \"정말\" 죄송합니다";
    ok(
        staff
            .post(
                &format!("/orders/{americano}/accept"),
                json!({ "minutes": 10 }),
            )
            .await,
        "accept",
    )?;
    for id in [&americano, &two_lines] {
        ok(
            staff.post(&format!("/orders/{id}/ready"), json!({})).await,
            "ready",
        )?;
    }
    ok(
        staff
            .post(
                &format!("/orders/{canceled}/cancel"),
                json!({ "reason": reason }),
            )
            .await,
        "cancel",
    )?;
    for action in ["start_closing", "close"] {
        ok(
            staff.post("/day", json!({ "action": action })).await,
            action,
        )?;
    }
    w.system
        .accounting()
        .reconcile_day(acc::ReconcileDayRequest {
            store_id: store_id.clone(),
            day_business_id: day_id.clone(),
        })
        .await?;
    let report = ok(staff.get(&format!("/reports/{day_id}")).await, "report")?;
    let totals = &report["summary"]["totals"];
    let business_date = report["summary"]["business_date"]
        .as_str()
        .context("a business date")?;
    assert_eq!(totals["order_count"], 3, "{report}");
    // Accepting an order is one of its facts: it reconciles like any other day.
    assert_eq!(report["summary"]["discrepancy_count"], 0, "{report}");
    assert_eq!(totals["gross"], 29_000, "{report}");

    // The order service's listing behind the export, one order a page: every paid order once,
    // in the order paid; another store's listing of the same day is empty.
    let mut listed = Vec::new();
    let mut token = String::new();
    for _ in 0..10 {
        let page = w
            .system
            .order()
            .list_store_orders(pb::ListStoreOrdersRequest {
                store_id: store_id.clone(),
                day_business_ids: vec![day_id.clone()],
                page_size: 1,
                page_token: token,
            })
            .await?
            .into_inner();
        listed.extend(page.orders.into_iter().map(|o| o.order_id));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(
        listed,
        [americano.clone(), two_lines.clone(), canceled.clone()]
    );
    let theirs = w
        .system
        .order()
        .list_store_orders(pb::ListStoreOrdersRequest {
            store_id: uuid::Uuid::now_v7().to_string(),
            day_business_ids: vec![day_id.clone()],
            ..Default::default()
        })
        .await?
        .into_inner();
    assert!(theirs.orders.is_empty() && theirs.next_page_token.is_empty());

    // Around today in Korea, so a day closing just after midnight is still inside.
    let today = Utc::now().with_timezone(&domain::KST).date_naive();
    let period = format!(
        "from={}&to={}",
        today.pred_opt().context("yesterday")?,
        today.succ_opt().context("tomorrow")?
    );
    let export = |file: &str| format!("{}/api/store/export/{file}?{period}", staff.base);

    let (status, content_type, disposition, body) =
        download(&staff.http, &export("orders.csv")).await?;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(
        disposition.starts_with("attachment; filename=\"orders_"),
        "{disposition}"
    );
    std::fs::write(ORDERS_FILE, &body).context("keeping orders.csv")?;
    let (headers, rows) = records(&body)?;
    let col = |name| column(&headers, name);
    let (order_no, state, paid, accepted, promised) = (
        col("주문 ID")?,
        col("상태")?,
        col("결제 시각")?,
        col("접수 시각")?,
        col("약속 시각")?,
    );
    let (menu_col, options, quantity, unit, amount, net, why) = (
        col("메뉴")?,
        col("옵션")?,
        col("수량")?,
        col("단가")?,
        col("금액")?,
        col("순매출")?,
        col("취소 사유")?,
    );
    assert_eq!(rows.len(), 4, "one row per order line: {rows:?}");
    let sum = |index: usize, only: &dyn Fn(&Vec<String>) -> bool| -> anyhow::Result<i64> {
        rows.iter()
            .filter(|r| only(r))
            .map(|r| won(&r[index]))
            .sum()
    };
    assert_eq!(
        sum(amount, &|_| true)?,
        totals["gross"].as_i64().context("gross")?
    );
    assert_eq!(sum(net, &|_| true)?, totals["net"].as_i64().context("net")?);
    assert_eq!(
        sum(amount, &|r| r[state] == "취소됨")?,
        totals["canceled"].as_i64().context("canceled")?
    );
    let orders: HashSet<&str> = rows.iter().map(|r| r[order_no].as_str()).collect();
    assert_eq!(
        orders.len() as u64,
        totals["order_count"].as_u64().context("order count")?
    );
    for row in &rows {
        assert_eq!(row[col("영업일")?], business_date, "{row:?}");
        assert!(is_kst_time(&row[paid]), "paid time {row:?}");
        assert!(!row[col("닉네임")?].is_empty(), "{row:?}");
        let number = &row[col("주문번호")?];
        assert!(
            number.len() == 8 && row[order_no].ends_with(number.as_str()),
            "the ticket's number: {row:?}"
        );
    }

    let line = |id: &str, item: &str| {
        rows.iter()
            .find(|r| r[order_no] == id && r[menu_col] == item)
            .with_context(|| format!("{item} of {id} in {rows:?}"))
    };
    let coffee = line(&americano, "아메리카노")?;
    assert_eq!(coffee[state], "준비 완료");
    for option in [
        "온도: ICE",
        "사이즈: Large (+500원)",
        "샷 추가: 에스프레소 샷 (+500원)",
    ] {
        assert!(coffee[options].contains(option), "{option} in {coffee:?}");
    }
    assert_eq!(
        [&coffee[quantity], &coffee[unit], &coffee[amount]],
        ["2", "5500", "11000"]
    );
    assert!(is_kst_time(&coffee[accepted]) && is_kst_time(&coffee[promised]));
    let cake = line(&two_lines, "치즈케이크")?;
    assert_eq!(cake[options], "");
    assert!(cake[accepted].is_empty(), "never accepted: {cake:?}");
    let latte = line(&two_lines, "카페라떼")?;
    assert!(
        latte[options].contains("시럽: 바닐라 시럽 (+500원)"),
        "{latte:?}"
    );
    let refunded = line(&canceled, "녹차라떼")?;
    assert_eq!(refunded[state], "취소됨");
    assert_eq!([&refunded[amount], &refunded[net]], ["6000", "0"]);
    assert_eq!(refunded[why], reason, "quotes and commas survive");

    let (status, content_type, _, body) = download(&staff.http, &export("days.csv")).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/csv; charset=utf-8");
    let (headers, days) = records(&body)?;
    // A viewer device (read only) may download too: the export changes nothing.
    let link = staff.post("/viewer", json!({})).await?;
    assert_eq!(link.status, StatusCode::CREATED, "{link:?}");
    let code = link.body["url"]
        .as_str()
        .and_then(|url| url.split_once("#viewer="))
        .context("a viewer link")?
        .1;
    let tablet = w.browser();
    let joined = tablet.post("/viewer/join", json!({ "code": code })).await?;
    assert_eq!(joined.body["role"], "viewer", "{joined:?}");
    let (status, _, _, viewed) = download(&tablet.http, &export("days.csv")).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(viewed, body, "the viewer gets the same file");
    assert_eq!(days.len(), 1, "{days:?}");
    let figure = |name: &str| -> anyhow::Result<i64> { won(&days[0][column(&headers, name)?]) };
    assert_eq!(days[0][column(&headers, "영업일")?], business_date);
    for (name, key) in [
        ("주문 수", "order_count"),
        ("완료 수", "ready_count"),
        ("취소 수", "canceled_count"),
        ("실패 수", "failed_count"),
        ("총매출", "gross"),
        ("취소 금액", "canceled"),
        ("순매출", "net"),
    ] {
        assert_eq!(
            figure(name)?,
            totals[key].as_i64().context("a figure")?,
            "{name}"
        );
    }
    assert_eq!(
        figure("불일치 건수")?,
        report["summary"]["discrepancy_count"]
            .as_i64()
            .context("discrepancies")?
    );

    // A bad period is a clear JSON error and no file; without a session, nothing at all.
    for query in [
        "from=2026-13-01",
        "from=2026-03-10&to=2026-03-01",
        "from=2024-01-01&to=2026-03-01",
    ] {
        for file in ["orders.csv", "days.csv"] {
            let url = format!("{}/api/store/export/{file}?{query}", staff.base);
            let answer = Answer::read(staff.http.get(&url).send().await?).await?;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url}: {answer:?}");
            assert_eq!(answer.error(), "invalid_argument");
            assert!(common::is_korean(answer.message()), "{answer:?}");
            assert!(
                answer
                    .header("content-type")
                    .starts_with("application/json")
            );
        }
    }
    let stranger = w.browser();
    for file in ["orders.csv", "days.csv"] {
        let (status, _, _, body) = download(&stranger.http, &export(file)).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(!body.starts_with(BOM), "no file without a session");
    }

    let openapi: Value = reqwest::get(format!("{}/api/openapi.json", staff.base))
        .await?
        .json()
        .await?;
    for path in ["/api/store/export/orders.csv", "/api/store/export/days.csv"] {
        let ok = &openapi["paths"][path]["get"]["responses"]["200"]["content"]["text/csv"];
        assert!(ok.is_object(), "{path} documented as text/csv");
    }
    Ok(())
}
