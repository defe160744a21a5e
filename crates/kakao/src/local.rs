//! Kakao Local API (reference/kakao-apis.md §1.4b): place names and addresses → coordinates.
//!
//! - keyword search: `GET /v2/local/search/keyword.json?query=…` finds places by name ("강남역");
//! - address search: `GET /v2/local/search/address.json?query=…` finds road and lot addresses
//!   ("서울 강남구 강남대로 396") and regions ("서울 강남구").
//!
//! Both take `Authorization: KakaoAK {REST API key}` (the Event API's scheme, see
//! [`crate::event_api::authorization_value`]) and answer `{meta, documents}`; `x` is the
//! longitude and `y` the latitude, both as strings. A wrong key answers 401 with
//! `{errorType, message}`.

use serde::{Deserialize, Serialize};

pub const KEYWORD_PATH: &str = "/v2/local/search/keyword.json";
pub const ADDRESS_PATH: &str = "/v2/local/search/address.json";
/// `size` of a keyword search is 1–15, of an address search 1–30.
pub const KEYWORD_SIZE_MAX: u32 = 15;
pub const ADDRESS_SIZE_MAX: u32 = 30;

/// `meta` of both searches; `same_name` only comes with keyword searches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub pageable_count: u64,
    #[serde(default)]
    pub is_end: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_name: Option<SameName>,
}

/// How Kakao read a query that names a region and a keyword ("강남 카페").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SameName {
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub keyword: String,
    #[serde(default)]
    pub selected_region: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeywordResponse {
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub documents: Vec<Place>,
}

/// One place of a keyword search. Empty strings where Kakao has nothing (e.g. `distance`
/// without a centre, `road_address_name` for a place without one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Place {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub place_name: String,
    #[serde(default)]
    pub category_name: String,
    #[serde(default)]
    pub category_group_code: String,
    #[serde(default)]
    pub category_group_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address_name: String,
    #[serde(default)]
    pub road_address_name: String,
    /// Longitude.
    #[serde(default)]
    pub x: String,
    /// Latitude.
    #[serde(default)]
    pub y: String,
    #[serde(default)]
    pub place_url: String,
    #[serde(default)]
    pub distance: String,
}

impl Place {
    /// (latitude, longitude), when both parse and lie on the globe.
    pub fn lat_lng(&self) -> Option<(f64, f64)> {
        lat_lng(&self.x, &self.y)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressResponse {
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub documents: Vec<AddressDocument>,
}

/// One match of an address search: a region, a road, or an address with its lot (`address`)
/// and road (`road_address`) forms, either of which may be null.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressDocument {
    #[serde(default)]
    pub address_name: String,
    /// `REGION`, `ROAD`, `REGION_ADDR` or `ROAD_ADDR`.
    #[serde(default)]
    pub address_type: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
    #[serde(default)]
    pub address: Option<LotAddress>,
    #[serde(default)]
    pub road_address: Option<RoadAddress>,
}

impl AddressDocument {
    pub fn lat_lng(&self) -> Option<(f64, f64)> {
        lat_lng(&self.x, &self.y)
    }

    /// The road address when there is one (what people write on a sign), else the match's name.
    pub fn display_name(&self) -> &str {
        self.road_address
            .as_ref()
            .map(|r| r.address_name.as_str())
            .filter(|name| !name.is_empty())
            .unwrap_or(&self.address_name)
    }
}

/// 지번 주소.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LotAddress {
    #[serde(default)]
    pub address_name: String,
    #[serde(default)]
    pub region_1depth_name: String,
    #[serde(default)]
    pub region_2depth_name: String,
    #[serde(default)]
    pub region_3depth_name: String,
    #[serde(default)]
    pub region_3depth_h_name: String,
    #[serde(default)]
    pub h_code: String,
    #[serde(default)]
    pub b_code: String,
    #[serde(default)]
    pub mountain_yn: String,
    #[serde(default)]
    pub main_address_no: String,
    #[serde(default)]
    pub sub_address_no: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
}

/// 도로명 주소.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoadAddress {
    #[serde(default)]
    pub address_name: String,
    #[serde(default)]
    pub region_1depth_name: String,
    #[serde(default)]
    pub region_2depth_name: String,
    #[serde(default)]
    pub region_3depth_name: String,
    #[serde(default)]
    pub road_name: String,
    #[serde(default)]
    pub underground_yn: String,
    #[serde(default)]
    pub main_building_no: String,
    #[serde(default)]
    pub sub_building_no: String,
    #[serde(default)]
    pub building_name: String,
    #[serde(default)]
    pub zone_no: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
}

/// The body of a refusal, e.g. 401 `{"errorType": "AccessDeniedError", "message": "…"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "errorType", default)]
    pub error_type: String,
    #[serde(default)]
    pub message: String,
}

/// (latitude, longitude) from Kakao's `x` (longitude) and `y` (latitude) strings.
pub fn lat_lng(x: &str, y: &str) -> Option<(f64, f64)> {
    let lng: f64 = x.trim().parse().ok()?;
    let lat: f64 = y.trim().parse().ok()?;
    let on_globe = lat.is_finite()
        && lng.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lng);
    on_globe.then_some((lat, lng))
}
