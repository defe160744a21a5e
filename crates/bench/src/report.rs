//! The run: start the system, measure P4 (start and idle), P1 (skills), P2 (orders), P3
//! (boards), P4 again (after load, after drain), then the SQL floor with the services stopped;
//! and the table of figures and targets.

use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chaos::board::Staff;
use chaos::servers::Postgres;
use chaos::system::System;

use crate::boards::Boards;
use crate::load;
use crate::orders::{self, Template, Way};
use crate::probe::{self, Counters, Probe, rss_mb};
use crate::skills::Mix;
use crate::stats::{Samples, count, ms};

/// One line of the table.
struct Row {
    figure: String,
    measured: String,
    target: &'static str,
    /// None when the figure has no target of its own.
    met: Option<bool>,
}

#[derive(Default)]
struct Table(Vec<(String, Vec<Row>)>);

impl Table {
    fn section(&mut self, name: &str) {
        println!("bench: {name}");
        self.0.push((name.to_owned(), Vec::new()));
    }

    fn row(
        &mut self,
        figure: impl Into<String>,
        measured: String,
        target: &'static str,
        met: Option<bool>,
    ) {
        let row = Row {
            figure: figure.into(),
            measured,
            target,
            met,
        };
        println!("  {:<44} {}", row.figure, row.measured);
        if let Some((_, rows)) = self.0.last_mut() {
            rows.push(row);
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{:<46} {:<54} {:<30} met",
            "figure", "measured", "target"
        );
        for (name, rows) in &self.0 {
            let _ = writeln!(out, "── {name}");
            for row in rows {
                let met = match row.met {
                    Some(true) => "yes",
                    Some(false) => "NO",
                    None => "",
                };
                let _ = writeln!(
                    out,
                    "  {:<44} {:<54} {:<30} {met}",
                    row.figure, row.measured, row.target
                );
            }
        }
        out
    }
}

/// A part of the run, for `--part`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// P1: the skill mix.
    Skills,
    /// P2: orders, paid → PLACED, the SQL floor.
    Orders,
    /// P3: live boards.
    Boards,
}

/// The payments and Event API records the kakao-sandbox keeps (`SANDBOX_KEEP`): fewer than the
/// run makes, so its memory after load shows the bound rather than everything the run did.
const SANDBOX_KEEP: usize = 1_000;

/// What a run measures, and for how long.
struct Windows {
    parts: Vec<Part>,
    skills: Duration,
    low: Duration,
    saturation: Duration,
    floor: Duration,
    drain: Duration,
    boards: &'static [usize],
}

fn per_line(c: Counters) -> String {
    format!(
        "{:.2} PG xacts, {:.2} row writes, {:.1} Redis cmds",
        c.xacts, c.writes, c.redis
    )
}

/// CPU milliseconds: all, then services / sandbox / Postgres / Redis.
fn cpu_line(c: Counters) -> String {
    let ms = c.cpu.map(|s| s * 1000.0);
    format!(
        "{:.2} CPU ms (services {:.2}, sandbox {:.2}, PG {:.2}, Redis {:.2})",
        ms.iter().sum::<f64>(),
        ms[0],
        ms[1],
        ms[2],
        ms[3]
    )
}

