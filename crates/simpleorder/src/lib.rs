//! Runs any set of SimpleOrder services in one process. In-process services still talk to each
//! other over gRPC on loopback, so the code path is the one Kubernetes runs.

use std::time::Duration;

use platform::{Config, Service, Shutdown};
use tokio::task::JoinSet;

/// Runs `services` until `shutdown`, or until one of them fails, which stops the others.
pub async fn run(
    config: Config,
    services: Vec<Service>,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    platform::telemetry::init(&config);
    let mut tasks = JoinSet::new();
    for service in services {
        let config = config.clone();
        let token = shutdown.clone();
        tasks.spawn(async move {
            match service {
                Service::Gateway => gateway::serve(config, token).await,
                Service::Store => store::serve(config, token).await,
                Service::Order => order::serve(config, token).await,
                Service::Payment => payment::serve(config, token).await,
                Service::Accounting => accounting::serve(config, token).await,
                Service::ChatbotSkill => chatbot_skill::serve(config, token).await,
                Service::KakaoSandbox => kakao_sandbox::serve(config, token).await,
            }
        });
    }
    platform::runtime::supervise("simpleorder", &mut tasks, &shutdown).await
}

/// Waits until every service of `services` accepts connections on its ops port (the sandbox on
/// its own port), so the URLs printed next are live.
pub async fn wait_until_listening(
    config: &Config,
    services: &[Service],
    timeout: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    for &service in services {
        let addr = match config.endpoints(service) {
            Some(endpoints) => endpoints.ops_addr,
            None => config.sandbox_addr,
        };
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    true
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
