//! KakaoPay misbehaving (sandbox faults): every unclear outcome is settled by an `order` inquiry
//! and nobody is charged twice or charged without knowing it.

use crate::common;

use std::time::Duration;

use common::{Harness, prepare_request, uuid};
use contracts::payment::v1 as pb;
use payment::{KAKAOPAY_ERROR_CODE_TRAILER, PaymentSettings, Timeouts};
use serde_json::json;

/// Short KakaoPay timeouts, so a dropped answer costs a test one second, not eight.
fn quick() -> PaymentSettings {
    PaymentSettings {
        timeouts: Timeouts {
            ready: Duration::from_secs(2),
            order: Duration::from_secs(1),
            approve: Duration::from_secs(1),
            cancel: Duration::from_secs(1),
        },
        inquiry_backoff: Duration::from_millis(50),
        ..PaymentSettings::default()
    }
}

#[tokio::test]
async fn approved_then_timed_out_is_settled_by_inquiry_as_one_charge() {
    // Default timeouts: approve waits 8 s, then the inquiry finds the payment made.
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(9_000).await;
    h.faults(json!({ "next_approve": "timeout-after-approve" }))
        .await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(approval.already_approved);
    assert_eq!(approval.amount, 9_000);
    assert_eq!(approval.payment_method_type, "CARD");
    assert_eq!(approval.aid.len(), 20);
    assert!(approval.approved_at.is_some());
    let raw: serde_json::Value = serde_json::from_str(&approval.raw).unwrap();
    assert_eq!(
        raw["status"], "SUCCESS_PAYMENT",
        "raw is the settling inquiry"
    );

    let inquiry = h.inquire(&binding.tid).await;
    assert_eq!(inquiry.actions[0].aid, approval.aid);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["approve_calls"], 1);
    assert_eq!(ledger["approvals"], 1);
    assert_eq!(ledger["approved_amount"], 9_000);

    // The consumer, restarted, approves again: still the one charge.
    let again = h.approve(&binding, &pg_token).await;
    assert_eq!(again.outcome(), pb::PaymentOutcome::Succeeded);
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 1);
}

#[tokio::test]
async fn a_timeout_before_approving_is_unclear_and_the_retry_charges_once() {
    let h = Harness::start_with(quick()).await;
    h.faults(json!({ "hang_ms": 3000 })).await;
    let (binding, pg_token) = h.authenticated_payment(5_000).await;
    h.faults(json!({ "next_approve": "timeout" })).await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(
        approval.outcome(),
        pb::PaymentOutcome::Unclear,
        "still AUTH_PASSWORD: our approve may yet land, so no verdict"
    );
    let error = approval.error.unwrap();
    assert_eq!(error.code, 0);
    assert!(error.message.contains("no answer"), "{}", error.message);
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 0);

    let retry = h.approve(&binding, &pg_token).await;
    assert_eq!(retry.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(!retry.already_approved);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(
        (
            ledger["approve_calls"].as_u64(),
            ledger["approvals"].as_u64()
        ),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn user_locked_while_the_payment_waits_is_no_failure_and_the_retry_charges_once() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(9_000).await;
    h.faults(json!({ "next_approve": "user-locked" })).await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(
        approval.outcome(),
        pb::PaymentOutcome::Unclear,
        "KakaoPay still shows AUTH_PASSWORD: nothing has failed yet"
    );
    assert!(approval.aid.is_empty() && approval.amount == 0);
    let error = approval.error.unwrap();
    assert_eq!(error.code, -780);
    assert_eq!(error.method_result_code, "USER_LOCKED");
    assert!(!error.method_result_message.is_empty());
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["approvals"], 0);
    assert_eq!(
        ledger["order_calls"], 1,
        "−780 is unclear until the inquiry says"
    );

    let retry = h.approve(&binding, &pg_token).await;
    assert_eq!(retry.outcome(), pb::PaymentOutcome::Succeeded);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(
        (
            ledger["approvals"].as_u64(),
            ledger["approved_amount"].as_u64()
        ),
        (Some(1), Some(9_000))
    );
}

#[tokio::test]
async fn an_undocumented_approve_error_is_settled_by_inquiry() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(6_000).await;
    // A code no table documents, while the payment waits: not a refusal.
    h.faults(json!({ "next_approve": ["error=-790", "error=-790"] }))
        .await;
    let waiting = h.approve(&binding, &pg_token).await;
    assert_eq!(waiting.outcome(), pb::PaymentOutcome::Unclear);
    assert_eq!(waiting.error.unwrap().code, -790);
    assert_eq!(h.ledger(&binding.tid).await["order_calls"], 1);

    // The person gives up on the payment page: now KakaoPay's own view fails it.
    h.choose(&binding.tid, "cancel").await;
    let ended = h.approve(&binding, &pg_token).await;
    assert_eq!(ended.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(ended.error.unwrap().code, -790);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["order_calls"], 2);
    assert_eq!(ledger["approvals"], 0);
}

