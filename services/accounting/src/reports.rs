//! Daily reports: the stored reconciliation of each closed day, with sales by item and by hour
//! read from the copy of the day's orders taken when it was reconciled.

use chrono::{DateTime, Utc};
use contracts::accounting::v1 as pb;
use contracts::common::v1 as common;
use contracts::time::timestamp;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AccountingError;
use crate::reconcile::{Discrepancy, DiscrepancyKind};
use crate::storage::{self, ReportRow};

/// Reports a list returns unless asked for fewer; a year of days fits.
pub const MAX_LIST: u32 = 400;

pub struct Reports {
    pub pool: PgPool,
}

impl Reports {
    pub async fn list(
        &self,
        store_id: Uuid,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u32,
    ) -> Result<Vec<pb::ReportSummary>, AccountingError> {
        let limit = if limit == 0 {
            MAX_LIST
        } else {
            limit.min(MAX_LIST)
        };
        let rows = storage::list_reports(&self.pool, store_id, from, to, i64::from(limit)).await?;
        Ok(rows.iter().map(summary).collect())
    }

    /// The summary of one day of the store, pending or not.
    pub async fn list_one(
        &self,
        store_id: Uuid,
        day_id: Uuid,
    ) -> Result<Option<pb::ReportSummary>, AccountingError> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::report(&mut conn, store_id, day_id)
            .await?
            .as_ref()
            .map(summary))
    }

    /// One reconciled day of the store; `NotFound` for a day that is unknown, another store's or
    /// still pending.
    pub async fn get(&self, store_id: Uuid, day_id: Uuid) -> Result<pb::Report, AccountingError> {
        let mut conn = self.pool.acquire().await?;
        let row = storage::report(&mut conn, store_id, day_id)
            .await?
            .filter(|r| r.status != "PENDING")
            .ok_or_else(|| {
                AccountingError::NotFound("정산 보고서를 찾을 수 없습니다".to_owned())
            })?;
        let by_item = storage::sales_by_item(&mut conn, day_id)
            .await?
            .into_iter()
            .map(|(item_id, name, quantity, amount)| pb::ItemSales {
                item_id: item_id.to_string(),
                name,
                quantity: u32::try_from(quantity).unwrap_or(u32::MAX),
                amount,
            })
            .collect();
        let by_hour = storage::sales_by_hour(&mut conn, day_id)
            .await?
            .into_iter()
            .map(|(hour, count, amount)| pb::HourSales {
                hour: u32::try_from(hour).unwrap_or_default(),
                order_count: u32::try_from(count).unwrap_or(u32::MAX),
                amount,
            })
            .collect();
        let (approved, canceled) = storage::kakaopay_totals(&mut conn, day_id).await?;
        let discrepancies: Vec<Discrepancy> = serde_json::from_value(row.discrepancies.clone())
            .map_err(|e| AccountingError::Internal(format!("stored discrepancies: {e}")))?;
        Ok(pb::Report {
            summary: Some(summary(&row)),
            by_item,
            by_hour,
            discrepancies: discrepancies.into_iter().map(discrepancy).collect(),
            kakaopay_approved: approved,
            kakaopay_canceled: canceled,
        })
    }
}

pub fn summary(row: &ReportRow) -> pb::ReportSummary {
    let status = match row.status.as_str() {
        "RECONCILED" => pb::ReportStatus::Reconciled,
        "DISCREPANCY" => pb::ReportStatus::Discrepancies,
        _ => pb::ReportStatus::Pending,
    };
    let count = |n: i32| u32::try_from(n).unwrap_or_default();
    let pending = status == pb::ReportStatus::Pending;
    pb::ReportSummary {
        store_id: row.store_id.to_string(),
        day_business_id: row.day_business_id.to_string(),
        business_date: row.business_date.format("%Y-%m-%d").to_string(),
        opened_at: row.opened_at.map(timestamp),
        closed_at: Some(timestamp(row.closed_at)),
        status: status as i32,
        // A pending day's numbers are not the books yet.
        totals: (!pending).then(|| common::DaySummary {
            order_count: count(row.order_count),
            placed_count: count(row.placed_count),
            ready_count: count(row.ready_count),
            canceled_count: count(row.canceled_count),
            failed_count: count(row.failed_count),
            gross: row.gross,
            canceled: row.canceled,
            net: row.net,
        }),
        discrepancy_count: count(row.discrepancy_count),
        reconciled_at: row.reconciled_at.filter(|_| !pending).map(timestamp),
    }
}

fn discrepancy(d: Discrepancy) -> pb::Discrepancy {
    use pb::DiscrepancyKind as K;
    let kind = match d.kind {
        DiscrepancyKind::PaidButNotOrdered => K::PaidButNotOrdered,
        DiscrepancyKind::CanceledHereOnly => K::CanceledHereOnly,
        DiscrepancyKind::CanceledAtKakaopayOnly => K::CanceledAtKakaopayOnly,
        DiscrepancyKind::AmountMismatch => K::AmountMismatch,
        DiscrepancyKind::MissingFromStream => K::MissingFromStream,
        DiscrepancyKind::StreamOnly => K::StreamOnly,
        DiscrepancyKind::InquiryFailed => K::InquiryFailed,
        DiscrepancyKind::Unsettled => K::Unsettled,
        DiscrepancyKind::Other => K::Other,
    };
    let our_status = d.our_status.map_or(common::OrderStatus::Unspecified, |s| {
        use domain::OrderStatus as S;
        match s {
            S::Approving => common::OrderStatus::Approving,
            S::Placed => common::OrderStatus::Placed,
            S::Accepted => common::OrderStatus::Accepted,
            S::Ready => common::OrderStatus::Ready,
            S::Canceled => common::OrderStatus::Canceled,
            S::Failed => common::OrderStatus::Failed,
        }
    });
    pb::Discrepancy {
        order_id: d.order_id.map(|id| id.to_string()).unwrap_or_default(),
        kind: kind as i32,
        description: d.description,
        our_status: our_status as i32,
        kakaopay_status: d.kakaopay_status.unwrap_or_default(),
        our_amount: d.our_amount.map(domain::Money::as_won).unwrap_or_default(),
        kakaopay_amount: d
            .kakaopay_amount
            .map(domain::Money::as_won)
            .unwrap_or_default(),
        tid: d.tid.unwrap_or_default(),
    }
}
