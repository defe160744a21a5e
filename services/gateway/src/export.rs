//! The reports page's CSV export: a period's order lines (`orders.csv`) and its daily totals
//! (`days.csv`), for a spreadsheet or the store's accountant. The days are those the reports
//! list shows for the same period (closed in it), oldest first.
//!
//! The files are UTF-8 with a byte order mark, without which Excel reads Korean as mojibake;
//! records end in CRLF and are quoted as RFC 4180 says; amounts are whole won without
//! separators, so a spreadsheet sums them; times are Korean, `YYYY-MM-DD HH:MM:SS`. Orders come
//! from the order service a page at a time and go out as they come, so a year of orders never
//! sits in memory; the first page is read before answering, so a failure then is still an error
//! answer.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate};
use contracts::accounting::v1 as acc;
use contracts::common::v1 as common;
use contracts::order::v1 as pb;
use contracts::order::v1::order_service_client::OrderServiceClient;
use contracts::time::timestamp;
use domain::{KST, OrderStatus};
use futures::stream::{self, StreamExt};

use crate::error::{ApiError, ErrorBody};
use crate::reports::{Period, asked_period, kst_midnight};
use crate::security;
use crate::session::Staff;
use crate::state::{AppState, grpc_request};
use crate::store_api::dto::time;

/// Orders asked of the order service per call, each page written out as one chunk.
const PAGE_SIZE: u32 = 500;
/// Reports asked of the accounting service per call (the most it returns).
const REPORTS_PAGE: u32 = 400;
const BOM: &str = "\u{feff}";

const ORDER_COLUMNS: [&str; 17] = [
    "영업일",
    "주문번호",
    "닉네임",
    "상태",
    "결제 시각",
    "접수 시각",
    "약속 시각",
    "완료 시각",
    "취소 시각",
    "메뉴",
    "옵션",
    "수량",
    "단가",
    "금액",
    "순매출",
    "취소 사유",
    "주문 ID",
];

const DAY_COLUMNS: [&str; 12] = [
    "영업일",
    "개점 시각",
    "마감 시각",
    "정산 상태",
    "주문 수",
    "완료 수",
    "취소 수",
    "실패 수",
    "총매출",
    "취소 금액",
    "순매출",
    "불일치 건수",
];

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/store/export/orders.csv", get(orders_csv))
        .route("/api/store/export/days.csv", get(days_csv))
        .layer(middleware::from_fn(security::no_store))
        .with_state(state)
}

// ---- handlers ---------------------------------------------------------------------------------

/// The period's orders as CSV, one row per order line: business date, order number (as on the
/// ticket), nickname, state, paid/accepted/promised/ready/canceled times (Korea), item, options,
/// quantity, unit price, amount, the amount counted in net sales (0 when canceled), the cancel
/// reason and the order's full id. Paid
/// orders (결제 후 접수 대기, 준비 중, 준비 완료, 취소됨) of the days closed in the period
/// (Korean dates, both inclusive; by default the last 30 days), oldest first. UTF-8 with BOM.
#[utoipa::path(
    get, path = "/api/store/export/orders.csv", tag = "reports",
    params(
        ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD` (Korea); default 29 days before `to`"),
        ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (Korea); default today"),
    ),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "`text/csv; charset=utf-8`, sent as an attachment"),
        (status = 400, body = ErrorBody, description = "A malformed date, `from` after `to`, or more than 366 days"),
        (status = 401, body = ErrorBody),
    )
)]
pub async fn orders_csv(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<Period>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (from, to) = asked_period(query)?;
    let days = closed_days(&state, staff.store_id(), from, to).await?;
    let mut listing = Listing::new(state.order.clone(), staff.store_id(), &days);
    let first = listing.next().await?.unwrap_or_default();
    let mut head = BOM.as_bytes().to_vec();
    head.extend(encode([ORDER_COLUMNS.map(str::to_owned).to_vec()]).map_err(csv_failed)?);
    head.extend(first);
    let rest = stream::try_unfold(listing, |mut listing| async move {
        match listing.next().await {
            Ok(chunk) => Ok(chunk.map(|chunk| (chunk, listing))),
            Err(status) => {
                // The answer is under way: all that is left is to cut it short.
                tracing::warn!(grpc_code = ?status.code(), grpc_message = status.message(), "order export cut short");
                Err(std::io::Error::other(status.message().to_owned()))
            }
        }
    });
    let body = Body::from_stream(stream::once(async { Ok(head) }).chain(rest));
    download("orders", from, to, body)
}

/// The period's daily totals as CSV, one row per day closed in it (Korean dates, both
/// inclusive; by default the last 30 days), oldest first: the figures of the daily reports
/// (paid orders, ready, canceled, failed, gross, canceled and net won, discrepancies); a day
/// still being reconciled has its state and times only. UTF-8 with BOM.
#[utoipa::path(
    get, path = "/api/store/export/days.csv", tag = "reports",
    params(
        ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD` (Korea); default 29 days before `to`"),
        ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (Korea); default today"),
    ),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "`text/csv; charset=utf-8`, sent as an attachment"),
        (status = 400, body = ErrorBody, description = "A malformed date, `from` after `to`, or more than 366 days"),
        (status = 401, body = ErrorBody),
    )
)]
pub async fn days_csv(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<Period>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (from, to) = asked_period(query)?;
    let days = closed_days(&state, staff.store_id(), from, to).await?;
    let header = DAY_COLUMNS.map(str::to_owned).to_vec();
    let rows = std::iter::once(header).chain(days.iter().map(day_row));
    let mut file = BOM.as_bytes().to_vec();
    file.extend(encode(rows).map_err(csv_failed)?);
    download("days", from, to, Body::from(file))
}

