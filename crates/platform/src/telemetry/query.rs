//! A span for each Postgres statement, made from the event sqlx writes when a statement finishes
//! (`sqlx::query`, with its text and duration): every query of every service gets one without a
//! wrapper around each call. The span has the operation and the table, never the text or the
//! bound values. Installed only when traces are exported, so sqlx does not even format the event
//! otherwise; a statement outside any span (a relay's idle poll) makes none.

use std::time::{Duration, SystemTime};

use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Tracer as _};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use super::service::ServiceTracer;

pub const TARGET: &str = "sqlx::query";

pub struct QuerySpans {
    pub tracer: ServiceTracer,
}

#[derive(Default)]
struct Fields {
    statement: Option<String>,
    summary: Option<String>,
    elapsed: Option<f64>,
    rows: Option<u64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "db.statement" if !value.is_empty() => self.statement = Some(value.to_owned()),
            "summary" => self.summary = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed = Some(value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "rows_returned" {
            self.rows = Some(value);
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// The operation and the table a statement works on: `SELECT` and the first table after FROM,
/// `INSERT` and the table after INTO, `UPDATE` and its table. Quoted or odd names are left out.
pub fn operation_and_table(statement: &str) -> (String, Option<String>) {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let operation = words
        .first()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphabetic())
                .to_ascii_uppercase()
        })
        .unwrap_or_default();
    let keyword = match operation.as_str() {
        "INSERT" => "INTO",
        "UPDATE" => "UPDATE",
        _ => "FROM",
    };
    let table = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case(keyword))
        .and_then(|at| words.get(at + 1))
        .map(|w| w.trim_end_matches([',', ';', ')']).to_ascii_lowercase())
        .filter(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        });
    (operation, table)
}

impl<S> Layer<S> for QuerySpans
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let Some(parent) = ctx.event_span(event) else {
            return;
        };
        let Some(parent_cx) = super::context_of(&parent.id()) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(statement) = fields.statement.or(fields.summary) else {
            return;
        };
        let (operation, table) = operation_and_table(&statement);
        let end = SystemTime::now();
        let start = end
            .checked_sub(Duration::from_secs_f64(fields.elapsed.unwrap_or(0.0)))
            .unwrap_or(end);
        let mut attributes = vec![
            KeyValue::new("db.system.name", "postgresql"),
            KeyValue::new("db.system", "postgresql"),
            KeyValue::new("db.operation.name", operation.clone()),
        ];
        let name = match table {
            Some(table) => {
                let name = format!("{operation} {table}");
                attributes.push(KeyValue::new("db.collection.name", table));
                name
            }
            None => operation,
        };
        if let Some(rows) = fields.rows {
            attributes.push(KeyValue::new("db.response.returned_rows", rows as i64));
        }
        let mut span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &parent_cx);
        span.end_with_timestamp(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_name_their_operation_and_table() {
        let cases = [
            (
                "SELECT id FROM orders WHERE id = $1",
                "SELECT",
                Some("orders"),
            ),
            (
                "INSERT INTO outbox (id, stream) VALUES ($1, $2)",
                "INSERT",
                Some("outbox"),
            ),
            ("UPDATE orders SET state = $2", "UPDATE", Some("orders")),
            ("DELETE FROM carts WHERE id = $1", "DELETE", Some("carts")),
            ("SELECT pg_try_advisory_xact_lock($1)", "SELECT", None),
            ("BEGIN", "BEGIN", None),
        ];
        for (statement, operation, table) in cases {
            let (op, t) = operation_and_table(statement);
            assert_eq!(op, operation, "{statement}");
            assert_eq!(t.as_deref(), table, "{statement}");
        }
    }
}
