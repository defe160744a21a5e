//! One reader per store day stream, shared by every board of that store on this gateway.
//!
//! A hub is a task with its own Redis connection (a blocking XREAD would stall every other
//! caller of the shared multiplexed one) that reads the stream from its beginning, keeps the
//! day's entries, already rendered as the board's JSON, and broadcasts each new one to its
//! subscribers. Hubs start with their first subscriber and stop when the last one leaves or when
//! the store's day moves to another stream. A board replays what it missed from the hub's copy
//! of the day, not from Redis: a thousand boards reconnecting together each read the whole day
//! through the gateway's one shared connection, queued past its timeout, and were closed with
//! "주문 현황을 잠시 불러올 수 없습니다". A subscriber takes the broadcast before it reads the
//! copy, so the two overlap rather than leave a gap.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use contracts::events::types::{STORE_DAY_ENTRY, STORE_DAY_OPENED};
use contracts::events::v1::StoreDayEntry;
use contracts::store::v1::GetDayRequest;
use contracts::store::v1::store_service_client::StoreServiceClient;
use platform::Shutdown;
use platform::bus::Message;
use platform::grpc::Client;
use platform::redis::Keys;
use prometheus::{IntCounter, IntGauge};
use prost::Message as _;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use redis::streams::{StreamId, StreamRangeReply, StreamReadOptions, StreamReadReply};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::wire::{EntryId, Outgoing};
use crate::state::grpc_request;

/// How long one XREAD waits for new entries before asking again.
const BLOCK: Duration = Duration::from_secs(5);
/// Entries per XREAD, and per XRANGE page of the day a hub reads when it starts.
const BATCH: usize = 200;
/// How often a hub asks the store service whether the day still uses its stream.
const DAY_CHECK: Duration = Duration::from_secs(15);
/// Entries a slow subscriber may fall behind before it catches up from the stream instead.
const CAPACITY: usize = 1024;
/// How long a subscriber waits for a new hub to read the day so far (Redis reachable).
const START_TIMEOUT: Duration = Duration::from_secs(5);

pub static HUBS: LazyLock<IntGauge> = LazyLock::new(|| {
    let gauge = IntGauge::new(
        "gateway_live_hubs",
        "Store day streams read by this gateway (one reader each)",
    )
    .expect("valid metric");
    platform::metrics::REGISTRY
        .register(Box::new(gauge.clone()))
        .expect("metric registers once");
    gauge
});

pub static STREAM_READS: LazyLock<IntCounter> = LazyLock::new(|| {
    let counter = IntCounter::new(
        "gateway_live_stream_reads_total",
        "XREAD calls made by live board hubs",
    )
    .expect("valid metric");
    platform::metrics::REGISTRY
        .register(Box::new(counter.clone()))
        .expect("metric registers once");
    counter
});

/// A stream entry as a board takes it.
#[derive(Debug)]
pub enum Frame {
    /// An order's entry, rendered for the board.
    Board { id: EntryId, json: String },
    /// An `opened` entry: the first of every stream. Met after the first, it says the stream was
    /// rebuilt under the reader.
    Opened { id: EntryId },
}

impl Frame {
    pub fn id(&self) -> EntryId {
        match self {
            Frame::Board { id, .. } | Frame::Opened { id } => *id,
        }
    }
}

#[derive(Debug, Clone)]
pub enum HubEvent {
    Entry(Arc<Frame>),
    /// The store's business day no longer uses this stream (closed, or a new day began).
    DayChanged,
}

/// The Redis connection name of a hub's reader, so operators (and tests) can see exactly one
/// reader per stream in `CLIENT LIST`.
pub fn reader_name(stream: &str) -> String {
    format!("gateway-live:{stream}")
}

