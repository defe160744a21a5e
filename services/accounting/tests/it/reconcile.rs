//! Closing a day end to end: the store closes (refusing while an order is open), the
//! `business_day.closed` event reaches accounting through the outbox, and after the settle delay
//! the day is reconciled against real KakaoPay payments in the sandbox and the day stream, which
//! moves into Postgres. Reruns and redeliveries change nothing; planted disagreements are
//! reported.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{Entries, Line, NewOrder, World, quick, total};
use contracts::accounting::v1 as pb;
use contracts::store::v1 as store_pb;
use platform::Service;
use tonic::Code;
use uuid::Uuid;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("time")
        .with_timezone(&Utc)
}

async fn report(w: &World, shop: &common::Shop) -> pb::Report {
    w.accounting()
        .get_report(pb::GetReportRequest {
            store_id: shop.store_id.to_string(),
            day_business_id: shop.day_id.to_string(),
        })
        .await
        .expect("report")
        .into_inner()
        .report
        .expect("a report")
}

async fn reconcile_again(w: &World, shop: &common::Shop) -> pb::ReconcileDayResponse {
    w.accounting()
        .reconcile_day(pb::ReconcileDayRequest {
            store_id: shop.store_id.to_string(),
            day_business_id: shop.day_id.to_string(),
        })
        .await
        .expect("reconcile")
        .into_inner()
}

/// (order id, discrepancy) of every accounting_order row of the day.
async fn order_rows(
    w: &World,
    day_id: Uuid,
) -> HashMap<Uuid, (Option<String>, bool, Option<String>)> {
    let rows: Vec<(Uuid, Option<String>, bool, Option<String>)> = sqlx::query_as(
        "SELECT order_id, status_kakaopay, in_stream, discrepancy FROM accounting_order \
         WHERE day_business_id = $1",
    )
    .bind(day_id)
    .fetch_all(w.pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, kakaopay, in_stream, discrepancy)| (id, (kakaopay, in_stream, discrepancy)))
        .collect()
}

/// The day the end-to-end tests start from, paid in the sandbox as its orders say: at 09:10 and
/// 12:30 in Korea, two orders made ready, one canceled after payment, and one never paid (the
/// customer gave up on the payment page).
struct SampleDay {
    americano: Uuid,
    cake: Uuid,
    nine: DateTime<Utc>,
    noon: DateTime<Utc>,
    /// Ready at 09:10, ready at 12:30, canceled, failed.
    orders: [Uuid; 4],
}

async fn sample_day(w: &World, shop: &common::Shop) -> SampleDay {
    let (americano, latte, cake) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (nine, noon) = (at("2026-03-02T00:10:00Z"), at("2026-03-02T03:30:00Z"));
    let a = vec![Line::new(americano, "아메리카노", 4_500, 2).with_option("샷 추가", 500)];
    let b = vec![
        Line::new(latte, "카페라떼", 5_000, 1),
        Line::new(cake, "치즈케이크", 6_500, 1),
    ];
    let c = vec![Line::new(latte, "카페라떼", 5_000, 2)];
    let d = vec![Line::new(cake, "치즈케이크", 6_500, 1)];
    let s = &w.sandbox;
    let tid_a = s.paid(total(&a)).await.unwrap();
    let tid_b = s.paid(total(&b)).await.unwrap();
    let tid_c = s.paid(total(&c)).await.unwrap();
    s.cancel(&tid_c, total(&c)).await.unwrap();
    let tid_d = s.abandoned(total(&d)).await.unwrap();
    let mut orders = [Uuid::nil(); 4];
    let new = [
        NewOrder::new("READY", &tid_a, nine, a),
        NewOrder::new("READY", &tid_b, noon, b),
        NewOrder::new("CANCELED", &tid_c, nine, c),
        NewOrder::new("FAILED", &tid_d, noon, d),
    ];
    for (id, order) in orders.iter_mut().zip(&new) {
        *id = w.order(shop, order).await.unwrap();
    }
    SampleDay {
        americano,
        cake,
        nine,
        noon,
        orders,
    }
}

