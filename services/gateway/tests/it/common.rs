//! What the gateway's HTTP and browser tests share: the system under test (gateway + store on a
//! fresh database and Redis prefix) and a cookie-keeping client that speaks the store API.

use std::time::Duration;

use anyhow::Context;
use contracts::store::v1::store_service_client::StoreServiceClient;
use platform::{Config, Service, Shutdown};
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use testkit::{System, TestDb, TestRedis};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;

pub const CSRF: (&str, &str) = ("X-SimpleOrder-CSRF", "1");

/// Waits until the store service's relay has published the day stream's `opened` entry, so
/// entries a test writes come after it, as an order's always do.
pub async fn until_opened(redis: &TestRedis, stream_key: &str) -> anyhow::Result<()> {
    let stream = redis.keys().key(stream_key);
    testkit::eventually(Duration::from_secs(10), || {
        let mut conn = redis.conn.clone();
        let stream = stream.clone();
        async move {
            let first: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(&stream)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut conn)
                .await
                .ok()?;
            let kind: Option<String> = first.ids.first()?.get("type");
            (kind.as_deref() == Some(contracts::events::types::STORE_DAY_OPENED)).then_some(())
        }
    })
    .await
    .context("the day stream never got its opened entry")
}

/// The `name=value` pair of the Set-Cookie that started a session, as a browser sends it back.
pub fn cookie_of(set_cookie: &str) -> anyhow::Result<String> {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    anyhow::ensure!(
        pair.starts_with("so_session="),
        "session cookie: {set_cookie}"
    );
    Ok(pair.to_owned())
}

/// The handshake of the live board's WebSocket with the session cookie and the page's origin a
/// browser sends (either left out to see the handshake refused).
pub fn board_request(
    config: &Config,
    cookie: Option<&str>,
    origin: Option<&str>,
    query: &str,
) -> Result<Request, tungstenite::Error> {
    let url = format!("ws://{}/api/store/live{query}", config.gateway_addr);
    let mut request = url.into_client_request()?;
    let headers = request.headers_mut();
    if let Some(cookie) = cookie {
        headers.insert("cookie", HeaderValue::from_str(cookie).expect("ascii"));
    }
    if let Some(origin) = origin {
        headers.insert("origin", HeaderValue::from_str(origin).expect("ascii"));
    }
    Ok(request)
}

pub struct Harness {
    pub config: Config,
    pub db: TestDb,
    pub redis: TestRedis,
    // Keeps the services of `start` running; `start_with` runs its own under `shutdown`.
    _system: Option<System>,
    shutdown: Shutdown,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Harness {
    /// The gateway and the store service with their production settings.
    pub async fn start() -> anyhow::Result<Harness> {
        let db = TestDb::new().await?;
        let redis = TestRedis::new().await?;
        let system = System::start(
            crate::LAUNCH,
            &[Service::Gateway, Service::Store],
            &db,
            &redis,
        )
        .await?;
        Ok(Harness {
            config: system.config.clone(),
            db,
            redis,
            _system: Some(system),
            shutdown: Shutdown::new(),
        })
    }

    /// The gateway and the store service with the kakao-sandbox, whose Local API locates the
    /// addresses stores save.
    pub async fn with_sandbox() -> anyhow::Result<Harness> {
        let db = TestDb::new().await?;
        let redis = TestRedis::new().await?;
        let services = [Service::Gateway, Service::Store, Service::KakaoSandbox];
        let system = System::start(crate::LAUNCH, &services, &db, &redis).await?;
        Ok(Harness {
            config: system.config.clone(),
            db,
            redis,
            _system: Some(system),
            shutdown: Shutdown::new(),
        })
    }

    pub fn sandbox_url(&self) -> String {
        format!("http://{}", self.config.sandbox_addr)
    }

    /// The gateway, the order service and a store service with `settings` (short timeouts and limit windows), so
    /// tests can watch sessions expire and limits end.
    pub async fn start_with(settings: store::StoreSettings) -> anyhow::Result<Harness> {
        Harness::start_configured(settings, |_| {}).await
    }

    /// [`Harness::start_with`], with the shared configuration changed by `configure` first
    /// (e.g. `TRUSTED_PROXY_HOPS`).
    pub async fn start_configured(
        settings: store::StoreSettings,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Harness> {
        let db = TestDb::new().await?;
        let redis = TestRedis::new().await?;
        let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
        configure(&mut config);
        let shutdown = Shutdown::new();
        tokio::spawn(store::serve_with(
            config.clone(),
            settings,
            shutdown.clone(),
        ));
        // The store's close asks the order service to seal the day.
        tokio::spawn(order::serve(config.clone(), shutdown.clone()));
        tokio::spawn(gateway::serve(config.clone(), shutdown.clone()));
        let store_ops = config.store.endpoints().ops_addr;
        let order_ops = config.order.endpoints().ops_addr;
        for addr in [config.gateway_addr, store_ops, order_ops] {
            testkit::until_serving(addr, Duration::from_secs(20)).await?;
        }
        Ok(Harness {
            config,
            db,
            redis,
            _system: None,
            shutdown,
        })
    }

    /// Logs into `login` and answers its session cookie, for a client that keeps none (a
    /// board's WebSocket).
    pub async fn session_cookie(&self, login: &str, password: &str) -> anyhow::Result<String> {
        let answer = self.browser().login(login, password).await?;
        cookie_of(answer.header("set-cookie"))
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.config.gateway_addr)
    }

    pub fn store_client(&self) -> StoreServiceClient<platform::grpc::Client> {
        let url = self.config.store.endpoints().url;
        let gateway = self
            .config
            .identity(platform::Service::Gateway)
            .expect("token");
        StoreServiceClient::new(platform::grpc::client(&gateway, &url).expect("store url"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// A store with one admin account; returns its id.
    pub async fn store(&self, name: &str, login: &str, password: &str) -> anyhow::Result<String> {
        let id = store::admin::create_store(&self.db.pool, name, login, password)
            .await
            .context("create_store")?;
        Ok(id.to_string())
    }

    /// A browser-like client: keeps cookies, sends the CSRF header on writes.
    pub fn browser(&self) -> Browser {
        Browser {
            base: self.base(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("reqwest client"),
        }
    }
}

pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
}

/// A response read whole: status, headers and the JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub async fn read(response: Response) -> anyhow::Result<Answer> {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

pub fn is_korean(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

impl Browser {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Answer> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}/api/store{path}", self.base));
        if method != Method::GET {
            request = request.header(CSRF.0, CSRF.1);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Answer::read(request.send().await?).await
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> anyhow::Result<Answer> {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn login(&self, login: &str, password: &str) -> anyhow::Result<Answer> {
        self.post("/login", json!({ "login": login, "password": password }))
            .await
    }

    /// Logs in and fails the test unless it worked.
    pub async fn signed_in(self, login: &str, password: &str) -> anyhow::Result<Browser> {
        let answer = self.login(login, password).await?;
        anyhow::ensure!(answer.status == StatusCode::OK, "login failed: {answer:?}");
        Ok(self)
    }

    /// Creates an entry through the API and returns its id.
    pub async fn create(&self, path: &str, body: Value) -> anyhow::Result<String> {
        let answer = self.post(path, body).await?;
        anyhow::ensure!(
            answer.status == StatusCode::CREATED,
            "create {path}: {answer:?}"
        );
        Ok(answer.body["id"]
            .as_str()
            .context("created entry has an id")?
            .to_owned())
    }
}
