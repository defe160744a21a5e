//! Daily reports (정산): the list of the store's closed days and one day's report, read from the
//! accounting service, plus the reports tab's script and style in the store web UI.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use contracts::accounting::v1 as pb;
use contracts::common::v1 as common;
use contracts::time::timestamp;
use domain::KST;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::security;
use crate::session::Staff;
use crate::state::{AppState, grpc_request};
use crate::store_api::dto::time;

const REPORTS_JS: &str = include_str!("../ui/reports.js");
const REPORTS_CSS: &str = include_str!("../ui/reports.css");

/// The period a list covers unless asked otherwise, ending today.
const DEFAULT_DAYS: i64 = 30;
/// The longest period one list may cover.
const MAX_DAYS: i64 = 366;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/store/reports", get(list_reports))
        .route("/api/store/reports/{day_business_id}", get(get_report))
        .layer(middleware::from_fn(security::no_store))
        .with_state(state)
        .route(
            "/ui/reports.js",
            get(|| async { asset("text/javascript; charset=utf-8", REPORTS_JS) }),
        )
        .route(
            "/ui/reports.css",
            get(|| async { asset("text/css; charset=utf-8", REPORTS_CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    // Like the rest of the UI: small unhashed files, revalidated so an upgrade shows at once.
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

// ---- JSON shapes ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatusName {
    /// Closed; the books are reconciled a few minutes after closing.
    Pending,
    /// Every source agrees.
    Reconciled,
    /// Reconciled, with discrepancies listed in the report.
    Discrepancies,
}

/// Counts and amounts of a day by our books; amounts are whole won.
#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    /// Paid orders: placed, ready or canceled.
    pub order_count: u32,
    pub placed_count: u32,
    pub ready_count: u32,
    pub canceled_count: u32,
    pub failed_count: u32,
    /// Every paid order's amount.
    pub gross: i64,
    /// Refunded by cancellation.
    pub canceled: i64,
    /// gross - canceled.
    pub net: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSummary {
    pub day_business_id: String,
    /// The business date in Korea, `YYYY-MM-DD`.
    pub business_date: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub status: ReportStatusName,
    /// Absent while pending.
    pub totals: Option<Totals>,
    pub discrepancy_count: u32,
    pub reconciled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// The period asked for (Korean dates, both inclusive).
    pub from: String,
    pub to: String,
    /// Most recent first.
    pub reports: Vec<ReportSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemSales {
    pub item_id: String,
    pub name: String,
    /// Units in net (placed or ready) orders.
    pub quantity: u32,
    pub amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HourSales {
    /// Hour of the day in Korea, 0–23.
    pub hour: u32,
    pub order_count: u32,
    /// Net won.
    pub amount: i64,
}

/// One disagreement between our orders, KakaoPay and the day stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discrepancy {
    pub order_id: Option<String>,
    /// `paid_but_not_ordered`, `canceled_here_only`, `canceled_at_kakaopay_only`,
    /// `amount_mismatch`, `missing_from_stream`, `stream_only`, `inquiry_failed`, `unsettled`
    /// or `other`.
    pub kind: String,
    /// Spelled out in Korean.
    pub description: String,
    /// Our order status (`placed`, `ready`, …), when the order is ours.
    pub our_status: Option<String>,
    /// KakaoPay's status, e.g. `CANCEL_PAYMENT`.
    pub kakaopay_status: Option<String>,
    pub our_amount: i64,
    pub kakaopay_amount: i64,
    pub tid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub summary: ReportSummary,
    /// Best sellers first.
    pub by_item: Vec<ItemSales>,
    /// Hours with sales, in order.
    pub by_hour: Vec<HourSales>,
    pub discrepancies: Vec<Discrepancy>,
    /// KakaoPay's own totals for the day.
    pub kakaopay_approved: i64,
    pub kakaopay_canceled: i64,
}

/// `?from=&to=` of a listing or an export.
#[derive(Debug, Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

fn summary(s: pb::ReportSummary) -> ReportSummary {
    let status = match pb::ReportStatus::try_from(s.status) {
        Ok(pb::ReportStatus::Reconciled) => ReportStatusName::Reconciled,
        Ok(pb::ReportStatus::Discrepancies) => ReportStatusName::Discrepancies,
        _ => ReportStatusName::Pending,
    };
    ReportSummary {
        day_business_id: s.day_business_id,
        business_date: s.business_date,
        opened_at: time(s.opened_at.as_ref()),
        closed_at: time(s.closed_at.as_ref()),
        status,
        totals: s.totals.map(|t| Totals {
            order_count: t.order_count,
            placed_count: t.placed_count,
            ready_count: t.ready_count,
            canceled_count: t.canceled_count,
            failed_count: t.failed_count,
            gross: t.gross,
            canceled: t.canceled,
            net: t.net,
        }),
        discrepancy_count: s.discrepancy_count,
        reconciled_at: time(s.reconciled_at.as_ref()),
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn discrepancy(d: pb::Discrepancy) -> Discrepancy {
    let kind = pb::DiscrepancyKind::try_from(d.kind)
        .unwrap_or(pb::DiscrepancyKind::Other)
        .as_str_name()
        .trim_start_matches("DISCREPANCY_KIND_")
        .to_ascii_lowercase();
    let our_status = common::OrderStatus::try_from(d.our_status)
        .ok()
        .filter(|s| *s != common::OrderStatus::Unspecified)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("ORDER_STATUS_")
                .to_ascii_lowercase()
        });
    Discrepancy {
        order_id: non_empty(d.order_id),
        kind,
        description: d.description,
        our_status,
        kakaopay_status: non_empty(d.kakaopay_status),
        our_amount: d.our_amount,
        kakaopay_amount: d.kakaopay_amount,
        tid: non_empty(d.tid),
    }
}

// ---- the period -------------------------------------------------------------------------------

fn date(value: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request("날짜는 2024-05-01처럼 YYYY-MM-DD 형식으로 입력해 주세요.")
        }),
    }
}

/// Midnight in Korea at the start of `day`.
pub fn kst_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(KST).single())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// The Korean dates asked for, both inclusive: by default the last 30 days up to today.
fn period(query: &Period, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = date(query.to.as_deref(), today)?;
    let from = date(query.from.as_deref(), to - Duration::days(DEFAULT_DAYS - 1))?;
    if from > to {
        return Err(ApiError::bad_request(
            "시작일이 종료일보다 늦습니다. 기간을 다시 골라 주세요.",
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::bad_request(
            "한 번에 366일까지 조회할 수 있습니다. 기간을 줄여 주세요.",
        ));
    }
    Ok((from, to))
}

/// The period a request asks for (see [`period`]), ending today in Korea by default.
pub fn asked_period(
    query: Result<Query<Period>, QueryRejection>,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::bad_request("조회 기간이 올바르지 않습니다. 날짜를 다시 골라 주세요.")
    })?;
    let today = Utc::now().with_timezone(&KST).date_naive();
    period(&query, today)
}

