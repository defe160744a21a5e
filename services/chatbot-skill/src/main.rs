#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main(chatbot_skill::serve).await
}
