//! The business day (DESIGN §5): transitions decided by `domain::day`, recorded in Postgres in one
//! transaction (the day row with a guarded update, a history row, on close the summary and the
//! accounting event), then copied to the Redis state hash and the GEO set. Closing seals the day
//! in the order service first (refused while its orders are open; it answers the day's sums), and
//! resuming a closing day unseals it there.
//!
//! Redis is a copy: a missing hash is rebuilt from Postgres on read, and a reconciler rewrites
//! every live day periodically, so a Redis restart or a failed write heals by itself.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::day::{CloseBlocker, DayAction, DayState, Summary};
use prost::Message;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::StoreError;
use crate::seal::{Sealing, Seals};
use crate::storage::StoreKeys;
use crate::storage::day::{self as db, DayRow};

/// What a store's day looks like to a reader.
#[derive(Debug, Clone, PartialEq)]
pub struct DayView {
    pub store_id: Uuid,
    /// The day that is not closed yet; `None` means the store is CLOSED.
    pub live: Option<DayRow>,
    /// When closed: the last day that closed, with its summary.
    pub last_closed: Option<(DayRow, Option<Summary>)>,
    /// While CLOSING: the earliest time the payment-window rule lets CLOSE pass.
    pub close_possible_at: Option<DateTime<Utc>>,
}

impl DayView {
    pub fn state(&self) -> DayState {
        self.live.as_ref().map_or(DayState::Closed, |d| d.state)
    }
}

/// Why an action was not carried out; the message is Korean and ready to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Illegal {
        current: DayState,
        message: String,
    },
    OpenOrders {
        order_ids: Vec<Uuid>,
        message: String,
    },
    PaymentWindow {
        possible_at: DateTime<Utc>,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(DayView),
    Refused(Refusal, DayView),
}

pub struct Days {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
    /// Payment window plus margin: CLOSE waits this long after CLOSING began, so a customer who
    /// started paying just before closing can still finish.
    pub close_wait: Duration,
    pub seals: Seals,
}

impl Days {
    /// The store's day, from the Redis copy (rebuilt from Postgres when missing).
    pub async fn view(&self, store_id: Uuid) -> Result<DayView, StoreError> {
        let mut conn = self.pool.acquire().await?;
        if !db::store_exists(&mut conn, store_id).await? {
            return Err(not_found());
        }
        drop(conn);
        let live = self.live_day(store_id).await?;
        self.complete_view(store_id, live).await
    }

    async fn complete_view(
        &self,
        store_id: Uuid,
        live: Option<DayRow>,
    ) -> Result<DayView, StoreError> {
        let last_closed = match live {
            Some(_) => None,
            None => {
                let mut conn = self.pool.acquire().await?;
                db::last_closed_day(&mut conn, store_id)
                    .await?
                    .map(|(day, summary)| {
                        let summary = summary.and_then(|s| serde_json::from_value(s).ok());
                        (day, summary)
                    })
            }
        };
        let close_possible_at = live
            .as_ref()
            .filter(|d| d.state == DayState::Closing)
            .and_then(|d| d.closing_at)
            .map(|at| at + self.close_wait);
        Ok(DayView {
            store_id,
            live,
            last_closed,
            close_possible_at,
        })
    }

    /// The store's live (not closed) day.
    pub async fn live_day(&self, store_id: Uuid) -> Result<Option<DayRow>, StoreError> {
        Ok(self.live_days(&[store_id]).await?.remove(&store_id))
    }