pub async fn run(simpleorder: &Path, quick: bool, parts: &[Part]) -> anyhow::Result<String> {
    let parts = match parts {
        [] => vec![Part::Skills, Part::Orders, Part::Boards],
        some => some.to_vec(),
    };
    let windows = if quick {
        Windows {
            parts,
            skills: Duration::from_secs(4),
            low: Duration::from_secs(5),
            saturation: Duration::from_secs(8),
            floor: Duration::from_secs(5),
            drain: Duration::from_secs(10),
            boards: &[1_000],
        }
    } else {
        Windows {
            parts,
            skills: Duration::from_secs(10),
            low: Duration::from_secs(10),
            saturation: Duration::from_secs(15),
            floor: Duration::from_secs(10),
            drain: Duration::from_secs(30),
            boards: &[1_000, 10_000],
        }
    };
    anyhow::ensure!(
        simpleorder.exists(),
        "{} is missing: cargo build --release -p simpleorder",
        simpleorder.display()
    );
    let dir = std::env::temp_dir().join(format!("so-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    println!("bench: logs and data in {}", dir.display());
    let postgres = tokio::task::block_in_place(|| Postgres::start(&dir.join("pg")))?;
    let redis = testkit::TestRedisServer::start_in(&dir.join("redis")).await?;
    let database_url = postgres.url("simpleorder");
    let mut system = System::new(simpleorder, &dir, &database_url, &redis.url())?;
    // One staff session holds every board of P3, all on one store.
    system.set_env("LIVE_MAX_SOCKETS_PER_SESSION", "20000");
    system.set_env("LIVE_MAX_SOCKETS_PER_STORE", "20000");
    system.set_env("RUST_LOG", "warn");
    system.set_env("SANDBOX_KEEP", &SANDBOX_KEEP.to_string());
    let mut created = tokio::task::block_in_place(|| chaos::create_stores(&system))?;
    // The boards' store, so its day holds exactly the orders P3 puts there.
    let board_login = "benchboard";
    let board_password = "bench-board-1234";
    let board_store = system.admin(
        &[
            "store",
            "create",
            "--name",
            "벤치 보드점",
            "--login",
            board_login,
        ],
        Some(&format!("{board_password}\n")),
    )?;
    created.push((
        board_store.trim().to_owned(),
        board_login.into(),
        board_password.into(),
    ));
    let ports = (postgres.port, redis.port);
    let result = measure(
        &mut system,
        &database_url,
        &redis.url(),
        ports,
        created,
        &windows,
        &dir,
    )
    .await;
    drop(system);
    drop(redis);
    drop(postgres);
    let table = result?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(table)
}

async fn measure(
    system: &mut System,
    database_url: &str,
    redis_url: &str,
    (pg_port, redis_port): (u16, u16),
    created: Vec<(String, String, String)>,
    w: &Windows,
    dir: &Path,
) -> anyhow::Result<String> {
    let mut table = Table::default();
    let mut probe = Probe::new(database_url, redis_url).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(512)
        .build()?;

    // ── P4: start and idle
    table.section("P4 memory and start");
    system.start_sandbox().await?;
    let started = Instant::now();
    system.start_services().await?;
    let ready = started.elapsed();
    let (services, sandbox) = system.pids();
    let (services, sandbox) = (
        services.context("services pid")?,
        sandbox.context("sandbox pid")?,
    );
    probe.processes = probe::Processes {
        services,
        sandbox,
        postgres: format!("-p {pg_port} "),
        redis: format!("127.0.0.1:{redis_port}"),
    };
    let mut shops = Vec::new();
    for store in created {
        shops.push(chaos::open_store(&http, &system.gateway, store).await?);
    }
    let board_shop = shops.pop().context("the boards' store")?;
    let shops = Arc::new(shops);
    table.row("ready time (spawn → every /readyz)", ms(ready), "", None);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_services = rss_mb(services);
    let idle_sandbox = rss_mb(sandbox);
    table.row(
        "idle RSS, all services in one process",
        format!("{idle_services:.0} MB"),
        "",
        None,
    );
    table.row(
        "idle RSS, kakao-sandbox",
        format!("{idle_sandbox:.0} MB"),
        "",
        None,
    );
    let before = probe.read().await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = (probe.read().await? - before).rate();
    table.row(
        "idle background work per second",
        format!("{:.1} PG xacts, {:.1} Redis cmds", idle.xacts, idle.redis),
        "",
        None,
    );
    table.row("  idle CPU per second", cpu_line(idle), "", None);

    let way = Way {
        http: http.clone(),
        gateway: system.gateway.clone(),
        sandbox: system.sandbox.clone(),
    };
    let mut saturated = None;
    let mut after_orders = 0.0;
    if w.parts.contains(&Part::Skills) {
        // ── P1: skills
        table.section("P1 skill mix (menu, item, cart, orders) through the gateway");
        let mix = Arc::new(Mix::prepare(&http, &system.gateway, &system.sandbox, &shops[0]).await?);
        load::closed_loop(8, Duration::from_secs(2), mix.caller(&http)).await;
        let before = probe.read().await?;
        let mut max = load::closed_loop(32, w.skills, mix.caller(&http)).await;
        let cost = probe::net_per(probe.read().await? - before, idle, max.ok.len() as f64);
        table.row(
            "max (32 callers) req/s",
            format!("{} req/s, {} errors", count(max.rate()), max.errors),
            "≥ 4,000 req/s",
            Some(max.rate() >= 4000.0),
        );
        table.row("  latency at max", max.ok.summary(), "", None);
        let mut open = load::open_loop(1000.0, w.skills, mix.caller(&http)).await;
        let p99 = open.ok.quantile(0.99);
        table.row(
            "open loop 1,000 req/s latency",
            format!("{} ({} errors)", open.ok.summary(), open.errors),
            "p99 ≤ 10 ms",
            Some(p99 <= Duration::from_millis(10) && open.errors == 0),
        );
        table.row(
            "work per skill call",
            per_line(cost),
            "0 writes, ≤ 1 PG round trip",
            Some(cost.writes < 0.05 && cost.xacts <= 1.05),
        );
        table.row("  CPU per skill call", cpu_line(cost), "", None);
        let (bare_process, bare_url) = crate::spawn_bare(&mix.menu_answer, dir)?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let bare = Arc::new(mix.against(&system.gateway, &bare_url));
        load::closed_loop(8, Duration::from_secs(1), bare.caller(&http)).await;
        let mut bare_max = load::closed_loop(32, w.skills, bare.caller(&http)).await;
        table.row(
            "bare axum, same JSON: max req/s",
            format!(
                "{} req/s ({})",
                count(bare_max.rate()),
                bare_max.ok.summary()
            ),
            "",
            None,
        );
        let mut bare_open = load::open_loop(1000.0, w.skills, bare.caller(&http)).await;
        table.row(
            "bare axum: open loop 1,000 req/s",
            bare_open.ok.summary(),
            "",
            None,
        );
        drop(bare_process);
    }
    if w.parts.contains(&Part::Orders) {
        // ── P2: orders
        table.section("P2 orders through the public paths");
        orders::drive(&way, &shops, 4, Duration::from_secs(2)).await;
        let mut low = orders::drive(&way, &shops, 4, w.low).await;
        table.row(
            "4 customers: orders/s",
            format!("{:.0}/s, {} failed", low.run.rate(), low.run.errors),
            "",
            None,
        );
        let (p50, p99) = (
            low.paid_to_placed.quantile(0.5),
            low.paid_to_placed.quantile(0.99),
        );
        table.row(
            "  paid → PLACED at low load",
            format!("p50 {} p99 {}", ms(p50), ms(p99)),
            "p50 ≤ 15 ms, p99 ≤ 40 ms",
            Some(p50 <= Duration::from_millis(15) && p99 <= Duration::from_millis(40)),
        );
        for customers in [16, 64] {
            let before = probe.read().await?;
            let mut run = orders::drive(&way, &shops, customers, w.saturation).await;
            let cost = probe::net_per(probe.read().await? - before, idle, run.run.ok.len() as f64);
            let rate = run.run.rate();
            table.row(
                format!("{customers} customers: orders/s"),
                format!("{rate:.0}/s, {} failed", run.run.errors),
                if customers == 64 {
                    "≥ 400 orders/s"
                } else {
                    ""
                },
                (customers == 64).then_some(rate >= 400.0),
            );
            table.row(
                "  paid → PLACED",
                format!(
                    "p50 {} p99 {}",
                    ms(run.paid_to_placed.quantile(0.5)),
                    ms(run.paid_to_placed.quantile(0.99))
                ),
                "",
                None,
            );
            if let Some(error) = &run.first_error {
                table.row(
                    "  first failure",
                    error.chars().take(40).collect(),
                    "",
                    None,
                );
            }
            if customers == 64 {
                table.row("  work per order", per_line(cost), "", None);
                table.row("  CPU per order", cpu_line(cost), "", None);
                saturated = Some(rate);
            }
        }
        if let Some(error) = &low.first_error {
            table.row(
                "  first failure at low load",
                error.chars().take(40).collect(),
                "",
                None,
            );
        }

        after_orders = rss_mb(services);
    }
    if w.parts.contains(&Part::Boards) {
        // ── P3: boards
        table.section("P3 live boards of one store (a 200-order day)");
        let filled = orders::fill_day(&way, &board_shop, 200, 16).await;
        table.row(
            "orders on the boards' day",
            filled.to_string(),
            "200",
            Some(filled == 200),
        );
        let mut staff = Staff::new(
            &http,
            &system.gateway,
            &board_shop.login,
            &board_shop.password,
        );
        let cookie = staff.cookie().await?;
        for &count_boards in w.boards {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let rss_before = rss_mb(services);
            let boards = Boards::open(count_boards, &system.gateway, &cookie);
            let caught = boards
                .all_caught_up(count_boards, Duration::from_secs(90))
                .await;
            let refused = boards
                .seen
                .refused
                .load(std::sync::atomic::Ordering::Relaxed);
            let unavailable = boards
                .seen
                .unavailable
                .load(std::sync::atomic::Ordering::Relaxed);
            let n = count(count_boards as f64);
            table.row(
                format!("{n} boards at once: all caught up"),
                match caught {
                    Some(took) => format!(
                        "in {}; {refused} refused ({unavailable} 잠시 불러올 수 없습니다)",
                        ms(took)
                    ),
                    None => format!(
                        "NOT within 90 s: {} caught up; {refused} refused",
                        boards
                            .seen
                            .caught_up
                            .load(std::sync::atomic::Ordering::Relaxed)
                    ),
                },
                "all, none refused",
                Some(caught.is_some() && refused == 0),
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
            let per_board = (rss_mb(services) - rss_before) * 1024.0 / count_boards as f64;
            table.row(
                format!("  RSS per board ({n})"),
                format!(
                    "{per_board:.0} KB (+{:.0} MB)",
                    per_board * count_boards as f64 / 1024.0
                ),
                "10,000 ≤ 300 MB above idle",
                (count_boards == 10_000)
                    .then_some(caught.is_some() && per_board * 10_000.0 / 1024.0 <= 300.0),
            );
            let mut delays = Samples::default();
            let mut missing = 0;
            for _ in 0..5 {
                let since = chrono_now(&probe).await?;
                if way.order(&board_shop, &board_shop.items[0]).await.is_err() {
                    missing += count_boards;
                    continue;
                }
                let placed: (String, f64) = sqlx::query_as(
                    "SELECT id::text, extract(epoch FROM placed_at)::float8 FROM customer_order \
                     WHERE store_id = $1::uuid AND placed_at >= to_timestamp($2) \
                     ORDER BY placed_at DESC LIMIT 1",
                )
                .bind(&board_shop.store_id)
                .bind(since)
                .fetch_one(probe.pool())
                .await?;
                let got = boards
                    .reached(&placed.0, count_boards, Duration::from_secs(10))
                    .await;
                missing += count_boards - got;
                if let Some(times) = boards.seen.placed.lock().await.get(&placed.0) {
                    for t in times {
                        delays.push(Duration::from_secs_f64((t - placed.1).max(0.0)));
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let p99 = delays.quantile(0.99);
            table.row(
                format!("  new order → every board ({n})"),
                format!(
                    "p50 {} p99 {}; {missing} missed",
                    ms(delays.quantile(0.5)),
                    ms(p99)
                ),
                "p99 ≤ 100 ms after PLACED",
                Some(p99 <= Duration::from_millis(100) && missing == 0),
            );
            boards.close().await;
        }
    }
    // ── P4 again
    table.section("P4 memory after load");
    let after_load = rss_mb(services).max(after_orders);
    table.row(
        "RSS after load, all services",
        format!(
            "{after_load:.0} MB ({:.1}× idle)",
            after_load / idle_services
        ),
        "",
        None,
    );
    table.row(
        "RSS after load, kakao-sandbox",
        format!(
            "{:.0} MB (SANDBOX_KEEP={SANDBOX_KEEP}: its most recent payments, alerts)",
            rss_mb(sandbox)
        ),
        "bounded",
        None,
    );
    tokio::time::sleep(w.drain).await;
    let drained = rss_mb(services);
    let sandbox_drained = rss_mb(sandbox);
    table.row(
        format!("RSS {}s after load, all services", w.drain.as_secs()),
        format!("{drained:.0} MB ({:.1}× idle)", drained / idle_services),
        "≤ 2× idle",
        Some(drained <= 2.0 * idle_services),
    );
    table.row(
        format!("RSS {}s after load, kakao-sandbox", w.drain.as_secs()),
        format!(
            "{sandbox_drained:.0} MB ({:.1}× idle)",
            sandbox_drained / idle_sandbox
        ),
        "≤ 2× idle",
        Some(sandbox_drained <= 2.0 * idle_sandbox),
    );

    if w.parts.contains(&Part::Orders) {
        // ── the SQL floor, with nothing else running
        table.section("P2 SQL floor: the order's two transactions, directly");
        let template = Template::read(probe.pool()).await?;
        system.kill_services();
        let (mut floor, error) = orders::floor(database_url, template, 64, w.floor).await?;
        table.row(
            "SQL floor at 64 connections",
            format!("{} orders/s ({})", count(floor.rate()), floor.ok.summary()),
            "",
            None,
        );
        if let Some(error) = error {
            table.row(
                "  floor failure",
                error.chars().take(40).collect(),
                "",
                None,
            );
        }
        if let Some(rate) = saturated {
            table.row(
                "orders/s at saturation ÷ SQL floor",
                format!("{:.2}", rate / floor.rate()),
                "",
                None,
            );
        }
    }
    Ok(table.render())
}

/// Postgres's clock now, in seconds since the epoch (placed_at is on that clock).
async fn chrono_now(probe: &Probe) -> anyhow::Result<f64> {
    Ok(
        sqlx::query_scalar("SELECT extract(epoch FROM clock_timestamp())::float8")
            .fetch_one(probe.pool())
            .await?,
    )
}
