//! The public HTTP router. Each area is its own module merged here: the store web UI (`ui`), its
//! JSON API (`store_api`) and its OpenAPI document; Kakao skill webhooks and KakaoPay redirects
//! join the same way. Health and metrics are not: they are on the ops port only, which the
//! internet never reaches. Security headers are added to every response.

use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;

use crate::error::ApiError;
use crate::security::{self, HeaderPolicy};
use crate::state::AppState;
use crate::{openapi, store_api, ui};

pub fn router(state: AppState) -> Router {
    let policy = HeaderPolicy::for_base_url(&state.public_base_url);
    Router::new()
        .merge(ui::router())
        .merge(crate::board::router(state.clone()))
        .merge(crate::reports::router(state.clone()))
        .merge(crate::export::router(state.clone()))
        .merge(crate::pay::router(state.clone()))
        .merge(store_api::router(state))
        .merge(openapi::router())
        .fallback(|| async { ApiError::not_found().into_response() })
        .layer(middleware::from_fn_with_state(policy, security::headers))
}
