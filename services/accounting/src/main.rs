#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(accounting::serve_with).await
}
