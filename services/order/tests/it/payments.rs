//! Paying for an order through the gateway, the payment service and the kakao-sandbox: the
//! approval URL places exactly one order for one charge however often it is opened, the result
//! page names the pickup nickname, and cancel and fail redirects end an attempt only when
//! KakaoPay agrees.

use crate::checkout;

use checkout::{PATIENCE, Shop, nickname_on, quick, tid_of};
use contracts::order::v1 as pb;
use platform::Service;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A block button's tap in Kakao's payload format: the `order` skill with the cart id the
/// order sheet named.
fn order_skill_payload(bot_user_key: &str, cart_id: &str) -> Value {
    json!({
        "intent": {"id": "intent-order", "name": "결제하기"},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"surface": "Kakaotalk.plusfriend"},
            "block": {"id": "block-order", "name": "결제하기"},
            "utterance": "결제하기",
            "lang": "ko",
            "user": {
                "id": bot_user_key,
                "type": "botUserKey",
                "properties": {"botUserKey": bot_user_key, "isFriend": true}
            }
        },
        "bot": {"id": "sandbox-bot", "name": "간편주문"},
        "action": {
            "id": "action-order",
            "name": "order",
            "params": {},
            "detailParams": {},
            "clientExtra": {"cart_id": cart_id}
        },
        "contexts": []
    })
}

/// The webLink button of the skill's answer.
fn pay_button(answer: &Value) -> Option<String> {
    answer["template"]["outputs"]
        .as_array()?
        .iter()
        .flat_map(|output| output.as_object().into_iter().flat_map(|o| o.values()))
        .flat_map(|card| card["buttons"].as_array().cloned().unwrap_or_default())
        .find_map(|button| button["webLinkUrl"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn paying_through_the_chatbot_places_the_order_and_shows_the_nickname() {
    let shop = Shop::open_with(quick(), &[Service::ChatbotSkill]).await;
    let customer = shop.customer("kakao-happy").await;
    let cart = shop.add_americano(&customer, 2).await;

    // 결제하기 in the chat: the answer's button opens KakaoPay's payment page.
    let answer: Value = shop
        .http
        .post(format!("{}/kakao/skill/order", shop.system.gateway_url()))
        .json(&order_skill_payload("kakao-happy", &cart.id))
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("a skill answer");
    let page = pay_button(&answer).unwrap_or_else(|| panic!("no payment button: {answer}"));
    assert!(
        page.starts_with(&format!("{}/kakaopay/pay/", shop.system.sandbox_url())),
        "{page}"
    );
    let tid = page.rsplit('/').next().unwrap().to_owned();

    // The person approves on the payment page; KakaoPay sends the browser to our approval URL.
    let approval_url = shop.choose(&tid, "approve").await;
    assert!(
        approval_url.starts_with(&format!(
            "{}/pay/kakaopay/approval/",
            shop.system.gateway_url()
        )),
        "{approval_url}"
    );
    assert!(approval_url.contains("pg_token="), "{approval_url}");
    let (status, html) = shop.visit(&approval_url).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("주문이 접수되었어요"), "{html}");
    assert!(html.contains("카운터에서 닉네임으로 불러 드려요"), "{html}");
    assert!(html.contains("아메리카노 × 2"), "{html}");
    assert!(html.contains("10,000원"), "{html}");
    let nickname = nickname_on(&html).expect("a nickname on the page");

    // One PLACED order with that nickname, its payment row, the board entry and the event.
    let orders: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id::text, status, nickname, total FROM customer_order WHERE customer_id = $1::uuid",
    )
    .bind(&customer)
    .fetch_all(&shop.db.pool)
    .await
    .unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    let (order_id, status, stored_nickname, total) = orders[0].clone();
    assert_eq!(
        (status.as_str(), stored_nickname.as_str(), total),
        ("PLACED", nickname.as_str(), 10_000)
    );
    let (pay_status, amount, paid_tid, canceled, aid) =
        shop.payment_row(&order_id).await.expect("a payment row");
    assert_eq!(
        (pay_status.as_str(), amount, paid_tid.as_str(), canceled),
        ("APPROVED", 10_000, tid.as_str(), 0)
    );
    assert!(aid.is_some_and(|aid| !aid.is_empty()));
    let items: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT name, quantity, line_total FROM order_item WHERE order_id = $1::uuid",
    )
    .bind(&order_id)
    .fetch_all(&shop.db.pool)
    .await
    .unwrap();
    assert_eq!(items, [("아메리카노".to_owned(), 2, 10_000)]);
    let options: Vec<String> = sqlx::query_scalar(
        "SELECT o.option_name FROM order_item_option o JOIN order_item i ON i.id = o.order_item_id \
         WHERE i.order_id = $1::uuid ORDER BY o.position",
    )
    .bind(&order_id)
    .fetch_all(&shop.db.pool)
    .await
    .unwrap();
    assert_eq!(options, ["ICE", "Large"]);

    testkit::eventually(PATIENCE, || async {
        (!shop.board().await.is_empty() && !shop.placed_events().await.is_empty()).then_some(())
    })
    .await
    .expect("the board entry and the placed event are published");
    let board = shop.board().await;
    assert_eq!(board.len(), 1);
    assert_eq!(
        (
            board[0].order_id.as_str(),
            board[0].nickname.as_str(),
            board[0].total
        ),
        (order_id.as_str(), nickname.as_str(), 10_000)
    );
    assert_eq!(board[0].lines[0].options.len(), 2);
    let placed = shop.placed_events().await;
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].order_id, order_id);
    assert_eq!(placed[0].bot_user_key, "kakao-happy");
    assert_eq!(placed[0].nickname, nickname);
    assert_eq!(placed[0].total, 10_000);

    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["approvals"], 1, "{ledger}");
    assert_eq!(ledger["approved_amount"], 10_000, "{ledger}");
    // The order took the cart and the payment session with it.
    assert!(shop.cart(&customer).await.is_none());
    assert!(shop.session(&customer).await.is_none());

    // A refresh shows the same result and changes nothing.
    let (status, again) = shop.visit(&approval_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(nickname_on(&again).as_deref(), Some(nickname.as_str()));
    assert_eq!(shop.ledger(&tid).await["approve_calls"], 1);
    assert_eq!(shop.order_count().await, 1);
}

