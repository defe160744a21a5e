//! What a failed KakaoPay approve or cancel means, once an `order` inquiry has said where the
//! payment stands. A timeout or a 5xx never proves failure, and neither do −702, −780 or −785
//! (reference §2.10): the money may have moved. So nothing here guesses; when the status and
//! the failure together still do not tell, the answer is [`Outcome::Unclear`]. Pure.

use kakao::pay::{ErrorKind, PaymentStatus, StatusClass, codes};

/// How a call ended, in our terms (the proto's `PaymentOutcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, including "it already was".
    Succeeded,
    /// Refused for good; this call moved no money.
    Failed,
    /// Turned away before anything happened: the same call may be made again later.
    Retryable,
    /// Still unknown: ask again later.
    Unclear,
}

/// What KakaoPay said when a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Nothing readable (timeout, connection lost, a 5xx without an error body): the request
    /// may still be running at KakaoPay.
    Silent,
    /// Turned away before being looked at (−429, −500, −503).
    Busy,
    /// Another request for the same payment is or was under way (−785, −702).
    Duplicate,
    /// A no that the payment's state must confirm (−780, −781, −784, −710, codes nobody
    /// documents, …).
    Refused,
}

impl Answer {
    pub fn of(error_code: Option<i64>) -> Answer {
        match error_code {
            None => Answer::Silent,
            Some(codes::QUOTA_EXCEEDED | codes::INTERNAL | codes::MAINTENANCE) => Answer::Busy,
            Some(codes::DUPLICATE_REQUEST | codes::ALREADY_APPROVED) => Answer::Duplicate,
            Some(_) => Answer::Refused,
        }
    }
}

/// When a payment a cancel was meant to change still shows no change.
fn unchanged(answer: Answer) -> Outcome {
    match answer {
        Answer::Refused => Outcome::Failed,
        Answer::Busy => Outcome::Retryable,
        // Our request (or a twin) may land after the inquiry looked.
        Answer::Silent | Answer::Duplicate => Outcome::Unclear,
    }
}

/// An approve that ended without a documented refusal, settled by the inquired status.
pub fn approve(answer: Answer, status: &PaymentStatus) -> Outcome {
    match status.class() {
        StatusClass::Succeeded => Outcome::Succeeded,
        // Refunded already, or never paid: no order may stand on it.
        StatusClass::PartlyCanceled | StatusClass::Canceled | StatusClass::Failed => {
            Outcome::Failed
        }
        // The payment still waits for approval, so it has not failed, whatever was said:
        // −780 USER_LOCKED asks to try again later, and our approve (or a twin) may yet land.
        // It ends when an approve gets through or KakaoPay ends the payment (the window).
        StatusClass::Pending if answer == Answer::Busy => Outcome::Retryable,
        StatusClass::Pending => Outcome::Unclear,
    }
}

/// Whether a failed cancel needs an inquiry: all but refusals the payment's state cannot
/// explain (a bad key, an unknown tid, a malformed amount) — "not cancelable" and "more than
/// is left" may just mean it already was canceled.
pub fn cancel_needs_inquiry(kind: ErrorKind, error_code: Option<i64>) -> bool {
    kind != ErrorKind::Final
        || matches!(
            error_code,
            Some(
                codes::NOT_CANCELABLE | codes::CANCEL_OVER_AVAILABLE | codes::CANCEL_OVER_APPROVED
            )
        )
}

