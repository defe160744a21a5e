//! 같은 메뉴 다시 담기: a paid order's lines back into the cart at today's prices, with what
//! the menu no longer allows named and left out.

use crate::checkout;

use checkout::{Shop, quick};
use contracts::order::v1 as pb;
use contracts::store::v1 as store_pb;
use contracts::store::v1::edit_menu_request::Op;
use tonic::Code;

/// Puts one line in the customer's cart.
async fn add(shop: &Shop, customer: &str, item: &str, options: &[&str], quantity: u32) {
    let answer = shop
        .order()
        .add_to_cart(pb::AddToCartRequest {
            customer_id: customer.into(),
            store_id: shop.store_id.clone(),
            item_id: shop.item(item),
            option_ids: options.iter().map(|o| shop.option(o)).collect(),
            quantity,
            expected_cart_id: String::new(),
            replace: false,
        })
        .await
        .expect("AddToCart")
        .into_inner();
    assert_eq!(answer.outcome(), pb::CartOutcome::Updated, "{answer:?}");
}

/// Pays for the customer's cart: the PLACED order's id.
async fn pay(shop: &Shop, customer: &str) -> String {
    let cart = shop.cart(customer).await.expect("a cart");
    let placed = shop.place(customer, &cart.id).await;
    assert_eq!(placed.outcome(), pb::PlaceOutcome::ReadyToPay, "{placed:?}");
    let approval_url = shop.choose(&checkout::tid_of(&placed), "approve").await;
    let (status, _) = shop.visit(&approval_url).await;
    assert!(status.is_success(), "approval page: {status}");
    shop.until_status(&placed.order_id, "PLACED").await;
    placed.order_id
}

async fn edit(shop: &Shop, op: Op) {
    shop.system
        .store()
        .edit_menu(store_pb::EditMenuRequest {
            store_id: shop.store_id.clone(),
            op: Some(op),
        })
        .await
        .expect("EditMenu");
}

async fn reorder(
    shop: &Shop,
    customer: &str,
    order: &str,
) -> Result<pb::ReorderResponse, tonic::Status> {
    shop.order()
        .reorder(pb::ReorderRequest {
            customer_id: customer.into(),
            order_id: order.into(),
            expected_cart_id: String::new(),
            replace: false,
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_past_order_comes_back_at_todays_prices_without_what_is_gone() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-regular").await;
    add(&shop, &customer, "아메리카노", &["ICE", "Large"], 2).await;
    add(&shop, &customer, "카페라떼", &["HOT", "Regular"], 1).await;
    add(
        &shop,
        &customer,
        "바닐라라떼",
        &["ICE", "Regular", "디카페인 샷"],
        1,
    )
    .await;
    add(&shop, &customer, "치즈케이크", &[], 1).await;
    let order = pay(&shop, &customer).await;
    assert!(shop.cart(&customer).await.is_none(), "paid carts are gone");

    // The next morning: 카페라떼 sold out, decaf shots off the menu, 아메리카노 dearer.
    edit(
        &shop,
        Op::SetSoldOut(store_pb::SetSoldOut {
            kind: store_pb::MenuEntryKind::Item.into(),
            id: shop.item("카페라떼"),
            sold_out: true,
        }),
    )
    .await;
    edit(
        &shop,
        Op::SetDisabled(store_pb::SetDisabled {
            kind: store_pb::MenuEntryKind::Option.into(),
            id: shop.option("디카페인 샷"),
            disabled: true,
        }),
    )
    .await;
    let americano = shop
        .menu
        .items
        .iter()
        .find(|i| i.name == "아메리카노")
        .unwrap();
    edit(
        &shop,
        Op::UpsertItem(store_pb::UpsertItem {
            id: americano.id.clone(),
            name: americano.name.clone(),
            description: americano.description.clone(),
            price: 4_800,
            image_url: americano.image_url.clone(),
            category_ids: Vec::new(),
        }),
    )
    .await;

    let answer = reorder(&shop, &customer, &order).await.expect("Reorder");
    let update = answer.update.expect("an update");
    assert_eq!(update.outcome(), pb::CartOutcome::Updated, "{update:?}");
    assert_eq!(answer.store_id, shop.store_id);
    let messages: Vec<&str> = answer.left_out.iter().map(|l| l.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "카페라떼는 품절이라 빼고 담았어요.",
            "바닐라라떼는 '디카페인 샷' 옵션을 지금 고를 수 없어서 빼고 담았어요.",
        ]
    );
    let codes: Vec<_> = answer
        .left_out
        .iter()
        .map(|l| l.problem.as_ref().unwrap().code())
        .collect();
    assert_eq!(
        codes,
        [
            pb::CartProblemCode::ItemSoldOut,
            pb::CartProblemCode::OptionDisabled
        ]
    );
    // The order sheet holds the rest, priced today: (4,800 + 500) × 2 + 6,500.
    let cart = update.cart.expect("the order sheet");
    let lines: Vec<(&str, u32, i64)> = cart
        .lines
        .iter()
        .map(|l| (l.item_name.as_str(), l.quantity, l.line_total))
        .collect();
    assert_eq!(lines, [("아메리카노", 2, 10_600), ("치즈케이크", 1, 6_500)]);
    assert_eq!(cart.total, 17_100);
    assert_eq!(shop.cart(&customer).await.expect("kept").id, cart.id);

    // Nothing is paid until the customer taps 결제하기 on that sheet.
    let placed = shop.place(&customer, &cart.id).await;
    assert_eq!(placed.outcome(), pb::PlaceOutcome::ReadyToPay);
    assert_eq!(placed.amount, 17_100);

    // Another customer cannot reorder it.
    let stranger = shop.customer("kakao-stranger").await;
    let refused = reorder(&shop, &stranger, &order).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    assert!(shop.cart(&stranger).await.is_none());
}

#[tokio::test]
async fn an_order_of_nothing_left_changes_nothing_and_joins_a_cart_of_its_store() {
    let shop = Shop::open(quick()).await;
    let customer = shop.customer("kakao-cake").await;
    add(&shop, &customer, "치즈케이크", &[], 1).await;
    let order = pay(&shop, &customer).await;

    // A cart of another item is kept as it is when nothing of the order can go in.
    add(&shop, &customer, "크루아상", &[], 1).await;
    let before = shop.cart(&customer).await.expect("a cart");
    edit(
        &shop,
        Op::SetSoldOut(store_pb::SetSoldOut {
            kind: store_pb::MenuEntryKind::Item.into(),
            id: shop.item("치즈케이크"),
            sold_out: true,
        }),
    )
    .await;
    let answer = reorder(&shop, &customer, &order).await.expect("Reorder");
    let update = answer.update.expect("an update");
    assert_eq!(update.outcome(), pb::CartOutcome::Invalid, "{update:?}");
    assert_eq!(answer.left_out.len(), 1);
    assert_eq!(
        answer.left_out[0].message,
        "치즈케이크는 품절이라 빼고 담았어요."
    );
    assert_eq!(shop.cart(&customer).await.expect("kept"), before);

    // Back on sale, it joins the cart of the same store.
    edit(
        &shop,
        Op::SetSoldOut(store_pb::SetSoldOut {
            kind: store_pb::MenuEntryKind::Item.into(),
            id: shop.item("치즈케이크"),
            sold_out: false,
        }),
    )
    .await;
    let answer = reorder(&shop, &customer, &order).await.expect("Reorder");
    let cart = answer.update.expect("an update").cart.expect("a cart");
    assert_eq!(cart.lines.len(), 2);
    assert!(answer.left_out.is_empty());

    let malformed = reorder(&shop, &customer, "not-an-order").await.unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
}
