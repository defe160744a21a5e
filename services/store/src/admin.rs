//! Operator commands behind `simpleorder store create` and `simpleorder demo`: making a store
//! with its admin account, and loading the demo café with a realistic menu.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::{AccountId, CategoryId, ItemId, OptionCategoryId, OptionId, SelectionId, StoreId};
use sqlx::{PgConnection, PgPool};

/// Login of the demo store; `load_demo` treats its existence as "already loaded".
pub const DEMO_LOGIN: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo1234";
pub const DEMO_NAME: &str = "간편카페 강남점";

const NAME_MAX_CHARS: usize = 60;
const LOGIN_MIN_CHARS: usize = 3;
const LOGIN_MAX_CHARS: usize = 32;
const PASSWORD_MIN_CHARS: usize = 8;
// Argon2 cost grows with input length only slightly, but an unbounded password is
// still an easy way to make the server hash megabytes on request.
const PASSWORD_MAX_CHARS: usize = 128;

// OWASP's recommended argon2id minimum (19 MiB, 2 passes, 1 lane): the hash is
// checked on every store login, so it must stay well under a second on a small node.
const ARGON2_M_COST_KIB: u32 = 19_456;
const ARGON2_T_COST: u32 = 2;
const ARGON2_P_COST: u32 = 1;

// Name of the UNIQUE constraint Postgres gives `store_account.login` (migrations/0001_store.sql).
const LOGIN_UNIQUE_CONSTRAINT: &str = "store_account_login_key";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Bad input; the message is meant for the person who typed it.
    #[error("{0}")]
    Validation(String),
    #[error("이미 사용 중인 로그인 아이디입니다")]
    LoginTaken,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("password hashing: {0}")]
    Hash(String),
}

/// The demo store as `simpleorder demo` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStore {
    pub store_id: StoreId,
    pub login: String,
    pub password: String,
    pub name: String,
}

/// Creates a store with one admin account. Returns the new store id.
pub async fn create_store(
    pool: &PgPool,
    name: &str,
    login: &str,
    password: &str,
) -> Result<StoreId, AdminError> {
    create_store_with_profile(pool, name, login, password, &StoreProfile::default()).await
}

/// What a store shows customers besides its name; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreProfile {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub description: String,
    /// (latitude, longitude): where nearby search finds the store.
    pub location: Option<(f64, f64)>,
}

