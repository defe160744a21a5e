//! `GET /api/store/live?after={stream id}&day={day id}`: the live board's WebSocket.
//!
//! The socket belongs to a signed-in staff member (admin or viewer) of one store, and only to a
//! page of our own origin: a browser sends the cookie with a WebSocket handshake from any site,
//! so the Origin header is what stops another site from reading the board. The socket replays
//! the store's current day stream after `after` (from the start without it, when `day` names
//! another day, or when `after` lies before the stream's `opened` entry: the stream was rebuilt
//! since), then follows it; see [`wire`] for the messages.

mod days;
pub mod hub;
mod slots;
pub(crate) mod socket;
pub mod wire;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

pub use days::Days;
pub use hub::Hubs;
pub use slots::Slots;
pub use socket::Timing;
use wire::EntryId;

use crate::error::ApiError;
use crate::session;
use crate::state::AppState;

/// The socket's path.
pub const PATH: &str = "/api/store/live";

/// Incoming messages are never needed; anything large is refused outright.
const MAX_INCOMING: usize = 4096;
/// A socket's read buffer, allocated whole when it opens: the default 128 KiB made each board
/// cost about 150 KB, for incoming messages of at most [`MAX_INCOMING`].
const READ_BUFFER: usize = MAX_INCOMING;
/// Outgoing entries are a few hundred bytes and sent one by one: written out at once rather
/// than gathered in a buffer first.
const WRITE_BUFFER: usize = 0;

#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    after: Option<String>,
    day: Option<String>,
}

/// Where a board resumes: after an entry of a given day, or from the start.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    pub after: Option<EntryId>,
    pub day: Option<String>,
}

impl Resume {
    fn parse(query: LiveQuery) -> Result<Resume, ApiError> {
        let after = match query.after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<EntryId>().map_err(|_| {
                ApiError::bad_request("이어 받을 위치(after)가 올바르지 않습니다.")
            })?),
        };
        let day = query.day.filter(|d| !d.trim().is_empty());
        Ok(Resume { after, day })
    }

    /// The id to replay after on `day_business_id`: a position on another day means nothing.
    pub fn after_on(&self, day_business_id: &str) -> EntryId {
        match (&self.day, self.after) {
            (Some(day), _) if day != day_business_id => EntryId::ZERO,
            (_, Some(after)) => after,
            (_, None) => EntryId::ZERO,
        }
    }
}

/// `scheme://host[:port]` of a URL, lower-cased, without a default port.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_owned(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// Whether the handshake's Origin is the gateway's public origin.
fn same_origin(headers: &HeaderMap, public_base_url: &str) -> bool {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(origin_of)
    else {
        return false;
    };
    origin_of(public_base_url).is_some_and(|ours| ours == origin)
}

pub async fn live(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<LiveQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    if !same_origin(&headers, &state.public_base_url) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin",
            "요청 출처를 확인할 수 없습니다. 매장 관리 페이지에서 다시 열어 주세요.",
        ));
    }
    let session_id = state
        .cookie
        .read(&headers)
        .ok_or_else(ApiError::unauthenticated)?;
    // Watching the board is not activity: it must not keep an idle session alive.
    let staff = session::resolve(&state, session_id.clone(), false).await?;
    let Query(query) =
        query.map_err(|_| ApiError::bad_request("요청 형식이 올바르지 않습니다."))?;
    let resume = Resume::parse(query)?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "websocket_required",
            "실시간 주문 현황은 웹소켓으로만 연결할 수 있습니다.",
        )
    })?;
    // Each open socket replays the day and holds a reader: a session or a store gets a few.
    let slot = state
        .live_slots
        .admit(&session_id, staff.store_id())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_boards",
                "주문 현황 화면이 너무 많이 열려 있습니다. 다른 창을 닫고 다시 시도해 주세요.",
            )
        })?;
    Ok(upgrade
        .max_message_size(MAX_INCOMING)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |ws| async move {
            let _slot = slot;
            socket::run(ws, state, staff, session_id, resume).await;
        }))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_origin(origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_str(origin).expect("ascii"),
        );
        headers
    }

    #[test]
    fn only_the_public_origin_may_open_the_socket() {
        let base = "https://order.example.kr";
        assert!(same_origin(&with_origin("https://order.example.kr"), base));
        assert!(same_origin(
            &with_origin("https://ORDER.example.kr:443"),
            base
        ));
        assert!(same_origin(
            &with_origin("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/"
        ));
        for other in [
            "https://evil.example",
            "http://order.example.kr",
            "https://order.example.kr.evil.example",
            "https://order.example.kr:8443",
            "null",
            "",
        ] {
            assert!(!same_origin(&with_origin(other), base), "{other:?}");
        }
        assert!(!same_origin(&HeaderMap::new(), base), "no Origin at all");
    }

    #[test]
    fn a_position_counts_only_on_its_own_day() {
        let query = |after: Option<&str>, day: Option<&str>| LiveQuery {
            after: after.map(str::to_owned),
            day: day.map(str::to_owned),
        };
        let id: EntryId = "1700000000000-2".parse().expect("id");
        let resume = Resume::parse(query(Some("1700000000000-2"), Some("d1"))).expect("valid");
        assert_eq!(resume.after_on("d1"), id);
        assert_eq!(resume.after_on("d2"), EntryId::ZERO);
        let without_day = Resume::parse(query(Some("1700000000000-2"), None)).expect("valid");
        assert_eq!(without_day.after_on("d2"), id);
        let fresh = Resume::parse(query(Some(""), Some(""))).expect("valid");
        assert_eq!(fresh.after_on("d1"), EntryId::ZERO);
        assert!(Resume::parse(query(Some("$"), None)).is_err());
        assert!(Resume::parse(query(Some("1700000000000"), None)).is_err());
    }
}
