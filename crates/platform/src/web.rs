//! Every HTTP listener (the gateway's public port, each service's ops port) is served here, with
//! bounds on what one client can hold:
//!
//! - **headers** must arrive within `HTTP_HEADER_TIMEOUT` of the connection being ready for a
//!   request, or the connection is closed (slow-loris);
//! - **a body** must arrive whole within `HTTP_BODY_TIMEOUT` (408) and be at most
//!   `HTTP_MAX_BODY` bytes (413); it is read before the handler runs;
//! - **a request** gets `HTTP_REQUEST_TIMEOUT` from its headers to its answer (503);
//! - **at most `HTTP_MAX_CONCURRENT` requests** are handled at once per listener; one more is
//!   shed at once with 503 and `Retry-After` instead of queueing without bound (a listener may
//!   answer one path prefix in its callers' own shape instead, see [`Busy`]);
//! - **an idle keep-alive connection** (no byte either way, no request being answered) is closed
//!   after `HTTP_IDLE_TIMEOUT`.
//!
//! A WebSocket leaves these bounds once upgraded; the live board bounds its own sockets.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clap::Args;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::Error;
use crate::settings::{Problems, format_duration};
use crate::shutdown::Shutdown;

/// Bounds of every HTTP listener (`HTTP_*`), the same for all of a process's listeners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct HttpLimits {
    /// Longest wait for a request's headers, counted from when the connection is ready for one.
    #[arg(
        id = "http-header-timeout",
        long = "http-header-timeout",
        env = "HTTP_HEADER_TIMEOUT",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = crate::settings::duration(),
        global = true
    )]
    pub header_timeout: Duration,
    /// Longest wait for a request's whole body, from its headers.
    #[arg(
        id = "http-body-timeout",
        long = "http-body-timeout",
        env = "HTTP_BODY_TIMEOUT",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = crate::settings::duration(),
        global = true
    )]
    pub body_timeout: Duration,
    /// Longest time from a request's headers to its answer (the skill webhooks keep their own
    /// 4.5 s answer, well inside it).
    #[arg(
        id = "http-request-timeout",
        long = "http-request-timeout",
        env = "HTTP_REQUEST_TIMEOUT",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = crate::settings::duration(),
        global = true
    )]
    pub request_timeout: Duration,
    /// Requests handled at once per listener; more are answered 503 with Retry-After.
    #[arg(
        id = "http-max-concurrent",
        long = "http-max-concurrent",
        env = "HTTP_MAX_CONCURRENT",
        value_name = "N",
        default_value = "256",
        value_parser = crate::settings::number::<usize>(),
        global = true
    )]
    pub max_concurrent: usize,
    /// Largest request body in bytes.
    #[arg(
        id = "http-max-body",
        long = "http-max-body",
        env = "HTTP_MAX_BODY",
        value_name = "BYTES",
        default_value = "1048576",
        value_parser = crate::settings::number::<usize>(),
        global = true
    )]
    pub max_body: usize,
    /// A connection with no byte in either direction for this long is closed, unless a request
    /// on it is being answered; at most HTTP_HEADER_TIMEOUT, which also runs while a connection
    /// waits for its next request.
    #[arg(
        id = "http-idle-timeout",
        long = "http-idle-timeout",
        env = "HTTP_IDLE_TIMEOUT",
        value_name = "DURATION",
        default_value = "5s",
        value_parser = crate::settings::duration(),
        global = true
    )]
    pub idle_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_concurrent: 256,
            max_body: 1024 * 1024,
            idle_timeout: Duration::from_secs(5),
        }
    }
}

impl HttpLimits {
    pub fn check(&self, problems: &mut Problems) {
        for (env, value) in [
            ("HTTP_HEADER_TIMEOUT", self.header_timeout),
            ("HTTP_BODY_TIMEOUT", self.body_timeout),
            ("HTTP_REQUEST_TIMEOUT", self.request_timeout),
            ("HTTP_IDLE_TIMEOUT", self.idle_timeout),
        ] {
            problems.non_zero_duration(env, value);
        }
        problems.at_least_one("HTTP_MAX_CONCURRENT", self.max_concurrent as u64);
        problems.at_least_one("HTTP_MAX_BODY", self.max_body as u64);
        problems.require(self.idle_timeout <= self.header_timeout, || {
            format!(
                "HTTP_IDLE_TIMEOUT ({}) must be at most HTTP_HEADER_TIMEOUT ({}): the header \
                 timeout also ends a connection waiting for its next request",
                format_duration(self.idle_timeout),
                format_duration(self.header_timeout)
            )
        });
    }
}

