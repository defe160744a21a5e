//! `GET /api/openapi.json`: the store API's OpenAPI document, generated from the handlers'
//! annotations and the JSON types, so it cannot drift from the code.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::board;
use crate::error::ErrorBody;
use crate::export;
use crate::reports;
use crate::store_api::{auth, day, dto, menu, profile};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SimpleOrder store API",
        description = "JSON API of the store web UI. Sessions are an HttpOnly cookie set by login \
(`so_session` over http, `__Host-so_session` over https). Every POST/PUT needs the header \
`X-SimpleOrder-CSRF: 1` (403 `csrf` without it). Errors are `{ \"error\": code, \"message\": Korean text }`."
    ),
    paths(
        auth::login, auth::logout, auth::me, auth::create_viewer_link, auth::join_as_viewer,
        day::get_day, day::transition_day,
        profile::get_profile, profile::update_profile,
        menu::get_menu,
        menu::create_category, menu::update_category, menu::set_category_items, menu::reorder_categories,
        menu::create_item, menu::update_item, menu::set_item_selections, menu::set_item_disabled, menu::set_item_sold_out,
        menu::create_selection, menu::update_selection, menu::set_selection_options,
        menu::create_option, menu::update_option, menu::set_option_disabled, menu::set_option_sold_out,
        menu::create_option_category, menu::update_option_category, menu::set_option_category_selections,
        board::accept_order, board::get_accept_settings, board::set_accept_settings,
        board::mark_ready, board::cancel_order,
        reports::list_reports, reports::get_report,
        export::orders_csv, export::days_csv,
    ),
    components(schemas(ErrorBody, dto::DayStateName, dto::DayActionName, dto::RoleName)),
    modifiers(&SessionCookie),
    security(("session_cookie" = [])),
    tags(
        (name = "session", description = "Login, logout, viewer devices"),
        (name = "day", description = "The business day (영업일)"),
        (name = "profile", description = "The store's profile shown to customers, and its location for nearby search"),
        (name = "menu", description = "The menu document and the menu editor"),
        (name = "board", description = "The live order board: 접수 with a promised time, 완료 and 취소, and how the store accepts (default time, 바쁨, auto-accept). The board itself is the WebSocket `GET /api/store/live?after={stream id}&day={day id}` (same cookie; the Origin must be this site)"),
        (name = "reports", description = "Daily reports (정산): closed days reconciled with KakaoPay and the day stream, and their CSV export (UTF-8 with BOM, times in Korea, whole won)"),
    )
)]
struct StoreApi;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("so_session"))),
        );
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    StoreApi::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"openapi\",\"message\":\"{e}\"}}"))
});

pub fn router() -> Router {
    Router::new().route(
        "/api/openapi.json",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json")],
                DOCUMENT.as_str(),
            )
                .into_response()
        }),
    )
}
