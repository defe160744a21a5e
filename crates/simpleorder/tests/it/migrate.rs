//! Migrations apply to an empty database, and applying them again changes nothing.

use testkit::TestDb;

const TABLES: &[&str] = &[
    "store",
    "store_account",
    "store_location",
    "day_business",
    "business_history",
    "menu_category",
    "menu_item",
    "menu_option",
    "menu_selection",
    "customer",
    "customer_order",
    "order_item",
    "order_item_option",
    "order_payment",
    "order_history",
    "outbox",
    "processed_event",
    "accounting_day_business",
    "accounting_order",
];

async fn tables(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_again_as_a_no_op() {
    let db = TestDb::empty().await.unwrap();
    assert!(tables(&db.pool).await.is_empty());

    platform::db::migrate(&db.url).await.unwrap();
    let first = tables(&db.pool).await;
    for table in TABLES {
        assert!(
            first.iter().any(|t| t == table),
            "missing table {table}: {first:?}"
        );
    }
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
