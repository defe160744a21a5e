//! `cart-add`: puts an item with its chosen options into the cart. The order service validates
//! against the menu; its refusal (naming the option group and rule) is shown as it is. A cart
//! of another store is replaced only after the customer confirms. The answer offers to keep
//! the item with its options as a favourite (나만의 메뉴 저장).

use contracts::order::v1::{AddToCartRequest, CartOutcome, CartUpdateResponse};
use domain::{CartId, ItemId, OptionId, StoreId};
use kakao::SkillResponse;
use kakao::skill::response::{LimitError, QuickReply};
use serde_json::Value;

use super::common::{self, won};
use super::item::{add_target, item_target};
use super::{Ctx, cart, favourites, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let payload = ctx.payload;
    let store_id = input::id::<StoreId>(payload, "store_id");
    let item_id = input::id::<ItemId>(payload, "item_id");
    let (Some(store_id), Some(item_id)) = (store_id, item_id) else {
        return Ok(nothing_chosen(ctx.ob, store_id)?);
    };
    let replace = input::flag(payload, "replace");
    let request = AddToCartRequest {
        customer_id: ctx.customer.customer_id.clone(),
        store_id: store_id.to_string(),
        item_id: item_id.to_string(),
        option_ids: input::ids::<OptionId>(payload, "option_ids")
            .iter()
            .map(ToString::to_string)
            .collect(),
        quantity: input::number(payload, "quantity").unwrap_or(1),
        expected_cart_id: replace
            .then(|| input::id::<CartId>(payload, "cart_id"))
            .flatten()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        replace,
    };
    let response = ctx.clients.add_to_cart(request.clone()).await?;
    Ok(render(ctx.ob, &request, &response)?)
}

fn nothing_chosen(
    ob: &OpenBuilder,
    store_id: Option<StoreId>,
) -> Result<SkillResponse, LimitError> {
    match store_id {
        Some(store_id) => common::text(
            "담을 메뉴를 먼저 골라 주세요.",
            [
                common::store_menu(ob, &store_id.to_string(), "메뉴 보기"),
                common::show_cart(ob),
            ],
        ),
        None => common::pick_a_store_first(),
    }
}

