//! P3: live boards of one store, all connecting at once to a day of orders, each following the
//! day as the web UI does (reconnecting after a refusal), then new orders fanned out to every one.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// What the boards saw, shared by their tasks.
#[derive(Default)]
pub struct Seen {
    pub caught_up: AtomicUsize,
    /// Connections that ended before `caught_up` (refused, closed, or "잠시 불러올 수 없습니다").
    pub refused: AtomicUsize,
    pub unavailable: AtomicUsize,
    /// order id → when each board got its `placed` entry live (seconds since the epoch).
    pub placed: Mutex<HashMap<String, Vec<f64>>>,
}

pub struct Boards {
    pub seen: Arc<Seen>,
    tasks: tokio::task::JoinSet<()>,
}

impl Boards {
    /// `count` boards started together with one staff session.
    pub fn open(count: usize, gateway: &str, cookie: &str) -> Boards {
        let seen = Arc::new(Seen::default());
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..count {
            let (seen, gateway, cookie) = (seen.clone(), gateway.to_owned(), cookie.to_owned());
            tasks.spawn(follow(seen, gateway, cookie));
        }
        Boards { seen, tasks }
    }

    /// Waits until every board caught up, or `patience` passed; how long it took.
    pub async fn all_caught_up(&self, count: usize, patience: Duration) -> Option<Duration> {
        let started = Instant::now();
        while started.elapsed() < patience {
            if self.seen.caught_up.load(Ordering::Relaxed) >= count {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Waits until `order` reached `count` boards, or `patience` passed.
    pub async fn reached(&self, order: &str, count: usize, patience: Duration) -> usize {
        let started = Instant::now();
        loop {
            let got = self.seen.placed.lock().await.get(order).map_or(0, Vec::len);
            if got >= count || started.elapsed() > patience {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn close(mut self) {
        self.tasks.shutdown().await;
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// A board's socket buffers: a board's messages are small, so the defaults (128 KiB to read)
/// would make the bench's own memory the limit.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

async fn follow(seen: Arc<Seen>, gateway: String, cookie: String) {
    let mut after: Option<String> = None;
    let mut caught = false;
    loop {
        let host = gateway.trim_start_matches("http://");
        let query = after
            .as_ref()
            .map_or(String::new(), |a| format!("?after={a}"));
        let Ok(mut request) = format!("ws://{host}/api/store/live{query}").into_client_request()
        else {
            return;
        };
        let headers = request.headers_mut();
        if let (Ok(c), Ok(o)) = (
            HeaderValue::from_str(&cookie),
            HeaderValue::from_str(&gateway),
        ) {
            headers.insert("cookie", c);
            headers.insert("origin", o);
        }
        let connected =
            tokio_tungstenite::connect_async_with_config(request, Some(config()), true).await;
        let mut socket = match connected {
            Ok((socket, _)) => socket,
            Err(_) => {
                if !caught {
                    seen.refused.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
                continue;
            };
            match value["kind"].as_str() {
                Some("placed") => {
                    if caught && let Some(id) = value["order"]["order_id"].as_str() {
                        seen.placed
                            .lock()
                            .await
                            .entry(id.to_owned())
                            .or_default()
                            .push(now());
                    }
                    after = value["id"].as_str().map(str::to_owned);
                }
                Some("hello" | "heartbeat") => {}
                Some("caught_up") => {
                    if let Some(id) = value["id"].as_str() {
                        after = Some(id.to_owned());
                    }
                    if !caught {
                        caught = true;
                        seen.caught_up.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some("error") if !caught => {
                    seen.unavailable.fetch_add(1, Ordering::Relaxed);
                }
                // Any other entry of the day (accepted, ready, canceled) moves the resume point.
                _ => {
                    if let Some(id) = value["id"].as_str() {
                        after = Some(id.to_owned());
                    }
                }
            }
        }
        if !caught {
            seen.refused.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
