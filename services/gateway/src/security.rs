//! Browser-facing defences: security headers on every response and the CSRF check on
//! state-changing API requests.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// State-changing requests to the store API must carry this header with the value `1`. A page on
/// another site cannot add a custom header to a cross-origin request without a CORS preflight,
/// which the gateway never grants, so its presence proves the request came from our own script.
pub const CSRF_HEADER: &str = "x-simpleorder-csrf";

/// Scripts and styles are served as files ('self'), never inline; images may come from https
/// (menu pictures); nothing may frame the UI.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// Sends Strict-Transport-Security; only meaningful when served over https.
    pub hsts: bool,
}

impl HeaderPolicy {
    pub fn for_base_url(public_base_url: &str) -> HeaderPolicy {
        HeaderPolicy {
            hsts: public_base_url.starts_with("https://"),
        }
    }
}

/// Adds the security headers to every response; a handler that set its own value keeps it.
pub async fn headers(State(policy): State<HeaderPolicy>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut default = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    default(header::CONTENT_SECURITY_POLICY, CSP);
    default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    default(header::X_FRAME_OPTIONS, "DENY");
    default(header::REFERRER_POLICY, "no-referrer");
    default(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if policy.hsts {
        default(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// Refuses state-changing requests without the CSRF header (403 JSON).
pub async fn csrf(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let proven = request
        .headers()
        .get(CSRF_HEADER)
        .is_some_and(|value| value == "1");
    if !safe && !proven {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "요청 출처를 확인할 수 없습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.",
        )
        .into_response();
    }
    next.run(request).await
}

/// API answers hold store data and session state: never cache them.
pub async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
