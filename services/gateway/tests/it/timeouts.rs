//! Session timeouts and the end of a login lockout, over HTTP against a store service started
//! with timeouts of seconds instead of hours.

use crate::common;

use std::time::{Duration, Instant};

use common::{Harness, is_korean};
use reqwest::StatusCode;
use store::{LoginLimits, SessionTimeouts, StoreSettings};

const PASSWORD: &str = "correct-horse-1";
const IDLE: Duration = Duration::from_secs(2);
const ABSOLUTE: Duration = Duration::from_secs(6);
const LIMIT_WINDOW: Duration = Duration::from_secs(3);

fn short() -> StoreSettings {
    StoreSettings {
        sessions: SessionTimeouts {
            idle: IDLE,
            absolute: ABSOLUTE,
            tombstone: Duration::from_secs(120),
        },
        login_limits: LoginLimits {
            per_client: 3,
            lock_base: LIMIT_WINDOW,
            lock_max: LIMIT_WINDOW * 4,
            per_account: 100,
            account_window: LIMIT_WINDOW,
            per_ip: 100,
            window: LIMIT_WINDOW,
        },
        ..StoreSettings::default()
    }
}

#[tokio::test]
async fn an_idle_session_expires_and_use_keeps_it_alive() -> anyhow::Result<()> {
    let h = Harness::start_with(short()).await?;
    h.store("테스트 카페", "cafe-idle", PASSWORD).await?;
    let browser = h.browser().signed_in("cafe-idle", PASSWORD).await?;

    // Used every 1.2 s for longer than the idle timeout: still signed in.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let me = browser.get("/me").await?;
        assert_eq!(me.status, StatusCode::OK, "{me:?}");
    }
    tokio::time::sleep(IDLE + Duration::from_millis(500)).await;
    let expired = browser.get("/day").await?;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "{expired:?}");
    assert_eq!(expired.error(), "session_expired");
    assert!(is_korean(expired.message()));
    Ok(())
}

#[tokio::test]
async fn background_refreshes_do_not_keep_a_session_alive() -> anyhow::Result<()> {
    let h = Harness::start_with(short()).await?;
    h.store("테스트 카페", "cafe-poll", PASSWORD).await?;
    // From before the login: the session's idle clock starts when the store service signs it in,
    // which a loaded machine may answer late.
    let started = Instant::now();
    let browser = h.browser().signed_in("cafe-poll", PASSWORD).await?;
    let ended = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let status = browser
            .http
            .get(h.url("/api/store/day"))
            .header("X-SimpleOrder-Background", "1")
            .send()
            .await?
            .status();
        if status != StatusCode::OK {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            let me = browser.get("/me").await?;
            assert_eq!(me.error(), "session_expired", "{me:?}");
            break started.elapsed();
        }
        assert!(started.elapsed() < ABSOLUTE, "the idle timeout never hit");
    };
    assert!(
        ended >= IDLE,
        "expired after {ended:?}, before the idle timeout"
    );
    Ok(())
}

#[tokio::test]
async fn a_session_ends_at_the_absolute_timeout_however_busy() -> anyhow::Result<()> {
    let h = Harness::start_with(short()).await?;
    h.store("테스트 카페", "cafe-abs", PASSWORD).await?;
    let browser = h.browser().signed_in("cafe-abs", PASSWORD).await?;
    let started = Instant::now();
    let answer = loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let answer = browser.get("/me").await?;
        if answer.status != StatusCode::OK || started.elapsed() > ABSOLUTE * 2 {
            break answer;
        }
    };
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(answer.error(), "session_expired");
    let ended = started.elapsed();
    assert!(
        ended >= ABSOLUTE - Duration::from_millis(800),
        "ended after {ended:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_locked_out_owner_gets_back_in_when_the_window_ends() -> anyhow::Result<()> {
    let h = Harness::start_with(short()).await?;
    h.store("테스트 카페", "cafe-back", PASSWORD).await?;
    let browser = h.browser();
    for _ in 0..3 {
        let wrong = browser.login("cafe-back", "wrong-password").await?;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let limited = browser.login("cafe-back", PASSWORD).await?;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
    let retry_after: u64 = limited.header("retry-after").parse()?;
    assert!(
        (1..=LIMIT_WINDOW.as_secs()).contains(&retry_after),
        "{retry_after}"
    );

    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(300)).await;
    let back = browser.login("cafe-back", PASSWORD).await?;
    assert_eq!(back.status, StatusCode::OK, "{back:?}");
    Ok(())
}
