//! Event bus throughput and latency over real Postgres and Redis: events committed to the outbox
//! per second, and the time from commit to a consumer's handler (p50, p99, max).
//!
//! `make bench` runs it; `BUS_BENCH_EVENTS` sets how many events (default 5000).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use platform::Shutdown;
use platform::bus::{Consumer, ConsumerOptions, Relay, RelayOptions, outbox};
use testkit::{TestDb, TestRedis};

const STREAM: &str = "x:bench:events";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: usize = std::env::var("BUS_BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let keys = redis.keys();
    let shutdown = Shutdown::new();

    let latencies = Arc::new(Mutex::new(Vec::with_capacity(events)));
    let mut options = ConsumerOptions::new(STREAM, "bench");
    options.batch = 256;
    options.block = Duration::from_millis(100);
    let seen = latencies.clone();
    let consumer = tokio::spawn(Consumer::new(&redis.url, keys.clone(), options).run(
        move |message| {
            let seen = seen.clone();
            async move {
                let sent = u128::from_be_bytes(message.data[..16].try_into()?);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_micros();
                seen.lock().unwrap().push(now.saturating_sub(sent));
                Ok(())
            }
        },
        shutdown.clone(),
    ));
    let relay = tokio::spawn(
        Relay::new(
            db.pool.clone(),
            redis.conn.clone(),
            keys.clone(),
            RelayOptions::default(),
        )
        .run(shutdown.clone()),
    );

    // Producers commit one event per transaction, as a state change would, from 8 tasks.
    let started = Instant::now();
    let producers: Vec<_> = (0..8)
        .map(|p| {
            let pool = db.pool.clone();
            tokio::spawn(async move {
                for _ in (p..events).step_by(8) {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_micros();
                    let mut tx = pool.begin().await.unwrap();
                    outbox::enqueue(&mut tx, STREAM, "bench.event", &now.to_be_bytes())
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await?;
    }
    let committed = started.elapsed();
    while latencies.lock().unwrap().len() < events {
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!(
                "only {} of {events} events arrived",
                latencies.lock().unwrap().len()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered = started.elapsed();
    shutdown.cancel();
    consumer.await??;
    relay.await??;

    let mut samples = latencies.lock().unwrap().clone();
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!("event bus: {events} events, 8 producers, 1 relay, 1 consumer");
    println!(
        "  committed  {:>8.0} events/s ({:.2} s)",
        events as f64 / committed.as_secs_f64(),
        committed.as_secs_f64()
    );
    println!(
        "  delivered  {:>8.0} events/s end to end ({:.2} s)",
        events as f64 / delivered.as_secs_f64(),
        delivered.as_secs_f64()
    );
    println!(
        "  commit → handler latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
