//! The live board's WebSocket against the real gateway and store service (Postgres, Redis):
//! entries written to the store day stream the way the order service writes them (outbox, relay)
//! reach boards live and on replay, reconnects resume without gaps or duplicates, one Redis
//! reader serves every board of a store, hundreds of boards opening at once are all served, a stream that lost its beginning is rebuilt before a
//! board replays it, and only signed-in staff on our own origin may watch.

use crate::common;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use common::{Browser, Harness, board_request, cookie_of, is_korean};
use contracts::common::v1::{CartLine, LineOption};
use contracts::events::types::STORE_DAY_ENTRY;
use contracts::events::v1::store_day_entry::Entry;
use contracts::events::v1::{
    BoardOrder, StoreDayCanceled, StoreDayEntry, StoreDayPlaced, StoreDayReady,
};
use contracts::store::v1::GetDayRequest;
use futures::StreamExt;
use platform::bus::{Relay, RelayOptions, outbox};
use platform::{Config, Service};
use prost::Message as _;
use redis::AsyncCommands;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{System, TestDb, TestRedis};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const PATIENCE: Duration = Duration::from_secs(10);
/// The gateway checks the business day every 15 s; this leaves room for a slow machine.
const DAY_CHECK: Duration = Duration::from_secs(25);

/// The demo café with its day ready and open, an admin signed in, and the day's stream.
struct Store {
    config: Config,
    db_pool: sqlx::PgPool,
    redis: redis::aio::ConnectionManager,
    keys: platform::redis::Keys,
    admin: Browser,
    admin_cookie: String,
    store_id: String,
    day_id: String,
    /// The logical stream key (without the Redis prefix), as the order service names it.
    stream_key: String,
}

impl Store {
    async fn open(config: Config, db: &TestDb, redis: &TestRedis) -> anyhow::Result<Store> {
        let demo = store::admin::load_demo(&db.pool).await?;
        let admin = browser(&config);
        let login = admin
            .login(store::admin::DEMO_LOGIN, store::admin::DEMO_PASSWORD)
            .await?;
        anyhow::ensure!(login.status == StatusCode::OK, "login: {login:?}");
        let admin_cookie = cookie_of(login.header("set-cookie"))?;
        for action in ["ready", "open"] {
            let day = admin.post("/day", json!({ "action": action })).await?;
            anyhow::ensure!(day.status == StatusCode::OK, "{action}: {day:?}");
        }
        let store_url = config.store.endpoints().url;
        let mut store_client = contracts::store::v1::store_service_client::StoreServiceClient::new(
            platform::grpc::client(&config.identity(platform::Service::Gateway)?, &store_url)?,
        );
        let day = store_client
            .get_day(GetDayRequest {
                store_id: demo.store_id.to_string(),
            })
            .await?
            .into_inner()
            .day
            .context("day")?;
        anyhow::ensure!(!day.stream_key.is_empty(), "the open day has a stream");
        common::until_opened(redis, &day.stream_key).await?;
        Ok(Store {
            config,
            db_pool: db.pool.clone(),
            redis: redis.conn.clone(),
            keys: redis.keys(),
            admin,
            admin_cookie,
            store_id: demo.store_id.to_string(),
            day_id: day.day_business_id,
            stream_key: day.stream_key,
        })
    }

    fn stream(&self) -> String {
        self.keys.key(&self.stream_key)
    }

    fn entry(&self, entry: Entry) -> StoreDayEntry {
        StoreDayEntry {
            store_id: self.store_id.clone(),
            day_business_id: self.day_id.clone(),
            entry: Some(entry),
        }
    }

