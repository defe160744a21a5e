//! The store's live board as its browser tab sees it: signed in as the store, a WebSocket on
//! `GET /api/store/live` that replays the business day and then follows it, and that resumes
//! with `?after=` the last entry seen whenever the socket drops (a killed gateway, a lost
//! session). A reload is a fresh socket from the start, as staff pressing F5 would get.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

/// What a board shows: order id → status (`placed`, `ready`, `canceled`).
pub type Shown = BTreeMap<String, String>;

const CSRF: (&str, &str) = ("X-SimpleOrder-CSRF", "1");

/// A store's staff: its login and, once signed in, its session cookie.
pub struct Staff {
    http: reqwest::Client,
    gateway: String,
    login: String,
    password: String,
    cookie: Option<String>,
}

impl Staff {
    pub fn new(http: &reqwest::Client, gateway: &str, login: &str, password: &str) -> Staff {
        Staff {
            http: http.clone(),
            gateway: gateway.to_owned(),
            login: login.to_owned(),
            password: password.to_owned(),
            cookie: None,
        }
    }

    async fn sign_in(&mut self) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/api/store/login", self.gateway))
            .header(CSRF.0, CSRF.1)
            .json(&json!({ "login": self.login, "password": self.password }))
            .send()
            .await?;
        let status = response.status();
        let cookie = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.contains("so_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        match cookie {
            Some(cookie) if status.is_success() => {
                self.cookie = Some(cookie.clone());
                Ok(cookie)
            }
            _ => bail!("login {}: HTTP {status}", self.login),
        }
    }

    /// The session cookie, signing in first when there is none.
    pub async fn cookie(&mut self) -> anyhow::Result<String> {
        match &self.cookie {
            Some(cookie) => Ok(cookie.clone()),
            None => self.sign_in().await,
        }
    }

    /// A store API call as the web UI makes it; the JSON answer.
    pub async fn api(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let cookie = self.cookie().await?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}/api/store{path}", self.gateway))
            .header("cookie", cookie)
            .header(CSRF.0, CSRF.1);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: HTTP {status} {answer}");
        }
        Ok(answer)
    }

    async fn connect(&mut self, query: &str) -> anyhow::Result<Socket> {
        let cookie = self.cookie().await?;
        let host = self.gateway.trim_start_matches("http://");
        let mut request = format!("ws://{host}/api/store/live{query}").into_client_request()?;
        let headers = request.headers_mut();
        headers.insert("cookie", HeaderValue::from_str(&cookie)?);
        headers.insert("origin", HeaderValue::from_str(&self.gateway)?);
        match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => Ok(socket),
            Err(tungstenite::Error::Http(response)) if response.status() == 401 => {
                // The session is gone (Redis lost it, or it was replaced): sign in again.
                self.cookie = None;
                bail!("board refused: session ended")
            }
            Err(e) => Err(e.into()),
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Where a board stands: what it shows and where its replay resumes, as the web UI keeps it.
#[derive(Debug, Default)]
pub struct Board {
    pub shown: Shown,
    /// The last stream entry seen: `?after=` on the next connection.
    last: Option<String>,
    day: Option<String>,
    /// The id of the day stream's `opened` entry: another one means the stream was rebuilt.
    stream: Option<String>,
}

impl Board {
    fn query(&self) -> String {
        let mut params = Vec::new();
        if let Some(last) = &self.last {
            params.push(format!("after={last}"));
        }
        if let Some(day) = &self.day {
            params.push(format!("day={day}"));
        }
        if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        }
    }

    /// Applies one message. Returns whether the replay is over.
    fn apply(&mut self, message: &Value) -> bool {
        let text = |field: &str| message[field].as_str().map(str::to_owned);
        match message["kind"].as_str() {
            Some("hello") => {
                let (day, stream) = (text("day_business_id"), text("stream_id"));
                if day != self.day || stream != self.stream {
                    // Another day, or its stream rebuilt: the replay that follows is all of it.
                    self.shown.clear();
                    self.last = None;
                }
                self.day = day;
                self.stream = stream;
            }
            Some("placed" | "accepted" | "ready" | "canceled") => {
                let order = &message["order"];
                if let (Some(id), Some(status)) =
                    (order["order_id"].as_str(), order["status"].as_str())
                {
                    self.shown.insert(id.to_owned(), status.to_owned());
                }
                self.last = text("id");
            }
            Some("caught_up") => {
                if let Some(id) = text("id") {
                    self.last = Some(id);
                }
                return true;
            }
            _ => {}
        }
        false
    }
}

fn parse(message: Message) -> Option<Value> {
    match message {
        Message::Text(text) => serde_json::from_str(text.as_str()).ok(),
        _ => None,
    }
}

/// The live board: runs until aborted, keeping `board` current.
pub async fn follow(mut staff: Staff, board: Arc<Mutex<Board>>) {
    loop {
        let query = board.lock().unwrap_or_else(|p| p.into_inner()).query();
        let mut socket = match staff.connect(&query).await {
            Ok(socket) => socket,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        while let Some(Ok(message)) = socket.next().await {
            if let Some(value) = parse(message) {
                board
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .apply(&value);
                if value["kind"] == "signed_out" {
                    staff.cookie = None;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A fresh board: everything the replay shows up to `caught_up`.
pub async fn reload(staff: &mut Staff) -> anyhow::Result<Shown> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match reload_once(staff).await {
            Ok(shown) => return Ok(shown),
            Err(e) if attempt >= 5 => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

async fn reload_once(staff: &mut Staff) -> anyhow::Result<Shown> {
    let mut socket = staff.connect("").await?;
    let mut board = Board::default();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .context("the board's replay stalled")?
            .context("the board closed before catching up")??;
        if let Some(value) = parse(message)
            && board.apply(&value)
        {
            let _ = socket.close(None).await;
            return Ok(board.shown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(id: &str, order: &str) -> Value {
        json!({"kind": "placed", "id": id, "order": {"order_id": order, "status": "placed"}})
    }

    #[test]
    fn entries_update_the_board_and_a_rebuilt_stream_starts_it_over() {
        let mut board = Board::default();
        let hello =
            |stream: &str| json!({"kind": "hello", "day_business_id": "d1", "stream_id": stream});
        assert!(!board.apply(&hello("1-0")));
        board.apply(&placed("2-0", "a"));
        board.apply(
            &json!({"kind": "ready", "id": "3-0", "order": {"order_id": "a", "status": "ready"}}),
        );
        board.apply(&placed("4-0", "b"));
        assert!(board.apply(&json!({"kind": "caught_up", "id": "4-0"})));
        assert_eq!(
            board.shown,
            Shown::from([("a".into(), "ready".into()), ("b".into(), "placed".into())])
        );
        assert_eq!(board.query(), "?after=4-0&day=d1");

        // The same stream again (a dropped socket): nothing is forgotten.
        board.apply(&hello("1-0"));
        assert_eq!(board.shown.len(), 2);
        // Rebuilt after Redis lost it: the board starts over from the replay.
        board.apply(&hello("9-0"));
        assert!(board.shown.is_empty());
        assert_eq!(board.query(), "?day=d1");
    }
}
