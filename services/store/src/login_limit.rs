//! The failed-login policy. Pure; the counters live in Redis (`storage::sessions`), where one
//! script reserves an attempt before its password is hashed, so N parallel guesses cost N counted
//! attempts and no more than the limits let through ever reach the hash.
//!
//! - **Per (login, client address):** after `per_client` failures the pair is locked, first for
//!   `lock_base`, twice as long for each further failure, at most `lock_max`. Only that address is
//!   locked: a stranger guessing the owner's password never locks the owner out.
//! - **Per login, from every address:** a looser ceiling in a short fixed window, so guessing
//!   from many addresses is slowed to `per_account` tries per `account_window`; the owner waits
//!   at most that window, never longer.
//! - **Per client address, over every login:** `per_ip` failures in `window` (IPv6: per /64).
//!
//! A successful login clears its pair and gives back the attempt it reserved.

use std::net::IpAddr;
use std::time::Duration;

/// Failed-login limits (`STORE_LOGIN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct LoginLimits {
    /// Failures of one login from one client address before that pair is locked.
    #[arg(
        id = "store-login-limit-per-client",
        long = "store-login-limit-per-client",
        env = "STORE_LOGIN_LIMIT_PER_CLIENT",
        value_name = "N",
        default_value = "5",
        value_parser = platform::settings::number::<u32>()
    )]
    pub per_client: u32,
    /// The first lock of a (login, address) pair; each further failure doubles it.
    #[arg(
        id = "store-login-lock-base",
        long = "store-login-lock-base",
        env = "STORE_LOGIN_LOCK_BASE",
        value_name = "DURATION",
        default_value = "1m",
        value_parser = platform::settings::duration()
    )]
    pub lock_base: Duration,
    /// The longest lock of a (login, address) pair.
    #[arg(
        id = "store-login-lock-max",
        long = "store-login-lock-max",
        env = "STORE_LOGIN_LOCK_MAX",
        value_name = "DURATION",
        default_value = "1h",
        value_parser = platform::settings::duration()
    )]
    pub lock_max: Duration,
    /// Failures of one login from all addresses within STORE_LOGIN_ACCOUNT_WINDOW.
    #[arg(
        id = "store-login-limit-per-account",
        long = "store-login-limit-per-account",
        env = "STORE_LOGIN_LIMIT_PER_ACCOUNT",
        value_name = "N",
        default_value = "20",
        value_parser = platform::settings::number::<u32>()
    )]
    pub per_account: u32,
    /// The fixed window of the per-login ceiling, from its first failure: the longest the owner
    /// can be kept out by guesses from elsewhere.
    #[arg(
        id = "store-login-account-window",
        long = "store-login-account-window",
        env = "STORE_LOGIN_ACCOUNT_WINDOW",
        value_name = "DURATION",
        default_value = "5m",
        value_parser = platform::settings::duration()
    )]
    pub account_window: Duration,
    /// Failures per client address (IPv6: per /64) within STORE_LOGIN_LIMIT_WINDOW.
    #[arg(
        id = "store-login-limit-per-ip",
        long = "store-login-limit-per-ip",
        env = "STORE_LOGIN_LIMIT_PER_IP",
        value_name = "N",
        default_value = "20",
        value_parser = platform::settings::number::<u32>()
    )]
    pub per_ip: u32,
    /// The fixed window the per-address limit counts in, from the first failure.
    #[arg(
        id = "store-login-limit-window",
        long = "store-login-limit-window",
        env = "STORE_LOGIN_LIMIT_WINDOW",
        value_name = "DURATION",
        default_value = "15m",
        value_parser = platform::settings::duration()
    )]
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            per_client: 5,
            lock_base: Duration::from_secs(60),
            lock_max: Duration::from_secs(3600),
            per_account: 20,
            account_window: Duration::from_secs(5 * 60),
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// What the reservation found: go ahead and check the password, or wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Refuse { retry_after: Duration },
}

impl Verdict {
    /// From the reservation's answer: 0 when reserved, else the milliseconds until the longest
    /// lock in the way ends. Whole seconds, rounded up, and never zero: "retry in 0 s" would
    /// invite a busy loop.
    pub fn from_wait_ms(wait_ms: i64) -> Verdict {
        if wait_ms <= 0 {
            return Verdict::Allow;
        }
        let secs = u64::try_from(wait_ms).unwrap_or(u64::MAX).div_ceil(1000);
        Verdict::Refuse {
            retry_after: Duration::from_secs(secs.max(1)),
        }
    }
}

/// The counter key part for a client address, or `None` when the address is missing or not an
/// address (then only the per-account limit applies). IPv6 clients get a whole /64 from their
/// provider and can rotate within it, so the /64 is what is counted.
pub fn ip_bucket(client_ip: &str) -> Option<String> {
    match client_ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(v4.to_string()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(v4.to_string()),
            None => {
                let s = v6.segments();
                Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
            }
        },
    }
}

/// The counter key part for a login id: case-folded, so "Demo" and "demo" share one budget.
pub fn account_bucket(login_id: &str) -> String {
    login_id.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_allows_and_a_wait_rounds_up_to_whole_seconds() {
        assert_eq!(Verdict::from_wait_ms(0), Verdict::Allow);
        assert_eq!(Verdict::from_wait_ms(-2), Verdict::Allow);
        assert_eq!(
            Verdict::from_wait_ms(1_200),
            Verdict::Refuse {
                retry_after: Duration::from_secs(2)
            }
        );
        assert_eq!(
            Verdict::from_wait_ms(1),
            Verdict::Refuse {
                retry_after: Duration::from_secs(1)
            }
        );
        assert_eq!(
            Verdict::from_wait_ms(600_000),
            Verdict::Refuse {
                retry_after: Duration::from_secs(600)
            }
        );
    }

    #[test]
    fn ip_buckets_group_ipv6_by_prefix_and_ignore_garbage() {
        assert_eq!(ip_bucket("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(ip_bucket(" 203.0.113.7 ").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            ip_bucket("::ffff:203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            ip_bucket("2001:db8:1:2:aaaa::1"),
            ip_bucket("2001:db8:1:2:bbbb::2")
        );
        assert_ne!(ip_bucket("2001:db8:1:2::1"), ip_bucket("2001:db8:1:3::1"));
        assert_eq!(ip_bucket(""), None);
        assert_eq!(ip_bucket("not-an-ip"), None);
        assert_eq!(ip_bucket("1.2.3.4:5678"), None);
    }

    #[test]
    fn account_buckets_ignore_case_and_spaces() {
        assert_eq!(account_bucket(" Demo "), account_bucket("demo"));
    }
}
