//! What an attacker can hold of the gateway: slow-loris connections, trickling bodies and floods
//! are bounded (platform::web), and a dump of Redis yields no session the gateway accepts.

use crate::common;

use std::time::{Duration, Instant};

use common::{Harness, board_request, is_korean};
use platform::web::HttpLimits;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "correct-horse-1";

fn tight(limits: HttpLimits) -> impl FnOnce(&mut platform::Config) {
    move |config| config.http = limits
}

/// Reads until the server closes the connection (or `limit` passes); returns what it sent.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn slow_loris_connections_are_cut_at_the_header_timeout_and_starve_nobody()
-> anyhow::Result<()> {
    // Long enough that a normal answer on a loaded machine (this test beside the whole suite on
    // two cores) stays well inside it; the trickle lasts far longer.
    let header_timeout = Duration::from_secs(4);
    let h = Harness::start_configured(
        store::StoreSettings::default(),
        tight(HttpLimits {
            header_timeout,
            idle_timeout: Duration::from_secs(1),
            ..HttpLimits::default()
        }),
    )
    .await?;
    let addr = h.config.gateway_addr;

    // 500 connections, each trickling a header line every 300 ms for 18 s and never finishing;
    // each notes when the server closed it.
    let mut lorises = Vec::new();
    for i in 0..500 {
        lorises.push(tokio::spawn(async move {
            let stream = TcpStream::connect(addr).await.ok()?;
            let started = Instant::now();
            let (mut reader, mut writer) = stream.into_split();
            let trickle = tokio::spawn(async move {
                let _ = writer
                    .write_all(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n")
                    .await;
                for line in 0..60 {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let header = format!("X-Slow-{i}-{line}: a\r\n");
                    if writer.write_all(header.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
            let mut buf = [0u8; 1024];
            let closed = loop {
                match tokio::time::timeout(Duration::from_secs(30), reader.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => break Some(started.elapsed()),
                    Ok(Ok(_)) => continue,
                    Err(_) => break None,
                }
            };
            trickle.abort();
            closed
        }));
    }

    // Meanwhile a normal client is answered as usual: starved, it would wait for the tricklers
    // to be cut at the header timeout.
    let client = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let answer = client.get(h.url("/api/openapi.json")).send().await?;
        assert_eq!(answer.status(), StatusCode::OK);
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(slowest < header_timeout, "slowest answer {slowest:?}");

    let mut longest = Duration::ZERO;
    for loris in lorises {
        let held = loris.await?.expect("the server closed the connection");
        longest = longest.max(held);
    }
    eprintln!(
        "500 slow-loris connections: normal answers within {slowest:?}, each trickler closed \
         after at most {longest:?} (header timeout {header_timeout:?})"
    );
    // Cut at the header timeout, not held while its trickle lasts (18 s).
    assert!(
        longest < header_timeout * 2,
        "a trickling connection was held {longest:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_trickling_body_is_cut_off_with_408() -> anyhow::Result<()> {
    let body_timeout = Duration::from_secs(2);
    let h = Harness::start_configured(
        store::StoreSettings::default(),
        tight(HttpLimits {
            body_timeout,
            ..HttpLimits::default()
        }),
    )
    .await?;
    let mut stream = TcpStream::connect(h.config.gateway_addr).await?;
    let started = Instant::now();
    stream
        .write_all(
            b"POST /api/store/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              X-SimpleOrder-CSRF: 1\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await?;
    let trickle = async {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b" ").await.is_err() {
                break;
            }
            let mut probe = [0u8; 1];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(1), stream.peek(&mut probe)).await
                && n > 0
            {
                break;
            }
        }
    };
    trickle.await;
    let answer = until_closed(&mut stream, Duration::from_secs(3))
        .await
        .expect("the connection is closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    let took = started.elapsed();
    assert!(
        took >= body_timeout && took < body_timeout + Duration::from_secs(2),
        "{took:?}"
    );
    Ok(())
}

#[tokio::test]
async fn over_the_concurrency_cap_requests_are_shed_with_503_and_retry_after() -> anyhow::Result<()>
{
    let h = Harness::start_configured(
        store::StoreSettings::default(),
        tight(HttpLimits {
            max_concurrent: 2,
            // Queued instead of shed, a request would wait this long for a place.
            body_timeout: Duration::from_secs(10),
            ..HttpLimits::default()
        }),
    )
    .await?;
    // Two requests in flight (their bodies still arriving) take the two places.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(h.config.gateway_addr).await?;
        stream
            .write_all(
                b"POST /api/store/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\n\r\n{",
            )
            .await?;
        held.push(stream);
    }
    // Once the server holds both (a moment on a loaded machine), the next request is shed.
    let (shed, waited) = testkit::eventually(Duration::from_secs(10), || async {
        let started = Instant::now();
        let answer = reqwest::get(h.url("/api/openapi.json")).await.ok()?;
        (answer.status() == StatusCode::SERVICE_UNAVAILABLE).then(|| (answer, started.elapsed()))
    })
    .await?;
    assert!(
        waited < Duration::from_secs(5),
        "shed at once, not after {waited:?}"
    );
    assert_eq!(shed.headers()["retry-after"], "1");
    let body: serde_json::Value = shed.json().await?;
    assert_eq!(body["error"], "overloaded");
    assert!(is_korean(body["message"].as_str().unwrap_or_default()));
    // A skill call is shed too, but answered in Kakao's shape: a 503 would show the customer
    // nothing useful in the chat.
    let skill = reqwest::Client::new()
        .post(h.url("/kakao/skill/menu"))
        .json(&json!({}))
        .send()
        .await?;
    assert_eq!(skill.status(), StatusCode::OK);
    let body: serde_json::Value = skill.json().await?;
    kakao::validate(&body).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(
        body["template"]["outputs"][0]["simpleText"]["text"],
        "주문이 몰려 잠시 후 다시 시도해 주세요."
    );

    drop(held);
    let mut served = false;
    for _ in 0..50 {
        if reqwest::get(h.url("/api/openapi.json")).await?.status() == StatusCode::OK {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "served again once the places free up");
    Ok(())
}

/// Everything Redis holds under the test's prefix: key names, string values, hash values.
async fn redis_dump(h: &Harness) -> anyhow::Result<Vec<String>> {
    let mut conn = h.redis.conn.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", h.redis.prefix))
        .query_async(&mut conn)
        .await?;
    let mut found = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut conn).await?;
        match kind.as_str() {
            "string" => {
                let value: String = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
                found.push(value);
            }
            "hash" => {
                let values: Vec<String> =
                    redis::cmd("HVALS").arg(&key).query_async(&mut conn).await?;
                found.extend(values);
            }
            _ => {}
        }
        found.extend(key.split(':').map(str::to_owned));
    }
    Ok(found)
}

#[tokio::test]
async fn a_redis_dump_holds_no_session_the_gateway_accepts() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("덤프 카페", "cafe-dump", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-dump", PASSWORD).await?;
    // A viewer that joined, and a link still waiting to be used.
    let link = admin.post("/viewer", json!({})).await?;
    let code = link.body["url"].as_str().unwrap_or_default();
    let code = code
        .rsplit_once("#viewer=")
        .map(|(_, c)| c)
        .unwrap_or_default();
    let viewer = h.browser();
    let joined = viewer.post("/viewer/join", json!({ "code": code })).await?;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");
    let pending = admin.post("/viewer", json!({})).await?;
    assert_eq!(pending.status, StatusCode::CREATED);
    assert_eq!(admin.get("/me").await?.status, StatusCode::OK);

    let dump = redis_dump(&h).await?;
    let candidates: Vec<&String> = dump
        .iter()
        .filter(|s| {
            s.len() >= 20
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .collect();
    assert!(
        !candidates.is_empty(),
        "the dump holds the sessions' digests"
    );
    let http = reqwest::Client::new();
    for candidate in candidates {
        for name in ["so_session", "__Host-so_session"] {
            let answer = http
                .get(h.url("/api/store/me"))
                .header("Cookie", format!("{name}={candidate}"))
                .send()
                .await?;
            assert_eq!(
                answer.status(),
                StatusCode::UNAUTHORIZED,
                "{candidate} from the dump opened a session"
            );
        }
        let join = http
            .post(h.url("/api/store/viewer/join"))
            .header("X-SimpleOrder-CSRF", "1")
            .json(&json!({ "code": candidate }))
            .send()
            .await?;
        assert_eq!(join.status(), StatusCode::NOT_FOUND, "{candidate} joined");
    }
    Ok(())
}

#[tokio::test]
async fn a_session_gets_a_few_board_sockets_and_no_more() -> anyhow::Result<()> {
    let h = Harness::start_configured(store::StoreSettings::default(), |config| {
        config.live_max_sockets_per_session = 2;
    })
    .await?;
    h.store("보드 카페", "cafe-boards", PASSWORD).await?;
    let cookie = h.session_cookie("cafe-boards", PASSWORD).await?;
    let origin = h.base();
    let open = || {
        let request = board_request(&h.config, Some(&cookie), Some(&origin), "").expect("request");
        tokio_tungstenite::connect_async(request)
    };
    let first = open().await?;
    let _second = open().await?;
    match open().await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        }
        other => panic!("a third socket of one session: {:?}", other.map(|_| ())),
    }
    // Closing one gives its place back.
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = open().await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "a closed socket frees its place");
    Ok(())
}

/// A board that waits its turn under the cap for longer than the idle timeout (boards reopening
/// together after a gateway restart, on a busy machine) still gets a clean upgrade: the wait is
/// the server's, not an idle client's, so its connection is not closed, and no
/// `Connection: upgrade, close` answer makes the WebSocket client refuse it.
#[tokio::test]
async fn a_board_that_waits_its_turn_past_the_idle_timeout_is_upgraded() -> anyhow::Result<()> {
    let idle_timeout = Duration::from_secs(1);
    let h = Harness::start_configured(
        store::StoreSettings::default(),
        tight(HttpLimits {
            max_concurrent: 1,
            idle_timeout,
            body_timeout: Duration::from_secs(3),
            ..HttpLimits::default()
        }),
    )
    .await?;
    h.store("대기 카페", "cafe-wait", PASSWORD).await?;
    let cookie = h.session_cookie("cafe-wait", PASSWORD).await?;

    // A request whose body never comes holds the only place until the body timeout.
    let mut held = TcpStream::connect(h.config.gateway_addr).await?;
    held.write_all(
        b"POST /api/store/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{",
    )
    .await?;
    testkit::eventually(Duration::from_secs(10), || async {
        let status = reqwest::get(h.url("/api/openapi.json"))
            .await
            .ok()?
            .status();
        (status == StatusCode::SERVICE_UNAVAILABLE).then_some(())
    })
    .await?;

    let request = board_request(&h.config, Some(&cookie), Some(&h.base()), "")?;
    let started = Instant::now();
    let (_board, response) = tokio_tungstenite::connect_async(request).await?;
    assert!(
        started.elapsed() >= idle_timeout,
        "the board waited for the held place"
    );
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    drop(held);
    Ok(())
}

/// A browser that vanished without closing its connection (a laptop shut, Wi-Fi gone) answers
/// no ping: its socket is closed after `LIVE_IDLE_TIMEOUT` and gives its place back, while a
/// board that answers stays connected.
#[tokio::test]
async fn a_board_that_answers_no_ping_is_closed_and_its_place_freed() -> anyhow::Result<()> {
    use futures::StreamExt;

    let h = Harness::start_configured(store::StoreSettings::default(), |config| {
        config.live_max_sockets_per_session = 1;
        config.live_heartbeat = Duration::from_millis(200);
        config.live_idle_timeout = Duration::from_secs(1);
    })
    .await?;
    h.store("핑 카페", "cafe-ping", PASSWORD).await?;
    let cookie = h.session_cookie("cafe-ping", PASSWORD).await?;
    let origin = h.base();
    let open = || {
        let request = board_request(&h.config, Some(&cookie), Some(&origin), "").expect("request");
        tokio_tungstenite::connect_async(request)
    };
    // Never read: a client that does not read sends no pong.
    let (_vanished, _) = open().await?;
    match open().await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        }
        other => panic!(
            "a second socket while the first holds: {:?}",
            other.map(|_| ())
        ),
    }
    let mut board = None;
    for _ in 0..100 {
        if let Ok((socket, _)) = open().await {
            board = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut board = board.expect("the silent socket is closed and its place freed");

    // A board that reads answers the pings and keeps its socket well past the idle timeout.
    let mut heartbeats = 0;
    let reading = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(message) = board.next().await {
            let text = message?.into_text()?;
            heartbeats += usize::from(text.contains("\"heartbeat\""));
        }
        anyhow::Ok(())
    })
    .await;
    assert!(
        reading.is_err(),
        "a board answering pings was closed: {reading:?}"
    );
    assert!(heartbeats >= 5, "heartbeats kept coming: {heartbeats}");
    Ok(())
}
