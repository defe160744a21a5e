//! Structured logs, OpenTelemetry export, and W3C trace context carried across process
//! boundaries: gRPC metadata and stream messages both use the `traceparent` key.

use std::collections::HashMap;
use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::Config;

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber once per process; later calls (tests, in-process services) are
/// no-ops, so every service can call it from `serve`.
pub fn init(config: &Config) {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        let fmt = if config.log_format == "json" {
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .boxed()
        } else {
            tracing_subscriber::fmt::layer().compact().boxed()
        };
        let provider = config.otel_endpoint.as_ref().and_then(|endpoint| {
            match opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint.clone())
                .build()
            {
                Ok(exporter) => Some(
                    SdkTracerProvider::builder()
                        .with_batch_exporter(exporter)
                        .with_resource(
                            opentelemetry_sdk::Resource::builder()
                                .with_service_name("simpleorder")
                                .build(),
                        )
                        .build(),
                ),
                Err(error) => {
                    eprintln!("OTLP exporter disabled: {error}");
                    None
                }
            }
        });
        // Without an exporter a no-export provider still gives spans real ids, so traceparent
        // headers propagate and logs can be correlated.
        let provider = provider.unwrap_or_else(|| SdkTracerProvider::builder().build());
        let tracer = provider.tracer("simpleorder");
        opentelemetry::global::set_tracer_provider(provider.clone());
        let _ = PROVIDER.set(provider);
        let otel = tracing_opentelemetry::layer().with_tracer(tracer);
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(fmt)
            .with(otel)
            .try_init();
    });
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
    if let Some(traceparent) = traceparent {
        let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
        let context = TraceContextPropagator::new().extract(&MapExtractor(&carrier));
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

/// Server side: a span per gRPC request, parented to the caller's `traceparent`.
pub fn grpc_request_span(request: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!("grpc", path = %request.uri().path());
    let traceparent = request
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok());
    set_parent(&span, traceparent);
    span
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
