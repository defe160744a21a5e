//! The money path when things go wrong: the order service killed at each step of an approval,
//! KakaoPay answering late, refusing or not at all, the store closing mid-payment, approval
//! messages lost. Every authenticated payment ends as one PLACED order with one charge, or as
//! FAILED with nothing charged (or the charge given back) — checked against the sandbox ledger.

use crate::checkout;

use std::time::Duration;

use checkout::{PATIENCE, Shop, nickname_on, quick};
use contracts::order::v1 as pb;
use contracts::store::v1::DayAction;
use platform::Service;
use redis::AsyncCommands;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The token and pg_token of an approval URL.
fn approval_parts(url: &str) -> (String, String) {
    let (path, query) = url.split_once('?').expect("a query");
    let token = path.rsplit('/').next().unwrap().to_owned();
    let pg_token = query
        .strip_prefix("pg_token=")
        .expect("pg_token")
        .to_owned();
    (token, pg_token)
}

/// The approval URL's first visit as the gateway makes it, without waiting for the outcome.
async fn approve(shop: &Shop, approval_url: &str) -> pb::ApprovePaymentResponse {
    let (token, pg_token) = approval_parts(approval_url);
    shop.order()
        .approve_payment(pb::ApprovePaymentRequest { token, pg_token })
        .await
        .expect("ApprovePayment")
        .into_inner()
}

async fn until_ledger(shop: &Shop, tid: &str, field: &str, value: u64) {
    let reached = testkit::eventually(PATIENCE, || async {
        (shop.ledger(tid).await[field].as_u64() == Some(value)).then_some(())
    })
    .await;
    assert!(
        reached.is_ok(),
        "{field} never reached {value}: {}",
        shop.ledger(tid).await
    );
}

/// One PLACED order, one charge, one payment row, one board entry.
async fn placed_once(shop: &Shop, order_id: &str, tid: &str) {
    shop.until_status(order_id, "PLACED").await;
    let ledger = shop.ledger(tid).await;
    assert_eq!(ledger["approvals"], 1, "{ledger}");
    assert_eq!(ledger["approved_amount"], 10_000, "{ledger}");
    assert_eq!(ledger["cancels"], 0, "{ledger}");
    let (status, amount, ..) = shop.payment_row(order_id).await.expect("a payment row");
    assert_eq!((status.as_str(), amount), ("APPROVED", 10_000));
    assert_eq!(shop.order_count().await, 1);
    testkit::eventually(PATIENCE, || async {
        (shop.board().await.len() == 1).then_some(())
    })
    .await
    .expect("one board entry");
    assert_eq!(shop.placed_events().await.len(), 1);
}

#[tokio::test]
async fn killed_before_kakaopay_approved_then_restarted_places_once() {
    let mut shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-kill-before").await;
    let approval_url = shop.choose(&tid, "approve").await;
    // KakaoPay holds the approve and drops it without acting.
    shop.faults(json!({ "next_approve": "timeout", "hang_ms": 2000 }))
        .await;
    let accepted = approve(&shop, &approval_url).await;
    assert_eq!(accepted.outcome(), pb::ApprovalOutcome::Accepted);
    assert_eq!(accepted.order_id, placed.order_id);
    until_ledger(&shop, &tid, "approve_calls", 1).await;

    shop.kill_order().await;
    assert_eq!(shop.ledger(&tid).await["approvals"], 0);
    let (status, ..) = shop.order_row(&placed.order_id).await.unwrap();
    assert_eq!(status, "APPROVING");

    shop.start_order().await;
    placed_once(&shop, &placed.order_id, &tid).await;
}

#[tokio::test]
async fn killed_after_kakaopay_approved_and_before_commit_places_once() {
    let mut shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-kill-after").await;
    let approval_url = shop.choose(&tid, "approve").await;
    // KakaoPay approves, then the answer never arrives.
    shop.faults(json!({ "next_approve": "timeout-after-approve", "hang_ms": 2000 }))
        .await;
    approve(&shop, &approval_url).await;
    until_ledger(&shop, &tid, "approvals", 1).await;

    shop.kill_order().await;
    let (status, ..) = shop.order_row(&placed.order_id).await.unwrap();
    assert_eq!(status, "APPROVING", "the placement never committed");

    shop.start_order().await;
    placed_once(&shop, &placed.order_id, &tid).await;
}

