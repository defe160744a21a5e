//! Test isolation over real Postgres and Redis: a fresh database per test cloned from a migrated
//! template, a Redis key prefix per test, a private redis-server for tests that stop or flush
//! Redis, and services started in-process on ports bound for them. `browser` drives headless
//! Chromium for the web UI tests; `kakaopay` makes real payments in the kakao-sandbox.
//!
//! It depends on no service: a test binary passes the services it starts ([`launch!`]), so a
//! service's tests link that service and what they start beside it, not the whole system.

pub mod browser;
pub mod kakaopay;
mod system;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use redis::aio::ConnectionManager;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::sync::OnceCell;

pub use system::{Launch, Running, System};

/// The server tests create their databases on: `TEST_DATABASE_URL`, else `DATABASE_URL`'s server.
fn admin_options() -> anyhow::Result<PgConnectOptions> {
    let url = std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    Ok(PgConnectOptions::from_str(&url)?.database("postgres"))
}

fn options_url(options: &PgConnectOptions, database: &str) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        database
    )
}

/// `url` with `role` as its user and no password: how a service's role logs in on the test
/// server, which trusts its local roles (the migrations create them without a password).
pub fn url_as(url: &str, role: &str) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse(url).context("a Postgres URL")?;
    url.set_username(role)
        .and_then(|()| url.set_password(None))
        .map_err(|()| anyhow::anyhow!("{url} takes no user"))?;
    Ok(url.into())
}

/// The template's name changes whenever a migration does, so a stale template is never used.
fn template_name() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for migration in platform::db::MIGRATOR.iter() {
        for byte in migration.checksum.iter() {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("so_tmpl_{hash:016x}")
}

async fn ensure_template() -> anyhow::Result<String> {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_try_init(|| async {
            let options = admin_options()?;
            let mut admin = PgConnection::connect_with(&options)
                .await
                .context("connecting to the test Postgres server")?;
            let name = template_name();
            // Test processes run in parallel; one builds the template, the others wait for it.
            sqlx::query!(r#"SELECT pg_advisory_lock(727274) AS "locked: ()""#)
                .fetch_one(&mut admin)
                .await?;
            let exists: bool = sqlx::query_scalar!(
                r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
                &name
            )
            .fetch_one(&mut admin)
            .await?;
            if !exists {
                let building = format!("{name}_building");
                // Database names cannot be bound parameters: this DDL stays runtime SQL.
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)").as_str())
                    .await?;
                admin
                    .execute(format!("CREATE DATABASE {building}").as_str())
                    .await?;
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&options_url(&options, &building))
                    .await?;
                platform::db::MIGRATOR.run(&pool).await?;
                pool.close().await;
                // Renaming last means a crash mid-migration never leaves a usable bad template.
                admin
                    .execute(format!("ALTER DATABASE {building} RENAME TO {name}").as_str())
                    .await?;
            }
            drop_stale_databases(&mut admin).await?;
            sqlx::query!("SELECT pg_advisory_unlock(727274)")
                .fetch_one(&mut admin)
                .await?;
            admin.close().await?;
            Ok(name)
        })
        .await
        .cloned()
}

/// Test databases left behind by killed runs, recognised by the creation time in their name.
async fn drop_stale_databases(admin: &mut PgConnection) -> anyhow::Result<()> {
    let names: Vec<String> =
        sqlx::query_scalar!("SELECT datname FROM pg_database WHERE datname LIKE 'so_test_%'")
            .fetch_all(&mut *admin)
            .await?;
    let cutoff = now_secs().saturating_sub(3 * 3600);
    for name in names {
        let created = name
            .strip_prefix("so_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|created| created < cutoff) {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn unique_suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// A database of its own for one test, migrated, dropped when the value is dropped.
pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
    pub name: String,
}

impl TestDb {
    pub async fn new() -> anyhow::Result<TestDb> {
        let template = ensure_template().await?;
        let options = admin_options()?;
        let name = format!("so_test_{}_{}", now_secs(), unique_suffix());
        let mut admin = PgConnection::connect_with(&options).await?;
        admin
            .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
            .await
            .context("cloning the migrated template")?;
        // A database's settings are not cloned with it: the search_path of every service's
        // schema that the migrations give the database is set again.
        let search_path: Option<String> = sqlx::query_scalar!(
            r#"SELECT substr(c, length('search_path=') + 1) AS "search_path!"
               FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase,
                    unnest(s.setconfig) c
               WHERE d.datname = $1 AND s.setrole = 0 AND c LIKE 'search\_path=%'"#,
            &template
        )
        .fetch_optional(&mut admin)
        .await?;
        if let Some(search_path) = search_path {
            admin
                .execute(format!("ALTER DATABASE {name} SET search_path = {search_path}").as_str())
                .await?;
        }
        admin.close().await?;
        let url = options_url(&options, &name);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect(&url)
            .await?;
        Ok(TestDb { pool, url, name })
    }

    /// An empty database (no migrations), for testing the migrations themselves.
    pub async fn empty() -> anyhow::Result<TestDb> {
        let options = admin_options()?;
        let name = format!("so_test_{}_{}", now_secs(), unique_suffix());
        let mut admin = PgConnection::connect_with(&options).await?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        admin.close().await?;
        let url = options_url(&options, &name);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect(&url)
            .await?;
        Ok(TestDb { pool, url, name })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context guarantees; a short-lived thread with its own runtime
        // keeps cleanup reliable whichever runtime the test used.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let mut admin = PgConnection::connect_with(&admin_options()?).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                anyhow::Ok(())
            })
        })
        .join();
    }
}

