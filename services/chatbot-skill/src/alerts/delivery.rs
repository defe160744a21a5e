//! The `alert_delivery` row of one order event: what is known about its alert, and the decision
//! a (re)delivered event leads to. Times come from Postgres, so replicas agree on them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::message::Alert;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No request in flight; the last one surely did not reach the customer, or none was made.
    Pending,
    /// A request left and nobody knows yet whether Kakao took it.
    Sending,
    /// Kakao took the request (`SUCCESS`); its task result, which says whether the message
    /// reached the customer, is not in yet.
    Accepted,
    Sent,
    /// Kakao refused it for good.
    Failed,
}

impl State {
    const fn code(self) -> &'static str {
        match self {
            State::Pending => "PENDING",
            State::Sending => "SENDING",
            State::Accepted => "ACCEPTED",
            State::Sent => "SENT",
            State::Failed => "FAILED",
        }
    }

    fn from_code(code: &str) -> Option<State> {
        [
            State::Pending,
            State::Sending,
            State::Accepted,
            State::Sent,
            State::Failed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub state: State,
    pub attempt_started_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub task_id: Option<String>,
    /// Postgres's clock when the row was read.
    pub now: DateTime<Utc>,
}

impl Row {
    /// Whether the last attempt left `grace` or longer ago (or its start is unknown).
    pub fn past(&self, grace: Duration) -> bool {
        let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        self.attempt_started_at
            .is_none_or(|started| self.now >= started + grace)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Already sent (Kakao answered, or its receipt came): acknowledge.
    Done,
    /// Kakao refused it for good earlier: fail again without asking Kakao.
    Refused(String),
    /// An earlier request may still turn out to have arrived: ask again later.
    Wait,
    /// Kakao took the request: its task result (this task id) decides.
    Check(String),
    Send,
}

/// What to do with a (re)delivered event. An earlier request whose outcome is unknown is
/// trusted to have failed only once `grace` has passed since it left without a receipt.
pub fn decide(row: &Row, grace: Duration) -> Decision {
    match row.state {
        State::Sent => Decision::Done,
        State::Failed => Decision::Refused(
            row.last_error
                .clone()
                .unwrap_or_else(|| "refused by the Event API".to_owned()),
        ),
        State::Pending => Decision::Send,
        State::Sending if row.past(grace) => Decision::Send,
        State::Sending => Decision::Wait,
        State::Accepted => match &row.task_id {
            Some(task_id) => Decision::Check(task_id.clone()),
            // Nothing to look up: Kakao's word is all there is.
            None => Decision::Done,
        },
    }
}

/// The row of `event_id`, created PENDING on first sight, locked until `tx` ends so that two
/// consumers never decide for the same event at once.
pub async fn lock(
    tx: &mut PgConnection,
    event_id: &str,
    event_type: &str,
    alert: &Alert,
) -> Result<Row, sqlx::Error> {
    sqlx::query!(
        "INSERT INTO alert_delivery (event_id, event_type, order_id, bot_user_key, state)
         VALUES ($1, $2, $3, $4, 'PENDING') ON CONFLICT (event_id) DO NOTHING",
        event_id,
        event_type,
        &alert.order_id,
        &alert.bot_user_key
    )
    .execute(&mut *tx)
    .await?;
    let stored: Stored = sqlx::query_as!(
        Stored,
        r#"SELECT state, attempt_started_at, last_error, task_id, now() AS "now!"
         FROM alert_delivery WHERE event_id = $1 FOR UPDATE"#,
        event_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let state = State::from_code(&stored.state).ok_or_else(|| {
        sqlx::Error::Decode(format!("unknown alert state {:?}", stored.state).into())
    })?;
    Ok(Row {
        state,
        attempt_started_at: stored.attempt_started_at,
        last_error: stored.last_error,
        task_id: stored.task_id,
        now: stored.now,
    })
}

struct Stored {
    state: String,
    attempt_started_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    task_id: Option<String>,
    now: DateTime<Utc>,
}

/// Marks a request as leaving now; returns the attempt's number.
pub async fn start_attempt(tx: &mut PgConnection, event_id: &str) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE alert_delivery
         SET state = 'SENDING', attempts = attempts + 1, attempt_started_at = now()
         WHERE event_id = $1 RETURNING attempts",
        event_id
    )
    .fetch_one(tx)
    .await
}

/// Kakao took the request: ACCEPTED until its task result is in (SENT when there is no task
/// to look up). A receipt that came first keeps the row SENT.
pub async fn accepted(pool: &PgPool, event_id: &str, task_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE alert_delivery
         SET state = CASE WHEN state = 'SENT' OR $2 = '' THEN 'SENT' ELSE 'ACCEPTED' END,
             task_id = nullif($2, ''), task_status = NULL, sent_at = coalesce(sent_at, now()),
             last_error = NULL
         WHERE event_id = $1",
        event_id,
        task_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What the task `task_id` came to: SENT (`error` None), or PENDING with the causes in `error`,
/// to be sent again. Only the send that made this task is settled; a failed task never
/// overrides a receipt (the block ran for the customer after all). False when nothing changed.
pub async fn task_ended(
    pool: &PgPool,
    event_id: &str,
    task_id: &str,
    task_status: Option<&str>,
    error: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let state = if error.is_some() {
        State::Pending
    } else {
        State::Sent
    };
    let updated = sqlx::query!(
        "UPDATE alert_delivery
         SET state = $3, task_status = coalesce($4, task_status), last_error = $5
         WHERE event_id = $1 AND task_id = $2
           AND (state = 'ACCEPTED' OR (state = 'SENT' AND $3 = 'SENT'))",
        event_id,
        task_id,
        state.code(),
        task_status,
        error
    )
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The outcome of attempt `attempt` other than acceptance: `state` is PENDING (it surely
/// failed), SENDING (unknown) or FAILED (refused for good). A receipt or a later attempt that
/// got there first is never overwritten.
pub async fn attempt_ended(
    pool: &PgPool,
    event_id: &str,
    attempt: i32,
    state: State,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE alert_delivery SET state = $3, last_error = $4
         WHERE event_id = $1 AND attempts = $2 AND state = 'SENDING'",
        event_id,
        attempt,
        state.code(),
        error
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Kakao ran the alert block of `event_id` for `bot_user_key`: the customer has the message,
/// whatever became of the request's answer, so the alert is SENT (from any state: even a
/// refusal was evidently not the last word). False when no such alert is known.
pub async fn record_receipt(
    pool: &PgPool,
    event_id: &str,
    bot_user_key: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE alert_delivery
         SET rendered_at = coalesce(rendered_at, now()), state = 'SENT',
             sent_at = coalesce(sent_at, now())
         WHERE event_id = $1 AND bot_user_key = $2",
        event_id,
        bot_user_key
    )
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: State, started_secs_ago: Option<i64>) -> Row {
        let now = Utc::now();
        Row {
            state,
            attempt_started_at: started_secs_ago.map(|s| now - chrono::Duration::seconds(s)),
            last_error: Some("HTTP 400: bad".into()),
            task_id: Some("task-1".into()),
            now,
        }
    }

    const GRACE: Duration = Duration::from_secs(30);

    #[test]
    fn a_new_or_surely_failed_alert_is_sent() {
        assert_eq!(decide(&row(State::Pending, None), GRACE), Decision::Send);
        assert_eq!(decide(&row(State::Pending, Some(5)), GRACE), Decision::Send);
    }

    #[test]
    fn a_sent_or_received_alert_is_never_sent_again() {
        assert_eq!(decide(&row(State::Sent, Some(1)), GRACE), Decision::Done);
        assert_eq!(decide(&row(State::Sent, Some(100)), GRACE), Decision::Done);
    }

    #[test]
    fn an_unknown_outcome_waits_for_a_receipt_then_is_sent_again() {
        assert_eq!(decide(&row(State::Sending, Some(5)), GRACE), Decision::Wait);
        assert_eq!(
            decide(&row(State::Sending, Some(31)), GRACE),
            Decision::Send
        );
        assert_eq!(decide(&row(State::Sending, None), GRACE), Decision::Send);
    }

    #[test]
    fn an_accepted_alert_waits_for_its_task_result() {
        assert_eq!(
            decide(&row(State::Accepted, Some(1)), GRACE),
            Decision::Check("task-1".into())
        );
        assert_eq!(
            decide(&row(State::Accepted, Some(100)), GRACE),
            Decision::Check("task-1".into())
        );
        let untracked = Row {
            task_id: None,
            ..row(State::Accepted, Some(1))
        };
        assert_eq!(decide(&untracked, GRACE), Decision::Done);
        assert!(!row(State::Accepted, Some(1)).past(GRACE));
        assert!(row(State::Accepted, Some(30)).past(GRACE));
        assert!(row(State::Accepted, None).past(GRACE));
    }

    #[test]
    fn a_refusal_is_final() {
        assert_eq!(
            decide(&row(State::Failed, Some(1)), GRACE),
            Decision::Refused("HTTP 400: bad".into())
        );
    }

    #[test]
    fn states_round_trip_their_codes() {
        for state in [
            State::Pending,
            State::Sending,
            State::Accepted,
            State::Sent,
            State::Failed,
        ] {
            assert_eq!(State::from_code(state.code()), Some(state));
        }
        assert_eq!(State::from_code("sent"), None);
    }
}