fn csv_failed(e: csv::Error) -> ApiError {
    tracing::error!(error = %e, "writing CSV");
    ApiError::internal()
}

fn download(name: &str, from: NaiveDate, to: NaiveDate, body: Body) -> Result<Response, ApiError> {
    let disposition = format!("attachment; filename=\"{name}_{from}_{to}.csv\"");
    let disposition = HeaderValue::try_from(disposition).map_err(|_| ApiError::internal())?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

// ---- the data -----------------------------------------------------------------------------

/// The store's days closed in the period, oldest first.
async fn closed_days(
    state: &AppState,
    store_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<acc::ReportSummary>, ApiError> {
    let start = timestamp(kst_midnight(from));
    let mut end = timestamp(kst_midnight(to + Duration::days(1)));
    let mut days = Vec::new();
    loop {
        let page = state
            .accounting
            .clone()
            .list_reports(grpc_request(acc::ListReportsRequest {
                store_id: store_id.to_owned(),
                from: Some(start),
                to: Some(end),
                limit: REPORTS_PAGE,
            }))
            .await?
            .into_inner()
            .reports;
        // Most recent first: a full page goes on with the days closed before its oldest.
        let oldest = page
            .last()
            .filter(|_| page.len() >= REPORTS_PAGE as usize)
            .and_then(|day| day.closed_at);
        days.extend(page);
        match oldest {
            Some(closed_at) => end = closed_at,
            None => break,
        }
    }
    days.reverse();
    Ok(days)
}

/// The paid orders of some days, a page at a time, as CSV rows.
struct Listing {
    order: OrderServiceClient<platform::grpc::Client>,
    store_id: String,
    day_ids: Vec<String>,
    /// Business date of each day id.
    dates: HashMap<String, String>,
    /// The next page's token; `None` once the last page was read.
    token: Option<String>,
}

impl Listing {
    fn new(
        order: OrderServiceClient<platform::grpc::Client>,
        store_id: &str,
        days: &[acc::ReportSummary],
    ) -> Listing {
        Listing {
            order,
            store_id: store_id.to_owned(),
            day_ids: days.iter().map(|d| d.day_business_id.clone()).collect(),
            dates: days
                .iter()
                .map(|d| (d.day_business_id.clone(), d.business_date.clone()))
                .collect(),
            token: (!days.is_empty()).then(String::new),
        }
    }

    /// The next page's rows, or `None` after the last page.
    async fn next(&mut self) -> Result<Option<Vec<u8>>, tonic::Status> {
        let Some(token) = self.token.take() else {
            return Ok(None);
        };
        let page = self
            .order
            .list_store_orders(grpc_request(pb::ListStoreOrdersRequest {
                store_id: self.store_id.clone(),
                day_business_ids: self.day_ids.clone(),
                page_size: PAGE_SIZE,
                page_token: token,
            }))
            .await?
            .into_inner();
        self.token = Some(page.next_page_token).filter(|t| !t.is_empty());
        let rows = page.orders.iter().flat_map(|order| {
            let date = self
                .dates
                .get(&order.day_business_id)
                .map_or("", String::as_str);
            order_rows(order, date)
        });
        encode(rows)
            .map(Some)
            .map_err(|e| tonic::Status::internal(format!("writing CSV: {e}")))
    }
}

// ---- rows ---------------------------------------------------------------------------------

fn encode(rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

/// A spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return)
/// as a formula. Names and reasons typed by customers and staff stay text behind an apostrophe,
/// as OWASP's advice on CSV injection has it.
fn text(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

fn kst(at: Option<&prost_types::Timestamp>) -> String {
    time(at)
        .map(|t| {
            t.with_timezone(&KST)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn status(code: i32) -> Option<OrderStatus> {
    match common::OrderStatus::try_from(code).ok()? {
        common::OrderStatus::Approving => Some(OrderStatus::Approving),
        common::OrderStatus::Placed => Some(OrderStatus::Placed),
        common::OrderStatus::Accepted => Some(OrderStatus::Accepted),
        common::OrderStatus::Ready => Some(OrderStatus::Ready),
        common::OrderStatus::Canceled => Some(OrderStatus::Canceled),
        common::OrderStatus::Failed => Some(OrderStatus::Failed),
        common::OrderStatus::Unspecified => None,
    }
}

/// `샷: 샷 추가 (+500원) / 시럽: 바닐라`
fn options(line: &common::CartLine) -> String {
    line.options
        .iter()
        .map(|o| {
            let name = if o.selection_name.is_empty() {
                o.name.clone()
            } else {
                format!("{}: {}", o.selection_name, o.name)
            };
            if o.price == 0 {
                name
            } else {
                format!("{name} (+{}원)", o.price)
            }
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The order number staff see on the board, its ticket and the reports: the id's last eight
/// characters (the full id is the last column).
fn order_number(order_id: &str) -> &str {
    order_id
        .get(order_id.len().saturating_sub(8)..)
        .unwrap_or(order_id)
}

/// One row per line of the order; the order's own columns repeat on each.
fn order_rows(order: &pb::Order, business_date: &str) -> Vec<Vec<String>> {
    let status = status(order.status);
    let counted = status != Some(OrderStatus::Canceled);
    let row = |menu: String, options: String, quantity: String, unit: String, amount: i64| {
        vec![
            business_date.to_owned(),
            order_number(&order.order_id).to_owned(),
            text(&order.nickname),
            status.map_or("", OrderStatus::label).to_owned(),
            kst(order.placed_at.as_ref()),
            kst(order.accepted_at.as_ref()),
            kst(order.promised_at.as_ref()),
            kst(order.ready_at.as_ref()),
            kst(order.canceled_at.as_ref()),
            menu,
            options,
            quantity,
            unit,
            amount.to_string(),
            (if counted { amount } else { 0 }).to_string(),
            text(&order.cancel_reason),
            order.order_id.clone(),
        ]
    };
    if order.lines.is_empty() {
        // Never for an order placed from a cart; its amount still belongs in the sums.
        return vec![row(
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            order.total,
        )];
    }
    order
        .lines
        .iter()
        .map(|line| {
            row(
                text(&line.item_name),
                text(&options(line)),
                line.quantity.to_string(),
                line.unit_price.to_string(),
                line.line_total,
            )
        })
        .collect()
}

fn day_row(day: &acc::ReportSummary) -> Vec<String> {
    let state = match acc::ReportStatus::try_from(day.status) {
        Ok(acc::ReportStatus::Reconciled) => "정산 완료",
        Ok(acc::ReportStatus::Discrepancies) => "불일치",
        _ => "정산 대기",
    };
    let mut row = vec![
        day.business_date.clone(),
        kst(day.opened_at.as_ref()),
        kst(day.closed_at.as_ref()),
        state.to_owned(),
    ];
    match &day.totals {
        Some(t) => row.extend(
            [
                i64::from(t.order_count),
                i64::from(t.ready_count),
                i64::from(t.canceled_count),
                i64::from(t.failed_count),
                t.gross,
                t.canceled,
                t.net,
            ]
            .map(|n| n.to_string()),
        ),
        None => row.extend(std::iter::repeat_n(String::new(), 7)),
    }
    row.push(day.discrepancy_count.to_string());
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Option<prost_types::Timestamp> {
        Some(timestamp(
            chrono::DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .into(),
        ))
    }

    fn order() -> pb::Order {
        pb::Order {
            order_id: "0190a000-0000-7000-8000-000000000001".into(),
            day_business_id: "day".into(),
            status: common::OrderStatus::Canceled.into(),
            nickname: "=행복한 판다".into(),
            placed_at: at("2026-03-01T15:05:09Z"),
            canceled_at: at("2026-03-01T15:20:00Z"),
            cancel_reason: "재료 소진, \"죄송합니다\"".into(),
            lines: vec![common::CartLine {
                item_name: "아메리카노".into(),
                options: vec![
                    common::LineOption {
                        selection_name: "온도".into(),
                        name: "ICE".into(),
                        ..Default::default()
                    },
                    common::LineOption {
                        selection_name: "사이즈".into(),
                        name: "Large".into(),
                        price: 500,
                        ..Default::default()
                    },
                ],
                quantity: 2,
                unit_price: 5_000,
                line_total: 10_000,
                ..Default::default()
            }],
            total: 10_000,
            ..Default::default()
        }
    }

    fn read(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn an_order_line_reads_back_with_korean_times_options_and_quotes() {
        let rows = order_rows(&order(), "2026-03-02");
        let bytes = encode(rows).unwrap();
        assert!(bytes.ends_with(b"\r\n"));
        let back = read(&bytes);
        assert_eq!(back.len(), 1);
        let row = &back[0];
        assert_eq!(row.len(), ORDER_COLUMNS.len());
        assert_eq!(row[0], "2026-03-02");
        assert_eq!(row[1], "00000001", "the number on the ticket");
        assert_eq!(row[16], "0190a000-0000-7000-8000-000000000001");
        assert_eq!(row[2], "'=행복한 판다", "a formula stays text");
        assert_eq!(row[3], "취소됨");
        assert_eq!(row[4], "2026-03-02 00:05:09", "paid time in Korea");
        assert_eq!(row[5], "", "never accepted");
        assert_eq!(row[8], "2026-03-02 00:20:00");
        assert_eq!(row[9], "아메리카노");
        assert_eq!(row[10], "온도: ICE / 사이즈: Large (+500원)");
        assert_eq!(&row[11..15], ["2", "5000", "10000", "0"]);
        assert_eq!(row[15], "재료 소진, \"죄송합니다\"");
    }

    #[test]
    fn a_day_without_totals_yet_keeps_its_columns() {
        let pending = acc::ReportSummary {
            business_date: "2026-03-01".into(),
            status: acc::ReportStatus::Pending.into(),
            ..Default::default()
        };
        let row = day_row(&pending);
        assert_eq!(row.len(), DAY_COLUMNS.len());
        assert_eq!(row[3], "정산 대기");
        let done = acc::ReportSummary {
            status: acc::ReportStatus::Reconciled.into(),
            totals: Some(common::DaySummary {
                order_count: 3,
                ready_count: 2,
                canceled_count: 1,
                gross: 15_500,
                canceled: 6_500,
                net: 9_000,
                ..Default::default()
            }),
            ..pending
        };
        assert_eq!(
            &day_row(&done)[3..],
            [
                "정산 완료",
                "3",
                "2",
                "1",
                "0",
                "15500",
                "6500",
                "9000",
                "0"
            ]
        );
    }

    #[test]
    fn only_what_a_spreadsheet_would_run_is_prefixed() {
        for formula in ["=1+1", "+82", "-3", "@SUM(A1)", "\tx"] {
            assert!(text(formula).starts_with('\''), "{formula}");
        }
        assert_eq!(text("아이스 아메리카노"), "아이스 아메리카노");
        assert_eq!(text(""), "");
    }
}
