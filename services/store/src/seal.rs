//! The order service's part in closing and resuming a business day: closing seals the day
//! there (refused while an order of it is open, answering the day's sums), so no approval or
//! cancel of it gets in after the close; resuming a closing day unseals it.

use contracts::clients::OrderServiceClient;
use contracts::order::v1::{SealDayRequest, UnsealDayRequest};
use domain::OrderId;
use domain::day::Summary;
use platform::grpc::Client;
use uuid::Uuid;

use crate::error::StoreError;

/// What the order service answered to a seal.
#[derive(Debug, Clone, PartialEq)]
pub enum Sealing {
    /// Orders of the day still open, oldest first; nothing was sealed.
    Open(Vec<OrderId>),
    /// Nothing is open; only checked, nothing sealed.
    Closable,
    /// Sealed, with the day's sums.
    Sealed(Summary),
}

pub struct Seals {
    pub order: OrderServiceClient<Client>,
}

fn unavailable(call: &str, status: &tonic::Status) -> StoreError {
    tracing::warn!(code = ?status.code(), message = %status.message(), "order {call} failed");
    StoreError::Unavailable(
        "주문 서비스가 응답하지 않아 영업 상태를 바꾸지 못했습니다. 잠시 후 다시 시도해 주세요"
            .to_owned(),
    )
}

impl Seals {
    /// Seals the day unless an order of it is open; with `seal` false only asks for the open
    /// orders.
    pub async fn seal(
        &self,
        store_id: Uuid,
        day_id: Uuid,
        seal: bool,
    ) -> Result<Sealing, StoreError> {
        let answer = self
            .order
            .clone()
            .seal_day(SealDayRequest {
                store_id: store_id.to_string(),
                day_business_id: day_id.to_string(),
                seal,
            })
            .await
            .map_err(|status| unavailable("SealDay", &status))?
            .into_inner();
        if !answer.open_order_ids.is_empty() {
            let open = answer
                .open_order_ids
                .iter()
                .map(|id| id.parse())
                .collect::<Result<Vec<OrderId>, _>>()
                .map_err(|e| StoreError::Internal(format!("SealDay answered {e}")))?;
            return Ok(Sealing::Open(open));
        }
        if !answer.sealed {
            return Ok(Sealing::Closable);
        }
        let sums = answer
            .summary
            .ok_or_else(|| StoreError::Internal("SealDay sealed without sums".to_owned()))?;
        Ok(Sealing::Sealed(Summary::from(&sums)))
    }

    /// The closing day was resumed: it takes approvals again.
    pub async fn unseal(&self, store_id: Uuid, day_id: Uuid) -> Result<(), StoreError> {
        self.order
            .clone()
            .unseal_day(UnsealDayRequest {
                store_id: store_id.to_string(),
                day_business_id: day_id.to_string(),
            })
            .await
            .map_err(|status| unavailable("UnsealDay", &status))?;
        Ok(())
    }
}
