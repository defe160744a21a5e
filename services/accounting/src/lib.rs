//! The accounting service: closing reconciliation and daily reports (DESIGN §5 Accounting).
//!
//! `business_day.closed` on `x:accounting` schedules the day; once the settle delay has passed
//! the worker reconciles Postgres, KakaoPay and the day stream, archives the stream into
//! `order_history` and deletes it with its dedupe keys. Reports are read over gRPC.

mod archive;
mod books;
mod error;
mod grpc;
mod reconcile;
mod reports;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use contracts::clients::PaymentServiceClient;
use platform::bus::{Consumer, ConsumerOptions, HandlerError};
use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub const SERVICE: &str = "accounting";

/// The stream closed days arrive on.
pub const ACCOUNTING_STREAM: &str = "x:accounting";

/// KakaoPay inquiries wait for KakaoPay through the payment service: longer than the default.
const INQUIRY_DEADLINE: Duration = Duration::from_secs(10);

/// Policies tests (and operators) may want to change.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountingSettings {
    /// How long after a day closed it is reconciled, so KakaoPay's view has settled (a refund
    /// asked for just before closing has finished).
    pub settle_delay: Duration,
    /// How often the worker looks for days whose settle delay has passed.
    pub poll_interval: Duration,
}

impl Default for AccountingSettings {
    fn default() -> AccountingSettings {
        AccountingSettings {
            settle_delay: Duration::from_secs(120),
            poll_interval: Duration::from_secs(5),
        }
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
    let mut runtime = Runtime::connect(SERVICE, &config, shutdown).await?;
    let payment = PaymentServiceClient::new(platform::grpc::client_with_deadline(
        &config.payment.endpoints().url,
        INQUIRY_DEADLINE,
    )?);
    let books = Arc::new(books::Books {
        pool: runtime.pool.clone(),
        redis: runtime.redis.clone(),
        keys: runtime.keys.clone(),
        payment,
        wake: tokio::sync::Notify::new(),
    });
    let consumer = Consumer::new(
        &config.redis_url,
        runtime.keys.clone(),
        ConsumerOptions::new(ACCOUNTING_STREAM, books::CONSUMER),
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
    runtime.spawn_worker(books.clone().run(
        settings.settle_delay,
        settings.poll_interval,
        runtime.shutdown.clone(),
    ));
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
