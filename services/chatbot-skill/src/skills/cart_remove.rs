//! `cart-remove`: takes one line out of the cart and shows the sheet again.

use contracts::order::v1::{CartOutcome, CartUpdateResponse, RemoveFromCartRequest};
use domain::CartId;
use kakao::SkillResponse;
use kakao::skill::response::LimitError;

use super::{Ctx, cart, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    // Line ids are the cart's line numbers (domain::CartLine).
    let Some(line_id) = input::number(ctx.payload, "line_id") else {
        let current = ctx.clients.cart(customer_id).await?;
        return Ok(match current.filter(|c| !c.lines.is_empty()) {
            Some(cart) => {
                let page = input::number(ctx.payload, "page").unwrap_or(0) as usize;
                cart::render_remove_list(ctx.ob, &cart, page)?
            }
            None => cart::render(ctx.ob, None, Some("뺄 메뉴가 없어요."))?,
        });
    };
    let request = RemoveFromCartRequest {
        customer_id: customer_id.clone(),
        line_id: line_id.to_string(),
        quantity: 0,
        expected_cart_id: input::id::<CartId>(ctx.payload, "cart_id")
            .map(|id| id.to_string())
            .unwrap_or_default(),
    };
    match ctx.clients.remove_from_cart(request).await {
        Ok(response) => Ok(render(ctx.ob, &response)?),
        Err(e) if e.invalid_argument().is_some() => {
            show_current(ctx, "이미 주문서에 없는 메뉴예요.").await
        }
        Err(e) => Err(e),
    }
}

async fn show_current(ctx: &Ctx<'_>, note: &str) -> Result<SkillResponse, Error> {
    let current = ctx.clients.cart(&ctx.customer.customer_id).await?;
    Ok(cart::render(ctx.ob, current.as_ref(), Some(note))?)
}

pub fn render(
    ob: &OpenBuilder,
    response: &CartUpdateResponse,
) -> Result<SkillResponse, LimitError> {
    let note = match CartOutcome::try_from(response.outcome).unwrap_or(CartOutcome::Unspecified) {
        CartOutcome::Updated => "주문서에서 뺐어요.",
        CartOutcome::Stale => "그 사이 주문서가 바뀌었어요. 지금 주문서를 확인해 주세요.",
        CartOutcome::NotFound => "이미 주문서에 없는 메뉴예요.",
        CartOutcome::NeedsReplace | CartOutcome::Invalid | CartOutcome::Unspecified => {
            "주문서를 바꾸지 못했어요. 지금 주문서를 확인해 주세요."
        }
    };
    cart::render(ob, response.cart.as_ref(), Some(note))
}

#[cfg(test)]
mod tests {
    use super::super::cart::fixture::cart;
    use super::*;

    #[test]
    fn every_outcome_answers_with_the_current_sheet() {
        let ob = OpenBuilder::load(None).unwrap();
        for (outcome, cart, expected) in [
            (CartOutcome::Updated, Some(cart(1)), "주문서에서 뺐어요."),
            (CartOutcome::Updated, None, "주문서가 비어 있어요"),
            (
                CartOutcome::Stale,
                Some(cart(2)),
                "그 사이 주문서가 바뀌었어요",
            ),
            (CartOutcome::NotFound, None, "이미 주문서에 없는 메뉴예요."),
            (CartOutcome::Invalid, None, "주문서를 바꾸지 못했어요"),
        ] {
            let response = CartUpdateResponse {
                outcome: outcome as i32,
                cart,
                problem: None,
            };
            let v = render(&ob, &response).unwrap().to_value();
            kakao::validate(&v).unwrap();
            assert!(v.to_string().contains(expected), "{outcome:?}: {v}");
        }
    }
}
