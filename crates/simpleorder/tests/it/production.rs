//! Production mode as an operator meets it: the real `simpleorder` binary, started with a safe
//! production environment but for one unsafe setting, refuses to start and names the problem;
//! with everything unsafe it names every problem at once; with the safe set it starts. Without
//! production mode it starts as before and says, in a banner, what production would refuse.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use testkit::{TestDb, TestRedis, unused_addr};

use crate::process::Running;

const SAFE: [(&str, &str); 14] = [
    ("SIMPLEORDER_ENV", "production"),
    ("PUBLIC_BASE_URL", "https://order.example.com"),
    (
        "GATEWAY_SERVICE_TOKEN",
        "0123456789abcdef0123456789abcdef-gateway",
    ),
    (
        "STORE_SERVICE_TOKEN",
        "0123456789abcdef0123456789abcdef-store",
    ),
    (
        "ORDER_SERVICE_TOKEN",
        "0123456789abcdef0123456789abcdef-order",
    ),
    (
        "ACCOUNTING_SERVICE_TOKEN",
        "0123456789abcdef0123456789abcdef-books",
    ),
    (
        "CHATBOT_SKILL_SERVICE_TOKEN",
        "0123456789abcdef0123456789abcdef-chatbot",
    ),
    ("KAKAOPAY_BASE_URL", "https://open-api.kakaopay.com"),
    ("KAKAOPAY_CID", "CAFE000001"),
    ("KAKAOPAY_SECRET_KEY", "PRD0123456789ABCDEF"),
    ("KAKAO_BOT_API_BASE_URL", "https://bot-api.kakao.com"),
    ("KAKAO_LOCAL_BASE_URL", "https://dapi.kakao.com"),
    ("KAKAO_REST_API_KEY", "0123456789abcdef0123456789abcdef"),
    ("KAKAO_SKILL_SECRET", "a-skill-secret-of-32-characters!!"),
];

/// Nothing listens here: a process that passes its checks fails at once on connecting.
const CLOSED: [(&str, &str); 6] = [
    (
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:9/simpleorder",
    ),
    (
        "STORE_DATABASE_URL",
        "postgres://simpleorder_store@127.0.0.1:9/simpleorder",
    ),
    (
        "ORDER_DATABASE_URL",
        "postgres://simpleorder_order@127.0.0.1:9/simpleorder",
    ),
    (
        "ACCOUNTING_DATABASE_URL",
        "postgres://simpleorder_accounting@127.0.0.1:9/simpleorder",
    ),
    (
        "CHATBOT_SKILL_DATABASE_URL",
        "postgres://simpleorder_chatbot@127.0.0.1:9/simpleorder",
    ),
    ("REDIS_URL", "redis://127.0.0.1:9"),
];

