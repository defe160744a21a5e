//! The live order board: its WebSocket (`live`), the 접수 (accept), 완료 (ready) and 취소
//! (cancel) actions, how the store accepts (default time, 바쁨, auto-accept), and its script and
//! style in the store web UI.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use contracts::order::v1::{
    AcceptOrderRequest, AcceptSettings as PbAcceptSettings, CancelOrderRequest,
    GetAcceptSettingsRequest, MarkReadyRequest, OrderActionResponse, SetAcceptSettingsRequest,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::live::{self, wire::BoardOrder};
use crate::security;
use crate::session::{Admin, Staff};
use crate::state::{AppState, grpc_request};

/// A cancel refunds through KakaoPay before it answers, which can take far longer than a read.
pub const CANCEL_DEADLINE: Duration = Duration::from_secs(15);

const MAX_REASON_CHARS: usize = 100;

const BOARD_JS: &str = include_str!("../ui/board.js");
const BOARD_CSS: &str = include_str!("../ui/board.css");

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(live::PATH, get(live::live))
        .route("/api/store/orders/{id}/accept", post(accept_order))
        .route("/api/store/orders/{id}/ready", post(mark_ready))
        .route(
            "/api/store/accept-settings",
            get(get_accept_settings).put(set_accept_settings),
        )
        .route("/api/store/orders/{id}/cancel", post(cancel_order))
        .layer(middleware::from_fn(security::csrf))
        .layer(middleware::from_fn(security::no_store))
        .with_state(state)
        .route(
            "/ui/board.js",
            get(|| async { asset("text/javascript; charset=utf-8", BOARD_JS) }),
        )
        .route(
            "/ui/board.css",
            get(|| async { asset("text/css; charset=utf-8", BOARD_CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    // Like the rest of the UI: small unhashed files, revalidated so an upgrade shows at once.
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

/// The order after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderAction {
    pub order: BoardOrder,
    /// False when the order already was in that state (a repeated click).
    pub changed: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelInput {
    /// Why the store cancels; shown to the customer. 1–100 characters.
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AcceptInput {
    /// Minutes until ready, 1–120 (the board offers 5, 10, 15 and 20); absent or 0: the
    /// store's default time, raised by 10 when busy.
    #[serde(default)]
    pub minutes: Option<u32>,
}

/// How the store accepts orders.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AcceptSettings {
    /// The usual preparation time in minutes, 1–120.
    pub prep_minutes: u32,
    /// 바쁨: the default time is raised by `busy_extra_minutes`.
    pub busy: bool,
    /// Every paid order is accepted at once with the default time.
    pub auto_accept: bool,
    /// What 기본 and auto-accept use now (read only).
    #[serde(default)]
    pub default_minutes: u32,
    /// Read only.
    #[serde(default)]
    pub busy_extra_minutes: u32,
}

impl From<PbAcceptSettings> for AcceptSettings {
    fn from(s: PbAcceptSettings) -> Self {
        AcceptSettings {
            prep_minutes: s.prep_minutes,
            busy: s.busy,
            auto_accept: s.auto_accept,
            default_minutes: s.default_minutes,
            busy_extra_minutes: s.busy_extra_minutes,
        }
    }
}

/// Admin only: accepts a new order with a promised time (접수); the customer is told the time.
/// Repeating it changes nothing and keeps the first promise.
#[utoipa::path(
    post, path = "/api/store/orders/{id}/accept", tag = "board",
    params(("id" = String, Path, description = "Order id")),
    request_body = AcceptInput,
    responses(
        (status = 200, body = OrderAction),
        (status = 400, body = ErrorBody, description = "Minutes out of range"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
        (status = 404, body = ErrorBody, description = "No such order in this store"),
        (status = 409, body = ErrorBody, description = "Not new any more (handed over, canceled, or being refunded)"),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn accept_order(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    input: Result<Json<AcceptInput>, JsonRejection>,
) -> Result<Json<OrderAction>, ApiError> {
    let order_id = order_id(&id)?;
    let Json(input) = input.map_err(|_| {
        ApiError::bad_request("요청 형식이 올바르지 않습니다. 준비 시간을 확인해 주세요.")
    })?;
    let request = grpc_request(AcceptOrderRequest {
        store_id: admin.store_id().to_owned(),
        order_id,
        minutes: input.minutes.unwrap_or(0),
        account_id: admin.session.account_id.clone(),
    });
    let answer = state
        .order
        .clone()
        .accept_order(request)
        .await
        .map_err(ApiError::from)?;
    action(answer.into_inner())
}

/// How the store accepts orders: default preparation time, 바쁨, auto-accept.
#[utoipa::path(
    get, path = "/api/store/accept-settings", tag = "board",
    responses(
        (status = 200, body = AcceptSettings),
        (status = 401, body = ErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn get_accept_settings(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<AcceptSettings>, ApiError> {
    let answer = state
        .order
        .clone()
        .get_accept_settings(grpc_request(GetAcceptSettingsRequest {
            store_id: staff.store_id().to_owned(),
        }))
        .await
        .map_err(ApiError::from)?;
    Ok(Json(answer.into_inner().into()))
}

/// Admin only: changes how the store accepts orders (`default_minutes` and
/// `busy_extra_minutes` are ignored).
#[utoipa::path(
    put, path = "/api/store/accept-settings", tag = "board",
    request_body = AcceptSettings,
    responses(
        (status = 200, body = AcceptSettings),
        (status = 400, body = ErrorBody, description = "Preparation time out of range"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn set_accept_settings(
    State(state): State<AppState>,
    Admin(admin): Admin,
    input: Result<Json<AcceptSettings>, JsonRejection>,
) -> Result<Json<AcceptSettings>, ApiError> {
    let Json(input) = input.map_err(|_| {
        ApiError::bad_request("요청 형식이 올바르지 않습니다. 준비 시간을 확인해 주세요.")
    })?;
    let answer = state
        .order
        .clone()
        .set_accept_settings(grpc_request(SetAcceptSettingsRequest {
            store_id: admin.store_id().to_owned(),
            prep_minutes: input.prep_minutes,
            busy: input.busy,
            auto_accept: input.auto_accept,
        }))
        .await
        .map_err(ApiError::from)?;
    Ok(Json(answer.into_inner().into()))
}

/// Admin only: the order was handed over (완료). Repeating it changes nothing.
#[utoipa::path(
    post, path = "/api/store/orders/{id}/ready", tag = "board",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, body = OrderAction),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
        (status = 404, body = ErrorBody, description = "No such order in this store"),
        (status = 409, body = ErrorBody, description = "The order is not waiting (e.g. canceled)"),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn mark_ready(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<OrderAction>, ApiError> {
    let order_id = order_id(&id)?;
    let request = grpc_request(MarkReadyRequest {
        store_id: admin.store_id().to_owned(),
        order_id,
        account_id: admin.session.account_id.clone(),
    });
    let answer = state
        .order
        .clone()
        .mark_ready(request)
        .await
        .map_err(ApiError::from)?;
    action(answer.into_inner())
}

/// Admin only: cancels a waiting order and refunds it in full (취소). Repeating it changes
/// nothing and refunds nothing more.
#[utoipa::path(
    post, path = "/api/store/orders/{id}/cancel", tag = "board",
    params(("id" = String, Path, description = "Order id")),
    request_body = CancelInput,
    responses(
        (status = 200, body = OrderAction),
        (status = 400, body = ErrorBody, description = "Missing or too long reason"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
        (status = 404, body = ErrorBody, description = "No such order in this store"),
        (status = 409, body = ErrorBody, description = "Not cancelable (handed over, or the day is closed)"),
        (status = 503, body = ErrorBody),
    )
)]
pub async fn cancel_order(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    input: Result<Json<CancelInput>, JsonRejection>,
) -> Result<Json<OrderAction>, ApiError> {
    let order_id = order_id(&id)?;
    let Json(input) = input.map_err(|_| {
        ApiError::bad_request("요청 형식이 올바르지 않습니다. 취소 사유를 확인해 주세요.")
    })?;
    let reason = cancel_reason(&input.reason)?;
    let mut request = tonic::Request::new(CancelOrderRequest {
        store_id: admin.store_id().to_owned(),
        order_id,
        reason,
        account_id: admin.session.account_id.clone(),
    });
    request.set_timeout(CANCEL_DEADLINE);
    let answer = state
        .order
        .clone()
        .cancel_order(request)
        .await
        .map_err(ApiError::from)?;
    action(answer.into_inner())
}

/// Anything that is not an order id names no order.
fn order_id(text: &str) -> Result<String, ApiError> {
    Uuid::parse_str(text)
        .map(|id| id.to_string())
        .map_err(|_| ApiError::not_found())
}

fn cancel_reason(text: &str) -> Result<String, ApiError> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(ApiError::bad_request("취소 사유를 입력해 주세요."));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::bad_request(format!(
            "취소 사유는 {MAX_REASON_CHARS}자 이내로 입력해 주세요."
        )));
    }
    Ok(reason.to_owned())
}

fn action(answer: OrderActionResponse) -> Result<Json<OrderAction>, ApiError> {
    let order = answer
        .order
        .and_then(BoardOrder::from_order)
        .ok_or_else(ApiError::internal)?;
    Ok(Json(OrderAction {
        order,
        changed: answer.changed,
    }))
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(cancel_reason("  재료 소진 ").expect("valid"), "재료 소진");
        assert_eq!(
            cancel_reason("   ").expect_err("empty").status,
            StatusCode::BAD_REQUEST
        );
        assert!(cancel_reason(&"가".repeat(MAX_REASON_CHARS)).is_ok());
        assert!(cancel_reason(&"가".repeat(MAX_REASON_CHARS + 1)).is_err());
    }

    #[test]
    fn only_uuids_name_orders() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(order_id(&id).expect("uuid"), id);
        assert_eq!(
            order_id("../day").expect_err("not an id").status,
            StatusCode::NOT_FOUND
        );
    }
}