#[tokio::test]
async fn a_day_of_every_kind_of_order_reconciles_to_exact_totals_and_moves_to_postgres() {
    let w = World::start(quick()).await.unwrap();
    let shop = w.open_shop("정산 카페", "books").await.unwrap();
    let day = sample_day(&w, &shop).await;
    let [ready_a, ready_b, canceled_c, failed_d] = day.orders;
    let e = vec![Line::new(day.americano, "아메리카노", 4_500, 1)];
    let f = vec![Line::new(day.cake, "치즈케이크", 3_000, 1)];
    let s = &w.sandbox;
    let tid_e = s.paid(total(&e)).await.unwrap();
    // Paid, then approval failed here and the charge was returned.
    let tid_f = s.paid(total(&f)).await.unwrap();
    s.cancel(&tid_f, total(&f)).await.unwrap();
    let placed_e = w
        .order(&shop, &NewOrder::new("PLACED", &tid_e, day.noon, e))
        .await
        .unwrap();
    let failed_f = w
        .order(&shop, &NewOrder::new("FAILED", &tid_f, day.nine, f))
        .await
        .unwrap();
    w.wait_stream(&shop, 7).await.unwrap();

    // The placed order keeps the day open, and the refusal names it.
    let store_id = shop.store_id.to_string();
    w.transition(&store_id, store_pb::DayAction::StartClosing)
        .await
        .unwrap();
    let refusal = w
        .transition(&store_id, store_pb::DayAction::Close)
        .await
        .unwrap()
        .refusal
        .expect("refused while an order is open");
    assert_eq!(refusal.reason, store_pb::RefusalReason::OpenOrders as i32);
    assert_eq!(refusal.open_order_ids, vec![placed_e.to_string()]);

    w.mark_ready(&shop, placed_e).await.unwrap();
    w.wait_stream(&shop, 8).await.unwrap();
    let stream_ids = w.stream_ids(&shop).await;
    let closed = w
        .transition(&store_id, store_pb::DayAction::Close)
        .await
        .unwrap();
    assert!(closed.refusal.is_none(), "{:?}", closed.refusal);

    let summary = w.reconciled(&shop).await.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Reconciled as i32);
    assert_eq!(summary.discrepancy_count, 0);
    let totals = summary.totals.unwrap();
    let gross = 10_000 + 11_500 + 10_000 + 4_500;
    assert_eq!(
        (
            totals.order_count,
            totals.placed_count,
            totals.ready_count,
            totals.canceled_count,
            totals.failed_count
        ),
        (4, 0, 3, 1, 2)
    );
    assert_eq!(
        (totals.gross, totals.canceled, totals.net),
        (gross, 10_000, gross - 10_000)
    );
    // The store's own closing summary says the same.
    let store_sums = closed
        .day
        .as_ref()
        .and_then(|day| day.summary.as_ref())
        .expect("the closed day's summary");
    assert_eq!(
        (store_sums.gross, store_sums.net),
        (totals.gross, totals.net)
    );

    let report = report(&w, &shop).await;
    let items: Vec<(&str, u32, i64)> = report
        .by_item
        .iter()
        .map(|i| (i.name.as_str(), i.quantity, i.amount))
        .collect();
    assert_eq!(
        items,
        vec![
            ("아메리카노", 3, 14_500),
            ("치즈케이크", 1, 6_500),
            ("카페라떼", 1, 5_000)
        ]
    );
    let hours: Vec<(u32, u32, i64)> = report
        .by_hour
        .iter()
        .map(|h| (h.hour, h.order_count, h.amount))
        .collect();
    assert_eq!(hours, vec![(9, 1, 10_000), (12, 2, 16_000)]);
    assert_eq!(report.kakaopay_approved, gross + 3_000);
    assert_eq!(report.kakaopay_canceled, 10_000 + 3_000);
    assert!(report.discrepancies.is_empty());

    let rows = order_rows(&w, shop.day_id).await;
    assert_eq!(rows.len(), 6);
    assert!(
        rows.values()
            .all(|(_, _, discrepancy)| discrepancy.is_none()),
        "{rows:?}"
    );
    for id in [ready_a, ready_b, placed_e] {
        assert_eq!(rows[&id].0.as_deref(), Some("SUCCESS_PAYMENT"));
    }
    assert_eq!(rows[&canceled_c].0.as_deref(), Some("CANCEL_PAYMENT"));
    assert_eq!(rows[&failed_f].0.as_deref(), Some("CANCEL_PAYMENT"));
    assert_ne!(rows[&failed_d].0.as_deref(), Some("SUCCESS_PAYMENT"));
    assert_eq!(
        [ready_a, ready_b, canceled_c, placed_e, failed_d, failed_f].map(|id| rows[&id].1),
        [true, true, true, true, false, false]
    );

    // The stream and its dedupe keys are gone; its entries are in order_history, one row each.
    assert!(!w.exists(&w.stream(&shop)).await);
    for id in [ready_a, ready_b, canceled_c, placed_e] {
        assert!(!w.exists(&w.dedupe_key(id)).await, "dedupe key of {id}");
    }
    let archived: Vec<(String, String, Option<Uuid>)> = sqlx::query_as(
        "SELECT stream_id, event_type, order_id FROM order_history WHERE day_business_id = $1",
    )
    .bind(shop.day_id)
    .fetch_all(w.pool())
    .await
    .unwrap();
    let mut archived_ids: Vec<String> = archived.iter().map(|r| r.0.clone()).collect();
    archived_ids.sort_by_key(|id| {
        let (ms, seq) = id.split_once('-').unwrap();
        (ms.parse::<u64>().unwrap(), seq.parse::<u64>().unwrap())
    });
    assert_eq!(archived_ids, stream_ids);
    let kinds = |kind: &str| archived.iter().filter(|r| r.1 == kind).count();
    assert_eq!(
        (kinds("placed"), kinds("ready"), kinds("canceled")),
        (4, 3, 1)
    );
    let payload: serde_json::Value = sqlx::query_scalar(
        "SELECT payload FROM order_history WHERE order_id = $1 AND event_type = 'placed'",
    )
    .bind(ready_a)
    .fetch_one(w.pool())
    .await
    .unwrap();
    assert_eq!(payload["total"], 10_000);
    assert_eq!(payload["lines"][0]["options"][0]["name"], "샷 추가");

    // The event was handled once, and both a redelivery and an operator's rerun change nothing.
    let processed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounting.processed_event WHERE consumer = 'accounting'",
    )
    .fetch_one(w.pool())
    .await
    .unwrap();
    assert_eq!(processed, 1);
    let before = w.snapshot(shop.day_id).await;
    assert!(before.len() > 8, "{before:?}");
    let again = reconcile_again(&w, &shop).await;
    assert!(!again.changed);
    assert_eq!(again.summary.unwrap(), summary);
    redeliver_closed_event(&w).await;
    assert_eq!(w.snapshot(shop.day_id).await, before);
}

