//! What every HTTP handler shares: clients of the services behind the gateway and the few
//! settings the edge needs.

use contracts::accounting::v1::accounting_service_client::AccountingServiceClient;
use contracts::order::v1::order_service_client::OrderServiceClient;
use contracts::store::v1::store_service_client::StoreServiceClient;
use platform::grpc::Client;
use platform::redis::Keys;
use platform::{Config, Service, Shutdown};
use redis::aio::ConnectionManager;

use crate::live::Hubs;
use crate::session::SessionCookie;

#[derive(Clone)]
pub struct AppState {
    pub store: StoreServiceClient<Client>,
    /// The board's order actions and snapshots; its deadline allows a cancel's refund.
    pub order: OrderServiceClient<Client>,
    /// Daily reports.
    pub accounting: AccountingServiceClient<Client>,
    /// The live board's store day stream readers.
    pub hubs: Hubs,
    /// The live board's reads of a store's day, one in flight per store.
    pub days: crate::live::Days,
    /// Open live board sockets per session and per store.
    pub live_slots: crate::live::Slots,
    /// Heartbeat period and idle cut-off of live board sockets.
    pub live_timing: crate::live::Timing,
    /// Shared and multiplexed: short commands only (one-time viewer links, board replays); a
    /// blocking read gets a connection of its own.
    pub redis: ConnectionManager,
    pub keys: Keys,
    pub cookie: SessionCookie,
    /// Where browsers reach the gateway, without a trailing slash.
    pub public_base_url: String,
}

impl AppState {
    pub fn new(
        config: &Config,
        redis: ConnectionManager,
        keys: Keys,
        shutdown: Shutdown,
    ) -> Result<AppState, platform::Error> {
        let public_base_url = config.public_base_url.trim_end_matches('/').to_owned();
        let me = config.identity(Service::Gateway)?;
        let store =
            StoreServiceClient::new(platform::grpc::client(&me, &config.store.endpoints().url)?);
        let order = OrderServiceClient::new(platform::grpc::client_with_deadline(
            &me,
            &config.order.endpoints().url,
            crate::board::CANCEL_DEADLINE,
        )?);
        Ok(AppState {
            live_slots: crate::live::Slots::new(
                config.live_max_sockets_per_session,
                config.live_max_sockets_per_store,
            ),
            live_timing: crate::live::Timing {
                heartbeat: config.live_heartbeat,
                idle_timeout: config.live_idle_timeout,
            },
            days: crate::live::Days::new(store.clone()),
            hubs: Hubs::new(
                config.redis_url.clone(),
                keys.clone(),
                store.clone(),
                shutdown,
            ),
            store,
            order,
            accounting: AccountingServiceClient::new(platform::grpc::client(
                &me,
                &config.accounting.endpoints().url,
            )?),
            redis,
            keys,
            cookie: SessionCookie::for_base_url(&public_base_url),
            public_base_url,
        })
    }
}

/// A gRPC request carrying an explicit deadline, so the callee stops working on it when the
/// browser's request is already lost.
pub fn grpc_request<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(platform::grpc::DEFAULT_DEADLINE);
    request
}
