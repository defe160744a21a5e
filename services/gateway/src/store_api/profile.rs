//! The store's profile: what customers see besides the name and the menu (address, phone,
//! description, opening hours), and where nearby search puts the store.

use axum::extract::State;
use contracts::store::v1::{GetStoreRequest, Store, UpdateStoreProfileRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::Body;
use crate::error::{ApiError, ErrorBody};
use crate::session::{Admin, Staff};
use crate::state::{AppState, grpc_request};

/// Where nearby search finds the store.
#[derive(Debug, Serialize, ToSchema)]
pub struct Location {
    /// The address as Kakao Local located it, for staff to confirm.
    pub address: String,
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreProfile {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub description: String,
    /// Free text shown to customers, e.g. "평일 08:00~21:00, 주말 휴무".
    pub opening_hours: String,
    /// Absent until an address is saved: the store is not in nearby search without one.
    pub location: Option<Location>,
}

impl StoreProfile {
    fn from_proto(store: Store) -> StoreProfile {
        // (0, 0) is an unset pair of doubles: no location.
        let location = (store.lat != 0.0 || store.lng != 0.0).then(|| Location {
            address: if store.located_address.is_empty() {
                store.address.clone()
            } else {
                store.located_address.clone()
            },
            lat: store.lat,
            lng: store.lng,
        });
        StoreProfile {
            name: store.name,
            address: store.address,
            phone: store.phone,
            description: store.description,
            opening_hours: store.opening_hours,
            location,
        }
    }
}

/// Every field is replaced; an empty one is cleared.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileInput {
    /// A road or lot address Kakao knows, e.g. "서울 강남구 강남대로 396"; empty takes the store
    /// out of nearby search.
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub opening_hours: String,
}

/// The store's profile and location.
#[utoipa::path(
    get, path = "/api/store/profile", tag = "profile",
    responses(
        (status = 200, body = StoreProfile),
        (status = 401, body = ErrorBody),
    )
)]
pub async fn get_profile(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<StoreProfile>, ApiError> {
    let store = state
        .store
        .clone()
        .get_store(grpc_request(GetStoreRequest {
            store_id: staff.store_id().to_owned(),
        }))
        .await?
        .into_inner()
        .store
        .ok_or_else(ApiError::internal)?;
    Ok(axum::Json(StoreProfile::from_proto(store)))
}

/// Admin only: saves the profile. A new address is located with Kakao Local first (nothing is
/// saved when that fails); the answer's `location` is where customers' nearby search will find
/// the store, for staff to confirm.
#[utoipa::path(
    put, path = "/api/store/profile", tag = "profile",
    request_body = ProfileInput,
    responses(
        (status = 200, body = StoreProfile, description = "Saved; `location` as located"),
        (status = 400, body = ErrorBody, description = "`invalid_argument`: a field too long or malformed, or an address Kakao does not know"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
        (status = 503, body = ErrorBody, description = "`unavailable`: the address could not be located now; nothing was saved"),
    )
)]
pub async fn update_profile(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Body(input): Body<ProfileInput>,
) -> Result<axum::Json<StoreProfile>, ApiError> {
    let answer = state
        .store
        .clone()
        .update_store_profile(grpc_request(UpdateStoreProfileRequest {
            store_id: admin.store_id().to_owned(),
            address: input.address,
            phone: input.phone,
            description: input.description,
            opening_hours: input.opening_hours,
        }))
        .await?
        .into_inner();
    let mut profile = StoreProfile::from_proto(answer.store.ok_or_else(ApiError::internal)?);
    profile.location = answer.located.map(|at| Location {
        address: at.address,
        lat: at.lat,
        lng: at.lng,
    });
    Ok(axum::Json(profile))
}