/// Creates a store with its admin account, profile and location, in one transaction.
pub async fn create_store_with_profile(
    pool: &PgPool,
    name: &str,
    login: &str,
    password: &str,
    profile: &StoreProfile,
) -> Result<StoreId, AdminError> {
    let name = validate_name(name)?;
    validate_login(login)?;
    validate_password(password)?;
    validate_profile(profile)?;
    let hash = hash_password_blocking(password.to_owned()).await?;

    let store_id = StoreId::new();
    let mut tx = pool.begin().await?;
    insert_store(
        &mut tx,
        &NewStore {
            id: store_id,
            name,
            phone: profile.phone.as_deref(),
            address: profile.address.as_deref(),
            description: &profile.description,
        },
        login,
        &hash,
    )
    .await?;
    if let Some((lat, lng)) = profile.location {
        sqlx::query!(
            "INSERT INTO store_location (store_id, latitude, longitude, address) VALUES ($1, $2, $3, $4)",
            store_id.as_uuid(),
            lat,
            lng,
            profile.address.as_deref()
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(store_id)
}

/// The longest address, description or opening hours a store can show.
pub const PROFILE_TEXT_MAX_CHARS: usize = 200;
/// A phone number has 7–15 digits (E.164 allows 15).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// Refuses `text` longer than [`PROFILE_TEXT_MAX_CHARS`] or holding control characters (a line
/// break only where `lines` allows it).
pub fn validate_profile_text(label: &str, text: &str, lines: bool) -> Result<(), AdminError> {
    if text.chars().count() > PROFILE_TEXT_MAX_CHARS {
        return Err(AdminError::Validation(format!(
            "{label}은(는) {PROFILE_TEXT_MAX_CHARS}자 이하로 입력해 주세요"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(lines && c == '\n'))
    {
        return Err(AdminError::Validation(format!(
            "{label}에 쓸 수 없는 문자가 있습니다"
        )));
    }
    Ok(())
}

pub fn validate_profile(profile: &StoreProfile) -> Result<(), AdminError> {
    validate_profile_text("주소", profile.address.as_deref().unwrap_or(""), false)?;
    validate_profile_text("가게 소개", &profile.description, true)?;
    if let Some(phone) = profile.phone.as_deref() {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || "-+() ".contains(c));
        if !allowed || !PHONE_DIGITS.contains(&digits) {
            return Err(AdminError::Validation(
                "전화번호는 숫자와 '-'로 입력해 주세요 (예: 02-555-0110)".to_owned(),
            ));
        }
    }
    if let Some((lat, lng)) = profile.location
        && !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng))
    {
        return Err(AdminError::Validation(
            "위치는 위도 -90~90, 경도 -180~180 범위여야 합니다".to_owned(),
        ));
    }
    Ok(())
}

/// Loads the demo café. Idempotent: when the `demo` login exists, that store is returned
/// unchanged, so running it again (or twice at once) never makes a second café.
pub async fn load_demo(pool: &PgPool) -> Result<DemoStore, AdminError> {
    if let Some(existing) = find_demo(pool).await? {
        return Ok(existing);
    }
    let hash = hash_password_blocking(DEMO_PASSWORD.to_owned()).await?;

    let store_id = StoreId::new();
    let mut tx = pool.begin().await?;
    // The account goes in first: a concurrent load_demo blocks here on the unique login
    // and, once the winner commits, fails with LoginTaken before writing anything else.
    let inserted = insert_store(
        &mut tx,
        &NewStore {
            id: store_id,
            name: DEMO_NAME,
            phone: Some("02-555-0110"),
            address: Some(DEMO_ADDRESS),
            description: "강남역 11번 출구 앞, 카카오톡으로 주문하고 바로 픽업하는 카페",
        },
        DEMO_LOGIN,
        &hash,
    )
    .await;
    match inserted {
        Ok(()) => {}
        Err(AdminError::LoginTaken) => {
            tx.rollback().await?;
            return find_demo(pool).await?.ok_or(AdminError::LoginTaken);
        }
        Err(e) => return Err(e),
    }

    sqlx::query!(
        "INSERT INTO store_location (store_id, latitude, longitude, address) VALUES ($1, $2, $3, $4)",
        store_id.as_uuid(),
        37.4979_f64,
        127.0276_f64,
        DEMO_ADDRESS
    )
    .execute(&mut *tx)
    .await?;

    insert_demo_menu(&mut tx, store_id).await?;

    sqlx::query!(
        "UPDATE menu_version SET version = version + 1, updated_at = now() WHERE store_id = $1",
        store_id.as_uuid()
    )
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(DemoStore {
        store_id,
        login: DEMO_LOGIN.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        name: DEMO_NAME.to_owned(),
    })
}

/// Hashes a password as an argon2id PHC string with the service's parameters.
/// CPU- and memory-heavy: call it from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, AdminError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AdminError::Hash(e.to_string()))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AdminError::Hash(e.to_string()))
}

/// Checks a password against a stored PHC string. A malformed hash counts as a mismatch:
/// a login must never fail open. CPU- and memory-heavy: call it from a blocking thread.
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Parameters come from the PHC string, so hashes made with older costs still verify.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Returns the trimmed name, or why it is refused.
pub fn validate_name(name: &str) -> Result<&str, AdminError> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS {
        return Err(AdminError::Validation(format!(
            "가게 이름은 1~{NAME_MAX_CHARS}자로 입력해 주세요"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AdminError::Validation(
            "가게 이름에 줄바꿈이나 제어 문자는 쓸 수 없습니다".to_owned(),
        ));
    }
    Ok(trimmed)
}

pub fn validate_login(login: &str) -> Result<(), AdminError> {
    let len = login.chars().count();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
    if !(LOGIN_MIN_CHARS..=LOGIN_MAX_CHARS).contains(&len) || !login.chars().all(allowed) {
        return Err(AdminError::Validation(format!(
            "로그인 아이디는 영문 소문자, 숫자, '_', '.', '-'로 {LOGIN_MIN_CHARS}~{LOGIN_MAX_CHARS}자여야 합니다"
        )));
    }
    Ok(())
}

pub fn validate_password(password: &str) -> Result<(), AdminError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_CHARS {
        return Err(AdminError::Validation(format!(
            "비밀번호는 {PASSWORD_MIN_CHARS}자 이상이어야 합니다"
        )));
    }
    if len > PASSWORD_MAX_CHARS {
        return Err(AdminError::Validation(format!(
            "비밀번호는 {PASSWORD_MAX_CHARS}자 이하여야 합니다"
        )));
    }
    Ok(())
}

fn argon2() -> Result<Argon2<'static>, AdminError> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .map_err(|e| AdminError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

// Hashing takes tens of milliseconds of CPU and 19 MiB; on the async runtime it would stall
// every other request sharing the worker thread.
async fn hash_password_blocking(password: String) -> Result<String, AdminError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AdminError::Hash(e.to_string()))?
}

