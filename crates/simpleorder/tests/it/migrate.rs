//! Migrations apply to an empty database, and applying them again changes nothing; each
//! service's tables end in its own schema.

use contracts::tables::{OWNERS, PER_SERVICE};
use platform::Service;
use testkit::TestDb;

/// Every `schema.table` of the database but the migrations' own bookkeeping.
async fn tables(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
           AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The schema of the service whose crate directory is `name`.
fn schema_of(name: &str) -> &'static str {
    Service::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .and_then(Service::schema)
        .unwrap_or_else(|| panic!("{name} keeps no tables"))
}

/// The schema each service connects to is the one the ownership list (and so the static check
/// of the migrations) gives it.
#[test]
fn each_service_uses_the_schema_the_ownership_list_names() {
    for service in Service::ALL {
        assert_eq!(
            service.schema(),
            contracts::tables::schema(service.name()),
            "{}",
            service.name()
        );
    }
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_again_as_a_no_op() {
    let db = TestDb::empty().await.unwrap();
    assert!(tables(&db.pool).await.is_empty());

    platform::db::migrate(&db.url).await.unwrap();
    let first = tables(&db.pool).await;
    for (table, owner) in OWNERS {
        let qualified = format!("{}.{table}", schema_of(owner));
        assert!(
            first.contains(&qualified),
            "{table} is not in {owner}'s schema: {first:?}"
        );
    }
    let per_service = first
        .iter()
        .filter(|t| PER_SERVICE.iter().any(|p| t.ends_with(&format!(".{p}"))));
    assert_eq!(
        per_service.collect::<Vec<_>>(),
        [
            "accounting.processed_event",
            "ordering.outbox",
            "ordering.processed_event",
            "store.outbox",
        ],
        "the bus tables of the services that produce or consume events"
    );
    assert_eq!(
        first.len(),
        OWNERS.len() + 4,
        "a table no service owns: {first:?}"
    );
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, platform::db::MIGRATOR.iter().count());

    platform::db::migrate(&db.url).await.unwrap();
    assert_eq!(tables(&db.pool).await, first);
    let again: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(again, applied, "the second run applied nothing");
}

#[tokio::test]
async fn no_foreign_key_points_into_another_services_schema() {
    let db = TestDb::new().await.unwrap();
    let across: Vec<String> = sqlx::query_scalar(
        "SELECT conrelid::regclass::text || ' -> ' || confrelid::regclass::text \
         FROM pg_constraint c \
         JOIN pg_class f ON f.oid = c.conrelid JOIN pg_class t ON t.oid = c.confrelid \
         WHERE c.contype = 'f' AND f.relnamespace <> t.relnamespace",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(across.is_empty(), "{across:?}");
}

#[tokio::test]
async fn migrate_creates_a_missing_database() {
    let db = TestDb::empty().await.unwrap();
    let url = format!("{}_new", db.url);
    assert!(
        platform::db::create_database_if_missing(&url)
            .await
            .unwrap()
    );
    assert!(
        !platform::db::create_database_if_missing(&url)
            .await
            .unwrap()
    );
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    pool.close().await;
    let name = format!("{}_new", db.name);
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&db.pool)
        .await
        .unwrap();
}

/// Reads and writes of a table that need no row: SELECT, then INSERT and DELETE that touch
/// nothing but still need their privileges.
async fn touch(pool: &sqlx::PgPool, table: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("SELECT count(*) FROM {table}"))
        .execute(pool)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO {table} SELECT * FROM {table} WHERE false"
    ))
    .execute(pool)
    .await?;
    sqlx::query(&format!("DELETE FROM {table} WHERE false"))
        .execute(pool)
        .await?;
    Ok(())
}

fn is_denied(result: Result<(), sqlx::Error>) -> bool {
    matches!(result, Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501"))
}

#[tokio::test]
async fn each_services_role_uses_its_own_tables_and_is_refused_every_other() {
    let db = TestDb::new().await.unwrap();
    let all: Vec<(String, String)> = sqlx::query_as(
        "SELECT schemaname::text, tablename::text FROM pg_tables \
         WHERE schemaname IN ('store', 'ordering', 'accounting', 'chatbot')",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for service in Service::ALL {
        let (Some(schema), Some(role)) = (service.schema(), service.database_role()) else {
            continue;
        };
        let url = testkit::url_as(&db.url, role).unwrap();
        let pool = platform::db::connect(&url, service).await.unwrap();
        for (table_schema, table) in &all {
            if table_schema == schema {
                // Unqualified, as the service's SQL names it.
                touch(&pool, table)
                    .await
                    .unwrap_or_else(|e| panic!("{role} on its own {table}: {e}"));
                continue;
            }
            let qualified = format!("{table_schema}.{table}");
            let result = touch(&pool, &qualified).await;
            assert!(is_denied(result), "{role} was not refused {qualified}");
        }
        let ddl = sqlx::query(&format!("CREATE TABLE {schema}.mine (a int)"))
            .execute(&pool)
            .await
            .map(|_| ());
        assert!(is_denied(ddl), "{role} may not change its schema");
        pool.close().await;
    }
}
