//! gRPC plumbing shared by every service: the server with grpc.health.v1 and trace context, and
//! client channels with deadlines.

use std::net::SocketAddr;
use std::time::Duration;

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

pub type Client = InterceptedService<Channel, TraceInterceptor>;

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

/// A channel whose calls carry the caller's `traceparent`; wrap it in any generated client with
/// `XClient::new(platform::grpc::client(url)?)`.
pub fn client(url: &str) -> Result<Client, Error> {
    Ok(InterceptedService::new(channel(url)?, TraceInterceptor))
}

/// [`client`] with another deadline (see [`channel_with_deadline`]).
pub fn client_with_deadline(url: &str, deadline: Duration) -> Result<Client, Error> {
    Ok(InterceptedService::new(
        channel_with_deadline(url, deadline)?,
        TraceInterceptor,
    ))
}

/// Serves `routes` plus grpc.health.v1 on `addr` until `shutdown`; reports NOT_SERVING as soon
/// as shutdown starts, so load balancers stop sending before in-flight calls finish.
pub async fn serve(
    service: &'static str,
    addr: SocketAddr,
    routes: Routes,
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
    let routes = routes.add_service(health);
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
