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

use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub use error::KAKAOPAY_ERROR_CODE_TRAILER;
pub use kakaopay::Timeouts;

pub const SERVICE: &str = "payment";

/// Policies of the service that tests (and operators) may want to change.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentSettings {
    /// KakaoPay's payment window: a tid can be approved for 15 minutes.
    pub window: Duration,
    /// How long a session outlives its window, so an approval arriving at the last moment still
    /// finds it (and a used token is still recognised).
    pub session_margin: Duration,
    /// A live payment with less time left than this is replaced rather than reused: the customer
    /// needs time to pay.
    pub reuse_min_remaining: Duration,
    pub timeouts: Timeouts,
    /// Attempts of an `order` inquiry, with doubling backoff from `inquiry_backoff`.
    pub inquiry_attempts: u32,
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

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, PaymentSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    settings: PaymentSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    let runtime = Runtime::connect(SERVICE, &config, shutdown).await?;
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
