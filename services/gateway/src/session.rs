//! The store staff's session cookie and the extractors that resolve it. The store a request acts
//! on always comes from the resolved session, never from the client, so one store's session
//! cannot name another store.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use chrono::Utc;
use contracts::store::v1::{ResolveSessionRequest, Role, Session, SessionStatus};

use crate::error::{ApiError, MSG_SESSION_EXPIRED, MSG_SESSION_REPLACED};
use crate::state::{AppState, grpc_request};

/// Requests the UI makes on its own (periodic refreshes) send this header so they do not keep an
/// idle session alive; only what staff do renews the idle timeout.
pub const BACKGROUND_HEADER: &str = "x-simpleorder-background";

const COOKIE_GRACE_SECS: i64 = 3600;

/// Longest session id accepted from a cookie; real ids are ~22 base64url characters.
const MAX_SESSION_ID_LEN: usize = 128;

/// Name and attributes of the session cookie. Over https the `__Host-` prefix makes the browser
/// insist on Secure, Path=/ and no Domain, so no sibling host can plant or read it.
#[derive(Debug, Clone)]
pub struct SessionCookie {
    name: &'static str,
    secure: bool,
}

impl SessionCookie {
    pub fn for_base_url(public_base_url: &str) -> SessionCookie {
        if public_base_url.starts_with("https://") {
            SessionCookie {
                name: "__Host-so_session",
                secure: true,
            }
        } else {
            SessionCookie {
                name: "so_session",
                secure: false,
            }
        }
    }

    /// The `Set-Cookie` value for `session`. The cookie outlives the session's absolute expiry a
    /// little, so a late request is told the session expired rather than that nobody signed in.
    pub fn set(&self, session: &Session) -> HeaderValue {
        let max_age = session
            .expires_at
            .as_ref()
            .map(|t| (t.seconds - Utc::now().timestamp()).max(0) + COOKIE_GRACE_SECS)
            .unwrap_or(0);
        self.header(&session.session_id, max_age)
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear(&self) -> HeaderValue {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let cookie = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={max_age}",
            self.name
        );
        // Session ids are base64url and the rest is fixed text, so this never fails; a cookie
        // that would not be a valid header is dropped rather than sent half-formed.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session id the browser sent, if it looks like one.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == self.name)
            .map(|(_, value)| value.trim())
            .find(|value| is_session_id(value))
            .map(str::to_owned)
    }
}

fn is_session_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_SESSION_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A signed-in staff member (admin or viewer): the resolved session.
#[derive(Debug, Clone)]
pub struct Staff {
    pub session: Session,
}

impl Staff {
    pub fn store_id(&self) -> &str {
        &self.session.store_id
    }

    pub fn role(&self) -> Role {
        Role::try_from(self.session.role).unwrap_or(Role::Unspecified)
    }
}

/// A signed-in admin: the only role that changes anything.
#[derive(Debug, Clone)]
pub struct Admin(pub Staff);

/// Resolves a session id with the store service; every non-valid outcome is a 401 saying why.
pub async fn resolve(state: &AppState, session_id: String, touch: bool) -> Result<Staff, ApiError> {
    let answer = state
        .store
        .clone()
        .resolve_session(grpc_request(ResolveSessionRequest {
            session_id: session_id.clone(),
            touch,
        }))
        .await?
        .into_inner();
    match (SessionStatus::try_from(answer.status), answer.session) {
        (Ok(SessionStatus::Valid), Some(mut session)) => {
            // The id the browser holds is the one that resolved; keep it even if the answer
            // leaves the secret out.
            session.session_id = session_id;
            Ok(Staff { session })
        }
        (Ok(SessionStatus::Replaced), _) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "session_replaced",
            MSG_SESSION_REPLACED,
        )),
        (Ok(SessionStatus::Expired), _) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "session_expired",
            MSG_SESSION_EXPIRED,
        )),
        _ => Err(ApiError::unauthenticated()),
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, ApiError> {
        let session_id = state
            .cookie
            .read(&parts.headers)
            .ok_or_else(ApiError::unauthenticated)?;
        let touch = !parts.headers.contains_key(BACKGROUND_HEADER);
        resolve(state, session_id, touch).await
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, ApiError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.role() != Role::Admin {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "viewer_read_only",
                "보기 전용 기기에서는 변경할 수 없습니다. 관리자 기기에서 해 주세요.",
            ));
        }
        Ok(Admin(staff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(cookie).expect("ascii"),
        );
        headers
    }

    #[test]
    fn https_uses_the_host_prefix_and_secure() {
        let cookie = SessionCookie::for_base_url("https://order.example.kr");
        let set = cookie.clear();
        let set = set.to_str().expect("ascii");
        assert!(set.starts_with("__Host-so_session=;"), "{set}");
        assert!(set.contains("; Secure"));
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/")
        );
    }

    #[test]
    fn http_uses_a_plain_name_without_secure() {
        let cookie = SessionCookie::for_base_url("http://127.0.0.1:8080");
        let set = cookie.clear();
        let set = set.to_str().expect("ascii");
        assert!(set.starts_with("so_session=;"), "{set}");
        assert!(!set.contains("Secure"));
    }

    #[test]
    fn reads_only_its_own_well_formed_cookie() {
        let cookie = SessionCookie::for_base_url("http://localhost");
        assert_eq!(
            cookie
                .read(&headers("a=1; so_session=AbC-_09; b=2"))
                .as_deref(),
            Some("AbC-_09")
        );
        assert_eq!(cookie.read(&headers("so_session_x=abc")), None);
        assert_eq!(cookie.read(&headers("so_session=a%20b")), None);
        assert_eq!(cookie.read(&headers("so_session=")), None);
        assert_eq!(cookie.read(&HeaderMap::new()), None);
    }
}
