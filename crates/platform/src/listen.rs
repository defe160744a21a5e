//! The sockets a service serves on. Tests bind port 0 themselves and hand the listener in with
//! [`hand_in`] before starting the service on its address: a port chosen and released first
//! could be taken by a parallel test process before the service binds it.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

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

/// Waits until every service of `services` accepts connections on its ops port (the sandbox on
/// its own port), so the URLs printed next are live.
pub async fn wait_until_listening(
    config: &Config,
    services: &[Service],
    timeout: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    for &service in services {
        let addr = match config.endpoints(service) {
            Some(endpoints) => endpoints.ops_addr,
            None => config.sandbox_addr,
        };
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
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
