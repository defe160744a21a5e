//! Payment sessions, tokens, approve and cancel against the sandbox's KakaoPay: what the order
//! service and the customer's browser see.

use crate::common;

use std::time::Duration;

use common::{Harness, approve_request, prepare_request, uuid};
use contracts::payment::v1 as pb;
use payment::PaymentSettings;
use serde_json::Value;

#[tokio::test]
async fn prepare_makes_a_kakaopay_payment_whose_token_works_once() {
    let h = Harness::start().await;
    let customer = uuid();
    let request = prepare_request(&customer, "1700000000000-1", 9_000);
    let prepared = h.prepare(request.clone()).await;

    assert!(!prepared.reused);
    assert_eq!(prepared.order_id, request.order_id);
    assert_eq!(prepared.amount, 9_000);
    assert_eq!(prepared.tid.len(), 20);
    assert!(prepared.token.len() >= 22, "≥128 bits of base64url");
    let redirect = prepared.redirect.clone().unwrap();
    assert_eq!(
        redirect.next_redirect_mobile_url,
        format!("{}/kakaopay/pay/{}", h.sandbox(), prepared.tid)
    );
    let window = prepared.expires_at.unwrap().seconds - prepared.created_at.unwrap().seconds;
    assert_eq!(window, 15 * 60);

    // The payment page a person sees, in Korean.
    let page = h
        .http
        .get(&redirect.next_redirect_mobile_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("승인") && page.contains("아메리카노 외 1건"));
    assert!(page.contains("9,000원"));

    // KakaoPay sends the browser to our approval route with the token.
    let (token, pg_token) = h.authenticate(&prepared.tid).await;
    assert_eq!(token, prepared.token);
    assert!(!pg_token.is_empty());
    let location = h.choose(&prepared.tid, "approve").await;
    assert!(location.starts_with(&format!(
        "{}/pay/kakaopay/approval/{token}?pg_token=",
        h.config.public_base_url
    )));

    // A peek leaves the token usable (cancel/fail redirects check KakaoPay first).
    let peeked = h
        .client()
        .resolve_token(pb::ResolveTokenRequest {
            token: token.clone(),
            peek: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(peeked.binding.is_some());

    let binding = h.resolve(&token).await.binding.expect("first resolve");
    assert_eq!(binding.order_id, request.order_id);
    assert_eq!(binding.customer_id, customer);
    assert_eq!(binding.store_id, request.store_id);
    assert_eq!(binding.day_business_id, request.day_business_id);
    assert_eq!(binding.tid, prepared.tid);
    assert_eq!(binding.amount, 9_000);
    assert_eq!(binding.cart_id, "1700000000000-1");
    assert_eq!(binding.partner_order_id, request.order_id);
    assert_eq!(binding.partner_user_id, customer);
    assert_eq!(binding.expires_at, prepared.expires_at);

    let again = h.resolve(&token).await;
    assert!(again.binding.is_none(), "a token is single use");
    assert_eq!(again.used_by_order_id, request.order_id);

    for bad in ["", "nope", &"A".repeat(32), &format!("{token}x")] {
        let unknown = h.resolve(bad).await;
        assert!(unknown.binding.is_none() && unknown.used_by_order_id.is_empty());
    }
}

#[tokio::test]
async fn the_same_cart_returns_the_same_payment_without_a_second_ready() {
    let h = Harness::start().await;
    let customer = uuid();
    let first = h
        .prepare(prepare_request(&customer, "1700000000000-2", 12_000))
        .await;
    // The order service makes a new order id each tap; the live payment wins.
    let second = h
        .prepare(prepare_request(&customer, "1700000000000-2", 12_000))
        .await;
    assert!(second.reused);
    assert_eq!(second.order_id, first.order_id);
    assert_eq!(second.tid, first.tid);
    assert_eq!(second.token, first.token);
    assert_eq!(second.redirect, first.redirect);
    assert_eq!(second.expires_at, first.expires_at);
    assert_eq!(h.ledger_all().await.len(), 1, "one ready call");

    let session = h
        .client()
        .get_session(pb::GetSessionRequest {
            customer_id: customer.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .session
        .expect("a live session");
    assert_eq!(session.binding.unwrap().tid, first.tid);
    assert_eq!(session.redirect, first.redirect);
}

#[tokio::test]
async fn concurrent_taps_for_the_same_cart_share_one_payment() {
    let h = Harness::start().await;
    let customer = uuid();
    let (a, b) = tokio::join!(
        h.prepare(prepare_request(&customer, "1700000000000-5", 5_000)),
        h.prepare(prepare_request(&customer, "1700000000000-5", 5_000)),
    );
    assert_eq!(a.token, b.token);
    assert_eq!(a.tid, b.tid);
    let binding = h.resolve(&a.token).await.binding.expect("the shared token");
    assert_eq!(binding.tid, a.tid);
}

#[tokio::test]
async fn a_changed_cart_replaces_the_payment_and_kills_the_old_token() {
    let h = Harness::start().await;
    let customer = uuid();
    let old = h
        .prepare(prepare_request(&customer, "1700000000000-3", 4_500))
        .await;
    let new = h
        .prepare(prepare_request(&customer, "1700000000000-4", 9_000))
        .await;
    assert!(!new.reused);
    assert_ne!(new.tid, old.tid);
    assert_ne!(new.token, old.token);

    let dead = h.resolve(&old.token).await;
    assert!(dead.binding.is_none() && dead.used_by_order_id.is_empty());
    let live = h.resolve(&new.token).await.binding.expect("new token");
    assert_eq!(live.cart_id, "1700000000000-4");
    assert_eq!(live.amount, 9_000);
    assert_eq!(h.ledger_all().await.len(), 2);
}

#[tokio::test]
async fn end_session_only_ends_the_named_order() {
    let h = Harness::start().await;
    let customer = uuid();
    let prepared = h
        .prepare(prepare_request(&customer, "1700000000000-1", 3_000))
        .await;
    let end = |order_id: String| {
        let mut client = h.client();
        let customer_id = customer.clone();
        async move {
            client
                .end_session(pb::EndSessionRequest {
                    customer_id,
                    order_id,
                })
                .await
                .unwrap()
                .into_inner()
                .ended
        }
    };
    assert!(!end(uuid()).await, "another order's session is left alone");
    assert!(end(prepared.order_id.clone()).await);
    assert!(!end(prepared.order_id.clone()).await);
    assert!(h.resolve(&prepared.token).await.binding.is_none());
    let session = h
        .client()
        .get_session(pb::GetSessionRequest {
            customer_id: customer.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(session.session.is_none());
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let h = Harness::start().await;
    let customer = uuid();
    let mut cases = Vec::new();
    let mut r = prepare_request(&customer, "c-1", 0);
    cases.push(r.clone());
    r.amount = 5_000;
    r.tax_free_amount = 6_000;
    cases.push(r.clone());
    r.tax_free_amount = 0;
    r.order_id = "not-a-uuid".into();
    cases.push(r.clone());
    r.order_id = uuid();
    r.quantity = 0;
    cases.push(r.clone());
    r.quantity = 1;
    r.cart_id = String::new();
    cases.push(r.clone());
    for case in cases {
        let status = h.client().prepare(case.clone()).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{case:?}");
    }
    assert!(h.ledger_all().await.is_empty(), "no ready call was made");
    let session = h
        .client()
        .get_session(pb::GetSessionRequest {
            customer_id: customer,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(session.session.is_none());

    let status = h
        .client()
        .approve(pb::ApproveRequest {
            tid: "T1234567890123456789".into(),
            amount: 1_000,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let status = h
        .client()
        .cancel(pb::CancelRequest {
            tid: "T1234567890123456789".into(),
            amount: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn approve_charges_once_and_answers_what_the_ledger_row_needs() {
    let h = Harness::start().await;
    let before = chrono::Utc::now().timestamp();
    let (binding, approval) = h.paid(9_000).await;

    assert!(!approval.already_approved);
    assert_eq!(approval.aid.len(), 20);
    assert_eq!(approval.payment_method_type, "CARD");
    assert_eq!(approval.amount, 9_000);
    assert_eq!(approval.cid, "TC0ONETIME");
    let approved_at = approval.approved_at.unwrap().seconds;
    assert!((before - 1..=before + 60).contains(&approved_at));
    let raw: Value = serde_json::from_str(&approval.raw).unwrap();
    assert_eq!(raw["tid"], binding.tid.as_str());
    assert_eq!(raw["aid"], approval.aid.as_str());
    assert!(approval.error.is_none());

    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["approvals"], 1);
    assert_eq!(ledger["approved_amount"], 9_000);
    assert_eq!(ledger["status"], "SUCCESS_PAYMENT");

    let inquiry = h.inquire(&binding.tid).await;
    assert_eq!(inquiry.status(), pb::KakaoPayStatus::SuccessPayment);
    assert_eq!(inquiry.raw_status, "SUCCESS_PAYMENT");
    assert_eq!(inquiry.amount, 9_000);
    assert_eq!(inquiry.cancel_available_amount, 9_000);
    assert_eq!(inquiry.partner_order_id, binding.order_id);
    assert_eq!(inquiry.actions.len(), 1);
    assert_eq!(inquiry.actions[0].aid, approval.aid);
    assert_eq!(inquiry.actions[0].payment_action_type, "PAYMENT");
}

#[tokio::test]
async fn kakaopay_money_is_paid_like_a_card() {
    let h = Harness::start().await;
    let prepared = h.prepare(prepare_request(&uuid(), "c-money", 4_000)).await;
    let location = h.choose(&prepared.tid, "approve?method=MONEY").await;
    let pg_token = location.split_once("pg_token=").expect("pg_token").1;
    let binding = h.resolve(&prepared.token).await.binding.expect("a binding");
    let approval = h.approve(&binding, pg_token).await;
    assert_eq!(approval.outcome(), pb::PaymentOutcome::Succeeded);
    assert_eq!(approval.payment_method_type, "MONEY");
    let raw: Value = serde_json::from_str(&approval.raw).unwrap();
    assert!(raw.get("card_info").is_none(), "{raw}");
    let inquiry = h.inquire(&binding.tid).await;
    assert_eq!(inquiry.payment_method_type, "MONEY");
    let refund = h.cancel(&binding.tid, 4_000, 4_000).await;
    assert_eq!(refund.outcome(), pb::PaymentOutcome::Succeeded);
}

#[tokio::test]
async fn approving_again_is_an_already_approved_success_not_a_second_charge() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(7_000).await;
    let first = h.approve(&binding, &pg_token).await;
    let second = h.approve(&binding, &pg_token).await;
    assert_eq!(second.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(second.already_approved, "−702, settled by inquiry");
    assert_eq!(second.aid, first.aid);
    assert_eq!(second.amount, 7_000);
    assert_eq!(second.approved_at, first.approved_at);
    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["approve_calls"], 2);
    assert_eq!(ledger["approvals"], 1);
    assert_eq!(ledger["approved_amount"], 7_000);
}

#[tokio::test]
async fn approve_refusals_are_failures_with_kakaopay_codes() {
    let h = Harness::start().await;
    let (binding, pg_token) = h.authenticated_payment(7_000).await;
    let wrong_token = h.approve(&binding, "not-the-pg-token").await;
    assert_eq!(wrong_token.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(wrong_token.error.unwrap().code, -708);

    let mut wrong_amount = approve_request(&binding, &pg_token);
    wrong_amount.amount = 1_000;
    let answer = h.client().approve(wrong_amount).await.unwrap().into_inner();
    assert_eq!(answer.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(answer.error.unwrap().code, -722);

    let unknown = h
        .approve(
            &pb::PaymentBinding {
                tid: "T0000000000000000001".into(),
                ..binding.clone()
            },
            "x",
        )
        .await;
    assert_eq!(unknown.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(unknown.error.unwrap().code, -721);
    assert_eq!(h.ledger(&binding.tid).await["approvals"], 0);
}

#[tokio::test]
async fn cancel_refunds_exactly_once_even_when_asked_twice() {
    let h = Harness::start().await;
    let (binding, _) = h.paid(8_000).await;

    let first = h.cancel(&binding.tid, 8_000, 8_000).await;
    assert_eq!(first.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(!first.already_canceled);
    assert_eq!(first.canceled_now, 8_000);
    assert_eq!(first.canceled_amount, 8_000);
    assert_eq!(first.cancel_available_amount, 0);
    assert_eq!(first.status(), pb::KakaoPayStatus::CancelPayment);
    assert!(first.canceled_at.is_some());
    // KakaoPay's answer has no aid: the refund's is the inquiry's CANCEL action.
    assert!(!first.raw.contains("\"aid\""), "{}", first.raw);
    assert_eq!(first.aid.len(), 20);
    assert_eq!(h.inquire(&binding.tid).await.actions[1].aid, first.aid);

    let second = h.cancel(&binding.tid, 8_000, 8_000).await;
    assert_eq!(second.outcome(), pb::PaymentOutcome::Succeeded);
    assert!(second.already_canceled, "−784, settled by inquiry");
    assert_eq!(second.canceled_now, 0);
    assert_eq!(second.canceled_amount, 8_000);
    assert_eq!(second.aid, first.aid);

    let ledger = h.ledger(&binding.tid).await;
    assert_eq!(ledger["cancel_calls"], 2);
    assert_eq!(ledger["cancels"], 1);
    assert_eq!(ledger["canceled_amount"], 8_000);
    assert_eq!(ledger["status"], "CANCEL_PAYMENT");
}

#[tokio::test]
async fn cancelling_a_payment_never_approved_fails_and_says_so() {
    let h = Harness::start().await;
    let (binding, _) = h.authenticated_payment(6_000).await;
    let answer = h.cancel(&binding.tid, 6_000, 0).await;
    assert_eq!(answer.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(answer.status(), pb::KakaoPayStatus::AuthPassword);
    assert_eq!(answer.error.as_ref().unwrap().code, -784);
    assert_eq!(h.ledger(&binding.tid).await["cancels"], 0);
}

#[tokio::test]
async fn a_wrong_cancel_guard_refunds_nothing() {
    let h = Harness::start().await;
    let (binding, _) = h.paid(8_000).await;
    let answer = h.cancel(&binding.tid, 8_000, 9_000).await;
    assert_eq!(answer.outcome(), pb::PaymentOutcome::Failed);
    assert_eq!(answer.error.as_ref().unwrap().code, -710);
    assert_eq!(answer.status(), pb::KakaoPayStatus::SuccessPayment);
    assert_eq!(h.ledger(&binding.tid).await["canceled_amount"], 0);
}

#[tokio::test]
async fn the_cancel_and_fail_redirects_leave_kakaopay_unpaid() {
    let h = Harness::start().await;
    let customer = uuid();
    let quit = h
        .prepare(prepare_request(&customer, "1700000000000-1", 3_000))
        .await;
    let location = h.choose(&quit.tid, "cancel").await;
    assert_eq!(
        location,
        format!(
            "{}/pay/kakaopay/cancel/{}",
            h.config.public_base_url, quit.token
        )
    );
    assert_eq!(
        h.inquire(&quit.tid).await.status(),
        pb::KakaoPayStatus::QuitPayment
    );

    let failed = h
        .prepare(prepare_request(&customer, "1700000000000-2", 3_000))
        .await;
    let location = h.choose(&failed.tid, "fail").await;
    assert!(location.ends_with(&format!("/pay/kakaopay/fail/{}", failed.token)));
    assert_eq!(
        h.inquire(&failed.tid).await.status(),
        pb::KakaoPayStatus::FailPayment
    );
}

#[tokio::test]
async fn the_token_and_session_end_with_the_payment_window() {
    let window = Duration::from_secs(1);
    let h = Harness::start_with(PaymentSettings {
        window,
        session_margin: Duration::from_secs(1),
        reuse_min_remaining: Duration::ZERO,
        ..PaymentSettings::default()
    })
    .await;
    let customer = uuid();
    let prepared = h
        .prepare(prepare_request(&customer, "1700000000000-1", 3_000))
        .await;
    let window_secs = prepared.expires_at.unwrap().seconds - prepared.created_at.unwrap().seconds;
    assert!(window_secs <= 1);

    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        h.resolve(&prepared.token).await.binding.is_none(),
        "the token lives for the window"
    );
    // The same cart after the window: a new payment, not the lapsed one.
    let again = h
        .prepare(prepare_request(&customer, "1700000000000-1", 3_000))
        .await;
    assert!(!again.reused);
    assert_ne!(again.tid, prepared.tid);

    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let session = h
        .client()
        .get_session(pb::GetSessionRequest {
            customer_id: customer,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        session.session.is_none(),
        "the session lives window + margin"
    );
}