/// Reads one stream entry: `Ok(None)` for an entry that is not a board entry or holds no order
/// (skipped), `Err` for an entry that cannot be read.
pub fn frame(entry: &StreamId) -> Result<Option<Frame>, String> {
    let id: EntryId = entry
        .id
        .parse()
        .map_err(|_| format!("bad entry id {}", entry.id))?;
    let message = Message::from_fields(entry.id.clone(), &entry.map, 1)?;
    if message.event_type == STORE_DAY_OPENED {
        return Ok(Some(Frame::Opened { id }));
    }
    if message.event_type != STORE_DAY_ENTRY {
        return Ok(None);
    }
    let decoded = StoreDayEntry::decode(message.data.as_slice())
        .map_err(|e| format!("StoreDayEntry: {e}"))?;
    Ok(
        Outgoing::entry(id, message.occurred_at, decoded).map(|out| Frame::Board {
            id,
            json: out.to_json(),
        }),
    )
}

/// The id of the stream's first entry when it is the `opened` entry: the stream is complete.
/// `None` when it is missing or lost its beginning.
pub async fn opened_entry(
    redis: &mut ConnectionManager,
    stream: &str,
) -> redis::RedisResult<Option<EntryId>> {
    let first = platform::redis::first_entry_of_type(redis, stream, STORE_DAY_OPENED).await?;
    Ok(first.and_then(|id| id.parse().ok()))
}

/// [`frame`] for entries a reader passes over: unreadable ones are logged and skipped, so one
/// bad entry never stops a board.
pub fn readable(stream: &str, entry: &StreamId) -> Option<Frame> {
    match frame(entry) {
        Ok(frame) => frame,
        Err(error) => {
            tracing::warn!(%stream, entry = %entry.id, %error, "unreadable store day entry skipped");
            None
        }
    }
}

/// Entries of `stream` after `after`, oldest first, at most `count`.
async fn range_after(
    redis: &mut ConnectionManager,
    stream: &str,
    after: Option<EntryId>,
    count: usize,
) -> redis::RedisResult<Vec<StreamId>> {
    let start = match after {
        Some(after) => format!("({after}"),
        None => "-".to_owned(),
    };
    let reply: StreamRangeReply = redis.xrange_count(stream, start, "+", count).await?;
    Ok(reply.ids)
}

struct Hub {
    sender: broadcast::Sender<HubEvent>,
    /// The day's frames read so far, oldest first, from the stream's (latest) `opened` entry.
    /// Frames are added and broadcast under this lock, so a subscriber that joins the broadcast
    /// and then reads the day misses nothing between them.
    day: Mutex<Vec<Arc<Frame>>>,
    /// Set once the day so far is read.
    started: watch::Receiver<bool>,
    stop: CancellationToken,
    /// Cancelled when the hub's task has ended, for whatever reason.
    done: CancellationToken,
}

struct Slot {
    hub: Arc<Hub>,
    subscribers: usize,
}

struct Inner {
    redis_url: String,
    keys: Keys,
    store: StoreServiceClient<Client>,
    shutdown: Shutdown,
    hubs: Mutex<HashMap<String, Slot>>,
}

impl Inner {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        // The map stays consistent whatever a panicking holder did: every change is one insert,
        // one counter change or one remove.
        self.hubs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets `hub` if it is still the one registered for `stream`.
    fn remove(&self, stream: &str, hub: &Arc<Hub>) {
        let mut slots = self.slots();
        if slots
            .get(stream)
            .is_some_and(|slot| Arc::ptr_eq(&slot.hub, hub))
        {
            slots.remove(stream);
        }
    }
}

/// The hubs of this gateway, by stream.
#[derive(Clone)]
pub struct Hubs {
    inner: Arc<Inner>,
}

/// A board's place on a hub; leaving (drop) stops the hub if it was the last.
pub struct Subscription {
    pub events: broadcast::Receiver<HubEvent>,
    stream: String,
    hub: Arc<Hub>,
    inner: Arc<Inner>,
}

impl Subscription {
    /// Cancelled when the hub has stopped (shutdown or day change).
    pub fn ended(&self) -> CancellationToken {
        self.hub.done.clone()
    }

    /// The day's frames after `after`, oldest first: what a board missed.
    pub fn since(&self, after: EntryId) -> Vec<Arc<Frame>> {
        self.hub.frames_after(after)
    }
}

