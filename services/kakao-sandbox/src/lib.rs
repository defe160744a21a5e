//! kakao-sandbox (dev only): a local stand-in for Kakao's platform — the KakaoPay API and
//! payment page, the Event API, the Local API (place and address search) and a chat simulator —
//! speaking the same wire format. It keeps its
//! state in memory and needs neither Postgres nor Redis.

pub mod chat;
pub mod events;
pub mod local;
pub mod pay;

use axum::Router;
use axum::response::{Html, Json};
use axum::routing::get;
use platform::{Config, Shutdown};
use serde_json::json;

pub const SERVICE: &str = "kakao-sandbox";
/// How many entries each of the sandbox's records keeps (payments, and each Event API log and
/// the inbox); older ones are dropped, so its memory is bounded. Default [`events::KEEP`].
pub const KEEP_ENV: &str = "SANDBOX_KEEP";

/// `SANDBOX_KEEP`, or [`events::KEEP`] when unset or unreadable.
pub fn keep() -> usize {
    std::env::var(KEEP_ENV)
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(events::KEEP)
}

const LANDING: &str = r#"<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>카카오 샌드박스</title></head>
<body><h1>카카오 샌드박스 (개발용)</h1><p>카카오페이 API, 이벤트 API, 채팅 시뮬레이터를 흉내 냅니다.</p>
<ul><li><a href="/chat">채팅 시뮬레이터</a>: 오픈빌더처럼 챗봇 스킬을 호출해 봅니다.</li></ul></body></html>"#;

/// Every sandbox route. Fails when the Open Builder setup file cannot be read or is
/// inconsistent, so a bad `KAKAO_OPENBUILDER_FILE` stops the start with a clear message.
pub fn router(config: &Config) -> Result<Router, platform::Error> {
    let chat = chat::Settings::from_config(config)
        .and_then(chat::router)
        .map_err(|e| platform::Error::Config(e.to_string()))?;
    Ok(Router::new()
        .route("/", get(|| async { Html(LANDING) }))
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok", "service": SERVICE })) }),
        )
        .route(
            "/readyz",
            get(|| async { Json(json!({ "status": "ready", "service": SERVICE })) }),
        )
        .merge(pay::router())
        .merge(events::routes(config)?)
        .merge(local::routes(config))
        .merge(chat))
}

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    platform::telemetry::init(&config);
    let router = router(&config)?;
    let addr = config.sandbox_addr;
    let listener = platform::listen::bind(addr).await?;
    tracing::info!(%addr, "kakao-sandbox serving");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(platform::Error::Io)
}
