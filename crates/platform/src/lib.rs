//! What every SimpleOrder service stands on: configuration, telemetry, Postgres and Redis
//! connections, health and metrics, gRPC plumbing, graceful shutdown and the event bus.

pub mod bus;
pub mod config;
pub mod db;
pub mod grpc;
pub mod listen;
pub mod metrics;
pub mod ops;
pub mod production;
pub mod redis;
pub mod runtime;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod web;

pub use config::{Config, Endpoints, Service};
pub use runtime::Runtime;
pub use shutdown::Shutdown;

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("gRPC transport: {0}")]
    Transport(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{service} stopped: {message}")]
    Task {
        service: &'static str,
        message: String,
    },
}
