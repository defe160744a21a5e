//! The store service: stores, accounts and sessions, the business day, menus and search.

pub mod admin;
mod day;
mod error;
mod grpc;
mod login_limit;
mod menu;
mod search;
mod session;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub use error::RETRY_AFTER_TRAILER;
pub use login_limit::LoginLimits;
pub use session::SessionTimeouts;

pub const SERVICE: &str = "store";

/// Policies of the service that tests (and operators) may want to change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSettings {
    pub sessions: SessionTimeouts,
    pub login_limits: LoginLimits,
    /// Password hashes checked at once; each takes ~19 MiB and a core for tens of milliseconds.
    pub hash_concurrency: usize,
    /// How long CLOSE waits after CLOSING began: the payment window (15 minutes) plus a margin,
    /// so a customer who started paying just before closing can finish.
    pub close_wait: Duration,
    /// How often the Redis copy of every live business day is rewritten from Postgres.
    pub reconcile_interval: Duration,
}

impl Default for StoreSettings {
    fn default() -> StoreSettings {
        StoreSettings {
            sessions: SessionTimeouts::default(),
            login_limits: LoginLimits::default(),
            hash_concurrency: 4,
            close_wait: Duration::from_secs((15 + 2) * 60),
            reconcile_interval: Duration::from_secs(30),
        }
    }
}

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, StoreSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    settings: StoreSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    let mut runtime = Runtime::connect(SERVICE, &config, shutdown).await?;
    runtime.spawn_relay();
    let keys = storage::StoreKeys(runtime.keys.clone());
    let days = Arc::new(day::Days {
        pool: runtime.pool.clone(),
        redis: runtime.redis.clone(),
        keys: keys.clone(),
        close_wait: settings.close_wait,
    });
    let reconciler = days
        .clone()
        .reconcile_forever(settings.reconcile_interval, runtime.shutdown.clone());
    runtime.spawn_worker(reconciler);
    let store = grpc::StoreGrpc {
        sessions: Arc::new(session::Sessions {
            store: storage::sessions::SessionStore {
                redis: runtime.redis.clone(),
                keys: keys.clone(),
            },
            pool: runtime.pool.clone(),
            timeouts: settings.sessions,
            limits: settings.login_limits,
            hash_permits: Arc::new(tokio::sync::Semaphore::new(
                settings.hash_concurrency.max(1),
            )),
        }),
        menus: Arc::new(menu::Menus {
            pool: runtime.pool.clone(),
            redis: runtime.redis.clone(),
            keys: keys.clone(),
        }),
        search: Arc::new(search::Search {
            pool: runtime.pool.clone(),
            redis: runtime.redis.clone(),
            keys,
            days: days.clone(),
        }),
        days,
        pool: runtime.pool.clone(),
    };
    let server = contracts::store::v1::store_service_server::StoreServiceServer::new(store);
    runtime
        .run(config.store.endpoints(), Routes::new(server))
        .await
}