    /// The live days of the given stores; stores without one are absent. Hashes Redis lost are
    /// rebuilt from Postgres on the way.
    pub async fn live_days(&self, store_ids: &[Uuid]) -> Result<HashMap<Uuid, DayRow>, StoreError> {
        // Without Redis every store is a miss: Postgres still answers, only slower.
        let cached = match db::read_live(&self.redis, &self.keys, store_ids).await {
            Ok(cached) => cached,
            Err(e) => {
                tracing::warn!(error = %e, "live day states unreadable; reading Postgres");
                vec![None; store_ids.len()]
            }
        };
        let mut live = HashMap::new();
        let mut missing = Vec::new();
        for (id, day) in store_ids.iter().zip(cached) {
            match day {
                Some(day) if day.state != DayState::Closed => {
                    live.insert(*id, day);
                }
                Some(_) => {}
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            let mut conn = self.pool.acquire().await?;
            let days = db::active_days(&mut conn, &missing).await?;
            let ids: Vec<Uuid> = days.iter().map(|d| d.store_id).collect();
            let locations = db::store_location(&mut conn, &ids).await?;
            drop(conn);
            for day in days {
                let location = locations.get(&day.store_id).copied();
                if let Err(e) = db::write_live(&self.redis, &self.keys, &day, location).await {
                    tracing::warn!(store_id = %day.store_id, error = %e, "live day state not rebuilt");
                }
                live.insert(day.store_id, day);
            }
        }
        Ok(live)
    }

    /// Carries out one action of the state machine, or says why not.
    pub async fn transition(
        &self,
        store_id: Uuid,
        action: DayAction,
        account_id: Option<Uuid>,
    ) -> Result<Outcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !db::lock_store(&mut tx, store_id).await? {
            return Err(not_found());
        }
        let active = db::active_day(&mut tx, store_id).await?;
        let current = active.as_ref().map_or(DayState::Closed, |d| d.state);
        let to = match domain::day::next(active.as_ref().map(|d| d.state), action) {
            Ok(to) => to,
            Err(illegal) => {
                tx.rollback().await?;
                let refusal = Refusal::Illegal {
                    current,
                    message: illegal.to_string(),
                };
                return Ok(Outcome::Refused(refusal, self.view(store_id).await?));
            }
        };
        let actor = db::actor_login(&mut tx, store_id, account_id)
            .await?
            .unwrap_or_else(|| "store".to_owned());

        let day_id = match &active {
            None => {
                let day_id = Uuid::now_v7();
                let stream_key = contracts::day_stream::key(store_id, day_id);
                db::insert_day(&mut tx, day_id, store_id, &stream_key).await?;
                db::insert_history(&mut tx, day_id, store_id, None, to, &actor).await?;
                self.record_opened(&mut tx, store_id, day_id, &stream_key)
                    .await?;
                day_id
            }
            Some(day) => {
                let summary = if to == DayState::Closed {
                    match self.seal(&mut tx, day).await? {
                        Ok(summary) => Some(summary),
                        Err(refusal) => {
                            tx.rollback().await?;
                            return Ok(Outcome::Refused(refusal, self.view(store_id).await?));
                        }
                    }
                } else {
                    None
                };
                if current == DayState::Closing && to == DayState::Open {
                    self.seals.unseal(store_id, day.id).await?;
                }
                if !db::update_state(&mut tx, day.id, current, to).await? {
                    return Err(StoreError::Conflict(
                        "다른 곳에서 영업 상태를 먼저 바꿨습니다. 새로고침 후 다시 시도해 주세요"
                            .to_owned(),
                    ));
                }
                db::insert_history(&mut tx, day.id, store_id, Some(current), to, &actor).await?;
                if let Some(summary) = summary {
                    self.record_close(&mut tx, day.id, &summary).await?;
                }
                day.id
            }
        };
        let day = db::day_by_id(&mut tx, day_id).await?;
        let location = db::store_location(&mut tx, &[store_id])
            .await?
            .remove(&store_id);
        tx.commit().await?;
        tracing::info!(%store_id, day_business_id = %day.id, from = ?current, to = ?to, "business day moved");

        // Postgres has it; a failed copy is repaired by the next read of a missing hash or by the
        // reconciler, so the caller still gets the new state.
        if let Err(e) = db::write_live(&self.redis, &self.keys, &day, location).await {
            tracing::warn!(%store_id, error = %e, "live day state not written to Redis");
        }
        let live = (day.state != DayState::Closed).then_some(day);
        Ok(Outcome::Done(self.complete_view(store_id, live).await?))
    }

