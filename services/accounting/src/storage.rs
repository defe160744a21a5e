//! Postgres queries and Redis commands of the accounting service. Nothing here decides policy.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;
use platform::redis::Keys;
use redis::Script;
use redis::aio::ConnectionManager;
use redis::streams::StreamRangeReply;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::archive::{self, Archived};
use crate::error::AccountingError;
use crate::reconcile::{DayReconciliation, StreamEntry};

/// A closed business day as accounting keeps it, from its `business_day.closed` event.
#[derive(Debug, Clone)]
pub struct Day {
    pub id: Uuid,
    pub store_id: Uuid,
    pub stream_key: String,
}

/// A closed day accounting knows of; a day is known once its `business_day.closed` arrived.
pub async fn day(conn: &mut PgConnection, day_id: Uuid) -> Result<Option<Day>, AccountingError> {
    Ok(sqlx::query_as!(
        Day,
        "SELECT day_business_id AS id, store_id, stream_key FROM accounting_day_business \
         WHERE day_business_id = $1",
        day_id
    )
    .fetch_optional(conn)
    .await?)
}

/// What the `business_day.closed` event says of the day.
#[derive(Debug, Clone)]
pub struct ClosedDay {
    pub id: Uuid,
    pub store_id: Uuid,
    pub business_date: NaiveDate,
    pub stream_key: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: DateTime<Utc>,
}

