//! The Postgres pool and the schema migrations embedded from the top-level `migrations/`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::config::Service;

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// A pool of `service`'s (see [`Service::schema`]) whose every call is bounded: acquiring waits
/// at most 5 s and each statement at most 10 s, so a stuck database turns into errors instead of
/// piling up requests. Its `search_path` is the service's schema alone, so the service's SQL
/// names its tables unqualified and finds no other service's.
pub async fn connect(url: &str, service: Service) -> Result<PgPool, sqlx::Error> {
    let schema = service.schema().ok_or_else(|| {
        sqlx::Error::Configuration(format!("{} keeps nothing in Postgres", service.name()).into())
    })?;
    let options = PgConnectOptions::from_str(url)?
        .options([("statement_timeout", "10s"), ("search_path", schema)])
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
}

/// Creates the database named in `url` when it does not exist yet.
pub async fn create_database_if_missing(url: &str) -> Result<bool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    let name = options.get_database().unwrap_or("postgres").to_owned();
    let mut admin = sqlx::PgConnection::connect_with(&options.clone().database("postgres")).await?;
    let exists: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        &name
    )
    .fetch_one(&mut admin)
    .await?;
    if !exists {
        // Identifiers cannot be bound; the name is quoted with embedded quotes doubled.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut admin)
            .await
        {
            Ok(_) => {}
            // Another process created it between the check and now.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e),
        }
    }
    admin.close().await?;
    Ok(!exists)
}

/// Creates the database if needed and applies every migration not applied yet.
pub async fn migrate(url: &str) -> Result<(), sqlx::Error> {
    create_database_if_missing(url).await?;
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
    MIGRATOR.run(&pool).await?;
    pool.close().await;
    Ok(())
}
