//! Login, logout, the current session, and viewer sessions for a second device.
//!
//! Viewer flow: an admin asks for a viewer link (`POST /api/store/viewer`); the gateway opens a
//! viewer session at the store service and keeps it under a one-time code in Redis for at most
//! ten minutes. The link is `{PUBLIC_BASE_URL}/#viewer={code}`: the code sits in the fragment, so
//! it never reaches a server log or a Referer. The second device's page posts the code to
//! `POST /api/store/viewer/join`, which consumes it (GETDEL) and sets that device's cookie.
//! Redis holds neither the code nor the viewer's session id: the key is a digest of the code and
//! the value the id masked with another digest of it, so a Redis dump without the link opens
//! nothing.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use contracts::store::v1::{
    CreateViewerSessionRequest, GetStoreRequest, LoginRequest, LogoutRequest, Role,
};
use redis::AsyncCommands;
use tonic::Code;

use super::dto::{LoginInput, LoginResult, Me, ViewerJoinInput, ViewerLink};
use super::extract::Body;
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ErrorBody, staff_message};
use crate::session::{Admin, Staff, resolve};
use crate::state::{AppState, grpc_request};

/// How long a viewer link can be used, at most (also bounded by the viewer session's expiry).
const VIEWER_LINK_TTL: Duration = Duration::from_secs(600);
const VIEWER_CODE_BYTES: usize = 16;

/// SHA-256 of the code under a purpose label, so the key and the mask are unrelated values.
fn link_digest(purpose: &str, code: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(purpose.as_bytes())
        .chain_update([0])
        .chain_update(code.as_bytes())
        .finalize()
        .into()
}

fn viewer_link_key(state: &AppState, code: &str) -> String {
    let digest: String = link_digest("viewer-link-key", code)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    state.keys.key(&format!("gw:viewer-link:{digest}"))
}

/// XORs a session id (32 bytes, base64url) with the code's mask; the same call unmasks. `None`
/// for anything that is not a session id.
fn mask_session_id(session_id: &str, code: &str) -> Option<String> {
    let id = URL_SAFE_NO_PAD.decode(session_id).ok()?;
    let id: [u8; 32] = id.try_into().ok()?;
    let mask = link_digest("viewer-link-mask", code);
    let masked: Vec<u8> = id.iter().zip(mask).map(|(a, b)| a ^ b).collect();
    Some(URL_SAFE_NO_PAD.encode(masked))
}

fn viewer_link_invalid() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "viewer_link_invalid",
        "연결 링크가 만료되었거나 이미 사용되었습니다. 관리자 기기에서 새 링크를 만들어 주세요.",
    )
}

fn redis_failed(error: redis::RedisError) -> ApiError {
    tracing::warn!(%error, "gateway redis call failed");
    ApiError::unavailable()
}

/// The store's display name; the session is still usable without it, so a failure only logs.
pub async fn store_name(state: &AppState, store_id: &str) -> String {
    let request = grpc_request(GetStoreRequest {
        store_id: store_id.to_owned(),
    });
    match state.store.clone().get_store(request).await {
        Ok(answer) => answer
            .into_inner()
            .store
            .map(|store| store.name)
            .unwrap_or_default(),
        Err(status) => {
            tracing::warn!(code = ?status.code(), "store name lookup failed");
            String::new()
        }
    }
}

/// Signs in as the store's admin. A newer admin login signs out the previous one (and its
/// viewers): that tab's next request answers 401 `session_replaced`.
#[utoipa::path(
    post, path = "/api/store/login", tag = "session",
    request_body = LoginInput,
    responses(
        (status = 200, body = LoginResult, description = "Signed in; sets the session cookie",
            headers(("set-cookie" = String, description = "`so_session` (http) or `__Host-so_session` (https); HttpOnly; SameSite=Strict; Path=/"))),
        (status = 400, body = ErrorBody, description = "Login or password missing"),
        (status = 401, body = ErrorBody, description = "`invalid_credentials`"),
        (status = 403, body = ErrorBody, description = "`csrf`: the X-SimpleOrder-CSRF header is missing"),
        (status = 429, body = ErrorBody, description = "`rate_limited`: too many failed logins for this account or address",
            headers(("retry-after" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    Body(input): Body<LoginInput>,
) -> Result<Response, ApiError> {
    if input.login.trim().is_empty() || input.password.is_empty() {
        return Err(ApiError::bad_request("아이디와 비밀번호를 입력해 주세요."));
    }
    let request = grpc_request(LoginRequest {
        login_id: input.login.trim().to_owned(),
        password: input.password,
        client_ip: client.to_wire(),
    });
    let answer = match state.store.clone().login(request).await {
        Ok(answer) => answer.into_inner(),
        Err(status) if status.code() == Code::Unauthenticated => {
            let message =
                staff_message(&status).unwrap_or("아이디 또는 비밀번호가 올바르지 않습니다.");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                message,
            ));
        }
        Err(status) => return Err(status.into()),
    };
    let session = answer.session.ok_or_else(ApiError::internal)?;
    let me = Me::new(&session, store_name(&state, &session.store_id).await);
    let body = LoginResult {
        me,
        replaced_previous: answer.replaced_previous,
    };
    Ok((
        [(header::SET_COOKIE, state.cookie.set(&session))],
        axum::Json(body),
    )
        .into_response())
}

/// Ends the session server-side and removes the cookie. Idempotent.
#[utoipa::path(
    post, path = "/api/store/logout", tag = "session",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 403, body = ErrorBody, description = "`csrf`"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(session_id) = state.cookie.read(&headers) {
        state
            .store
            .clone()
            .logout(grpc_request(LogoutRequest { session_id }))
            .await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, state.cookie.clear())],
    )
        .into_response())
}