/// Puts the day's `business_day.closed` on `x:accounting` again, as a second copy a relay might
/// publish, and waits until the consumer group has read and acknowledged it.
async fn redeliver_closed_event(w: &World) {
    let stream = w.keys.key("x:accounting");
    let mut conn = w.redis.conn.clone();
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(&stream)
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    let entry = reply.ids.into_iter().next().expect("the closed event");
    let mut add = redis::cmd("XADD");
    add.arg(&stream).arg("*");
    for (name, value) in &entry.map {
        add.arg(name)
            .arg(redis::from_redis_value_ref::<Vec<u8>>(value).unwrap());
    }
    let copy: String = add.query_async(&mut conn).await.unwrap();
    testkit::eventually(Duration::from_secs(10), || {
        let mut conn = conn.clone();
        let stream = stream.clone();
        let copy = copy.clone();
        async move {
            let groups: Vec<HashMap<String, redis::Value>> = redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(&stream)
                .query_async(&mut conn)
                .await
                .ok()?;
            let group = groups.into_iter().find(|g| {
                g.get("name")
                    .and_then(|n| redis::from_redis_value_ref::<String>(n).ok())
                    .as_deref()
                    == Some("accounting")
            })?;
            let delivered: String =
                redis::from_redis_value_ref(group.get("last-delivered-id")?).ok()?;
            let pending: i64 = redis::from_redis_value_ref(group.get("pending")?).ok()?;
            (delivered == copy && pending == 0).then_some(())
        }
    })
    .await
    .expect("the copy was consumed and acknowledged");
}