#[tokio::test]
async fn the_same_approval_url_ten_times_at_once_makes_one_order_and_one_charge() {
    let shop = Shop::open(quick()).await;
    let (_, placed, tid) = shop.placed("kakao-double-tap").await;
    let approval_url = shop.choose(&tid, "approve").await;

    let visits = (0..10).map(|_| shop.visit(&approval_url));
    let pages = futures::future::join_all(visits).await;
    let mut nicknames = Vec::new();
    for (status, html) in &pages {
        assert_eq!(*status, StatusCode::OK, "{html}");
        if let Some(nickname) = nickname_on(html) {
            nicknames.push(nickname);
        } else {
            assert!(html.contains("결제를 확인하고 있어요"), "{html}");
        }
    }
    assert!(!nicknames.is_empty());
    assert!(
        nicknames.iter().all(|n| *n == nicknames[0]),
        "{nicknames:?}"
    );

    shop.until_status(&placed.order_id, "PLACED").await;
    assert_eq!(shop.order_count().await, 1);
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["approve_calls"], 1, "{ledger}");
    assert_eq!(ledger["approvals"], 1, "{ledger}");
    testkit::eventually(PATIENCE, || async {
        (shop.board().await.len() == 1).then_some(())
    })
    .await
    .expect("one board entry");
}

#[tokio::test]
async fn the_customers_own_nickname_is_used_and_a_taken_one_gets_digits() {
    let shop = Shop::open(quick()).await;
    let mut pages = Vec::new();
    for key in ["kakao-king-1", "kakao-king-2"] {
        let customer = shop.customer(key).await;
        shop.order()
            .set_nickname(pb::SetNicknameRequest {
                customer_id: customer.clone(),
                nickname: "커피왕".into(),
            })
            .await
            .unwrap();
        let cart = shop.add_americano(&customer, 1).await;
        let placed = shop.place(&customer, &cart.id).await;
        let approval_url = shop.choose(&tid_of(&placed), "approve").await;
        let (_, html) = shop.visit(&approval_url).await;
        pages.push(nickname_on(&html).unwrap_or_else(|| panic!("no nickname: {html}")));
    }
    assert_eq!(pages[0], "커피왕");
    let digits = pages[1]
        .strip_prefix("커피왕")
        .expect("the own nickname first");
    assert_eq!(digits.len(), 2, "{}", pages[1]);
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{}", pages[1]);

    // Without a nickname of their own, a customer gets a generated Korean one.
    let (_, placed, tid) = shop.placed("kakao-anonymous").await;
    let (_, html) = shop.visit(&shop.choose(&tid, "approve").await).await;
    let generated = nickname_on(&html).expect("a nickname");
    assert!(generated.contains(' '), "{generated}");
    assert!(
        generated.chars().all(|c| matches!(c, '가'..='힣' | ' ')),
        "{generated}"
    );
    let (_, stored, _) = shop.order_row(&placed.order_id).await.unwrap();
    assert_eq!(stored, generated);
}

