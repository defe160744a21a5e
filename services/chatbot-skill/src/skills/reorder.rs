//! `reorder`: 같은 메뉴 다시 담기 on a past order. The order service puts the order's lines in
//! the cart through the cart's own checks, at today's prices; what the menu no longer allows
//! is named here and left out, and the customer sees the order sheet before paying. A cart of
//! another store is replaced only after the customer confirms.

use contracts::order::v1::{CartOutcome, LeftOutLine, ReorderRequest, ReorderResponse};
use domain::{CartId, OrderId};
use kakao::SkillResponse;
use kakao::skill::limits;
use kakao::skill::response::{BlockTarget, LimitError, QuickReply};
use serde_json::Value;

use super::common::{self, won};
use super::{Ctx, cart, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

/// The label of the button on past orders.
pub const LABEL: &str = "같은 메뉴 다시 담기";

/// The button target reordering `order_id`.
pub fn target(ob: &OpenBuilder, order_id: &str) -> BlockTarget {
    ob.target(Skill::Reorder, LABEL)
        .extra("order_id", order_id.to_owned())
}

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let Some(order_id) = input::id::<OrderId>(ctx.payload, "order_id") else {
        return Ok(common::text(
            "다시 담을 주문을 주문 내역에서 골라 주세요.",
            [
                QuickReply::message(common::SAY_ORDERS),
                common::home(ctx.ob),
            ],
        )?);
    };
    let replace = input::flag(ctx.payload, "replace");
    let request = ReorderRequest {
        customer_id: ctx.customer.customer_id.clone(),
        order_id: order_id.to_string(),
        expected_cart_id: replace
            .then(|| input::id::<CartId>(ctx.payload, "cart_id"))
            .flatten()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        replace,
    };
    match ctx.clients.reorder(request).await {
        Ok(answer) => Ok(render(ctx.ob, &order_id.to_string(), &answer)?),
        Err(e) if e.is_not_found() => Ok(common::text(
            "주문을 찾지 못했어요.",
            [
                QuickReply::message(common::SAY_ORDERS),
                common::home(ctx.ob),
            ],
        )?),
        Err(e) => Err(e),
    }
}

/// What was left out, one line each, within one bubble: those that do not fit are counted.
pub fn left_out_text(head: &str, left_out: &[LeftOutLine]) -> String {
    let tail = |rest: usize| format!("\n· 그 밖에 {rest}개 메뉴도 빼고 담았어요.");
    let chars = |s: &str| s.chars().count();
    let mut text = head.to_owned();
    for (n, line) in left_out.iter().enumerate() {
        let entry = format!("\n· {}", line.message.trim());
        // Each line leaves room to count the ones after it, should the next not fit.
        let after = left_out.len() - n - 1;
        let reserve = if after > 0 { chars(&tail(after)) } else { 0 };
        if chars(&text) + chars(&entry) + reserve > limits::SIMPLE_TEXT_MAX {
            text.push_str(&tail(left_out.len() - n));
            break;
        }
        text.push_str(&entry);
    }
    text
}