/// A failed cancel, settled by the inquired status.
pub fn cancel(answer: Answer, status: &PaymentStatus) -> Outcome {
    match status.class() {
        StatusClass::Canceled => Outcome::Succeeded,
        StatusClass::Succeeded | StatusClass::PartlyCanceled => unchanged(answer),
        // Never paid: there is nothing to refund (the caller reads the status).
        StatusClass::Pending | StatusClass::Failed => Outcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentStatus::*;

    #[test]
    fn answers_are_read_from_the_error_code() {
        assert_eq!(Answer::of(None), Answer::Silent);
        assert_eq!(Answer::of(Some(-503)), Answer::Busy);
        assert_eq!(Answer::of(Some(-429)), Answer::Busy);
        assert_eq!(Answer::of(Some(-702)), Answer::Duplicate);
        assert_eq!(Answer::of(Some(-785)), Answer::Duplicate);
        assert_eq!(Answer::of(Some(-780)), Answer::Refused);
        assert_eq!(Answer::of(Some(-784)), Answer::Refused);
    }

    #[test]
    fn an_approve_found_paid_succeeded_whatever_was_said() {
        for answer in [
            Answer::Silent,
            Answer::Busy,
            Answer::Duplicate,
            Answer::Refused,
        ] {
            assert_eq!(approve(answer, &SuccessPayment), Outcome::Succeeded);
        }
    }

    #[test]
    fn an_approve_found_ended_unpaid_or_refunded_failed() {
        for status in [
            QuitPayment,
            FailPayment,
            FailAuthPassword,
            CancelPayment,
            PartCancelPayment,
        ] {
            assert_eq!(
                approve(Answer::Silent, &status),
                Outcome::Failed,
                "{status}"
            );
        }
    }

    #[test]
    fn an_approve_still_pending_is_never_failed() {
        // -780 USER_LOCKED, or a code nobody documents, and the payment still waits.
        assert_eq!(approve(Answer::Refused, &AuthPassword), Outcome::Unclear);
        assert_eq!(approve(Answer::Refused, &Ready), Outcome::Unclear);
        // A timeout and still pending: our approve may land after the inquiry looked.
        assert_eq!(approve(Answer::Silent, &AuthPassword), Outcome::Unclear);
        assert_eq!(approve(Answer::Duplicate, &AuthPassword), Outcome::Unclear);
        assert_eq!(approve(Answer::Busy, &AuthPassword), Outcome::Retryable);
        // A status this code does not know is never taken as paid or failed.
        assert_eq!(
            approve(Answer::Silent, &PaymentStatus::from("NEW_STATUS")),
            Outcome::Unclear
        );
    }

    #[test]
    fn a_cancel_found_canceled_succeeded() {
        for answer in [
            Answer::Silent,
            Answer::Busy,
            Answer::Duplicate,
            Answer::Refused,
        ] {
            assert_eq!(cancel(answer, &CancelPayment), Outcome::Succeeded);
        }
    }

    #[test]
    fn a_cancel_found_still_paid_depends_on_what_was_said() {
        assert_eq!(cancel(Answer::Refused, &SuccessPayment), Outcome::Failed);
        assert_eq!(cancel(Answer::Silent, &SuccessPayment), Outcome::Unclear);
        assert_eq!(cancel(Answer::Busy, &SuccessPayment), Outcome::Retryable);
        assert_eq!(
            cancel(Answer::Duplicate, &PartCancelPayment),
            Outcome::Unclear
        );
    }

    #[test]
    fn a_cancel_of_a_payment_never_made_fails() {
        for status in [Ready, AuthPassword, QuitPayment, FailPayment] {
            assert_eq!(
                cancel(Answer::Refused, &status),
                Outcome::Failed,
                "{status}"
            );
        }
    }

    #[test]
    fn which_failed_cancels_are_checked_by_inquiry() {
        assert!(cancel_needs_inquiry(ErrorKind::Unclear, None));
        assert!(cancel_needs_inquiry(ErrorKind::Unclear, Some(-781)));
        assert!(cancel_needs_inquiry(ErrorKind::Final, Some(-784)));
        assert!(cancel_needs_inquiry(ErrorKind::Final, Some(-710)));
        assert!(!cancel_needs_inquiry(ErrorKind::Final, Some(-401)));
        assert!(!cancel_needs_inquiry(ErrorKind::Final, Some(-721)));
    }
}
