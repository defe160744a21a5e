//! The sockets a service serves on. Tests bind port 0 themselves and hand the listener in with
//! [`hand_in`] before starting the service on its address: a port chosen and released first
//! could be taken by a parallel test process before the service binds it.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Config, Error, Service};

static HANDED_IN: Mutex<Vec<std::net::TcpListener>> = Mutex::new(Vec::new());

/// Listeners kept at most: a test that reserves addresses for services it never starts must not
/// hold their sockets until the process ends. The oldest go first; a service that finds its
/// listener gone binds the address itself.
const KEPT: usize = 256;

/// Keeps `listener` for the service that will listen on its address in this process.
pub fn hand_in(listener: std::net::TcpListener) {
    let mut listeners = HANDED_IN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if listeners.len() == KEPT {
        listeners.remove(0);
    }
    listeners.push(listener);
}

/// The listener handed in for `addr`, else a new one bound to it.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, Error> {
    let handed_in = {
        let mut listeners = HANDED_IN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        listeners
            .iter()
            .position(|l| l.local_addr().is_ok_and(|local| local == addr))
            .map(|i| listeners.remove(i))
    };
    let bound = match handed_in {
        Some(listener) => listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener)),
        None => tokio::net::TcpListener::bind(addr).await,
    };
    bound.map_err(|source| Error::Bind { addr, source })
}

/// Whether a server answers on `addr`. A connection is not enough: a listener handed in for a
/// service that has not started yet accepts connections into its backlog, and nobody answers
/// them until the service serves. Waits as long as that takes; callers bound the wait.
pub async fn answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    // Any server answers this with something: ops and HTTP servers with a response, a gRPC
    // (HTTP/2-only) server by closing the connection with a GOAWAY.
    if stream
        .write_all(b"GET /healthz HTTP/1.0\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut first = [0u8; 1];
    matches!(stream.read(&mut first).await, Ok(1))
}

/// Waits until `addr` [`answers`], for at most `timeout`.
pub async fn wait_until_answering(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if tokio::time::timeout(remaining, answers(addr))
            .await
            .unwrap_or(false)
        {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every service of `services` answers on its ops port (the sandbox on its own
/// port), so the URLs printed next are live.
pub async fn wait_until_serving(config: &Config, services: &[Service], timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    for &service in services {
        let addr = match config.endpoints(service) {
            Some(endpoints) => endpoints.ops_addr,
            None => config.sandbox_addr,
        };
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !wait_until_answering(addr, remaining).await {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_handed_in_listener_is_the_one_served_and_only_once() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        hand_in(listener);
        // The port stays bound by the handed-in listener, so a fresh bind would fail.
        let served = bind(addr).await.unwrap();
        assert_eq!(served.local_addr().unwrap(), addr);
        assert!(matches!(bind(addr).await, Err(Error::Bind { .. })));
        drop(served);
        assert!(bind(addr).await.is_ok());
    }
}