#[tokio::test]
async fn planted_discrepancies_are_reported_not_hidden() {
    let w = World::start(quick()).await.unwrap();
    let shop = w.open_shop("불일치 카페", "planted").await.unwrap();
    let item = Uuid::now_v7();
    let noon = at("2026-03-02T03:30:00Z");
    let one = |price| vec![Line::new(item, "아메리카노", price, 1)];
    let s = &w.sandbox;

    // The sandbox says canceled, the database says READY.
    let tid_g = s.paid(8_000).await.unwrap();
    let ready_g = w
        .order(&shop, &NewOrder::new("READY", &tid_g, noon, one(8_000)))
        .await
        .unwrap();
    s.cancel(&tid_g, 8_000).await.unwrap();
    assert_eq!(s.status(&tid_g).await.unwrap(), "CANCEL_PAYMENT");
    // Paid at KakaoPay, FAILED here, never refunded.
    let tid_h = s.paid(4_000).await.unwrap();
    let failed_h = w
        .order(&shop, &NewOrder::new("FAILED", &tid_h, noon, one(4_000)))
        .await
        .unwrap();
    // READY, but the stream never got its ready entry.
    let tid_i = s.paid(5_000).await.unwrap();
    let mut order_i = NewOrder::new("READY", &tid_i, noon, one(5_000));
    order_i.stream = Entries {
        placed: true,
        finished: false,
    };
    let ready_i = w.order(&shop, &order_i).await.unwrap();
    // Canceled here, still charged at KakaoPay.
    let tid_j = s.paid(6_000).await.unwrap();
    let canceled_j = w
        .order(&shop, &NewOrder::new("CANCELED", &tid_j, noon, one(6_000)))
        .await
        .unwrap();
    // And one that is fine.
    let tid_k = s.paid(3_000).await.unwrap();
    let fine_k = w
        .order(&shop, &NewOrder::new("READY", &tid_k, noon, one(3_000)))
        .await
        .unwrap();
    w.wait_stream(&shop, 2 + 1 + 2 + 2).await.unwrap();
    w.close(&shop).await.unwrap();

    let summary = w.reconciled(&shop).await.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Discrepancies as i32);
    assert_eq!(summary.discrepancy_count, 4);
    // Our books are reported as they are, not silently corrected.
    let totals = summary.totals.unwrap();
    assert_eq!(
        (totals.gross, totals.canceled, totals.net),
        (8_000 + 5_000 + 6_000 + 3_000, 6_000, 16_000)
    );

    let report = report(&w, &shop).await;
    let found: HashMap<String, &pb::Discrepancy> = report
        .discrepancies
        .iter()
        .map(|d| (d.order_id.clone(), d))
        .collect();
    let g = found[&ready_g.to_string()];
    assert_eq!(g.kind, pb::DiscrepancyKind::CanceledAtKakaopayOnly as i32);
    assert_eq!(g.kakaopay_status, "CANCEL_PAYMENT");
    assert_eq!(g.our_status, contracts::OrderStatus::Ready as i32);
    assert_eq!(
        (g.our_amount, g.kakaopay_amount, g.tid.as_str()),
        (8_000, 8_000, tid_g.as_str())
    );
    assert!(
        g.description.contains("카카오페이에서는 취소") && g.description.contains("준비 완료"),
        "{}",
        g.description
    );
    let h = found[&failed_h.to_string()];
    assert_eq!(h.kind, pb::DiscrepancyKind::PaidButNotOrdered as i32);
    assert!(
        h.description.contains("환불이 필요합니다"),
        "{}",
        h.description
    );
    let i = found[&ready_i.to_string()];
    assert_eq!(i.kind, pb::DiscrepancyKind::MissingFromStream as i32);
    assert!(
        i.description.contains("완료 기록이 없습니다"),
        "{}",
        i.description
    );
    let j = found[&canceled_j.to_string()];
    assert_eq!(j.kind, pb::DiscrepancyKind::CanceledHereOnly as i32);
    assert!(!found.contains_key(&fine_k.to_string()));
    assert_eq!(report.kakaopay_canceled, 8_000);

    let rows = order_rows(&w, shop.day_id).await;
    let line = rows[&ready_g].2.clone().expect("kept on the order row");
    assert!(line.starts_with("CANCELED_AT_KAKAOPAY_ONLY: "), "{line}");
    assert!(
        line.contains("canceled at KakaoPay (CANCEL_PAYMENT, 8000 KRW) but READY here"),
        "{line}"
    );
    assert!(rows[&fine_k].2.is_none());
    let stored: i32 = sqlx::query_scalar(
        "SELECT jsonb_array_length(discrepancies) FROM accounting_day_business \
         WHERE day_business_id = $1 AND status = 'DISCREPANCY'",
    )
    .bind(shop.day_id)
    .fetch_one(w.pool())
    .await
    .unwrap();
    assert_eq!(stored, 4);

    let before = w.snapshot(shop.day_id).await;
    assert!(!reconcile_again(&w, &shop).await.changed);
    assert_eq!(w.snapshot(shop.day_id).await, before);
}

