//! The accounting service: closing reconciliation and daily reports (DESIGN §5 Accounting).
//!
//! `business_day.closed` on `x:accounting` schedules the day; once the settle delay has passed
//! the worker reconciles the order service's books of the day (`ListDayBooks`), KakaoPay and the
//! day stream, keeps what the reports need of the day's orders, archives the stream into
//! `order_history` and deletes it with its dedupe keys. Reports are read over gRPC from
//! accounting's own tables.

mod archive;
mod books;
mod error;
mod grpc;
mod reconcile;
mod reports;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use contracts::clients::{OrderServiceClient, PaymentServiceClient, StoreServiceClient};
use contracts::streams;
use platform::bus::{Consumer, ConsumerOptions, HandlerError};
use platform::settings::{Problems, Validate, duration, format_duration};
use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub const SERVICE: &str = "accounting";

/// KakaoPay inquiries wait for KakaoPay through the payment service: longer than the default.
const INQUIRY_DEADLINE: Duration = Duration::from_secs(10);
/// A day stream rebuild reads the whole day from Postgres: allow it more than one inquiry.
const STREAM_DEADLINE: Duration = Duration::from_secs(30);
/// Asking the store service whether a day is still open, for an operator's ReconcileDay.
const DAY_DEADLINE: Duration = Duration::from_secs(5);

/// Policies tests (and operators) may want to change. Each is an environment variable and a
/// flag (`ACCOUNTING_SETTLE_DELAY`, `--accounting-settle-delay`); `Default` is the same values
/// without reading the environment.
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Accounting service")]
pub struct AccountingSettings {
    /// How long after a day closed it is reconciled, so KakaoPay's view has settled (a refund
    /// asked for just before closing has finished).
    #[arg(
        id = "accounting-settle-delay",
        long = "accounting-settle-delay",
        env = "ACCOUNTING_SETTLE_DELAY",
        value_name = "DURATION",
        default_value = "2m",
        value_parser = duration()
    )]
    pub settle_delay: Duration,
    /// How often the worker looks for days whose settle delay has passed; also the first wait
    /// before a failed day is tried again.
    #[arg(
        id = "accounting-poll-interval",
        long = "accounting-poll-interval",
        env = "ACCOUNTING_POLL_INTERVAL",
        value_name = "DURATION",
        default_value = "5s",
        value_parser = duration()
    )]
    pub poll_interval: Duration,
    /// Longest wait before a day whose reconciliation keeps failing is tried again; the wait
    /// doubles from ACCOUNTING_POLL_INTERVAL with every failure up to this.
    #[arg(
        id = "accounting-retry-max",
        long = "accounting-retry-max",
        env = "ACCOUNTING_RETRY_MAX",
        value_name = "DURATION",
        default_value = "10m",
        value_parser = duration()
    )]
    pub retry_max: Duration,
}

impl Default for AccountingSettings {
    fn default() -> AccountingSettings {
        AccountingSettings {
            settle_delay: Duration::from_secs(120),
            poll_interval: Duration::from_secs(5),
            retry_max: Duration::from_secs(10 * 60),
        }
    }
}

impl Validate for AccountingSettings {
    fn check(&self, problems: &mut Problems) {
        problems.non_zero_duration("ACCOUNTING_POLL_INTERVAL", self.poll_interval);
        problems.require(self.retry_max >= self.poll_interval, || {
            format!(
                "ACCOUNTING_RETRY_MAX ({}) must be at least ACCOUNTING_POLL_INTERVAL ({}), the \
                 first wait after a failure",
                format_duration(self.retry_max),
                format_duration(self.poll_interval)
            )
        });
    }
}

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, AccountingSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    settings: AccountingSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    let mut runtime = Runtime::connect(platform::Service::Accounting, &config, shutdown).await?;
    let me = runtime.identity()?;
    let payment = PaymentServiceClient::new(platform::grpc::client_with_deadline(
        &me,
        &config.payment.endpoints().url,
        INQUIRY_DEADLINE,
    )?);
    let order = OrderServiceClient::new(platform::grpc::client_with_deadline(
        &me,
        &config.order.endpoints().url,
        STREAM_DEADLINE,
    )?);
    let store = StoreServiceClient::new(platform::grpc::client_with_deadline(
        &me,
        &config.store.endpoints().url,
        DAY_DEADLINE,
    )?);
    let books = Arc::new(books::Books {
        pool: runtime.pool.clone(),
        redis: runtime.redis.clone(),
        keys: runtime.keys.clone(),
        payment,
        order,
        store,
        wake: tokio::sync::Notify::new(),
    });
    let consumer = Consumer::new(
        &config.redis_url,
        runtime.keys.clone(),
        ConsumerOptions {
            service: SERVICE,
            ..ConsumerOptions::new(streams::ACCOUNTING, streams::groups::ACCOUNTING)
        },
    );
    let handler_books = books.clone();
    let handler = move |message: platform::bus::Message| {
        let books = handler_books.clone();
        async move {
            books
                .on_closed(&message)
                .await
                .map_err(|e| Box::new(e) as HandlerError)
        }
    };
    runtime.spawn_worker(consumer.run(handler, runtime.shutdown.clone()));
    runtime.spawn_worker(books.clone().run(settings, runtime.shutdown.clone()));
    let reports = Arc::new(reports::Reports {
        pool: runtime.pool.clone(),
    });
    let server = contracts::accounting::v1::accounting_service_server::AccountingServiceServer::new(
        grpc::AccountingGrpc { books, reports },
    );
    runtime
        .run(config.accounting.endpoints(), Routes::new(server))
        .await
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use platform::settings::parse_from;

    #[test]
    fn a_flag_reaches_its_setting_and_a_bad_duration_names_its_variable() {
        let settings =
            parse_from::<AccountingSettings>(&["--accounting-retry-max", "1h30m"]).unwrap();
        assert_eq!(settings.retry_max, Duration::from_secs(90 * 60));
        let error = parse_from::<AccountingSettings>(&["--accounting-settle-delay", "2 minutes"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("ACCOUNTING_SETTLE_DELAY"), "{error}");
    }

    #[test]
    fn a_retry_cap_below_the_first_wait_is_refused() {
        let settings = AccountingSettings {
            poll_interval: Duration::from_secs(30),
            retry_max: Duration::from_secs(10),
            ..AccountingSettings::default()
        };
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("ACCOUNTING_RETRY_MAX (10s)"), "{error}");
    }
}
