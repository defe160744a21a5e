//! `make bench`: the whole order path measured from outside on this machine. SimpleOrder runs
//! as the release `simpleorder` binary (all services in one process, the kakao-sandbox in
//! another) on a private Postgres and Redis, driven through its public paths as the chaos suite
//! drives it; one table prints every figure beside the target of issue 13.

mod boards;
mod load;
mod orders;
mod probe;
mod report;
mod skills;
mod stats;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bench",
    about = "The whole order path, each figure beside its target"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Shorter windows and 1,000 boards only (about a third of the time).
    #[arg(long)]
    quick: bool,
    /// Measure only these parts (repeatable; P4, memory and start, always runs): to see one
    /// change's figures in a fraction of the time.
    #[arg(long = "part", value_enum)]
    parts: Vec<report::Part>,
    /// The release `simpleorder` binary.
    #[arg(long, default_value = "target/release/simpleorder")]
    simpleorder: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// The bare axum handler the skill figures are compared with (started by the bench).
    Bare {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        body: PathBuf,
    },
}

static START: OnceLock<Instant> = OnceLock::new();

/// Time since the bench started, for the counters' windows.
pub fn since_start() -> Duration {
    START.get_or_init(Instant::now).elapsed()
}

fn main() -> anyhow::Result<()> {
    since_start();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Some(Command::Bare { port, body }) => {
            let body = std::fs::read(&body).with_context(|| body.display().to_string())?;
            runtime.block_on(skills::serve_bare(port, body))
        }
        None => {
            let table = runtime.block_on(report::run(&cli.simpleorder, cli.quick, &cli.parts))?;
            println!("{table}");
            Ok(())
        }
    }
}

/// The bench's own processes (the bare handler), killed when dropped.
pub struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the bare handler serving `body`; its base URL.
pub fn spawn_bare(body: &[u8], dir: &std::path::Path) -> anyhow::Result<(Child, String)> {
    let port = testkit::unused_addr()?.port();
    let file = dir.join("menu-answer.json");
    std::fs::write(&file, body)?;
    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["bare", "--port", &port.to_string(), "--body"])
        .arg(&file)
        .spawn()?;
    Ok((Child(child), format!("http://127.0.0.1:{port}")))
}
