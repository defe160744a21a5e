//! Store logins and sessions.
//!
//! - Login checks the argon2id hash on a blocking thread, at most `hash_concurrency` at a time,
//!   after the failed-login policy (`login_limit`) lets it through.
//! - Each login makes a new opaque id (256 random bits, base64url) and ends the store's previous
//!   admin session, which then resolves as `Replaced` until its tombstone expires.
//! - A viewer session hangs off the admin session it was made from: it is valid only while that
//!   admin session is, so logging out, a newer login or the admin's expiry end its viewers too.
//! - Idle expiry is renewed on use (`touch`), never past the absolute expiry.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sqlx::PgPool;
use tokio::sync::Semaphore;

use crate::admin;
use crate::error::StoreError;
use crate::login_limit::{self, LoginLimits, Verdict};
use crate::storage::sessions::{SessionRecord, SessionRole, SessionStore};
use crate::storage::{now_ms, stores};

/// Session lifetimes (`STORE_SESSION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct SessionTimeouts {
    /// Ends a session nobody used for this long.
    #[arg(
        id = "store-session-idle",
        long = "store-session-idle",
        env = "STORE_SESSION_IDLE",
        value_name = "DURATION",
        default_value = "12h",
        value_parser = platform::settings::duration()
    )]
    pub idle: Duration,
    /// Ends every session this long after login, used or not.
    #[arg(
        id = "store-session-absolute",
        long = "store-session-absolute",
        env = "STORE_SESSION_ABSOLUTE",
        value_name = "DURATION",
        default_value = "24h",
        value_parser = platform::settings::duration()
    )]
    pub absolute: Duration,
    /// How long an ended or expired session is remembered, so it resolves as replaced or expired
    /// rather than unknown.
    #[arg(
        id = "store-session-tombstone",
        long = "store-session-tombstone",
        env = "STORE_SESSION_TOMBSTONE",
        value_name = "DURATION",
        default_value = "24h",
        value_parser = platform::settings::duration()
    )]
    pub tombstone: Duration,
}

