//! `create_store` and `load_demo` against a real Postgres with the real migrations, one
//! database per test.

use sqlx::PgPool;
use store::admin::{self, AdminError};
use testkit::TestDb;
use uuid::Uuid;

async fn scratch_db() -> TestDb {
    TestDb::new().await.expect("test database")
}

async fn count(pool: &PgPool, sql: &str, store_id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(store_id)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn total_rows(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn create_store_stores_a_verifiable_hash_and_refuses_a_taken_login() {
    let db = scratch_db().await;
    let pool = &db.pool;

    let store_id = admin::create_store(pool, "  동네커피 역삼점 ", "yeoksam", "s3cret-pass")
        .await
        .expect("create store")
        .as_uuid();
    assert_eq!(store_id.get_version_num(), 7);

    let (name, account_store, hash, role): (String, Uuid, String, String) = sqlx::query_as(
        "SELECT s.name, a.store_id, a.password_hash, a.role \
         FROM store s JOIN store_account a ON a.store_id = s.id WHERE a.login = 'yeoksam'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(name, "동네커피 역삼점");
    assert_eq!(account_store, store_id);
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    // Verified with the argon2 crate directly, not only through our own helper.
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let parsed = PasswordHash::new(&hash).unwrap();
    assert!(
        argon2::Argon2::default()
            .verify_password(b"s3cret-pass", &parsed)
            .is_ok()
    );
    assert!(
        argon2::Argon2::default()
            .verify_password(b"wrong-pass", &parsed)
            .is_err()
    );
    assert!(admin::verify_password(&hash, "s3cret-pass"));

    let version: i64 = sqlx::query_scalar("SELECT version FROM menu_version WHERE store_id = $1")
        .bind(store_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(version, 0);

    // The same login again, even for another store, is refused and writes nothing.
    let err = admin::create_store(pool, "다른 가게", "yeoksam", "another-pass")
        .await
        .unwrap_err();
    assert!(matches!(err, AdminError::LoginTaken), "{err:?}");
    assert_eq!(total_rows(pool, "store").await, 1);
    assert_eq!(total_rows(pool, "store_account").await, 1);
    assert_eq!(total_rows(pool, "menu_version").await, 1);
}

#[tokio::test]
async fn create_store_refuses_bad_input_without_writing() {
    let db = scratch_db().await;
    let pool = &db.pool;

    let long_name = "가".repeat(61);
    let cases = [
        ("", "goodlogin", "goodpassword"),
        ("   ", "goodlogin", "goodpassword"),
        (long_name.as_str(), "goodlogin", "goodpassword"),
        ("카페", "ab", "goodpassword"),
        ("카페", "Upper", "goodpassword"),
        ("카페", "bad login", "goodpassword"),
        ("카페", "goodlogin", "short"),
    ];
    for (name, login, password) in cases {
        let err = admin::create_store(pool, name, login, password)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AdminError::Validation(_)),
            "{name:?} {login:?} {password:?}: {err:?}"
        );
    }
    for table in ["store", "store_account", "menu_version"] {
        assert_eq!(total_rows(pool, table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn load_demo_is_idempotent_and_builds_the_menu() {
    let db = scratch_db().await;
    let pool = &db.pool;

    let first = admin::load_demo(pool).await.expect("load demo");
    let second = admin::load_demo(pool).await.expect("load demo again");
    assert_eq!(first, second);
    assert_eq!(first.login, "demo");
    assert_eq!(first.password, "demo1234");
    assert_eq!(first.name, "간편카페 강남점");
    assert_eq!(total_rows(pool, "store").await, 1);

    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM store_account WHERE login = 'demo'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(admin::verify_password(&hash, "demo1234"));

    let id = first.store_id.as_uuid();
    let (lat, lng): (f64, f64) =
        sqlx::query_as("SELECT latitude, longitude FROM store_location WHERE store_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    assert!((lat - 37.4979).abs() < 1e-9 && (lng - 127.0276).abs() < 1e-9);

    let categories: Vec<String> =
        sqlx::query_scalar("SELECT name FROM menu_category WHERE store_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(categories, ["커피", "논커피", "디저트"]);
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM menu_item WHERE store_id = $1",
            id
        )
        .await,
        8
    );
    // Every item sits in exactly one category.
    assert_eq!(
        count(
            pool,
            "SELECT count(*) FROM menu_category_item ci JOIN menu_category c ON c.id = ci.category_id \
             WHERE c.store_id = $1",
            id
        )
        .await,
        8
    );

    let price: i64 = sqlx::query_scalar(
        "SELECT price FROM menu_item WHERE store_id = $1 AND name = '아메리카노'",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(price, 4_500);

    let groups: Vec<(String, i32, i32, i64)> = sqlx::query_as(
        "SELECT s.name, s.min_select, s.max_select, count(so.option_id) \
         FROM menu_selection s LEFT JOIN menu_selection_option so ON so.selection_id = s.id \
         WHERE s.store_id = $1 GROUP BY s.id ORDER BY s.name",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap();
    let group = |name: &str| {
        groups
            .iter()
            .find(|g| g.0 == name)
            .unwrap_or_else(|| panic!("no group {name} in {groups:?}"))
    };
    assert_eq!(
        (group("온도").1, group("온도").2, group("온도").3),
        (1, 1, 2)
    );
    assert_eq!((group("샷 추가").1, group("샷 추가").2), (0, 2));
    assert!(group("샷 추가").3 >= 2);
    assert_eq!((group("사이즈").1, group("사이즈").2), (1, 1));
    assert_eq!((group("시럽").1, group("시럽").2), (0, 1));

    // The Americano asks temperature first, then size, then the optional groups.
    let americano_groups: Vec<String> = sqlx::query_scalar(
        "SELECT s.name FROM menu_item i \
         JOIN menu_item_selection isel ON isel.item_id = i.id \
         JOIN menu_selection s ON s.id = isel.selection_id \
         WHERE i.store_id = $1 AND i.name = '아메리카노' ORDER BY isel.position",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(americano_groups, ["온도", "사이즈", "샷 추가", "시럽"]);

    let version: i64 = sqlx::query_scalar("SELECT version FROM menu_version WHERE store_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(version >= 1, "menu version {version}");
}

#[tokio::test]
async fn concurrent_load_demo_makes_one_store() {
    let db = scratch_db().await;
    let pool = &db.pool;

    let (a, b) = tokio::join!(admin::load_demo(pool), admin::load_demo(pool));
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.store_id, b.store_id);
    assert_eq!(total_rows(pool, "store").await, 1);
    assert_eq!(total_rows(pool, "menu_item").await, 8);
}

#[tokio::test]
async fn create_store_with_profile_stores_the_location_and_refuses_bad_ones() {
    let db = scratch_db().await;
    let pool = &db.pool;
    let profile = admin::StoreProfile {
        address: Some("서울특별시 강남구 테헤란로 1".into()),
        phone: Some("02-000-0000".into()),
        description: "테헤란로 카페".into(),
        location: Some((37.5, 127.03)),
    };
    let id =
        admin::create_store_with_profile(pool, "테헤란 카페", "teheran", "s3cret-pass", &profile)
            .await
            .unwrap()
            .as_uuid();
    let (lat, lng, address): (f64, f64, String) = sqlx::query_as(
        "SELECT l.latitude, l.longitude, s.address FROM store s \
         JOIN store_location l ON l.store_id = s.id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((lat, lng), (37.5, 127.03));
    assert_eq!(address, "서울특별시 강남구 테헤란로 1");

    for location in [(91.0, 0.0), (0.0, 181.0), (f64::NAN, 0.0)] {
        let bad = admin::StoreProfile {
            location: Some(location),
            ..profile.clone()
        };
        let err = admin::create_store_with_profile(pool, "다른 카페", "other", "s3cret-pass", &bad)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AdminError::Validation(_)),
            "{location:?}: {err:?}"
        );
    }
    assert_eq!(total_rows(pool, "store").await, 1);
}
