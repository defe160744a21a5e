//! `chaos short|long`: runs the chaos suite and exits 0 only when nothing was lost.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "chaos",
    about = "SimpleOrder under SIGKILLs, lost Redis, Postgres restarts and KakaoPay faults, reconciled"
)]
struct Cli {
    /// `short`: every scenario once (make test); `long`: every scenario repeated (make chaos).
    #[arg(value_enum, default_value = "short")]
    form: chaos::plan::Form,
    /// Orders started per second [default: 3 short, 5 long].
    #[arg(long)]
    rate: Option<f64>,
    /// The simpleorder binary [default: next to this one].
    #[arg(long)]
    simpleorder: Option<PathBuf>,
    /// Keep the run's folder (logs, data, report) even when it passes.
    #[arg(long)]
    keep: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = async {
        let simpleorder = match cli.simpleorder {
            Some(path) => path,
            None => std::env::current_exe()?
                .parent()
                .context("the folder of this binary")?
                .join("simpleorder"),
        };
        anyhow::ensure!(
            simpleorder.exists(),
            "{} not found: build it first (cargo build -p simpleorder)",
            simpleorder.display()
        );
        let options = chaos::Options {
            form: cli.form,
            rate: cli.rate,
            simpleorder,
            keep: cli.keep,
        };
        tokio::select! {
            passed = chaos::run(options) => passed,
            _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted"),
        }
    }
    .await;
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("chaos: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
