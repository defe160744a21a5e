#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(platform::Service::Store, store::serve_with).await
}