    /// Writes entries the way the order service does: outbox rows in one transaction, then the
    /// relay publishes them (the store service's own relay may get there first; either way each
    /// is published once).
    async fn publish(&self, entries: &[StoreDayEntry]) -> anyhow::Result<()> {
        let mut tx = self.db_pool.begin().await?;
        for entry in entries {
            outbox::enqueue(
                &mut tx,
                &self.stream_key,
                STORE_DAY_ENTRY,
                &entry.encode_to_vec(),
            )
            .await?;
        }
        tx.commit().await?;
        let relay = Relay::new(
            self.db_pool.clone(),
            self.redis.clone(),
            self.keys.clone(),
            RelayOptions::default(),
        );
        relay.publish_batch().await?;
        Ok(())
    }

    /// XADDs one entry with the envelope the relay writes; returns its stream id.
    async fn xadd(&self, entry: &StoreDayEntry) -> anyhow::Result<String> {
        let event_id = uuid::Uuid::now_v7().to_string();
        let id: String = self
            .redis
            .clone()
            .xadd(
                self.stream(),
                "*",
                &[
                    ("type", STORE_DAY_ENTRY.as_bytes().to_vec()),
                    ("event_id", event_id.into_bytes()),
                    ("occurred_at", b"2025-01-01T00:00:00.000Z".to_vec()),
                    ("traceparent", Vec::new()),
                    ("data", entry.encode_to_vec()),
                ],
            )
            .await?;
        Ok(id)
    }

    /// How many Redis connections read this store's stream for the gateway's boards.
    async fn readers(&self) -> anyhow::Result<usize> {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut self.redis.clone())
            .await?;
        let name = format!("name=gateway-live:{}", self.stream());
        Ok(list
            .lines()
            .filter(|line| line.split(' ').any(|field| field == name))
            .count())
    }

    fn origin(&self) -> String {
        format!("http://{}", self.config.gateway_addr)
    }

    async fn board(&self, query: &str) -> anyhow::Result<Socket> {
        connect(
            &self.config,
            Some(&self.admin_cookie),
            Some(&self.origin()),
            query,
        )
        .await
        .map_err(|e| anyhow::anyhow!("board did not connect: {e}"))
    }
}

fn browser(config: &Config) -> Browser {
    Browser {
        base: format!("http://{}", config.gateway_addr),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("reqwest client"),
    }
}

fn placed(order_id: &str, nickname: &str, total: i64) -> Entry {
    Entry::Placed(StoreDayPlaced {
        order: Some(BoardOrder {
            order_id: order_id.to_owned(),
            nickname: nickname.to_owned(),
            lines: vec![CartLine {
                line_id: "l1".into(),
                item_id: "i1".into(),
                item_name: "아메리카노".into(),
                options: vec![LineOption {
                    option_id: "o1".into(),
                    selection_id: "s1".into(),
                    name: "아이스".into(),
                    price: 500,
                    selection_name: "온도".into(),
                }],
                quantity: 1,
                unit_price: total,
                line_total: total,
            }],
            total,
            placed_at: Some(prost_types::Timestamp {
                seconds: chrono::Utc::now().timestamp(),
                nanos: 0,
            }),
        }),
    })
}

fn ready(order_id: &str, nickname: &str) -> Entry {
    Entry::Ready(StoreDayReady {
        order_id: order_id.to_owned(),
        nickname: nickname.to_owned(),
        ready_at: None,
    })
}

fn order_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn connect(
    config: &Config,
    cookie: Option<&str>,
    origin: Option<&str>,
    query: &str,
) -> Result<Socket, tungstenite::Error> {
    let request = board_request(config, cookie, origin, query)?;
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(socket)
}

/// The HTTP status of a refused handshake.
async fn refused(
    config: &Config,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> anyhow::Result<(StatusCode, Value)> {
    match connect(config, cookie, origin, "").await {
        Ok(_) => bail!("the socket opened"),
        Err(tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Ok((StatusCode::from_u16(response.status().as_u16())?, body))
        }
        Err(other) => bail!("unexpected handshake failure: {other}"),
    }
}

/// The next JSON message other than a heartbeat.
async fn next(socket: &mut Socket) -> anyhow::Result<Value> {
    next_within(socket, PATIENCE).await
}

async fn next_within(socket: &mut Socket, patience: Duration) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(patience, socket.next())
            .await
            .context("no message in time")?
            .context("the socket closed")??;
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str())?;
            if value["kind"] != "heartbeat" {
                return Ok(value);
            }
        }
    }
}

