//! The order as recorded in Postgres (`customer_order` and its payment row), and the bounded
//! wait for an order to leave APPROVING that the approval result page uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::{OrderId, OrderStatus};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::error::OrderError;
use crate::model::Order;
use crate::storage::orders as db;

pub struct Orders {
    pub pool: PgPool,
    /// Longest wait WaitOrderOutcome allows, whatever the caller asks.
    pub wait_cap: Duration,
    /// How often a wait reads the order again; an order settled in this process wakes its
    /// waits at once through `settled`, so the poll only matters for another replica's.
    pub poll: Duration,
    pub settled: Arc<Settled>,
}

/// The orders someone waits for in this process, each woken when the approval consumer of this
/// process settled it.
#[derive(Default)]
pub struct Settled {
    waiting: Mutex<HashMap<OrderId, (Arc<Notify>, usize)>>,
}

impl Settled {
    /// Wakes the waits for `id`, if any.
    pub fn wake(&self, id: OrderId) {
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((notify, _)) = waiting.get(&id) {
            notify.notify_waiters();
        }
    }

    fn watch(self: &Arc<Self>, id: OrderId) -> Watch {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let entry = waiting
            .entry(id)
            .or_insert_with(|| (Arc::new(Notify::new()), 0));
        entry.1 += 1;
        Watch {
            notify: entry.0.clone(),
            settled: self.clone(),
            id,
        }
    }
}

/// One wait's registration; dropping it (the wait ended or was cancelled) removes it.
struct Watch {
    notify: Arc<Notify>,
    settled: Arc<Settled>,
    id: OrderId,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut waiting = self
            .settled
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = waiting.get_mut(&self.id) {
            entry.1 -= 1;
            if entry.1 == 0 {
                waiting.remove(&self.id);
            }
        }
    }
}

impl Orders {
    pub async fn find(&self, id: OrderId) -> Result<Option<Order>, OrderError> {
        db::find(&self.pool, id).await
    }

    pub async fn find_by_pg_token(&self, pg_token: &str) -> Result<Option<Order>, OrderError> {
        db::find_by_pg_token(&self.pool, pg_token).await
    }

    /// The order once it left APPROVING, or as it stands when `wait` (capped) ran out; `None`
    /// when it does not exist by then. An order is recorded a moment after its approval URL is
    /// first visited, so a missing row is waited for too.
    pub async fn wait_outcome(
        &self,
        id: OrderId,
        wait: Duration,
    ) -> Result<(Option<Order>, bool), OrderError> {
        let deadline = tokio::time::Instant::now() + wait.min(self.wait_cap);
        let watch = self.settled.watch(id);
        loop {
            // Listening before reading: a settle between the read and the sleep still wakes it.
            let woken = watch.notify.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let order = self.find(id).await?;
            let settled = order
                .as_ref()
                .is_some_and(|o| o.status != OrderStatus::Approving);
            let now = tokio::time::Instant::now();
            if settled || now >= deadline {
                return Ok((order, settled));
            }
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep_until(deadline.min(now + self.poll)) => {}
            }
        }
    }
}
