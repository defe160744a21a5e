//! The sandbox's Kakao Local API (reference §1.4b), answered from a small built-in gazetteer of
//! real Seoul places (stations, landmarks, district offices), road and lot addresses and districts:
//!
//! - `GET /v2/local/search/keyword.json?query=…[&x&y&radius&sort&page&size]`: places whose name
//!   (or address) contains the query, spaces ignored; with `x`/`y` each carries its `distance`;
//! - `GET /v2/local/search/address.json?query=…[&page&size]`: an address written in full or
//!   from the road (or dong) on ("강남대로 396"), or a district ("강남구", "서울 강남구");
//! - both want `Authorization: KakaoAK {KAKAO_REST_API_KEY}` and answer 401
//!   `{errorType, message}` otherwise, 400 `InvalidArgument` for a missing query or a bad
//!   `size`/`page`, and Kakao's `{meta, documents}` shape with `x` = longitude, `y` = latitude;
//! - `GET /sandbox/local` counts the searches answered, so tests can see a cache at work;
//! - `POST /sandbox/local/faults {"always": "timeout" | "5xx" | "status=CODE" | "latency=MS" |
//!   null}` makes every later search fail that way (`timeout` holds the request past any
//!   client's patience); `DELETE` clears it.

mod gazetteer;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use kakao::event_api;
use kakao::local::{
    ADDRESS_PATH, ADDRESS_SIZE_MAX, AddressResponse, ErrorBody, KEYWORD_PATH, KEYWORD_SIZE_MAX,
    KeywordResponse, Meta, SameName,
};
use platform::Config;
use serde::Deserialize;
use serde_json::json;

/// Kakao pages results up to page 45.
const PAGE_MAX: u32 = 45;
/// Longer than any Local client waits.
const HANG: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Fault {
    Timeout,
    Status(u16),
    Latency(Duration),
}

impl Fault {
    fn parse(text: &str) -> Result<Fault, String> {
        let bad = || format!("unknown fault '{text}' (timeout, 5xx, status=CODE, latency=MS)");
        Ok(match text.trim() {
            "timeout" => Fault::Timeout,
            "5xx" => Fault::Status(500),
            other => match other.split_once('=') {
                Some(("status", code)) => {
                    let code: u16 = code.trim().parse().map_err(|_| bad())?;
                    if !(400..=599).contains(&code) {
                        return Err(bad());
                    }
                    Fault::Status(code)
                }
                Some(("latency", ms)) => {
                    Fault::Latency(Duration::from_millis(ms.trim().parse().map_err(|_| bad())?))
                }
                _ => return Err(bad()),
            },
        })
    }

