//! What the machine says about the system: a process's RSS, Postgres transactions and row
//! writes (`pg_stat_database`), Redis commands (`INFO commandstats`).

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;

/// Resident set size in MB, from /proc.
pub fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds used so far by `pid` (and, with `reaped`, by the children it already waited for).
fn cpu_of(pid: &str, reaped: bool) -> Option<(f64, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: the fields follow the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let mut ticks = tick(11) + tick(12);
    if reaped {
        ticks += tick(13) + tick(14);
    }
    let ppid = fields.get(1)?.parse().ok()?;
    // Linux reports in USER_HZ, 100 on every platform Rust targets.
    Some((ticks / 100.0, ppid))
}

/// CPU seconds used so far by the processes whose command line contains `needle` (or whose id is
/// `pid`) and by their children, live or reaped: Postgres's backends, say.
pub fn cpu_seconds(needle: Option<&str>, pid: Option<u32>) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let pids: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let roots: Vec<u32> = pids
        .iter()
        .filter(|p| {
            pid.is_some_and(|pid| p.parse() == Ok(pid))
                || needle.is_some_and(|needle| {
                    std::fs::read(format!("/proc/{p}/cmdline"))
                        .map(|c| {
                            String::from_utf8_lossy(&c)
                                .replace('\0', " ")
                                .contains(needle)
                        })
                        .unwrap_or(false)
                })
        })
        .filter_map(|p| p.parse().ok())
        .collect();
    let mut total = 0.0;
    for p in &pids {
        let is_root = p.parse().is_ok_and(|p: u32| roots.contains(&p));
        if let Some((cpu, ppid)) = cpu_of(p, is_root)
            && (is_root || roots.contains(&ppid))
        {
            total += cpu;
        }
    }
    total
}

/// Where CPU time is counted: the two SimpleOrder processes, Postgres and Redis.
#[derive(Debug, Clone, Default)]
pub struct Processes {
    pub services: u32,
    pub sandbox: u32,
    pub postgres: String,
    pub redis: String,
}

/// Work counters at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    pub xacts: f64,
    pub writes: f64,
    pub redis: f64,
    /// CPU seconds: the services process, the sandbox, Postgres, Redis.
    pub cpu: [f64; 4],
    /// Seconds since the bench started when read; in a difference, the window's length.
    pub at: f64,
}

impl std::ops::Sub for Counters {
    type Output = Counters;
    fn sub(self, o: Counters) -> Counters {
        Counters {
            xacts: self.xacts - o.xacts,
            writes: self.writes - o.writes,
            redis: self.redis - o.redis,
            cpu: std::array::from_fn(|i| self.cpu[i] - o.cpu[i]),
            at: self.at - o.at,
        }
    }
}

impl Counters {
    pub fn per(self, n: f64) -> Counters {
        Counters {
            xacts: self.xacts / n,
            writes: self.writes / n,
            redis: self.redis / n,
            cpu: self.cpu.map(|c| c / n),
            at: self.at,
        }
    }

    /// Per second of the window (a difference of two reads).
    pub fn rate(self) -> Counters {
        self.per(self.at.max(0.001))
    }
}

pub struct Probe {
    pool: PgPool,
    redis: redis::Client,
    pub processes: Processes,
}

impl Probe {
    pub async fn new(database_url: &str, redis_url: &str) -> anyhow::Result<Probe> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(database_url)
            .await?;
        Ok(Probe {
            pool,
            redis: redis::Client::open(redis_url)?,
            processes: Processes::default(),
        })
    }

    /// The counters once Postgres flushed its statistics (it does at most every second), minus
    /// this probe's own transaction and INFO call.
    pub async fn read(&self) -> anyhow::Result<Counters> {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (xacts, writes): (i64, i64) = sqlx::query_as(
            "SELECT (xact_commit + xact_rollback)::int8, \
                    (tup_inserted + tup_updated + tup_deleted)::int8 \
             FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&self.pool)
        .await?;
        let mut conn = self.redis.get_multiplexed_async_connection().await?;
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut conn)
            .await
            .context("INFO commandstats")?;
        let redis: f64 = info
            .lines()
            .filter(|l| l.starts_with("cmdstat_") && !l.starts_with("cmdstat_info:"))
            .filter_map(|l| {
                l.split_once("calls=")?
                    .1
                    .split(',')
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .sum();
        let p = &self.processes;
        Ok(Counters {
            xacts: xacts as f64,
            writes: writes as f64,
            redis,
            cpu: [
                cpu_seconds(None, Some(p.services)),
                cpu_seconds(None, Some(p.sandbox)),
                cpu_seconds(Some(&p.postgres), None),
                cpu_seconds(Some(&p.redis), None),
            ],
            at: crate::since_start().as_secs_f64(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The work of a measured window (`delta`), less what the idle system does by itself in as
/// long (`idle`, per second), per unit of work.
pub fn net_per(delta: Counters, idle: Counters, units: f64) -> Counters {
    let background = Counters {
        at: 0.0,
        ..idle.per(1.0 / delta.at)
    };
    (delta - background).per(units.max(1.0))
}
