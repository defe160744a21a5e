//! The chaos suite: SimpleOrder started as separate processes on a private Postgres and Redis,
//! orders driven through the public paths at a fixed rate while faults are injected one
//! scenario at a time and then together, and afterwards KakaoPay's ledger, Postgres and every
//! store's board reconciled into a table. See the README's "The chaos suite".

pub mod board;
pub mod customer;
pub mod driver;
pub mod faults;
pub mod plan;
pub mod reconcile;
pub mod report;
pub mod servers;
pub mod system;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures::future::join_all;
use serde_json::json;
use tokio::sync::watch;

use board::{Board, Staff};
use customer::Shop;
use faults::{DeadLetters, Lab};
use plan::{Form, Plan};
use servers::Postgres;
use system::System;

const PREFIX: &str = "so:";
/// Stores besides the demo café, each with its own board.
const EXTRA_STORES: usize = 2;
const STORE_PASSWORD: &str = "chaos-store-1234";

pub struct Options {
    pub form: Form,
    /// Orders per second instead of the form's.
    pub rate: Option<f64>,
    /// The `simpleorder` binary.
    pub simpleorder: PathBuf,
    /// Keep the run's folder (logs, data) even when it passes.
    pub keep: bool,
}

/// Runs the suite; true when nothing was lost.
pub async fn run(options: Options) -> anyhow::Result<bool> {
    let dir = std::env::temp_dir().join(format!("so-chaos-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "chaos: {:?} form; logs and data in {}",
        options.form,
        dir.display()
    );
    let started = std::time::Instant::now();
    let passed = run_in(&options, &dir).await;
    println!("chaos: {:.0?} in all", started.elapsed());
    match &passed {
        Ok(true) if !options.keep => {
            let _ = std::fs::remove_dir_all(&dir);
        }
        _ => println!(
            "chaos: kept {} (services.log, sandbox.log, report.txt)",
            dir.display()
        ),
    }
    passed
}

async fn run_in(options: &Options, dir: &std::path::Path) -> anyhow::Result<bool> {
    let mut plan = Plan::of(options.form);
    if let Some(rate) = options.rate {
        plan.rate = rate;
    }
    let postgres = tokio::task::block_in_place(|| Postgres::start(&dir.join("pg")))?;
    let redis = testkit::TestRedisServer::start_in(&dir.join("redis")).await?;
    let database_url = postgres.url("simpleorder");
    let mut system = System::new(&options.simpleorder, dir, &database_url, &redis.url())?;
    let shops = tokio::task::block_in_place(|| create_stores(&system))?;
    system.start_sandbox().await?;
    system.start_services().await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(5))
        .build()?;
    let mut ready = Vec::new();
    for shop in shops {
        ready.push(open_store(&http, &system.gateway, shop).await?);
    }
    let shops = Arc::new(ready);
    println!(
        "chaos: {} stores open, ordering {}/s",
        shops.len(),
        plan.rate
    );

    let lab = Arc::new(Lab {
        gateway: system.gateway.clone(),
        sandbox: system.sandbox.clone(),
        system: tokio::sync::Mutex::new(system),
        redis: tokio::sync::Mutex::new(redis),
        postgres,
        http: http.clone(),
        dead: DeadLetters::new(PREFIX),
        log: Mutex::new(Vec::new()),
    });

    let mut boards = Vec::new();
    for shop in shops.iter() {
        let board = Arc::new(Mutex::new(Board::default()));
        let staff = Staff::new(&http, &lab.gateway, &shop.login, &shop.password);
        let task = tokio::spawn(board::follow(staff, board.clone()));
        boards.push((shop.clone(), board, task));
    }
    let watcher = tokio::spawn(watch_over(lab.clone()));

    let attempts = Arc::new(Mutex::new(Vec::new()));
    let (scenario, label) = watch::channel(plan::CALM.to_owned());
    let driver = tokio::spawn(
        driver::Driver {
            http: http.clone(),
            gateway: lab.gateway.clone(),
            sandbox: lab.sandbox.clone(),
            shops: shops.clone(),
            attempts: attempts.clone(),
        }
        .run(plan.rate, label),
    );

    let mut order: Vec<String> = Vec::new();
    for step in &plan.steps {
        println!("chaos: {} ({:?})", step.name, step.window);
        scenario.send_replace(step.name.to_owned());
        if !order.iter().any(|n| n == step.name) {
            order.push(step.name.to_owned());
        }
        let started = tokio::time::Instant::now();
        let injected = join_all(
            step.faults
                .iter()
                .map(|fault| lab.inject(*fault, step.window, step.name, &shops[0])),
        )
        .await;
        for result in injected {
            if let Some(attempt) = result? {
                attempts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(attempt);
            }
        }
        tokio::time::sleep(step.window.saturating_sub(started.elapsed())).await;
    }

    println!("chaos: load stopped; waiting for the customers still on their way");
    drop(scenario);
    driver.await?;
    lab.calm().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&database_url)
        .await?;
    println!(
        "chaos: waiting for every payment to settle (stuck: no progress for {:?})",
        system::SETTLE_BOUND
    );
    let settled_in = reconcile::settle(&pool, system::SETTLE_BOUND).await;
    // The last entries' way to the boards: outbox, relay, stream, socket.
    let deadline = tokio::time::Instant::now() + system::BOARD_BOUND;
    loop {
        let live: HashMap<String, board::Shown> = boards
            .iter()
            .map(|(shop, board, _)| {
                let shown = board
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .shown
                    .clone();
                (shop.store_id.clone(), shown)
            })
            .collect();
        let missing = reconcile::missing_from_boards(&pool, &live).await?;
        if missing == 0 || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    watcher.abort();

    let mut shown_by_store = HashMap::new();
    for (shop, live, task) in boards {
        task.abort();
        let live = live.lock().unwrap_or_else(|p| p.into_inner()).shown.clone();
        let mut staff = Staff::new(&http, &lab.gateway, &shop.login, &shop.password);
        let reloaded = board::reload(&mut staff)
            .await
            .with_context(|| format!("reloading store {}'s board", shop.store_id))?;
        shown_by_store.insert(shop.store_id.clone(), (live, reloaded));
    }
    lab.dead.poll(&lab.redis.lock().await.url()).await;

    let attempts = attempts.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let ledger = reconcile::ledger(&http, &lab.sandbox).await?;
    // Every customer's way, for finding a loss in the logs by its tid.
    let mut lines = String::new();
    for attempt in &attempts {
        lines += &format!(
            "{}\t{}\t{:?}\t{}\t{:?}\n",
            attempt.scenario,
            attempt.store_id,
            attempt.tids,
            faults::describe(&attempt.outcome),
            attempt.pages
        );
    }
    std::fs::write(dir.join("attempts.tsv"), lines)?;
    let orders = reconcile::orders(&pool).await?;
    let stuck_refunds = reconcile::stuck_payments(&pool).await?;
    let result = reconcile::reconcile(
        &reconcile::Records {
            attempts: &attempts,
            ledger: &ledger,
            orders: &orders,
            stuck_refunds: &stuck_refunds,
            boards: &shown_by_store,
        },
        &order,
    );
    let mut events = lab.log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    {
        let system = lab.system.lock().await;
        events.push(format!(
            "services process started {} times; it died on its own {} times",
            system.starts(),
            system.unplanned_exits
        ));
    }
    let text = report::render(
        &result,
        &report::Extras {
            dead_letters: &lab.dead.by_reason(),
            customer_errors: &reconcile::customer_errors(&attempts),
            events: &events,
            settled_in,
        },
    );
    println!("{text}");
    std::fs::write(dir.join("report.txt"), &text)?;
    pool.close().await;
    lab.system.lock().await.stop();
    Ok(result.total.losses().iter().all(|(_, n)| *n == 0))
}

