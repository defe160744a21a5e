//! The payment service: payment sessions and tokens, the KakaoPay client, and KakaoPay's verdict
//! on every approve and cancel, settled by inquiry when unclear (DESIGN §5).
//!
//! The payment ledger row (`order_payment`) is written by the order service in the same
//! transaction that moves the order to PLACED; Approve answers everything that row needs.

mod error;
mod grpc;
mod kakaopay;
mod payments;
mod session;
mod settle;
mod storage;

use std::sync::Arc;
use std::time::Duration;

use platform::settings::{Problems, Validate, duration, format_duration, number};
use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub use error::KAKAOPAY_ERROR_CODE_TRAILER;
pub use kakaopay::Timeouts;

pub const SERVICE: &str = "payment";

/// Policies of the service that tests (and operators) may want to change. Each is an
/// environment variable and a flag (`PAYMENT_WINDOW`, `--payment-window`); `Default` is the same
/// values without reading the environment.
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Payment service")]
pub struct PaymentSettings {
    /// KakaoPay's payment window: a tid can be approved for 15 minutes.
    #[arg(
        id = "payment-window",
        long = "payment-window",
        env = "PAYMENT_WINDOW",
        value_name = "DURATION",
        default_value = "15m",
        value_parser = duration()
    )]
    pub window: Duration,
    /// How long a session outlives its window, so an approval arriving at the last moment still
    /// finds it (and a used token is still recognised).
    #[arg(
        id = "payment-session-margin",
        long = "payment-session-margin",
        env = "PAYMENT_SESSION_MARGIN",
        value_name = "DURATION",
        default_value = "2m",
        value_parser = duration()
    )]
    pub session_margin: Duration,
    /// A live payment with less time left than this is replaced rather than reused: the customer
    /// needs time to pay.
    #[arg(
        id = "payment-reuse-min-remaining",
        long = "payment-reuse-min-remaining",
        env = "PAYMENT_REUSE_MIN_REMAINING",
        value_name = "DURATION",
        default_value = "60s",
        value_parser = duration()
    )]
    pub reuse_min_remaining: Duration,
    #[command(flatten)]
    pub timeouts: Timeouts,
    /// Attempts of an `order` inquiry, with doubling backoff from PAYMENT_INQUIRY_BACKOFF.
    #[arg(
        id = "payment-inquiry-attempts",
        long = "payment-inquiry-attempts",
        env = "PAYMENT_INQUIRY_ATTEMPTS",
        value_name = "N",
        default_value = "3",
        value_parser = number::<u32>()
    )]
    pub inquiry_attempts: u32,
    /// Wait before the second inquiry attempt; doubled for each one after.
    #[arg(
        id = "payment-inquiry-backoff",
        long = "payment-inquiry-backoff",
        env = "PAYMENT_INQUIRY_BACKOFF",
        value_name = "DURATION",
        default_value = "200ms",
        value_parser = duration()
    )]
    pub inquiry_backoff: Duration,
}

impl Default for PaymentSettings {
    fn default() -> PaymentSettings {
        PaymentSettings {
            window: Duration::from_secs(15 * 60),
            session_margin: Duration::from_secs(2 * 60),
            reuse_min_remaining: Duration::from_secs(60),
            timeouts: Timeouts::default(),
            inquiry_attempts: 3,
            inquiry_backoff: Duration::from_millis(200),
        }
    }
}

/// The order service's deadline for `prepare`, the call `ready` runs inside.
const PREPARE_HOP: Duration = Duration::from_secs(3);

impl Validate for PaymentSettings {
    fn check(&self, problems: &mut Problems) {
        problems.require(self.reuse_min_remaining < self.window, || {
            format!(
                "PAYMENT_REUSE_MIN_REMAINING ({}) must be shorter than PAYMENT_WINDOW ({}), or \
                 no payment is ever reused",
                format_duration(self.reuse_min_remaining),
                format_duration(self.window)
            )
        });
        problems.require(self.timeouts.ready < PREPARE_HOP, || {
            format!(
                "PAYMENT_TIMEOUT_READY ({}) must be shorter than the {} the 결제하기 skill's \
                 gRPC hop allows, or its answer reaches nobody",
                format_duration(self.timeouts.ready),
                format_duration(PREPARE_HOP)
            )
        });
        problems.non_zero_duration("PAYMENT_WINDOW", self.window);
        for (env, timeout) in [
            ("PAYMENT_TIMEOUT_READY", self.timeouts.ready),
            ("PAYMENT_TIMEOUT_ORDER", self.timeouts.order),
            ("PAYMENT_TIMEOUT_APPROVE", self.timeouts.approve),
            ("PAYMENT_TIMEOUT_CANCEL", self.timeouts.cancel),
        ] {
            problems.non_zero_duration(env, timeout);
        }
        problems.at_least_one("PAYMENT_INQUIRY_ATTEMPTS", u64::from(self.inquiry_attempts));
    }
}

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, PaymentSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    settings: PaymentSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    // Payment keeps its sessions in Redis and nothing in Postgres.
    let runtime =
        Runtime::connect_without_postgres(platform::Service::Payment, &config, shutdown).await?;
    kakaopay::init_metrics();
    let kakaopay = kakaopay::KakaoPay::new(
        &config.kakao.kakaopay_base_url,
        &config.kakao.kakaopay_cid,
        &config.kakao.kakaopay_secret_key,
        settings.timeouts,
    )
    .map_err(|e| platform::Error::Config(format!("KakaoPay HTTP client: {e}")))?;
    let payments = payments::Payments {
        kakaopay,
        sessions: storage::SessionStore {
            redis: runtime.redis.clone(),
            keys: runtime.keys.clone(),
        },
        settings,
        public_base_url: config.public_base_url.clone(),
    };
    let server = contracts::payment::v1::payment_service_server::PaymentServiceServer::new(
        grpc::PaymentGrpc {
            payments: Arc::new(payments),
        },
    );
    runtime
        .run(config.payment.endpoints(), Routes::new(server))
        .await
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use platform::settings::parse_from;

    #[test]
    fn a_flag_reaches_a_nested_timeout() {
        let settings =
            parse_from::<PaymentSettings>(&["--payment-timeout-approve", "11s"]).unwrap();
        assert_eq!(settings.timeouts.approve, Duration::from_secs(11));
        assert_eq!(settings.timeouts.ready, Timeouts::default().ready);
    }

    #[test]
    fn a_ready_timeout_longer_than_its_hop_is_refused() {
        let settings = PaymentSettings {
            timeouts: Timeouts {
                ready: Duration::from_secs(4),
                ..Timeouts::default()
            },
            ..PaymentSettings::default()
        };
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("PAYMENT_TIMEOUT_READY (4s)"), "{error}");
    }
}
