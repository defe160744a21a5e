//! Logins and sessions over gRPC: passwords, rate limits, the single admin session, viewers,
//! logout and timeouts.

use crate::common;

use std::time::Duration;

use common::{Harness, PASSWORD};
use contracts::store::v1 as pb;
use store::{LoginLimits, SessionTimeouts, StoreSettings};
use tonic::Code;

async fn try_login(
    h: &Harness,
    login: &str,
    password: &str,
    ip: &str,
) -> Result<pb::LoginResponse, tonic::Status> {
    // Bursts of parallel logins wait for the hash permits; no answer may be lost to a deadline.
    let patient =
        platform::grpc::client_with_deadline(&h.gateway, &h.url, Duration::from_secs(60)).unwrap();
    pb::store_service_client::StoreServiceClient::new(patient)
        .login(pb::LoginRequest {
            login_id: login.into(),
            password: password.into(),
            client_ip: ip.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn status_of(r: &pb::ResolveSessionResponse) -> pb::SessionStatus {
    pb::SessionStatus::try_from(r.status).unwrap()
}

fn secs(t: &Option<prost_types::Timestamp>) -> i64 {
    t.as_ref().expect("timestamp").seconds
}

#[tokio::test]
async fn login_opens_a_session_and_wrong_credentials_do_not() {
    let h = Harness::start().await;
    let created = h.create_store("동네커피 역삼점", "yeoksam", 0.0, 0.0).await;
    let store_id = created.store.unwrap().store_id;

    let login = try_login(&h, "yeoksam", PASSWORD, "203.0.113.1")
        .await
        .unwrap();
    assert!(!login.replaced_previous);
    let session = login.session.unwrap();
    assert_eq!(session.store_id, store_id);
    assert_eq!(session.account_id, created.account_id);
    assert_eq!(session.login_id, "yeoksam");
    assert_eq!(session.role, pb::Role::Admin as i32);
    assert_eq!(session.session_id.len(), 43, "256 bits in base64url");
    let now = chrono::Utc::now().timestamp();
    assert!((secs(&session.expires_at) - now - 24 * 3600).abs() < 60);
    assert!((secs(&session.idle_expires_at) - now - 12 * 3600).abs() < 60);

    let resolved = h.resolve(&session.session_id, true).await;
    assert_eq!(status_of(&resolved), pb::SessionStatus::Valid);
    assert_eq!(resolved.session.unwrap().store_id, store_id);

    // Login ids are case-insensitive; a wrong password or an unknown login say the same thing.
    assert!(
        try_login(&h, "YeokSam", PASSWORD, "203.0.113.1")
            .await
            .is_ok()
    );
    let wrong = try_login(&h, "yeoksam", "wrong-pass", "203.0.113.1")
        .await
        .unwrap_err();
    let unknown = try_login(&h, "nobody", PASSWORD, "203.0.113.1")
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert_eq!(wrong.message(), unknown.message());
    assert!(wrong.message().contains("비밀번호"), "{}", wrong.message());
    assert_eq!(
        try_login(&h, "", "", "").await.unwrap_err().code(),
        Code::Unauthenticated
    );

    // Bad ids never resolve, whatever they look like.
    for bogus in ["", "nope", "*", &"A".repeat(43)] {
        assert_eq!(
            status_of(&h.resolve(bogus, true).await),
            pb::SessionStatus::Unknown
        );
    }
    h.stop().await;
}

/// Limits that stay out of the way except where a test sets them.
fn loose() -> LoginLimits {
    LoginLimits {
        per_client: 1000,
        lock_base: Duration::from_secs(1),
        lock_max: Duration::from_secs(10),
        per_account: 1000,
        account_window: Duration::from_secs(60),
        per_ip: 1000,
        window: Duration::from_secs(60),
    }
}

fn retry_after(status: &tonic::Status) -> u64 {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let retry: u64 = status
        .metadata()
        .get(store::RETRY_AFTER_TRAILER)
        .expect("retry-after trailer")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        status.message().contains(&format!("{retry}초")),
        "{}",
        status.message()
    );
    retry
}

/// How many attempts the (login, address) pair has counted.
async fn pair_count(h: &Harness, login: &str, ip: &str) -> i64 {
    let mut redis = h.redis.conn.clone();
    let count: Option<i64> = redis::cmd("HGET")
        .arg(h.keys.key(&format!("login_fail:pair:{ip}:{login}")))
        .arg("count")
        .query_async(&mut redis)
        .await
        .unwrap();
    count.unwrap_or(0)
}

#[tokio::test]
async fn a_stranger_is_locked_with_growing_delays_and_the_owner_elsewhere_is_not() {
    let h = Harness::start_with(StoreSettings {
        login_limits: LoginLimits {
            per_client: 3,
            ..loose()
        },
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 하나", "owner", 0.0, 0.0).await;
    let stranger = "198.51.100.2";

    // A success forgets the pair's failures.
    for _ in 0..2 {
        try_login(&h, "owner", "bad-guess", stranger)
            .await
            .unwrap_err();
    }
    try_login(&h, "owner", PASSWORD, stranger).await.unwrap();
    assert_eq!(pair_count(&h, "owner", stranger).await, 0);

    for _ in 0..3 {
        let err = try_login(&h, "owner", "bad-guess", stranger)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
    }
    // Locked for the first delay, even with the right password, from that address only.
    let limited = try_login(&h, "owner", PASSWORD, stranger)
        .await
        .unwrap_err();
    assert_eq!(retry_after(&limited), 1);
    try_login(&h, "owner", PASSWORD, "192.0.2.99")
        .await
        .expect("the owner, from another address, is not locked out");

    // Each further failure doubles the lock; refused attempts do not lengthen it.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    try_login(&h, "owner", "bad-guess", stranger)
        .await
        .unwrap_err();
    for _ in 0..3 {
        let limited = try_login(&h, "owner", PASSWORD, stranger)
            .await
            .unwrap_err();
        assert_eq!(retry_after(&limited), 2);
    }
    assert_eq!(pair_count(&h, "owner", stranger).await, 4);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    try_login(&h, "owner", PASSWORD, stranger).await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn parallel_wrong_guesses_are_each_counted_and_only_the_limit_is_checked() {
    let h = Harness::start_with(StoreSettings {
        login_limits: LoginLimits {
            per_client: 5,
            ..loose()
        },
        hash_concurrency: 2,
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 넷", "fourth", 0.0, 0.0).await;
    let (ip, limit) = ("203.0.113.50", 5);
    let guesses = (0..50).map(|_| try_login(&h, "fourth", "wrong-guess", ip));
    let outcomes = futures::future::join_all(guesses).await;
    let codes: Vec<Code> = outcomes
        .iter()
        .map(|o| o.as_ref().expect_err("no guess succeeds").code())
        .collect();
    let checked = codes
        .iter()
        .filter(|c| **c == Code::Unauthenticated)
        .count();
    let refused = codes
        .iter()
        .filter(|c| **c == Code::ResourceExhausted)
        .count();
    assert_eq!((checked, refused), (limit, 50 - limit));
    assert_eq!(pair_count(&h, "fourth", ip).await, limit as i64);
    h.stop().await;
}

#[tokio::test]
async fn fifty_parallel_wrong_passwords_are_fifty_counted_failures() {
    let h = Harness::start_with(StoreSettings {
        login_limits: loose(),
        hash_concurrency: 2,
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 다섯", "fifth", 0.0, 0.0).await;
    let ip = "203.0.113.60";
    let guesses = (0..50).map(|_| try_login(&h, "fifth", "wrong-guess", ip));
    for outcome in futures::future::join_all(guesses).await {
        assert_eq!(
            outcome.expect_err("no success").code(),
            Code::Unauthenticated
        );
    }
    assert_eq!(pair_count(&h, "fifth", ip).await, 50);
    let mut redis = h.redis.conn.clone();
    let account: i64 = redis::cmd("GET")
        .arg(h.keys.key("login_fail:account:fifth"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(account, 50);
    h.stop().await;
}

#[tokio::test]
async fn guesses_from_many_addresses_slow_the_account_for_a_short_window_only() {
    let h = Harness::start_with(StoreSettings {
        login_limits: LoginLimits {
            per_account: 3,
            account_window: Duration::from_secs(2),
            ..loose()
        },
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 여섯", "sixth", 0.0, 0.0).await;
    for ip in ["198.51.100.10", "198.51.100.11", "198.51.100.12"] {
        try_login(&h, "sixth", "bad-guess", ip).await.unwrap_err();
    }
    let limited = try_login(&h, "sixth", PASSWORD, "192.0.2.50")
        .await
        .unwrap_err();
    assert!((1..=2).contains(&retry_after(&limited)));
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    try_login(&h, "sixth", PASSWORD, "192.0.2.50")
        .await
        .expect("the ceiling's window ends on its own");
    h.stop().await;
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_limited() {
    let h = Harness::start_with(StoreSettings {
        login_limits: LoginLimits {
            per_ip: 3,
            ..loose()
        },
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 둘", "second", 0.0, 0.0).await;
    for login in ["alpha", "bravo", "charlie"] {
        try_login(&h, login, "guess-guess", "2001:db8:1:2::1")
            .await
            .unwrap_err();
    }
    // The same /64 is the same client.
    let err = try_login(&h, "second", PASSWORD, "2001:db8:1:2::99")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted);
    // Another address is not affected.
    try_login(&h, "second", PASSWORD, "203.0.113.7")
        .await
        .unwrap();
    h.stop().await;
}

#[tokio::test]
async fn a_new_admin_login_replaces_the_previous_session() {
    let h = Harness::start().await;
    h.create_store("카페 셋", "third", 0.0, 0.0).await;
    let first = h.login("third").await.session.unwrap();
    let second = h.login("third").await;
    assert!(second.replaced_previous);
    let second = second.session.unwrap();
    assert_ne!(first.session_id, second.session_id);

    let old = h.resolve(&first.session_id, true).await;
    assert_eq!(status_of(&old), pb::SessionStatus::Replaced);
    assert!(old.session.is_none());
    assert_eq!(
        status_of(&h.resolve(&second.session_id, true).await),
        pb::SessionStatus::Valid
    );

    // Logging out the replaced one must not end the current one.
    h.client()
        .logout(pb::LogoutRequest {
            session_id: first.session_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        status_of(&h.resolve(&second.session_id, false).await),
        pb::SessionStatus::Valid
    );

    // After a logout there is nothing left to replace.
    h.client()
        .logout(pb::LogoutRequest {
            session_id: second.session_id.clone(),
        })
        .await
        .unwrap();
    assert!(!h.login("third").await.replaced_previous);
    h.stop().await;
}

#[tokio::test]
async fn viewer_sessions_need_a_live_admin_session_and_end_with_it() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("카페 넷", "fourth", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let admin = h.login("fourth").await.session.unwrap();

    let viewer = h
        .client()
        .create_viewer_session(pb::CreateViewerSessionRequest {
            admin_session_id: admin.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    assert_eq!(viewer.role, pb::Role::Viewer as i32);
    assert_eq!(viewer.store_id, store_id);
    assert_ne!(viewer.session_id, admin.session_id);
    let resolved = h.resolve(&viewer.session_id, true).await;
    assert_eq!(status_of(&resolved), pb::SessionStatus::Valid);
    assert_eq!(resolved.session.unwrap().role, pb::Role::Viewer as i32);

    // A viewer cannot make viewers, and nothing else can either.
    let err = h
        .client()
        .create_viewer_session(pb::CreateViewerSessionRequest {
            admin_session_id: viewer.session_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = h
        .client()
        .create_viewer_session(pb::CreateViewerSessionRequest {
            admin_session_id: "no-such-session".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    // A newer admin login ends the old admin session's viewers with it.
    h.login("fourth").await;
    assert_eq!(
        status_of(&h.resolve(&viewer.session_id, true).await),
        pb::SessionStatus::Replaced
    );
    let err = h
        .client()
        .create_viewer_session(pb::CreateViewerSessionRequest {
            admin_session_id: admin.session_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    h.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_its_viewers() {
    let h = Harness::start().await;
    h.create_store("카페 다섯", "fifth", 0.0, 0.0).await;
    let admin = h.login("fifth").await.session.unwrap();
    let viewer = h
        .client()
        .create_viewer_session(pb::CreateViewerSessionRequest {
            admin_session_id: admin.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();

    // A viewer logging out ends only itself.
    let other_viewer = h
        .client()
        .create_viewer_session(pb::CreateViewerSessionRequest {
            admin_session_id: admin.session_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    h.client()
        .logout(pb::LogoutRequest {
            session_id: other_viewer.session_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        status_of(&h.resolve(&other_viewer.session_id, false).await),
        pb::SessionStatus::Unknown
    );
    assert_eq!(
        status_of(&h.resolve(&admin.session_id, false).await),
        pb::SessionStatus::Valid
    );

    for _ in 0..2 {
        h.client()
            .logout(pb::LogoutRequest {
                session_id: admin.session_id.clone(),
            })
            .await
            .expect("logout is idempotent");
    }
    assert_eq!(
        status_of(&h.resolve(&admin.session_id, true).await),
        pb::SessionStatus::Unknown
    );
    assert_eq!(
        status_of(&h.resolve(&viewer.session_id, true).await),
        pb::SessionStatus::Unknown
    );
    h.client()
        .logout(pb::LogoutRequest {
            session_id: "garbage".into(),
        })
        .await
        .expect("unknown session is fine");
    h.stop().await;
}

#[tokio::test]
async fn idle_sessions_expire_unless_used() {
    let h = Harness::start_with(StoreSettings {
        sessions: SessionTimeouts {
            idle: Duration::from_millis(1_000),
            absolute: Duration::from_secs(60),
            tombstone: Duration::from_secs(60),
        },
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 여섯", "sixth", 0.0, 0.0).await;
    let session = h.login("sixth").await.session.unwrap();

    // Used every 600 ms, it outlives its 1 s idle timeout.
    let mut last_idle = secs(&session.idle_expires_at) * 1000;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let r = h.resolve(&session.session_id, true).await;
        assert_eq!(status_of(&r), pb::SessionStatus::Valid);
        let idle = r.session.unwrap().idle_expires_at.unwrap();
        let idle_ms = idle.seconds * 1000 + i64::from(idle.nanos) / 1_000_000;
        assert!(idle_ms > last_idle, "idle expiry moves forward");
        last_idle = idle_ms;
    }
    // A look without touching does not renew it; then it lapses.
    assert_eq!(
        status_of(&h.resolve(&session.session_id, false).await),
        pb::SessionStatus::Valid
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        status_of(&h.resolve(&session.session_id, true).await),
        pb::SessionStatus::Expired
    );
    // Expired stays expired: touching it does not bring it back.
    assert_eq!(
        status_of(&h.resolve(&session.session_id, true).await),
        pb::SessionStatus::Expired
    );
    h.stop().await;
}

#[tokio::test]
async fn sessions_end_at_the_absolute_timeout_however_busy() {
    let h = Harness::start_with(StoreSettings {
        sessions: SessionTimeouts {
            idle: Duration::from_millis(1_000),
            absolute: Duration::from_millis(2_000),
            tombstone: Duration::from_secs(60),
        },
        ..StoreSettings::default()
    })
    .await;
    h.create_store("카페 일곱", "seventh", 0.0, 0.0).await;
    let started = tokio::time::Instant::now();
    let session = h.login("seventh").await.session.unwrap();
    let expires_ms = secs(&session.expires_at) * 1000
        + i64::from(session.expires_at.as_ref().unwrap().nanos) / 1_000_000;

    let mut saw_expired = false;
    while started.elapsed() < Duration::from_millis(3_500) {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let r = h.resolve(&session.session_id, true).await;
        match status_of(&r) {
            pb::SessionStatus::Valid => {
                assert!(!saw_expired, "an expired session came back");
                let idle = r.session.unwrap().idle_expires_at.unwrap();
                let idle_ms = idle.seconds * 1000 + i64::from(idle.nanos) / 1_000_000;
                assert!(
                    idle_ms <= expires_ms,
                    "idle renewal never passes the absolute expiry"
                );
            }
            pb::SessionStatus::Expired => saw_expired = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        saw_expired,
        "session still valid after its absolute timeout"
    );
    h.stop().await;
}