#[tokio::test]
async fn redelivered_after_commit_and_before_ack_changes_nothing() {
    let mut shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-kill-ack").await;
    let approval_url = shop.choose(&tid, "approve").await;
    shop.visit(&approval_url).await;
    placed_once(&shop, &placed.order_id, &tid).await;
    let approve_calls = shop.ledger(&tid).await["approve_calls"].clone();

    // As if the consumer died right after committing: the message comes again.
    shop.stop_order().await;
    let mut conn = shop.redis.conn.clone();
    let stream = format!(
        "{}{}",
        shop.redis.prefix,
        contracts::streams::ORDER_APPROVAL
    );
    let _: () = redis::cmd("XGROUP")
        .arg("SETID")
        .arg(&stream)
        .arg(contracts::streams::groups::ORDER_APPROVER)
        .arg("0")
        .query_async(&mut conn)
        .await
        .expect("XGROUP SETID");
    shop.start_order().await;
    let handled = testkit::eventually(PATIENCE, || async {
        let groups: redis::streams::StreamInfoGroupsReply =
            shop.redis.conn.clone().xinfo_groups(&stream).await.ok()?;
        let group = groups
            .groups
            .into_iter()
            .find(|g| g.name == contracts::streams::groups::ORDER_APPROVER)?;
        (group.last_delivered_id != "0-0" && group.pending == 0).then_some(())
    })
    .await;
    assert!(
        handled.is_ok(),
        "the redelivered message was not acknowledged"
    );
    // Give a wrongly repeated approval every chance to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(shop.ledger(&tid).await["approve_calls"], approve_calls);
    placed_once(&shop, &placed.order_id, &tid).await;
}

#[tokio::test]
async fn approved_then_timed_out_is_settled_by_inquiry_as_one_order() {
    // The payment service waits 8 s for approve, then asks KakaoPay what happened: one
    // approval runs that long, and no other consumer may take it over meanwhile.
    let settings = order::OrderSettings {
        approval_retry_after: Duration::from_secs(20),
        ..quick()
    };
    let shop = Shop::open(settings).await;
    let (_, placed, tid) = shop.placed("kakao-late").await;
    let approval_url = shop.choose(&tid, "approve").await;
    shop.faults(json!({ "next_approve": "timeout-after-approve" }))
        .await;
    let (status, html) = shop.visit(&approval_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("결제를 확인하고 있어요"), "{html}");
    assert!(html.contains("챗봇으로 알려 드릴게요"), "{html}");

    placed_once(&shop, &placed.order_id, &tid).await;
    assert_eq!(shop.ledger(&tid).await["approve_calls"], 1);
    let (_, html) = shop.visit(&approval_url).await;
    assert!(nickname_on(&html).is_some(), "{html}");
}

#[tokio::test]
async fn unclear_approve_errors_while_the_payment_waits_fail_nothing_and_the_retry_places_once() {
    let shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-unclear").await;
    let approval_url = shop.choose(&tid, "approve").await;
    // A code no table documents, then −780 USER_LOCKED ("try again later"); KakaoPay's own view
    // meanwhile: AUTH_PASSWORD, still waiting for approval.
    shop.faults(json!({ "next_approve": ["error=-790", "user-locked"] }))
        .await;
    let (status, html) = shop.visit(&approval_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("결제를 확인하고 있어요"), "{html}");
    assert!(!html.contains("결제된 금액은 없어요"), "{html}");

    // Both errors were settled by an inquiry, and neither failed the order.
    until_ledger(&shop, &tid, "approve_calls", 2).await;
    until_ledger(&shop, &tid, "order_calls", 2).await;
    let (status, _, reason) = shop.order_row(&placed.order_id).await.unwrap();
    assert_eq!((status.as_str(), reason), ("APPROVING", None));
    assert!(shop.failed_events().await.is_empty());
    let (_, html) = shop.visit(&approval_url).await;
    assert!(!html.contains("결제된 금액은 없어요"), "{html}");

    // The next attempt gets through: one order, one charge.
    placed_once(&shop, &placed.order_id, &tid).await;
    assert_eq!(shop.ledger(&tid).await["approve_calls"], 3);
    assert!(shop.failed_events().await.is_empty());
    let (_, html) = shop.visit(&approval_url).await;
    assert!(nickname_on(&html).is_some(), "{html}");
}

