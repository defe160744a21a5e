#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(order::serve_with).await
}
