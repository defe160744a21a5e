//! The connections and lifecycle one service runs with. A service's `serve` builds a `Runtime`,
//! registers its gRPC routes and background workers, and hands control to `run`.

use std::future::Future;

use ::redis::aio::ConnectionManager;
use sqlx::PgPool;
use tokio::task::JoinSet;
use tonic::service::Routes;

use crate::config::{Config, Endpoints, Service};
use crate::ops::Readiness;
use crate::redis::Keys;
use crate::settings::Validate;
use crate::shutdown::Shutdown;
use crate::{Error, grpc, ops};

/// What a service keeps in Postgres: a pool, or nothing at all ([`NoDatabase`]).
pub trait Database: Send + Sync + 'static {
    /// The pool readiness checks, if any.
    fn checked(&self) -> Option<PgPool>;
    fn close(&self) -> impl Future<Output = ()> + Send;
}

impl Database for PgPool {
    fn checked(&self) -> Option<PgPool> {
        Some(self.clone())
    }

    async fn close(&self) {
        PgPool::close(self).await;
    }
}

/// The gateway's and payment's: they own no data, so they hold no pool and need no database
/// credentials.
pub struct NoDatabase;

impl Database for NoDatabase {
    fn checked(&self) -> Option<PgPool> {
        None
    }

    async fn close(&self) {}
}

pub struct Runtime<D: Database = PgPool> {
    pub service: Service,
    pub config: Config,
    pub pool: D,
    pub redis: ConnectionManager,
    pub keys: Keys,
    pub shutdown: Shutdown,
    workers: JoinSet<Result<(), Error>>,
}

impl Runtime {
    pub async fn connect(
        service: Service,
        config: &Config,
        shutdown: Shutdown,
    ) -> Result<Runtime, Error> {
        let pool = crate::db::connect(config.database_url_of(service), service).await?;
        Runtime::with_database(service, config, pool, shutdown).await
    }

    /// Runs an outbox relay for the events this service writes.
    pub fn spawn_relay(&mut self) {
        let relay = crate::bus::Relay::new(
            self.pool.clone(),
            self.redis.clone(),
            self.keys.clone(),
            crate::bus::RelayOptions {
                name: self.service.name().to_owned(),
                ..Default::default()
            },
        );
        let shutdown = self.shutdown.clone();
        self.spawn_worker(relay.run(shutdown));
    }
}

impl Runtime<NoDatabase> {
    /// For a service that owns no data (the gateway, payment): no Postgres pool exists, so it needs no
    /// database credentials, and readiness checks Redis only.
    pub async fn connect_without_postgres(
        service: Service,
        config: &Config,
        shutdown: Shutdown,
    ) -> Result<Runtime<NoDatabase>, Error> {
        Runtime::with_database(service, config, NoDatabase, shutdown).await
    }
}

impl<D: Database> Runtime<D> {
    async fn with_database(
        service: Service,
        config: &Config,
        pool: D,
        shutdown: Shutdown,
    ) -> Result<Runtime<D>, Error> {
        crate::telemetry::init(config);
        let redis = crate::redis::connect(&config.redis_url).await?;
        Ok(Runtime {
            service,
            config: config.clone(),
            pool,
            redis,
            keys: Keys::new(config.redis_prefix.clone()),
            // A child token: a failing service stops itself without cancelling the others that
            // share the process; the binary decides what the whole process does.
            shutdown: shutdown.child_token(),
            workers: JoinSet::new(),
        })
    }

    /// Who this service's gRPC clients call as.
    pub fn identity(&self) -> Result<crate::grpc::Identity, Error> {
        self.config.identity(self.service)
    }

    /// Runs a background worker (a relay, a consumer, a sweeper) until shutdown. Workers watch
    /// `self.shutdown` and return once their current message is done.
    pub fn spawn_worker(
        &mut self,
        worker: impl Future<Output = Result<(), Error>> + Send + 'static,
    ) {
        self.workers.spawn(worker);
    }

    pub fn readiness(&self) -> Readiness {
        Readiness {
            service: self.service.name(),
            pool: self.pool.checked(),
            redis: Some(self.redis.clone()),
        }
    }

    /// Serves gRPC and the ops port, and waits for shutdown and for every worker to finish.
    pub async fn run(mut self, endpoints: Endpoints, routes: Routes) -> Result<(), Error> {
        let service = self.service.name();
        self.workers.spawn(ops::serve(
            endpoints.ops_addr,
            self.readiness(),
            self.config.http,
            self.shutdown.clone(),
        ));
        self.workers.spawn(grpc::serve(
            service,
            endpoints.grpc_addr,
            routes,
            self.config.accepted_by(self.service),
            self.shutdown.clone(),
        ));
        tracing::info!(service, grpc = %endpoints.grpc_addr, ops = %endpoints.ops_addr, "serving");
        let result = supervise(service, &mut self.workers, &self.shutdown).await;
        self.pool.close().await;
        tracing::info!(service, "stopped");
        result
    }
}

/// Waits for every task; the first one that fails stops the rest, so a service never runs on
/// with a dead relay or port.
pub async fn supervise(
    service: &'static str,
    tasks: &mut JoinSet<Result<(), Error>>,
    shutdown: &Shutdown,
) -> Result<(), Error> {
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let outcome = match joined {
            Ok(outcome) => outcome,
            Err(e) => Err(Error::Task {
                service,
                message: e.to_string(),
            }),
        };
        if let Err(e) = outcome {
            tracing::error!(service, error = %e, "task failed; stopping the service");
            shutdown.cancel();
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The `main` of a service binary without settings of its own: configuration from flags and
/// the environment, shutdown on SIGTERM, exit code 1 with the error on failure.
pub async fn service_main<F, Fut>(service: Service, serve: F) -> std::process::ExitCode
where
    F: FnOnce(Config, Shutdown) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    service_main_with(service, |config, NoSettings {}, shutdown| {
        serve(config, shutdown)
    })
    .await
}

/// A service with nothing to set beyond the shared [`Config`].
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct NoSettings {}

impl crate::settings::Validate for NoSettings {
    fn check(&self, _: &mut crate::settings::Problems) {}
}

/// The `main` of a service binary: the shared configuration and the service's settings `S`
/// from flags and the environment (both listed by `--help`), the settings and production mode
/// checked before anything connects, shutdown on SIGTERM, exit code 1 with the error on failure.
pub async fn service_main_with<S, F, Fut>(service: Service, serve: F) -> std::process::ExitCode
where
    S: clap::Args + crate::settings::Validate,
    F: FnOnce(Config, S, Shutdown) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    #[derive(clap::Parser)]
    struct Flags<S: clap::Args> {
        #[command(flatten)]
        config: Config,
        #[command(flatten)]
        settings: S,
    }
    let flags = <Flags<S> as clap::Parser>::parse();
    crate::telemetry::init(&flags.config);
    let checked = flags
        .config
        .validate()
        .and_then(|()| flags.settings.validate())
        .and_then(|()| crate::production::enforce(&flags.config, &[service]));
    let result = match checked {
        Ok(()) => {
            let shutdown = Shutdown::new();
            crate::shutdown::cancel_on_signal(shutdown.clone());
            serve(flags.config, flags.settings, shutdown).await
        }
        Err(e) => Err(e),
    };
    crate::telemetry::shutdown();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "service failed");
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