struct NewStore<'a> {
    id: StoreId,
    name: &'a str,
    phone: Option<&'a str>,
    address: Option<&'a str>,
    description: &'a str,
}

/// Store, admin account and menu version 0, inside the caller's transaction.
async fn insert_store(
    conn: &mut PgConnection,
    store: &NewStore<'_>,
    login: &str,
    password_hash: &str,
) -> Result<(), AdminError> {
    sqlx::query!(
        "INSERT INTO store (id, name, phone, address, description) VALUES ($1, $2, $3, $4, $5)",
        store.id.as_uuid(),
        store.name,
        store.phone,
        store.address,
        store.description
    )
    .execute(&mut *conn)
    .await?;

    sqlx::query!(
        "INSERT INTO store_account (id, store_id, login, password_hash, role) \
         VALUES ($1, $2, $3, $4, 'admin')",
        AccountId::new().as_uuid(),
        store.id.as_uuid(),
        login,
        password_hash
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some(LOGIN_UNIQUE_CONSTRAINT) => {
            AdminError::LoginTaken
        }
        _ => AdminError::Db(e),
    })?;

    sqlx::query!(
        "INSERT INTO menu_version (store_id, version) VALUES ($1, 0)",
        store.id.as_uuid()
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn find_demo(pool: &PgPool) -> Result<Option<DemoStore>, AdminError> {
    let row = sqlx::query!(
        "SELECT s.id, s.name FROM store_account a JOIN store s ON s.id = a.store_id \
         WHERE a.login = $1",
        DEMO_LOGIN
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| DemoStore {
        store_id: r.id.into(),
        login: DEMO_LOGIN.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        name: r.name,
    }))
}

const DEMO_ADDRESS: &str = "서울특별시 강남구 강남대로 396";

struct DemoOption {
    name: &'static str,
    price: i64,
}

struct DemoSelection {
    name: &'static str,
    min: i32,
    max: i32,
    options: &'static [DemoOption],
}

struct DemoItem {
    name: &'static str,
    description: &'static str,
    price: i64,
    /// Names of `DEMO_SELECTIONS`, in the order the customer is asked.
    selections: &'static [&'static str],
}

struct DemoCategory {
    name: &'static str,
    items: &'static [DemoItem],
}

const TEMPERATURE: &str = "온도";
const SIZE: &str = "사이즈";
const EXTRA_SHOT: &str = "샷 추가";
const SYRUP: &str = "시럽";

// min/max count distinct options of a group, so "up to two extra shots" is two kinds of
// shot rather than a quantity.
const DEMO_SELECTIONS: &[DemoSelection] = &[
    DemoSelection {
        name: TEMPERATURE,
        min: 1,
        max: 1,
        options: &[
            DemoOption {
                name: "HOT",
                price: 0,
            },
            DemoOption {
                name: "ICE",
                price: 0,
            },
        ],
    },
    DemoSelection {
        name: SIZE,
        min: 1,
        max: 1,
        options: &[
            DemoOption {
                name: "Regular",
                price: 0,
            },
            DemoOption {
                name: "Large",
                price: 500,
            },
        ],
    },
    DemoSelection {
        name: EXTRA_SHOT,
        min: 0,
        max: 2,
        options: &[
            DemoOption {
                name: "에스프레소 샷",
                price: 500,
            },
            DemoOption {
                name: "디카페인 샷",
                price: 600,
            },
        ],
    },
    DemoSelection {
        name: SYRUP,
        min: 0,
        max: 1,
        options: &[
            DemoOption {
                name: "바닐라 시럽",
                price: 500,
            },
            DemoOption {
                name: "헤이즐넛 시럽",
                price: 500,
            },
            DemoOption {
                name: "카라멜 시럽",
                price: 500,
            },
        ],
    },
];

