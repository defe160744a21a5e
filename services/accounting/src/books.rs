//! Closing a day's books: scheduling a closed day, waiting the settle delay, and the
//! reconciliation itself (read the three sources, archive the stream, write the report with the
//! copy of the day's orders it is read from, then let the stream and its dedupe keys go).
//!
//! A day's report stays PENDING until the Redis cleanup is done too: a crash or a Redis outage
//! anywhere in between leaves it PENDING, and the next pass does it all again, each step being
//! idempotent (archive insert-or-skip, a report replaced only when it differs, deletes).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use contracts::clients::{OrderServiceClient, PaymentServiceClient, StoreServiceClient};
use contracts::common::v1 as common;
use contracts::events::v1::BusinessDayClosed;
use contracts::order::v1::{BookedOrder, EnsureDayStreamRequest, ListDayBooksRequest};
use contracts::payment::v1::{InquireRequest, KakaoPayStatus};
use contracts::store::v1::GetDayRequest;
use domain::{Money, OrderStatus};
use futures::StreamExt;
use platform::bus::Message;
use platform::grpc::Client;
use platform::redis::Keys;
use prost::Message as _;
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tonic::Code;
use uuid::Uuid;

use crate::AccountingSettings;
use crate::error::AccountingError;
use crate::reconcile::{self, DbOrder, Inquiry, KakaoPayment, PayState};
use crate::storage::{self, LineRecord, Record};

/// The consumer name of its processed-event keys: the consumer group's.
const CONSUMER: &str = contracts::streams::groups::ACCOUNTING;

/// KakaoPay inquiries in flight at once for one day.
const INQUIRY_CONCURRENCY: usize = 8;

/// Due days listed per look of the worker.
const DUE_BATCH: i64 = 20;

/// Days reconciled at once; each asks KakaoPay up to `INQUIRY_CONCURRENCY` at a time.
const DAY_CONCURRENCY: usize = 4;

/// How often a day's stream may grow while being archived before the pass gives up (it cannot,
/// once the day is closed; this only bounds a misbehaving producer).
const ARCHIVE_ATTEMPTS: usize = 3;

pub struct Books {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: Keys,
    pub payment: PaymentServiceClient<Client>,
    /// Lists a closed day's orders, and makes a day stream complete before it is archived.
    pub order: OrderServiceClient<Client>,
    /// Tells a day not closed yet from one accounting does not know.
    pub store: StoreServiceClient<Client>,
    /// Wakes the worker when a day was scheduled.
    pub wake: Notify,
}

/// A day accounting does not know yet, as the store service sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayAtStore {
    Live,
    LastClosed,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// False when the stored report already said exactly this.
    pub changed: bool,
}

impl Books {
    /// Handles one `business_day.closed`: the day is scheduled (a PENDING report, holding what
    /// accounting keeps of the day) together with the processed-event key, so a redelivery
    /// changes nothing.
    pub async fn on_closed(&self, message: &Message) -> Result<(), AccountingError> {
        let event = BusinessDayClosed::decode(message.data.as_slice())
            .map_err(|e| AccountingError::Invalid(format!("bad business_day.closed: {e}")))?;
        let day_id = Uuid::parse_str(&event.day_business_id).map_err(|_| {
            AccountingError::Invalid(format!("bad day_business_id {:?}", event.day_business_id))
        })?;
        let day = closed_day(day_id, &event)?;
        let mut tx = self.pool.begin().await?;
        if !platform::bus::idempotency::first_time(&mut tx, CONSUMER, &message.event_id).await? {
            return Ok(());
        }
        storage::schedule(&mut tx, &day).await?;
        tx.commit().await?;
        tracing::info!(day_business_id = %day_id, store_id = %event.store_id, "closed day scheduled for accounting");
        self.wake.notify_one();
        Ok(())
    }

