//! A day whose KakaoPay inquiries keep failing: it is tried again after a wait that doubles up
//! to a cap (not on every poll), its failures are recorded on its report row for operators, it
//! is reconciled once KakaoPay answers again, and other stores' days are reconciled meanwhile.

use crate::common;

use std::time::Duration;

use accounting::AccountingSettings;
use chrono::{DateTime, Utc};
use common::{Line, NewOrder, Shop, World};
use contracts::accounting::v1 as pb;
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

/// What the report row says about a day's tries.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Tries {
    status: String,
    failed_attempts: i32,
    last_error: Option<String>,
    last_failed_at: Option<DateTime<Utc>>,
    next_attempt_at: Option<DateTime<Utc>>,
    reconciled_at: Option<DateTime<Utc>>,
}

async fn tries(w: &World, shop: &Shop) -> Option<Tries> {
    sqlx::query_as(
        "SELECT status, failed_attempts, last_error, last_failed_at, next_attempt_at, \
             reconciled_at \
         FROM accounting_day_business WHERE day_business_id = $1",
    )
    .bind(shop.day_id)
    .fetch_optional(w.pool())
    .await
    .expect("report row")
}

/// Queues (`Some`) or clears (`None`) the sandbox's KakaoPay faults.
async fn faults(w: &World, body: Option<Value>) {
    match body {
        Some(body) => w.sandbox.faults(body).await,
        None => w.sandbox.clear_faults().await,
    }
    .expect("sandbox faults");
}

/// A store whose day holds one paid order (so reconciling it asks KakaoPay); its tid.
async fn paid_day(w: &World, shop: &Shop) -> String {
    let tid = w.sandbox.paid(4_500).await.unwrap();
    let lines = vec![Line::new(Uuid::now_v7(), "아메리카노", 4_500, 1)];
    w.order(shop, &NewOrder::new("READY", &tid, Utc::now(), lines))
        .await
        .unwrap();
    w.wait_stream(shop, 2).await.unwrap();
    tid
}

/// A store whose day holds one order that failed before KakaoPay had a payment for it, so
/// reconciling it needs no KakaoPay answer.
async fn unpaid_day(w: &World, shop: &Shop) {
    let lines = vec![Line::new(Uuid::now_v7(), "라떼", 5_000, 1)];
    let mut order = NewOrder::new("FAILED", "no-payment", Utc::now(), lines);
    order.tid = None;
    w.order(shop, &order).await.unwrap();
}

fn ms(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds()
}

