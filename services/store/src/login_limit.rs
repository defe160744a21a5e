//! The failed-login policy: how many wrong passwords an account and an address may send in a
//! window before logins are refused. Pure; the counters live in Redis (`storage::sessions`).
//!
//! Windows are fixed: the first failure starts one and nothing extends it, so whoever hammers an
//! account can at most keep it refused until the window ends, never for good, and the owner gets
//! back in as soon as it passes. A successful login clears the account's count.

use std::net::IpAddr;
use std::time::Duration;

/// Failed-login limits (`STORE_LOGIN_LIMIT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct LoginLimits {
    /// Failures per login id within STORE_LOGIN_LIMIT_WINDOW.
    #[arg(
        id = "store-login-limit-per-account",
        long = "store-login-limit-per-account",
        env = "STORE_LOGIN_LIMIT_PER_ACCOUNT",
        value_name = "N",
        default_value = "5",
        value_parser = platform::settings::number::<u32>()
    )]
    pub per_account: u32,
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
    /// The fixed window both limits count failures in, from the first failure.
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
            per_account: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// One failure counter as read from Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counter {
    pub failures: u32,
    /// Time until the counter's window ends (zero when it has none).
    pub resets_in: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Refuse { retry_after: Duration },
}

/// Whether a login attempt may check its password at all. Checked before hashing, so a refused
/// attempt costs no CPU and teaches the guesser nothing.
pub fn check(limits: &LoginLimits, account: Counter, ip: Option<Counter>) -> Verdict {
    let mut wait: Option<Duration> = None;
    if account.failures >= limits.per_account {
        wait = Some(account.resets_in);
    }
    if let Some(ip) = ip
        && ip.failures >= limits.per_ip
    {
        wait = Some(wait.map_or(ip.resets_in, |w| w.max(ip.resets_in)));
    }
    match wait {
        // Whole seconds, rounded up, and never zero: "retry in 0 s" would invite a busy loop.
        Some(w) => Verdict::Refuse {
            retry_after: Duration::from_secs(w.as_millis().div_ceil(1000).max(1) as u64),
        },
        None => Verdict::Allow,
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

    const LIMITS: LoginLimits = LoginLimits {
        per_account: 5,
        per_ip: 20,
        window: Duration::from_secs(900),
    };

    fn counter(failures: u32, secs: u64) -> Counter {
        Counter {
            failures,
            resets_in: Duration::from_secs(secs),
        }
    }

    #[test]
    fn allows_below_both_limits() {
        assert_eq!(
            check(&LIMITS, counter(4, 100), Some(counter(19, 100))),
            Verdict::Allow
        );
        assert_eq!(check(&LIMITS, Counter::default(), None), Verdict::Allow);
    }

    #[test]
    fn refuses_at_the_account_limit_until_its_window_ends() {
        assert_eq!(
            check(&LIMITS, counter(5, 600), Some(counter(5, 800))),
            Verdict::Refuse {
                retry_after: Duration::from_secs(600)
            }
        );
    }

    #[test]
    fn refuses_at_the_ip_limit_whatever_the_account() {
        assert_eq!(
            check(&LIMITS, counter(0, 0), Some(counter(20, 42))),
            Verdict::Refuse {
                retry_after: Duration::from_secs(42)
            }
        );
    }

    #[test]
    fn when_both_are_exceeded_the_later_reset_counts() {
        assert_eq!(
            check(&LIMITS, counter(9, 30), Some(counter(25, 300))),
            Verdict::Refuse {
                retry_after: Duration::from_secs(300)
            }
        );
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let almost = Counter {
            failures: 5,
            resets_in: Duration::from_millis(1_200),
        };
        assert_eq!(
            check(&LIMITS, almost, None),
            Verdict::Refuse {
                retry_after: Duration::from_secs(2)
            }
        );
        assert_eq!(
            check(&LIMITS, counter(5, 0), None),
            Verdict::Refuse {
                retry_after: Duration::from_secs(1)
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
