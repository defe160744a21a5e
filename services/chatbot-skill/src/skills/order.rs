//! `order`: the 결제하기 button. Places the cart version the customer saw through
//! OrderService.PlaceOrder and answers with the KakaoPay button.

use contracts::order::v1::{PlaceOrderResponse, PlaceOutcome};
use domain::CartId;
use kakao::SkillResponse;
use kakao::skill::response::{Button, LimitError, QuickReply, TextCard};

use super::common::{self, won};
use super::{Ctx, cart, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    let Some(cart_id) = input::id::<CartId>(ctx.payload, "cart_id") else {
        // Typed "결제하기": show the sheet, whose button names the exact cart version.
        let current = ctx.clients.cart(customer_id).await?;
        return Ok(cart::render(
            ctx.ob,
            current.as_ref(),
            Some("주문서를 확인하고 결제하기를 눌러 주세요."),
        )?);
    };
    let placed = ctx
        .clients
        .place_order(customer_id, &cart_id.to_string())
        .await?;
    Ok(render(ctx.ob, &cart_id.to_string(), &placed)?)
}

pub fn render(
    ob: &OpenBuilder,
    cart_id: &str,
    placed: &PlaceOrderResponse,
) -> Result<SkillResponse, LimitError> {
    let message = |fallback: &'static str| -> String {
        let m = placed.message.trim();
        if m.is_empty() {
            fallback.to_owned()
        } else {
            m.to_owned()
        }
    };
    let retry = || {
        QuickReply::block(
            "다시 시도",
            ob.target(Skill::Order, "결제하기")
                .extra("cart_id", cart_id),
        )
    };
    match PlaceOutcome::try_from(placed.outcome).unwrap_or(PlaceOutcome::Unspecified) {
        PlaceOutcome::ReadyToPay => {
            let url = placed.redirect.as_ref().map(|r| {
                if r.next_redirect_mobile_url.trim().is_empty() {
                    r.next_redirect_pc_url.trim()
                } else {
                    r.next_redirect_mobile_url.trim()
                }
            });
            let Some(url) = url.filter(|u| !u.is_empty()) else {
                return common::text(
                    "결제를 준비하지 못했어요. 잠시 후 다시 시도해 주세요.",
                    [retry(), common::show_cart(ob)],
                );
            };
            let store = placed.cart.as_ref().map_or("", |c| c.store_name.as_str());
            let card = TextCard::new(
                format!("결제 금액 {}", won(placed.amount)),
                format!(
                    "{store} 주문이에요. 아래 버튼을 눌러 카카오페이로 결제해 주세요. 결제가 끝나면 주문이 접수돼요."
                )
                .trim(),
            )
            .button(Button::web_link("카카오페이 결제", url))?;
            SkillResponse::from_output(card)
                .quick_replies([common::show_cart(ob), common::home(ob)])
        }
        PlaceOutcome::CartEmpty => cart::render(ob, None, Some(&message("주문서가 비어 있어요."))),
        PlaceOutcome::CartChanged => cart::render(
            ob,
            placed.cart.as_ref(),
            Some(&message(
                "주문서가 바뀌었어요. 확인하고 다시 결제하기를 눌러 주세요.",
            )),
        ),
        PlaceOutcome::StoreNotOpen => common::text(
            message("지금은 매장이 주문을 받지 않아요."),
            [common::show_cart(ob), common::home(ob)],
        ),
        PlaceOutcome::Invalid => {
            let problem = placed
                .problem
                .as_ref()
                .map(|p| p.message.trim().to_owned())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| message("주문서의 메뉴를 지금은 주문할 수 없어요."));
            common::text(problem, [common::show_cart(ob), common::home(ob)])
        }
        PlaceOutcome::PaymentUnavailable | PlaceOutcome::Unspecified => common::text(
            message("결제를 준비하지 못했어요. 잠시 후 다시 시도해 주세요."),
            [retry(), common::show_cart(ob), common::home(ob)],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::cart::fixture::cart;
    use super::*;
    use contracts::common::v1::PaymentRedirect;
    use serde_json::Value;

    fn answer(placed: PlaceOrderResponse) -> Value {
        let ob = OpenBuilder::load(None).unwrap();
        let v = render(&ob, "1718000000000-3", &placed).unwrap().to_value();
        kakao::validate(&v).unwrap();
        v
    }

    #[test]
    fn ready_to_pay_opens_kakaopay() {
        let v = answer(PlaceOrderResponse {
            outcome: PlaceOutcome::ReadyToPay as i32,
            amount: 10_000,
            cart: Some(cart(1)),
            redirect: Some(PaymentRedirect {
                next_redirect_mobile_url: "http://127.0.0.1:8090/pay/m/abc".into(),
                ..PaymentRedirect::default()
            }),
            ..PlaceOrderResponse::default()
        });
        let card = &v["template"]["outputs"][0]["textCard"];
        assert_eq!(card["title"], "결제 금액 10,000원");
        assert_eq!(card["buttons"][0]["action"], "webLink");
        assert_eq!(
            card["buttons"][0]["webLinkUrl"],
            "http://127.0.0.1:8090/pay/m/abc"
        );
    }

    #[test]
    fn every_other_outcome_explains_itself() {
        for outcome in [
            PlaceOutcome::ReadyToPay,
            PlaceOutcome::CartEmpty,
            PlaceOutcome::CartChanged,
            PlaceOutcome::StoreNotOpen,
            PlaceOutcome::Invalid,
            PlaceOutcome::PaymentUnavailable,
            PlaceOutcome::Unspecified,
        ] {
            let v = answer(PlaceOrderResponse {
                outcome: outcome as i32,
                cart: Some(cart(1)),
                message: "안내 문구".into(),
                ..PlaceOrderResponse::default()
            });
            let expected = if outcome == PlaceOutcome::ReadyToPay {
                "결제를 준비하지 못했어요"
            } else {
                "안내 문구"
            };
            assert!(v.to_string().contains(expected), "{outcome:?}: {v}");
        }
    }
}
