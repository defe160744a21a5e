//! Graceful shutdown: SIGTERM or Ctrl-C cancels one token that every server and worker watches.

use tokio_util::sync::CancellationToken;

pub type Shutdown = CancellationToken;

/// Cancels `token` on SIGTERM or Ctrl-C. Servers stop accepting, finish what is in flight, and
/// workers finish their current message before returning.
pub fn cancel_on_signal(token: Shutdown) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing a SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested");
        token.cancel();
    });
}