/// Reads `hello`, then everything up to `caught_up`; returns (hello, the messages between,
/// caught_up).
async fn opening(socket: &mut Socket) -> anyhow::Result<(Value, Vec<Value>, Value)> {
    let hello = next(socket).await?;
    anyhow::ensure!(hello["kind"] == "hello", "first message: {hello}");
    let mut between = Vec::new();
    loop {
        let message = next(socket).await?;
        if message["kind"] == "caught_up" {
            return Ok((hello, between, message));
        }
        between.push(message);
    }
}

/// Fails if anything but heartbeats arrives within `quiet`.
async fn nothing_more(socket: &mut Socket, quiet: Duration) -> anyhow::Result<()> {
    match tokio::time::timeout(quiet, next(socket)).await {
        Err(_) => Ok(()),
        Ok(Ok(message)) => bail!("unexpected message: {message}"),
        Ok(Err(e)) => Err(e),
    }
}

fn order_ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            m["order"]["order_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn harness_store() -> anyhow::Result<(Harness, Store)> {
    let h = Harness::start().await?;
    let store = Store::open(h.config.clone(), &h.db, &h.redis).await?;
    Ok((h, store))
}

#[tokio::test]
async fn a_board_gets_the_day_replayed_then_live_entries_within_a_bound() -> anyhow::Result<()> {
    let (_h, store) = harness_store().await?;
    let first = order_id();
    store
        .publish(&[store.entry(placed(&first, "행복한 고래", 4500))])
        .await?;

    let mut board = store.board("").await?;
    let (hello, replay, caught_up) = opening(&mut board).await?;
    assert_eq!(hello["day_business_id"], store.day_id.as_str());
    assert_eq!(hello["day_state"], "open");
    assert_eq!(replay.len(), 1, "{replay:?}");
    let entry = &replay[0];
    assert_eq!(entry["kind"], "placed");
    assert_eq!(entry["order"]["order_id"], first.as_str());
    assert_eq!(entry["order"]["nickname"], "행복한 고래");
    assert_eq!(entry["order"]["status"], "placed");
    assert_eq!(entry["order"]["total"], 4500);
    assert_eq!(entry["order"]["lines"][0]["item_name"], "아메리카노");
    assert_eq!(
        entry["order"]["lines"][0]["options"][0],
        json!({"selection_name": "온도", "name": "아이스", "price": 500})
    );
    assert_eq!(caught_up["id"], entry["id"], "caught up at the last entry");

    // Live: from the outbox commit to the board, through the relay, the stream and the hub.
    let mut delays = Vec::new();
    for (i, nickname) in ["용감한 참새", "조용한 다람쥐", "빠른 치타"]
        .iter()
        .enumerate()
    {
        let id = order_id();
        let started = Instant::now();
        store
            .publish(&[store.entry(placed(&id, nickname, 3000 + i as i64))])
            .await?;
        let message = next(&mut board).await?;
        delays.push(started.elapsed());
        assert_eq!(message["kind"], "placed");
        assert_eq!(message["order"]["order_id"], id.as_str());
    }
    let started = Instant::now();
    store
        .xadd(&store.entry(ready(&first, "행복한 고래")))
        .await?;
    let message = next(&mut board).await?;
    let xadd_delay = started.elapsed();
    assert_eq!(message["kind"], "ready");
    assert_eq!(message["order"]["order_id"], first.as_str());

    let worst = delays.iter().max().copied().unwrap_or_default();
    println!(
        "board delay: outbox commit → board {:?} (worst of {}), XADD → board {xadd_delay:?}",
        delays,
        delays.len()
    );
    assert!(worst < Duration::from_secs(2), "too slow: {delays:?}");
    assert!(
        xadd_delay < Duration::from_secs(1),
        "too slow: {xadd_delay:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_reconnect_with_after_gets_exactly_the_missing_entries() -> anyhow::Result<()> {
    let (_h, store) = harness_store().await?;
    let before: Vec<String> = (0..3).map(|_| order_id()).collect();
    for id in &before {
        store.xadd(&store.entry(placed(id, "손님", 1000))).await?;
    }
    let mut board = store.board("").await?;
    let (_, replay, caught_up) = opening(&mut board).await?;
    assert_eq!(order_ids(&replay), before);
    let last_seen = caught_up["id"].as_str().context("caught_up id")?.to_owned();
    board.close(None).await.ok();
    drop(board);

    // While the board is away: two orders, one of them handed over.
    let missed = [order_id(), order_id()];
    store
        .xadd(&store.entry(placed(&missed[0], "늦은 손님", 2000)))
        .await?;
    store
        .xadd(&store.entry(placed(&missed[1], "다음 손님", 2500)))
        .await?;
    store.xadd(&store.entry(ready(&before[0], "손님"))).await?;
    let cancel = Entry::Canceled(StoreDayCanceled {
        order_id: before[1].clone(),
        nickname: "손님".into(),
        reason: "재료 소진".into(),
        refunded_amount: 1000,
        canceled_at: None,
        by_customer: false,
    });
    store.xadd(&store.entry(cancel)).await?;

    let mut board = store
        .board(&format!("?after={last_seen}&day={}", store.day_id))
        .await?;
    let (_, replay, caught_up) = opening(&mut board).await?;
    let kinds: Vec<&str> = replay
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        ["placed", "placed", "ready", "canceled"],
        "{replay:?}"
    );
    assert_eq!(
        order_ids(&replay),
        [
            missed[0].clone(),
            missed[1].clone(),
            before[0].clone(),
            before[1].clone()
        ]
    );
    assert_eq!(replay[3]["order"]["cancel_reason"], "재료 소진");
    assert_eq!(replay[3]["order"]["refunded_amount"], 1000);
    assert_eq!(caught_up["id"], replay[3]["id"]);
    let ids: Vec<&str> = replay.iter().filter_map(|m| m["id"].as_str()).collect();
    assert!(ids.iter().all(|id| *id > last_seen.as_str()), "{ids:?}");

    // Live again, and nothing twice.
    let live = order_id();
    store
        .xadd(&store.entry(placed(&live, "새 손님", 3000)))
        .await?;
    let message = next(&mut board).await?;
    assert_eq!(message["order"]["order_id"], live.as_str());
    nothing_more(&mut board, Duration::from_millis(500)).await?;

    // A position on another day means nothing: that board gets the whole day.
    let mut other_day = store
        .board(&format!("?after={last_seen}&day={}", uuid::Uuid::now_v7()))
        .await?;
    let (_, replay, _) = opening(&mut other_day).await?;
    assert_eq!(replay.len(), 8, "{replay:?}");

    // An up-to-date board replays nothing.
    let newest = message["id"].as_str().context("id")?;
    let mut current = store
        .board(&format!("?after={newest}&day={}", store.day_id))
        .await?;
    let (_, replay, caught_up) = opening(&mut current).await?;
    assert!(replay.is_empty(), "{replay:?}");
    assert_eq!(caught_up["id"], newest);
    Ok(())
}

