//! The public HTTP router. Each area is its own module merged here: the store web UI (`ui`), its
//! JSON API (`store_api`) and its OpenAPI document; Kakao skill webhooks and KakaoPay redirects
//! join the same way. Health and metrics are served here too, for the load balancer. Security
//! headers are added to every response.

use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;
use platform::ops::Readiness;

use crate::error::ApiError;
use crate::security::{self, HeaderPolicy};
use crate::state::AppState;
use crate::{openapi, store_api, ui};

pub fn router(state: AppState, readiness: Readiness) -> Router {
    let policy = HeaderPolicy::for_base_url(&state.public_base_url);
    Router::new()
        .merge(ui::router())
        .merge(crate::board::router(state.clone()))
        .merge(crate::reports::router(state.clone()))
        .merge(crate::pay::router(state.clone()))
        .merge(store_api::router(state))
        .merge(openapi::router())
        .merge(platform::ops::router(readiness))
        .fallback(|| async { ApiError::not_found().into_response() })
        .layer(middleware::from_fn_with_state(policy, security::headers))
}