/// The signed-in session: store, login, role and expiry.
#[utoipa::path(
    get, path = "/api/store/me", tag = "session",
    responses(
        (status = 200, body = Me),
        (status = 401, body = ErrorBody, description = "`unauthenticated`, `session_expired`, or `session_replaced` (signed out by a newer login)"),
    )
)]
pub async fn me(State(state): State<AppState>, staff: Staff) -> axum::Json<Me> {
    let name = store_name(&state, staff.store_id()).await;
    axum::Json(Me::new(&staff.session, name))
}

/// Admin only: a one-time link that signs a second device in as a read-only viewer.
#[utoipa::path(
    post, path = "/api/store/viewer", tag = "session",
    responses(
        (status = 201, body = ViewerLink),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`viewer_read_only` or `csrf`"),
    )
)]
pub async fn create_viewer_link(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> Result<Response, ApiError> {
    let request = grpc_request(CreateViewerSessionRequest {
        admin_session_id: admin.session.session_id.clone(),
    });
    let viewer = state
        .store
        .clone()
        .create_viewer_session(request)
        .await?
        .into_inner()
        .session
        .ok_or_else(ApiError::internal)?;
    let now = Utc::now().timestamp();
    let ttl = [viewer.expires_at.as_ref(), viewer.idle_expires_at.as_ref()]
        .into_iter()
        .flatten()
        .map(|t| t.seconds - now)
        .fold(VIEWER_LINK_TTL.as_secs() as i64, i64::min);
    let ttl = u64::try_from(ttl)
        .ok()
        .filter(|ttl| *ttl > 0)
        .ok_or_else(ApiError::internal)?;

    let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; VIEWER_CODE_BYTES]>());
    let masked = mask_session_id(&viewer.session_id, &code).ok_or_else(ApiError::internal)?;
    let mut redis = state.redis.clone();
    let _: () = redis
        .set_ex(viewer_link_key(&state, &code), masked, ttl)
        .await
        .map_err(redis_failed)?;
    let link = ViewerLink {
        url: format!("{}/#viewer={code}", state.public_base_url),
        expires_at: Utc::now() + chrono::Duration::seconds(ttl as i64),
    };
    Ok((StatusCode::CREATED, axum::Json(link)).into_response())
}

/// Redeems a viewer link's code (once) and sets this device's viewer session cookie.
#[utoipa::path(
    post, path = "/api/store/viewer/join", tag = "session",
    request_body = ViewerJoinInput,
    responses(
        (status = 200, body = Me, description = "Signed in as a viewer; sets the session cookie"),
        (status = 404, body = ErrorBody, description = "`viewer_link_invalid`: unknown, used or expired code"),
        (status = 403, body = ErrorBody, description = "`csrf`"),
    )
)]
pub async fn join_as_viewer(
    State(state): State<AppState>,
    Body(input): Body<ViewerJoinInput>,
) -> Result<Response, ApiError> {
    let code = input.code.trim();
    let well_formed = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(viewer_link_invalid());
    }
    let mut redis = state.redis.clone();
    let masked: Option<String> = redis
        .get_del(viewer_link_key(&state, code))
        .await
        .map_err(redis_failed)?;
    let session_id = masked
        .and_then(|masked| mask_session_id(&masked, code))
        .ok_or_else(viewer_link_invalid)?;
    let viewer = match resolve(&state, session_id, true).await {
        Ok(staff) if staff.role() == Role::Viewer => staff,
        Ok(_) => return Err(viewer_link_invalid()),
        Err(error) if error.status == StatusCode::UNAUTHORIZED => {
            return Err(viewer_link_invalid());
        }
        Err(error) => return Err(error),
    };
    let me = Me::new(&viewer.session, store_name(&state, viewer.store_id()).await);
    Ok((
        [(header::SET_COOKIE, state.cookie.set(&viewer.session))],
        axum::Json(me),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_session_id_unmasks_only_with_its_code() {
        let id = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let masked = mask_session_id(&id, "code-a").unwrap();
        assert_ne!(masked, id);
        assert_eq!(mask_session_id(&masked, "code-a").unwrap(), id);
        assert_ne!(mask_session_id(&masked, "code-b").unwrap(), id);
        assert_eq!(mask_session_id("not-an-id", "code-a"), None);
    }
}