#[tokio::test]
async fn boards_of_one_store_share_one_stream_reader_and_get_every_entry() -> anyhow::Result<()> {
    let (_h, store) = harness_store().await?;
    store
        .xadd(&store.entry(placed(&order_id(), "첫 손님", 1000)))
        .await?;
    let mut first = store.board("").await?;
    let (_, replay, _) = opening(&mut first).await?;
    assert_eq!(replay.len(), 1);

    // Entries keep arriving while the second board connects and replays: it must switch from
    // its replay to the live feed without a gap or a duplicate.
    let burst: Vec<String> = (0..400).map(|_| order_id()).collect();
    let writer = {
        let entries: Vec<StoreDayEntry> = burst
            .iter()
            .map(|id| store.entry(placed(id, "몰린 손님", 1500)))
            .collect();
        let redis = store.redis.clone();
        let stream = store.stream();
        tokio::spawn(async move {
            for entry in entries {
                let mut redis = redis.clone();
                let _: String = redis
                    .xadd(
                        &stream,
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
            }
            anyhow::Ok(())
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut second = store.board("").await?;
    writer.await??;

    let mut seen_first = Vec::new();
    while seen_first.len() < burst.len() {
        seen_first.push(next(&mut first).await?);
    }
    let hello = next(&mut second).await?;
    assert_eq!(hello["kind"], "hello");
    let mut seen_second = Vec::new();
    while seen_second.len() < burst.len() + 1 {
        let message = next(&mut second).await?;
        if message["kind"] != "caught_up" {
            seen_second.push(message);
        }
    }
    assert_eq!(order_ids(&seen_first), burst, "first board");
    assert_eq!(order_ids(&seen_second[1..]), burst, "second board");
    let ids: Vec<&str> = seen_second
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order, once each");
    nothing_more(&mut first, Duration::from_millis(300)).await?;
    nothing_more(&mut second, Duration::from_millis(300)).await?;

    assert_eq!(
        store.readers().await?,
        1,
        "one Redis reader for both boards"
    );

    // The reader stops with its last board.
    first.close(None).await.ok();
    second.close(None).await.ok();
    drop((first, second));
    testkit::eventually(PATIENCE, || async {
        (store.readers().await.ok()? == 0).then_some(())
    })
    .await
    .context("the stream reader outlived its boards")?;
    Ok(())
}

#[tokio::test]
async fn boards_opening_all_at_once_are_all_served_the_whole_day() -> anyhow::Result<()> {
    // A gateway restart or a mall's Wi-Fi coming back: every board of a busy store reconnects
    // at the same moment to a day of orders, far more of them than the gateway handles requests
    // at once.
    const BOARDS: usize = 200;
    const DAY: usize = 100;
    let h = Harness::start_configured(store::StoreSettings::default(), |config| {
        config.live_max_sockets_per_session = BOARDS;
        config.live_max_sockets_per_store = BOARDS;
        config.http.max_concurrent = BOARDS / 8;
        // Waiting their turn on a loaded machine (the whole suite on two cores) may take longer
        // than the production request timeout; being served at all is what this test is about.
        config.http.request_timeout = Duration::from_secs(120);
    })
    .await?;
    let store = Store::open(h.config.clone(), &h.db, &h.redis).await?;
    let day: Vec<String> = (0..DAY).map(|_| order_id()).collect();
    for id in &day {
        store
            .xadd(&store.entry(placed(id, "점심 손님", 4500)))
            .await?;
    }

    let boards = futures::future::join_all((0..BOARDS).map(|_| async {
        let mut board = store.board("").await?;
        let (_, replay, _) = opening(&mut board).await?;
        anyhow::Ok((board, order_ids(&replay)))
    }))
    .await;
    let mut served = Vec::new();
    for (n, board) in boards.into_iter().enumerate() {
        let (board, replay) = board.with_context(|| format!("board {n} was not served"))?;
        assert_eq!(replay, day, "board {n} got the whole day once, in order");
        served.push(board);
    }

    // Every one of them follows the day live.
    let next_order = order_id();
    store
        .xadd(&store.entry(placed(&next_order, "늦은 손님", 3000)))
        .await?;
    for board in &mut served {
        let message = next(board).await?;
        assert_eq!(message["order"]["order_id"], next_order.as_str());
    }
    Ok(())
}

#[tokio::test]
async fn a_day_stream_that_lost_its_beginning_is_rebuilt_before_a_board_replays_it()
-> anyhow::Result<()> {
    // The order service too: it rebuilds the stream from Postgres.
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let system = System::start(
        crate::LAUNCH,
        &[Service::Gateway, Service::Store, Service::Order],
        &db,
        &redis,
    )
    .await?;
    let store = Store::open(system.config.clone(), &db, &redis).await?;
    store
        .xadd(&store.entry(placed(&order_id(), "사라질 손님", 1000)))
        .await?;
    let mut board = store.board("").await?;
    let (hello, replay, caught_up) = opening(&mut board).await?;
    let first_stream = hello["stream_id"].as_str().context("stream id")?.to_owned();
    assert_eq!(replay.len(), 1);
    let last_seen = caught_up["id"].as_str().context("id")?.to_owned();
    board.close(None).await.ok();
    drop(board);

    // Redis lost the stream (restarted empty), then an entry arrived: it would be first.
    let _: usize = store.redis.clone().del(store.stream()).await?;
    let arrived = order_id();
    store
        .xadd(&store.entry(placed(&arrived, "새 손님", 2000)))
        .await?;
    let mut board = store
        .board(&format!("?after={last_seen}&day={}", store.day_id))
        .await?;
    let (hello, replay, _) = opening(&mut board).await?;
    // A new stream: the board drops what it showed and takes the day as Postgres has it (no
    // orders: the lost entry was never a real order) plus what arrived meanwhile.
    assert_ne!(hello["stream_id"], first_stream.as_str(), "{hello}");
    assert_eq!(order_ids(&replay), vec![arrived.clone()], "{replay:?}");

    // The board follows the rebuilt stream.
    let next_order = order_id();
    store
        .publish(&[store.entry(placed(&next_order, "돌아온 손님", 2000))])
        .await?;
    let message = next(&mut board).await?;
    assert_eq!(message["kind"], "placed");
    assert_eq!(message["order"]["order_id"], next_order.as_str());
    Ok(())
}

#[tokio::test]
async fn only_signed_in_staff_on_our_origin_may_watch() -> anyhow::Result<()> {
    let (h, store) = harness_store().await?;
    let config = &store.config;
    let origin = store.origin();

    let (status, body) = refused(config, None, Some(&origin)).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthenticated");
    let (status, _) = refused(config, Some("so_session=forged-session-id"), Some(&origin)).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for other in [
        Some("https://evil.example"),
        Some("http://localhost:1"),
        None,
    ] {
        let (status, body) = refused(config, Some(&store.admin_cookie), other).await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "origin {other:?}");
        assert!(is_korean(body["message"].as_str().unwrap_or_default()));
    }
    let bad_after = connect(
        config,
        Some(&store.admin_cookie),
        Some(&origin),
        "?after=not-an-id",
    )
    .await;
    assert!(
        matches!(&bad_after, Err(tungstenite::Error::Http(r)) if r.status() == 400),
        "{bad_after:?}"
    );

    // A viewer device watches the same board, and cannot act on it.
    let link = store.admin.post("/viewer", json!({})).await?;
    let url = link.body["url"].as_str().context("viewer link")?;
    let code = url.split_once("#viewer=").context("code")?.1;
    let tablet = h.browser();
    let joined = tablet.post("/viewer/join", json!({ "code": code })).await?;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");
    let viewer_cookie = cookie_of(joined.header("set-cookie"))?;
    let id = order_id();
    store
        .xadd(&store.entry(placed(&id, "보는 손님", 1000)))
        .await?;
    let mut board = connect(config, Some(&viewer_cookie), Some(&origin), "")
        .await
        .context("viewer board")?;
    let (_, replay, _) = opening(&mut board).await?;
    assert_eq!(order_ids(&replay), std::slice::from_ref(&id));

    for path in [
        format!("/orders/{id}/ready"),
        format!("/orders/{id}/cancel"),
    ] {
        let answer = tablet.post(&path, json!({ "reason": "테스트" })).await?;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}: {answer:?}");
        assert_eq!(answer.error(), "viewer_read_only");
    }
    // The admin's actions need the CSRF header and a reason to cancel.
    let no_csrf = store
        .admin
        .http
        .post(format!("{}/api/store/orders/{id}/ready", store.admin.base))
        .send()
        .await?;
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let no_reason = store
        .admin
        .post(&format!("/orders/{id}/cancel"), json!({ "reason": "  " }))
        .await?;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST, "{no_reason:?}");
    assert!(is_korean(no_reason.message()));
    let not_an_order = store.admin.post("/orders/nope/ready", json!({})).await?;
    assert_eq!(not_an_order.status, StatusCode::NOT_FOUND);

    // Signing out ends the board: the socket says so and closes.
    let logout = store.admin.post("/logout", json!({})).await?;
    assert!(logout.status.is_success(), "{logout:?}");
    let (status, _) = refused(config, Some(&store.admin_cookie), Some(&origin)).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn a_board_is_told_when_the_day_closes_and_when_a_new_one_begins() -> anyhow::Result<()> {
    // No payment window to wait for before closing.
    let settings = store::StoreSettings {
        close_wait: Duration::ZERO,
        ..Default::default()
    };
    let h = Harness::start_with(settings).await?;
    let store = Store::open(h.config.clone(), &h.db, &h.redis).await?;
    store
        .xadd(&store.entry(placed(&order_id(), "마지막 손님", 1000)))
        .await?;
    let mut board = store.board("").await?;
    let (_, replay, _) = opening(&mut board).await?;
    assert_eq!(replay.len(), 1);
    assert_eq!(store.readers().await?, 1);

    for action in ["start_closing", "close"] {
        let day = store
            .admin
            .post("/day", json!({ "action": action }))
            .await?;
        assert_eq!(day.status, StatusCode::OK, "{action}: {day:?}");
    }
    // The hub notices within its day check, tells the board and stops reading the old stream.
    let told = next_within(&mut board, DAY_CHECK)
        .await
        .context("no word of the closed day")?;
    assert_eq!(told["kind"], "day_changed", "{told}");
    assert!(is_korean(told["message"].as_str().unwrap_or_default()));
    testkit::eventually(PATIENCE, || async {
        (store.readers().await.ok()? == 0).then_some(())
    })
    .await
    .context("the old day's reader kept reading")?;

    // Closed: the board stays connected and hears when the next day is ready.
    let mut board = store
        .board(&format!("?after=1-0&day={}", store.day_id))
        .await?;
    let hello = next(&mut board).await?;
    assert_eq!(hello["kind"], "hello");
    assert_eq!(hello["day_business_id"], Value::Null);
    assert_eq!(hello["day_state"], "closed");
    let day = store
        .admin
        .post("/day", json!({ "action": "ready" }))
        .await?;
    assert_eq!(day.status, StatusCode::OK, "{day:?}");
    let told = next_within(&mut board, DAY_CHECK)
        .await
        .context("no word of the new day")?;
    assert_eq!(told["kind"], "day_changed", "{told}");

    // Reconnecting with the old position starts the new day from its beginning.
    let mut board = store
        .board(&format!("?after=1-0&day={}", store.day_id))
        .await?;
    let (hello, replay, caught_up) = opening(&mut board).await?;
    assert_ne!(hello["day_business_id"], store.day_id.as_str());
    assert_eq!(hello["day_state"], "preparing");
    assert!(replay.is_empty(), "{replay:?}");
    // Only the new day's `opened` entry so far: the board resumes after it.
    assert_eq!(caught_up["id"], hello["stream_id"]);
    Ok(())
}
