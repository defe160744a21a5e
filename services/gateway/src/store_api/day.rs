//! The business day: its state and the legal next actions, and one action at a time.

use axum::extract::State;
use axum::http::StatusCode;
use contracts::store::v1::{GetDayRequest, RefusalReason, TransitionDayRequest, TransitionRefusal};

use super::dto::{Day, DayActionInput, DayStateName, time};
use super::extract::Body;
use crate::error::{ApiError, ErrorBody};
use crate::session::{Admin, Staff};
use crate::state::{AppState, grpc_request};

/// The store's business day with the actions allowed from its state.
#[utoipa::path(
    get, path = "/api/store/day", tag = "day",
    responses(
        (status = 200, body = Day),
        (status = 401, body = ErrorBody),
    )
)]
pub async fn get_day(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<Day>, ApiError> {
    let request = grpc_request(GetDayRequest {
        store_id: staff.store_id().to_owned(),
    });
    let day = state
        .store
        .clone()
        .get_day(request)
        .await?
        .into_inner()
        .day
        .ok_or_else(ApiError::internal)?;
    Ok(axum::Json(Day::from_proto(day)))
}

/// Admin only: one action of the business day (ready, open, break, resume, start_closing, close).
#[utoipa::path(
    post, path = "/api/store/day", tag = "day",
    request_body = DayActionInput,
    responses(
        (status = 200, body = Day, description = "The day after the action"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
        (status = 409, body = ErrorBody, description = "Refused: `illegal_transition` (names the current state), `open_orders` or `payment_window` (says when)"),
    )
)]
pub async fn transition_day(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Body(input): Body<DayActionInput>,
) -> Result<axum::Json<Day>, ApiError> {
    let request = grpc_request(TransitionDayRequest {
        store_id: admin.store_id().to_owned(),
        action: input.action.to_proto().into(),
        account_id: admin.session.account_id.clone(),
    });
    let answer = state
        .store
        .clone()
        .transition_day(request)
        .await?
        .into_inner();
    if let Some(refusal) = answer.refusal {
        return Err(refused(refusal));
    }
    let day = answer.day.ok_or_else(ApiError::internal)?;
    Ok(axum::Json(Day::from_proto(day)))
}

fn refused(refusal: TransitionRefusal) -> ApiError {
    let code = match RefusalReason::try_from(refusal.reason) {
        Ok(RefusalReason::OpenOrders) => "open_orders",
        Ok(RefusalReason::PaymentWindow) => "payment_window",
        _ => "illegal_transition",
    };
    let message = if refusal.message.trim().is_empty() {
        "지금 상태에서는 할 수 없는 작업입니다.".to_owned()
    } else {
        refusal.message
    };
    let mut error = ApiError::new(StatusCode::CONFLICT, code, message);
    error.body.current_state = Some(DayStateName::from_proto(refusal.current_state));
    error.body.possible_at = time(refusal.possible_at.as_ref());
    error.body.open_order_ids = refusal.open_order_ids;
    error
}