#[tokio::test]
async fn an_approval_of_another_amount_is_refunded_in_full_and_the_customer_told() {
    let shop = Shop::open_with(quick(), &[Service::ChatbotSkill]).await;
    let (_, placed, tid) = shop.placed("kakao-mismatch").await;
    let approval_url = shop.choose(&tid, "approve").await;
    // KakaoPay charges 9,900원 for the 10,000원 the token is bound to.
    shop.faults(json!({ "next_approve": "approved-amount=9900" }))
        .await;
    shop.visit(&approval_url).await;

    shop.until_status(&placed.order_id, "FAILED").await;
    until_ledger(&shop, &tid, "canceled_amount", 9_900).await;
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["approvals"], 1, "{ledger}");
    assert_eq!(ledger["approved_amount"], 9_900, "{ledger}");
    assert_eq!(ledger["cancels"], 1, "{ledger}");
    assert_eq!(ledger["status"], "CANCEL_PAYMENT", "{ledger}");
    let (pay_status, amount, _, canceled, _) = shop.payment_row(&placed.order_id).await.unwrap();
    assert_eq!(
        (pay_status.as_str(), amount, canceled),
        ("CANCELED", 9_900, 9_900)
    );
    let (_, _, reason) = shop.order_row(&placed.order_id).await.unwrap();
    let reason = reason.unwrap();
    assert!(
        reason.contains("결제 금액(9,900원)이 주문 금액(10,000원)과 달라"),
        "{reason}"
    );
    assert!(
        reason.contains("9,900원은 카카오페이로 돌려 드려요"),
        "{reason}"
    );
    shop.until_events("order.approval_failed", 1).await;
    let failed = shop.failed_events().await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason_code, "AMOUNT_MISMATCH");
    assert_eq!(failed[0].refunded_amount, 9_900);
    assert!(shop.board().await.is_empty());
    assert!(shop.placed_events().await.is_empty());

    // The customer is told in the chat, through the Event API.
    let alert = testkit::eventually(PATIENCE, || async {
        let view: Value = shop
            .http
            .get(format!("{}/sandbox/events", shop.system.sandbox_url()))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        view["deliveries"]
            .as_array()?
            .iter()
            .find(|d| d["event"] == "order_approval_failed")
            .cloned()
    })
    .await
    .expect("an alert to the customer");
    assert_eq!(alert["user"]["id"], "kakao-mismatch");
    let text = alert["params"]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("9,900원은 카카오페이로 돌려 드려요"),
        "{text}"
    );
    let (_, html) = shop.visit(&approval_url).await;
    assert!(html.contains("돌려 드려요"), "{html}");
}

#[tokio::test]
async fn a_day_closed_between_placement_and_approval_charges_nothing_and_says_why() {
    let shop = Shop::open(quick()).await;
    let (customer, placed, tid) = shop.placed("kakao-closed").await;
    let approval_url = shop.choose(&tid, "approve").await;
    shop.transition(DayAction::StartClosing).await;
    shop.transition(DayAction::Close).await;

    let (status, html) = shop.visit(&approval_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("가게 영업이 끝났어요"), "{html}");
    assert!(html.contains("결제된 금액은 없어요"), "{html}");
    assert!(shop.order_row(&placed.order_id).await.is_none());
    assert_eq!(shop.ledger(&tid).await["approve_calls"], 0);
    assert!(shop.session(&customer).await.is_none());
    shop.until_events("order.approval_failed", 1).await;
    let failed = shop.failed_events().await;
    assert_eq!(failed[0].reason_code, "STORE_CLOSED");
    assert_eq!(failed[0].bot_user_key, "kakao-closed");

    // The same URL again says the same.
    let (_, again) = shop.visit(&approval_url).await;
    assert!(again.contains("가게 영업이 끝났어요"), "{again}");
}

#[tokio::test]
async fn a_closing_day_still_takes_a_payment_begun_before_closing() {
    let shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-closing").await;
    let approval_url = shop.choose(&tid, "approve").await;
    shop.transition(DayAction::StartClosing).await;
    let (_, html) = shop.visit(&approval_url).await;
    assert!(nickname_on(&html).is_some(), "{html}");
    placed_once(&shop, &placed.order_id, &tid).await;
}

