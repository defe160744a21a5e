//! `service.name` per span, so one process running several services (`simpleorder run`) exports
//! each span under the service that made it, as separate pods do.
//!
//! A span's service is, in order: its `service.name` field (set by the spans that start a
//! service's work: a gRPC request, a stream message, an HTTP request), else its in-process
//! parent's service, else the crate its callsite is in. The service travels in the low three bits
//! of the span id: children read it from their parent's id with no lookup table, and the exporter
//! groups each batch by it and sends each group with that service's resource. Span ids keep 61
//! random bits, far more than a trace needs to stay unique.

use std::cell::Cell;
use std::fmt;

use opentelemetry::trace::{SpanBuilder, SpanId, TraceContextExt, TraceId, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SdkTracer, SpanData, SpanExporter};

/// Index 0 is work of no service (start-up, the CLI); the rest follow `Service::ALL`'s names.
const NAMES: [&str; 8] = [
    "simpleorder",
    "store",
    "payment",
    "order",
    "accounting",
    "chatbot-skill",
    "gateway",
    "kakao-sandbox",
];
const MASK: u64 = 0b111;

/// The span field that names the service of a span and its children.
pub const FIELD: &str = "service.name";

fn index_of(name: &str) -> Option<u64> {
    NAMES.iter().position(|n| *n == name).map(|i| i as u64)
}

fn index_of_target(target: &str) -> Option<u64> {
    let krate = target.split("::").next().unwrap_or(target);
    index_of(&krate.replace('_', "-"))
}

/// The service a span id carries.
pub fn name_of(span_id: SpanId) -> &'static str {
    NAMES[(u64::from_be_bytes(span_id.to_bytes()) & MASK) as usize]
}

thread_local! {
    /// The service of the span being built on this thread, read by [`ServiceIds`] during
    /// the same synchronous `build_with_context` call.
    static NEXT: Cell<u64> = const { Cell::new(0) };
}

/// Span ids whose low bits carry the service chosen by [`ServiceTracer`].
#[derive(Debug, Default)]
pub struct ServiceIds(RandomIdGenerator);

impl IdGenerator for ServiceIds {
    fn new_trace_id(&self) -> TraceId {
        self.0.new_trace_id()
    }

    fn new_span_id(&self) -> SpanId {
        let service = NEXT.with(|next| next.replace(0));
        let random = u64::from_be_bytes(self.0.new_span_id().to_bytes());
        let id = (random & !MASK) | service;
        // Zero is the invalid span id; its low bits (service 0) are kept.
        let id = if id == 0 { MASK + 1 } else { id };
        SpanId::from_bytes(id.to_be_bytes())
    }
}

/// The SDK tracer, choosing each span's service before the SDK picks its id.
#[derive(Debug, Clone)]
pub struct ServiceTracer(pub SdkTracer);

impl Tracer for ServiceTracer {
    type Span = opentelemetry_sdk::trace::Span;

    fn build_with_context(&self, mut builder: SpanBuilder, parent_cx: &Context) -> Self::Span {
        let service = service_of(&mut builder, parent_cx);
        NEXT.with(|next| next.set(service));
        self.0.build_with_context(builder, parent_cx)
    }
}

fn service_of(builder: &mut SpanBuilder, parent_cx: &Context) -> u64 {
    let attributes = builder.attributes.get_or_insert_with(Vec::new);
    // The field only routes the span; the resource carries the name.
    if let Some(at) = attributes.iter().position(|kv| kv.key.as_str() == FIELD) {
        let named = attributes.swap_remove(at);
        if let Some(index) = index_of(named.value.as_str().as_ref()) {
            return index;
        }
    }
    let parent = parent_cx.span();
    let parent = parent.span_context();
    if parent.is_valid() && !parent.is_remote() {
        return u64::from_be_bytes(parent.span_id().to_bytes()) & MASK;
    }
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == "target")
        .and_then(|kv| index_of_target(kv.value.as_str().as_ref()))
        .unwrap_or(0)
}

/// Sends each service's spans with that service's resource, through one exporter.
pub struct PerService<E> {
    exporter: tokio::sync::Mutex<E>,
    resources: Vec<Resource>,
}

impl<E> fmt::Debug for PerService<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerService").finish_non_exhaustive()
    }
}

impl<E> PerService<E> {
    /// `common` holds what every service shares: `service.version`, the environment.
    pub fn new(exporter: E, common: &[KeyValue]) -> PerService<E> {
        let resources = NAMES
            .iter()
            .map(|name| {
                Resource::builder()
                    .with_service_name(*name)
                    .with_attributes(common.iter().cloned())
                    .build()
            })
            .collect();
        PerService {
            exporter: tokio::sync::Mutex::new(exporter),
            resources,
        }
    }
}

impl<E: SpanExporter> SpanExporter for PerService<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut groups: Vec<Vec<SpanData>> = vec![Vec::new(); NAMES.len()];
        for span in batch {
            let index = u64::from_be_bytes(span.span_context.span_id().to_bytes()) & MASK;
            groups[index as usize].push(span);
        }
        let mut exporter = self.exporter.lock().await;
        let mut result = Ok(());
        for (resource, group) in self.resources.iter().zip(groups) {
            if group.is_empty() {
                continue;
            }
            exporter.set_resource(resource);
            if let Err(e) = exporter.export(group).await {
                result = Err(e);
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        match self.exporter.try_lock() {
            Ok(exporter) => exporter.shutdown_with_timeout(timeout),
            Err(_) => Ok(()),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self.exporter.try_lock() {
            Ok(exporter) => exporter.force_flush(),
            Err(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_id_carries_the_service_chosen_for_it() {
        let ids = ServiceIds::default();
        for (index, name) in NAMES.iter().enumerate() {
            NEXT.with(|next| next.set(index as u64));
            let id = ids.new_span_id();
            assert_ne!(id, SpanId::INVALID);
            assert_eq!(name_of(id), *name);
        }
        assert_eq!(index_of_target("chatbot_skill::handler"), Some(5));
        assert_eq!(index_of_target("platform::bus"), None);
    }
}
