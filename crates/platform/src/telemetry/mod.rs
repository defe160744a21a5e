//! Structured logs, OpenTelemetry export, and W3C trace context carried across process
//! boundaries: gRPC metadata and stream messages both use the `traceparent` key.

mod query;
pub mod service;

use std::collections::HashMap;
use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Dispatch, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Config;
use service::{PerService, ServiceIds, ServiceTracer};

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
static DISPATCH: OnceLock<Dispatch> = OnceLock::new();
static EXPORTING: OnceLock<bool> = OnceLock::new();

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Whether spans leave the process. Spans that only an exported trace shows (one per query,
/// per outbound call) are not made otherwise, so an unobserved order path pays nothing for them.
pub fn exporting() -> bool {
    EXPORTING.get().copied().unwrap_or(false)
}

/// Installs the global subscriber once per process; later calls (tests, in-process services) are
/// no-ops, so every service can call it from `serve`.
pub fn init(config: &Config) {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let fmt = if config.log_format == "json" {
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(WithTraceIds(
                    tracing_subscriber::fmt::format()
                        .json()
                        .with_current_span(true),
                ))
                .with_filter(filter())
                .boxed()
        } else {
            tracing_subscriber::fmt::layer()
                .compact()
                .with_filter(filter())
                .boxed()
        };
        let environment = if config.is_production() {
            "production"
        } else {
            "development"
        };
        let common = [
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("deployment.environment.name", environment),
            KeyValue::new("deployment.environment", environment),
        ];
        let exporter = config.otel_endpoint.as_ref().and_then(|endpoint| {
            match opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()
            {
                Ok(exporter) => Some(PerService::new(exporter, &common)),
                Err(error) => {
                    eprintln!("OTLP exporter disabled: {error}");
                    None
                }
            }
        });
        let exporting = exporter.is_some();
        let _ = EXPORTING.set(exporting);
        // Without an exporter the provider still gives spans real ids, so traceparent headers
        // propagate and log lines carry a trace id.
        let mut provider = SdkTracerProvider::builder().with_id_generator(ServiceIds::default());
        if let Some(exporter) = exporter {
            provider = provider.with_batch_exporter(exporter);
        }
        let provider = provider.build();
        let tracer = ServiceTracer(provider.tracer("simpleorder"));
        opentelemetry::global::set_tracer_provider(provider.clone());
        let _ = PROVIDER.set(provider);
        let otel = tracing_opentelemetry::layer()
            .with_tracer(tracer.clone())
            .with_filter(filter());
        let queries = exporting.then(|| {
            query::QuerySpans { tracer }.with_filter(
                Targets::new()
                    .with_default(tracing::Level::INFO)
                    .with_target(query::TARGET, tracing::Level::DEBUG),
            )
        });
        let subscriber = tracing_subscriber::registry()
            .with(fmt)
            .with(otel)
            .with(queries);
        let dispatch = Dispatch::new(subscriber);
        if dispatch.clone().try_init().is_ok() {
            let _ = DISPATCH.set(dispatch);
        }
    });
}

/// The OpenTelemetry context of a span of the global subscriber.
fn context_of(id: &tracing::span::Id) -> Option<opentelemetry::Context> {
    tracing_opentelemetry::get_otel_context(id, DISPATCH.get()?)
}

/// JSON log lines with the `trace_id` and `span_id` of the span they were written in, so a log
/// line leads to its trace.
struct WithTraceIds<F>(F);

impl<S, N, F> FormatEvent<S, N> for WithTraceIds<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let ids = ctx
            .parent_span()
            .and_then(|span| context_of(&span.id()))
            .map(|cx| cx.span().span_context().clone())
            .filter(|sc| sc.is_valid());
        let Some(ids) = ids else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(
                writer,
                "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",{rest}",
                ids.trace_id(),
                ids.span_id()
            ),
            None => writer.write_str(&line),
        }
    }
}

/// Flushes spans still buffered for export; called once on shutdown.
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.force_flush();
    }
}

struct MapInjector<'a>(&'a mut HashMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct MapExtractor<'a>(&'a HashMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// The W3C `traceparent` of the current span, if it is being traced.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut MapInjector(&mut carrier));
    carrier.remove("traceparent")
}

/// Makes `span` a child of the remote span named by `traceparent` (a stream message's or a gRPC
/// request's), so one trace follows an order across services.
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(context) = remote_context(traceparent) {
        let _ = span.set_parent(context);
    }
}

/// Client side: adds the current `traceparent` to every outgoing gRPC request.
#[derive(Clone, Copy, Default)]
pub struct TraceInterceptor;

impl tonic::service::Interceptor for TraceInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = current_traceparent().and_then(|v| v.parse().ok()) {
            request.metadata_mut().insert("traceparent", value);
        }
        Ok(request)
    }
}

/// `/package.Service/Method` split into the service and the method, as the semantic conventions
/// name them; `None` for a path that is not a gRPC method.
pub fn rpc_parts(path: &str) -> Option<(&str, &str)> {
    path.strip_prefix('/')?.split_once('/')
}

/// A gRPC span named `package.Service/Method` with the `rpc.*` attributes; the status code is
/// recorded when the call ends.
pub fn rpc_span(path: &str, kind: &'static str, service: Option<&'static str>) -> tracing::Span {
    let (rpc_service, rpc_method) = rpc_parts(path).unwrap_or(("", path));
    let span = tracing::info_span!(
        "rpc",
        otel.name = path.trim_start_matches('/'),
        otel.kind = kind,
        rpc.system = "grpc",
        rpc.service = rpc_service,
        rpc.method = rpc_method,
        rpc.grpc.status_code = tracing::field::Empty,
        service.name = tracing::field::Empty,
    );
    if let Some(service) = service {
        span.record(service::FIELD, service);
    }
    span
}

