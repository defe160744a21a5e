//! The faults, each injected at a random moment of its scenario's window: the services process
//! SIGKILLed and restarted, Redis killed and restarted empty, Postgres restarted in immediate
//! mode, KakaoPay slow past the client deadline or answering 5xx, the Event API down, and
//! bursts of 100 identical 결제하기 requests and approval-URL visits.

use std::collections::BTreeMap;
use std::sync::Mutex as SyncMutex;
use std::time::Duration;

use anyhow::Context;
use futures::future::join_all;
use rand::Rng;
use serde_json::json;
use testkit::TestRedisServer;
use tokio::sync::Mutex;

use crate::customer::{Attempt, Customer, Outcome, Shop};
use crate::servers::Postgres;
use crate::system::System;

/// KakaoPay's slowest client deadline is approve's 8 s; this is past it.
const KAKAOPAY_SLOW: Duration = Duration::from_secs(9);
/// Identical requests in a replay burst.
const BURST: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    KillServices,
    WipeRedis,
    RestartPostgres,
    KakaoPaySlow,
    KakaoPay5xx,
    EventApiDown,
    Replays,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::KillServices => "SIGKILL services",
            Fault::WipeRedis => "Redis lost",
            Fault::RestartPostgres => "Postgres immediate restart",
            Fault::KakaoPaySlow => "KakaoPay slow",
            Fault::KakaoPay5xx => "KakaoPay 5xx burst",
            Fault::EventApiDown => "Event API down",
            Fault::Replays => "100x replays",
        }
    }
}

/// Everything a fault acts on.
pub struct Lab {
    pub system: Mutex<System>,
    pub redis: Mutex<TestRedisServer>,
    pub postgres: Postgres,
    pub http: reqwest::Client,
    pub sandbox: String,
    pub gateway: String,
    pub dead: DeadLetters,
    /// What happened, in order, for the report.
    pub log: SyncMutex<Vec<String>>,
}

impl Lab {
    fn note(&self, line: String) {
        println!("  · {line}");
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }

    /// Turns every KakaoPay and Event API fault off.
    pub async fn calm(&self) {
        for path in ["/sandbox/faults", "/sandbox/events/faults"] {
            let _ = self
                .http
                .delete(format!("{}{path}", self.sandbox))
                .send()
                .await;
        }
    }