#[tokio::test]
async fn the_sweeper_settles_approvals_whose_messages_were_given_up() {
    let settings = order::OrderSettings {
        approval_max_deliveries: 1,
        stuck_after: Duration::from_secs(1),
        sweep_every: Duration::from_millis(200),
        ..quick()
    };
    let shop = Shop::open(settings).await;

    // Paid at KakaoPay's page, but the only approval attempt ends unclear (a bare 500).
    let (_, paid, paid_tid) = shop.placed("kakao-sweep-paid").await;
    let paid_url = shop.choose(&paid_tid, "approve").await;
    // And one whose customer quits at KakaoPay after authenticating.
    let (_, quit, quit_tid) = shop.placed("kakao-sweep-quit").await;
    let quit_url = shop.choose(&quit_tid, "approve").await;
    shop.faults(json!({ "next_approve": ["5xx", "5xx"] })).await;
    approve(&shop, &paid_url).await;
    until_ledger(&shop, &paid_tid, "approve_calls", 1).await;
    approve(&shop, &quit_url).await;
    until_ledger(&shop, &quit_tid, "approve_calls", 1).await;
    shop.choose(&quit_tid, "cancel").await;

    placed_once_of_two(&shop, &paid.order_id, &paid_tid).await;
    shop.until_status(&quit.order_id, "FAILED").await;
    let ledger = shop.ledger(&quit_tid).await;
    assert_eq!(ledger["approvals"], 0, "{ledger}");
    assert!(shop.payment_row(&quit.order_id).await.is_none());
    let dead: usize = shop
        .redis
        .conn
        .clone()
        .xlen(format!(
            "{}{}",
            shop.redis.prefix,
            platform::bus::DEAD_LETTER_STREAM
        ))
        .await
        .unwrap();
    assert_eq!(dead, 2, "both messages were given up");
}

async fn placed_once_of_two(shop: &Shop, order_id: &str, tid: &str) {
    shop.until_status(order_id, "PLACED").await;
    let ledger = shop.ledger(tid).await;
    assert_eq!(ledger["approvals"], 1, "{ledger}");
    let (status, amount, ..) = shop.payment_row(order_id).await.expect("a payment row");
    assert_eq!((status.as_str(), amount), ("APPROVED", 10_000));
}

#[tokio::test]
async fn a_paid_order_that_cannot_be_placed_is_refunded_and_failed() {
    let settings = order::OrderSettings {
        approval_max_deliveries: 1,
        ..quick()
    };
    let shop = Shop::open(settings).await;
    // Postgres refuses every placement, as a broken disk or a bad migration would.
    for statement in [
        "CREATE FUNCTION refuse_placing() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'placing refused by the test'; END $$",
        "CREATE TRIGGER refuse_placing BEFORE UPDATE ON customer_order FOR EACH ROW \
         WHEN (NEW.status = 'PLACED') EXECUTE FUNCTION refuse_placing()",
    ] {
        sqlx::query(statement).execute(&shop.db.pool).await.unwrap();
    }
    let (_, placed, tid) = shop.placed("kakao-refund").await;
    let approval_url = shop.choose(&tid, "approve").await;
    let (status, html) = shop.visit(&approval_url).await;
    assert_eq!(status, StatusCode::OK);

    shop.until_status(&placed.order_id, "FAILED").await;
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["approvals"], 1, "{ledger}");
    assert_eq!(ledger["cancels"], 1, "{ledger}");
    assert_eq!(ledger["canceled_amount"], 10_000, "{ledger}");
    let (pay_status, amount, _, canceled, _) = shop.payment_row(&placed.order_id).await.unwrap();
    assert_eq!(
        (pay_status.as_str(), amount, canceled),
        ("CANCELED", 10_000, 10_000)
    );
    let (_, _, reason) = shop.order_row(&placed.order_id).await.unwrap();
    assert!(
        reason
            .unwrap()
            .contains("10,000원은 카카오페이로 돌려 드려요")
    );
    shop.until_events("order.approval_failed", 1).await;
    let failed = shop.failed_events().await;
    assert_eq!(failed[0].reason_code, "REFUNDED");
    assert_eq!(failed[0].refunded_amount, 10_000);
    assert!(shop.board().await.is_empty());
    assert!(shop.placed_events().await.is_empty());

    // The customer's page says so once the refund is through.
    let (_, html_after) = shop.visit(&approval_url).await;
    assert!(
        html_after.contains("주문이 완료되지 않았어요"),
        "{html} / {html_after}"
    );
    assert!(html_after.contains("돌려 드려요"), "{html_after}");
}