/// A key prefix of its own on the shared Redis; its keys are deleted when dropped.
pub struct TestRedis {
    pub url: String,
    pub prefix: String,
    pub conn: ConnectionManager,
}

impl TestRedis {
    pub async fn new() -> anyhow::Result<TestRedis> {
        let url = std::env::var("TEST_REDIS_URL")
            .or_else(|_| std::env::var("REDIS_URL"))
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        TestRedis::on(&url).await
    }

    pub async fn on(url: &str) -> anyhow::Result<TestRedis> {
        let conn = platform::redis::connect(url)
            .await
            .context("connecting to the test Redis")?;
        Ok(TestRedis {
            url: url.to_owned(),
            prefix: format!("t:{}:", unique_suffix()),
            conn,
        })
    }

    pub fn keys(&self) -> platform::redis::Keys {
        platform::redis::Keys::new(self.prefix.clone())
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let url = self.url.clone();
        let pattern = format!("{}*", self.prefix);
        let _ = std::thread::spawn(move || -> redis::RedisResult<()> {
            let client = redis::Client::open(url)?;
            let mut conn = client.get_connection_with_timeout(Duration::from_secs(1))?;
            let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query(&mut conn)?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(keys).exec(&mut conn)?;
            }
            Ok(())
        })
        .join();
    }
}

/// A redis-server of the test's own, for tests (and the chaos suite) that FLUSHALL, stop or
/// kill Redis. Nothing is persisted; its log is `redis.log` in its folder.
pub struct TestRedisServer {
    pub port: u16,
    child: Option<tokio::process::Child>,
    dir: PathBuf,
    /// A temporary folder, deleted with the server; a caller's folder is kept.
    own_dir: bool,
}

impl TestRedisServer {
    /// A server in a temporary folder.
    pub async fn start() -> anyhow::Result<TestRedisServer> {
        let dir = std::env::temp_dir().join(format!("so-redis-{}", unique_suffix()));
        TestRedisServer::start_at(dir, true).await
    }

    /// A server keeping its log in `dir`, which outlives it.
    pub async fn start_in(dir: &Path) -> anyhow::Result<TestRedisServer> {
        TestRedisServer::start_at(dir.to_owned(), false).await
    }

    async fn start_at(dir: PathBuf, own_dir: bool) -> anyhow::Result<TestRedisServer> {
        std::fs::create_dir_all(&dir)?;
        let mut server = TestRedisServer {
            port: unused_addr()?.port(),
            child: None,
            dir,
            own_dir,
        };
        server.restart().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server and starts a new one on the same port: nothing persisted, so empty.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))?;
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("starting redis-server (is it installed? make test installs it)")?;
        self.child = Some(child);
        let client = redis::Client::open(self.url())?;
        for _ in 0..200 {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("redis-server on port {} did not answer", self.port)
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
    }
}

impl Drop for TestRedisServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        if self.own_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// An address on loopback whose listener is bound now and handed in to the in-process service
/// that serves on it ([`platform::listen`]): no other process can take the port in between.
pub fn reserve_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    platform::listen::hand_in(listener);
    Ok(addr)
}

/// An address nothing listens on now, for a child process (redis-server, chromedriver, the
/// `simpleorder` binary) that binds it itself; in-process services get [`reserve_addr`].
pub fn unused_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Waits until a server answers on `addr` ([`platform::listen::answers`]), for at most
/// `timeout`.
pub async fn until_serving(addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    if !platform::listen::wait_until_answering(addr, timeout).await {
        bail!("nothing answers on {addr} within {timeout:?}");
    }
    Ok(())
}

/// Runs the `#[ignore]`d test `name` (its path in this test binary, e.g. `trace::whole_order`)
/// alone in a child process of the test binary, with `env` added, and fails with its output
/// unless it passed. For the few tests that need a process of their own (the environment they
/// set, the telemetry pipeline they install), now that a crate's tests share one binary.
pub fn run_alone(name: &str, env: &[(&str, &str)]) -> anyhow::Result<()> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .args(["--exact", name, "--include-ignored", "--nocapture"])
        .envs(env.iter().copied())
        .output()
        .context("running the test binary")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.contains("test result: ok. 1 passed") {
        bail!(
            "{name} failed alone:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Polls `check` until it returns `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
