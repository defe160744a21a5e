#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main(platform::Service::Gateway, gateway::serve).await
}
