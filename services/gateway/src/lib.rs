//! The gateway: the only public HTTP edge. It owns no data and opens no Postgres connection; it
//! calls the other services over gRPC and reads store day streams for the live board.

mod board;
mod client_addr;
mod error;
mod export;
mod http;
mod live;
mod openapi;
mod pay;
mod reports;
mod security;
mod session;
mod skill;
mod state;
mod store_api;
mod ui;

use std::sync::LazyLock;

use platform::{Config, Runtime, Service, Shutdown};
use tonic::service::Routes;

pub const SERVICE: &str = "gateway";

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    let mut runtime =
        Runtime::connect_without_postgres(Service::Gateway, &config, shutdown).await?;
    // Registered now, so the board's series exist before the first socket.
    LazyLock::force(&live::socket::SOCKETS);
    LazyLock::force(&live::hub::HUBS);
    let addr = config.gateway_addr;
    let listener = platform::listen::bind(addr).await?;
    let state = state::AppState::new(
        &config,
        runtime.redis.clone(),
        runtime.keys.clone(),
        runtime.shutdown.clone(),
    )?;
    let app = http::router(state)
        .merge(skill::router(&config)?)
        .layer(axum::middleware::from_fn_with_state(
            SERVICE,
            platform::telemetry::observe_http,
        ))
        .layer(axum::Extension(client_addr::TrustedProxyHops(
            config.trusted_proxy_hops,
        )));
    // The peer address is the client's unless trusted proxies say otherwise (`client_addr`); it
    // feeds the store service's per-address login limit.
    // Kakao's skill calls, shed or timed out, get a bubble the customer can read. Live boards
    // opening together (a gateway restart) wait their turn: refused, each would only retry.
    let busy = platform::web::Busy::answer_under(skill::PATH_PREFIX, skill::busy)
        .waiting_under(live::PATH);
    runtime.spawn_worker(platform::web::serve(
        listener,
        app,
        config.http,
        busy,
        runtime.shutdown.clone(),
    ));
    tracing::info!(public = %addr, "gateway public HTTP");
    runtime
        .run(config.gateway.endpoints(), Routes::default())
        .await
}
