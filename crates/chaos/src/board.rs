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

    async fn cookie(&mut self) -> anyhow::Result<String> {
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

    async fn connect(&mut self, after: Option<&str>) -> anyhow::Result<Socket> {
        let cookie = self.cookie().await?;
        let query = after.map(|id| format!("?after={id}")).unwrap_or_default();
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

/// Applies one message to what the board shows. Returns whether the replay is over.
fn apply(shown: &mut Shown, last: &mut Option<String>, message: &Value) -> bool {
    match message["kind"].as_str() {
        Some("snapshot") if message["complete"] == true => {
            shown.clear();
            for order in message["orders"].as_array().into_iter().flatten() {
                if let (Some(id), Some(status)) =
                    (order["order_id"].as_str(), order["status"].as_str())
                {
                    shown.insert(id.to_owned(), status.to_owned());
                }
            }
        }
        Some("caught_up") => {
            if let Some(id) = message["id"].as_str() {
                *last = Some(id.to_owned());
            }
            return true;
        }
        Some("placed" | "ready" | "canceled") => {
            let order = &message["order"];
            if let (Some(id), Some(status)) = (order["order_id"].as_str(), order["status"].as_str())
            {
                shown.insert(id.to_owned(), status.to_owned());
            }
        }
        _ => {}
    }
    // Any stream entry, whatever its kind, is a place to resume from.
    if message["kind"] != "caught_up"
        && let Some(id) = message["id"].as_str()
    {
        *last = Some(id.to_owned());
    }
    false
}

fn parse(message: Message) -> Option<Value> {
    match message {
        Message::Text(text) => serde_json::from_str(text.as_str()).ok(),
        _ => None,
    }
}

/// The live board: runs until aborted, keeping `shown` current.
pub async fn follow(mut staff: Staff, shown: Arc<Mutex<Shown>>) {
    let mut last: Option<String> = None;
    loop {
        let mut socket = match staff.connect(last.as_deref()).await {
            Ok(socket) => socket,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        while let Some(Ok(message)) = socket.next().await {
            if let Some(value) = parse(message) {
                let mut shown = shown.lock().unwrap_or_else(|p| p.into_inner());
                apply(&mut shown, &mut last, &value);
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
    let mut socket = staff.connect(None).await?;
    let mut shown = Shown::new();
    let mut last = None;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .context("the board's replay stalled")?
            .context("the board closed before catching up")??;
        if let Some(value) = parse(message)
            && apply(&mut shown, &mut last, &value)
        {
            let _ = socket.close(None).await;
            return Ok(shown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_replaces_what_is_shown_and_entries_update_it() {
        let mut shown = Shown::from([("gone".to_owned(), "placed".to_owned())]);
        let mut last = None;
        let messages = [
            json!({"kind": "hello", "day_business_id": "d"}),
            json!({"kind": "snapshot", "complete": true, "orders": [{"order_id": "a", "status": "placed"}]}),
            json!({"kind": "placed", "id": "5-0", "order": {"order_id": "b", "status": "placed"}}),
            json!({"kind": "ready", "id": "6-0", "order": {"order_id": "a", "status": "ready"}}),
        ];
        for message in &messages {
            assert!(!apply(&mut shown, &mut last, message));
        }
        assert!(apply(
            &mut shown,
            &mut last,
            &json!({"kind": "caught_up", "id": "6-0"})
        ));
        assert_eq!(
            shown,
            Shown::from([("a".into(), "ready".into()), ("b".into(), "placed".into())])
        );
        assert_eq!(last.as_deref(), Some("6-0"));
        // An incomplete snapshot leaves the board as it was.
        apply(
            &mut shown,
            &mut last,
            &json!({"kind": "snapshot", "complete": false, "orders": []}),
        );
        assert_eq!(shown.len(), 2);
    }
}
