//! Kakao's request id (`X-Request-Id`, `chp-…`) is in the log line of every skill call, so an
//! operator can quote it to Kakao support: posted to the gateway, it is carried to
//! chatbot-skill over gRPC and logged with the skill's outcome, whether the call succeeded or
//! failed. The test keeps every log line in memory with a subscriber of its own thread; the
//! services run on that thread too (`#[tokio::test]` is single-threaded).

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Chat, closed_port};
use platform::Service;
use reqwest::StatusCode;
use testkit::{System, TestDb, TestRedis};

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn containing(&self, needle: &str) -> Vec<String> {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn every_skill_call_logs_kakaos_request_id() -> anyhow::Result<()> {
    let lines = Lines::default();
    let writer = lines.clone();
    let _logs = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish(),
    );

    // The order service is down: the greeting still answers, the store search fails.
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
    config.order.url = Some(closed_port()?);
    let system = System::start_with(
        crate::LAUNCH,
        &[Service::Gateway, Service::Store, Service::ChatbotSkill],
        config,
    )
    .await?;
    let chat = Chat::new(&system);
    let run = uuid::Uuid::now_v7().simple().to_string();

    for (skill, said, outcome) in [
        ("welcome", "시작", "ok"),
        ("stores", "매장 찾기 간편카페", "error"),
    ] {
        let id = format!("chp-{run}-{skill}");
        let body = chat.payload(skill, said, serde_json::json!({}), serde_json::json!({}));
        let reply = chat
            .post_raw(
                skill,
                body.to_string().into_bytes(),
                &[("X-Request-Id", &id)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let logged = lines.containing(&id);
        let answered: Vec<&String> = logged
            .iter()
            .filter(|l| l.contains("skill answered"))
            .collect();
        assert_eq!(answered.len(), 1, "one line per call: {logged:#?}");
        assert!(
            answered[0].contains(skill) && answered[0].contains(&format!("outcome=\"{outcome}\"")),
            "{}",
            answered[0]
        );
        if outcome == "error" {
            assert!(
                logged.iter().any(|l| l.contains("skill failed")),
                "the failure's own line carries the id too: {logged:#?}"
            );
        }
    }

    // A forged header does not reach the log.
    let body = chat.payload(
        "welcome",
        "시작",
        serde_json::json!({}),
        serde_json::json!({}),
    );
    chat.post_raw(
        "welcome",
        body.to_string().into_bytes(),
        &[("X-Request-Id", "chp-x FORGED=1")],
    )
    .await;
    assert!(lines.containing("FORGED").is_empty());
    system.stop().await.ok();
    Ok(())
}
