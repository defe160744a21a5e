#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(payment::serve_with).await
}
