//! The store service: stores, accounts and sessions, the business day, menus, store profiles
//! and search (by name, nearby from coordinates or a place name through Kakao Local).

pub mod admin;
mod day;
mod error;
mod grpc;
mod local;
mod login_limit;
mod menu;
mod places;
mod profile;
mod recent;
mod seal;
mod search;
mod session;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use contracts::clients::OrderServiceClient;
use contracts::streams::{self, groups};
use platform::bus::{Consumer, ConsumerOptions};
use platform::settings::{Problems, Validate, duration, format_duration, number};
use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub use error::RETRY_AFTER_TRAILER;
pub use login_limit::LoginLimits;
/// What a menu edit may hold at most: the maxima every other service's views must handle.
pub use menu::{DESCRIPTION_MAX_CHARS, LIST_MAX, NAME_MAX_CHARS, PRICE_MAX_WON, SELECT_MAX};
pub use session::SessionTimeouts;

pub const SERVICE: &str = "store";

/// Policies of the service that tests (and operators) may want to change. Each is an
/// environment variable and a flag (`STORE_CLOSE_WAIT`, `--store-close-wait`); `Default` is the
/// same values without reading the environment.
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Store service")]
pub struct StoreSettings {
    #[command(flatten)]
    pub sessions: SessionTimeouts,
    #[command(flatten)]
    pub login_limits: LoginLimits,
    /// Password hashes checked at once; each takes ~19 MiB and a core for tens of milliseconds.
    #[arg(
        id = "store-hash-concurrency",
        long = "store-hash-concurrency",
        env = "STORE_HASH_CONCURRENCY",
        value_name = "N",
        default_value = "4",
        value_parser = number::<usize>()
    )]
    pub hash_concurrency: usize,
    /// How long CLOSE waits after CLOSING began: the payment window (15 minutes) plus a margin,
    /// so a customer who started paying just before closing can finish.
    #[arg(
        id = "store-close-wait",
        long = "store-close-wait",
        env = "STORE_CLOSE_WAIT",
        value_name = "DURATION",
        default_value = "17m",
        value_parser = duration()
    )]
    pub close_wait: Duration,
    /// How often the Redis copy of every live business day is rewritten from Postgres.
    #[arg(
        id = "store-reconcile-interval",
        long = "store-reconcile-interval",
        env = "STORE_RECONCILE_INTERVAL",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = duration()
    )]
    pub reconcile_interval: Duration,
    /// Deadline of one Kakao Local search. A place name is resolved inside a chatbot webhook
    /// whose call to this service has 2.5 s, so a slower answer would reach nobody.
    #[arg(
        id = "store-local-timeout",
        long = "store-local-timeout",
        env = "STORE_LOCAL_TIMEOUT",
        value_name = "DURATION",
        default_value = "1500ms",
        value_parser = duration()
    )]
    pub local_timeout: Duration,
    /// How long a place name Kakao Local found is remembered (one not found: 10 minutes).
    #[arg(
        id = "store-place-cache-ttl",
        long = "store-place-cache-ttl",
        env = "STORE_PLACE_CACHE_TTL",
        value_name = "DURATION",
        default_value = "24h",
        value_parser = duration()
    )]
    pub place_cache_ttl: Duration,
}

/// The chatbot's deadline for one call to this service; a place lookup must end well within it.
const SKILL_CALL_DEADLINE: Duration = Duration::from_millis(2_500);