/// Records that a closed day awaits reconciliation (a PENDING report). A day already scheduled
/// or reconciled is left as it is.
pub async fn schedule(conn: &mut PgConnection, day: &ClosedDay) -> Result<(), AccountingError> {
    sqlx::query!(
        "INSERT INTO accounting_day_business \
             (day_business_id, store_id, business_date, stream_key, opened_at, closed_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (day_business_id) DO NOTHING",
        day.id,
        day.store_id,
        day.business_date,
        day.stream_key,
        day.opened_at,
        day.closed_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A day waiting to be reconciled, with how many tries in a row have failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDay {
    pub day_business_id: Uuid,
    pub failed_attempts: i32,
}

/// PENDING days closed at least `settle_delay` ago whose next try (after a failure) is due,
/// oldest first.
pub async fn due_days(
    pool: &PgPool,
    settle_delay: std::time::Duration,
    limit: i64,
) -> Result<Vec<DueDay>, AccountingError> {
    Ok(sqlx::query_as!(
        DueDay,
        "SELECT day_business_id, failed_attempts FROM accounting_day_business \
         WHERE status = 'PENDING' AND closed_at <= now() - make_interval(secs => $1) \
             AND (next_attempt_at IS NULL OR next_attempt_at <= now()) \
         ORDER BY closed_at, day_business_id LIMIT $2",
        settle_delay.as_secs_f64(),
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// Records a failed try of a PENDING day: the count of failures in a row, the error, and when
/// to try again (`retry_in` from now).
pub async fn record_failure(
    pool: &PgPool,
    day_id: Uuid,
    failed_attempts: i32,
    error: &str,
    retry_in: std::time::Duration,
) -> Result<(), AccountingError> {
    sqlx::query!(
        "UPDATE accounting_day_business SET failed_attempts = $2, last_error = $3, \
             last_failed_at = now(), next_attempt_at = now() + make_interval(secs => $4) \
         WHERE day_business_id = $1 AND status = 'PENDING'",
        day_id,
        failed_attempts,
        error,
        retry_in.as_secs_f64()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes the day's report row for this transaction, so two reconciliations of one day (two
/// replicas, or the consumer and an operator) write one after the other.
pub async fn lock_report(conn: &mut PgConnection, day_id: Uuid) -> Result<(), AccountingError> {
    sqlx::query!(
        "SELECT day_business_id FROM accounting_day_business WHERE day_business_id = $1 FOR UPDATE",
        day_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(())
}

/// Inserts the entries not archived yet; the unique (day, stream id) makes a rerun a no-op.
pub async fn archive(
    conn: &mut PgConnection,
    day: &Day,
    entries: &[Archived],
) -> Result<(), AccountingError> {
    for chunk in entries.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let order_ids: Vec<Option<Uuid>> = chunk.iter().map(|e| e.order_id).collect();
        let stream_ids: Vec<&str> = chunk.iter().map(|e| e.stream_id.as_str()).collect();
        let types: Vec<&str> = chunk.iter().map(|e| e.event_type.as_str()).collect();
        let payloads: Vec<serde_json::Value> = chunk.iter().map(|e| e.payload.clone()).collect();
        let times: Vec<DateTime<Utc>> = chunk.iter().map(|e| e.occurred_at).collect();
        sqlx::query!(
            "INSERT INTO order_history \
                 (id, order_id, store_id, day_business_id, stream_id, event_type, payload, occurred_at) \
             SELECT e.id, e.order_id, $7, $8, e.stream_id, e.event_type, e.payload, e.occurred_at \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[]) \
                 AS e(id, order_id, stream_id, event_type, payload, occurred_at) \
             ON CONFLICT (day_business_id, stream_id) DO NOTHING",
            &ids,
            &order_ids as _,
            &stream_ids as _,
            &types as _,
            &payloads,
            &times,
            day.store_id,
            day.id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The archived day stream: the source of truth for the stream once Redis has let it go.
pub async fn history(
    conn: &mut PgConnection,
    day_id: Uuid,
) -> Result<Vec<StreamEntry>, AccountingError> {
    let rows = sqlx::query!(
        "SELECT stream_id, order_id, event_type, payload FROM order_history \
         WHERE day_business_id = $1",
        day_id
    )
    .fetch_all(conn)
    .await?;
    let mut entries: Vec<StreamEntry> = rows
        .into_iter()
        .filter_map(|r| archive::stream_entry(r.stream_id, r.order_id, &r.event_type, &r.payload))
        .collect();
    entries.sort_by_key(|e| crate::reconcile::stream_order(&e.stream_id));
    Ok(entries)
}

/// Whether any entry of the day's stream was archived already (its stream may be gone since).
pub async fn archived(conn: &mut PgConnection, day_id: Uuid) -> Result<bool, AccountingError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM order_history WHERE day_business_id = $1) AS "archived!""#,
        day_id
    )
    .fetch_one(conn)
    .await?)
}

/// A reconciliation as the three tables hold it; equal records mean a rerun changed nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub counts: [i32; 5],
    pub amounts: [i64; 4],
    pub discrepancy_count: i32,
    pub discrepancies: serde_json::Value,
    pub status: String,
    pub orders: Vec<OrderRecord>,
    /// By line id.
    pub lines: Vec<LineRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    pub order_id: Uuid,
    pub status_db: Option<String>,
    pub status_kakaopay: Option<String>,
    pub amount_db: Option<i64>,
    pub amount_kakaopay: Option<i64>,
    pub canceled_db: Option<i64>,
    pub canceled_kakaopay: Option<i64>,
    pub in_stream: bool,
    pub discrepancy: Option<String>,
    pub placed_at: Option<DateTime<Utc>>,
}

/// One line of an order of the day as the order service recorded it (`accounting_order_line`),
/// for the report's sales by item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    pub line_id: Uuid,
    pub order_id: Uuid,
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i32,
    pub line_total: i64,
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Record {
    /// The reconciliation with the lines of the day's orders, kept for the report.
    pub fn of(
        day: &DayReconciliation,
        mut lines: Vec<LineRecord>,
    ) -> Result<Record, AccountingError> {
        lines.sort_by_key(|l| l.line_id);
        let t = &day.totals;
        let discrepancies = serde_json::to_value(&day.discrepancies)
            .map_err(|e| AccountingError::Internal(e.to_string()))?;
        let kakaopay_total = day.kakaopay.approved.as_won() - day.kakaopay.canceled.as_won();
        Ok(Record {
            counts: [
                count(t.order_count),
                count(t.placed_count),
                count(t.ready_count),
                count(t.canceled_count),
                count(t.failed_count),
            ],
            amounts: [
                t.gross.as_won(),
                t.canceled.as_won(),
                t.net.as_won(),
                kakaopay_total,
            ],
            discrepancy_count: count(day.discrepancies.len() as i64),
            discrepancies,
            status: if day.discrepancies.is_empty() {
                "RECONCILED"
            } else {
                "DISCREPANCY"
            }
            .to_owned(),
            orders: day
                .orders
                .iter()
                .map(|l| OrderRecord {
                    order_id: l.order_id.as_uuid(),
                    status_db: l.status_db.map(|s| s.code().to_owned()),
                    status_kakaopay: l.status_kakaopay.clone(),
                    amount_db: l.amount_db.map(Money::as_won),
                    amount_kakaopay: l.amount_kakaopay.map(Money::as_won),
                    canceled_db: l.canceled_db.map(Money::as_won),
                    canceled_kakaopay: l.canceled_kakaopay.map(Money::as_won),
                    in_stream: l.in_stream,
                    discrepancy: l.discrepancy.clone(),
                    placed_at: l.placed_at,
                })
                .collect(),
            lines,
        })
    }
}

/// What is stored for the day; `None` while PENDING (or not scheduled).
pub async fn stored(
    conn: &mut PgConnection,
    day_id: Uuid,
) -> Result<Option<Record>, AccountingError> {
    let row = sqlx::query!(
        "SELECT order_count, placed_count, ready_count, canceled_count, failed_count, \
             gross, canceled, net, kakaopay_total, discrepancy_count, discrepancies, status \
         FROM accounting_day_business WHERE day_business_id = $1 AND status <> 'PENDING'",
        day_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let orders: Vec<OrderRecord> = sqlx::query_as!(
        OrderRecord,
        "SELECT order_id, status_db, status_kakaopay, amount_db, amount_kakaopay, canceled_db, \
             canceled_kakaopay, in_stream, discrepancy, placed_at \
         FROM accounting_order WHERE day_business_id = $1 ORDER BY order_id",
        day_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let lines: Vec<LineRecord> = sqlx::query_as!(
        LineRecord,
        "SELECT line_id, order_id, item_id, name, quantity, line_total \
         FROM accounting_order_line WHERE day_business_id = $1 ORDER BY line_id",
        day_id
    )
    .fetch_all(conn)
    .await?;
    Ok(Some(Record {
        counts: [
            r.order_count,
            r.placed_count,
            r.ready_count,
            r.canceled_count,
            r.failed_count,
        ],
        amounts: [r.gross, r.canceled, r.net, r.kakaopay_total],
        discrepancy_count: r.discrepancy_count,
        discrepancies: r.discrepancies,
        status: r.status,
        orders,
        lines,
    }))
}

/// Replaces the day's reconciliation with `record`, still PENDING: [`finish`] publishes it once
/// the stream is gone.
pub async fn write_pending(
    conn: &mut PgConnection,
    day_id: Uuid,
    record: &Record,
) -> Result<(), AccountingError> {
    let [order_count, placed, ready, canceled_count, failed] = record.counts;
    let [gross, canceled, net, kakaopay_total] = record.amounts;
    sqlx::query!(
        "UPDATE accounting_day_business SET order_count = $2, placed_count = $3, ready_count = $4, \
             canceled_count = $5, failed_count = $6, gross = $7, canceled = $8, net = $9, \
             kakaopay_total = $10, discrepancy_count = $11, discrepancies = $12, \
             status = 'PENDING' \
         WHERE day_business_id = $1",
        day_id,
        order_count,
        placed,
        ready,
        canceled_count,
        failed,
        gross,
        canceled,
        net,
        kakaopay_total,
        record.discrepancy_count,
        &record.discrepancies
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM accounting_order_line WHERE day_business_id = $1",
        day_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM accounting_order WHERE day_business_id = $1",
        day_id
    )
    .execute(&mut *conn)
    .await?;
    for chunk in record.orders.chunks(1000) {
        let column = |f: fn(&OrderRecord) -> Option<i64>| chunk.iter().map(f).collect::<Vec<_>>();
        let ids: Vec<Uuid> = chunk.iter().map(|o| o.order_id).collect();
        let status_db: Vec<Option<String>> = chunk.iter().map(|o| o.status_db.clone()).collect();
        let status_kp: Vec<Option<String>> =
            chunk.iter().map(|o| o.status_kakaopay.clone()).collect();
        let in_stream: Vec<bool> = chunk.iter().map(|o| o.in_stream).collect();
        let discrepancy: Vec<Option<String>> =
            chunk.iter().map(|o| o.discrepancy.clone()).collect();
        let placed_at: Vec<Option<DateTime<Utc>>> = chunk.iter().map(|o| o.placed_at).collect();
        sqlx::query!(
            "INSERT INTO accounting_order (day_business_id, order_id, status_db, status_kakaopay, \
                 amount_db, amount_kakaopay, canceled_db, canceled_kakaopay, in_stream, discrepancy, \
                 placed_at) \
             SELECT $1, * FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::bigint[], \
                 $6::bigint[], $7::bigint[], $8::bigint[], $9::bool[], $10::text[], \
                 $11::timestamptz[])",
            day_id,
            &ids,
            &status_db as _,
            &status_kp as _,
            column(|o| o.amount_db) as _,
            column(|o| o.amount_kakaopay) as _,
            column(|o| o.canceled_db) as _,
            column(|o| o.canceled_kakaopay) as _,
            &in_stream,
            &discrepancy as _,
            &placed_at as _
        )
        .execute(&mut *conn)
        .await?;
    }
    for chunk in record.lines.chunks(1000) {
        let line_ids: Vec<Uuid> = chunk.iter().map(|l| l.line_id).collect();
        let order_ids: Vec<Uuid> = chunk.iter().map(|l| l.order_id).collect();
        let item_ids: Vec<Uuid> = chunk.iter().map(|l| l.item_id).collect();
        let names: Vec<&str> = chunk.iter().map(|l| l.name.as_str()).collect();
        let quantities: Vec<i32> = chunk.iter().map(|l| l.quantity).collect();
        let totals: Vec<i64> = chunk.iter().map(|l| l.line_total).collect();
        sqlx::query!(
            "INSERT INTO accounting_order_line (day_business_id, line_id, order_id, item_id, name, \
                 quantity, line_total) \
             SELECT $1, * FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], \
                 $6::int[], $7::bigint[])",
            day_id,
            &line_ids,
            &order_ids,
            &item_ids,
            &names as _,
            &quantities,
            &totals
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Publishes a PENDING report with its final status.
pub async fn finish(pool: &PgPool, day_id: Uuid, status: &str) -> Result<(), AccountingError> {
    sqlx::query!(
        "UPDATE accounting_day_business SET status = $2, reconciled_at = now(), \
             next_attempt_at = NULL \
         WHERE day_business_id = $1 AND status = 'PENDING'",
        day_id,
        status
    )
    .execute(pool)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct ReportRow {
    pub day_business_id: Uuid,
    pub store_id: Uuid,
    pub business_date: NaiveDate,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: DateTime<Utc>,
    pub status: String,
    pub order_count: i32,
    pub placed_count: i32,
    pub ready_count: i32,
    pub canceled_count: i32,
    pub failed_count: i32,
    pub gross: i64,
    pub canceled: i64,
    pub net: i64,
    pub discrepancy_count: i32,
    pub discrepancies: serde_json::Value,
    pub reconciled_at: Option<DateTime<Utc>>,
}

/// The store's days closed in [from, to), most recent first.
pub async fn list_reports(
    pool: &PgPool,
    store_id: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<ReportRow>, AccountingError> {
    Ok(sqlx::query_as!(
        ReportRow,
        "SELECT a.day_business_id, a.store_id, a.business_date, a.opened_at, \
             a.closed_at, a.status, a.order_count, a.placed_count, a.ready_count, \
             a.canceled_count, a.failed_count, a.gross, a.canceled, a.net, a.discrepancy_count, \
             a.discrepancies, a.reconciled_at \
         FROM accounting_day_business a \
         WHERE a.store_id = $1 AND ($2::timestamptz IS NULL OR a.closed_at >= $2) \
             AND a.closed_at < COALESCE($3::timestamptz, now()) \
         ORDER BY a.closed_at DESC, a.day_business_id DESC LIMIT $4",
        store_id,
        from,
        to,
        limit
    )
    .fetch_all(pool)
    .await?)
}

pub async fn report(
    conn: &mut PgConnection,
    store_id: Uuid,
    day_id: Uuid,
) -> Result<Option<ReportRow>, AccountingError> {
    Ok(sqlx::query_as!(
        ReportRow,
        "SELECT a.day_business_id, a.store_id, a.business_date, a.opened_at, \
             a.closed_at, a.status, a.order_count, a.placed_count, a.ready_count, \
             a.canceled_count, a.failed_count, a.gross, a.canceled, a.net, a.discrepancy_count, \
             a.discrepancies, a.reconciled_at \
         FROM accounting_day_business a \
         WHERE a.day_business_id = $1 AND a.store_id = $2",
        day_id,
        store_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Units and won per item over the day's net (placed or ready) orders, from the lines kept at
/// reconciliation; an item renamed during the day shows its latest name.
pub async fn sales_by_item(
    conn: &mut PgConnection,
    day_id: Uuid,
) -> Result<Vec<(Uuid, String, i64, i64)>, AccountingError> {
    Ok(sqlx::query!(
        "SELECT i.item_id, \
             (array_agg(i.name ORDER BY o.placed_at DESC, i.line_id DESC))[1] AS \"name!\", \
             sum(i.quantity)::bigint AS \"units!\", sum(i.line_total)::bigint AS \"won!\" \
         FROM accounting_order_line i JOIN accounting_order o \
             ON o.day_business_id = i.day_business_id AND o.order_id = i.order_id \
         WHERE i.day_business_id = $1 AND o.status_db IN ('PLACED', 'ACCEPTED', 'READY') \
         GROUP BY i.item_id ORDER BY 4 DESC, 2, 1",
        day_id
    )
    .map(|r| (r.item_id, r.name, r.units, r.won))
    .fetch_all(conn)
    .await?)
}

/// Net orders and won per hour of the day in Korea (by when each order was placed).
pub async fn sales_by_hour(
    conn: &mut PgConnection,
    day_id: Uuid,
) -> Result<Vec<(i32, i64, i64)>, AccountingError> {
    Ok(sqlx::query!(
        "SELECT extract(hour FROM o.placed_at AT TIME ZONE 'Asia/Seoul')::int AS \"hour!\", \
             count(*) AS \"orders!\", sum(o.amount_db)::bigint AS \"won!\" \
         FROM accounting_order o \
         WHERE o.day_business_id = $1 AND o.status_db IN ('PLACED', 'ACCEPTED', 'READY') \
             AND o.placed_at IS NOT NULL \
         GROUP BY 1 ORDER BY 1",
        day_id
    )
    .map(|r| (r.hour, r.orders, r.won))
    .fetch_all(conn)
    .await?)
}

/// KakaoPay's approved and canceled won over the payments it knows for the day.
pub async fn kakaopay_totals(
    conn: &mut PgConnection,
    day_id: Uuid,
) -> Result<(i64, i64), AccountingError> {
    Ok(sqlx::query!(
        "SELECT COALESCE(sum(amount_kakaopay), 0)::bigint AS \"approved!\", \
             COALESCE(sum(canceled_kakaopay), 0)::bigint AS \"canceled!\" \
         FROM accounting_order WHERE day_business_id = $1 \
             AND status_kakaopay IN ('SUCCESS_PAYMENT', 'PART_CANCEL_PAYMENT', 'CANCEL_PAYMENT')",
        day_id
    )
    .map(|r| (r.approved, r.canceled))
    .fetch_one(conn)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/// The order → store-stream entry dedupe key the order service keeps for the business day
/// (DESIGN §4); accounting removes them with the stream.
pub fn stream_dedupe_key(keys: &Keys, order_id: Uuid) -> String {
    keys.key(&format!("order:stream:{order_id}"))
}

/// Whether the day stream begins with its `opened` entry, i.e. lost nothing of its beginning.
pub async fn stream_complete(
    redis: &ConnectionManager,
    key: &str,
) -> Result<bool, AccountingError> {
    let opened = contracts::events::types::STORE_DAY_OPENED;
    Ok(platform::redis::first_entry_of_type(redis, key, opened)
        .await?
        .is_some())
}

/// Every entry of the day stream, oldest first; empty when the stream is gone.
pub async fn read_stream(
    redis: &ConnectionManager,
    key: &str,
) -> Result<Vec<Archived>, AccountingError> {
    const PAGE: usize = 500;
    let mut conn = redis.clone();
    let mut entries = Vec::new();
    let mut start = "-".to_owned();
    loop {
        let page: StreamRangeReply = redis::cmd("XRANGE")
            .arg(key)
            .arg(&start)
            .arg("+")
            .arg("COUNT")
            .arg(PAGE)
            .query_async(&mut conn)
            .await?;
        let n = page.ids.len();
        for entry in &page.ids {
            entries.push(archive::archive(&entry.id, &entry.map));
        }
        match page.ids.last() {
            Some(last) if n == PAGE => start = format!("({}", last.id),
            _ => return Ok(entries),
        }
    }
}

// KEYS[1] the day stream; ARGV[1] the id of the last entry archived ('' when none). Deletes the
// stream only if nothing was added since it was read, so no entry goes unarchived.
static DELETE_IF_UNCHANGED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local id = ''
        if last[1] then id = last[1][1] end
        if id ~= ARGV[1] then return 0 end
        redis.call('DEL', KEYS[1])
        return 1
        ",
    )
});

/// Deletes the stream if its last entry is still `last_archived`; `false` when it grew.
pub async fn delete_stream(
    redis: &ConnectionManager,
    key: &str,
    last_archived: &str,
) -> Result<bool, AccountingError> {
    let mut conn = redis.clone();
    let deleted: i64 = DELETE_IF_UNCHANGED
        .key(key)
        .arg(last_archived)
        .invoke_async(&mut conn)
        .await?;
    Ok(deleted == 1)
}

pub async fn delete_keys(
    redis: &ConnectionManager,
    keys: &[String],
) -> Result<(), AccountingError> {
    let mut conn = redis.clone();
    for chunk in keys.chunks(256) {
        redis::cmd("UNLINK")
            .arg(chunk)
            .query_async::<()>(&mut conn)
            .await?;
    }
    Ok(())
}
