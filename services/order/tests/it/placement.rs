//! 결제하기 (PlaceOrder): the cart the customer saw is checked again against the store's day and
//! menu before KakaoPay is asked for a payment; the same cart version gets the same payment, a
//! changed cart a new one that replaces the old.

use crate::checkout;

use checkout::{Shop, quick, tid_of};
use contracts::order::v1 as pb;
use contracts::store::v1 as store_pb;
use contracts::store::v1::DayAction;
use contracts::store::v1::edit_menu_request::Op;
use reqwest::StatusCode;

#[tokio::test]
async fn the_same_cart_version_gets_the_same_payment_and_a_changed_cart_a_new_one() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-place").await;
    let cart = shop.add_americano(&customer, 2).await;

    let first = shop.place(&customer, &cart.id).await;
    assert_eq!(first.outcome(), pb::PlaceOutcome::ReadyToPay, "{first:?}");
    assert_eq!(first.amount, 10_000);
    assert!(!first.reused);
    assert!(first.expires_at.is_some());
    assert_eq!(first.cart.as_ref().unwrap().id, cart.id);
    let redirect = first.redirect.clone().unwrap();
    assert!(
        redirect
            .next_redirect_mobile_url
            .starts_with(&shop.system.sandbox_url())
    );
    uuid::Uuid::parse_str(&first.order_id).expect("a UUID order id");

    let again = shop.place(&customer, &cart.id).await;
    assert_eq!(again.outcome(), pb::PlaceOutcome::ReadyToPay);
    assert!(again.reused);
    assert_eq!(again.order_id, first.order_id);
    assert_eq!(again.redirect, first.redirect);

    // The cart changes: the old sheet's button is stale, the new one gets a new payment.
    let changed = shop.add_americano(&customer, 1).await;
    let stale = shop.place(&customer, &cart.id).await;
    assert_eq!(stale.outcome(), pb::PlaceOutcome::CartChanged);
    assert_eq!(stale.cart.as_ref().unwrap().id, changed.id);
    assert!(!stale.message.is_empty());
    let second = shop.place(&customer, &changed.id).await;
    assert_eq!(second.outcome(), pb::PlaceOutcome::ReadyToPay);
    assert!(!second.reused);
    assert_ne!(second.order_id, first.order_id);
    assert_eq!(second.amount, 15_000);

    // The replaced payment cannot be approved any more: nobody is charged for it.
    let old_tid = tid_of(&first);
    let old_approval = shop.choose(&old_tid, "approve").await;
    let (status, html) = shop.visit(&old_approval).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert_eq!(shop.ledger(&old_tid).await["approve_calls"], 0);
    assert_eq!(shop.order_count().await, 0);
}

#[tokio::test]
async fn a_store_that_does_not_take_orders_is_said_so() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-break").await;
    let cart = shop.add_americano(&customer, 1).await;
    shop.transition(DayAction::Break).await;
    let refused = shop.place(&customer, &cart.id).await;
    assert_eq!(refused.outcome(), pb::PlaceOutcome::StoreNotOpen);
    assert!(refused.message.contains("브레이크"), "{}", refused.message);
    assert!(refused.redirect.is_none());
    assert!(shop.session(&customer).await.is_none());

    shop.transition(DayAction::Resume).await;
    let placed = shop.place(&customer, &cart.id).await;
    assert_eq!(placed.outcome(), pb::PlaceOutcome::ReadyToPay);
}

#[tokio::test]
async fn a_price_change_shows_the_new_sheet_and_a_sold_out_item_is_named() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-reprice").await;
    let cart = shop.add_americano(&customer, 2).await;
    let americano = shop
        .menu
        .items
        .iter()
        .find(|i| i.name == "아메리카노")
        .unwrap()
        .clone();
    let edit = |op: Op| {
        let mut store = shop.system.store();
        let store_id = shop.store_id.clone();
        async move {
            store
                .edit_menu(store_pb::EditMenuRequest {
                    store_id,
                    op: Some(op),
                })
                .await
                .expect("EditMenu")
        }
    };
    edit(Op::UpsertItem(store_pb::UpsertItem {
        id: americano.id.clone(),
        name: americano.name.clone(),
        description: americano.description.clone(),
        price: 5_000,
        image_url: americano.image_url.clone(),
        category_ids: Vec::new(),
    }))
    .await;

    let repriced = shop.place(&customer, &cart.id).await;
    assert_eq!(
        repriced.outcome(),
        pb::PlaceOutcome::CartChanged,
        "{repriced:?}"
    );
    assert!(
        repriced.message.contains("가격이 바뀌었어요"),
        "{}",
        repriced.message
    );
    let new_cart = repriced.cart.unwrap();
    assert_ne!(new_cart.id, cart.id);
    assert_eq!(new_cart.total, 11_000);
    assert!(
        shop.session(&customer).await.is_none(),
        "nothing was prepared"
    );
    let placed = shop.place(&customer, &new_cart.id).await;
    assert_eq!(placed.outcome(), pb::PlaceOutcome::ReadyToPay);
    assert_eq!(placed.amount, 11_000);

    edit(Op::SetSoldOut(store_pb::SetSoldOut {
        kind: store_pb::MenuEntryKind::Item.into(),
        id: americano.id.clone(),
        sold_out: true,
    }))
    .await;
    let invalid = shop.place(&customer, &new_cart.id).await;
    assert_eq!(invalid.outcome(), pb::PlaceOutcome::Invalid, "{invalid:?}");
    let problem = invalid.problem.unwrap();
    assert_eq!(problem.code(), pb::CartProblemCode::ItemSoldOut);
    assert_eq!(problem.item_id, americano.id);
    assert!(invalid.message.contains("품절"), "{}", invalid.message);
}

#[tokio::test]
async fn an_empty_or_unknown_cart_is_not_placed() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-empty").await;
    let empty = shop.place(&customer, "1740000000000-1").await;
    assert_eq!(empty.outcome(), pb::PlaceOutcome::CartEmpty);
    assert!(!empty.message.is_empty());
    let error = shop
        .order()
        .place_order(pb::PlaceOrderRequest {
            customer_id: "not-a-uuid".into(),
            cart_id: "1-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
}
