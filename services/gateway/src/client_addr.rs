//! The client's address as the gateway can vouch for it, for the store service's per-address
//! login limit and the skill calls.
//!
//! Behind proxies (a Kubernetes Ingress) every request comes from the proxy, so the TCP peer
//! address is the same for everyone. Each proxy appends the address it saw to
//! `X-Forwarded-For`, after whatever the client wrote there itself. With `TRUSTED_PROXY_HOPS`
//! = N, the N-th entry from the right is the one the outermost trusted proxy appended: the
//! client's real address. Everything left of it is the client's to write and is never trusted.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// How many proxies in front of the gateway append to `X-Forwarded-For`; a request extension
/// set once on the router.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrustedProxyHops(pub usize);

/// The client's address: from `X-Forwarded-For` as far as the trusted proxies vouch for it,
/// else the peer. `None` only when neither is known (a request not from a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address as the store and chatbot-skill services take it; empty when unknown.
    pub fn to_wire(self) -> String {
        self.0.map(|ip| ip.to_string()).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let hops = parts
            .extensions
            .get::<TrustedProxyHops>()
            .copied()
            .unwrap_or_default();
        let forwarded = forwarded_client(&parts.headers, hops.0);
        Ok(ClientAddr(forwarded.or(peer)))
    }
}

/// The address the outermost of `hops` trusted proxies saw, read from `X-Forwarded-For`; `None`
/// (use the peer) when `hops` is 0, the header is missing or unreadable, it has fewer entries
/// than `hops` (the request did not come through all the proxies), or that entry is not an
/// address.
pub fn forwarded_client(headers: &HeaderMap, hops: usize) -> Option<IpAddr> {
    if hops == 0 {
        return None;
    }
    // Several X-Forwarded-For lines are one list in order (RFC 9110 §5.3); an unreadable line
    // makes the whole list unreliable.
    let mut entries: Vec<&str> = Vec::new();
    for line in headers.get_all(FORWARDED_FOR) {
        entries.extend(line.to_str().ok()?.split(','));
    }
    let entry = entries.len().checked_sub(hops).map(|i| entries[i])?;
    parse_entry(entry.trim())
}

/// An address as proxies write it: bare, or with a port (`203.0.113.7:4711`, `[2001:db8::1]:443`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn no_trusted_proxy_ignores_the_header() {
        assert_eq!(forwarded_client(&xff(&["203.0.113.7"]), 0), None);
    }

    #[test]
    fn the_entry_the_outermost_trusted_proxy_appended_is_the_client() {
        assert_eq!(
            forwarded_client(&xff(&["203.0.113.7"]), 1),
            ip("203.0.113.7")
        );
        // Client → CDN (appends 203.0.113.7) → Ingress (appends the CDN's 198.51.100.2).
        let two = xff(&["203.0.113.7, 198.51.100.2"]);
        assert_eq!(forwarded_client(&two, 2), ip("203.0.113.7"));
        assert_eq!(forwarded_client(&two, 1), ip("198.51.100.2"));
    }

    #[test]
    fn spoofed_leftmost_entries_are_ignored() {
        // The client wrote "1.2.3.4, 5.6.7.8" itself; the Ingress appended what it saw.
        let spoofed = xff(&["1.2.3.4, 5.6.7.8, 203.0.113.7"]);
        assert_eq!(forwarded_client(&spoofed, 1), ip("203.0.113.7"));
        // The same list over several header lines reads the same.
        let split = xff(&["1.2.3.4", "5.6.7.8,203.0.113.7"]);
        assert_eq!(forwarded_client(&split, 1), ip("203.0.113.7"));
    }

    #[test]
    fn ipv6_and_ports_are_read() {
        assert_eq!(
            forwarded_client(&xff(&["2001:db8::1"]), 1),
            ip("2001:db8::1")
        );
        assert_eq!(
            forwarded_client(&xff(&["10.0.0.1, [2001:db8::7]:443"]), 1),
            ip("2001:db8::7")
        );
        assert_eq!(
            forwarded_client(&xff(&["203.0.113.7:4711"]), 1),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn missing_short_or_garbled_headers_fall_back_to_the_peer() {
        assert_eq!(forwarded_client(&HeaderMap::new(), 1), None);
        assert_eq!(forwarded_client(&xff(&["203.0.113.7"]), 2), None);
        assert_eq!(forwarded_client(&xff(&["1.2.3.4, unknown"]), 1), None);
        assert_eq!(forwarded_client(&xff(&["1.2.3.4, "]), 1), None);
        assert_eq!(forwarded_client(&xff(&["1.2.3.4,,"]), 2), None);
        let mut binary = HeaderMap::new();
        binary.append(
            FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.7\xff").unwrap(),
        );
        assert_eq!(forwarded_client(&binary, 1), None);
    }

    #[tokio::test]
    async fn the_extractor_prefers_the_vouched_address_and_falls_back_to_the_peer() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let extract = |hops: usize, header: Option<&str>| {
            let mut request = axum::http::Request::builder().uri("/");
            if let Some(header) = header {
                request = request.header(FORWARDED_FOR, header);
            }
            let (mut parts, ()) = request.body(()).unwrap().into_parts();
            parts.extensions.insert(ConnectInfo(peer));
            parts.extensions.insert(TrustedProxyHops(hops));
            async move {
                ClientAddr::from_request_parts(&mut parts, &())
                    .await
                    .unwrap()
            }
        };
        let peer_ip = Some(peer.ip());
        assert_eq!(
            extract(1, Some("6.6.6.6, 203.0.113.7")).await.0,
            ip("203.0.113.7")
        );
        assert_eq!(extract(0, Some("203.0.113.7")).await.0, peer_ip);
        assert_eq!(extract(1, None).await.0, peer_ip);
        assert_eq!(extract(1, Some("garbage")).await.0, peer_ip);
        assert_eq!(
            extract(1, Some("203.0.113.7")).await.to_wire(),
            "203.0.113.7"
        );
    }
}