/// `text` made safe to place in HTML, as element content or a quoted attribute value.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON error in the API's shape, `{ "error": code, "message": Korean text }`.
fn refusal(status: StatusCode, code: &str, message: &str, retry_after: bool) -> Response {
    let body = serde_json::json!({ "error": code, "message": message });
    let mut response = (status, axum::Json(body)).into_response();
    if retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// How a listener answers a request it sheds (over the cap) or gives up on (request timeout):
/// the JSON 503 with `Retry-After`, except under one path prefix whose callers need another
/// shape. Kakao shows a customer nothing useful for a skill's 503, but shows a SkillResponse.
/// Requests under another prefix may wait for their turn instead of being shed.
#[derive(Clone, Copy, Default)]
pub struct Busy {
    prefix: &'static str,
    answer: Option<fn() -> Response>,
    waiting: Option<&'static str>,
}

impl Busy {
    /// Requests whose path starts with `prefix` are answered `answer()` when busy.
    pub fn answer_under(prefix: &'static str, answer: fn() -> Response) -> Busy {
        Busy {
            prefix,
            answer: Some(answer),
            waiting: None,
        }
    }

    /// Requests whose path starts with `prefix` wait, up to the request timeout, for a place
    /// under the cap instead of being shed: callers that would only come straight back.
    pub fn waiting_under(self, prefix: &'static str) -> Busy {
        Busy {
            waiting: Some(prefix),
            ..self
        }
    }

    fn waits(&self, path: &str) -> bool {
        self.waiting.is_some_and(|prefix| path.starts_with(prefix))
    }

    fn answer(&self, path: &str) -> Option<Response> {
        self.answer
            .filter(|_| path.starts_with(self.prefix))
            .map(|answer| answer())
    }
}

/// Sheds a request at once when `max_concurrent` are already being handled, unless it may wait.
async fn cap(
    State((permits, limits, busy)): State<(Arc<Semaphore>, HttpLimits, Busy)>,
    request: Request,
    next: Next,
) -> Response {
    let permit = match permits.clone().try_acquire_owned() {
        Ok(permit) => Ok(permit),
        Err(_) if busy.waits(request.uri().path()) => {
            tokio::time::timeout(limits.request_timeout, permits.acquire_owned())
                .await
                .map_err(|_| ())
                .and_then(|acquired| acquired.map_err(|_| ()))
        }
        Err(_) => Err(()),
    };
    let Ok(_permit) = permit else {
        crate::metrics::HTTP_SHED
            .with_label_values(&[] as &[&str])
            .inc();
        if let Some(answer) = busy.answer(request.uri().path()) {
            return answer;
        }
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "요청이 많아 처리하지 못했습니다. 잠시 후 다시 시도해 주세요.",
            true,
        );
    };
    next.run(request).await
}

async fn deadline(
    State((limits, busy)): State<(HttpLimits, Busy)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let busy = busy.answer(parts.uri.path());
    let read = tokio::time::timeout(
        limits.body_timeout,
        axum::body::to_bytes(body, limits.max_body),
    );
    let body = match read.await {
        Ok(Ok(bytes)) => Body::from(bytes),
        Ok(Err(_)) => {
            return close(refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "요청 내용이 너무 큽니다.",
                false,
            ));
        }
        Err(_) => {
            return close(refusal(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "요청 내용을 제때 받지 못했습니다. 다시 시도해 주세요.",
                false,
            ));
        }
    };
    let request = Request::from_parts(parts, body);
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => busy.unwrap_or_else(|| {
            refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "처리가 늦어지고 있습니다. 잠시 후 다시 시도해 주세요.",
                true,
            )
        }),
    }
}

/// The rest of an unread body may still be on its way: the connection is not reused.
fn close(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// `app` behind the request bounds (the connection bounds are [`serve`]'s).
pub fn bounded(app: Router, limits: &HttpLimits, busy: Busy) -> Router {
    let permits = Arc::new(Semaphore::new(limits.max_concurrent.max(1)));
    app.layer(axum::middleware::from_fn_with_state(
        (*limits, busy),
        deadline,
    ))
    .layer(axum::middleware::from_fn_with_state(
        (permits, *limits, busy),
        cap,
    ))
}

/// Serves `app` on `listener` within `limits` until `shutdown`, then lets requests in flight
/// finish. Handlers can read the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    busy: Busy,
    shutdown: Shutdown,
) -> Result<(), Error> {
    let app = bounded(app, &limits, busy);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        // Headers beyond 64 KiB are refused (431) rather than buffered.
        .max_buf_size(64 * 1024);
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let answering = activity.clone();
        let service = app
            .clone()
            .map_request(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            })
            .map_future(move |answer| {
                let answering = answering.answering();
                async move {
                    let answer = answer.await;
                    drop(answering);
                    answer
                }
            });
        let connection = http
            .serve_connection(io, TowerToHyperService::new(service))
            .with_upgrades();
        let shutdown = shutdown.clone();
        let idle_timeout = limits.idle_timeout;
        connections.spawn(async move {
            tokio::pin!(connection);
            let mut closing = false;
            loop {
                let idle_for = activity.idle_for();
                if !closing && idle_for >= idle_timeout {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                let next_check = if closing {
                    Duration::from_secs(3600)
                } else {
                    idle_timeout - idle_for
                };
                tokio::select! {
                    _ = connection.as_mut() => break,
                    () = tokio::time::sleep(next_check) => {}
                    () = shutdown.cancelled(), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
            }
        });
    }
    connections.close();
    connections.wait().await;
    Ok(())
}

/// When a connection last moved a byte, in ms since its own start, and how many of its requests
/// are being answered.
#[derive(Clone)]
struct Activity {
    start: Instant,
    last_ms: Arc<AtomicU64>,
    answering: Arc<AtomicUsize>,
}

/// A request being answered: while one is, the connection is not idle, however long the
/// answer takes (a live board waiting its turn under the cap, a slow handler). Closing it then
/// would make hyper add `Connection: close` to the answer, and a WebSocket client refuses a
/// 101 that says `upgrade, close`. The answer's own bounds are the request timeout's.
struct Answering(Activity);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
            answering: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn answering(&self) -> Answering {
        self.answering.fetch_add(1, Ordering::Relaxed);
        Answering(self.clone())
    }

    fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        if self.answering.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        let now = self.start.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// A TCP stream that notes each byte read or written, for the idle timeout.
struct Watched {
    inner: tokio::net::TcpStream,
    activity: Activity,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Binds `addr` and serves `app` there (see [`serve`]).
pub async fn bind_and_serve(
    addr: SocketAddr,
    app: Router,
    limits: HttpLimits,
    shutdown: Shutdown,
) -> Result<(), Error> {
    let listener = crate::listen::bind(addr).await?;
    serve(listener, app, limits, Busy::default(), shutdown).await
}