    /// Seals the day in the order service and answers its sums, or says why it cannot close
    /// yet. Before the payment window has passed nothing is sealed: the order service is only
    /// asked for open orders, which are the first reason given.
    async fn seal(
        &self,
        tx: &mut sqlx::PgConnection,
        day: &DayRow,
    ) -> Result<Result<Summary, Refusal>, StoreError> {
        let now = db::db_now(tx).await?;
        // CLOSING always has closing_at; a row without one is treated as closing just now.
        let closing_at = day.closing_at.unwrap_or(now);
        let window = chrono::Duration::from_std(self.close_wait)
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        let window_passed = domain::day::close_blocker(&[], closing_at, now, window).is_none();
        let (open, summary) = match self.seals.seal(day.store_id, day.id, window_passed).await? {
            Sealing::Open(open) => (open, None),
            Sealing::Closable => (Vec::new(), None),
            Sealing::Sealed(summary) => (Vec::new(), Some(summary)),
        };
        if let Some(blocker) = domain::day::close_blocker(&open, closing_at, now, window) {
            let message = blocker.to_string();
            return Ok(Err(match blocker {
                CloseBlocker::OpenOrders(orders) => Refusal::OpenOrders {
                    order_ids: orders.into_iter().map(Uuid::from).collect(),
                    message,
                },
                CloseBlocker::PaymentWindow { until } => Refusal::PaymentWindow {
                    possible_at: until,
                    message,
                },
            }));
        }
        summary
            .map(Ok)
            .ok_or_else(|| StoreError::Internal(format!("day {}: closable but not sealed", day.id)))
    }

    /// The day stream's first entry, in the transaction that creates the day: the relay
    /// publishes it before any order of the day, so a stream that does not begin with it lost
    /// its beginning.
    async fn record_opened(
        &self,
        tx: &mut sqlx::PgConnection,
        store_id: Uuid,
        day_id: Uuid,
        stream_key: &str,
    ) -> Result<(), StoreError> {
        let opened_at = db::db_now(tx).await?;
        let entry = contracts::day_stream::opened_entry(store_id, day_id, opened_at, false);
        platform::bus::outbox::enqueue_as(
            tx,
            contracts::day_stream::opened_event_id(day_id),
            stream_key,
            contracts::events::types::STORE_DAY_OPENED,
            &entry.encode_to_vec(),
        )
        .await?;
        Ok(())
    }

    /// The day's summary and the `x:accounting` event, in the closing transaction.
    async fn record_close(
        &self,
        tx: &mut sqlx::PgConnection,
        day_id: Uuid,
        summary: &Summary,
    ) -> Result<(), StoreError> {
        db::write_summary(tx, day_id, summary).await?;
        let day = db::day_by_id(tx, day_id).await?;
        let business_date = db::business_date(tx, day_id).await?;
        let event = contracts::events::v1::BusinessDayClosed {
            store_id: day.store_id.to_string(),
            day_business_id: day.id.to_string(),
            closing_at: day.closing_at.map(contracts::time::timestamp),
            closed_at: day.closed_at.map(contracts::time::timestamp),
            stream_key: day.stream_key.clone(),
            opened_at: day.opened_at.map(contracts::time::timestamp),
            summary: Some(summary.into()),
            business_date: business_date.to_string(),
        };
        platform::bus::outbox::enqueue(
            tx,
            contracts::streams::ACCOUNTING,
            contracts::events::types::BUSINESS_DAY_CLOSED,
            &event.encode_to_vec(),
        )
        .await?;
        Ok(())
    }

    /// Rewrites the Redis copy of every live or recently closed day; runs until shutdown.
    pub async fn reconcile_forever(
        self: std::sync::Arc<Self>,
        every: Duration,
        shutdown: platform::Shutdown,
    ) -> Result<(), platform::Error> {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            if let Err(e) = self.reconcile().await {
                tracing::warn!(error = %e, "reconciling live day states failed; retrying later");
            }
        }
    }

    pub async fn reconcile(&self) -> Result<usize, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let days = db::days_to_reconcile(&mut conn, RECONCILE_CLOSED_WITHIN).await?;
        let ids: Vec<Uuid> = days.iter().map(|d| d.store_id).collect();
        let locations = db::store_location(&mut conn, &ids).await?;
        drop(conn);
        for day in &days {
            db::write_live(
                &self.redis,
                &self.keys,
                day,
                locations.get(&day.store_id).copied(),
            )
            .await?;
        }
        Ok(days.len())
    }
}

/// Closed days whose final CLOSED copy the reconciler still (re)writes, in case the write at
/// closing time failed.
const RECONCILE_CLOSED_WITHIN: Duration = Duration::from_secs(3600);

fn not_found() -> StoreError {
    StoreError::NotFound("가게를 찾을 수 없습니다".to_owned())
}