/// Restarts the services process whenever it died on its own, and reads the dead letters.
async fn watch_over(lab: Arc<Lab>) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        let url = lab.redis.lock().await.url();
        lab.dead.poll(&url).await;
        let revived = lab.system.lock().await.revive_if_dead().await;
        match revived {
            Ok(true) => println!("  · the services process had died on its own; started again"),
            Ok(false) => {}
            Err(e) => println!("  · the services process could not be started again: {e:#}"),
        }
    }
}

/// The demo café and a few more stores, made with the `simpleorder` admin commands.
pub fn create_stores(system: &System) -> anyhow::Result<Vec<(String, String, String)>> {
    system.admin(&["migrate"], None)?;
    let demo = system.admin(&["demo"], None)?;
    // `demo store "NAME" (ID): login LOGIN / password PASSWORD`
    let id = demo
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(id, _)| id.to_owned())
        .with_context(|| format!("the demo's id in {demo:?}"))?;
    let login = demo
        .split_once(": login ")
        .and_then(|(_, rest)| rest.split_once(" / password "))
        .map(|(login, password)| (login.to_owned(), password.trim().to_owned()))
        .with_context(|| format!("the demo's login in {demo:?}"))?;
    let mut stores = vec![(id, login.0, login.1)];
    for n in 1..=EXTRA_STORES {
        let login = format!("chaos{n}");
        let name = format!("카오스 분식 {n}호점");
        let id = system.admin(
            &["store", "create", "--name", &name, "--login", &login],
            Some(&format!("{STORE_PASSWORD}\n")),
        )?;
        stores.push((id.trim().to_owned(), login, STORE_PASSWORD.to_owned()));
    }
    Ok(stores)
}

/// Gives a new store a small menu (the demo café has its own) and opens its business day,
/// through the store API as its staff would.
pub async fn open_store(
    http: &reqwest::Client,
    gateway: &str,
    (store_id, login, password): (String, String, String),
) -> anyhow::Result<Shop> {
    let mut staff = Staff::new(http, gateway, &login, &password);
    let mut menu = staff.api(reqwest::Method::GET, "/menu", None).await?;
    if menu["items"]
        .as_array()
        .is_none_or(|items| items.is_empty())
    {
        let category = staff
            .api(
                reqwest::Method::POST,
                "/menu/categories",
                Some(json!({ "name": "분식" })),
            )
            .await?;
        for (name, price) in [("떡볶이", 4500), ("김밥", 3500), ("순대", 5000)] {
            staff
                .api(
                    reqwest::Method::POST,
                    "/menu/items",
                    Some(json!({ "name": name, "price": price, "category_ids": [category["id"]] })),
                )
                .await?;
        }
        menu = staff.api(reqwest::Method::GET, "/menu", None).await?;
    }
    let items = customer::simple_items(&menu)?;
    for action in ["ready", "open"] {
        staff
            .api(
                reqwest::Method::POST,
                "/day",
                Some(json!({ "action": action })),
            )
            .await?;
    }
    Ok(Shop {
        store_id,
        login,
        password,
        items,
    })
}