    fn name(&self) -> String {
        match self {
            Fault::Timeout => "timeout".to_owned(),
            Fault::Status(code) => format!("status={code}"),
            Fault::Latency(d) => format!("latency={}", d.as_millis()),
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    keyword: u64,
    address: u64,
}

struct Local {
    rest_api_key: String,
    fault: Mutex<Option<Fault>>,
    counts: Mutex<Counts>,
}

type Shared = State<Arc<Local>>;

/// A poisoned lock only means another request panicked; the data is still the sandbox's best.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `text` names a place of the gazetteer ("강남역", "강남구", "코엑스"), as Open Builder's
/// `sys.location` entity would recognise it.
pub fn knows_place(text: &str) -> bool {
    gazetteer::is_place_name(text)
}

/// The Local API checking the key the store service sends (`KAKAO_REST_API_KEY`).
pub fn routes(config: &Config) -> Router {
    router(config.kakao.rest_api_key.clone())
}

pub fn router(rest_api_key: String) -> Router {
    let state = Arc::new(Local {
        rest_api_key,
        fault: Mutex::new(None),
        counts: Mutex::new(Counts::default()),
    });
    Router::new()
        .route(KEYWORD_PATH, get(keyword))
        .route(ADDRESS_PATH, get(address))
        .route("/sandbox/local", get(view))
        .route(
            "/sandbox/local/faults",
            axum::routing::post(set_fault).delete(clear_fault),
        )
        .with_state(state)
}

fn refusal(status: StatusCode, error_type: &str, message: &str) -> Response {
    let body = ErrorBody {
        error_type: error_type.to_owned(),
        message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

impl Local {
    /// The 401 Kakao answers without the app's `Authorization: KakaoAK …`.
    fn denial(&self, headers: &HeaderMap) -> Option<Response> {
        let key = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(event_api::parse_authorization);
        let message = match key {
            Some(key) if key == self.rest_api_key => return None,
            Some(_) => "cannot find app for the given appkey",
            None => "appkey not found in Authorization header (KakaoAK {REST API key})",
        };
        Some(refusal(
            StatusCode::UNAUTHORIZED,
            "AccessDeniedError",
            message,
        ))
    }

    /// Applies the standing fault: `Some(answer)` when the request fails because of it.
    async fn fault(&self) -> Option<Response> {
        let fault = lock(&self.fault).clone();
        match fault? {
            Fault::Latency(d) => {
                tokio::time::sleep(d).await;
                None
            }
            Fault::Status(code) => {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
                Some(refusal(status, "ServiceUnavailable", "sandbox fault"))
            }
            Fault::Timeout => {
                tokio::time::sleep(HANG).await;
                Some(refusal(
                    StatusCode::GATEWAY_TIMEOUT,
                    "ServiceUnavailable",
                    "sandbox fault: nobody should still be waiting",
                ))
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    query: Option<String>,
    x: Option<f64>,
    y: Option<f64>,
    radius: Option<u32>,
    sort: Option<String>,
    page: Option<u32>,
    size: Option<u32>,
}

impl SearchQuery {
    /// The trimmed query, page and size, or why Kakao would answer 400.
    fn checked(&self, size_max: u32) -> Result<(String, usize, usize), String> {
        let query = self.query.as_deref().map(str::trim).unwrap_or_default();
        if query.is_empty() {
            return Err("query parameter required".to_owned());
        }
        let size = self.size.unwrap_or(size_max.min(15));
        if !(1..=size_max).contains(&size) {
            return Err(format!("size is between 1 and {size_max}"));
        }
        let page = self.page.unwrap_or(1);
        if !(1..=PAGE_MAX).contains(&page) {
            return Err(format!("page is between 1 and {PAGE_MAX}"));
        }
        Ok((query.to_owned(), page as usize, size as usize))
    }
}

fn invalid_argument(message: &str) -> Response {
    refusal(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// One page of `all`, with Kakao's counts.
fn page<T: Clone>(all: &[T], page: usize, size: usize) -> (Meta, Vec<T>) {
    let start = (page - 1) * size;
    let documents: Vec<T> = all.iter().skip(start).take(size).cloned().collect();
    let meta = Meta {
        total_count: all.len() as u64,
        pageable_count: all.len() as u64,
        is_end: start + size >= all.len(),
        same_name: None,
    };
    (meta, documents)
}

async fn keyword(
    State(local): Shared,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    if let Some(denied) = local.denial(&headers) {
        return denied;
    }
    let (query, page_no, size) = match q.checked(KEYWORD_SIZE_MAX) {
        Ok(checked) => checked,
        Err(message) => return invalid_argument(&message),
    };
    if let Some(failed) = local.fault().await {
        return failed;
    }
    lock(&local.counts).keyword += 1;
    let centre = q.x.zip(q.y);
    let mut found = gazetteer::places(&query, centre);
    if let (Some(_), Some(radius)) = (centre, q.radius) {
        found.retain(|p| {
            p.distance
                .parse::<f64>()
                .is_ok_and(|d| d <= f64::from(radius))
        });
    }
    if centre.is_some() && q.sort.as_deref() == Some("distance") {
        found.sort_by(|a, b| {
            let d = |p: &kakao::local::Place| p.distance.parse::<f64>().unwrap_or(f64::MAX);
            d(a).total_cmp(&d(b))
        });
    }
    let (mut meta, documents) = page(&found, page_no, size);
    meta.same_name = Some(SameName {
        region: Vec::new(),
        keyword: query,
        selected_region: String::new(),
    });
    Json(KeywordResponse { meta, documents }).into_response()
}

async fn address(
    State(local): Shared,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    if let Some(denied) = local.denial(&headers) {
        return denied;
    }
    let (query, page_no, size) = match q.checked(ADDRESS_SIZE_MAX) {
        Ok(checked) => checked,
        Err(message) => return invalid_argument(&message),
    };
    if let Some(failed) = local.fault().await {
        return failed;
    }
    lock(&local.counts).address += 1;
    let found = gazetteer::addresses(&query);
    let (meta, documents) = page(&found, page_no, size);
    Json(AddressResponse { meta, documents }).into_response()
}

async fn view(State(local): Shared) -> Response {
    let counts = lock(&local.counts);
    let fault = lock(&local.fault).as_ref().map(Fault::name);
    Json(json!({
        "keyword_searches": counts.keyword,
        "address_searches": counts.address,
        "fault": fault,
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultInput {
    always: Option<String>,
}

async fn set_fault(State(local): Shared, Json(input): Json<FaultInput>) -> Response {
    let fault = match input.always.as_deref().map(Fault::parse).transpose() {
        Ok(fault) => fault,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response();
        }
    };
    let name = fault.as_ref().map(Fault::name);
    *lock(&local.fault) = fault;
    Json(json!({ "fault": name })).into_response()
}

async fn clear_fault(State(local): Shared) -> Response {
    *lock(&local.fault) = None;
    Json(json!({ "fault": null })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_bad_ones_are_named() {
        assert_eq!(Fault::parse("timeout").unwrap(), Fault::Timeout);
        assert_eq!(Fault::parse("5xx").unwrap(), Fault::Status(500));
        assert_eq!(Fault::parse("status=503").unwrap(), Fault::Status(503));
        assert_eq!(
            Fault::parse("latency=200").unwrap(),
            Fault::Latency(Duration::from_millis(200))
        );
        for bad in ["status=200", "latency=soon", "explode", ""] {
            assert!(Fault::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_count_the_whole_result() {
        let all: Vec<u32> = (0..7).collect();
        let (meta, docs) = page(&all, 2, 3);
        assert_eq!(docs, vec![3, 4, 5]);
        assert_eq!((meta.total_count, meta.is_end), (7, false));
        let (meta, docs) = page(&all, 3, 3);
        assert_eq!((docs, meta.is_end), (vec![6], true));
    }
}
