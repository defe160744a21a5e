//! gRPC plumbing shared by every service: the server with grpc.health.v1, trace context and the
//! service-token check, and client channels with deadlines that carry the caller's token.
//!
//! Every deployment that calls others has a service token of its own (`GATEWAY_SERVICE_TOKEN`,
//! `ORDER_SERVICE_TOKEN`, …, see [`crate::config::ServiceTokens`]); its calls carry it in
//! [`TOKEN_HEADER`]. Every server accepts the tokens of the deployments the design lets call it
//! ([`Service::callers`]) and nothing else: a call without one of them gets UNAUTHENTICATED before
//! any handler runs, and a handler learns which deployment called from the [`Caller`] extension.
//! grpc.health.v1 stays open: it tells nothing, and Kubernetes' gRPC probes call it without
//! metadata.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint, Server};
use tonic_health::ServingStatus;
use tracing::Instrument;

use crate::Error;
use crate::config::Service;
use crate::shutdown::Shutdown;
use crate::telemetry::TraceInterceptor;

/// Deadline of a call between services unless the caller sets a tighter one; well under Kakao's
/// 5-second webhook limit.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3);

/// The metadata key the service token travels in.
pub const TOKEN_HEADER: &str = "x-simpleorder-service-token";

/// Who a client calls as: a deployment and its token.
#[derive(Clone)]
pub struct Identity {
    pub service: Service,
    token: AsciiMetadataValue,
}

impl Identity {
    /// A token that is not valid header text is a configuration error.
    pub fn new(service: Service, token: &str) -> Result<Identity, Error> {
        let token = MetadataValue::try_from(token).map_err(|_| {
            Error::Config(format!(
                "{} must be printable ASCII",
                crate::config::ServiceTokens::env(service)
            ))
        })?;
        Ok(Identity { service, token })
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("service", &self.service)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The deployment a served call came from, for handlers that answer only some callers (the
/// store takes a login's client address only from the gateway). Set by the token check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller(pub Service);

/// The tokens one server accepts: each caller's current token and, while it is being rotated,
/// the next one.
#[derive(Clone, Default)]
pub struct Accepted {
    tokens: Vec<(Service, Vec<u8>)>,
}

impl Accepted {
    pub fn new(tokens: impl IntoIterator<Item = (Service, String)>) -> Accepted {
        Accepted {
            tokens: tokens
                .into_iter()
                .filter(|(_, token)| !token.is_empty())
                .map(|(service, token)| (service, token.into_bytes()))
                .collect(),
        }
    }

    /// Every accepted token is compared in full, so the time taken does not tell which one (or
    /// how much of it) a guess matched.
    fn caller(&self, given: &[u8]) -> Option<Service> {
        self.tokens.iter().fold(None, |found, (service, token)| {
            let matches = constant_time_eq(given, token);
            found.or(matches.then_some(*service))
        })
    }
}

/// Client side: the caller's `traceparent` and service token on every request.
#[derive(Clone)]
pub struct CallInterceptor {
    token: AsciiMetadataValue,
}

impl tonic::service::Interceptor for CallInterceptor {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = TraceInterceptor.call(request)?;
        request
            .metadata_mut()
            .insert(TOKEN_HEADER, self.token.clone());
        Ok(request)
    }
}

pub type Client = Observed<InterceptedService<Channel, CallInterceptor>>;

fn intercepted(identity: &Identity, channel: Channel) -> Client {
    Observed(InterceptedService::new(
        channel,
        CallInterceptor {
            token: identity.token.clone(),
        },
    ))
}

/// The gRPC status of a response: in its headers when the call failed at once (trailers-only),
/// otherwise in trailers this layer does not wait for; an HTTP 200 without one is counted OK.
fn grpc_code<B>(response: &http::Response<B>) -> tonic::Code {
    match response.headers().get("grpc-status") {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.parse::<i32>().ok())
            .map_or(tonic::Code::Unknown, tonic::Code::from),
        None if response.status().is_success() => tonic::Code::Ok,
        None => tonic::Code::Unavailable,
    }
}

fn observe_call(
    span: &tracing::Span,
    histogram: &prometheus::HistogramVec,
    service: Option<&str>,
    path: &str,
    code: tonic::Code,
    started: Instant,
) {
    span.record("rpc.grpc.status_code", code as i64);
    let (rpc_service, rpc_method) = crate::telemetry::rpc_parts(path).unwrap_or(("", path));
    let code = format!("{code:?}");
    let mut labels = vec![rpc_service, rpc_method, code.as_str()];
    if let Some(service) = service {
        labels.insert(0, service);
    }
    histogram
        .with_label_values(&labels)
        .observe(started.elapsed().as_secs_f64());
}

/// Client side: a span per call (whose `traceparent` the call carries, so the server's span is
/// its child) and the call's latency by method and status.
#[derive(Clone)]
pub struct Observed<S>(S);

impl<S, B, R> tower::Service<http::Request<B>> for Observed<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let span = crate::telemetry::rpc_span(&path, "client", None);
        // The interceptor reads the current span synchronously inside `call`.
        let call = span.in_scope(|| self.0.call(request));
        let started = Instant::now();
        Box::pin(
            async move {
                let result = call.await;
                let code = match &result {
                    Ok(response) => grpc_code(response),
                    Err(_) => tonic::Code::Unavailable,
                };
                let span = tracing::Span::current();
                observe_call(
                    &span,
                    &crate::metrics::RPC_CLIENT,
                    None,
                    &path,
                    code,
                    started,
                );
                result
            }
            .instrument(span),
        )
    }
}

