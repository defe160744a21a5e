//! The event bus against real Postgres and Redis: the failures DESIGN §4 promises to survive.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform::Shutdown;
use platform::bus::relay::PUBLISH_LOCK;
use platform::bus::{
    Consumer, ConsumerOptions, HandlerError, Message, Relay, RelayOptions, idempotency, outbox,
    permanent,
};
use platform::redis::Keys;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use sqlx::{Connection, PgPool};
use testkit::{TestDb, TestRedis, TestRedisServer, eventually};

const STREAM: &str = "x:test:events";
const WAIT: Duration = Duration::from_secs(10);

async fn enqueue(pool: &PgPool, event_type: &str, data: &[u8]) -> String {
    let mut tx = pool.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, STREAM, event_type, data)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}

fn relay(pool: &PgPool, redis: &ConnectionManager, keys: &Keys) -> Relay {
    Relay::new(
        pool.clone(),
        redis.clone(),
        keys.clone(),
        RelayOptions::default(),
    )
}

fn fast_options(group: &str) -> ConsumerOptions {
    let mut options = ConsumerOptions::new(STREAM, group);
    options.block = Duration::from_millis(100);
    options.claim_idle = Duration::from_millis(300);
    options.max_deliveries = 3;
    options.backoff_base = Duration::from_millis(10);
    options.backoff_cap = Duration::from_millis(50);
    options.stats_every = Duration::from_millis(200);
    options
}

async fn stream_len(conn: &mut ConnectionManager, keys: &Keys, stream: &str) -> usize {
    conn.xlen(keys.stream(stream)).await.unwrap()
}

/// The dead-letter stream once something has reached it; `None` if nothing did within `WAIT`.
async fn until_dead_lettered(
    conn: &ConnectionManager,
    keys: &Keys,
) -> Option<redis::streams::StreamRangeReply> {
    let dead_key = keys.dead_letters();
    eventually(WAIT, || {
        let mut conn = conn.clone();
        let dead_key = dead_key.clone();
        async move {
            let reply: redis::streams::StreamRangeReply = conn.xrange_all(&dead_key).await.ok()?;
            (!reply.ids.is_empty()).then_some(reply)
        }
    })
    .await
    .ok()
}