pub fn render(
    ob: &OpenBuilder,
    request: &AddToCartRequest,
    response: &CartUpdateResponse,
) -> Result<SkillResponse, LimitError> {
    let cart = response.cart.as_ref();
    match CartOutcome::try_from(response.outcome).unwrap_or(CartOutcome::Unspecified) {
        CartOutcome::Updated => {
            let name = cart
                .and_then(|c| c.lines.iter().rev().find(|l| l.item_id == request.item_id))
                .map_or("메뉴", |l| l.item_name.as_str());
            let save =
                favourites::save_chip(ob, &request.store_id, &request.item_id, &request.option_ids);
            cart::render_with(
                ob,
                cart,
                Some(&format!("주문서에 담았어요: {name}")),
                Some(save),
            )
        }
        CartOutcome::NeedsReplace => {
            let Some(existing) = cart else {
                return common::text(common::TRY_AGAIN, [common::show_cart(ob), common::home(ob)]);
            };
            let confirm = add_target(
                ob,
                &request.store_id,
                &request.item_id,
                &request.option_ids,
                request.quantity.max(1),
                "비우고 담기",
            )
            .extra("replace", Value::Bool(true))
            .extra("cart_id", existing.id.clone());
            let question = format!(
                "{}의 주문서({})가 있어요. 다른 매장의 주문서를 비우고 담을까요?",
                existing.store_name,
                won(existing.total)
            );
            common::other_stores_sheet(ob, question, confirm)
        }
        CartOutcome::Stale => cart::render(
            ob,
            cart,
            Some("그 사이 주문서가 바뀌었어요. 지금 주문서를 확인해 주세요."),
        ),
        CartOutcome::Invalid => {
            let message = response
                .problem
                .as_ref()
                .map(|p| p.message.trim())
                .filter(|m| !m.is_empty())
                .unwrap_or("담을 수 없는 메뉴예요.");
            common::text(
                message,
                [
                    QuickReply::block(
                        "옵션 다시 고르기",
                        item_target(
                            ob,
                            &request.store_id,
                            &request.item_id,
                            &[],
                            0,
                            "옵션 다시 고르기",
                        ),
                    ),
                    common::store_menu(ob, &request.store_id, "메뉴 보기"),
                    common::show_cart(ob),
                ],
            )
        }
        CartOutcome::NotFound | CartOutcome::Unspecified => common::text(
            "주문서에 담지 못했어요. 메뉴에서 다시 골라 주세요.",
            [
                common::store_menu(ob, &request.store_id, "메뉴 보기"),
                common::show_cart(ob),
            ],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::cart::fixture::cart;
    use super::super::catalog::fixture::*;
    use super::*;
    use contracts::order::v1::{CartProblem, CartProblemCode};

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    fn request() -> AddToCartRequest {
        AddToCartRequest {
            customer_id: "c1".into(),
            store_id: STORE.into(),
            item_id: AMERICANO.into(),
            option_ids: vec![ICE.into()],
            quantity: 2,
            ..AddToCartRequest::default()
        }
    }

    fn answer(outcome: CartOutcome, problem: Option<CartProblem>) -> Value {
        let response = CartUpdateResponse {
            outcome: outcome as i32,
            cart: Some(cart(1)),
            problem,
        };
        let v = render(&ob(), &request(), &response).unwrap().to_value();
        kakao::validate(&v).unwrap();
        v
    }

    #[test]
    fn an_added_item_shows_the_sheet_after_a_note() {
        let v = answer(CartOutcome::Updated, None);
        assert_eq!(
            v["template"]["outputs"][0]["simpleText"]["text"],
            "주문서에 담았어요: 아메리카노"
        );
        assert!(
            v["template"]["outputs"][1]["simpleText"]["text"]
                .as_str()
                .unwrap()
                .contains("합계 10,000원")
        );
        let save = &v["template"]["quickReplies"][1];
        assert_eq!(save["label"], "나만의 메뉴 저장");
        assert_eq!(save["blockId"], "blk_favourites");
        assert_eq!(save["extra"]["action"], "save");
        assert_eq!(save["extra"]["item_id"], AMERICANO);
        assert_eq!(save["extra"]["option_ids"], serde_json::json!([ICE]));
    }

    #[test]
    fn another_stores_cart_asks_before_replacing() {
        let v = answer(CartOutcome::NeedsReplace, None);
        let card = &v["template"]["outputs"][0]["textCard"];
        assert!(
            card["description"]
                .as_str()
                .unwrap()
                .contains("다른 매장의 주문서를 비우고 담을까요?")
        );
        let confirm = &card["buttons"][0];
        assert_eq!(confirm["blockId"], "blk_cart_add");
        assert_eq!(confirm["extra"]["replace"], true);
        assert_eq!(confirm["extra"]["cart_id"], "1718000000000-3");
        assert_eq!(confirm["extra"]["option_ids"], serde_json::json!([ICE]));
        assert_eq!(confirm["extra"]["quantity"], 2);
    }

    #[test]
    fn a_validation_error_is_shown_with_a_way_back_to_the_options() {
        let problem = CartProblem {
            code: CartProblemCode::SelectionMin as i32,
            message: "'온도'는 1개를 골라야 해요".into(),
            ..CartProblem::default()
        };
        let v = answer(CartOutcome::Invalid, Some(problem));
        assert_eq!(
            v["template"]["outputs"][0]["simpleText"]["text"],
            "'온도'는 1개를 골라야 해요"
        );
        assert_eq!(v["template"]["quickReplies"][0]["blockId"], "blk_item");
        let v = answer(CartOutcome::Invalid, None);
        assert!(v.to_string().contains("담을 수 없는 메뉴"));
    }

    #[test]
    fn stale_and_unexpected_outcomes_still_answer() {
        let v = answer(CartOutcome::Stale, None);
        assert!(v.to_string().contains("그 사이 주문서가 바뀌었어요"));
        answer(CartOutcome::NotFound, None);
        answer(CartOutcome::Unspecified, None);
    }
}