// ---- handlers ---------------------------------------------------------------------------------

/// The store's daily reports for days closed in a period (Korean dates, both inclusive; by
/// default the last 30 days), most recent first.
#[utoipa::path(
    get, path = "/api/store/reports", tag = "reports",
    params(
        ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD` (Korea); default 29 days before `to`"),
        ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (Korea); default today"),
    ),
    responses(
        (status = 200, body = ReportList),
        (status = 400, body = ErrorBody, description = "A malformed date, `from` after `to`, or more than 366 days"),
        (status = 401, body = ErrorBody),
    )
)]
pub async fn list_reports(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<Period>, QueryRejection>,
) -> Result<axum::Json<ReportList>, ApiError> {
    let (from, to) = asked_period(query)?;
    let request = grpc_request(pb::ListReportsRequest {
        store_id: staff.store_id().to_owned(),
        from: Some(timestamp(kst_midnight(from))),
        to: Some(timestamp(kst_midnight(to + Duration::days(1)))),
        limit: 0,
    });
    let reports = state
        .accounting
        .clone()
        .list_reports(request)
        .await?
        .into_inner()
        .reports;
    Ok(axum::Json(ReportList {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        reports: reports.into_iter().map(summary).collect(),
    }))
}

/// One day's report: totals, sales by item and by hour, KakaoPay's totals and every
/// discrepancy. 404 for a day that is another store's, unknown, or not reconciled yet.
#[utoipa::path(
    get, path = "/api/store/reports/{day_business_id}", tag = "reports",
    params(("day_business_id" = String, Path, description = "Business day id")),
    responses(
        (status = 200, body = Report),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn get_report(
    State(state): State<AppState>,
    staff: Staff,
    Path(day_business_id): Path<String>,
) -> Result<axum::Json<Report>, ApiError> {
    let day_id = Uuid::parse_str(&day_business_id).map_err(|_| ApiError::not_found())?;
    let request = grpc_request(pb::GetReportRequest {
        store_id: staff.store_id().to_owned(),
        day_business_id: day_id.to_string(),
    });
    let report = state
        .accounting
        .clone()
        .get_report(request)
        .await?
        .into_inner()
        .report
        .ok_or_else(ApiError::not_found)?;
    let summary = report.summary.map(summary).ok_or_else(ApiError::internal)?;
    Ok(axum::Json(Report {
        summary,
        by_item: report
            .by_item
            .into_iter()
            .map(|i| ItemSales {
                item_id: i.item_id,
                name: i.name,
                quantity: i.quantity,
                amount: i.amount,
            })
            .collect(),
        by_hour: report
            .by_hour
            .into_iter()
            .map(|h| HourSales {
                hour: h.hour,
                order_count: h.order_count,
                amount: h.amount,
            })
            .collect(),
        discrepancies: report.discrepancies.into_iter().map(discrepancy).collect(),
        kakaopay_approved: report.kakaopay_approved,
        kakaopay_canceled: report.kakaopay_canceled,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(from: Option<&str>, to: Option<&str>) -> Result<(NaiveDate, NaiveDate), ApiError> {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        period(
            &Period {
                from: from.map(str::to_owned),
                to: to.map(str::to_owned),
            },
            today,
        )
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_period_defaults_to_the_last_30_days_and_refuses_nonsense() {
        assert_eq!(ask(None, None).unwrap(), (d("2026-02-14"), d("2026-03-15")));
        assert_eq!(
            ask(Some("2026-03-01"), Some("2026-03-01")).unwrap(),
            (d("2026-03-01"), d("2026-03-01"))
        );
        assert_eq!(ask(None, Some("2026-01-31")).unwrap().0, d("2026-01-02"));
        for (from, to) in [
            (Some("2026-3-1x"), None),
            (Some("2026-03-10"), Some("2026-03-09")),
            (Some("2025-01-01"), Some("2026-03-01")),
        ] {
            let error = ask(from, to).unwrap_err();
            assert_eq!(error.status, axum::http::StatusCode::BAD_REQUEST);
            assert!(error.body.message.contains('.'), "{}", error.body.message);
        }
    }

    #[test]
    fn korean_midnight_is_fifteen_hundred_utc_the_day_before() {
        assert_eq!(
            kst_midnight(d("2026-03-01")).to_rfc3339(),
            "2026-02-28T15:00:00+00:00"
        );
    }
}
