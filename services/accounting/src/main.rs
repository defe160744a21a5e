#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main(accounting::serve).await
}
