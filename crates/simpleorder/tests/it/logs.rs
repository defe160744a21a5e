//! A JSON log line leads to its trace: the real `simpleorder` binary with `LOG_FORMAT=json`,
//! asked over gRPC by a caller whose trace is known, writes the line it logs while serving that
//! call with the caller's `trace_id` (and a `span_id` of its own), so an operator can open the
//! trace from the log line.

use std::process::Command;
use std::time::Duration;

use contracts::store::v1::LoginRequest;
use contracts::store::v1::store_service_client::StoreServiceClient;
use serde_json::Value;
use testkit::{TestDb, TestRedis, unused_addr};

use crate::process::Running;

const TRACE_ID: &str = "5b8efff798038103d269b633813fc60c";
const CALLER_SPAN: &str = "eee19b7ec3c1b174";

#[tokio::test]
async fn a_json_log_line_written_while_serving_a_call_carries_the_callers_trace_id()
-> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let (grpc, ops) = (unused_addr()?, unused_addr()?);
    let mut command = Command::new(env!("CARGO_BIN_EXE_simpleorder"));
    command
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
        .args(["run", "--services", "store"]);
    let mut child = Running::spawn(command)?;
    if let Some(status) = child.until_ready(ops, "the store").await? {
        panic!("simpleorder stopped ({status}):\n{}", child.printed());
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

    let line = testkit::eventually(Duration::from_secs(10), || async {
        child
            .printed()
            .lines()
            .find(|l| l.contains("gRPC call without the service token"))
            .map(str::to_owned)
    })
    .await
    .map_err(|_| anyhow::anyhow!("the refusal was not logged:\n{}", child.printed()))?;
    let logged: Value = serde_json::from_str(&line)?;
    assert_eq!(logged["trace_id"], TRACE_ID, "{line}");
    let span_id = logged["span_id"].as_str().unwrap_or_default();
    assert!(
        span_id.len() == 16 && span_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{line}"
    );
    assert_ne!(span_id, CALLER_SPAN, "the server's own span: {line}");
    // Lines written outside any span (start-up) carry no made-up ids.
    let started = child
        .printed()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l.get("span").is_none())
        .expect("a line logged outside any span");
    assert!(started.get("trace_id").is_none(), "{started}");
    Ok(())
}
