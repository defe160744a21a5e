//! One board's socket: `hello`, then a replay of the day from the store's hub, `caught_up`, then
//! live entries from the hub, with heartbeats and periodic checks that the session still holds.
//! Before the replay the stream is known complete: it begins with its `opened` entry, or the
//! order service rebuilds it from Postgres first. Entries are sent in stream order, each at most
//! once per socket: anything at or before the last id sent is skipped.

use std::convert::Infallible;
use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use chrono::Utc;
use contracts::order::v1::EnsureDayStreamRequest;
use contracts::store::v1::BusinessDay;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use prometheus::IntGauge;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

use super::Resume;
use super::hub::{self, HubEvent};
use super::wire::{EntryId, Outgoing};
use crate::session::{self, Staff};
use crate::state::{AppState, grpc_request};
use crate::store_api::dto::DayStateName;

/// `LIVE_HEARTBEAT` and `LIVE_IDLE_TIMEOUT`.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub heartbeat: Duration,
    pub idle_timeout: Duration,
}

/// How often a socket re-checks its session (logout, a newer login, expiry end the board).
const SESSION_CHECK: Duration = Duration::from_secs(30);
/// How often a socket of a store without a business day asks whether one began.
const DAY_POLL: Duration = Duration::from_secs(15);
/// A browser that takes longer than this to accept one message is gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_INTERNAL: u16 = 1011;
const CLOSE_RESTART: u16 = 1012;

const MSG_UNAVAILABLE: &str = "주문 현황을 잠시 불러올 수 없습니다. 곧 다시 연결합니다.";
const MSG_DAY_CHANGED: &str = "영업일이 바뀌어 주문 현황을 새로 불러옵니다.";
const MSG_RELOAD: &str = "주문 현황을 다시 맞추는 중입니다. 곧 새로 불러옵니다.";

pub static SOCKETS: LazyLock<IntGauge> = LazyLock::new(|| {
    let gauge =
        IntGauge::new("gateway_live_sockets", "Open live board WebSockets").expect("valid metric");
    platform::metrics::REGISTRY
        .register(Box::new(gauge.clone()))
        .expect("metric registers once");
    gauge
});

struct Counted;

impl Counted {
    fn new() -> Counted {
        SOCKETS.inc();
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        SOCKETS.dec();
    }
}

/// Why a socket ends.
enum End {
    /// The browser closed or vanished: nothing more to say.
    Gone,
    /// The server ends it with this close code, after sending its last message (JSON) if any.
    Closing(u16, Option<String>),
}

impl End {
    fn saying(code: u16, message: Outgoing) -> End {
        End::Closing(code, Some(message.to_json()))
    }

    fn unavailable() -> End {
        End::saying(
            CLOSE_INTERNAL,
            Outgoing::Error {
                message: MSG_UNAVAILABLE.to_owned(),
            },
        )
    }

    fn reload() -> End {
        End::saying(
            CLOSE_NORMAL,
            Outgoing::Reload {
                message: MSG_RELOAD.to_owned(),
            },
        )
    }

    fn day_changed() -> End {
        End::saying(
            CLOSE_NORMAL,
            Outgoing::DayChanged {
                message: MSG_DAY_CHANGED.to_owned(),
            },
        )
    }
}

pub async fn run(ws: WebSocket, state: AppState, staff: Staff, session_id: String, resume: Resume) {
    let _counted = Counted::new();
    let (sink, mut incoming) = ws.split();
    let mut board = Board {
        sink,
        store_id: staff.store_id().to_owned(),
        state,
        session_id,
        last_heard: Instant::now(),
    };
    let end = match board.serve(&mut incoming, &resume).await {
        Ok(never) => match never {},
        Err(end) => end,
    };
    board.close(end).await;
}

struct Board {
    sink: SplitSink<WebSocket, Message>,
    state: AppState,
    store_id: String,
    session_id: String,
    /// When the browser last sent anything; it answers every ping with a pong.
    last_heard: Instant,
}

