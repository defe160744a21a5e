//! The gRPC adapter: proto in, [`Books`]/[`Reports`] call, proto out.

use std::sync::Arc;

use contracts::accounting::v1 as pb;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::books::{Books, DayAtStore};
use crate::error::AccountingError;
use crate::reports::Reports;

/// How long ReconcileDay waits for the `business_day.closed` of a day the store has just closed.
const CLOSED_EVENT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone)]
pub struct AccountingGrpc {
    pub books: Arc<Books>,
    pub reports: Arc<Reports>,
}

fn id(value: &str, what: &str) -> Result<Uuid, AccountingError> {
    Uuid::parse_str(value.trim())
        .map_err(|_| AccountingError::Invalid(format!("{what}이(가) 올바르지 않습니다")))
}

#[tonic::async_trait]
impl pb::accounting_service_server::AccountingService for AccountingGrpc {
    async fn list_reports(
        &self,
        request: Request<pb::ListReportsRequest>,
    ) -> Result<Response<pb::ListReportsResponse>, Status> {
        let r = request.into_inner();
        let store_id = id(&r.store_id, "가게 ID")?;
        let bound = |t: Option<prost_types::Timestamp>| -> Result<_, AccountingError> {
            t.map(|t| {
                contracts::time::datetime(&t)
                    .ok_or_else(|| AccountingError::Invalid("기간이 올바르지 않습니다".to_owned()))
            })
            .transpose()
        };
        let (from, to) = (bound(r.from)?, bound(r.to)?);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(AccountingError::Invalid("시작일이 종료일보다 늦습니다".to_owned()).into());
        }
        let reports = self.reports.list(store_id, from, to, r.limit).await?;
        Ok(Response::new(pb::ListReportsResponse { reports }))
    }

    async fn get_report(
        &self,
        request: Request<pb::GetReportRequest>,
    ) -> Result<Response<pb::GetReportResponse>, Status> {
        let r = request.into_inner();
        let store_id = id(&r.store_id, "가게 ID")?;
        let day_id = id(&r.day_business_id, "영업일 ID")?;
        let report = self.reports.get(store_id, day_id).await?;
        Ok(Response::new(pb::GetReportResponse {
            report: Some(report),
        }))
    }

    async fn reconcile_day(
        &self,
        request: Request<pb::ReconcileDayRequest>,
    ) -> Result<Response<pb::ReconcileDayResponse>, Status> {
        let r = request.into_inner();
        let store_id = id(&r.store_id, "가게 ID")?;
        let day_id = id(&r.day_business_id, "영업일 ID")?;
        let not_found = || AccountingError::NotFound("영업일을 찾을 수 없습니다".to_owned());
        let owner = match self.books.store_of(day_id).await? {
            Some(owner) => Some(owner),
            None => match self.books.day_at_store(store_id, day_id).await? {
                DayAtStore::Live => {
                    return Err(AccountingError::NotClosed(
                        "아직 마감되지 않은 영업일입니다. 마감한 뒤에 정산할 수 있습니다"
                            .to_owned(),
                    )
                    .into());
                }
                DayAtStore::LastClosed => {
                    match self.books.await_closed(day_id, CLOSED_EVENT_WAIT).await? {
                        Some(owner) => Some(owner),
                        None => {
                            return Err(AccountingError::Unavailable(
                                "마감 기록이 아직 도착하지 않았습니다. 잠시 후 다시 시도해 주세요"
                                    .to_owned(),
                            )
                            .into());
                        }
                    }
                }
                DayAtStore::Unknown => None,
            },
        };
        if owner != Some(store_id) {
            return Err(not_found().into());
        }
        let reconciled = self.books.reconcile(day_id).await?;
        let summary = self
            .reports
            .list_one(store_id, day_id)
            .await?
            .ok_or_else(not_found)?;
        Ok(Response::new(pb::ReconcileDayResponse {
            summary: Some(summary),
            changed: reconciled.changed,
        }))
    }
}