    /// Reconciles PENDING days until shutdown, each once `settle_delay` has passed since it
    /// closed, so KakaoPay's late answers (a refund finishing) are in.
    ///
    /// Days are reconciled side by side, a few at a time, so one day stuck waiting on KakaoPay
    /// does not hold up the others. A day that fails is tried again after a wait that doubles
    /// from `poll_interval` up to `retry_max`, its failures recorded on its report row.
    pub async fn run(
        self: Arc<Self>,
        settings: AccountingSettings,
        shutdown: platform::Shutdown,
    ) -> Result<(), platform::Error> {
        let mut running: JoinSet<()> = JoinSet::new();
        // Which day each task reconciles, so a day is never reconciled twice at once here.
        let mut in_flight: HashMap<tokio::task::Id, Uuid> = HashMap::new();
        loop {
            let free = DAY_CONCURRENCY.saturating_sub(running.len());
            if free > 0 {
                match storage::due_days(&self.pool, settings.settle_delay, DUE_BATCH).await {
                    Ok(days) => {
                        let busy: BTreeSet<Uuid> = in_flight.values().copied().collect();
                        for day in days
                            .into_iter()
                            .filter(|d| !busy.contains(&d.day_business_id))
                            .take(free)
                        {
                            let books = self.clone();
                            let settings = settings.clone();
                            let task = running.spawn(async move {
                                books.reconcile_due(day, &settings).await;
                            });
                            in_flight.insert(task.id(), day.day_business_id);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "listing days to reconcile failed"),
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(settings.poll_interval) => {}
                () = self.wake.notified() => {}
                Some(done) = running.join_next_with_id() => {
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(e) => {
                            tracing::error!(error = %e, "a reconciliation task failed");
                            e.id()
                        }
                    };
                    in_flight.remove(&id);
                }
            }
        }
        // Each step is idempotent, but finishing what started saves redoing it.
        while running.join_next().await.is_some() {}
        Ok(())
    }

    /// One try of a due day by the worker; a failure is recorded and scheduled for later.
    async fn reconcile_due(&self, day: storage::DueDay, settings: &AccountingSettings) {
        let day_id = day.day_business_id;
        let Err(error) = self.reconcile(day_id).await else {
            return;
        };
        let failures = day.failed_attempts.saturating_add(1);
        let retry_in = retry_delay(
            u32::try_from(failures).unwrap_or(u32::MAX),
            settings.poll_interval,
            settings.retry_max,
        );
        tracing::warn!(
            day_business_id = %day_id,
            failed_attempts = failures,
            retry_in = %platform::settings::format_duration(retry_in),
            error = %error,
            "reconciliation failed; retrying later"
        );
        let message = error.to_string();
        if let Err(e) =
            storage::record_failure(&self.pool, day_id, failures, &message, retry_in).await
        {
            // Unrecorded, the day is simply due again at the next poll.
            tracing::warn!(day_business_id = %day_id, error = %e, "recording the failure failed");
        }
    }

    /// The store a closed business day belongs to, if accounting knows the day.
    pub async fn store_of(&self, day_id: Uuid) -> Result<Option<Uuid>, AccountingError> {
        let mut conn = self.pool.acquire().await?;
        Ok(storage::day(&mut conn, day_id).await?.map(|d| d.store_id))
    }

    /// Where the store service says the day is: still open, just closed (its
    /// `business_day.closed` may not have reached accounting yet), or not a day of the store.
    pub async fn day_at_store(
        &self,
        store_id: Uuid,
        day_id: Uuid,
    ) -> Result<DayAtStore, AccountingError> {
        let request = GetDayRequest {
            store_id: store_id.to_string(),
        };
        let day = match self.store.clone().get_day(request).await {
            Ok(answer) => answer.into_inner().day,
            Err(status) if status.code() == Code::NotFound => None,
            Err(status) => {
                return Err(AccountingError::Unavailable(format!(
                    "GetDay of store {store_id}: {:?} {}",
                    status.code(),
                    status.message()
                )));
            }
        };
        let day_id = day_id.to_string();
        Ok(match day {
            Some(d) if d.day_business_id == day_id => DayAtStore::Live,
            Some(d) if d.shown_day_business_id == day_id => DayAtStore::LastClosed,
            _ => DayAtStore::Unknown,
        })
    }

    /// The store of a day the store service just closed, once its `business_day.closed` is in
    /// (the relay and the consumer take moments); `None` if it does not come within `wait`.
    pub async fn await_closed(
        &self,
        day_id: Uuid,
        wait: Duration,
    ) -> Result<Option<Uuid>, AccountingError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(store) = self.store_of(day_id).await? {
                return Ok(Some(store));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Reconciles a closed day now (the worker, or an operator through ReconcileDay).
    pub async fn reconcile(&self, day_id: Uuid) -> Result<Reconciled, AccountingError> {
        let mut conn = self.pool.acquire().await?;
        let day = storage::day(&mut conn, day_id)
            .await?
            .ok_or_else(|| AccountingError::NotFound("영업일을 찾을 수 없습니다".to_owned()))?;
        drop(conn);
        self.complete_stream(&day).await?;
        let stream_key = self.keys.stream(&day.stream_key);
        let mut changed = false;
        for _ in 0..ARCHIVE_ATTEMPTS {
            let entries = storage::read_stream(&self.redis, &stream_key).await?;
            let (orders, lines) = self.day_books(&day).await?;
            let inquiries = self.inquire(&orders).await?;

            let mut tx = self.pool.begin().await?;
            storage::lock_report(&mut tx, day.id).await?;
            storage::archive(&mut tx, &day, &entries).await?;
            let stream = storage::history(&mut tx, day.id).await?;
            let result = reconcile::reconcile(&orders, &inquiries, &stream)?;
            let record = Record::of(&result, lines)?;
            let stored = storage::stored(&mut tx, day.id).await?;
            if stored.as_ref() != Some(&record) {
                changed = true;
                storage::write_pending(&mut tx, day.id, &record).await?;
            }
            tx.commit().await?;

            let last = entries.last().map_or("", |e| e.stream_id.as_str());
            if !storage::delete_stream(&self.redis, &stream_key, last).await? {
                tracing::warn!(day_business_id = %day.id, "day stream grew while archived; archiving again");
                continue;
            }
            let dedupe: BTreeSet<Uuid> = orders
                .iter()
                .map(|o| o.id.as_uuid())
                .chain(record.orders.iter().map(|o| o.order_id))
                .collect();
            let dedupe: Vec<String> = dedupe
                .into_iter()
                .map(|id| storage::stream_dedupe_key(&self.keys, id))
                .collect();
            storage::delete_keys(&self.redis, &dedupe).await?;
            if changed {
                storage::finish(&self.pool, day.id, &record.status).await?;
            }
            tracing::info!(
                day_business_id = %day.id,
                status = %record.status,
                discrepancies = record.discrepancy_count,
                archived = entries.len(),
                changed,
                "business day reconciled"
            );
            return Ok(Reconciled { changed });
        }
        Err(AccountingError::Internal(format!(
            "the day stream of {} kept growing while it was archived",
            day.id
        )))
    }

    /// Has the day stream rebuilt from Postgres when Redis lost its beginning, so the archive
    /// holds the whole day. A day archived before keeps its archive: its stream is gone on
    /// purpose.
    async fn complete_stream(&self, day: &storage::Day) -> Result<(), AccountingError> {
        if storage::stream_complete(&self.redis, &self.keys.stream(&day.stream_key)).await? {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        if storage::archived(&mut conn, day.id).await? {
            return Ok(());
        }
        drop(conn);
        let request = EnsureDayStreamRequest {
            store_id: day.store_id.to_string(),
            day_business_id: day.id.to_string(),
        };
        let ensured = self
            .order
            .clone()
            .ensure_day_stream(request)
            .await
            .map_err(|status| {
                AccountingError::Unavailable(format!(
                    "day stream of {}: {:?} {}",
                    day.id,
                    status.code(),
                    status.message()
                ))
            })?
            .into_inner();
        if ensured.rebuilt {
            tracing::warn!(day_business_id = %day.id, "day stream rebuilt from Postgres before archiving");
        }
        Ok(())
    }

    /// The day's orders as the order service keeps them, every page, with their lines.
    async fn day_books(
        &self,
        day: &storage::Day,
    ) -> Result<(Vec<DbOrder>, Vec<LineRecord>), AccountingError> {
        let mut orders = Vec::new();
        let mut lines = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListDayBooksRequest {
                store_id: day.store_id.to_string(),
                day_business_id: day.id.to_string(),
                page_size: 0,
                page_token,
            };
            let page = self
                .order
                .clone()
                .list_day_books(request)
                .await
                .map_err(|status| {
                    AccountingError::Unavailable(format!(
                        "orders of {}: {:?} {}",
                        day.id,
                        status.code(),
                        status.message()
                    ))
                })?
                .into_inner();
            for booked in page.orders {
                let (order, order_lines) = db_order(booked)?;
                orders.push(order);
                lines.extend(order_lines);
            }
            if page.next_page_token.is_empty() {
                return Ok((orders, lines));
            }
            page_token = page.next_page_token;
        }
    }

    /// KakaoPay's answer for every payment of the day. A payment KakaoPay says it cannot tell
    /// about is reported; KakaoPay (or the payment service) being unavailable fails the pass, to
    /// be retried, rather than report a day full of unknowns.
    async fn inquire(
        &self,
        orders: &[DbOrder],
    ) -> Result<HashMap<String, Inquiry>, AccountingError> {
        let tids: BTreeSet<String> = orders.iter().filter_map(|o| o.tid.clone()).collect();
        let answers: Vec<Result<(String, Inquiry), AccountingError>> = futures::stream::iter(tids)
            .map(|tid| {
                let mut client = self.payment.clone();
                async move {
                    let answer = client.inquire(InquireRequest { tid: tid.clone() }).await;
                    match answer {
                        Ok(answer) => Ok((tid, Inquiry::Answered(payment(answer.into_inner())))),
                        Err(status) if final_refusal(status.code()) => {
                            Ok((tid, Inquiry::Failed(status.message().to_owned())))
                        }
                        Err(status) => Err(AccountingError::Unavailable(format!(
                            "KakaoPay inquiry of {tid} failed: {:?} {}",
                            status.code(),
                            status.message()
                        ))),
                    }
                }
            })
            .buffer_unordered(INQUIRY_CONCURRENCY)
            .collect()
            .await;
        answers.into_iter().collect()
    }
}

/// What accounting keeps of a day, from its `business_day.closed`. An event without a business
/// date (from a store service older than this one) dates the day by when it closed, in Korea.
fn closed_day(id: Uuid, event: &BusinessDayClosed) -> Result<storage::ClosedDay, AccountingError> {
    let invalid =
        |what: &str| AccountingError::Invalid(format!("business_day.closed of {id}: {what}"));
    let store_id = Uuid::parse_str(&event.store_id).map_err(|_| invalid("bad store_id"))?;
    let closed_at = event
        .closed_at
        .as_ref()
        .and_then(contracts::time::datetime)
        .ok_or_else(|| invalid("no closed_at"))?;
    let business_date = if event.business_date.is_empty() {
        closed_at.with_timezone(&domain::KST).date_naive()
    } else {
        event
            .business_date
            .parse::<NaiveDate>()
            .map_err(|_| invalid("bad business_date"))?
    };
    if event.stream_key.is_empty() {
        return Err(invalid("no stream_key"));
    }
    Ok(storage::ClosedDay {
        id,
        store_id,
        business_date,
        stream_key: event.stream_key.clone(),
        opened_at: event.opened_at.as_ref().and_then(contracts::time::datetime),
        closed_at,
    })
}

/// The wait after the `failures`-th failure in a row: `base`, doubled for each failure before
/// it, never more than `cap`.
pub fn retry_delay(failures: u32, base: Duration, cap: Duration) -> Duration {
    platform::bus::backoff_ceiling(failures.saturating_sub(1), base, cap)
}

/// One order of the order service's books as reconciliation reads it, and its lines as the
/// report keeps them.
fn db_order(booked: BookedOrder) -> Result<(DbOrder, Vec<LineRecord>), AccountingError> {
    let broken =
        |what: &str| AccountingError::Internal(format!("order {}: {what}", booked.order_id));
    let id: Uuid = booked
        .order_id
        .parse()
        .map_err(|_| broken("bad order id"))?;
    let status = match common::OrderStatus::try_from(booked.status) {
        Ok(common::OrderStatus::Approving) => OrderStatus::Approving,
        Ok(common::OrderStatus::Placed) => OrderStatus::Placed,
        Ok(common::OrderStatus::Accepted) => OrderStatus::Accepted,
        Ok(common::OrderStatus::Ready) => OrderStatus::Ready,
        Ok(common::OrderStatus::Canceled) => OrderStatus::Canceled,
        Ok(common::OrderStatus::Failed) => OrderStatus::Failed,
        Ok(common::OrderStatus::Unspecified) | Err(_) => return Err(broken("unknown status")),
    };
    let lines = booked
        .lines
        .iter()
        .map(|l| {
            Ok(LineRecord {
                line_id: l.line_id.parse().map_err(|_| broken("bad line id"))?,
                order_id: id,
                item_id: l.item_id.parse().map_err(|_| broken("bad item id"))?,
                name: l.name.clone(),
                quantity: i32::try_from(l.quantity).map_err(|_| broken("bad quantity"))?,
                line_total: l.line_total,
            })
        })
        .collect::<Result<Vec<_>, AccountingError>>()?;
    let order = DbOrder {
        id: id.into(),
        status,
        total: Money::won(booked.total),
        tid: Some(booked.tid).filter(|t| !t.is_empty()),
        placed_at: booked
            .placed_at
            .as_ref()
            .and_then(contracts::time::datetime),
    };
    Ok((order, lines))
}

/// Errors that asking again will not change.
fn final_refusal(code: Code) -> bool {
    matches!(
        code,
        Code::NotFound | Code::InvalidArgument | Code::FailedPrecondition | Code::PermissionDenied
    )
}

fn payment(answer: contracts::payment::v1::InquireResponse) -> KakaoPayment {
    let status = KakaoPayStatus::try_from(answer.status).unwrap_or(KakaoPayStatus::Unspecified);
    let state = match status {
        KakaoPayStatus::SuccessPayment => PayState::Approved,
        KakaoPayStatus::PartCancelPayment => PayState::PartCanceled,
        KakaoPayStatus::CancelPayment => PayState::Canceled,
        KakaoPayStatus::Unspecified => PayState::Unknown,
        _ => PayState::NotApproved,
    };
    let raw_status = if answer.raw_status.is_empty() {
        status
            .as_str_name()
            .trim_start_matches("KAKAO_PAY_STATUS_")
            .to_owned()
    } else {
        answer.raw_status
    };
    KakaoPayment {
        raw_status,
        state,
        amount: Money::won(answer.amount),
        canceled: Money::won(answer.canceled_amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn the_retry_wait_doubles_from_the_base_up_to_the_cap() {
        let base = Duration::from_secs(5);
        let cap = Duration::from_secs(600);
        let waits: Vec<u64> = (1..=9)
            .map(|n| retry_delay(n, base, cap).as_secs())
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(retry_delay(0, base, cap), base);
        assert_eq!(retry_delay(u32::MAX, base, cap), cap);
        assert_eq!(retry_delay(3, Duration::MAX, cap), cap);
    }

    #[test]
    fn a_booked_order_keeps_its_tid_time_and_lines_and_an_unknown_status_is_refused() {
        let (id, line, item) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let booked = BookedOrder {
            order_id: id.to_string(),
            status: common::OrderStatus::Ready as i32,
            total: 9_000,
            tid: "T1".into(),
            placed_at: Some(prost_types::Timestamp {
                seconds: 1_772_410_200,
                nanos: 0,
            }),
            lines: vec![contracts::order::v1::BookedLine {
                line_id: line.to_string(),
                item_id: item.to_string(),
                name: "아메리카노".into(),
                quantity: 2,
                line_total: 9_000,
            }],
        };
        let (order, lines) = db_order(booked.clone()).unwrap();
        assert_eq!(
            order,
            DbOrder {
                id: id.into(),
                status: OrderStatus::Ready,
                total: Money::won(9_000),
                tid: Some("T1".into()),
                placed_at: DateTime::from_timestamp(1_772_410_200, 0),
            }
        );
        assert_eq!(
            lines,
            vec![LineRecord {
                line_id: line,
                order_id: id,
                item_id: item,
                name: "아메리카노".into(),
                quantity: 2,
                line_total: 9_000,
            }]
        );
        let unpaid = BookedOrder {
            tid: String::new(),
            placed_at: None,
            ..booked.clone()
        };
        let (order, _) = db_order(unpaid).unwrap();
        assert_eq!((order.tid, order.placed_at), (None, None));
        let unknown = BookedOrder {
            status: 99,
            ..booked
        };
        assert!(db_order(unknown).is_err());
    }
}