#[tokio::test]
async fn a_closed_day_waits_the_settle_delay_and_an_operator_can_reconcile_it_now() {
    let w = World::start(accounting::AccountingSettings {
        settle_delay: Duration::from_secs(3600),
        ..common::quick()
    })
    .await
    .unwrap();
    let shop = w.open_shop("대기 카페", "waiting").await.unwrap();
    let other = w.open_shop("옆 가게", "neighbour").await.unwrap();
    let tid = w.sandbox.paid(4_500).await.unwrap();
    let lines = vec![Line::new(Uuid::now_v7(), "아메리카노", 4_500, 1)];
    w.order(&shop, &NewOrder::new("READY", &tid, Utc::now(), lines))
        .await
        .unwrap();
    w.wait_stream(&shop, 2).await.unwrap();

    let mut client = w.accounting();
    let ask = |store: &common::Shop, day: &common::Shop| pb::ReconcileDayRequest {
        store_id: store.store_id.to_string(),
        day_business_id: day.day_id.to_string(),
    };
    let open = client.reconcile_day(ask(&shop, &shop)).await.unwrap_err();
    assert_eq!(open.code(), Code::FailedPrecondition);
    assert!(open.message().contains("마감"), "{}", open.message());

    w.close(&shop).await.unwrap();
    // Scheduled, but PENDING for the settle delay: no numbers, no report yet.
    let pending = testkit::eventually(Duration::from_secs(10), || async {
        let reports = w
            .accounting()
            .list_reports(pb::ListReportsRequest {
                store_id: shop.store_id.to_string(),
                ..Default::default()
            })
            .await
            .ok()?
            .into_inner()
            .reports;
        reports.into_iter().next()
    })
    .await
    .unwrap();
    assert_eq!(pending.status, pb::ReportStatus::Pending as i32);
    assert_eq!(pending.totals, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        w.exists(&w.stream(&shop)).await,
        "nothing archived before the delay"
    );
    let err = client
        .get_report(pb::GetReportRequest {
            store_id: shop.store_id.to_string(),
            day_business_id: shop.day_id.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Another store cannot reconcile or read this day.
    let err = client.reconcile_day(ask(&other, &shop)).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .reconcile_day(pb::ReconcileDayRequest {
            store_id: shop.store_id.to_string(),
            day_business_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .reconcile_day(pb::ReconcileDayRequest {
            store_id: "가게".into(),
            day_business_id: shop.day_id.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);

    let done = client
        .reconcile_day(ask(&shop, &shop))
        .await
        .unwrap()
        .into_inner();
    assert!(done.changed);
    let summary = done.summary.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Reconciled as i32);
    assert_eq!(summary.totals.unwrap().net, 4_500);
    assert!(!w.exists(&w.stream(&shop)).await);
    let err = client
        .get_report(pb::GetReportRequest {
            store_id: other.store_id.to_string(),
            day_business_id: shop.day_id.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    let in_range = |from: i64, to: i64| pb::ListReportsRequest {
        store_id: shop.store_id.to_string(),
        from: Some(prost_types::Timestamp {
            seconds: Utc::now().timestamp() + from,
            nanos: 0,
        }),
        to: Some(prost_types::Timestamp {
            seconds: Utc::now().timestamp() + to,
            nanos: 0,
        }),
        limit: 0,
    };
    let listed = client
        .list_reports(in_range(-600, 600))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.reports.len(), 1);
    let listed = client
        .list_reports(in_range(600, 1200))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.reports.is_empty());
    let err = client.list_reports(in_range(600, -600)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_day_is_reconciled_and_reported_by_an_accounting_that_cannot_read_the_order_tables() {
    let w = World::start(quick()).await.unwrap();
    let role = Service::Accounting.database_role().unwrap();
    let url = testkit::url_as(&w.db.url, role).unwrap();
    let as_accounting = sqlx::PgPool::connect(&url).await.unwrap();
    for table in ["customer_order", "order_item", "order_payment"] {
        let refused = sqlx::query(&format!("SELECT 1 FROM ordering.{table} LIMIT 1"))
            .fetch_optional(&as_accounting)
            .await
            .expect_err(table);
        assert!(
            refused.to_string().contains("permission denied"),
            "{table}: {refused}"
        );
    }
    as_accounting.close().await;

    let shop = w.open_shop("분리 카페", "confined").await.unwrap();
    let day = sample_day(&w, &shop).await;
    // The same item, renamed by noon: the report names it as last sold.
    let e = vec![Line::new(day.americano, "아이스 아메리카노", 4_500, 1)];
    let tid_e = w.sandbox.paid(total(&e)).await.unwrap();
    w.order(&shop, &NewOrder::new("READY", &tid_e, day.noon, e))
        .await
        .unwrap();
    w.wait_stream(&shop, 8).await.unwrap();
    w.close(&shop).await.unwrap();

    let summary = w.reconciled(&shop).await.unwrap();
    assert_eq!(summary.status, pb::ReportStatus::Reconciled as i32);
    let totals = summary.totals.unwrap();
    let gross = 10_000 + 11_500 + 10_000 + 4_500;
    assert_eq!(
        (
            totals.order_count,
            totals.placed_count,
            totals.ready_count,
            totals.canceled_count,
            totals.failed_count
        ),
        (4, 0, 3, 1, 1)
    );
    assert_eq!(
        (totals.gross, totals.canceled, totals.net),
        (gross, 10_000, gross - 10_000)
    );

    let report = report(&w, &shop).await;
    let items: Vec<(&str, u32, i64)> = report
        .by_item
        .iter()
        .map(|i| (i.name.as_str(), i.quantity, i.amount))
        .collect();
    assert_eq!(
        items,
        vec![
            ("아이스 아메리카노", 3, 14_500),
            ("치즈케이크", 1, 6_500),
            ("카페라떼", 1, 5_000)
        ]
    );
    let hours: Vec<(u32, u32, i64)> = report
        .by_hour
        .iter()
        .map(|h| (h.hour, h.order_count, h.amount))
        .collect();
    assert_eq!(hours, vec![(9, 1, 10_000), (12, 2, 16_000)]);
    assert_eq!(
        (report.kakaopay_approved, report.kakaopay_canceled),
        (gross, 10_000)
    );
    assert!(report.discrepancies.is_empty());

    // A rerun finds the same books.
    let before = w.snapshot(shop.day_id).await;
    assert!(!reconcile_again(&w, &shop).await.changed);
    assert_eq!(w.snapshot(shop.day_id).await, before);
}
