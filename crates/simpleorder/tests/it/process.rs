//! A `simpleorder` process a test starts: killed when the test is done, what it prints drained
//! as it comes (a full pipe would stop it), and a wait for its services to be ready.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Running {
    child: Child,
    printed: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends each whole line of `pipe` to `printed` as it comes, so a reader never sees half a
/// line.
fn drain(pipe: impl Read + Send + 'static, printed: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut pipe = BufReader::new(pipe);
        let mut line = Vec::new();
        while let Ok(1..) = pipe.read_until(b'\n', &mut line) {
            let mut printed = printed.lock().unwrap();
            printed.push_str(&String::from_utf8_lossy(&line));
            if !line.ends_with(b"\n") {
                printed.push('\n');
            }
            line.clear();
        }
    });
}

impl Running {
    /// Spawns `command` with its stdout and stderr drained into [`Running::printed`].
    pub fn spawn(mut command: Command) -> std::io::Result<Running> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let printed = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take().expect("piped"), printed.clone());
        drain(child.stderr.take().expect("piped"), printed.clone());
        Ok(Running { child, printed })
    }

    /// Every line it printed so far, stdout and stderr as they came.
    pub fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }

    /// Waits until `/readyz` on the ops address `ops` answers 200: `None` then, or how the
    /// process ended if it stopped first. Fails the test, showing what it printed, when
    /// `service` is not ready within 30 s.
    pub async fn until_ready(
        &mut self,
        ops: SocketAddr,
        service: &str,
    ) -> anyhow::Result<Option<ExitStatus>> {
        let client = reqwest::Client::new();
        let url = format!("http://{ops}/readyz");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = client
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return Ok(None);
            }
            if let Some(status) = self.child.try_wait()? {
                // Let the drain threads take the last lines.
                tokio::time::sleep(Duration::from_millis(200)).await;
                return Ok(Some(status));
            }
            assert!(
                Instant::now() < deadline,
                "{service} never became ready:\n{}",
                self.printed()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
