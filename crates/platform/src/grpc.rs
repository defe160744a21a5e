//! gRPC plumbing shared by every service: the server with grpc.health.v1, trace context and the
//! service-token check, and client channels with deadlines that carry the token.
//!
//! Every call between services carries `SERVICE_TOKEN` in [`TOKEN_HEADER`]; every server refuses
//! a call without it (UNAUTHENTICATED), except grpc.health.v1, which tells nothing and which
//! Kubernetes' gRPC probes call without metadata. The token is a process-wide setting, given once
//! by [`use_service_token`] before clients are made (`Runtime::connect` and `simpleorder run`).

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint, Server};
use tonic_health::ServingStatus;

use crate::Error;
use crate::shutdown::Shutdown;
use crate::telemetry::TraceInterceptor;

/// Deadline of a call between services unless the caller sets a tighter one; well under Kakao's
/// 5-second webhook limit.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3);

/// The `SERVICE_TOKEN` of development: known to everyone, so separate local processes talk with
/// no setup, and refused by production mode.
pub const DEV_SERVICE_TOKEN: &str = "simpleorder-development-service-token";

/// The metadata key the service token travels in.
pub const TOKEN_HEADER: &str = "x-simpleorder-service-token";

static TOKEN: RwLock<Option<AsciiMetadataValue>> = RwLock::new(None);

/// Makes clients created from now on carry `token`. A token that is not valid header text is a
/// configuration error.
pub fn use_service_token(token: &str) -> Result<(), Error> {
    let value = MetadataValue::try_from(token)
        .map_err(|_| Error::Config("SERVICE_TOKEN must be printable ASCII".to_owned()))?;
    *TOKEN.write().unwrap_or_else(|e| e.into_inner()) = Some(value);
    Ok(())
}

fn current_token() -> AsciiMetadataValue {
    TOKEN
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| AsciiMetadataValue::from_static(DEV_SERVICE_TOKEN))
}

/// Client side: the caller's `traceparent` and the service token on every request.
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

pub type Client = InterceptedService<Channel, CallInterceptor>;

fn intercepted(channel: Channel) -> Client {
    InterceptedService::new(
        channel,
        CallInterceptor {
            token: current_token(),
        },
    )
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

/// A channel whose calls carry the caller's `traceparent` and the service token; wrap it in any
/// generated client with `XClient::new(platform::grpc::client(url)?)`.
pub fn client(url: &str) -> Result<Client, Error> {
    Ok(intercepted(channel(url)?))
}

/// [`client`] with another deadline (see [`channel_with_deadline`]).
pub fn client_with_deadline(url: &str, deadline: Duration) -> Result<Client, Error> {
    Ok(intercepted(channel_with_deadline(url, deadline)?))
}

/// Server side: refuses a call whose token is missing or wrong, before any handler runs.
async fn require_token(State(expected): State<Arc<str>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(TOKEN_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if constant_time_eq(given, expected.as_bytes()) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "gRPC call without the service token");
    tonic::Status::unauthenticated("missing or wrong service token").into_http()
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
    token: String,
    shutdown: Shutdown,
) -> Result<(), Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    reporter
        .set_service_status(service, ServingStatus::Serving)
        .await;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    // The check wraps the service's own routes only: health, added after, stays open.
    let expected: Arc<str> = Arc::from(token.as_str());
    let guarded = routes
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(
            expected,
            require_token,
        ));
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
            crate::telemetry::grpc_request_span(request)
        })
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, stop)
        .await
        .map_err(|e| Error::Transport(e.to_string()))
}
