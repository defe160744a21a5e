//! `cart`: the order sheet (주문서) with its lines, options, quantities and total, and the
//! 결제하기 button carrying the cart id the customer is looking at. The sheet is also how
//! cart-add, cart-remove and order show the cart after a change.

use contracts::common::v1::{Cart, CartLine};
use kakao::SkillResponse;
use kakao::skill::limits;
use kakao::skill::response::{
    BlockTarget, Button, Carousel, Component, LimitError, ListCard, ListItem, QuickReply,
    SimpleText, TextCard, shorten,
};

use super::Ctx;
use super::common::{self, won};
use super::paging::{page_chips, page_mark, page_of};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

/// Lines that get a remove chip each; with 처음으로 and one more chip they fill at most the 10.
/// A longer cart gets one chip leading to the list of its lines instead.
const REMOVE_CHIPS: usize = 8;
/// Lines on one page of the remove list: 5 cards of 4 rows in a carousel.
const LINES_PER_PAGE: usize =
    limits::CAROUSEL_LIST_CARDS_MAX * limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let cart = ctx.clients.cart(&ctx.customer.customer_id).await?;
    Ok(render(ctx.ob, cart.as_ref(), None)?)
}

/// The sheet's text: one entry per line with its options, then the total. A sheet too long for
/// one bubble names each line's options by count, then shortens long item names, so that
/// every line and the total stay in view.
pub fn sheet_text(cart: &Cart) -> String {
    let full = sheet_with(cart, Detail::Options);
    if full.chars().count() <= limits::SIMPLE_TEXT_MAX {
        return full;
    }
    let counted = sheet_with(cart, Detail::OptionCount);
    if counted.chars().count() <= limits::SIMPLE_TEXT_MAX {
        return counted;
    }
    sheet_with(cart, Detail::Short)
}

#[derive(Clone, Copy, PartialEq)]
enum Detail {
    Options,
    OptionCount,
    Short,
}

/// Item names in the shortest sheet.
const SHORT_NAME_CHARS: usize = 12;

fn sheet_with(cart: &Cart, detail: Detail) -> String {
    let mut text = format!("[{}] 주문서", cart.store_name);
    for (n, line) in cart.lines.iter().enumerate() {
        let name = if detail == Detail::Short {
            shorten(&line.item_name, SHORT_NAME_CHARS)
        } else {
            line.item_name.clone()
        };
        text.push_str(&format!(
            "\n{}. {} ×{}  {}",
            n + 1,
            name,
            line.quantity,
            won(line.line_total)
        ));
        if line.options.is_empty() {
            continue;
        }
        if detail == Detail::Options {
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
        } else {
            text.push_str(&format!(" (옵션 {}개)", line.options.len()));
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
    render_with(ob, cart, note, None)
}

/// The sheet with one more chip before 처음으로 (e.g. 나만의 메뉴 저장 after 담기).
pub fn render_with(
    ob: &OpenBuilder,
    cart: Option<&Cart>,
    note: Option<&str>,
    chip: Option<QuickReply>,
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
    let removes: Vec<QuickReply> = if cart.lines.len() <= REMOVE_CHIPS {
        cart.lines
            .iter()
            .enumerate()
            .map(|(n, line)| {
                QuickReply::block(format!("{}번 빼기", n + 1), remove_target(ob, cart, line))
            })
            .collect()
    } else {
        vec![QuickReply::block(
            "메뉴 빼기",
            remove_list_target(ob, cart, 0),
        )]
    };
    SkillResponse::with_outputs(outputs)?
        .quick_replies(removes.into_iter().chain(chip).chain([common::home(ob)]))
}

fn remove_target(ob: &OpenBuilder, cart: &Cart, line: &CartLine) -> BlockTarget {
    ob.target(
        Skill::CartRemove,
        &format!("{} 빼기", shorten(&line.item_name, 30)),
    )
    .extra("line_id", line.line_id.clone())
    .extra("cart_id", cart.id.clone())
}

fn remove_list_target(ob: &OpenBuilder, cart: &Cart, page: usize) -> BlockTarget {
    ob.target(Skill::CartRemove, "메뉴 빼기")
        .extra("cart_id", cart.id.clone())
        .extra("page", page as u64)
}

/// Every line of the cart as a row to tap, in pages, for a cart too long for one chip each.
pub fn render_remove_list(
    ob: &OpenBuilder,
    cart: &Cart,
    page: usize,
) -> Result<SkillResponse, LimitError> {
    let (page, pages, range) = page_of(cart.lines.len(), LINES_PER_PAGE, page);
    let cards = cart.lines[range.clone()]
        .chunks(limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX)
        .enumerate()
        .map(|(chunk, lines)| {
            let first = range.start + chunk * limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX;
            let rows = lines
                .iter()
                .enumerate()
                .map(|(k, line)| {
                    ListItem::new(
                        format!("{}. {}", first + k + 1, line.item_name),
                        remove_target(ob, cart, line),
                    )
                    .description(format!(
                        "×{}  {}",
                        line.quantity,
                        won(line.line_total)
                    ))
                })
                .collect();
            ListCard::new("뺄 메뉴", rows)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let paging = page_chips(page, pages, |p| remove_list_target(ob, cart, p));
    SkillResponse::from_output(SimpleText::new(format!(
        "주문서에서 뺄 메뉴를 골라 주세요{}.",
        page_mark(page, pages)
    )))
    .output(Carousel::new(cards)?)?
    .quick_replies(
        paging
            .into_iter()
            .chain([common::show_cart(ob), common::home(ob)]),
    )
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
    fn a_big_cart_stays_within_the_limits_and_every_line_can_be_removed() {
        let mut big = cart(20);
        for line in &mut big.lines {
            line.item_name = "아주 긴 이름의 시그니처 메뉴 ".repeat(4).trim().to_owned();
        }
        let r = render(&ob(), Some(&big), Some("담았어요")).unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        assert_eq!(r.outputs().len(), 3);
        let sheet = v["template"]["outputs"][1]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(
            sheet.contains("\n20. ") && sheet.ends_with("합계 200,000원"),
            "{sheet}"
        );
        let chips = r.quick_replies_ref();
        assert_eq!(chips[0].label(), "메뉴 빼기");

        let list = render_remove_list(&ob(), &big, 0).unwrap().to_value();
        kakao::validate(&list).unwrap();
        let line_ids: Vec<&str> = list["template"]["outputs"][1]["carousel"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|card| card["items"].as_array().unwrap())
            .map(|row| row["extra"]["line_id"].as_str().unwrap())
            .collect();
        let expected: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
        assert_eq!(line_ids, expected);
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
