#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(platform::Service::Order, order::serve_with).await
}
