//! Postgres queries and Redis scripts. Nothing here decides policy; the modules above do.

pub mod day;
pub mod menu;
pub mod sessions;
pub mod stores;

use domain::StoreId;
use platform::redis::Keys;
use uuid::Uuid;

/// The Redis key names of the store service (DESIGN §4), under the deployment's prefix.
#[derive(Debug, Clone)]
pub struct StoreKeys(pub Keys);

impl StoreKeys {
    /// A session's key, by the digest of its id (`sessions::digest`), never the id itself.
    pub fn session(&self, digest: &str) -> String {
        self.0.key(&format!("session:{digest}"))
    }

    /// The store's current admin session id: what a new admin login replaces.
    pub fn admin_session(&self, store_id: StoreId) -> String {
        self.0.key(&format!("store:{store_id}:admin_session"))
    }

    pub fn login_failures_account(&self, bucket: &str) -> String {
        self.0.key(&format!("login_fail:account:{bucket}"))
    }

    /// The address first: its bucket is a parsed address (no `:` in IPv4, `::/64` closing an
    /// IPv6 prefix), so no login id can be written to collide with another pair's key.
    pub fn login_failures_pair(&self, account: &str, ip: &str) -> String {
        self.0.key(&format!("login_fail:pair:{ip}:{account}"))
    }

    pub fn login_failures_ip(&self, bucket: &str) -> String {
        self.0.key(&format!("login_fail:ip:{bucket}"))
    }

    /// Live state of the store's business day (hash).
    pub fn day_state(&self, store_id: Uuid) -> String {
        self.0.key(&format!("store:{store_id}:state"))
    }

    /// Nicknames in use during one business day (set, written by the order service); it ends with
    /// the day.
    pub fn day_nicknames(&self, store_id: Uuid, day_id: Uuid) -> String {
        self.0.key(&contracts::keys::nicknames(store_id, day_id))
    }

    /// Stores in nearby search (GEO set).
    pub fn stores_geo(&self) -> String {
        self.0.key("stores:geo")
    }

    /// A place name's Kakao Local answer (JSON string), cached; the name as `places::normalize`
    /// spells it.
    pub fn place(&self, name: &str) -> String {
        self.0.key(&format!("place:{name}"))
    }

    /// The menu document (JSON string).
    pub fn menu(&self, store_id: StoreId) -> String {
        self.0.key(&format!("menu:{store_id}"))
    }
}

/// Milliseconds since the Unix epoch, the unit every time in a Redis record uses.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