impl Default for StoreSettings {
    fn default() -> StoreSettings {
        StoreSettings {
            sessions: SessionTimeouts::default(),
            login_limits: LoginLimits::default(),
            hash_concurrency: 4,
            close_wait: Duration::from_secs((15 + 2) * 60),
            reconcile_interval: Duration::from_secs(30),
            local_timeout: Duration::from_millis(1500),
            place_cache_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

impl Validate for StoreSettings {
    fn check(&self, problems: &mut Problems) {
        for (env, value) in [
            ("STORE_SESSION_IDLE", self.sessions.idle),
            ("STORE_SESSION_ABSOLUTE", self.sessions.absolute),
            ("STORE_LOGIN_LIMIT_WINDOW", self.login_limits.window),
            (
                "STORE_LOGIN_ACCOUNT_WINDOW",
                self.login_limits.account_window,
            ),
            ("STORE_LOGIN_LOCK_BASE", self.login_limits.lock_base),
            ("STORE_RECONCILE_INTERVAL", self.reconcile_interval),
            ("STORE_LOCAL_TIMEOUT", self.local_timeout),
            ("STORE_PLACE_CACHE_TTL", self.place_cache_ttl),
        ] {
            problems.non_zero_duration(env, value);
        }
        // A limit of 0 refuses every login, the right password included.
        problems.at_least_one(
            "STORE_LOGIN_LIMIT_PER_ACCOUNT",
            u64::from(self.login_limits.per_account),
        );
        problems.at_least_one(
            "STORE_LOGIN_LIMIT_PER_IP",
            u64::from(self.login_limits.per_ip),
        );
        problems.at_least_one(
            "STORE_LOGIN_LIMIT_PER_CLIENT",
            u64::from(self.login_limits.per_client),
        );
        problems.require(
            self.login_limits.lock_max >= self.login_limits.lock_base,
            || "STORE_LOGIN_LOCK_MAX must be at least STORE_LOGIN_LOCK_BASE".to_owned(),
        );
        problems.at_least_one("STORE_HASH_CONCURRENCY", self.hash_concurrency as u64);
        problems.require(self.local_timeout < SKILL_CALL_DEADLINE, || {
            format!(
                "STORE_LOCAL_TIMEOUT ({}) must be under the chatbot's {} call deadline, or a \
                 nearby search by place name answers nobody",
                format_duration(self.local_timeout),
                format_duration(SKILL_CALL_DEADLINE)
            )
        });
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
    let mut runtime = Runtime::connect(platform::Service::Store, &config, shutdown).await?;
    runtime.spawn_relay();
    let keys = storage::StoreKeys(runtime.keys.clone());
    let me = runtime.identity()?;
    let days = Arc::new(day::Days {
        pool: runtime.pool.clone(),
        redis: runtime.redis.clone(),
        keys: keys.clone(),
        close_wait: settings.close_wait,
        seals: seal::Seals {
            order: OrderServiceClient::new(platform::grpc::client(
                &me,
                &config.order.endpoints().url,
            )?),
        },
    });
    let reconciler = days
        .clone()
        .reconcile_forever(settings.reconcile_interval, runtime.shutdown.clone());
    runtime.spawn_worker(reconciler);
    let recent = Arc::new(recent::RecentStores {
        pool: runtime.pool.clone(),
    });
    let recent_consumer = Consumer::new(
        &config.redis_url,
        runtime.keys.clone(),
        ConsumerOptions {
            service: SERVICE,
            ..ConsumerOptions::new(streams::ORDER_EVENTS, groups::RECENT_STORES)
        },
    );
    let handler = move |message: platform::bus::Message| {
        let recent = recent.clone();
        async move { recent.handle(&message).await }
    };
    runtime.spawn_worker(recent_consumer.run(handler, runtime.shutdown.clone()));
    let local = local::LocalApi::new(
        &config.kakao.local_base_url,
        &config.kakao.rest_api_key,
        settings.local_timeout,
    )
    .map_err(|e| platform::Error::Config(format!("Kakao Local client: {e}")))?;
    let places = Arc::new(places::Places {
        api: local,
        redis: runtime.redis.clone(),
        keys: keys.clone(),
        cache_ttl: settings.place_cache_ttl,
    });
    let profiles = Arc::new(profile::Profiles {
        pool: runtime.pool.clone(),
        redis: runtime.redis.clone(),
        keys: keys.clone(),
        places: places.clone(),
    });
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
            built: Default::default(),
        }),
        search: Arc::new(search::Search {
            pool: runtime.pool.clone(),
            redis: runtime.redis.clone(),
            keys,
            days: days.clone(),
            places,
        }),
        profiles,
        days,
        pool: runtime.pool.clone(),
    };
    let server = contracts::store::v1::store_service_server::StoreServiceServer::new(store);
    runtime
        .run(config.store.endpoints(), Routes::new(server))
        .await
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use platform::settings::parse_from;

    #[test]
    fn flags_reach_nested_settings() {
        let settings = parse_from::<StoreSettings>(&[
            "--store-session-idle",
            "30m",
            "--store-login-limit-per-ip",
            "100",
        ])
        .unwrap();
        assert_eq!(settings.sessions.idle, Duration::from_secs(30 * 60));
        assert_eq!(settings.login_limits.per_ip, 100);
        assert_eq!(settings.login_limits.per_account, 20);
    }

    #[test]
    fn a_kakao_local_deadline_past_the_chatbots_is_refused() {
        let settings = parse_from::<StoreSettings>(&["--store-local-timeout", "2500ms"]).unwrap();
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("STORE_LOCAL_TIMEOUT (2500ms)"), "{error}");
        let settings = parse_from::<StoreSettings>(&["--store-local-timeout", "2s"]).unwrap();
        settings.validate().unwrap();
        assert_eq!(settings.place_cache_ttl, Duration::from_secs(24 * 3600));
    }

    #[test]
    fn a_login_limit_of_zero_is_refused() {
        let mut settings = StoreSettings::default();
        settings.login_limits.per_account = 0;
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains("STORE_LOGIN_LIMIT_PER_ACCOUNT must be at least 1"),
            "{error}"
        );
    }
}
