//! Runs any set of SimpleOrder services in one process. In-process services still talk to each
//! other over gRPC on loopback, so the code path is the one Kubernetes runs.

use platform::settings::{Problems, Validate, format_duration};
use platform::{Config, Service, Shutdown};
use tokio::task::JoinSet;

/// The settings of every service, as `simpleorder run` reads them from flags and the
/// environment (each service only uses its own). `Default` is the code's values.
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct Settings {
    #[command(flatten)]
    pub store: store::StoreSettings,
    #[command(flatten)]
    pub order: order::OrderSettings,
    #[command(flatten)]
    pub payment: payment::PaymentSettings,
    #[command(flatten)]
    pub accounting: accounting::AccountingSettings,
    #[command(flatten)]
    pub alerts: chatbot_skill::AlertSettings,
}

impl Validate for Settings {
    fn check(&self, problems: &mut Problems) {
        self.store.check(problems);
        self.order.check(problems);
        self.payment.check(problems);
        self.accounting.check(problems);
        self.alerts.check(problems);
        // Rules across services: one ConfigMap feeds every pod, so each pod checks them all.
        let window = self.payment.window;
        problems.require(self.order.hold_cart >= window, || {
            format!(
                "ORDER_HOLD_CART ({}) must be at least PAYMENT_WINDOW ({}): a cart being paid for \
                 must outlive its payment",
                format_duration(self.order.hold_cart),
                format_duration(window)
            )
        });
        problems.require(self.store.close_wait >= window, || {
            format!(
                "STORE_CLOSE_WAIT ({}) must be at least PAYMENT_WINDOW ({}): a customer who \
                 started paying just before closing must be able to finish",
                format_duration(self.store.close_wait),
                format_duration(window)
            )
        });
    }
}

/// Runs `services` with their default settings until `shutdown`, or until one of them fails,
/// which stops the others.
pub async fn run(
    config: Config,
    services: Vec<Service>,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    run_with(config, Settings::default(), services, shutdown).await
}

/// [`run`] with `settings`; nothing checks them here (tests shorten waits past the production
/// rules), [`Validate::validate`] is the caller's.
pub async fn run_with(
    config: Config,
    settings: Settings,
    services: Vec<Service>,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    platform::telemetry::init(&config);
    let mut tasks = JoinSet::new();
    for service in services {
        let config = config.clone();
        let token = shutdown.clone();
        let settings = settings.clone();
        tasks.spawn(async move {
            match service {
                Service::Gateway => gateway::serve(config, token).await,
                Service::Store => store::serve_with(config, settings.store, token).await,
                Service::Order => order::serve_with(config, settings.order, token).await,
                Service::Payment => payment::serve_with(config, settings.payment, token).await,
                Service::Accounting => {
                    accounting::serve_with(config, settings.accounting, token).await
                }
                Service::ChatbotSkill => {
                    chatbot_skill::serve_with(config, settings.alerts, token).await
                }
                Service::KakaoSandbox => kakao_sandbox::serve(config, token).await,
            }
        });
    }
    platform::runtime::supervise("simpleorder", &mut tasks, &shutdown).await
}

/// What a person opens after `simpleorder run`.
pub fn urls(config: &Config, services: &[Service]) -> String {
    let mut out = String::new();
    if services.contains(&Service::Gateway) {
        out += &format!("  Store web UI      {}/\n", config.public_base_url);
        out += &format!(
            "  Kakao skills      {}/kakao/skill/{{name}}\n",
            config.public_base_url
        );
    }
    if services.contains(&Service::KakaoSandbox) {
        out += &format!("  Kakao sandbox     http://{}/\n", config.sandbox_addr);
        out += &format!(
            "  Chat simulator    http://{}/chat   (play the customer in KakaoTalk)\n",
            config.sandbox_addr
        );
    }
    out += "  Health (healthz, readyz, metrics):\n";
    for &service in services {
        if let Some(endpoints) = config.endpoints(service) {
            out += &format!(
                "    {:<14} http://{}/readyz   gRPC {}\n",
                service.name(),
                endpoints.ops_addr,
                endpoints.grpc_addr
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use platform::settings::parse_from;

    /// The one check that every service's flag defaults match its code `Default` (the values
    /// tests start from) and pass their own rules.
    #[test]
    fn run_flags_default_to_every_service_default() {
        let settings = parse_from::<Settings>(&[]).unwrap();
        assert_eq!(settings, Settings::default());
        settings.validate().unwrap();
    }

    #[test]
    fn flags_of_every_service_reach_their_settings() {
        let settings = parse_from::<Settings>(&[
            "--store-close-wait",
            "20m",
            "--order-wait-cap",
            "15s",
            "--payment-inquiry-attempts",
            "5",
            "--accounting-poll-interval",
            "10s",
            "--alert-consumers",
            "4",
        ])
        .unwrap();
        assert_eq!(settings.store.close_wait, Duration::from_secs(20 * 60));
        assert_eq!(settings.order.wait_cap, Duration::from_secs(15));
        assert_eq!(settings.payment.inquiry_attempts, 5);
        assert_eq!(settings.accounting.poll_interval, Duration::from_secs(10));
        assert_eq!(settings.alerts.consumers, 4);
    }

    #[test]
    fn a_close_wait_shorter_than_the_payment_window_is_refused_with_both_names() {
        let settings = parse_from::<Settings>(&["--payment-window", "20m"]).unwrap();
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains("STORE_CLOSE_WAIT (17m) must be at least PAYMENT_WINDOW (20m)"),
            "{error}"
        );
        assert!(error.contains("ORDER_HOLD_CART (17m)"), "{error}");
    }
}