fn command(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_simpleorder"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs to the end (at most 20 s) and returns what it printed.
fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut child = command(env, args).spawn().expect("simpleorder runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("simpleorder {args:?} did not stop within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// The safe production set with `changes` applied (an empty value unsets the variable).
fn production_with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env: Vec<_> = SAFE
        .iter()
        .chain(CLOSED.iter())
        .copied()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .collect();
    env.extend(changes.iter().filter(|(_, v)| !v.is_empty()).copied());
    env
}

/// Starts `simpleorder run` in production with one change and returns the refusal's problems.
fn refused(changes: &[(&'static str, &'static str)], args: &[&str]) -> Vec<String> {
    let out = run(&production_with(changes), args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "started despite {changes:?}:\n{stderr}"
    );
    assert!(
        stderr.contains("production mode (SIMPLEORDER_ENV=production) refuses to start"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("postgres") && !stderr.contains("redis"),
        "refused before connecting to anything:\n{stderr}"
    );
    stderr
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .map(str::to_owned)
        .collect()
}

/// Exactly one problem, containing `expected`.
fn refuses_for(changes: &[(&'static str, &'static str)], expected: &str) {
    let problems = refused(changes, &["run"]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains(expected), "{problems:#?}");
}

#[test]
fn a_sandbox_kakaopay_url_is_refused() {
    refuses_for(
        &[("KAKAOPAY_BASE_URL", "http://127.0.0.1:8090")],
        "KAKAOPAY_BASE_URL (http://127.0.0.1:8090) points at the kakao-sandbox or this machine",
    );
}

#[test]
fn a_loopback_kakao_bot_api_url_is_refused() {
    refuses_for(
        &[("KAKAO_BOT_API_BASE_URL", "http://localhost:8090")],
        "KAKAO_BOT_API_BASE_URL (http://localhost:8090) points at the kakao-sandbox",
    );
}

#[test]
fn a_sandbox_kakao_local_url_is_refused() {
    refuses_for(
        &[("KAKAO_LOCAL_BASE_URL", "http://127.0.0.1:8090")],
        "KAKAO_LOCAL_BASE_URL (http://127.0.0.1:8090) points at the kakao-sandbox",
    );
}

#[test]
fn the_sandbox_kakaopay_key_is_refused() {
    refuses_for(
        &[("KAKAOPAY_SECRET_KEY", "DEVSANDBOXKEY")],
        "KAKAOPAY_SECRET_KEY is the sandbox's key",
    );
    refuses_for(
        &[("KAKAOPAY_SECRET_KEY", "")],
        "KAKAOPAY_SECRET_KEY is the sandbox's key (or empty)",
    );
}

#[test]
fn the_sandbox_rest_api_key_is_refused() {
    refuses_for(
        &[("KAKAO_REST_API_KEY", "sandbox-rest-key")],
        "KAKAO_REST_API_KEY is the sandbox's key",
    );
}

#[test]
fn the_test_cid_is_refused_unless_staging_allows_it() {
    refuses_for(
        &[("KAKAOPAY_CID", "TC0ONETIME")],
        "KAKAOPAY_CID TC0ONETIME is KakaoPay's test merchant code",
    );
    // Allowed, it passes the checks and gets as far as connecting.
    let out = run(
        &production_with(&[
            ("KAKAOPAY_CID", "TC0ONETIME"),
            ("KAKAOPAY_ALLOW_TEST_CID", "true"),
        ]),
        &["run", "--services", "payment"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("refuses to start"), "{stderr}");
    assert!(!out.status.success(), "nothing to connect to");
}

#[test]
fn the_sandbox_service_is_refused() {
    let problems = refused(&[], &["run", "--services", "gateway,kakao-sandbox"]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("the kakao-sandbox is a development stand-in"),
        "{problems:#?}"
    );
}

#[test]
fn a_plain_http_public_url_is_refused() {
    refuses_for(
        &[("PUBLIC_BASE_URL", "http://order.example.com")],
        "PUBLIC_BASE_URL (http://order.example.com) is not an https URL",
    );
}

#[test]
fn a_missing_skill_secret_is_refused() {
    refuses_for(
        &[("KAKAO_SKILL_SECRET", "")],
        "KAKAO_SKILL_SECRET is not set: anyone could call the skills",
    );
}

#[test]
fn a_weak_skill_secret_is_refused() {
    refuses_for(
        &[("KAKAO_SKILL_SECRET", "hunter2")],
        "KAKAO_SKILL_SECRET is too weak (7 characters)",
    );
    refuses_for(
        &[("KAKAO_SKILL_SECRET_NEXT", "short-next")],
        "KAKAO_SKILL_SECRET_NEXT is too weak (10 characters)",
    );
}

#[test]
fn a_missing_weak_or_shared_service_token_is_refused() {
    for env in [
        "GATEWAY_SERVICE_TOKEN",
        "ORDER_SERVICE_TOKEN",
        "ACCOUNTING_SERVICE_TOKEN",
        "CHATBOT_SKILL_SERVICE_TOKEN",
    ] {
        refuses_for(
            &[(env, "")],
            &format!("{env} is not set (or is the development default)"),
        );
        refuses_for(
            &[(env, "tiny")],
            &format!("{env} is too weak (4 characters)"),
        );
    }
    refuses_for(
        &[("ORDER_SERVICE_TOKEN_NEXT", "short")],
        "ORDER_SERVICE_TOKEN_NEXT is too weak (5 characters)",
    );
    refuses_for(
        &[(
            "ORDER_SERVICE_TOKEN",
            "0123456789abcdef0123456789abcdef-gateway",
        )],
        "ORDER_SERVICE_TOKEN is the same as GATEWAY_SERVICE_TOKEN; every deployment needs a \
         token of its own",
    );
}

#[test]
fn a_service_connecting_as_the_migration_role_or_anothers_is_refused() {
    refuses_for(
        &[("ORDER_DATABASE_URL", "")],
        "ORDER_DATABASE_URL is not set; set the URL of order's own role",
    );
    refuses_for(
        &[(
            "CHATBOT_SKILL_DATABASE_URL",
            "postgres://postgres@127.0.0.1:9/simpleorder",
        )],
        "CHATBOT_SKILL_DATABASE_URL is DATABASE_URL, the migration role's",
    );
    refuses_for(
        &[(
            "ACCOUNTING_DATABASE_URL",
            "postgres://simpleorder_store@127.0.0.1:9/simpleorder",
        )],
        "ACCOUNTING_DATABASE_URL is the same as STORE_DATABASE_URL",
    );
}

#[test]
fn the_local_defaults_are_refused_with_every_problem_at_once() {
    let problems = refused(
        &[
            ("PUBLIC_BASE_URL", ""),
            ("GATEWAY_SERVICE_TOKEN", ""),
            ("ORDER_SERVICE_TOKEN", ""),
            ("ACCOUNTING_SERVICE_TOKEN", ""),
            ("CHATBOT_SKILL_SERVICE_TOKEN", ""),
            ("KAKAOPAY_BASE_URL", ""),
            ("KAKAOPAY_CID", ""),
            ("KAKAOPAY_SECRET_KEY", ""),
            ("KAKAO_BOT_API_BASE_URL", ""),
            ("KAKAO_REST_API_KEY", ""),
            ("KAKAO_SKILL_SECRET", ""),
        ],
        &[
            "run",
            "--services",
            "gateway,payment,chatbot-skill,kakao-sandbox",
        ],
    );
    for env in [
        "kakao-sandbox",
        "GATEWAY_SERVICE_TOKEN",
        "ORDER_SERVICE_TOKEN",
        "ACCOUNTING_SERVICE_TOKEN",
        "CHATBOT_SKILL_SERVICE_TOKEN",
        "PUBLIC_BASE_URL",
        "KAKAOPAY_BASE_URL",
        "KAKAOPAY_SECRET_KEY",
        "KAKAOPAY_CID",
        "KAKAO_BOT_API_BASE_URL",
        "KAKAO_REST_API_KEY",
        "KAKAO_SKILL_SECRET",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(env)),
            "{env} not named in {problems:#?}"
        );
    }
    assert_eq!(problems.len(), 12, "{problems:#?}");
}

#[test]
fn development_says_so_in_a_banner_and_changes_nothing_else() {
    let out = run(&CLOSED, &["run", "--services", "gateway"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DEVELOPMENT MODE"), "{stderr}");
    assert!(
        stderr.contains("SIMPLEORDER_ENV=production would refuse to start because:")
            && stderr.contains("PUBLIC_BASE_URL (http://127.0.0.1:8080) is not an https URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("refuses to start"), "{stderr}");
    // It went on to start, and stopped only because Redis is not there.
    assert!(stderr.contains("redis"), "{stderr}");
}

/// What a started `simpleorder run` came to.
enum Start {
    Ready,
    /// Another process took one of the ports between `unused_addr` and the child's bind.
    PortTaken,
}

/// Starts `simpleorder run` with the safe production set on fresh ports and waits until every
/// service's `/readyz` answers 200; what it printed is shown if it stops or never gets ready.
async fn start_safe_production(db: &TestDb, redis: &TestRedis) -> anyhow::Result<Start> {
    let ports = (0..13)
        .map(|_| unused_addr())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut env: Vec<(String, String)> = SAFE
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    env.push(("DATABASE_URL".into(), db.url.clone()));
    for (service, role) in [
        ("STORE", "simpleorder_store"),
        ("ORDER", "simpleorder_order"),
        ("ACCOUNTING", "simpleorder_accounting"),
        ("CHATBOT_SKILL", "simpleorder_chatbot"),
    ] {
        env.push((
            format!("{service}_DATABASE_URL"),
            testkit::url_as(&db.url, role)?,
        ));
    }
    env.push(("REDIS_URL".into(), redis.url.clone()));
    env.push(("REDIS_PREFIX".into(), redis.prefix.clone()));
    env.push(("GATEWAY_ADDR".into(), ports[0].to_string()));
    let services = [
        "GATEWAY",
        "STORE",
        "ORDER",
        "PAYMENT",
        "ACCOUNTING",
        "CHATBOT_SKILL",
    ];
    for (i, service) in services.iter().enumerate() {
        env.push((format!("{service}_GRPC_ADDR"), ports[1 + 2 * i].to_string()));
        env.push((format!("{service}_OPS_ADDR"), ports[2 + 2 * i].to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut child = Running::spawn(command(&env, &["run"]))?;
    for (i, service) in services.iter().enumerate() {
        if let Some(status) = child.until_ready(ports[2 + 2 * i], service).await? {
            let printed = child.printed();
            if printed.contains("Address already in use") {
                return Ok(Start::PortTaken);
            }
            panic!("simpleorder run stopped ({status}) before {service} was ready:\n{printed}");
        }
    }
    Ok(Start::Ready)
}

#[tokio::test]
async fn a_safe_production_configuration_starts() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    for _ in 0..3 {
        if let Start::Ready = start_safe_production(&db, &redis).await? {
            return Ok(());
        }
    }
    panic!("three tries in a row found one of the ports taken");
}
