//! The bounds every HTTP listener (public and ops) puts on one client, as a client meets them
//! over a raw TCP connection: a handler that runs past the request timeout, a connection left
//! idle after its answer, and a body over the size cap. (Slow-loris headers, trickling bodies
//! and the concurrency cap are the gateway's hardening tests.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use platform::Shutdown;
use platform::web::{Busy, HttpLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves a page, a handler slower than any test waits, and an endpoint that takes a body.
async fn listening(limits: HttpLimits) -> anyhow::Result<(SocketAddr, Shutdown)> {
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "too late"
            }),
        )
        .route("/echo", post(|body: String| async move { body }));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    tokio::spawn(platform::web::serve(
        listener,
        app,
        limits,
        Busy::default(),
        shutdown.clone(),
    ));
    Ok((addr, shutdown))
}

/// Reads one whole answer (headers and a `Content-Length` body), or `None` if the connection
/// closed first or `limit` passed.
async fn answer(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                return Some(text);
            }
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// How long until the server closes `stream` (at most `limit`; `None` if it stays open).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_handler_past_the_request_timeout_is_answered_503_with_retry_after() -> anyhow::Result<()>
{
    let request_timeout = Duration::from_millis(700);
    let (addr, shutdown) = listening(HttpLimits {
        request_timeout,
        ..HttpLimits::default()
    })
    .await?;
    let mut stream = TcpStream::connect(addr).await?;
    let started = Instant::now();
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    let answer = answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("an answer before the handler finished");
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nretry-after: 1\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\"error\":\"timeout\""), "{answer}");
    assert!(
        took >= request_timeout && took < request_timeout + Duration::from_secs(2),
        "answered after {took:?}"
    );
    shutdown.cancel();
    Ok(())
}

#[tokio::test]
async fn a_keep_alive_connection_left_idle_is_closed_after_the_idle_timeout() -> anyhow::Result<()>
{
    let idle_timeout = Duration::from_secs(1);
    let (addr, shutdown) = listening(HttpLimits {
        header_timeout: Duration::from_secs(10),
        idle_timeout,
        ..HttpLimits::default()
    })
    .await?;
    let mut stream = TcpStream::connect(addr).await?;
    // Used again before the idle timeout, the connection is still served.
    for _ in 0..3 {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await?;
        let answer = answer(&mut stream, Duration::from_secs(5))
            .await
            .expect("served on the kept-alive connection");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
        tokio::time::sleep(idle_timeout / 2).await;
    }
    // Then left alone, it is closed at the idle timeout, long before the header timeout.
    let closed = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the idle connection was closed");
    assert!(
        closed < idle_timeout + Duration::from_secs(1),
        "closed after {closed:?} of idling"
    );
    shutdown.cancel();
    Ok(())
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_with_413_and_the_connection_closed() -> anyhow::Result<()> {
    let (addr, shutdown) = listening(HttpLimits {
        max_body: 1024,
        ..HttpLimits::default()
    })
    .await?;
    let post = |size: usize| {
        let mut request = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
             Content-Length: {size}\r\n\r\n"
        )
        .into_bytes();
        request.extend(std::iter::repeat_n(b'a', size));
        request
    };

    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&post(1024)).await?;
    let fits = answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert!(fits.starts_with("HTTP/1.1 200"), "{fits}");

    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&post(4096)).await?;
    let refused = answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert!(refused.starts_with("HTTP/1.1 413"), "{refused}");
    assert!(
        refused.contains("\"error\":\"body_too_large\""),
        "{refused}"
    );
    assert!(
        refused
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{refused}"
    );
    shutdown.cancel();
    Ok(())
}