/// Server side: a span per gRPC request of `service`, parented to the caller's `traceparent`.
/// Health checks, which probes send every few seconds, get none.
pub fn grpc_request_span(service: &'static str, request: &http::Request<()>) -> tracing::Span {
    let path = request.uri().path();
    if path.starts_with("/grpc.health.") {
        return tracing::Span::none();
    }
    let span = rpc_span(path, "server", Some(service));
    let traceparent = request
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok());
    set_parent(&span, traceparent);
    span
}

/// A span for one stream message handled by a consumer of `service`: a child of the span that
/// published it (one trace per order) and linked to it, as the messaging conventions ask.
pub fn consume_span(
    service: &'static str,
    stream: &str,
    group: &str,
    message_id: &str,
    traceparent: Option<&str>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "process",
        otel.name = format!("process {}", stream_template(stream)),
        otel.kind = "consumer",
        messaging.system = "redis",
        messaging.operation.type = "process",
        messaging.destination.name = stream,
        messaging.consumer.group.name = group,
        messaging.message.id = message_id,
        service.name = service,
    );
    if let Some(producer) = remote_context(traceparent) {
        span.add_link(producer.span().span_context().clone());
        let _ = span.set_parent(producer);
    }
    span
}

/// A span for publishing one outbox event of `service` to its stream, a child of the span that
/// wrote the event; the message carries this span's `traceparent`.
pub fn publish_span(service: &str, stream: &str, traceparent: Option<&str>) -> tracing::Span {
    let span = tracing::info_span!(
        "publish",
        otel.name = format!("send {}", stream_template(stream)),
        otel.kind = "producer",
        messaging.system = "redis",
        messaging.operation.type = "send",
        messaging.destination.name = stream,
        service.name = service,
    );
    set_parent(&span, traceparent);
    span
}

/// An HTTP server span `{method} {route}` per request of `service`, with its latency by route;
/// the route is the template (`/pay/kakaopay/approval/{token}`), never the path with its values.
pub async fn observe_http(
    axum::extract::State(service): axum::extract::State<&'static str>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let method = match request.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "_OTHER",
    };
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let span = tracing::info_span!(
        "http",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = method,
        http.route = route.as_str(),
        http.response.status_code = tracing::field::Empty,
        service.name = service,
    );
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    crate::metrics::HTTP_SERVER
        .with_label_values(&[service, method, &route, status_class(Some(status))])
        .observe(started.elapsed().as_secs_f64());
    response
}

fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        Some(_) => "other",
        None => "error",
    }
}

/// One call to a provider's HTTP API (KakaoPay, Kakao Local, the Event API): a client span when
/// traces are exported, and its latency by outcome always. Keys travel in headers, which are
/// never recorded; only the path template is.
pub struct Outbound {
    span: tracing::Span,
    provider: &'static str,
    operation: &'static str,
    started: std::time::Instant,
}

impl Outbound {
    pub fn start(
        provider: &'static str,
        operation: &'static str,
        method: &'static str,
        path_template: &str,
    ) -> Outbound {
        let span = if exporting() {
            tracing::info_span!(
                "http.client",
                otel.name = format!("{method} {path_template}"),
                otel.kind = "client",
                http.request.method = method,
                url.template = path_template,
                peer.service = provider,
                simpleorder.operation = operation,
                http.response.status_code = tracing::field::Empty,
            )
        } else {
            tracing::Span::none()
        };
        Outbound {
            span,
            provider,
            operation,
            started: std::time::Instant::now(),
        }
    }

    /// The span to run the call in.
    pub fn span(&self) -> tracing::Span {
        self.span.clone()
    }

    /// Records the HTTP status the provider answered, or `None` when no answer came.
    pub fn finish(self, status: Option<u16>) {
        if let Some(status) = status {
            self.span.record("http.response.status_code", status);
        } else {
            self.span.record("otel.status_code", "ERROR");
        }
        crate::metrics::OUTBOUND
            .with_label_values(&[self.provider, self.operation, status_class(status)])
            .observe(self.started.elapsed().as_secs_f64());
    }
}

/// Links the current span to the trace `traceparent` names (the request that placed an order,
/// seen again when its payment is approved); an empty or malformed one links nothing.
pub fn link_current(traceparent: &str) {
    if let Some(context) = remote_context(Some(traceparent)) {
        tracing::Span::current().add_link(context.span().span_context().clone());
    }
}

/// A stream's name with its ids as `{id}` (`x:store:{id}:{id}`), so span names stay few.
fn stream_template(stream: &str) -> String {
    stream
        .split(':')
        .map(|part| match uuid::Uuid::parse_str(part) {
            Ok(_) => "{id}",
            Err(_) => part,
        })
        .collect::<Vec<_>>()
        .join(":")
}

fn remote_context(traceparent: Option<&str>) -> Option<opentelemetry::Context> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent?.to_owned())]);
    let context = TraceContextPropagator::new().extract(&MapExtractor(&carrier));
    context.span().span_context().is_valid().then_some(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips_through_a_span() {
        init(&Config::local());
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let span = tracing::info_span!("consumer");
        set_parent(&span, Some(incoming));
        let outgoing = span.in_scope(current_traceparent).expect("traced");
        assert!(
            outgoing.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "same trace id, new span id: {outgoing}"
        );
        assert_ne!(outgoing, incoming);
    }
}
