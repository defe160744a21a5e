//! The small HTTP port every service has: `/healthz` (alive), `/readyz` (dependencies reachable)
//! and `/metrics`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use redis::aio::ConnectionManager;
use serde_json::json;
use sqlx::PgPool;

use crate::Error;
use crate::shutdown::Shutdown;

const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Readiness {
    pub service: &'static str,
    pub pool: Option<PgPool>,
    pub redis: Option<ConnectionManager>,
}

impl Readiness {
    /// Each dependency that does not answer within a second, with why.
    pub async fn failures(&self) -> Vec<(&'static str, String)> {
        let mut failing = Vec::new();
        if let Some(pool) = &self.pool {
            let check = tokio::time::timeout(
                CHECK_TIMEOUT,
                sqlx::query_scalar!("SELECT 1").fetch_one(pool),
            );
            match check.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => failing.push(("postgres", e.to_string())),
                Err(_) => failing.push(("postgres", "timed out".to_owned())),
            }
        }
        if let Some(redis) = &self.redis {
            let mut redis = redis.clone();
            let ping = redis::cmd("PING");
            let check = tokio::time::timeout(CHECK_TIMEOUT, ping.query_async::<String>(&mut redis));
            match check.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => failing.push(("redis", e.to_string())),
                Err(_) => failing.push(("redis", "timed out".to_owned())),
            }
        }
        failing
    }
}

async fn healthz(State(readiness): State<Readiness>) -> impl IntoResponse {
    Json(json!({ "status": "ok", "service": readiness.service }))
}

async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
    let failing = readiness.failures().await;
    crate::metrics::READY
        .with_label_values(&[readiness.service])
        .set(i64::from(failing.is_empty()));
    if failing.is_empty() {
        return (
            StatusCode::OK,
            Json(json!({ "status": "ready", "service": readiness.service })),
        );
    }
    let names: Vec<&str> = failing.iter().map(|(name, _)| *name).collect();
    let errors: serde_json::Map<String, serde_json::Value> = failing
        .iter()
        .map(|(name, error)| ((*name).to_owned(), json!(error)))
        .collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "unavailable",
            "service": readiness.service,
            "failing": names,
            "errors": errors,
        })),
    )
}

async fn metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}

pub fn router(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(readiness)
}

/// Serves the ops port until `shutdown`, within the same bounds as every HTTP listener.
pub async fn serve(
    addr: SocketAddr,
    readiness: Readiness,
    limits: crate::web::HttpLimits,
    shutdown: Shutdown,
) -> Result<(), Error> {
    crate::web::bind_and_serve(addr, router(readiness), limits, shutdown).await
}