type Incoming = SplitStream<WebSocket>;

impl Board {
    async fn serve(&mut self, incoming: &mut Incoming, resume: &Resume) -> Result<Infallible, End> {
        let day = self.day().await.ok_or_else(End::unavailable)?;
        let live = !day.stream_key.is_empty() && !day.day_business_id.is_empty();
        let opened = match live {
            true => Some(self.complete_stream(&day).await?),
            false => None,
        };
        self.send(&Outgoing::Hello {
            day_business_id: live.then(|| day.day_business_id.clone()),
            day_state: DayStateName::from_proto(day.state),
            stream_id: opened.map(|id| id.to_string()),
            server_time: Utc::now(),
        })
        .await?;
        let Some(opened) = opened else {
            return self.wait_for_day(incoming).await;
        };
        // A position before the `opened` entry was taken on a stream since replaced.
        let after = match resume.after_on(&day.day_business_id) {
            after if after < opened => EntryId::ZERO,
            after => after,
        };
        self.follow(incoming, &day, opened, after).await
    }

    /// The id of the day stream's `opened` entry, once the stream is complete: when it lost its
    /// beginning (Redis restarted empty), the order service rebuilds it from Postgres first.
    async fn complete_stream(&mut self, day: &BusinessDay) -> Result<EntryId, End> {
        let stream = self.state.keys.key(&day.stream_key);
        let found = hub::opened_entry(&mut self.state.redis.clone(), &stream)
            .await
            .map_err(|_| End::unavailable())?;
        if let Some(opened) = found {
            return Ok(opened);
        }
        let request = grpc_request(EnsureDayStreamRequest {
            store_id: self.store_id.clone(),
            day_business_id: day.day_business_id.clone(),
        });
        let ensured = self
            .state
            .order
            .clone()
            .ensure_day_stream(request)
            .await
            .map_err(|status| {
                tracing::warn!(store_id = %self.store_id, %status, "day stream could not be made complete");
                End::unavailable()
            })?
            .into_inner();
        ensured
            .opened_entry_id
            .parse()
            .map_err(|()| End::unavailable())
    }

