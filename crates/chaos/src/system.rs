//! SimpleOrder as separate processes of the `simpleorder` binary: one runs every service, one
//! the kakao-sandbox (which holds KakaoPay's ledger in memory, so it is never killed). The
//! services process is SIGKILLed and started again; a watcher restarts it too when it dies on
//! its own, and counts that, since a service should ride out a lost Redis or Postgres.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use platform::Service;
use platform::config::DatabaseUrls;

/// The services of the services process, with their env names.
const SERVICES: [(&str, &str); 6] = [
    ("gateway", "GATEWAY"),
    ("store", "STORE"),
    ("order", "ORDER"),
    ("payment", "PAYMENT"),
    ("accounting", "ACCOUNTING"),
    ("chatbot-skill", "CHATBOT_SKILL"),
];

/// Waits shortened so that a run settles in minutes rather than the production quarter hour;
/// every one passes `simpleorder run`'s own checks. Customer alerts keep their production
/// retries, so the Event API outage is measured against what production would do.
const SETTINGS: [(&str, &str); 6] = [
    ("ORDER_STUCK_AFTER", "15s"),
    ("ORDER_SWEEP_EVERY", "2s"),
    ("ORDER_APPROVAL_RETRY_AFTER", "31s"),
    ("ORDER_REFUND_RETRY_AFTER", "31s"),
    ("ORDER_REFUND_SWEEP_EVERY", "2s"),
    ("STORE_RECONCILE_INTERVAL", "2s"),
];

/// How long the settings above let an order take to settle once the faults stop (the approval
/// retry, then the sweeper's wait and its KakaoPay calls): an order still unsettled when no
/// order has settled for this long is stuck.
pub const SETTLE_BOUND: Duration = Duration::from_secs(75);
/// How long a placed order may take to reach the boards once everything settled.
pub const BOARD_BOUND: Duration = Duration::from_secs(30);

pub struct System {
    bin: PathBuf,
    dir: PathBuf,
    env: Vec<(String, String)>,
    ops: Vec<String>,
    pub gateway: String,
    pub sandbox: String,
    services: Option<Child>,
    sandbox_process: Option<Child>,
    starts: u32,
    /// Times the services process exited without being killed by the suite.
    pub unplanned_exits: u32,
}

impl System {
    pub fn new(
        bin: &Path,
        dir: &Path,
        database_url: &str,
        redis_url: &str,
    ) -> anyhow::Result<System> {
        let gateway = testkit::unused_addr()?.to_string();
        let sandbox = testkit::unused_addr()?.to_string();
        let mut env: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.into()),
            ("REDIS_URL".into(), redis_url.into()),
            ("REDIS_PREFIX".into(), "so:".into()),
            ("GATEWAY_ADDR".into(), gateway.clone()),
            ("SANDBOX_ADDR".into(), sandbox.clone()),
            ("PUBLIC_BASE_URL".into(), format!("http://{gateway}")),
            ("KAKAOPAY_BASE_URL".into(), format!("http://{sandbox}")),
            ("KAKAO_BOT_API_BASE_URL".into(), format!("http://{sandbox}")),
            ("KAKAO_LOCAL_BASE_URL".into(), format!("http://{sandbox}")),
            ("RUST_LOG".into(), "info".into()),
            // The logs go to files.
            ("NO_COLOR".into(), "1".into()),
        ];
        // Each service connects as its own role, as in production, so the suite runs the same
        // grants the cluster does.
        for service in Service::ALL {
            if let (Some(role), Some(name)) = (service.database_role(), DatabaseUrls::env(service))
            {
                env.push((name.into(), testkit::url_as(database_url, role)?));
            }
        }
        let mut ops = Vec::new();
        for (_, prefix) in SERVICES {
            let grpc = testkit::unused_addr()?.to_string();
            let ops_addr = testkit::unused_addr()?.to_string();
            env.push((format!("{prefix}_GRPC_ADDR"), grpc));
            env.push((format!("{prefix}_OPS_ADDR"), ops_addr.clone()));
            ops.push(ops_addr);
        }
        env.extend(SETTINGS.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Ok(System {
            bin: bin.to_owned(),
            dir: dir.to_owned(),
            env,
            ops,
            gateway: format!("http://{gateway}"),
            sandbox: format!("http://{sandbox}"),
            services: None,
            sandbox_process: None,
            starts: 0,
            unplanned_exits: 0,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command.args(args).envs(self.env.iter().cloned());
        command
    }

    /// Runs an admin command to its end; its stdout.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(stdin.unwrap_or_default().as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "simpleorder {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn spawn(&self, services: &str, log: &str) -> anyhow::Result<Child> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(log))?;
        writeln!(
            file,
            "==== chaos: starting simpleorder run --services {services}"
        )?;
        Ok(self
            .command(&["run", "--services", services])
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()?)
    }

    pub async fn start_sandbox(&mut self) -> anyhow::Result<()> {
        self.sandbox_process = Some(self.spawn("kakao-sandbox", "sandbox.log")?);
        let url = format!("{}/healthz", self.sandbox);
        wait_ok(&[url], Duration::from_secs(60)).await
    }

    /// Starts the services process and waits until every service says it is ready; a process
    /// that dies on the way (Postgres still recovering, say) is started again.
    pub async fn start_services(&mut self) -> anyhow::Result<()> {
        let names: Vec<&str> = SERVICES.iter().map(|(name, _)| *name).collect();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        loop {
            if self.services.is_none() {
                self.services = Some(self.spawn(&names.join(","), "services.log")?);
                self.starts += 1;
            }
            let mut ready = 0;
            for addr in &self.ops {
                let url = format!("http://{addr}/readyz");
                if http
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
                {
                    ready += 1;
                }
            }
            if ready == self.ops.len() {
                return Ok(());
            }
            if self.exited()? {
                self.unplanned_exits += 1;
                self.services = None;
            }
            if tokio::time::Instant::now() > deadline {
                bail!("the services were not ready within 120 s; see services.log");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn exited(&mut self) -> anyhow::Result<bool> {
        Ok(match self.services.as_mut() {
            Some(child) => child.try_wait()?.is_some(),
            None => false,
        })
    }

    /// SIGKILL: no graceful shutdown, whatever was in flight is cut.
    pub fn kill_services(&mut self) {
        if let Some(mut child) = self.services.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// True (after starting it again) when the services process had died on its own.
    pub async fn revive_if_dead(&mut self) -> anyhow::Result<bool> {
        if !self.exited()? {
            return Ok(false);
        }
        self.unplanned_exits += 1;
        self.services = None;
        self.start_services().await?;
        Ok(true)
    }

    /// Sets an environment variable of the processes started from now on.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// The process ids of the services process and of the sandbox, when running.
    pub fn pids(&self) -> (Option<u32>, Option<u32>) {
        (
            self.services.as_ref().map(Child::id),
            self.sandbox_process.as_ref().map(Child::id),
        )
    }

    pub fn starts(&self) -> u32 {
        self.starts
    }

    pub fn stop(&mut self) {
        self.kill_services();
        if let Some(mut child) = self.sandbox_process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for System {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until every URL answers 2xx.
async fn wait_ok(urls: &[String], patience: Duration) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = tokio::time::Instant::now() + patience;
    for url in urls {
        loop {
            if let Ok(response) = http.get(url).send().await
                && response.status().is_success()
            {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{url} not ready within {patience:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}
