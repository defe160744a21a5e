#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(platform::Service::Payment, payment::serve_with).await
}
