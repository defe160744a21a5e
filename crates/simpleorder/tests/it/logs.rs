//! A JSON log line leads to its trace: the real `simpleorder` binary with `LOG_FORMAT=json`,
//! asked over gRPC by a caller whose trace is known, writes the line it logs while serving that
//! call with the caller's `trace_id` (and a `span_id` of its own), so an operator can open the
//! trace from the log line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contracts::store::v1::LoginRequest;
use contracts::store::v1::store_service_client::StoreServiceClient;
use serde_json::Value;
use testkit::{TestDb, TestRedis, unused_addr};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";
const CALLER_SPAN: &str = "eee19b7ec3c1b174";

#[tokio::test]
async fn a_json_log_line_written_while_serving_a_call_carries_the_callers_trace_id()
-> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let (grpc, ops) = (unused_addr()?, unused_addr()?);
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_simpleorder"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs([
                ("LOG_FORMAT", "json"),
                ("RUST_LOG", "info"),
                ("DATABASE_URL", db.url.as_str()),
                ("REDIS_URL", redis.url.as_str()),
                ("REDIS_PREFIX", redis.prefix.as_str()),
                ("STORE_GRPC_ADDR", grpc.to_string().as_str()),
                ("STORE_OPS_ADDR", ops.to_string().as_str()),
            ])
            .args(["run", "--services", "store"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let drained = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            drained.lock().unwrap().push(line);
        }
    });

    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = http
            .get(format!("http://{ops}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ready {
            break;
        }
        if let Some(status) = child.0.try_wait()? {
            panic!(
                "simpleorder stopped ({status}):\n{}",
                lines.lock().unwrap().join("\n")
            );
        }
        assert!(Instant::now() < deadline, "the store never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A call without the service token is refused, and the refusal logged, inside the span of
    // the call, whose parent is the caller's span.
    let mut request = tonic::Request::new(LoginRequest {
        login_id: "nobody".into(),
        password: "guess".into(),
        client_ip: "203.0.113.9".into(),
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{CALLER_SPAN}-01").parse()?,
    );
    let channel = platform::grpc::channel(&format!("http://{grpc}"))?;
    let refused = StoreServiceClient::new(channel)
        .login(request)
        .await
        .expect_err("no service token");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    let line = testkit::eventually(Duration::from_secs(10), || {
        let lines = lines.clone();
        async move {
            lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains("gRPC call without the service token"))
                .cloned()
        }
    })
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "the refusal was not logged:\n{}",
            lines.lock().unwrap().join("\n")
        )
    })?;
    let logged: Value = serde_json::from_str(&line)?;
    assert_eq!(logged["trace_id"], TRACE_ID, "{line}");
    let span_id = logged["span_id"].as_str().unwrap_or_default();
    assert!(
        span_id.len() == 16 && span_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
    assert_ne!(span_id, CALLER_SPAN, "the server's own span: {line}");
    // Lines written outside any span (start-up) carry no made-up ids.
    let lines = lines.lock().unwrap();
    let started = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l.get("span").is_none())
        .expect("a line logged outside any span");
    assert!(started.get("trace_id").is_none(), "{started}");
    Ok(())
}