    async fn sandbox_post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}{path}", self.sandbox))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        Ok(())
    }

    /// Injects `fault` somewhere in the first half of `window`; what it adds to the attempts
    /// (the replay burst's customer).
    pub async fn inject(
        &self,
        fault: Fault,
        window: Duration,
        scenario: &str,
        shop: &Shop,
    ) -> anyhow::Result<Option<Attempt>> {
        let offset = rand::rng().random_range(0..=window.as_millis() as u64 / 2);
        tokio::time::sleep(Duration::from_millis(offset)).await;
        match fault {
            Fault::KillServices => {
                let mut system = self.system.lock().await;
                system.kill_services();
                self.note(format!(
                    "{scenario}: services process SIGKILLed at +{offset} ms"
                ));
                system.start_services().await?;
                self.note(format!("{scenario}: services process ready again"));
            }
            Fault::WipeRedis => {
                // What dead letters there are would go with the data.
                self.dead.poll(&self.redis_url().await).await;
                self.redis.lock().await.restart().await?;
                self.note(format!(
                    "{scenario}: Redis killed and restarted empty at +{offset} ms"
                ));
            }
            Fault::RestartPostgres => {
                tokio::task::block_in_place(|| self.postgres.restart_immediate())?;
                self.note(format!(
                    "{scenario}: Postgres restarted -m immediate at +{offset} ms"
                ));
            }
            Fault::KakaoPaySlow => {
                let ms = KAKAOPAY_SLOW.as_millis() as u64;
                self.sandbox_post("/sandbox/faults", json!({ "latency_ms": ms }))
                    .await?;
                self.note(format!("{scenario}: KakaoPay answers {ms} ms late"));
                tokio::time::sleep(window / 2).await;
                self.sandbox_post("/sandbox/faults", json!({ "latency_ms": 0 }))
                    .await?;
                self.note(format!("{scenario}: KakaoPay on time again"));
            }
            Fault::KakaoPay5xx => {
                let five = |n: usize| vec!["5xx"; n];
                self.sandbox_post(
                    "/sandbox/faults",
                    json!({
                        "next_approve": five(8),
                        "next_order": five(4),
                        "next_ready": five(3),
                        "next_cancel": five(2),
                    }),
                )
                .await?;
                self.note(format!(
                    "{scenario}: KakaoPay 5xx burst queued (8 approve, 4 order, 3 ready, 2 cancel)"
                ));
            }
            Fault::EventApiDown => {
                self.sandbox_post("/sandbox/events/faults", json!({ "always": "5xx" }))
                    .await?;
                self.note(format!("{scenario}: Event API down for {:?}", window / 2));
                tokio::time::sleep(window / 2).await;
                let _ = self
                    .http
                    .delete(format!("{}/sandbox/events/faults", self.sandbox))
                    .send()
                    .await;
                self.note(format!("{scenario}: Event API back"));
            }
            Fault::Replays => return Ok(Some(self.replays(scenario, shop).await)),
        }
        Ok(None)
    }

    async fn redis_url(&self) -> String {
        self.redis.lock().await.url()
    }

    /// One customer whose 결제하기 is sent 100 times at once, who then pays, and whose browser
    /// opens the approval URL 100 times at once.
    async fn replays(&self, scenario: &str, shop: &Shop) -> Attempt {
        let customer = Customer::new(&self.http, &self.gateway, &self.sandbox);
        let mut attempt = Attempt {
            scenario: scenario.to_owned(),
            store_id: shop.store_id.clone(),
            tids: Default::default(),
            pages: Vec::new(),
            outcome: Outcome::Pending,
        };
        let result: Result<Outcome, Outcome> = async {
            let cart = customer.add(&shop.store_id, &shop.items[0]).await?;
            let request = customer.pay_request(&cart);
            let answers = join_all((0..BURST).map(|_| customer.pay(request.clone()))).await;
            let tids: Vec<String> = answers.iter().filter_map(|a| a.clone().ok()).collect();
            attempt.tids.extend(tids.iter().cloned());
            let mut refused: BTreeMap<String, usize> = BTreeMap::new();
            for answer in &answers {
                if let Err(outcome) = answer {
                    *refused.entry(describe(outcome)).or_default() += 1;
                }
            }
            self.note(format!(
                "{scenario}: {BURST} identical 결제하기 requests → {} distinct payments in {} answers; \
                 the other answers: {refused:?}",
                attempt.tids.len(),
                tids.len(),
            ));
            let tid = tids.last().cloned().ok_or_else(|| {
                answers
                    .into_iter()
                    .find_map(Result::err)
                    .unwrap_or(Outcome::Pending)
            })?;
            let approval = customer.approve_on_page(&tid).await?;
            let pages = join_all((0..BURST).map(|_| customer.result_once(&approval))).await;
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for page in &pages {
                *seen.entry(describe(page)).or_default() += 1;
            }
            self.note(format!(
                "{scenario}: {BURST} visits of one approval URL → {seen:?}"
            ));
            let (outcome, pages) = customer.open_result(&approval).await;
            attempt.pages = pages;
            Ok(outcome)
        }
        .await;
        attempt.outcome = result.unwrap_or_else(|e| e);
        attempt
    }
}

pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Placed => "placed".into(),
        Outcome::Pending => "pending".into(),
        Outcome::Error { step, seen } => format!("{step}: {seen}"),
    }
}

/// The `x:dead` stream, read often enough that a Redis wipe does not hide what it held.
pub struct DeadLetters {
    key: String,
    seen: SyncMutex<BTreeMap<(String, String, String), String>>,
}

impl DeadLetters {
    pub fn new(prefix: &str) -> DeadLetters {
        DeadLetters {
            key: platform::redis::Keys::new(prefix).dead_letters(),
            seen: SyncMutex::new(BTreeMap::new()),
        }
    }

    pub async fn poll(&self, redis_url: &str) {
        let _ = tokio::time::timeout(Duration::from_secs(3), self.read(redis_url)).await;
    }

    async fn read(&self, redis_url: &str) -> anyhow::Result<()> {
        let client = redis::Client::open(redis_url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(&self.key)
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .context("XRANGE x:dead")?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        for entry in reply.ids {
            let field = |name: &str| entry.get::<String>(name).unwrap_or_default();
            let event = field("orig_event_id");
            let key = (
                field("group"),
                if event.is_empty() {
                    entry.id.clone()
                } else {
                    event
                },
                field("stream"),
            );
            seen.insert(key, field("reason"));
        }
        Ok(())
    }

    /// Dead letters by consumer group and reason.
    pub fn by_reason(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for ((group, _, _), reason) in self.seen.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            *counts.entry(format!("{group}: {reason}")).or_default() += 1;
        }
        counts
    }
}