/// A lazily connected channel: services start in any order and a peer that is down fails calls
/// (fast, within the deadline) instead of failing start-up.
pub fn channel(url: &str) -> Result<Channel, Error> {
    channel_with_deadline(url, DEFAULT_DEADLINE)
}

/// [`channel`] with another deadline. The channel's deadline caps every call (a per-request
/// `grpc-timeout` can only shorten it), so calls that may legitimately take longer (payment
/// approve/cancel, which wait for KakaoPay and settle by inquiry) need a channel of their own.
pub fn channel_with_deadline(url: &str, deadline: Duration) -> Result<Channel, Error> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| Error::Config(format!("bad gRPC url {url}: {e}")))?
        .connect_timeout(Duration::from_secs(1))
        .timeout(deadline)
        .tcp_nodelay(true);
    Ok(endpoint.connect_lazy())
}

/// A channel whose calls carry the caller's `traceparent` and `identity`'s token; wrap it in any
/// generated client with `XClient::new(platform::grpc::client(&identity, url)?)`.
pub fn client(identity: &Identity, url: &str) -> Result<Client, Error> {
    Ok(intercepted(identity, channel(url)?))
}

/// [`client`] with another deadline (see [`channel_with_deadline`]).
pub fn client_with_deadline(
    identity: &Identity,
    url: &str,
    deadline: Duration,
) -> Result<Client, Error> {
    Ok(intercepted(identity, channel_with_deadline(url, deadline)?))
}

/// Server side: refuses a call whose token is not one of the accepted callers', before any
/// handler runs; tells the handler who called.
async fn require_token(
    State(accepted): State<Arc<Accepted>>,
    mut request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if let Some(caller) = accepted.caller(given) {
        request.extensions_mut().insert(Caller(caller));
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "gRPC call without the service token");
    tonic::Status::unauthenticated("missing or wrong service token").into_http()
}

/// Server side: the status on the request's span and the call's latency by method and status;
/// outermost, so calls refused for their token are counted too.
async fn observe(State(service): State<&'static str>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    observe_call(
        &tracing::Span::current(),
        &crate::metrics::RPC_SERVER,
        Some(service),
        &path,
        grpc_code(&response),
        started,
    );
    response
}

/// Compares without an early exit, so the time taken does not tell how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Serves `routes` plus grpc.health.v1 on `addr` until `shutdown`; reports NOT_SERVING as soon
/// as shutdown starts, so load balancers stop sending before in-flight calls finish.
pub async fn serve(
    service: &'static str,
    addr: SocketAddr,
    routes: Routes,
    accepted: Accepted,
    shutdown: Shutdown,
) -> Result<(), Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    reporter
        .set_service_status(service, ServingStatus::Serving)
        .await;
    let listener = crate::listen::bind(addr).await?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    // The check wraps the service's own routes only: health, added after, stays open.
    let guarded = routes
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(accepted),
            require_token,
        ))
        .layer(axum::middleware::from_fn_with_state(service, observe));
    let routes = Routes::from(guarded).add_service(health);
    let stop = async move {
        shutdown.cancelled().await;
        reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
        reporter
            .set_service_status(service, ServingStatus::NotServing)
            .await;
    };
    Server::builder()
        .trace_fn(move |request| {
            crate::metrics::GRPC_HANDLED
                .with_label_values(&[service])
                .inc();
            crate::telemetry::grpc_request_span(service, request)
        })
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, stop)
        .await
        .map_err(|e| Error::Transport(e.to_string()))
}
