//! Customer alerts: the `alerts` consumer of `x:order:events` asks Kakao's Event API
//! (`POST {KAKAO_BOT_API_BASE_URL}/v2/bots/{KAKAO_BOT_ID}/talk`, `Authorization: KakaoAK …`) to
//! run the alert block for the order's customer, once per event; Kakao then calls the `alert`
//! skill, which draws the message ([`message`]).
//!
//! # Exactly one alert per event
//!
//! The stream delivers at least once, and the Event API has no idempotency key: sending again
//! after a crash may message the customer twice, and not sending may leave them waiting at the
//! counter. A processed-event key (`platform::bus::idempotency`) cannot help: it commits with
//! effects inside Postgres, and this effect is an HTTP call. Every event therefore has an
//! `alert_delivery` row ([`delivery`]):
//!
//! 1. In one transaction the row is created or locked and the decision is taken; a send is
//!    recorded as SENDING (attempt n, started now) and committed *before* the request leaves.
//! 2. A clear answer settles it: `SUCCESS` → ACCEPTED (with Kakao's taskId); a 4xx → FAILED,
//!    for good; no connection, a 429 or any other status → PENDING (surely not delivered: sent
//!    again on the next try).
//! 3. Kakao taking a request does not mean the customer got the message: the task result
//!    (`GET /v1/tasks/{taskId}`) says. `ALL SUCCESS` → SENT; `N FAIL` (a user key Kakao could
//!    not resolve, the skill answering an error, …) → PENDING with the causes in `last_error`,
//!    and the event is tried again like any failure, then dead-lettered. A result not in yet is
//!    asked for again on the next delivery; once `outcome_grace` has passed without one, Kakao's
//!    `SUCCESS` is trusted.
//! 4. No clear answer (our deadline, a broken connection, a 5xx, or this process killed
//!    mid-request) leaves SENDING: Kakao may or may not have acted. Asking Kakao cannot settle
//!    it: `GET /v1/tasks/{taskId}` needs the taskId that came in the lost answer. What settles
//!    it is the receipt: the request carries the event id as a block parameter, and when Kakao
//!    runs the block it calls our `alert` skill, which stamps `rendered_at` and SENT on the
//!    row, for that event and that user only. So a redelivered event finds SENT if the receipt
//!    came; a row still SENDING is waited for (the handler fails and the message is tried
//!    again later) while the attempt is younger than `outcome_grace`, and sent again after
//!    that. The only way left to message a customer twice is Kakao accepting a request and
//!    then not calling the skill within the grace (or our skill failing to write the receipt);
//!    we prefer that rare duplicate to a lost "your order is ready".
//!
//! Failures return an error to the platform consumer, which retries the message once it has
//! been idle for `retry_after` (with jittered backoff) and moves it to `x:dead` with the error
//! after `max_deliveries`. A failure no retry can fix is returned as permanent
//! ([`AlertError::is_permanent`], `platform::bus::permanent`) and the consumer moves the message
//! to `x:dead` on that delivery: a refusal (FAILED, never sent to Kakao again), and events
//! without a customer key or that cannot be decoded. Event types other than the four alerts are
//! acknowledged and ignored.

pub mod api;
pub mod delivery;
pub mod message;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use contracts::streams::{ORDER_EVENTS, groups};
use platform::bus::{Consumer, ConsumerOptions, HandlerError, Message, permanent};
use platform::{Config, Runtime};
use prometheus::{IntCounterVec, Opts, register_int_counter_vec_with_registry};
use sqlx::PgPool;

use api::{EventApi, Outcome};
use delivery::{Decision, State};
use kakao::event_api::TaskOutcome;
use message::{Alert, Kind};

static SENDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec_with_registry!(
        Opts::new(
            "alert_sends_total",
            "Event API requests for customer alerts, by event and outcome \
             (accepted, refused, not_sent, unknown)",
        ),
        &["event", "outcome"],
        platform::metrics::REGISTRY.clone()
    )
    .expect("metric registers once")
});

static TASKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec_with_registry!(
        Opts::new(
            "alert_tasks_total",
            "Event API task results of accepted alerts, by outcome \
             (all_success, failed, unsettled, trusted)",
        ),
        &["outcome"],
        platform::metrics::REGISTRY.clone()
    )
    .expect("metric registers once")
});

/// How the alerts are sent; tests shorten the waits. Each is an environment variable and a flag
/// (`ALERT_RETRY_AFTER`, `--alert-retry-after`); `Default` is the same values without reading the
/// environment.
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Customer alerts (chatbot-skill)")]
pub struct AlertSettings {
    /// Consumers per replica, each sending one alert at a time.
    #[arg(
        id = "alert-consumers",
        long = "alert-consumers",
        env = "ALERT_CONSUMERS",
        value_name = "N",
        default_value = "2",
        value_parser = platform::settings::number::<usize>()
    )]
    pub consumers: usize,
    /// A failed alert is tried again once its message has been idle this long.
    #[arg(
        id = "alert-retry-after",
        long = "alert-retry-after",
        env = "ALERT_RETRY_AFTER",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = platform::settings::duration()
    )]
    pub retry_after: Duration,
    /// Deliveries of a failing alert before the message moves to `x:dead`. One Kakao refused
    /// for good, or that names no customer, moves there at once.
    #[arg(
        id = "alert-max-deliveries",
        long = "alert-max-deliveries",
        env = "ALERT_MAX_DELIVERIES",
        value_name = "N",
        default_value = "8",
        value_parser = platform::settings::number::<u64>()
    )]
    pub max_deliveries: u64,
    /// How long a request whose outcome is unknown may take to show its receipt. Never less
    /// than ALERT_CALL_DEADLINE plus a second: a request another consumer still waits on must not
    /// be taken for lost.
    #[arg(
        id = "alert-outcome-grace",
        long = "alert-outcome-grace",
        env = "ALERT_OUTCOME_GRACE",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = platform::settings::duration()
    )]
    pub outcome_grace: Duration,
    /// Deadline of one Event API request.
    #[arg(
        id = "alert-call-deadline",
        long = "alert-call-deadline",
        env = "ALERT_CALL_DEADLINE",
        value_name = "DURATION",
        default_value = "5s",
        value_parser = platform::settings::duration()
    )]
    pub call_deadline: Duration,
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        AlertSettings {
            consumers: 2,
            retry_after: Duration::from_secs(10),
            max_deliveries: 8,
            outcome_grace: Duration::from_secs(30),
            call_deadline: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    Unreadable(#[from] message::Unreadable),
    #[error("{event_type} carries no bot_user_key: the customer cannot be reached")]
    NoRecipient { event_type: &'static str },
    #[error("Kakao's Event API refused the alert for good: {0}")]
    Refused(String),
    #[error("the previous request's outcome is not known yet; waiting for its receipt")]
    OutcomeUnknown,
    #[error("Kakao took the alert; its task result is not in yet: {0}")]
    TaskUnsettled(String),
    #[error("the alert was not delivered: {0}")]
    NotDelivered(String),
    #[error("postgres: {0}")]
    Db(#[from] sqlx::Error),
}

impl AlertError {
    /// Whether the same event would fail the same way on every delivery: it names no one to
    /// alert, or Kakao refused it for good. Those need an operator, not `max_deliveries` retries.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            AlertError::Unreadable(_) | AlertError::NoRecipient { .. } | AlertError::Refused(_)
        )
    }
}

/// The consumer's handler.
pub struct Alerts {
    pool: PgPool,
    api: EventApi,
    outcome_grace: Duration,
}

impl Alerts {
    pub async fn handle(&self, message: &Message) -> Result<(), AlertError> {
        let Some(kind) = Kind::from_event_type(&message.event_type) else {
            return Ok(());
        };
        let alert = Alert::decode(kind, &message.data)?;
        if alert.bot_user_key.trim().is_empty() {
            return Err(AlertError::NoRecipient {
                event_type: kind.event_type(),
            });
        }
        let event_id = message.event_id.as_str();
        let mut tx = self.pool.begin().await?;
        let row = delivery::lock(&mut tx, event_id, kind.event_type(), &alert).await?;
        let attempt = match delivery::decide(&row, self.outcome_grace) {
            Decision::Done => return Ok(tx.commit().await?),
            Decision::Refused(error) => {
                tx.commit().await?;
                return Err(AlertError::Refused(error));
            }
            Decision::Wait => {
                tx.commit().await?;
                return Err(AlertError::OutcomeUnknown);
            }
            Decision::Check(task_id) => {
                tx.commit().await?;
                return self
                    .check(event_id, &task_id, row.past(self.outcome_grace))
                    .await;
            }
            Decision::Send => {
                let attempt = delivery::start_attempt(&mut tx, event_id).await?;
                tx.commit().await?;
                attempt
            }
        };
        let outcome = self.api.send(&alert.request(event_id)).await;
        let event = kind.event_name();
        match outcome {
            Outcome::Accepted { task_id } => {
                SENDS.with_label_values(&[event, "accepted"]).inc();
                delivery::accepted(&self.pool, event_id, &task_id).await?;
                tracing::info!(event_id, event, attempt, task_id, "alert accepted");
                if task_id.is_empty() {
                    tracing::warn!(event_id, "the Event API took the alert without a taskId");
                    return Ok(());
                }
                self.check(event_id, &task_id, false).await
            }
            Outcome::Refused { status, detail } => {
                SENDS.with_label_values(&[event, "refused"]).inc();
                let error = format!("HTTP {status}: {detail}");
                delivery::attempt_ended(&self.pool, event_id, attempt, State::Failed, &error)
                    .await?;
                Err(AlertError::Refused(error))
            }
            Outcome::NotSent(error) => {
                SENDS.with_label_values(&[event, "not_sent"]).inc();
                delivery::attempt_ended(&self.pool, event_id, attempt, State::Pending, &error)
                    .await?;
                Err(AlertError::NotDelivered(error))
            }
            Outcome::Unknown(error) => {
                SENDS.with_label_values(&[event, "unknown"]).inc();
                delivery::attempt_ended(&self.pool, event_id, attempt, State::Sending, &error)
                    .await?;
                Err(AlertError::NotDelivered(error))
            }
        }
    }
}

impl Alerts {
    /// Settles an accepted alert by its task result. `trust` is set once the grace has passed:
    /// a result still missing then leaves Kakao's `SUCCESS` as the last word.
    async fn check(&self, event_id: &str, task_id: &str, trust: bool) -> Result<(), AlertError> {
        let result = self.api.task(task_id).await;
        let (status, unsettled) = match &result {
            Ok(result) => match result.outcome() {
                TaskOutcome::AllSuccess => {
                    TASKS.with_label_values(&["all_success"]).inc();
                    delivery::task_ended(&self.pool, event_id, task_id, Some(&result.status), None)
                        .await?;
                    tracing::info!(event_id, task_id, "alert delivered");
                    return Ok(());
                }
                TaskOutcome::Failed { reason, .. } => {
                    TASKS.with_label_values(&["failed"]).inc();
                    let error = format!("task {task_id}: {reason}");
                    let recorded = delivery::task_ended(
                        &self.pool,
                        event_id,
                        task_id,
                        Some(&result.status),
                        Some(&error),
                    )
                    .await?;
                    if !recorded {
                        // The receipt came first: the block ran for the customer after all.
                        return Ok(());
                    }
                    tracing::warn!(event_id, task_id, error, "alert not delivered");
                    return Err(AlertError::NotDelivered(error));
                }
                TaskOutcome::Unsettled => (
                    Some(result.status.as_str()),
                    format!("task status {:?}", result.status),
                ),
            },
            Err(error) => (None, error.clone()),
        };
        if !trust {
            TASKS.with_label_values(&["unsettled"]).inc();
            return Err(AlertError::TaskUnsettled(unsettled));
        }
        TASKS.with_label_values(&["trusted"]).inc();
        tracing::warn!(
            event_id,
            task_id,
            detail = unsettled,
            "no task result within the grace; the Event API's SUCCESS stands"
        );
        delivery::task_ended(&self.pool, event_id, task_id, status, None).await?;
        Ok(())
    }
}

/// Runs the alerts consumers under `runtime`.
pub fn spawn(
    runtime: &mut Runtime,
    config: &Config,
    settings: &AlertSettings,
) -> Result<(), platform::Error> {
    let api = EventApi::new(&config.kakao, settings.call_deadline)
        .map_err(|e| platform::Error::Config(format!("Event API client: {e}")))?;
    let alerts = Arc::new(Alerts {
        pool: runtime.pool.clone(),
        api,
        outcome_grace: settings
            .outcome_grace
            .max(settings.call_deadline + Duration::from_secs(1)),
    });
    for _ in 0..settings.consumers.max(1) {
        let mut options = ConsumerOptions::new(ORDER_EVENTS, groups::ALERTS);
        options.service = crate::SERVICE;
        options.claim_idle = settings.retry_after;
        options.max_deliveries = settings.max_deliveries;
        // One alert at a time per consumer, so the others share a burst.
        options.batch = 1;
        let consumer = Consumer::new(&config.redis_url, runtime.keys.clone(), options);
        let alerts = alerts.clone();
        let handler = move |message: Message| {
            let alerts = alerts.clone();
            async move {
                alerts.handle(&message).await.map_err(|e| {
                    if e.is_permanent() {
                        permanent(e)
                    } else {
                        Box::new(e) as HandlerError
                    }
                })
            }
        };
        runtime.spawn_worker(consumer.run(handler, runtime.shutdown.clone()));
    }
    Ok(())
}

/// Records, for the `alert` skill, that Kakao ran the alert block of an event.
#[derive(Clone)]
pub struct Receipts {
    pool: PgPool,
}

/// A receipt is a courtesy to the consumer; the customer's answer never waits long for it.
const RECEIPT_DEADLINE: Duration = Duration::from_millis(1_000);

impl Receipts {
    pub fn new(pool: PgPool) -> Receipts {
        Receipts { pool }
    }

    /// Stamps the receipt of `event_id` (a UUID, as the outbox makes them) for `bot_user_key`.
    /// Failures are logged: the consumer then sends again after its grace, which is the lesser
    /// harm.
    pub async fn record(&self, event_id: &str, bot_user_key: &str) {
        if uuid::Uuid::parse_str(event_id).is_err() {
            tracing::info!("alert block run with an event_id that is not an event's id");
            return;
        }
        let write = delivery::record_receipt(&self.pool, event_id, bot_user_key);
        match tokio::time::timeout(RECEIPT_DEADLINE, write).await {
            Ok(Ok(true)) => tracing::debug!(event_id, "alert receipt recorded"),
            Ok(Ok(false)) => tracing::info!(event_id, "alert block run for an unknown alert"),
            Ok(Err(e)) => tracing::warn!(event_id, error = %e, "alert receipt not recorded"),
            Err(_) => tracing::warn!(event_id, "alert receipt not recorded in time"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_no_retry_can_fix_are_permanent() {
        let unreadable = Alert::decode(Kind::Ready, b"\xff\xff\xff").unwrap_err();
        assert!(AlertError::Unreadable(unreadable).is_permanent());
        assert!(
            AlertError::NoRecipient {
                event_type: "order.ready"
            }
            .is_permanent()
        );
        assert!(AlertError::Refused("HTTP 401: invalid app key".into()).is_permanent());
        // Kakao may still take these: a retry is what delivers them.
        assert!(!AlertError::OutcomeUnknown.is_permanent());
        assert!(!AlertError::TaskUnsettled("task status \"\"".into()).is_permanent());
        assert!(!AlertError::NotDelivered("HTTP 503".into()).is_permanent());
        assert!(!AlertError::Db(sqlx::Error::PoolTimedOut).is_permanent());
    }
}