const DEMO_OPTION_CATEGORY: &str = "음료 옵션";

const DEMO_MENU: &[DemoCategory] = &[
    DemoCategory {
        name: "커피",
        items: &[
            DemoItem {
                name: "아메리카노",
                description: "고소한 원두로 내린 진한 에스프레소에 물을 더한 기본 커피",
                price: 4_500,
                selections: &[TEMPERATURE, SIZE, EXTRA_SHOT, SYRUP],
            },
            DemoItem {
                name: "카페라떼",
                description: "에스프레소와 부드러운 우유",
                price: 5_000,
                selections: &[TEMPERATURE, SIZE, EXTRA_SHOT, SYRUP],
            },
            DemoItem {
                name: "바닐라라떼",
                description: "바닐라 시럽을 넣은 달콤한 라떼",
                price: 5_500,
                selections: &[TEMPERATURE, SIZE, EXTRA_SHOT],
            },
            DemoItem {
                name: "콜드브루",
                description: "찬물로 12시간 우려 깔끔한 콜드브루 (아이스 전용)",
                price: 5_000,
                selections: &[SIZE, SYRUP],
            },
        ],
    },
    DemoCategory {
        name: "논커피",
        items: &[
            DemoItem {
                name: "자몽에이드",
                description: "생자몽을 듬뿍 넣은 상큼한 에이드 (아이스 전용)",
                price: 5_800,
                selections: &[SIZE],
            },
            DemoItem {
                name: "녹차라떼",
                description: "제주 유기농 녹차와 우유",
                price: 5_500,
                selections: &[TEMPERATURE, SIZE, SYRUP],
            },
        ],
    },
    DemoCategory {
        name: "디저트",
        items: &[
            DemoItem {
                name: "치즈케이크",
                description: "진한 크림치즈로 구운 뉴욕 치즈케이크",
                price: 6_500,
                selections: &[],
            },
            DemoItem {
                name: "크루아상",
                description: "매일 아침 굽는 버터 크루아상",
                price: 4_000,
                selections: &[],
            },
        ],
    },
];