#[tokio::test]
async fn a_documented_refusal_fails_without_an_inquiry() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(6_000).await;
    h.faults(json!({ "next_approve": "error=-797" })).await;
    let refused = h.approve(&binding, &pg_token).await;
    assert_eq!(refused.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(refused.error.unwrap().code, -797);
    assert_eq!(h.ledger(&binding.tid).await["order_calls"], 0);
}

#[tokio::test]
async fn a_780_after_the_money_moved_is_a_success() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(4_000).await;
    h.faults(json!({ "next_approve": "bank-firm-unknown" }))
        .await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(approval.already_approved);
    assert_eq!(approval.amount, 4_000);
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 1);
}

#[tokio::test]
async fn a_bare_5xx_on_approve_is_unclear_until_retried() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(4_000).await;
    h.faults(json!({ "next_approve": "5xx" })).await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Unclear);
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 0);
    let retry = h.approve(&binding, &pg_token).await;
    assert_eq!(retry.outcome(), pb::PaymentOutcome::Succeeded);
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 1);
}

#[tokio::test]
async fn kakaopay_busy_is_retryable_without_an_inquiry() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(4_000).await;
    h.faults(json!({ "next_approve": "error=-503" })).await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Retryable);
    assert_eq!(approval.error.unwrap().code, -503);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(
        (ledger["order_calls"].as_u64(), ledger["approvals"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn inquiries_retry_transient_failures_then_give_up() {
    let h = Harness::start().await;
    let (binding, _) = h.paid(4_000).await;
    h.faults(json!({ "next_order": ["5xx", "error=-500"] }))
        .await;
    let inquiry = h.inquire(&binding.tid).await;
    assert_eq!(inquiry.status(), pb::KakaoPayStatus::SuccessPayment);
    assert_eq!(h.ledger(&binding.tid).await["order_calls"], 3);

    h.faults(json!({ "next_order": ["5xx", "5xx", "5xx"] }))
        .await;
    let status = h
        .client()
        .inquire(pb::InquireRequest {
            tid: binding.tid.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);

    let status = h
        .client()
        .inquire(pb::InquireRequest {
            tid: "T0000000000000000009".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn an_unclear_approve_whose_inquiry_fails_stays_unclear() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(4_000).await;
    h.faults(json!({ "next_approve": "5xx", "next_order": ["5xx", "5xx", "5xx"] }))
        .await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Unclear);
    assert!(approval.error.unwrap().message.contains("inquiry failed"));
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 0);
}

#[tokio::test]
async fn a_cancel_whose_answer_is_lost_refunds_once() {
    let h = Harness::start_with(quick()).await;
    h.faults(json!({ "hang_ms": 3000 })).await;
    let (binding, _) = h.paid(6_000).await;
    h.faults(json!({ "next_cancel": "timeout-after-cancel" }))
        .await;
    let cancel = h.cancel(&binding.tid, 6_000, 6_000).await;
    assert_eq!(cancel.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(cancel.already_canceled);
    assert_eq!(cancel.canceled_amount, 6_000);
    assert_eq!(cancel.status(), pb::KakaoPayStatus::CancelPayment);

    let again = h.cancel(&binding.tid, 6_000, 6_000).await;
    assert_eq!(again.outcome(), pb::PaymentOutcome::Succeeded);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["cancels"], 1);
    assert_eq!(ledger["canceled_amount"], 6_000);
}

#[tokio::test]
async fn a_cancel_answer_without_aid_or_approved_cancel_amount_is_read_from_the_inquiry() {
    let h = Harness::start().await;
    let (binding, _) = h.paid(6_000).await;
    h.faults(json!({ "next_cancel": "without-approved-cancel-amount" }))
        .await;
    let cancel = h.cancel(&binding.tid, 6_000, 6_000).await;
    assert_eq!(cancel.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(!cancel.already_canceled);
    let raw: serde_json::Value = serde_json::from_str(&cancel.raw).unwrap();
    assert!(raw.get("aid").is_none(), "{raw}");
    assert!(raw.get("approved_cancel_amount").is_none(), "{raw}");
    assert_eq!(cancel.canceled_now, 6_000);
    assert_eq!(cancel.canceled_amount, 6_000);
    assert_eq!(cancel.status(), pb::KakaoPayStatus::CancelPayment);

    let inquiry = h.inquire(&binding.tid).await;
    let refund = inquiry
        .actions
        .iter()
        .find(|a| a.payment_action_type == "CANCEL")
        .expect("the refund's action");
    assert_eq!(cancel.aid, refund.aid);
    assert_eq!(cancel.aid.len(), 20);
    assert_ne!(cancel.aid, inquiry.actions[0].aid, "not the payment's aid");
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(
        (
            ledger["cancels"].as_u64(),
            ledger["canceled_amount"].as_u64()
        ),
        (Some(1), Some(6_000))
    );
}

#[tokio::test]
async fn a_cancel_kakaopay_turned_away_is_retryable_and_refunds_later() {
    let h = Harness::start().await;
    let (binding, _) = h.paid(6_000).await;
    h.faults(json!({ "next_cancel": "error=-503" })).await;
    let cancel = h.cancel(&binding.tid, 6_000, 6_000).await;
    assert_eq!(cancel.outcome(), pb::PaymentOutcome::Retryable);
    assert_eq!(cancel.status(), pb::KakaoPayStatus::SuccessPayment);
    assert_eq!(h.ledger(&binding.tid).await["canceled_amount"], 0);

    let retry = h.cancel(&binding.tid, 6_000, 6_000).await;
    assert_eq!(retry.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(!retry.already_canceled);
    assert_eq!(h.ledger(&binding.tid).await["cancels"], 1);
}

#[tokio::test]
async fn a_bad_secret_key_is_a_final_error() {
    let h = Harness::start_configured(|c| c.kakao.kakaopay_secret_key = "PRDWRONGKEY".into()).await;
    let status = h
        .client()
        .prepare(prepare_request(&uuid(), "c-1", 3_000))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        status.metadata().get(KAKAOPAY_ERROR_CODE_TRAILER).unwrap(),
        "-401"
    );
    assert!(h.ledger_all().await.is_empty());

    // A payment made with a good key: the misconfigured service cannot touch it.
    let ready: serde_json::Value = h
        .http
        .post(format!("{}/online/v1/payment/ready", h.sandbox()))
        .header("Authorization", "SECRET_KEY DEVSANDBOXKEY")
        .json(&json!({
            "cid": "TC0ONETIME", "partner_order_id": "o-1", "partner_user_id": "u-1",
            "item_name": "라떼", "quantity": 1, "total_amount": 5000, "tax_free_amount": 0,
            "approval_url": "http://x.test/a", "cancel_url": "http://x.test/c",
            "fail_url": "http://x.test/f"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tid = ready["tid"].as_str().unwrap().to_owned();
    let binding = pb::PaymentBinding {
        tid: tid.clone(),
        partner_order_id: "o-1".into(),
        partner_user_id: "u-1".into(),
        amount: 5_000,
        ..Default::default()
    };
    let approval = h.approve(&binding, "pg").await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(approval.error.unwrap().code, -401);
    let cancel = h.cancel(&tid, 5_000, 0).await;
    assert_eq!(cancel.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(cancel.error.unwrap().code, -401);
    let status = h
        .client()
        .inquire(pb::InquireRequest { tid: tid.clone() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let ledger = h.ledger(&tid).await;
    assert_eq!(
        (
            ledger["approve_calls"].as_u64(),
            ledger["order_calls"].as_u64()
        ),
        (Some(0), Some(0)),
        "refused at the door"
    );
}

#[tokio::test]
async fn the_kakaopay_window_lapses() {
    let h = Harness::start().await;
    h.set_window(1).await;
    let (binding, pg_token) = h.authenticated_payment(3_000).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let approval = h.approve(&binding, &pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(approval.error.unwrap().code, -723);
    assert_eq!(
        h.inquire(&binding.tid).await.status(),
        pb::KakaoPayStatus::FailPayment
    );
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["expired"], true);
    assert_eq!(ledger["approvals"], 0);
}

#[tokio::test]
async fn a_failed_ready_stores_nothing() {
    let h = Harness::start().await;
    let customer = uuid();
    h.faults(json!({ "next_ready": "5xx" })).await;
    let status = h
        .client()
        .prepare(prepare_request(&customer, "c-1", 3_000))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    let session = h
        .client()
        .get_session(pb::GetSessionRequest {
            customer_id: customer.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(session.session.is_none());
    // The next tap works.
    let prepared = h.prepare(prepare_request(&customer, "c-1", 3_000)).await;
    assert!(!prepared.reused);
}
