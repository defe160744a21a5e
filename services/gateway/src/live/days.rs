//! The store's business day as its boards read it. Boards of a store that connect together (a
//! gateway restart, a mall's Wi-Fi coming back) share one GetDay call in flight instead of each
//! making its own: a thousand calls at once queued on the store service past their deadline,
//! and each board that missed it was closed with "주문 현황을 잠시 불러올 수 없습니다".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use contracts::store::v1::store_service_client::StoreServiceClient;
use contracts::store::v1::{BusinessDay, GetDayRequest};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use platform::grpc::Client;

use crate::state::grpc_request;

type Flight = Shared<BoxFuture<'static, Option<BusinessDay>>>;

#[derive(Clone)]
pub struct Days {
    store: StoreServiceClient<Client>,
    in_flight: Arc<Mutex<HashMap<String, Flight>>>,
}

impl Days {
    pub fn new(store: StoreServiceClient<Client>) -> Days {
        Days {
            store,
            in_flight: Arc::default(),
        }
    }

    /// The store's current day; `None` when the store service did not answer. Joins the call
    /// already on its way for the store, if any.
    pub async fn get(&self, store_id: &str) -> Option<BusinessDay> {
        let flight = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            in_flight
                .entry(store_id.to_owned())
                .or_insert_with(|| {
                    let (days, store_id) = (self.clone(), store_id.to_owned());
                    async move {
                        let day = days.call(&store_id).await;
                        days.in_flight
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&store_id);
                        day
                    }
                    .boxed()
                    .shared()
                })
                .clone()
        };
        flight.await
    }

    async fn call(&self, store_id: &str) -> Option<BusinessDay> {
        let request = grpc_request(GetDayRequest {
            store_id: store_id.to_owned(),
        });
        match self.store.clone().get_day(request).await {
            Ok(answer) => answer.into_inner().day,
            Err(status) => {
                tracing::warn!(%store_id, %status, "board could not read the day");
                None
            }
        }
    }
}