#[tokio::test]
async fn a_failing_day_is_retried_with_growing_gaps_until_kakaopay_answers() {
    let poll = Duration::from_millis(400);
    let w = World::start(AccountingSettings {
        settle_delay: Duration::from_millis(300),
        poll_interval: poll,
        retry_max: Duration::from_secs(3),
    })
    .await
    .unwrap();
    let failing = w.open_shop("먹통 카페", "stuck-cafe").await.unwrap();
    let healthy = w.open_shop("멀쩡한 카페", "fine-cafe").await.unwrap();
    let tid = paid_day(&w, &failing).await;
    unpaid_day(&w, &healthy).await;

    // From now on every KakaoPay inquiry answers 500, until the faults are reset.
    faults(&w, Some(json!({ "next_order": vec!["5xx"; 300] }))).await;
    w.close(&failing).await.unwrap();

    // Every failure as the report row records it, watched closely enough to see each one.
    let mut failures: Vec<Tries> = Vec::new();
    let mut healthy_closed = false;
    let mut healthy_done_after: Option<i32> = None;
    let deadline = Instant::now() + Duration::from_secs(40);
    while failures.len() < 4 {
        assert!(Instant::now() < deadline, "only {failures:?}");
        if let Some(row) = tries(&w, &failing).await
            && row.failed_attempts > failures.last().map_or(0, |f| f.failed_attempts)
        {
            assert_eq!(row.status, "PENDING");
            assert_eq!(
                row.failed_attempts,
                failures.len() as i32 + 1,
                "every failure is counted: {failures:?} then {row:?}"
            );
            failures.push(row);
        }
        // Once the failing day is in its backoff, another store closes its day.
        if failures.len() == 2 && !healthy_closed {
            w.close(&healthy).await.unwrap();
            healthy_closed = true;
        }
        if healthy_closed
            && healthy_done_after.is_none()
            && tries(&w, &healthy)
                .await
                .is_some_and(|row| row.status != "PENDING")
        {
            healthy_done_after = Some(failures.len() as i32);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The other store's day was not held up by the failing one.
    let done_after = healthy_done_after.expect("the healthy day reconciled while the other failed");
    assert!(
        done_after <= 3,
        "reconciled only after {done_after} failures"
    );
    let summary = w.reconciled(&healthy).await.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Reconciled as i32);
    assert_eq!(summary.totals.unwrap().failed_count, 1);

    // The wait before each new try doubles from the poll interval up to the cap…
    let scheduled: Vec<i64> = failures
        .iter()
        .map(|f| ms(f.last_failed_at.unwrap(), f.next_attempt_at.unwrap()))
        .collect();
    assert_eq!(scheduled, [400, 800, 1_600, 3_000], "{failures:?}");
    // …and is kept: no try started before its time, and the gaps between tries grow.
    let gaps: Vec<i64> = failures
        .windows(2)
        .map(|pair| {
            ms(
                pair[0].last_failed_at.unwrap(),
                pair[1].last_failed_at.unwrap(),
            )
        })
        .collect();
    for (gap, wait) in gaps.iter().zip(&scheduled) {
        assert!(
            gap >= wait,
            "a try came {gap} ms after the last, before its {wait} ms"
        );
    }
    assert!(
        gaps[2] > gaps[0] + 500,
        "gaps between tries should grow: {gaps:?} ms"
    );
    // What failed is there for an operator.
    let last = failures.last().unwrap();
    let error = last.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains(&tid) && error.contains("KakaoPay inquiry"),
        "{error}"
    );

    // KakaoPay answers again: the day is reconciled at its next try, and the record of the
    // failures stays.
    faults(&w, None).await;
    let summary = w.reconciled(&failing).await.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Reconciled as i32);
    assert_eq!(summary.totals.unwrap().net, 4_500);
    let row = tries(&w, &failing).await.unwrap();
    assert_eq!(row.next_attempt_at, None);
    assert_eq!(row.failed_attempts, 4);
    assert!(
        ms(last.last_failed_at.unwrap(), row.reconciled_at.unwrap()) >= 3_000,
        "the last try still waited out its delay: {row:?}"
    );
    assert!(
        !w.exists(&w.stream(&failing)).await,
        "the stream was archived"
    );
}

#[tokio::test]
async fn a_day_waiting_on_a_hanging_kakaopay_does_not_hold_up_another_stores_day() {
    let w = World::start(AccountingSettings {
        settle_delay: Duration::from_millis(300),
        poll_interval: Duration::from_millis(100),
        retry_max: Duration::from_secs(10),
    })
    .await
    .unwrap();
    let hanging = w.open_shop("느린 카페", "slow-cafe").await.unwrap();
    let healthy = w.open_shop("빠른 카페", "quick-cafe").await.unwrap();
    paid_day(&w, &hanging).await;
    unpaid_day(&w, &healthy).await;

    // KakaoPay answers every call 5 s late: each inquiry runs into its timeout, and the one
    // try of the day takes ~10 s before it fails.
    faults(&w, Some(json!({ "latency_ms": 5_000 }))).await;
    w.close(&hanging).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    let closed = Instant::now();
    w.close(&healthy).await.unwrap();
    let summary = w.reconciled(&healthy).await.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Reconciled as i32);
    let waited = closed.elapsed();

    // The first try of the hanging day is still waiting on KakaoPay.
    let row = tries(&w, &hanging).await.unwrap();
    assert_eq!(
        (row.status.as_str(), row.failed_attempts),
        ("PENDING", 0),
        "{row:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}