    /// Replays the day after `after`, then follows it, both through the store's hub.
    async fn follow(
        &mut self,
        incoming: &mut Incoming,
        day: &BusinessDay,
        opened: EntryId,
        after: EntryId,
    ) -> Result<Infallible, End> {
        let mut subscription = self
            .state
            .hubs
            .subscribe(&self.store_id, &day.stream_key)
            .await
            .map_err(|_| End::unavailable())?;
        let mut cursor = self.replay(&subscription, opened, after).await?;
        self.send(&Outgoing::CaughtUp {
            id: (cursor != EntryId::ZERO).then(|| cursor.to_string()),
        })
        .await?;

        let mut heartbeat = ticker(self.state.live_timing.heartbeat);
        let mut session_check = ticker(SESSION_CHECK);
        let shutdown = self.state.hubs.shutdown();
        let ended = subscription.ended();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Err(End::Closing(CLOSE_GOING_AWAY, None)),
                event = subscription.events.recv() => match event {
                    Ok(HubEvent::Entry(frame)) => {
                        if frame.id() > cursor {
                            self.pass(&frame, opened).await?;
                            cursor = frame.id();
                        }
                    }
                    Ok(HubEvent::DayChanged) => return Err(End::day_changed()),
                    // Fell behind the broadcast: what it dropped is in the hub's day.
                    Err(RecvError::Lagged(_)) => cursor = self.replay(&subscription, opened, cursor).await?,
                    Err(RecvError::Closed) => return Err(End::Closing(CLOSE_RESTART, None)),
                },
                _ = ended.cancelled() => return Err(End::Closing(CLOSE_RESTART, None)),
                message = incoming.next() => self.read(message)?,
                _ = heartbeat.tick() => self.heartbeat().await?,
                _ = session_check.tick() => self.check_session().await?,
            }
        }
    }

    /// No business day: keep the board connected and tell it when a day begins.
    async fn wait_for_day(&mut self, incoming: &mut Incoming) -> Result<Infallible, End> {
        let mut heartbeat = ticker(self.state.live_timing.heartbeat);
        let mut session_check = ticker(SESSION_CHECK);
        let mut day_poll = ticker(DAY_POLL);
        let shutdown = self.state.hubs.shutdown();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Err(End::Closing(CLOSE_GOING_AWAY, None)),
                message = incoming.next() => self.read(message)?,
                _ = heartbeat.tick() => self.heartbeat().await?,
                _ = session_check.tick() => self.check_session().await?,
                _ = day_poll.tick() => {
                    if self.day().await.is_some_and(|day| !day.stream_key.is_empty()) {
                        return Err(End::day_changed());
                    }
                }
            }
        }
    }

    /// Sends the day's entries after `cursor`; returns the last id passed.
    async fn replay(
        &mut self,
        subscription: &hub::Subscription,
        opened: EntryId,
        mut cursor: EntryId,
    ) -> Result<EntryId, End> {
        for frame in subscription.since(cursor) {
            self.pass(&frame, opened).await?;
            cursor = frame.id();
        }
        Ok(cursor)
    }

    /// Sends an order's entry; an `opened` entry other than the stream's own means the stream
    /// was rebuilt under this board, which then starts over.
    async fn pass(&mut self, frame: &hub::Frame, opened: EntryId) -> Result<(), End> {
        match frame {
            hub::Frame::Board { json, .. } => self.send_text(json.clone()).await,
            hub::Frame::Opened { id } if *id == opened => Ok(()),
            hub::Frame::Opened { .. } => Err(End::reload()),
        }
    }

    async fn day(&self) -> Option<BusinessDay> {
        self.state.days.get(&self.store_id).await
    }

    /// Ends the board when the session no longer holds; a store service that does not answer
    /// is not a reason to.
    async fn check_session(&mut self) -> Result<(), End> {
        match session::resolve(&self.state, self.session_id.clone(), false).await {
            Ok(_) => Ok(()),
            Err(error) if error.status == axum::http::StatusCode::UNAUTHORIZED => Err(End::saying(
                CLOSE_NORMAL,
                Outgoing::SignedOut {
                    message: error.body.message,
                },
            )),
            Err(_) => Ok(()),
        }
    }

    /// A heartbeat message for the page and a ping for the browser, whose pong shows it is still
    /// there: a peer that vanished without closing its connection is cut off here.
    async fn heartbeat(&mut self) -> Result<(), End> {
        if self.last_heard.elapsed() >= self.state.live_timing.idle_timeout {
            return Err(End::Gone);
        }
        self.send(&Outgoing::Heartbeat {
            server_time: Utc::now(),
        })
        .await?;
        match tokio::time::timeout(
            SEND_TIMEOUT,
            self.sink.send(Message::Ping(Vec::new().into())),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    /// The browser says nothing the board needs; only that it is there, or leaving.
    fn read(&mut self, message: Option<Result<Message, axum::Error>>) -> Result<(), End> {
        match message {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Err(End::Gone),
            Some(Ok(_)) => {
                self.last_heard = Instant::now();
                Ok(())
            }
        }
    }

    async fn send(&mut self, message: &Outgoing) -> Result<(), End> {
        self.send_text(message.to_json()).await
    }

    async fn send_text(&mut self, text: String) -> Result<(), End> {
        match tokio::time::timeout(SEND_TIMEOUT, self.sink.send(Message::Text(text.into()))).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    async fn close(&mut self, end: End) {
        let End::Closing(code, message) = end else {
            return;
        };
        if let Some(message) = message
            && self.send_text(message).await.is_err()
        {
            return;
        }
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ =
            tokio::time::timeout(SEND_TIMEOUT, self.sink.send(Message::Close(Some(frame)))).await;
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut interval = interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}
