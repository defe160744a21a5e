//! Load shapes: open-loop at a fixed rate (latency counted from when each request was due, so a
//! slow server cannot hide its queue) and closed-loop with a fixed number of callers (the
//! maximum rate).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::stats::Samples;

pub struct Run {
    pub ok: Samples,
    pub errors: usize,
    pub elapsed: Duration,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.ok.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// `call(i)` started at `rate` per second for `duration`, whatever the answers take.
pub async fn open_loop<F, Fut>(rate: f64, duration: Duration, call: F) -> Run
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let total = (rate * duration.as_secs_f64()) as u64;
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due).await;
        let request = call(i);
        tasks.spawn(async move { (request.await, due.elapsed()) });
    }
    let mut run = Run {
        ok: Samples::default(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((true, latency)) => run.ok.push(latency),
            _ => run.errors += 1,
        }
    }
    run.elapsed = start.elapsed();
    run
}

/// `callers` loops each calling `call(i)` back to back for `duration`.
pub async fn closed_loop<F, Fut>(callers: usize, duration: Duration, call: F) -> Run
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let results = Arc::new(Mutex::new((Samples::default(), 0usize)));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for caller in 0..callers {
        let call = call.clone();
        let results = results.clone();
        tasks.spawn(async move {
            let mut mine = Samples::default();
            let mut errors = 0;
            let mut i = caller as u64;
            while Instant::now() < deadline {
                let began = Instant::now();
                if call(i).await {
                    mine.push(began.elapsed());
                } else {
                    errors += 1;
                }
                i += callers as u64;
            }
            let mut all = results.lock().await;
            all.0.extend(mine);
            all.1 += errors;
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed();
    let (ok, errors) = std::mem::take(&mut *results.lock().await);
    Run {
        ok,
        errors,
        elapsed,
    }
}
