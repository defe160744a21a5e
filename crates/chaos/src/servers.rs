//! The suite's own Postgres: it restarts it, so it can never be the shared server of `make run`
//! or the tests. Started the way `scripts/deps.sh` starts its throwaway server (Debian's
//! `initdb`/`pg_ctl` run as the `postgres` user when we are root), on a free port, with
//! everything under the run's folder. The suite's own Redis is testkit's `TestRedisServer`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The newest Postgres server binaries: Debian keeps them out of PATH; else PATH's, as
/// `scripts/deps.sh` finds them.
fn pg_bin() -> anyhow::Result<PathBuf> {
    let has_both = |dir: &Path| dir.join("pg_ctl").exists() && dir.join("initdb").exists();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| has_both(bin))
        .collect();
    dirs.sort_by_key(|dir| {
        dir.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    let path = std::env::var_os("PATH").unwrap_or_default();
    dirs.pop()
        .or_else(|| std::env::split_paths(&path).find(|dir| has_both(dir)))
        .context(
            "no Postgres server binaries (initdb, pg_ctl); scripts/deps.sh --chaos installs them",
        )
}

pub struct Postgres {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    options: String,
    as_postgres: bool,
}

impl Postgres {
    /// A fresh cluster in `dir`, started.
    pub fn start(dir: &Path) -> anyhow::Result<Postgres> {
        let bin = pg_bin()?;
        let port = testkit::unused_addr()?.port();
        let as_postgres = is_root();
        std::fs::create_dir_all(dir)?;
        if as_postgres {
            // PostgreSQL refuses to run as root; the cluster belongs to the `postgres` user.
            run(Command::new("chown").arg("postgres:postgres").arg(dir))?;
        }
        let postgres = Postgres {
            port,
            data: dir.join("data"),
            log: dir.join("postgres.log"),
            // fsync is only about the machine crashing, which is not a scenario here; commits
            // stay synchronous, since an immediate restart must lose nothing committed.
            options: format!(
                "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={} \
                 -c fsync=off -c full_page_writes=off -c max_connections=300",
                dir.display()
            ),
            bin,
            as_postgres,
        };
        let initdb = postgres.bin.join("initdb");
        postgres.run_pg(Command::new(initdb).arg("-D").arg(&postgres.data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ]))?;
        postgres.pg_ctl(&["start"])?;
        Ok(postgres)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// `pg_ctl restart -m immediate`: every backend dies at once, crash recovery on the way up.
    pub fn restart_immediate(&self) -> anyhow::Result<()> {
        self.pg_ctl(&["restart", "-m", "immediate"])
    }

    fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        self.run_pg(
            Command::new(self.bin.join("pg_ctl"))
                .args(args)
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(&self.log)
                .args(["-s", "-w", "-t", "60", "-o"])
                .arg(&self.options),
        )
    }

    fn run_pg(&self, command: &mut Command) -> anyhow::Result<()> {
        if self.as_postgres {
            let mut wrapped = Command::new("runuser");
            wrapped
                .args(["-u", "postgres", "--"])
                .arg(command.get_program())
                .args(command.get_args());
            run(&mut wrapped)
        } else {
            run(command)
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
    }
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} {:?} failed: {}{}",
            command.get_program(),
            command.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
