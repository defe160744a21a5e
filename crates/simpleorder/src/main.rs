//! `simpleorder`: run services, migrate the schema, create stores, load the demo café.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use platform::settings::Validate;
use platform::{Config, Service, Shutdown};

#[derive(Parser)]
#[command(
    name = "simpleorder",
    version,
    about = "SimpleOrder (간편주문): KakaoTalk pickup ordering"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run services in this process (all of them by default).
    Run {
        /// Which services, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',')]
        services: Vec<Service>,
        #[command(flatten)]
        settings: Box<simpleorder::Settings>,
    },
    /// Create the database if missing and apply every pending migration.
    Migrate,
    /// Manage stores.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Load the demo café with its menu and print its login.
    Demo,
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Create a store and its admin account; the password is read from stdin.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        login: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    platform::telemetry::init(&cli.config);
    let result = execute(cli).await;
    platform::telemetry::shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Run { services, settings } => {
            let services = if services.is_empty() && config.is_production() {
                // The sandbox never runs in production; asked for by name, it is refused.
                Service::ALL
                    .into_iter()
                    .filter(|s| *s != Service::KakaoSandbox)
                    .collect()
            } else if services.is_empty() {
                Service::ALL.to_vec()
            } else {
                services
            };
            // Before anything connects: a contradiction or an unsafe production setting is a
            // configuration error, not an outage. Both lists are shown whole, so one try fixes all.
            let problems = [
                config.validate(),
                settings.validate(),
                platform::production::enforce(&config, &services),
            ];
            let problems: Vec<String> = problems
                .into_iter()
                .filter_map(|r| r.err().map(|e| e.to_string()))
                .collect();
            if !problems.is_empty() {
                anyhow::bail!("{}", problems.join("\n"));
            }
            let shutdown = Shutdown::new();
            platform::shutdown::cancel_on_signal(shutdown.clone());
            let mut running = tokio::spawn(simpleorder::run_with(
                config.clone(),
                *settings,
                services.clone(),
                shutdown.clone(),
            ));
            // A service that fails to start (no Redis, say) ends the wait at once.
            let listening =
                platform::listen::wait_until_serving(&config, &services, Duration::from_secs(30));
            tokio::select! {
                up = listening => if up {
                    println!(
                        "\nSimpleOrder is running. Open:\n{}",
                        simpleorder::urls(&config, &services)
                    );
                },
                ended = &mut running => return Ok(ended.context("service supervisor")??),
            }
            running.await.context("service supervisor")??;
        }
        Command::Migrate => {
            platform::db::migrate(&config.database_url)
                .await
                .context("migrating")?;
            println!("migrations applied");
        }
        Command::Store {
            command: StoreCommand::Create { name, login },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from stdin")?;
            let pool =
                platform::db::connect(config.database_url_of(Service::Store), Service::Store)
                    .await?;
            let id = store::admin::create_store(
                &pool,
                &name,
                &login,
                password.trim_end_matches(['\r', '\n']),
            )
            .await?;
            println!("{id}");
        }
        Command::Demo => {
            let pool =
                platform::db::connect(config.database_url_of(Service::Store), Service::Store)
                    .await?;
            let demo = store::admin::load_demo(&pool).await?;
            println!(
                "demo store \"{}\" ({}): login {} / password {}",
                demo.name, demo.store_id, demo.login, demo.password
            );
        }
    }
    Ok(())
}
