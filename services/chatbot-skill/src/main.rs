#[tokio::main]
async fn main() -> std::process::ExitCode {
    platform::runtime::service_main_with(platform::Service::ChatbotSkill, chatbot_skill::serve_with)
        .await
}