impl Default for SessionTimeouts {
    fn default() -> SessionTimeouts {
        SessionTimeouts {
            idle: Duration::from_secs(12 * 3600),
            absolute: Duration::from_secs(24 * 3600),
            tombstone: Duration::from_secs(24 * 3600),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid,
    Unknown,
    Expired,
    Replaced,
}

/// A session's status on its own, ignoring any parent.
fn own_status(record: &SessionRecord, now_ms: i64) -> Status {
    if record.replaced {
        Status::Replaced
    } else if now_ms >= record.expires_at_ms || now_ms >= record.idle_expires_at_ms {
        Status::Expired
    } else {
        Status::Valid
    }
}

/// The status of a session: a viewer is valid only while its admin session is, and then reports
/// why the admin session ended.
pub fn status(record: &SessionRecord, parent: Option<&SessionRecord>, now_ms: i64) -> Status {
    let own = own_status(record, now_ms);
    if own != Status::Valid || record.role == SessionRole::Admin {
        return own;
    }
    match parent {
        Some(p) if p.role == SessionRole::Admin && p.store_id == record.store_id => {
            own_status(p, now_ms)
        }
        _ => Status::Unknown,
    }
}

/// 32 random bytes as base64url: 256 bits from the thread's CSPRNG.
fn new_session_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Rejects anything that cannot be an id we issued before it reaches a Redis key name.
fn well_formed(session_id: &str) -> bool {
    session_id.len() == 43
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

const LOGIN_ID_MAX_CHARS: usize = 64;
const PASSWORD_MAX_CHARS: usize = 128;

// Verified against when the login id does not exist, so a wrong id costs as much time as a wrong
// password and response times do not reveal which logins exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| admin::hash_password("not-a-real-password").unwrap_or_default());

pub struct Sessions {
    pub store: SessionStore,
    pub pool: PgPool,
    pub timeouts: SessionTimeouts,
    pub limits: LoginLimits,
    pub hash_permits: Arc<Semaphore>,
}

/// A valid session with its id.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub id: String,
    pub record: SessionRecord,
}

impl Sessions {
    /// Returns the new admin session and whether it ended a live one.
    pub async fn login(
        &self,
        login_id: &str,
        password: &str,
        client_ip: &str,
    ) -> Result<(ActiveSession, bool), StoreError> {
        if login_id.trim().is_empty()
            || login_id.chars().count() > LOGIN_ID_MAX_CHARS
            || password.is_empty()
            || password.chars().count() > PASSWORD_MAX_CHARS
        {
            return Err(StoreError::BadCredentials);
        }
        let account_bucket = login_limit::account_bucket(login_id);
        let ip_bucket = login_limit::ip_bucket(client_ip);

        // Reserved before hashing, in one script: parallel guesses cannot all slip through a
        // check made before any of them was counted.
        let verdict = self
            .store
            .reserve_attempt(
                &account_bucket,
                ip_bucket.as_deref(),
                &self.limits,
                now_ms(),
            )
            .await?;
        if let Verdict::Refuse { retry_after } = verdict {
            tracing::warn!(
                retry_after_secs = retry_after.as_secs(),
                "login rate limited"
            );
            return Err(StoreError::RateLimited { retry_after });
        }

        let account = stores::account_by_login(&self.pool, &account_bucket).await?;
        let hash = account.as_ref().map(|a| a.password_hash.clone());
        let matches = self.verify(hash, password.to_owned()).await?;
        // A wrong password leaves its reservation standing: that is the counted failure.
        let Some(account) = account.filter(|_| matches) else {
            return Err(StoreError::BadCredentials);
        };
        self.store
            .release_attempt(&account_bucket, ip_bucket.as_deref())
            .await?;

        let now = now_ms();
        let record = SessionRecord {
            store_id: account.store_id,
            account_id: account.id,
            login_id: account.login,
            role: SessionRole::Admin,
            parent: None,
            created_at_ms: now,
            expires_at_ms: now + ms(self.timeouts.absolute),
            idle_expires_at_ms: now + ms(self.timeouts.idle.min(self.timeouts.absolute)),
            replaced: false,
        };
        let id = new_session_id();
        let replaced = self
            .store
            .create_admin(
                &id,
                &record,
                now,
                self.timeouts.absolute + self.timeouts.tombstone,
            )
            .await?;
        tracing::info!(store_id = %record.store_id, replaced, "store admin logged in");
        Ok((ActiveSession { id, record }, replaced))
    }

    async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, StoreError> {
        let _permit = self
            .hash_permits
            .acquire()
            .await
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || match hash {
            Some(phc) => admin::verify_password(&phc, &password),
            None => {
                admin::verify_password(&DUMMY_HASH, &password);
                false
            }
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))
    }

    /// The session's status, and the session when valid (renewed first when `touch`).
    pub async fn resolve(
        &self,
        session_id: &str,
        touch: bool,
    ) -> Result<(Status, Option<ActiveSession>), StoreError> {
        if !well_formed(session_id) {
            return Ok((Status::Unknown, None));
        }
        let Some(mut record) = self.store.load(session_id).await? else {
            return Ok((Status::Unknown, None));
        };
        let parent = match (&record.role, &record.parent) {
            (SessionRole::Viewer, Some(parent)) => self.store.load_by_digest(parent).await?,
            _ => None,
        };
        let now = now_ms();
        let status = status(&record, parent.as_ref(), now);
        if status != Status::Valid {
            return Ok((status, None));
        }
        if touch {
            let wanted = now + ms(self.timeouts.idle);
            match self.store.touch(session_id, now, wanted).await? {
                Some(idle) => record.idle_expires_at_ms = idle,
                // Ended between the read and the renewal: report what it is now.
                None => return Box::pin(self.resolve(session_id, false)).await,
            }
        }
        Ok((
            Status::Valid,
            Some(ActiveSession {
                id: session_id.to_owned(),
                record,
            }),
        ))
    }

    pub async fn create_viewer(&self, admin_session_id: &str) -> Result<ActiveSession, StoreError> {
        let admin = match self.resolve(admin_session_id, false).await? {
            (Status::Valid, Some(admin)) => admin,
            _ => {
                return Err(StoreError::Unauthenticated(
                    "관리자 로그인이 필요합니다. 다시 로그인해 주세요".to_owned(),
                ));
            }
        };
        if admin.record.role != SessionRole::Admin {
            return Err(StoreError::PermissionDenied(
                "보기 전용 세션으로는 다른 기기를 연결할 수 없습니다".to_owned(),
            ));
        }
        let now = now_ms();
        let expires = (now + ms(self.timeouts.absolute)).min(admin.record.expires_at_ms);
        let record = SessionRecord {
            store_id: admin.record.store_id,
            account_id: admin.record.account_id,
            login_id: admin.record.login_id.clone(),
            role: SessionRole::Viewer,
            parent: Some(crate::storage::sessions::digest(&admin.id)),
            created_at_ms: now,
            expires_at_ms: expires,
            idle_expires_at_ms: (now + ms(self.timeouts.idle)).min(expires),
            replaced: false,
        };
        let id = new_session_id();
        let key_ttl = Duration::from_millis(u64::try_from(expires - now).unwrap_or(0))
            + self.timeouts.tombstone;
        self.store.create_viewer(&id, &record, key_ttl).await?;
        Ok(ActiveSession { id, record })
    }

    /// Ends the session. An unknown or malformed id is not an error: logging out twice is fine.
    pub async fn logout(&self, session_id: &str) -> Result<(), StoreError> {
        if !well_formed(session_id) {
            return Ok(());
        }
        if let Some(record) = self.store.load(session_id).await? {
            self.store.end(session_id, record.store_id).await?;
        }
        Ok(())
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use domain::{AccountId, StoreId};

    use super::*;

    fn admin(store_id: StoreId) -> SessionRecord {
        SessionRecord {
            store_id,
            account_id: AccountId::new(),
            login_id: "demo".into(),
            role: SessionRole::Admin,
            parent: None,
            created_at_ms: 0,
            expires_at_ms: 1_000,
            idle_expires_at_ms: 500,
            replaced: false,
        }
    }

    fn viewer(of: &SessionRecord) -> SessionRecord {
        SessionRecord {
            role: SessionRole::Viewer,
            parent: Some("admin-id".into()),
            ..of.clone()
        }
    }

    #[test]
    fn admin_sessions_expire_on_idle_or_absolute_time() {
        let a = admin(StoreId::new());
        assert_eq!(status(&a, None, 499), Status::Valid);
        assert_eq!(status(&a, None, 500), Status::Expired);
        let renewed = SessionRecord {
            idle_expires_at_ms: 2_000,
            ..a.clone()
        };
        assert_eq!(status(&renewed, None, 999), Status::Valid);
        assert_eq!(status(&renewed, None, 1_000), Status::Expired);
    }

    #[test]
    fn replaced_wins_over_expiry() {
        let a = SessionRecord {
            replaced: true,
            ..admin(StoreId::new())
        };
        assert_eq!(status(&a, None, 10), Status::Replaced);
        assert_eq!(status(&a, None, 10_000), Status::Replaced);
    }

    #[test]
    fn a_viewer_follows_its_admin_session() {
        let a = admin(StoreId::new());
        let v = viewer(&a);
        assert_eq!(status(&v, Some(&a), 10), Status::Valid);
        assert_eq!(status(&v, None, 10), Status::Unknown);
        let replaced = SessionRecord {
            replaced: true,
            ..a.clone()
        };
        assert_eq!(status(&v, Some(&replaced), 10), Status::Replaced);
        let idle_admin = SessionRecord {
            idle_expires_at_ms: 5,
            ..a.clone()
        };
        assert_eq!(status(&v, Some(&idle_admin), 10), Status::Expired);
    }

    #[test]
    fn a_viewer_never_hangs_off_another_store_or_another_viewer() {
        let a = admin(StoreId::new());
        let v = viewer(&a);
        assert_eq!(
            status(&v, Some(&admin(StoreId::new())), 10),
            Status::Unknown
        );
        assert_eq!(status(&v, Some(&viewer(&a)), 10), Status::Unknown);
    }

    #[test]
    fn session_ids_are_256_bit_base64url_and_fresh() {
        let a = new_session_id();
        let b = new_session_id();
        assert!(well_formed(&a), "{a}");
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert!(!well_formed("short"));
        assert!(!well_formed(&format!("{}*", &a[..42])));
    }
}
