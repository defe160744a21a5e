//! A world for accounting tests: the store service (closing with no payment-window wait), the
//! order service, the payment service and the kakao-sandbox (real KakaoPay calls), and the
//! accounting service with a short settle delay, on a database and Redis prefix of the test's
//! own.
//!
//! Orders are written straight into Postgres, and their store-day entries through the outbox
//! the store's relay publishes, the way the order service records them.

use std::time::Duration;

use accounting::AccountingSettings;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use contracts::clients::{AccountingServiceClient, StoreServiceClient};
use contracts::events::v1::{
    BoardOrder, StoreDayCanceled, StoreDayEntry, StoreDayPlaced, StoreDayReady, store_day_entry,
};
use contracts::store::v1 as store_pb;
use platform::grpc::Client;
use platform::{Config, Service, Shutdown};
use sqlx::PgPool;
use testkit::kakaopay::Sandbox;
use testkit::{System, TestDb, TestRedis};
use uuid::Uuid;

pub struct World {
    pub config: Config,
    pub db: TestDb,
    pub redis: TestRedis,
    pub keys: platform::redis::Keys,
    pub sandbox: Sandbox,
    _system: System,
    shutdown: Shutdown,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn quick() -> AccountingSettings {
    AccountingSettings {
        settle_delay: Duration::from_millis(300),
        poll_interval: Duration::from_millis(50),
        retry_max: Duration::from_secs(1),
    }
}

impl World {
    /// Accounting, and every service beside it, connects as its own Postgres role (testkit).
    pub async fn start(settings: AccountingSettings) -> anyhow::Result<World> {
        let db = TestDb::new().await?;
        let redis = TestRedis::new().await?;
        let config = System::config(&db.url, &redis.url, &redis.prefix)?;
        let system = System::start_with(
            crate::LAUNCH,
            &[Service::Order, Service::Payment, Service::KakaoSandbox],
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
        tokio::spawn(accounting::serve_with(
            config.clone(),
            settings,
            shutdown.clone(),
        ));
        for addr in [
            config.store.endpoints().ops_addr,
            config.accounting.endpoints().ops_addr,
        ] {
            testkit::until_serving(addr, Duration::from_secs(20)).await?;
        }
        let sandbox = Sandbox::new(&config);
        Ok(World {
            keys: redis.keys(),
            config,
            db,
            redis,
            sandbox,
            _system: system,
            shutdown,
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    pub fn store(&self) -> StoreServiceClient<Client> {
        let url = self.config.store.endpoints().url;
        let gateway = self
            .config
            .identity(platform::Service::Gateway)
            .expect("token");
        StoreServiceClient::new(platform::grpc::client(&gateway, &url).expect("store url"))
    }

    pub fn accounting(&self) -> AccountingServiceClient<Client> {
        let url = self.config.accounting.endpoints().url;
        let gateway = self
            .config
            .identity(platform::Service::Gateway)
            .expect("token");
        AccountingServiceClient::new(
            platform::grpc::client(&gateway, &url).expect("accounting url"),
        )
    }

    /// A store with its business day opened.
    pub async fn open_shop(&self, name: &str, login: &str) -> anyhow::Result<Shop> {
        let store_id = self
            .store()
            .create_store(store_pb::CreateStoreRequest {
                name: name.into(),
                login_id: login.into(),
                password: "s3cret-pass".into(),
                lat: 37.5,
                lng: 127.0,
                address: "서울특별시 강남구".into(),
                ..Default::default()
            })
            .await?
            .into_inner()
            .store
            .context("store")?
            .store_id;
        for action in [store_pb::DayAction::Ready, store_pb::DayAction::Open] {
            self.transition(&store_id, action).await?;
        }
        let day = self
            .store()
            .get_day(store_pb::GetDayRequest {
                store_id: store_id.clone(),
            })
            .await?
            .into_inner()
            .day
            .context("day")?;
        Ok(Shop {
            store_id: store_id.parse()?,
            day_id: day.day_business_id.parse()?,
            stream_key: day.stream_key,
        })
    }

    pub async fn transition(
        &self,
        store_id: &str,
        action: store_pb::DayAction,
    ) -> anyhow::Result<store_pb::TransitionDayResponse> {
        Ok(self
            .store()
            .transition_day(store_pb::TransitionDayRequest {
                store_id: store_id.into(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?
            .into_inner())
    }

    /// CLOSING then CLOSED; fails when the store refuses.
    pub async fn close(&self, shop: &Shop) -> anyhow::Result<()> {
        let id = shop.store_id.to_string();
        for action in [
            store_pb::DayAction::StartClosing,
            store_pb::DayAction::Close,
        ] {
            let answer = self.transition(&id, action).await?;
            if let Some(refusal) = answer.refusal {
                bail!("{action:?} refused: {}", refusal.message);
            }
        }
        Ok(())
    }

    pub fn stream(&self, shop: &Shop) -> String {
        self.keys.key(&shop.stream_key)
    }

    pub fn dedupe_key(&self, order_id: Uuid) -> String {
        self.keys.key(&format!("order:stream:{order_id}"))
    }

    pub async fn exists(&self, key: &str) -> bool {
        let mut conn = self.redis.conn.clone();
        redis::cmd("EXISTS")
            .arg(key)
            .query_async::<bool>(&mut conn)
            .await
            .expect("EXISTS")
    }

    /// The entry ids of the day stream.
    pub async fn stream_ids(&self, shop: &Shop) -> Vec<String> {
        let mut conn = self.redis.conn.clone();
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.stream(shop))
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .expect("XRANGE");
        reply.ids.into_iter().map(|e| e.id).collect()
    }

    /// Writes an order as the order service records it: the order, its lines and payment, and
    /// (for what reached the board) its store-day entries through the outbox, in one transaction;
    /// plus the entry dedupe key.
    pub async fn order(&self, shop: &Shop, order: &NewOrder) -> anyhow::Result<Uuid> {
        let id = Uuid::now_v7();
        let total: i64 = order.lines.iter().map(Line::total).sum();
        let status = order.status;
        let at = |s: &[&str]| s.contains(&status).then_some(order.placed_at);
        let paid = matches!(status, "PLACED" | "READY" | "CANCELED");
        let canceled = status == "CANCELED";
        let record = order::testing::Order {
            id,
            store_id: shop.store_id,
            day_business_id: shop.day_id,
            status,
            nickname: order.nickname.clone(),
            customer_nickname: Some(order.nickname.clone()),
            total,
            tid: order.tid.clone(),
            created_at: Some(order.placed_at - chrono::Duration::minutes(1)),
            approving_at: Some(order.placed_at - chrono::Duration::minutes(1)),
            placed_at: at(&["PLACED", "READY", "CANCELED"]),
            ready_at: at(&["READY"]).map(|t| t + chrono::Duration::minutes(5)),
            canceled_at: at(&["CANCELED"]).map(|t| t + chrono::Duration::minutes(3)),
            failed_at: at(&["FAILED"]),
            cancel_reason: canceled.then(|| "재료 소진".to_owned()),
            failure_reason: (status == "FAILED").then(|| "결제 승인 실패".to_owned()),
            lines: order
                .lines
                .iter()
                .map(|line| order::testing::Line {
                    item_id: line.item_id,
                    name: line.name.to_owned(),
                    unit_price: line.unit_price(),
                    quantity: line.quantity,
                    line_total: line.total(),
                    options: line
                        .option
                        .iter()
                        .map(|(name, price)| ((*name).to_owned(), *price))
                        .collect(),
                })
                .collect(),
            payment: order
                .tid
                .clone()
                .filter(|_| paid)
                .map(|tid| order::testing::Payment {
                    tid,
                    amount: total,
                    status: if canceled { "CANCELED" } else { "APPROVED" },
                    aid: Some("A1".to_owned()),
                    method: Some("MONEY".to_owned()),
                    approved_at: Some(order.placed_at),
                    canceled_at: canceled.then_some(order.placed_at),
                    canceled_amount: if canceled { total } else { 0 },
                    raw: Some(serde_json::json!({})),
                }),
        };
        let mut entries = Vec::new();
        if paid && order.stream.placed {
            entries.push(store_day_entry::Entry::Placed(StoreDayPlaced {
                order: Some(BoardOrder {
                    order_id: id.to_string(),
                    nickname: order.nickname.clone(),
                    lines: order.lines.iter().map(Line::cart_line).collect(),
                    total,
                    placed_at: Some(timestamp(order.placed_at)),
                }),
            }));
        }
        if status == "READY" && order.stream.finished {
            entries.push(store_day_entry::Entry::Ready(StoreDayReady {
                order_id: id.to_string(),
                nickname: order.nickname.clone(),
                ready_at: Some(timestamp(order.placed_at)),
            }));
        }
        if status == "CANCELED" && order.stream.finished {
            entries.push(store_day_entry::Entry::Canceled(StoreDayCanceled {
                order_id: id.to_string(),
                nickname: order.nickname.clone(),
                reason: "재료 소진".into(),
                refunded_amount: total,
                canceled_at: Some(timestamp(order.placed_at)),
                by_customer: false,
            }));
        }
        let entries: Vec<StoreDayEntry> = entries
            .into_iter()
            .map(|entry| StoreDayEntry {
                store_id: shop.store_id.to_string(),
                day_business_id: shop.day_id.to_string(),
                entry: Some(entry),
            })
            .collect();
        order::testing::insert(self.pool(), &record, &shop.stream_key, &entries).await?;
        if paid {
            let mut conn = self.redis.conn.clone();
            redis::cmd("SET")
                .arg(self.dedupe_key(id))
                .arg("1")
                .query_async::<()>(&mut conn)
                .await?;
        }
        Ok(id)
    }

    /// The board's 완료: the order becomes READY with its store-day entry, in one transaction.
    pub async fn mark_ready(&self, shop: &Shop, order_id: Uuid) -> anyhow::Result<()> {
        let entry = StoreDayEntry {
            store_id: shop.store_id.to_string(),
            day_business_id: shop.day_id.to_string(),
            entry: Some(store_day_entry::Entry::Ready(StoreDayReady {
                order_id: order_id.to_string(),
                nickname: "손님".into(),
                ready_at: Some(timestamp(Utc::now())),
            })),
        };
        order::testing::mark_ready(self.pool(), order_id, &shop.stream_key, &[entry]).await?;
        Ok(())
    }

    /// Waits until the day's report is no longer pending; its summary.
    pub async fn reconciled(
        &self,
        shop: &Shop,
    ) -> anyhow::Result<contracts::accounting::v1::ReportSummary> {
        use contracts::accounting::v1 as pb;
        testkit::eventually(Duration::from_secs(15), || async {
            let reports = self
                .accounting()
                .list_reports(pb::ListReportsRequest {
                    store_id: shop.store_id.to_string(),
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .reports;
            reports.into_iter().find(|r| {
                r.day_business_id == shop.day_id.to_string()
                    && r.status != pb::ReportStatus::Pending as i32
            })
        })
        .await
        .context("the day was never reconciled")
    }

    /// Waits until the relay has published `n` entries to the day stream after its `opened`
    /// entry.
    pub async fn wait_stream(&self, shop: &Shop, n: usize) -> anyhow::Result<()> {
        testkit::eventually(Duration::from_secs(10), || async {
            (self.stream_ids(shop).await.len() == n + 1).then_some(())
        })
        .await
        .with_context(|| format!("the day stream never held {n} entries"))
    }

    /// Everything accounting wrote for a day, as text rows, to compare before and after.
    pub async fn snapshot(&self, day_id: Uuid) -> Vec<String> {
        let queries = [
            "SELECT to_jsonb(a)::text FROM accounting_day_business a WHERE day_business_id = $1",
            "SELECT to_jsonb(o)::text FROM accounting_order o WHERE day_business_id = $1 \
             ORDER BY order_id",
            "SELECT to_jsonb(l)::text FROM accounting_order_line l WHERE day_business_id = $1 \
             ORDER BY line_id",
            "SELECT to_jsonb(h)::text FROM order_history h WHERE day_business_id = $1 \
             ORDER BY stream_id",
        ];
        let mut rows = Vec::new();
        for query in queries {
            let found: Vec<String> = sqlx::query_scalar(query)
                .bind(day_id)
                .fetch_all(self.pool())
                .await
                .expect("snapshot query");
            rows.extend(found);
        }
        rows
    }
}

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

pub struct Shop {
    pub store_id: Uuid,
    pub day_id: Uuid,
    /// Logical (without the prefix).
    pub stream_key: String,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub item_id: Uuid,
    pub name: &'static str,
    pub price: i64,
    pub quantity: i32,
    pub option: Option<(&'static str, i64)>,
}

impl Line {
    pub fn new(item_id: Uuid, name: &'static str, price: i64, quantity: i32) -> Line {
        Line {
            item_id,
            name,
            price,
            quantity,
            option: None,
        }
    }

    pub fn with_option(mut self, name: &'static str, price: i64) -> Line {
        self.option = Some((name, price));
        self
    }

    fn unit_price(&self) -> i64 {
        self.price + self.option.map_or(0, |(_, p)| p)
    }

    pub fn total(&self) -> i64 {
        self.unit_price() * i64::from(self.quantity)
    }

    fn cart_line(&self) -> contracts::CartLine {
        contracts::CartLine {
            line_id: Uuid::now_v7().to_string(),
            item_id: self.item_id.to_string(),
            item_name: self.name.into(),
            options: self
                .option
                .iter()
                .map(|(name, price)| contracts::LineOption {
                    name: (*name).into(),
                    price: *price,
                    ..Default::default()
                })
                .collect(),
            quantity: u32::try_from(self.quantity).unwrap_or_default(),
            unit_price: self.unit_price(),
            line_total: self.total(),
        }
    }
}

/// Which store-day entries an order left in the stream.
#[derive(Debug, Clone, Copy)]
pub struct Entries {
    pub placed: bool,
    /// The ready or canceled entry.
    pub finished: bool,
}

pub const ALL_ENTRIES: Entries = Entries {
    placed: true,
    finished: true,
};

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub status: &'static str,
    pub nickname: String,
    pub lines: Vec<Line>,
    pub tid: Option<String>,
    pub placed_at: DateTime<Utc>,
    pub stream: Entries,
}

impl NewOrder {
    pub fn new(
        status: &'static str,
        tid: &str,
        placed_at: DateTime<Utc>,
        lines: Vec<Line>,
    ) -> NewOrder {
        NewOrder {
            status,
            nickname: format!("손님 {}", &tid[tid.len().saturating_sub(4)..]),
            lines,
            tid: Some(tid.to_owned()),
            placed_at,
            stream: ALL_ENTRIES,
        }
    }
}

pub fn total(lines: &[Line]) -> i64 {
    lines.iter().map(Line::total).sum()
}