async fn insert_demo_menu(conn: &mut PgConnection, store_id: StoreId) -> Result<(), AdminError> {
    let option_category_id = OptionCategoryId::new();
    sqlx::query!(
        "INSERT INTO menu_option_category (id, store_id, name, position) VALUES ($1, $2, $3, 0)",
        option_category_id.as_uuid(),
        store_id.as_uuid(),
        DEMO_OPTION_CATEGORY
    )
    .execute(&mut *conn)
    .await?;

    let mut selection_ids = Vec::with_capacity(DEMO_SELECTIONS.len());
    for (sel_pos, sel) in (0_i32..).zip(DEMO_SELECTIONS) {
        let selection_id = SelectionId::new();
        sqlx::query!(
            "INSERT INTO menu_selection (id, store_id, name, min_select, max_select) \
             VALUES ($1, $2, $3, $4, $5)",
            selection_id.as_uuid(),
            store_id.as_uuid(),
            sel.name,
            sel.min,
            sel.max
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "INSERT INTO menu_option_category_selection (option_category_id, selection_id, position) \
             VALUES ($1, $2, $3)",
            option_category_id.as_uuid(),
            selection_id.as_uuid(),
            sel_pos
        )
        .execute(&mut *conn)
        .await?;

        for (opt_pos, opt) in (0_i32..).zip(sel.options) {
            let option_id = OptionId::new();
            sqlx::query!(
                "INSERT INTO menu_option (id, store_id, name, price) VALUES ($1, $2, $3, $4)",
                option_id.as_uuid(),
                store_id.as_uuid(),
                opt.name,
                opt.price
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "INSERT INTO menu_selection_option (selection_id, option_id, position) \
                 VALUES ($1, $2, $3)",
                selection_id.as_uuid(),
                option_id.as_uuid(),
                opt_pos
            )
            .execute(&mut *conn)
            .await?;
        }
        selection_ids.push((sel.name, selection_id));
    }

    for (cat_pos, category) in (0_i32..).zip(DEMO_MENU) {
        let category_id = CategoryId::new();
        sqlx::query!(
            "INSERT INTO menu_category (id, store_id, name, position) VALUES ($1, $2, $3, $4)",
            category_id.as_uuid(),
            store_id.as_uuid(),
            category.name,
            cat_pos
        )
        .execute(&mut *conn)
        .await?;

        for (item_pos, item) in (0_i32..).zip(category.items) {
            let item_id = ItemId::new();
            sqlx::query!(
                "INSERT INTO menu_item (id, store_id, name, description, price) \
                 VALUES ($1, $2, $3, $4, $5)",
                item_id.as_uuid(),
                store_id.as_uuid(),
                item.name,
                item.description,
                item.price
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query!(
                "INSERT INTO menu_category_item (category_id, item_id, position) VALUES ($1, $2, $3)",
                category_id.as_uuid(),
                item_id.as_uuid(),
                item_pos
            )
            .execute(&mut *conn)
            .await?;

            for (link_pos, wanted) in (0_i32..).zip(item.selections) {
                let selection_id = selection_ids
                    .iter()
                    .find(|(name, _)| name == wanted)
                    .map(|(_, id)| *id)
                    .ok_or_else(|| {
                        AdminError::Validation(format!("demo menu names unknown group {wanted}"))
                    })?;
                sqlx::query!(
                    "INSERT INTO menu_item_selection (item_id, selection_id, position) \
                     VALUES ($1, $2, $3)",
                    item_id.as_uuid(),
                    selection_id.as_uuid(),
                    link_pos
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_validation(r: Result<impl std::fmt::Debug, AdminError>) -> bool {
        matches!(r, Err(AdminError::Validation(_)))
    }

    #[test]
    fn name_is_trimmed_and_bounded_in_characters() {
        assert_eq!(
            validate_name("  간편카페 강남점 ").unwrap(),
            "간편카페 강남점"
        );
        assert!(is_validation(validate_name("")));
        assert!(is_validation(validate_name("   ")));
        // 60 Hangul syllables are 180 bytes: the limit counts characters, not bytes.
        assert!(validate_name(&"가".repeat(60)).is_ok());
        assert!(is_validation(validate_name(&"가".repeat(61))));
        assert!(is_validation(validate_name("카페\n강남")));
    }

    #[test]
    fn login_allows_only_lowercase_ascii_digits_and_punctuation() {
        for ok in ["abc", "demo", "cafe_01", "gangnam.cafe-2", &"a".repeat(32)] {
            assert!(validate_login(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ab",
            &"a".repeat(33),
            "Demo",
            "카페점주",
            "with space",
            "semi;colon",
            "tab\tx",
        ] {
            assert!(is_validation(validate_login(bad)), "{bad}");
        }
    }

    #[test]
    fn password_needs_eight_characters() {
        assert!(validate_password("demo1234").is_ok());
        assert!(validate_password("비밀번호는여덟자").is_ok());
        assert!(is_validation(validate_password("demo123")));
        assert!(is_validation(validate_password("")));
        assert!(is_validation(validate_password(&"x".repeat(129))));
    }

    #[test]
    fn validation_messages_are_korean() {
        let Err(AdminError::Validation(msg)) = validate_password("short") else {
            panic!("short password accepted");
        };
        assert!(msg.contains("비밀번호"), "{msg}");
    }

    #[test]
    fn hash_is_argon2id_with_configured_cost_and_verifies() {
        let phc = hash_password("demo1234").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&phc, "demo1234"));
        assert!(!verify_password(&phc, "demo12345"));
        assert!(!verify_password("not a hash", "demo1234"));
        // A fresh salt each time: equal passwords must not produce equal hashes.
        assert_ne!(phc, hash_password("demo1234").unwrap());
    }

    #[test]
    fn demo_menu_names_only_known_groups_and_respects_min_max() {
        for sel in DEMO_SELECTIONS {
            assert!(
                0 <= sel.min && sel.min <= sel.max && sel.max >= 1,
                "{}",
                sel.name
            );
            assert!(sel.options.len() >= sel.max as usize, "{}", sel.name);
        }
        for item in DEMO_MENU.iter().flat_map(|c| c.items) {
            for wanted in item.selections {
                assert!(
                    DEMO_SELECTIONS.iter().any(|s| s.name == *wanted),
                    "{} names {wanted}",
                    item.name
                );
            }
        }
    }
}