#[tokio::test]
async fn cancel_and_fail_redirects_end_the_attempt_without_a_charge() {
    let shop = Shop::open(quick()).await;

    let (customer, placed, tid) = shop.placed("kakao-cancel").await;
    let cancel_url = shop.choose(&tid, "cancel").await;
    assert!(cancel_url.contains("/pay/kakaopay/cancel/"), "{cancel_url}");
    let (status, html) = shop.visit(&cancel_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("결제를 취소했어요"), "{html}");
    assert!(html.contains("결제된 금액은 없어요"), "{html}");
    assert!(shop.session(&customer).await.is_none(), "the attempt ended");
    let cart = shop.cart(&customer).await.expect("the cart stays");
    assert!(shop.order_row(&placed.order_id).await.is_none());

    // The customer can pay again for the same cart: a new payment.
    let again = shop.place(&customer, &cart.id).await;
    assert_eq!(again.outcome(), pb::PlaceOutcome::ReadyToPay);
    assert!(!again.reused);
    assert_ne!(tid_of(&again), tid);

    let (customer, placed, tid) = shop.placed("kakao-fail").await;
    let fail_url = shop.choose(&tid, "fail").await;
    assert!(fail_url.contains("/pay/kakaopay/fail/"), "{fail_url}");
    let (status, html) = shop.visit(&fail_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("결제가 완료되지 않았어요"), "{html}");
    assert!(shop.session(&customer).await.is_none());
    assert!(shop.order_row(&placed.order_id).await.is_none());
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["approve_calls"], 0, "{ledger}");

    // An approval URL of an ended attempt finds nothing to approve.
    let forged = format!(
        "{}?pg_token=abc123",
        fail_url.replace("/fail/", "/approval/")
    );
    let (status, html) = shop.visit(&forged).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(html.contains("결제된 금액은 없어요"), "{html}");
}

#[tokio::test]
async fn a_forged_cancel_redirect_changes_nothing() {
    let shop = Shop::open(quick()).await;

    // While the customer is authenticated and the approval is on its way.
    let (customer, placed, tid) = shop.placed("kakao-forged-1").await;
    let approval_url = shop.choose(&tid, "approve").await;
    let cancel_url = approval_url
        .split('?')
        .next()
        .unwrap()
        .replace("/approval/", "/cancel/");
    let (status, html) = shop.visit(&cancel_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("결제가 진행 중이에요"), "{html}");
    assert!(
        shop.session(&customer).await.is_some(),
        "the attempt goes on"
    );
    let (_, html) = shop.visit(&approval_url).await;
    assert!(nickname_on(&html).is_some(), "{html}");
    shop.until_status(&placed.order_id, "PLACED").await;

    // After the order is paid and placed.
    let (status, html) = shop.visit(&cancel_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("이미 결제된 주문이에요"), "{html}");
    let (status, html) = shop.visit(&cancel_url.replace("/cancel/", "/fail/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("이미 결제된 주문이에요"), "{html}");
    let (order_status, _, _) = shop.order_row(&placed.order_id).await.unwrap();
    assert_eq!(order_status, "PLACED");
    let (pay_status, ..) = shop.payment_row(&placed.order_id).await.unwrap();
    assert_eq!(pay_status, "APPROVED");
    let ledger = shop.ledger(&tid).await;
    assert_eq!(ledger["cancel_calls"], 0, "{ledger}");
    assert_eq!(ledger["approvals"], 1, "{ledger}");

    // A token that was never ours.
    let bogus = format!(
        "{}/pay/kakaopay/cancel/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        shop.system.gateway_url()
    );
    let (status, html) = shop.visit(&bogus).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
}

/// Kakao replays a 결제하기 it got no answer to in time and people tap again: a hundred of the
/// same request arrive together while another customer pays.
#[tokio::test]
async fn a_hundred_identical_checkouts_prepare_one_payment_and_another_customer_still_pays() {
    let shop = Shop::open_with(quick(), &[Service::ChatbotSkill]).await;
    let replayed = shop.customer("kakao-replayed").await;
    let replayed_cart = shop.add_americano(&replayed, 2).await;
    let other = shop.customer("kakao-other").await;
    let other_cart = shop.add_americano(&other, 1).await;

    let checkout = |bot_user_key: &'static str, cart_id: String| {
        let request = shop
            .http
            .post(format!("{}/kakao/skill/order", shop.system.gateway_url()))
            .json(&order_skill_payload(bot_user_key, &cart_id));
        async move {
            let response = request.send().await.expect("the gateway answers");
            let status = response.status();
            let body = response.text().await.expect("an answer body");
            (status, body)
        }
    };
    let replays = (0..100).map(|_| checkout("kakao-replayed", replayed_cart.id.clone()));
    let (answers, (other_status, other_answer)) = tokio::join!(
        futures::future::join_all(replays),
        checkout("kakao-other", other_cart.id.clone())
    );

    // The other customer gets the payment button, as on a quiet day.
    assert_eq!(other_status, StatusCode::OK, "{other_answer}");
    let other_answer: Value = serde_json::from_str(&other_answer).expect("a skill answer");
    let other_page = pay_button(&other_answer)
        .unwrap_or_else(|| panic!("the other customer got no payment button: {other_answer}"));
    let other_session = shop.session(&other).await.expect("a live payment session");
    let other_tid = other_session.binding.expect("a binding").tid;
    assert!(other_page.ends_with(&other_tid), "{other_page}");

    // Every replay opens the one payment that is live for the cart.
    let session = shop
        .session(&replayed)
        .await
        .expect("a live payment session");
    let binding = session.binding.expect("a binding");
    assert_eq!(binding.cart_id, replayed_cart.id);
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        let answer: Value = serde_json::from_str(body).expect("a skill answer");
        let page = pay_button(&answer).unwrap_or_else(|| panic!("no payment button: {answer}"));
        assert!(
            page.ends_with(&binding.tid),
            "{page} is not {}",
            binding.tid
        );
    }
}