pub fn render(
    ob: &OpenBuilder,
    order_id: &str,
    answer: &ReorderResponse,
) -> Result<SkillResponse, LimitError> {
    let Some(update) = answer.update.as_ref() else {
        return common::text(common::TRY_AGAIN, [common::home(ob)]);
    };
    let cart = update.cart.as_ref();
    let menu = || common::store_menu(ob, &answer.store_id, "메뉴 보기");
    match CartOutcome::try_from(update.outcome).unwrap_or(CartOutcome::Unspecified) {
        CartOutcome::Updated => {
            let head = if answer.left_out.is_empty() {
                "지난 주문과 같은 메뉴를 오늘 가격으로 주문서에 담았어요."
            } else {
                "지난 주문에서 지금 주문할 수 있는 메뉴를 오늘 가격으로 담았어요."
            };
            let note = left_out_text(head, &answer.left_out);
            cart::render(ob, cart, Some(&note))
        }
        CartOutcome::NeedsReplace => {
            let Some(existing) = cart else {
                return common::text(common::TRY_AGAIN, [common::show_cart(ob), common::home(ob)]);
            };
            let confirm = target(ob, order_id)
                .extra("replace", Value::Bool(true))
                .extra("cart_id", existing.id.clone());
            let question = format!(
                "{}의 주문서({})가 있어요. 비우고 {}의 지난 주문을 담을까요?",
                existing.store_name,
                won(existing.total),
                answer.store_name
            );
            common::other_stores_sheet(ob, question, confirm)
        }
        CartOutcome::Stale => cart::render(
            ob,
            cart,
            Some("그 사이 주문서가 바뀌었어요. 지금 주문서를 확인해 주세요."),
        ),
        CartOutcome::Invalid if !answer.left_out.is_empty() => common::text(
            left_out_text(
                "지난 주문의 메뉴를 지금은 담을 수 없어요.",
                &answer.left_out,
            ),
            [menu(), common::show_cart(ob), common::home(ob)],
        ),
        CartOutcome::Invalid | CartOutcome::NotFound | CartOutcome::Unspecified => {
            let message = update
                .problem
                .as_ref()
                .map(|p| p.message.trim())
                .filter(|m| !m.is_empty())
                .unwrap_or("지난 주문의 메뉴를 담지 못했어요. 메뉴에서 다시 골라 주세요.");
            common::text(message, [menu(), common::show_cart(ob), common::home(ob)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::cart::fixture::cart;
    use super::*;
    use contracts::order::v1::{CartProblem, CartProblemCode, CartUpdateResponse};

    const ORDER: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c";

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    fn left(message: &str) -> LeftOutLine {
        LeftOutLine {
            item_name: "카페라떼".into(),
            message: message.into(),
            problem: Some(CartProblem {
                code: CartProblemCode::ItemSoldOut as i32,
                ..CartProblem::default()
            }),
        }
    }

    fn answer(outcome: CartOutcome, left_out: Vec<LeftOutLine>) -> Value {
        let response = ReorderResponse {
            update: Some(CartUpdateResponse {
                outcome: outcome as i32,
                cart: Some(cart(2)),
                problem: None,
            }),
            left_out,
            store_id: "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b".into(),
            store_name: "간편카페 강남점".into(),
        };
        let v = render(&ob(), ORDER, &response).unwrap().to_value();
        kakao::validate(&v).unwrap();
        v
    }

    #[test]
    fn what_is_gone_is_named_above_the_sheet() {
        let v = answer(
            CartOutcome::Updated,
            vec![
                left("카페라떼는 품절이라 빼고 담았어요."),
                left("바닐라라떼는 '디카페인 샷' 옵션을 지금 고를 수 없어서 빼고 담았어요."),
            ],
        );
        assert_eq!(
            v["template"]["outputs"][0]["simpleText"]["text"],
            "지난 주문에서 지금 주문할 수 있는 메뉴를 오늘 가격으로 담았어요.\n\
             · 카페라떼는 품절이라 빼고 담았어요.\n\
             · 바닐라라떼는 '디카페인 샷' 옵션을 지금 고를 수 없어서 빼고 담았어요."
        );
        assert!(
            v["template"]["outputs"][1]["simpleText"]["text"]
                .as_str()
                .unwrap()
                .contains("합계")
        );
        assert_eq!(
            v["template"]["outputs"][2]["textCard"]["buttons"][0]["label"],
            "결제하기"
        );
        let all = answer(CartOutcome::Updated, Vec::new());
        assert!(all.to_string().contains("같은 메뉴를 오늘 가격으로"));
    }

    #[test]
    fn many_long_lines_left_out_stay_in_one_bubble() {
        let long = format!(
            "{}는 품절이라 빼고 담았어요.",
            "아주 긴 이름의 시즌 한정 음료".repeat(4)
        );
        let v = answer(CartOutcome::Updated, vec![left(&long); 20]);
        let note = v["template"]["outputs"][0]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(note.chars().count() <= limits::SIMPLE_TEXT_MAX);
        assert!(note.ends_with("개 메뉴도 빼고 담았어요."), "{note}");
        let v = answer(CartOutcome::Invalid, vec![left(&long); 20]);
        kakao::validate(&v).unwrap();
    }

    #[test]
    fn another_stores_cart_asks_first_and_nothing_left_says_so() {
        let v = answer(CartOutcome::NeedsReplace, Vec::new());
        let confirm = &v["template"]["outputs"][0]["textCard"]["buttons"][0];
        assert_eq!(confirm["blockId"], "blk_reorder");
        assert_eq!(confirm["extra"]["order_id"], ORDER);
        assert_eq!(confirm["extra"]["replace"], true);
        assert_eq!(confirm["extra"]["cart_id"], "1718000000000-3");

        let v = answer(
            CartOutcome::Invalid,
            vec![left("카페라떼는 품절이라 빼고 담았어요.")],
        );
        assert_eq!(
            v["template"]["outputs"][0]["simpleText"]["text"],
            "지난 주문의 메뉴를 지금은 담을 수 없어요.\n· 카페라떼는 품절이라 빼고 담았어요."
        );
        answer(CartOutcome::Stale, Vec::new());
        answer(CartOutcome::Unspecified, Vec::new());
    }
}
