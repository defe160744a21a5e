//! Prometheus metrics of the process, served on every service's `/metrics`.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
    register_histogram_vec_with_registry, register_int_counter_vec_with_registry,
    register_int_gauge_vec_with_registry,
};

pub static REGISTRY: LazyLock<Registry> =
    LazyLock::new(|| Registry::new_custom(Some("simpleorder".into()), None).expect("registry"));

pub fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register_int_counter_vec_with_registry!(Opts::new(name, help), labels, REGISTRY.clone())
        .expect("metric registers once")
}

/// Latency buckets from 5 ms to 10 s: the chatbot's 5-second webhook limit and KakaoPay's slow
/// approvals both fall inside.
const SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0,
];

pub fn histogram(name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    register_histogram_vec_with_registry!(
        HistogramOpts::new(name, help).buckets(SECONDS.to_vec()),
        labels,
        REGISTRY.clone()
    )
    .expect("metric registers once")
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register_int_gauge_vec_with_registry!(Opts::new(name, help), labels, REGISTRY.clone())
        .expect("metric registers once")
}

pub static HTTP_SHED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "http_shed_total",
        "HTTP requests answered 503 at once because the listener was at its concurrency cap",
        &[],
    )
});
pub static OUTBOX_PUBLISHED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "outbox_published_total",
        "Outbox events published to their stream",
        &["stream"],
    )
});
pub static OUTBOX_BACKLOG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge(
        "outbox_backlog",
        "Outbox events not yet published",
        &["relay"],
    )
});
pub static BUS_HANDLED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "bus_handled_total",
        "Stream messages handled, by outcome (ok, retry, dead)",
        &["stream", "group", "outcome"],
    )
});
pub static BUS_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge(
        "bus_lag",
        "Entries in the stream not yet delivered to the group",
        &["stream", "group"],
    )
});
pub static BUS_PENDING: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge(
        "bus_pending",
        "Entries delivered to the group and not yet acknowledged",
        &["stream", "group"],
    )
});
pub static BUS_DEAD_LETTERS: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge(
        "bus_dead_letters",
        "Length of the dead-letter stream",
        &["stream"],
    )
});
pub static READY: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    gauge(
        "ready",
        "1 when the last /readyz check (the kubelet's probe) reached every dependency, else 0",
        &["service"],
    )
});
pub static GRPC_HANDLED: LazyLock<IntCounterVec> =
    LazyLock::new(|| counter("grpc_requests_total", "gRPC requests served", &["service"]));
pub static RPC_SERVER: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "rpc_server_duration_seconds",
        "Time to answer a gRPC call, by serving service, method and gRPC status",
        &["service", "rpc_service", "rpc_method", "code"],
    )
});
pub static RPC_CLIENT: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "rpc_client_duration_seconds",
        "Time until a gRPC call made to another service was answered, by method and gRPC status",
        &["rpc_service", "rpc_method", "code"],
    )
});
pub static HTTP_SERVER: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "http_server_request_duration_seconds",
        "Time to answer an HTTP request, by route template, method and status class (2xx...)",
        &["service", "method", "route", "status"],
    )
});
pub static OUTBOUND: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "outbound_request_duration_seconds",
        "Calls to Kakao's APIs, by provider (kakaopay, kakao_local, event_api), operation and \
         outcome (2xx, 4xx, 5xx, error)",
        &["provider", "operation", "outcome"],
    )
});

/// The Prometheus text exposition of every metric of this process.
pub fn render() -> String {
    let mut buffer = Vec::new();
    let families = REGISTRY.gather();
    TextEncoder::new()
        .encode(&families, &mut buffer)
        .expect("text encoding of gathered metrics");
    String::from_utf8(buffer).expect("prometheus text is UTF-8")
}
