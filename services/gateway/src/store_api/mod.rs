//! `/api/store/*`: the JSON API of the store web UI. Every route but login, logout and
//! viewer/join resolves the session cookie; state-changing routes also need the CSRF header.

pub mod auth;
pub mod day;
pub mod dto;
mod extract;
pub mod menu;
pub mod profile;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post, put};

use crate::security;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/store/login", post(auth::login))
        .route("/api/store/logout", post(auth::logout))
        .route("/api/store/me", get(auth::me))
        .route("/api/store/viewer", post(auth::create_viewer_link))
        .route("/api/store/viewer/join", post(auth::join_as_viewer))
        .route(
            "/api/store/day",
            get(day::get_day).post(day::transition_day),
        )
        .route(
            "/api/store/profile",
            get(profile::get_profile).put(profile::update_profile),
        )
        .route("/api/store/menu", get(menu::get_menu))
        .route("/api/store/menu/categories", post(menu::create_category))
        .route(
            "/api/store/menu/categories/{id}",
            put(menu::update_category),
        )
        .route(
            "/api/store/menu/categories/{id}/items",
            put(menu::set_category_items),
        )
        .route(
            "/api/store/menu/category-order",
            put(menu::reorder_categories),
        )
        .route("/api/store/menu/items", post(menu::create_item))
        .route("/api/store/menu/items/{id}", put(menu::update_item))
        .route(
            "/api/store/menu/items/{id}/selections",
            put(menu::set_item_selections),
        )
        .route(
            "/api/store/menu/items/{id}/disabled",
            put(menu::set_item_disabled),
        )
        .route(
            "/api/store/menu/items/{id}/sold-out",
            put(menu::set_item_sold_out),
        )
        .route("/api/store/menu/selections", post(menu::create_selection))
        .route(
            "/api/store/menu/selections/{id}",
            put(menu::update_selection),
        )
        .route(
            "/api/store/menu/selections/{id}/options",
            put(menu::set_selection_options),
        )
        .route("/api/store/menu/options", post(menu::create_option))
        .route("/api/store/menu/options/{id}", put(menu::update_option))
        .route(
            "/api/store/menu/options/{id}/disabled",
            put(menu::set_option_disabled),
        )
        .route(
            "/api/store/menu/options/{id}/sold-out",
            put(menu::set_option_sold_out),
        )
        .route(
            "/api/store/menu/option-categories",
            post(menu::create_option_category),
        )
        .route(
            "/api/store/menu/option-categories/{id}",
            put(menu::update_option_category),
        )
        .route(
            "/api/store/menu/option-categories/{id}/selections",
            put(menu::set_option_category_selections),
        )
        .layer(middleware::from_fn(security::csrf))
        .layer(middleware::from_fn(security::no_store))
        .with_state(state)
}
