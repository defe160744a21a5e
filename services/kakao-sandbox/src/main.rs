#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main(kakao_sandbox::serve).await
}