impl Hub {
    fn frames(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Frame>>> {
        // Every change is one push or one clear: consistent whatever a panicking holder did.
        self.day.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn frames_after(&self, after: EntryId) -> Vec<Arc<Frame>> {
        let day = self.frames();
        let from = day.partition_point(|frame| frame.id() <= after);
        day[from..].to_vec()
    }

    /// Adds a frame to the day and broadcasts it. An `opened` entry after the first says the
    /// stream was rebuilt: what came before it is no longer the day.
    fn push(&self, frame: Frame) {
        let frame = Arc::new(frame);
        let mut day = self.frames();
        if matches!(*frame, Frame::Opened { .. }) {
            day.clear();
        }
        day.push(frame.clone());
        // No receiver is fine: every board may be between sockets.
        let _ = self.sender.send(HubEvent::Entry(frame));
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut slots = self.inner.slots();
        let Some(slot) = slots.get_mut(&self.stream) else {
            return;
        };
        if !Arc::ptr_eq(&slot.hub, &self.hub) {
            return;
        }
        slot.subscribers -= 1;
        if slot.subscribers == 0 {
            slots.remove(&self.stream);
            self.hub.stop.cancel();
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the store day stream cannot be read now")]
pub struct Unavailable;

impl Hubs {
    pub fn new(
        redis_url: String,
        keys: Keys,
        store: StoreServiceClient<Client>,
        shutdown: Shutdown,
    ) -> Hubs {
        Hubs {
            inner: Arc::new(Inner {
                redis_url,
                keys,
                store,
                shutdown,
                hubs: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Cancelled when the gateway shuts down; sockets close then so boards reconnect elsewhere.
    pub fn shutdown(&self) -> Shutdown {
        self.inner.shutdown.clone()
    }

    /// Joins the hub of `stream_key` (the logical key from the business day), starting it if
    /// needed, and waits until it has read the day so far.
    pub async fn subscribe(
        &self,
        store_id: &str,
        stream_key: &str,
    ) -> Result<Subscription, Unavailable> {
        let stream = self.inner.keys.key(stream_key);
        let hub = {
            let mut slots = self.inner.slots();
            let slot = slots.entry(stream.clone()).or_insert_with(|| Slot {
                hub: self.start(store_id, stream_key, &stream),
                subscribers: 0,
            });
            slot.subscribers += 1;
            slot.hub.clone()
        };
        let mut started = hub.started.clone();
        // Counted as a subscriber from here: leaving early (a timeout) stops an unused hub.
        let mut subscription = Subscription {
            events: hub.sender.subscribe(),
            stream,
            hub,
            inner: self.inner.clone(),
        };
        match tokio::time::timeout(START_TIMEOUT, started.wait_for(|s| *s)).await {
            Ok(Ok(_)) => {
                // Joined afresh now: what was broadcast while the day was read is in the day.
                subscription.events = subscription.hub.sender.subscribe();
                Ok(subscription)
            }
            _ => Err(Unavailable),
        }
    }

    fn start(&self, store_id: &str, stream_key: &str, stream: &str) -> Arc<Hub> {
        let (sender, _) = broadcast::channel(CAPACITY);
        let (started_tx, started) = watch::channel(false);
        let hub = Arc::new(Hub {
            sender,
            day: Mutex::new(Vec::new()),
            started,
            stop: self.inner.shutdown.child_token(),
            done: CancellationToken::new(),
        });
        let reader = Reader {
            inner: self.inner.clone(),
            hub: hub.clone(),
            store_id: store_id.to_owned(),
            stream_key: stream_key.to_owned(),
            stream: stream.to_owned(),
            started: started_tx,
        };
        tokio::spawn(reader.run());
        hub
    }
}

struct Reader {
    inner: Arc<Inner>,
    hub: Arc<Hub>,
    store_id: String,
    stream_key: String,
    stream: String,
    started: watch::Sender<bool>,
}

impl Reader {
    async fn run(self) {
        let _done = self.hub.done.clone().drop_guard();
        HUBS.inc();
        tracing::debug!(stream = %self.stream, "live hub started");
        let stop = self.hub.stop.clone();
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = self.follow() => {}
        }
        self.inner.remove(&self.stream, &self.hub);
        HUBS.dec();
        tracing::debug!(stream = %self.stream, "live hub stopped");
    }

    /// Reads until the day moves on; Redis errors back off and retry from the same id.
    async fn follow(&self) {
        let mut conn: Option<ConnectionManager> = None;
        let mut named = false;
        let mut cursor: Option<EntryId> = None;
        let mut failures = 0u32;
        let mut next_day_check = tokio::time::Instant::now() + DAY_CHECK;
        loop {
            match self.step(&mut conn, &mut named, &mut cursor).await {
                Ok(()) => failures = 0,
                Err(error) => {
                    failures += 1;
                    // A reconnected connection has lost its name.
                    named = false;
                    tracing::warn!(stream = %self.stream, %error, "live hub read failed; retrying");
                    let wait = platform::bus::backoff(
                        failures,
                        Duration::from_millis(100),
                        Duration::from_secs(5),
                    );
                    tokio::time::sleep(wait).await;
                }
            }
            if tokio::time::Instant::now() >= next_day_check {
                next_day_check = tokio::time::Instant::now() + DAY_CHECK;
                if self.day_moved_on().await {
                    // No subscriber may join this hub any more: new boards start on the new day.
                    self.inner.remove(&self.stream, &self.hub);
                    let _ = self.hub.sender.send(HubEvent::DayChanged);
                    return;
                }
            }
        }
    }

    async fn step(
        &self,
        conn: &mut Option<ConnectionManager>,
        named: &mut bool,
        cursor: &mut Option<EntryId>,
    ) -> redis::RedisResult<()> {
        if conn.is_none() {
            *conn = Some(
                platform::redis::connect_with_response_timeout(
                    &self.inner.redis_url,
                    BLOCK + Duration::from_secs(2),
                )
                .await?,
            );
        }
        let conn = conn.as_mut().expect("connected above");
        if !*named {
            let () = redis::cmd("CLIENT")
                .arg("SETNAME")
                .arg(reader_name(&self.stream))
                .query_async(conn)
                .await?;
            *named = true;
        }
        if !*self.started.borrow() {
            // The day so far, page by page; a failed page is read again from the same id.
            let page = range_after(conn, &self.stream, *cursor, BATCH).await?;
            self.take(&page, cursor);
            if page.len() < BATCH {
                self.started.send_replace(true);
            }
            return Ok(());
        }
        let from = cursor.unwrap_or(EntryId::ZERO);
        let options = StreamReadOptions::default()
            .count(BATCH)
            .block(BLOCK.as_millis() as usize);
        STREAM_READS.inc();
        let reply: Option<StreamReadReply> = conn
            .xread_options(&[self.stream.as_str()], &[from.to_string()], &options)
            .await?;
        let entries: Vec<StreamId> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        self.take(&entries, cursor);
        Ok(())
    }

    /// Adds the readable ones of `entries` to the day; `cursor` moves past all of them.
    fn take(&self, entries: &[StreamId], cursor: &mut Option<EntryId>) {
        for entry in entries {
            let Ok(id) = entry.id.parse::<EntryId>() else {
                continue;
            };
            *cursor = Some(id);
            if let Some(frame) = readable(&self.stream, entry) {
                self.hub.push(frame);
            }
        }
    }

    /// Whether the store's business day now uses another stream (or none). Errors say no: a
    /// store service that is down must not take the boards down with it.
    async fn day_moved_on(&self) -> bool {
        let request = grpc_request(GetDayRequest {
            store_id: self.store_id.clone(),
        });
        match self.inner.store.clone().get_day(request).await {
            Ok(answer) => answer
                .into_inner()
                .day
                .is_some_and(|day| day.stream_key != self.stream_key),
            Err(status) => {
                tracing::debug!(store_id = %self.store_id, %status, "day check failed");
                false
            }
        }
    }
}
