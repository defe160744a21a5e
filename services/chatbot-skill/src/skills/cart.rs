//! `cart`: the order sheet (주문서) with its lines, options, quantities and total, and the
//! 결제하기 button carrying the cart id the customer is looking at. The sheet is also how
//! cart-add, cart-remove and order show the cart after a change.

use contracts::common::v1::Cart;
use kakao::SkillResponse;
use kakao::skill::response::{
    Button, Component, LimitError, QuickReply, SimpleText, TextCard, shorten,
};

use super::common::{self, won};
use super::{Ctx, Skill};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;

/// Lines that get a remove chip; with 처음으로 they fill at most 9 of the 10 chips.
const REMOVE_CHIPS: usize = 8;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let cart = ctx.clients.cart(&ctx.customer.customer_id).await?;
    Ok(render(ctx.ob, cart.as_ref(), None)?)
}

/// The sheet's text: one entry per line with its options, then the total.
pub fn sheet_text(cart: &Cart) -> String {
    let mut text = format!("[{}] 주문서", cart.store_name);
    for (n, line) in cart.lines.iter().enumerate() {
        text.push_str(&format!(
            "\n{}. {} ×{}  {}",
            n + 1,
            line.item_name,
            line.quantity,
            won(line.line_total)
        ));
        if !line.options.is_empty() {
            let options: Vec<String> = line
                .options
                .iter()
                .map(|o| {
                    if o.price == 0 {
                        o.name.clone()
                    } else {
                        format!("{}(+{})", o.name, won(o.price))
                    }
                })
                .collect();
            text.push_str(&format!("\n    {}", options.join(", ")));
        }
    }
    text.push_str(&format!("\n합계 {}", won(cart.total)));
    text
}

/// The 결제하기 card for `cart`.
pub fn pay_card(ob: &OpenBuilder, cart: &Cart) -> Result<TextCard, LimitError> {
    let items: u32 = cart.lines.iter().map(|l| l.quantity).sum();
    TextCard::new(
        format!("합계 {} ({items}개)", won(cart.total)),
        "결제하기를 누르면 카카오페이로 결제해요. 준비되면 카카오톡으로 알려 드려요.",
    )
    .button(Button::block(
        "결제하기",
        ob.target(Skill::Order, "결제하기")
            .extra("cart_id", cart.id.clone()),
    ))?
    .button(Button::block(
        "메뉴 더 보기",
        ob.target(Skill::Menu, "메뉴 더 보기")
            .extra("store_id", cart.store_id.clone()),
    ))
}

/// The sheet, after an optional `note` bubble (e.g. "담았어요"). An absent or empty cart says
/// so and points to the stores.
pub fn render(
    ob: &OpenBuilder,
    cart: Option<&Cart>,
    note: Option<&str>,
) -> Result<SkillResponse, LimitError> {
    let Some(cart) = cart.filter(|c| !c.lines.is_empty()) else {
        let empty = "주문서가 비어 있어요. 매장을 찾아 메뉴를 담아 주세요.";
        let text = match note {
            Some(note) => format!("{note}\n{empty}"),
            None => empty.to_owned(),
        };
        return common::text(
            text,
            [
                common::find_stores(),
                common::recent_stores(),
                common::home(ob),
            ],
        );
    };
    let mut outputs: Vec<Component> = Vec::new();
    if let Some(note) = note {
        outputs.push(SimpleText::new(note).into());
    }
    outputs.push(SimpleText::new(sheet_text(cart)).into());
    outputs.push(pay_card(ob, cart)?.into());
    let removes = cart
        .lines
        .iter()
        .enumerate()
        .take(REMOVE_CHIPS)
        .map(|(n, line)| {
            QuickReply::block(
                format!("{}번 빼기", n + 1),
                ob.target(
                    Skill::CartRemove,
                    &format!("{} 빼기", shorten(&line.item_name, 30)),
                )
                .extra("line_id", line.line_id.clone())
                .extra("cart_id", cart.id.clone()),
            )
        });
    SkillResponse::with_outputs(outputs)?.quick_replies(removes.chain([common::home(ob)]))
}

#[cfg(test)]
pub mod fixture {
    use contracts::common::v1::{Cart, CartLine, LineOption};

    use super::super::catalog::fixture::*;

    pub fn cart(lines: usize) -> Cart {
        let lines: Vec<CartLine> = (0..lines)
            .map(|n| CartLine {
                line_id: (n + 1).to_string(),
                item_id: AMERICANO.into(),
                item_name: "아메리카노".into(),
                options: vec![
                    LineOption {
                        option_id: ICE.into(),
                        selection_id: TEMPERATURE.into(),
                        name: "ICE".into(),
                        price: 0,
                        selection_name: "온도".into(),
                    },
                    LineOption {
                        option_id: SHOT_1.into(),
                        selection_id: SHOT.into(),
                        name: "샷 1".into(),
                        price: 500,
                        selection_name: "샷 추가".into(),
                    },
                ],
                quantity: 2,
                unit_price: 5_000,
                line_total: 10_000,
            })
            .collect();
        Cart {
            id: "1718000000000-3".into(),
            store_id: STORE.into(),
            total: 10_000 * lines.len() as i64,
            lines,
            store_name: "간편카페 강남점".into(),
            version: 3,
            ..Cart::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::cart;
    use super::*;

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    #[test]
    fn the_sheet_lists_lines_options_quantities_and_the_total() {
        let v = render(&ob(), Some(&cart(2)), None).unwrap().to_value();
        kakao::validate(&v).unwrap();
        let sheet = v["template"]["outputs"][0]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert_eq!(
            sheet,
            "[간편카페 강남점] 주문서\n1. 아메리카노 ×2  10,000원\n    ICE, 샷 1(+500원)\n\
             2. 아메리카노 ×2  10,000원\n    ICE, 샷 1(+500원)\n합계 20,000원"
        );
        let card = &v["template"]["outputs"][1]["textCard"];
        assert_eq!(card["title"], "합계 20,000원 (4개)");
        assert_eq!(card["buttons"][0]["label"], "결제하기");
        assert_eq!(card["buttons"][0]["blockId"], "blk_order");
        assert_eq!(card["buttons"][0]["extra"]["cart_id"], "1718000000000-3");
        let remove = &v["template"]["quickReplies"][1];
        assert_eq!(remove["label"], "2번 빼기");
        assert_eq!(remove["blockId"], "blk_cart_remove");
        assert_eq!(remove["extra"]["line_id"], "2");
    }

    #[test]
    fn a_big_cart_stays_within_the_limits() {
        let r = render(&ob(), Some(&cart(20)), Some("담았어요")).unwrap();
        kakao::validate(&r.to_value()).unwrap();
        assert_eq!(r.outputs().len(), 3);
        assert_eq!(r.quick_replies_ref().len(), REMOVE_CHIPS + 1);
    }

    #[test]
    fn an_empty_cart_points_to_the_stores() {
        for cart in [None, Some(cart(0))] {
            let v = render(&ob(), cart.as_ref(), Some("뺐어요"))
                .unwrap()
                .to_value();
            kakao::validate(&v).unwrap();
            assert!(v.to_string().contains("주문서가 비어 있어요"));
        }
    }
}