/// The handler's effect and its processed-event key in one transaction, as every real handler.
async fn record_effect(
    pool: &PgPool,
    group: &str,
    message: &Message,
) -> Result<bool, HandlerError> {
    let mut tx = pool.begin().await?;
    if !idempotency::first_time(&mut tx, group, &message.event_id).await? {
        return Ok(false);
    }
    sqlx::query("INSERT INTO test_effect (event_id) VALUES ($1)")
        .bind(&message.event_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

async fn effects(pool: &PgPool, event_id: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM test_effect WHERE event_id = $1")
        .bind(event_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn effect_table(pool: &PgPool) {
    sqlx::query("CREATE TABLE test_effect (event_id text NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_committed_before_a_crash_reaches_its_stream_exactly_once() {
    let db = TestDb::new().await.unwrap();
    let mut redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();

    // The producer commits and the process dies before any relay ran.
    let event_id = enqueue(&db.pool, "test.happened", b"payload").await;
    assert_eq!(stream_len(&mut redis.conn, &keys, STREAM).await, 0);

    // After restart a relay publishes it.
    let published = relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();
    assert_eq!(published, 1);

    // The relay dies after XADD but before its commit: the row looks unpublished again.
    sqlx::query("UPDATE outbox SET published_at = NULL")
        .execute(&db.pool)
        .await
        .unwrap();
    relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();

    let entries: redis::streams::StreamRangeReply =
        redis.conn.xrange_all(keys.stream(STREAM)).await.unwrap();
    assert_eq!(entries.ids.len(), 1, "published exactly once");
    let message = Message::from_fields(entries.ids[0].id.clone(), &entries.ids[0].map, 1).unwrap();
    assert_eq!(message.event_id, event_id);
    assert_eq!(message.event_type, "test.happened");
    assert_eq!(message.data, b"payload");
    assert_eq!(outbox::backlog(&db.pool).await.unwrap(), 0);
}

#[tokio::test]
async fn concurrent_relays_publish_every_event_once() {
    let db = TestDb::new().await.unwrap();
    let mut redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    for i in 0..300u32 {
        enqueue(&db.pool, "test.n", &i.to_be_bytes()).await;
    }
    let shutdown = Shutdown::new();
    let relays: Vec<_> = (0..3)
        .map(|_| tokio::spawn(relay(&db.pool, &redis.conn, &keys).run(shutdown.clone())))
        .collect();
    eventually(WAIT, || {
        let pool = db.pool.clone();
        async move { (outbox::backlog(&pool).await.unwrap() == 0).then_some(()) }
    })
    .await
    .unwrap();
    shutdown.cancel();
    for relay in relays {
        relay.await.unwrap().unwrap();
    }
    assert_eq!(stream_len(&mut redis.conn, &keys, STREAM).await, 300);
}

#[tokio::test]
async fn a_consumer_that_dies_before_its_ack_is_reclaimed_and_the_effect_happens_once() {
    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    effect_table(&db.pool).await;
    let event_id = enqueue(&db.pool, "test.effect", b"x").await;
    relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();

    // Consumer A commits its effect, then hangs (dies) before acknowledging.
    let pool = db.pool.clone();
    let dying = Consumer::new(&redis.url, keys.clone(), fast_options("workers"));
    let a = tokio::spawn(dying.run(
        move |message| {
            let pool = pool.clone();
            async move {
                record_effect(&pool, "workers", &message).await?;
                std::future::pending::<()>().await;
                Ok(())
            }
        },
        Shutdown::new(),
    ));
    eventually(WAIT, || {
        let pool = db.pool.clone();
        let event_id = event_id.clone();
        async move { (effects(&pool, &event_id).await == 1).then_some(()) }
    })
    .await
    .unwrap();
    a.abort();

    // Consumer B reclaims the idle entry; the processed-event key stops a second effect.
    let handled = Arc::new(AtomicUsize::new(0));
    let pool = db.pool.clone();
    let counter = handled.clone();
    let shutdown = Shutdown::new();
    let b = tokio::spawn(
        Consumer::new(&redis.url, keys.clone(), fast_options("workers")).run(
            move |message| {
                let pool = pool.clone();
                let counter = counter.clone();
                async move {
                    record_effect(&pool, "workers", &message).await?;
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
            shutdown.clone(),
        ),
    );
    let mut conn = redis.conn.clone();
    let stream = keys.stream(STREAM);
    eventually(WAIT, || {
        let mut conn = conn.clone();
        let stream = stream.clone();
        let handled = handled.clone();
        async move {
            let pending: redis::streams::StreamPendingReply =
                conn.xpending(&stream, "workers").await.ok()?;
            (handled.load(Ordering::SeqCst) == 1 && pending.count() == 0).then_some(())
        }
    })
    .await
    .unwrap();
    shutdown.cancel();
    b.await.unwrap().unwrap();
    assert_eq!(
        effects(&db.pool, &event_id).await,
        1,
        "the effect happened once"
    );
    let _: () = conn.del(keys.stream(STREAM)).await.unwrap();
}

#[tokio::test]
async fn a_message_that_always_fails_is_dead_lettered_and_the_stream_moves_on() {
    let db = TestDb::new().await.unwrap();
    let mut redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    let poison = enqueue(&db.pool, "test.poison", b"bad").await;
    let good = enqueue(&db.pool, "test.good", b"good").await;
    relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();

    let attempts = Arc::new(AtomicUsize::new(0));
    let handled_good = Arc::new(AtomicUsize::new(0));
    let (a, g) = (attempts.clone(), handled_good.clone());
    let shutdown = Shutdown::new();
    let consumer = tokio::spawn(
        Consumer::new(&redis.url, keys.clone(), fast_options("strict")).run(
            move |message| {
                let (a, g) = (a.clone(), g.clone());
                async move {
                    if message.event_type == "test.poison" {
                        a.fetch_add(1, Ordering::SeqCst);
                        return Err("the payload is unreadable".into());
                    }
                    g.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
            shutdown.clone(),
        ),
    );
    let dead = until_dead_lettered(&redis.conn, &keys)
        .await
        .expect("a message is dead-lettered");
    shutdown.cancel();
    consumer.await.unwrap().unwrap();

    assert_eq!(
        handled_good.load(Ordering::SeqCst),
        1,
        "the good message was handled"
    );
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "tried max_deliveries times"
    );
    assert_eq!(dead.ids.len(), 1);
    let letter = &dead.ids[0];
    let field = |name: &str| letter.get::<String>(name).unwrap_or_default();
    assert_eq!(field("error"), "the payload is unreadable");
    assert_eq!(field("reason"), "failed_too_often");
    assert_eq!(field("deliveries"), "3");
    assert_eq!(field("orig_event_id"), poison);
    assert_eq!(field("group"), "strict");
    assert_ne!(field("orig_event_id"), good);
    let pending: redis::streams::StreamPendingReply = redis
        .conn
        .xpending(keys.stream(STREAM), "strict")
        .await
        .unwrap();
    assert_eq!(pending.count(), 0, "nothing is left pending");
    assert_eq!(stream_len(&mut redis.conn, &keys, STREAM).await, 2);
}

/// The `simpleorder_bus_handled_total` count of one group and outcome on the test stream.
fn handled(group: &str, outcome: &str) -> u64 {
    let group = format!("group=\"{group}\"");
    let outcome = format!("outcome=\"{outcome}\"");
    platform::metrics::render()
        .lines()
        .filter(|l| l.starts_with("simpleorder_bus_handled_total{"))
        .filter(|l| l.contains(&group) && l.contains(&outcome))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn a_permanent_failure_is_dead_lettered_on_its_first_delivery() {
    let db = TestDb::new().await.unwrap();
    let mut redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    let refused = enqueue(&db.pool, "test.refused", b"unknown user").await;
    let flaky = enqueue(&db.pool, "test.flaky", b"later").await;
    relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();

    // Nothing is reclaimed within the test: a dead letter can only come from the first delivery.
    let mut options = fast_options("final");
    options.claim_idle = Duration::from_secs(120);
    options.max_deliveries = 5;
    let refused_calls = Arc::new(AtomicUsize::new(0));
    let flaky_calls = Arc::new(AtomicUsize::new(0));
    let (r, f) = (refused_calls.clone(), flaky_calls.clone());
    let shutdown = Shutdown::new();
    let consumer = tokio::spawn(Consumer::new(&redis.url, keys.clone(), options).run(
        move |message| {
            let (r, f) = (r.clone(), f.clone());
            async move {
                if message.event_type == "test.refused" {
                    r.fetch_add(1, Ordering::SeqCst);
                    return Err(permanent("the user is unknown"));
                }
                f.fetch_add(1, Ordering::SeqCst);
                Err::<(), HandlerError>("the far side is busy".into())
            }
        },
        shutdown.clone(),
    ));
    let dead = until_dead_lettered(&redis.conn, &keys)
        .await
        .expect("the permanent failure is dead-lettered without waiting for a reclaim");
    eventually(WAIT, || async {
        (flaky_calls.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await
    .unwrap();
    shutdown.cancel();
    consumer.await.unwrap().unwrap();

    assert_eq!(refused_calls.load(Ordering::SeqCst), 1, "handled once");
    assert_eq!(dead.ids.len(), 1, "only the permanent failure is dead");
    let letter = &dead.ids[0];
    let field = |name: &str| letter.get::<String>(name).unwrap_or_default();
    assert_eq!(field("orig_event_id"), refused);
    assert_eq!(field("error"), "the user is unknown");
    assert_eq!(field("reason"), "permanent");
    assert_eq!(field("deliveries"), "1");
    assert_eq!(field("group"), "final");
    assert_eq!(field("stream"), STREAM);

    // The retryable failure waits for its retry; the dead one holds no pending entry.
    let pending: redis::streams::StreamPendingCountReply = redis
        .conn
        .xpending_count(keys.stream(STREAM), "final", "-", "+", 10)
        .await
        .unwrap();
    let pending: Vec<&str> = pending.ids.iter().map(|p| p.id.as_str()).collect();
    let entries: redis::streams::StreamRangeReply =
        redis.conn.xrange_all(keys.stream(STREAM)).await.unwrap();
    let flaky_entry = entries
        .ids
        .iter()
        .find(|e| e.get::<String>("event_id").as_deref() == Some(flaky.as_str()))
        .expect("the flaky message is in the stream");
    assert_eq!(pending, [flaky_entry.id.as_str()]);
    assert_ne!(field("entry_id"), flaky_entry.id);
    assert_eq!(handled("final", "dead"), 1);
    assert_eq!(
        handled("final", "retry"),
        1,
        "only the flaky message retries"
    );
    assert_eq!(stream_len(&mut redis.conn, &keys, STREAM).await, 2);
}

#[tokio::test]
async fn consumers_recreate_their_group_after_redis_is_flushed() {
    let db = TestDb::new().await.unwrap();
    let server = TestRedisServer::start().await.unwrap();
    let redis = TestRedis::on(&server.url()).await.unwrap();
    let keys = redis.keys();
    effect_table(&db.pool).await;

    let handled = Arc::new(AtomicUsize::new(0));
    let (pool, counter) = (db.pool.clone(), handled.clone());
    let shutdown = Shutdown::new();
    let consumer = tokio::spawn(
        Consumer::new(&redis.url, keys.clone(), fast_options("survivors")).run(
            move |message| {
                let (pool, counter) = (pool.clone(), counter.clone());
                async move {
                    record_effect(&pool, "survivors", &message).await?;
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
            shutdown.clone(),
        ),
    );
    let relay_task = tokio::spawn(relay(&db.pool, &redis.conn, &keys).run(shutdown.clone()));

    let wait_for = |n: usize| {
        let handled = handled.clone();
        eventually(WAIT, move || {
            let handled = handled.clone();
            async move { (handled.load(Ordering::SeqCst) >= n).then_some(()) }
        })
    };
    enqueue(&db.pool, "test.before", b"1").await;
    wait_for(1).await.unwrap();

    let mut conn = redis.conn.clone();
    let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
    let calls_before = total_calls(&mut conn).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_calls = total_calls(&mut conn).await - calls_before;
    // A consumer blocking on XREADGROUP makes a handful of calls a second; a spinning one
    // thousands.
    assert!(
        idle_calls < 200,
        "{idle_calls} Redis calls in an idle second after FLUSHALL"
    );

    enqueue(&db.pool, "test.after", b"2").await;
    wait_for(2)
        .await
        .expect("the consumer carried on after FLUSHALL");
    assert!(!consumer.is_finished(), "the consumer is still running");

    shutdown.cancel();
    consumer.await.unwrap().unwrap();
    relay_task.await.unwrap().unwrap();
}

async fn total_calls(conn: &mut ConnectionManager) -> i64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("total_commands_processed:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn consumer_gauges_report_lag_pending_and_dead_letters() {
    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    enqueue(&db.pool, "test.fails", b"x").await;
    relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();
    let mut options = fast_options("gauged");
    options.max_deliveries = 1;
    let shutdown = Shutdown::new();
    let consumer = tokio::spawn(Consumer::new(&redis.url, keys.clone(), options).run(
        |_message| async { Err::<(), HandlerError>("nope".into()) },
        shutdown.clone(),
    ));
    eventually(WAIT, || async {
        let text = platform::metrics::render();
        text.lines()
            .any(|l| {
                l.starts_with("simpleorder_bus_handled_total") && l.contains("outcome=\"dead\"")
            })
            .then_some(())
    })
    .await
    .unwrap();
    eventually(WAIT, || async {
        let text = platform::metrics::render();
        (text.contains("simpleorder_bus_lag{")
            && text.contains("simpleorder_bus_pending{")
            && text.contains("simpleorder_bus_dead_letters{"))
        .then_some(())
    })
    .await
    .unwrap();
    shutdown.cancel();
    consumer.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_slow_handler_keeps_its_message_from_other_consumers() {
    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    enqueue(&db.pool, "test.slow", b"x").await;
    relay(&db.pool, &redis.conn, &keys)
        .publish_batch()
        .await
        .unwrap();

    // Each handler call takes three times the reclaim threshold, as an approval waiting on
    // KakaoPay can; the second consumer must not take the entry over meanwhile.
    let calls = Arc::new(AtomicUsize::new(0));
    let shutdown = Shutdown::new();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let calls = calls.clone();
            tokio::spawn(
                Consumer::new(&redis.url, keys.clone(), fast_options("slow")).run(
                    move |_message| {
                        let calls = calls.clone();
                        async move {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(900)).await;
                            Ok(())
                        }
                    },
                    shutdown.clone(),
                ),
            )
        })
        .collect();
    let mut conn = redis.conn.clone();
    let stream = keys.stream(STREAM);
    eventually(WAIT, || {
        let mut conn = conn.clone();
        let stream = stream.clone();
        let calls = calls.clone();
        async move {
            let pending: redis::streams::StreamPendingReply =
                conn.xpending(&stream, "slow").await.ok()?;
            (calls.load(Ordering::SeqCst) >= 1 && pending.count() == 0).then_some(())
        }
    })
    .await
    .unwrap();
    // Long enough for a reclaim to have happened if the claim were not refreshed.
    tokio::time::sleep(Duration::from_millis(700)).await;
    shutdown.cancel();
    for consumer in consumers {
        consumer.await.unwrap().unwrap();
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "handled once, never taken over"
    );
    let _: () = conn.del(keys.stream(STREAM)).await.unwrap();
}

/// A relay with a pool of its own, as in another replica; polling fast so relays contend.
async fn replica_relay(db: &TestDb, redis: &ConnectionManager, keys: &Keys, name: &str) -> Relay {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&db.url)
        .await
        .unwrap();
    let options = RelayOptions {
        name: name.to_owned(),
        batch: 7,
        idle_poll: Duration::from_millis(1),
        ..RelayOptions::default()
    };
    Relay::new(pool, redis.clone(), keys.clone(), options)
}

/// Enqueues `n` events one transaction after another, numbered from `from`; their event ids.
async fn enqueue_numbered(pool: &PgPool, from: u32, n: u32) -> Vec<String> {
    let mut ids = Vec::new();
    for i in from..from + n {
        ids.push(enqueue(pool, "test.n", &i.to_be_bytes()).await);
    }
    ids
}

/// The stream's entries as (event id, number), in stream order.
async fn published(conn: &mut ConnectionManager, keys: &Keys) -> Vec<(String, u32)> {
    let reply: redis::streams::StreamRangeReply =
        conn.xrange_all(keys.stream(STREAM)).await.unwrap();
    reply
        .ids
        .iter()
        .map(|entry| {
            let message = Message::from_fields(entry.id.clone(), &entry.map, 1).unwrap();
            let number = u32::from_be_bytes(message.data.as_slice().try_into().unwrap());
            (message.event_id, number)
        })
        .collect()
}

async fn until_published(conn: &ConnectionManager, keys: &Keys, n: usize) -> Vec<(String, u32)> {
    let reached = eventually(WAIT, || {
        let mut conn = conn.clone();
        async move {
            let entries = published(&mut conn, keys).await;
            (entries.len() >= n).then_some(entries)
        }
    })
    .await;
    match reached {
        Ok(entries) => entries,
        Err(_) => {
            let mut conn = conn.clone();
            let got = published(&mut conn, keys).await.len();
            panic!("only {got} of {n} events were published");
        }
    }
}

/// Every event once, in the order the producer committed them.
fn assert_in_outbox_order(entries: &[(String, u32)], ids: &[String]) {
    let numbers: Vec<u32> = entries.iter().map(|(_, n)| *n).collect();
    let expected: Vec<u32> = (0..ids.len() as u32).collect();
    let first_out_of_order = numbers.windows(2).position(|w| w[0] >= w[1]);
    assert_eq!(
        first_out_of_order, None,
        "stream order differs from outbox order: {numbers:?}"
    );
    assert_eq!(numbers, expected, "every event exactly once");
    let event_ids: Vec<&String> = entries.iter().map(|(id, _)| id).collect();
    assert_eq!(event_ids, ids.iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn several_relays_publish_a_stream_in_outbox_order_exactly_once() {
    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    let mut ids = enqueue_numbered(&db.pool, 0, 300).await;

    // One relay per replica, batches of 7: many batches, every relay wanting each of them.
    let shutdown = Shutdown::new();
    let mut relays = Vec::new();
    for r in 0..4 {
        let relay = replica_relay(&db, &redis.conn, &keys, &format!("replica-{r}")).await;
        relays.push(tokio::spawn(relay.run(shutdown.clone())));
    }
    // The producer keeps committing while they publish.
    ids.extend(enqueue_numbered(&db.pool, 300, 300).await);

    let entries = until_published(&redis.conn, &keys, ids.len()).await;
    eventually(WAIT, || {
        let pool = db.pool.clone();
        async move { (outbox::backlog(&pool).await.unwrap() == 0).then_some(()) }
    })
    .await
    .unwrap();
    shutdown.cancel();
    for relay in relays {
        relay.await.unwrap().unwrap();
    }
    assert_in_outbox_order(&entries, &ids);
    let mut conn = redis.conn.clone();
    assert_eq!(published(&mut conn, &keys).await.len(), ids.len());
}

#[tokio::test]
async fn when_the_publishing_relay_stops_another_carries_on() {
    let db = TestDb::new().await.unwrap();
    let redis = TestRedis::new().await.unwrap();
    let keys = redis.keys();
    let mut ids = enqueue_numbered(&db.pool, 0, 50).await;

    // A relay stuck in the middle of a batch: it holds the publish lock in an open transaction.
    let mut stuck = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let stuck_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut stuck)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut stuck).await.unwrap();
    let held: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, 'outbox'::regclass::oid::int4)")
            .bind(PUBLISH_LOCK)
            .fetch_one(&mut stuck)
            .await
            .unwrap();
    assert!(held);

    let shutdown = Shutdown::new();
    let first = tokio::spawn(
        replica_relay(&db, &redis.conn, &keys, "first")
            .await
            .run(shutdown.clone()),
    );
    let second = tokio::spawn(
        replica_relay(&db, &redis.conn, &keys, "second")
            .await
            .run(shutdown.clone()),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut conn = redis.conn.clone();
    assert!(
        published(&mut conn, &keys).await.is_empty(),
        "nobody publishes beside the lock holder"
    );
    assert_eq!(outbox::backlog(&db.pool).await.unwrap(), 50);

    // The holder's process dies: its connection, and the lock with it, are gone.
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(stuck_pid)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(terminated);
    until_published(&redis.conn, &keys, 50).await;

    // Then one of the two running relays dies too; the other publishes what comes next.
    first.abort();
    let _ = first.await;
    ids.extend(enqueue_numbered(&db.pool, 50, 50).await);
    let entries = until_published(&redis.conn, &keys, 100).await;
    eventually(WAIT, || {
        let pool = db.pool.clone();
        async move { (outbox::backlog(&pool).await.unwrap() == 0).then_some(()) }
    })
    .await
    .unwrap();
    shutdown.cancel();
    second.await.unwrap().unwrap();
    assert_in_outbox_order(&entries, &ids);
}
