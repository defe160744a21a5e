//! The store's live business day, from the store service.

use std::time::Duration;

use contracts::clients::StoreServiceClient;
use contracts::common::v1::DayState as DayStatePb;
use contracts::store::v1::GetDayRequest;
use domain::{BusinessDayId, DayState, StoreId};
use platform::grpc::Client;

use crate::error::OrderError;

/// Well under the chatbot's own deadline, like the menu read it runs beside.
const GET_DAY_DEADLINE: Duration = Duration::from_millis(1_500);

/// The day that takes (or does not take) orders now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveDay {
    /// `None` when the store has no live day.
    pub id: Option<BusinessDayId>,
    pub state: DayState,
}

#[derive(Clone)]
pub struct Days {
    pub store: StoreServiceClient<Client>,
}

fn state(pb: DayStatePb) -> DayState {
    match pb {
        DayStatePb::Preparing => DayState::Preparing,
        DayStatePb::Open => DayState::Open,
        DayStatePb::Break => DayState::Break,
        DayStatePb::Closing => DayState::Closing,
        DayStatePb::Closed | DayStatePb::Unspecified => DayState::Closed,
    }
}

impl Days {
    pub async fn live(&self, store_id: StoreId) -> Result<LiveDay, OrderError> {
        let mut request = tonic::Request::new(GetDayRequest {
            store_id: store_id.to_string(),
        });
        request.set_timeout(GET_DAY_DEADLINE);
        let mut client = self.store.clone();
        let answer = tokio::time::timeout(GET_DAY_DEADLINE, client.get_day(request))
            .await
            .map_err(|_| OrderError::StoreUnavailable("GetDay timed out".to_owned()))?;
        let day = match answer {
            Ok(response) => response.into_inner().day,
            // A store that is gone takes no orders.
            Err(status) if status.code() == tonic::Code::NotFound => None,
            Err(status) => {
                return Err(OrderError::StoreUnavailable(format!(
                    "GetDay: {:?} {}",
                    status.code(),
                    status.message()
                )));
            }
        };
        let Some(day) = day else {
            return Ok(LiveDay {
                id: None,
                state: DayState::Closed,
            });
        };
        let id = Some(day.day_business_id.as_str())
            .filter(|id| !id.is_empty())
            .map(str::parse)
            .transpose()
            .map_err(|e| OrderError::Internal(format!("GetDay answered {e}")))?;
        Ok(LiveDay {
            id,
            state: state(day.state()),
        })
    }
}
