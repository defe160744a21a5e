//! `item`: one menu item with its option groups, and choosing options in chat.
//!
//! The choice so far travels in the buttons' `extra` (`option_ids`, `step`), so nothing is
//! stored between taps. Each answer asks for one group: its options as quick replies (or pages of
//! list cards, with 이전 / 더 보기, when they do not fit or would read alike), plus "선택 안 함"/"다음" once the group's minimum is met. A
//! group that reaches its maximum moves on by itself. After the last group comes the 담기
//! button. Whatever `extra` says, the plan is recomputed from the menu, so a stale or
//! tampered button can never skip a required group.

use contracts::common::v1::Item;
use domain::{ItemId, OptionId, StoreId};
use kakao::SkillResponse;
use kakao::skill::limits;
use kakao::skill::response::{
    BlockTarget, Button, Carousel, ItemCard, ItemRow, LimitError, ListCard, ListItem, QuickReply,
    SimpleText, Thumbnail, shorten,
};
use serde_json::Value;

use super::catalog::{Catalog, Group};
use super::common::{self, extra_price, won};
use super::paging::{page_chips, page_mark, page_of};
use super::{Ctx, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let payload = ctx.payload;
    let Some(store_id) = input::id::<StoreId>(payload, "store_id") else {
        return Ok(common::pick_a_store_first()?);
    };
    let store_id = store_id.to_string();
    let Some(item_id) = input::id::<ItemId>(payload, "item_id") else {
        return Ok(not_found(ctx.ob, &store_id)?);
    };
    let menu = match ctx.clients.menu(&store_id).await {
        Ok(menu) => menu,
        Err(e) if e.is_not_found() => return Ok(common::pick_a_store_first()?),
        Err(e) => return Err(e),
    };
    let chosen: Vec<String> = input::ids::<OptionId>(payload, "option_ids")
        .iter()
        .map(ToString::to_string)
        .collect();
    let item_id = item_id.to_string();
    let at = At {
        store_id: &store_id,
        item_id: &item_id,
        chosen: &chosen,
        step: input::number(payload, "step").unwrap_or(0) as usize,
        page: input::number(payload, "page").unwrap_or(0) as usize,
    };
    Ok(render(ctx.ob, &Catalog::new(&menu), &at)?)
}

/// Where the customer is in choosing options.
#[derive(Debug, PartialEq)]
pub enum Plan {
    /// Choose from the group at this index.
    Pick(usize),
    /// Every group is settled: ready to add.
    Ready,
    /// A required group has nothing orderable left.
    Blocked(usize),
}

/// The valid part of `chosen` (options of the item, orderable, within each group's maximum),
/// in the item's group order.
pub fn settle(groups: &[Group<'_>], chosen: &[String]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| {
            g.orderable()
                .filter(|o| chosen.contains(&o.id))
                .take(g.max())
                .map(|o| o.id.clone())
                .collect()
        })
        .collect()
}

pub fn plan(groups: &[Group<'_>], picked: &[Vec<String>], step: usize) -> Plan {
    let count = |i: usize| picked[i].len();
    let left = |i: usize| {
        groups[i]
            .orderable()
            .filter(|o| !picked[i].contains(&o.id))
            .count()
    };
    let mut step = step.min(groups.len());
    if let Some(first_short) = (0..groups.len()).find(|&i| count(i) < groups[i].min()) {
        step = step.min(first_short);
    }
    while step < groups.len() {
        let (full, satisfied) = (
            count(step) >= groups[step].max(),
            count(step) >= groups[step].min(),
        );
        if !full && left(step) > 0 {
            return Plan::Pick(step);
        }
        if !satisfied {
            return Plan::Blocked(step);
        }
        step += 1;
    }
    Plan::Ready
}

fn ids_value(ids: &[String]) -> Value {
    Value::Array(ids.iter().cloned().map(Value::String).collect())
}

/// A button target showing the item with `chosen` options, asking from group `step`.
pub fn item_target(
    ob: &OpenBuilder,
    store_id: &str,
    item_id: &str,
    chosen: &[String],
    step: usize,
    echo: &str,
) -> BlockTarget {
    ob.target(Skill::Item, echo)
        .extra("store_id", store_id)
        .extra("item_id", item_id)
        .extra("option_ids", ids_value(chosen))
        .extra("step", step as u64)
}

/// A button target adding the item with `chosen` options to the cart.
pub fn add_target(
    ob: &OpenBuilder,
    store_id: &str,
    item_id: &str,
    chosen: &[String],
    quantity: u32,
    echo: &str,
) -> BlockTarget {
    ob.target(Skill::CartAdd, echo)
        .extra("store_id", store_id)
        .extra("item_id", item_id)
        .extra("option_ids", ids_value(chosen))
        .extra("quantity", quantity)
}

fn not_found(ob: &OpenBuilder, store_id: &str) -> Result<SkillResponse, LimitError> {
    common::text(
        "메뉴를 찾지 못했어요. 메뉴가 바뀌었을 수 있어요. 메뉴에서 다시 골라 주세요.",
        [
            common::store_menu(ob, store_id, "메뉴 보기"),
            common::home(ob),
        ],
    )
}

/// Bytes one page of option rows may take. Every row carries the choice so far in its
/// `extra`, so a page of an item with many chosen options holds fewer rows, and the whole
/// answer stays under Kakao's size limit with room for the card and the chips.
const ROWS_BYTES_BUDGET: usize = 16_000;

/// What the card shows of a group's choice; the prompt and the buttons carry the rest.
const ROW_VALUE_MAX: usize = 60;

/// Options on one page of list cards: 5 cards of 4 rows in a carousel.
const ROWS_PER_PAGE_MAX: usize =
    limits::CAROUSEL_LIST_CARDS_MAX * limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX;

/// Where the customer is: the item, the options chosen so far, the group being asked
/// (`step`) and the page of its options (`page`).
pub struct At<'a> {
    pub store_id: &'a str,
    pub item_id: &'a str,
    pub chosen: &'a [String],
    pub step: usize,
    pub page: usize,
}

pub fn render(
    ob: &OpenBuilder,
    catalog: &Catalog<'_>,
    at: &At<'_>,
) -> Result<SkillResponse, LimitError> {
    let At {
        store_id, item_id, ..
    } = *at;
    let Some(item) = catalog.item(item_id) else {
        return not_found(ob, store_id);
    };
    let groups = catalog.groups(item);
    let picked = settle(&groups, at.chosen);
    // An option may sit in several groups; the buttons carry it once.
    let mut flat: Vec<String> = Vec::new();
    for id in picked.iter().flatten() {
        if !flat.contains(id) {
            flat.push(id.clone());
        }
    }
    let unit_price = item.price
        + flat
            .iter()
            .filter_map(|id| catalog.option(id))
            .map(|o| o.price)
            .sum::<i64>();
    let card = item_card(item, &groups, &picked, unit_price)?;
    let back = common::store_menu(ob, store_id, "메뉴 보기");
    if item.sold_out {
        return SkillResponse::from_output(card)
            .output(SimpleText::new(
                "오늘은 품절된 메뉴예요. 다른 메뉴를 골라 주세요.",
            ))?
            .quick_replies([back, common::show_cart(ob)]);
    }
    let restart = (!flat.is_empty()).then(|| {
        QuickReply::block(
            "처음부터",
            item_target(ob, store_id, item_id, &[], 0, "옵션 다시 고르기"),
        )
    });
    match plan(&groups, &picked, at.step) {
        Plan::Ready => {
            let name = shorten(&item.name, 30);
            let add = Button::block(
                format!("담기 {}", won(unit_price)),
                add_target(ob, store_id, item_id, &flat, 1, &format!("{name} 담기")),
            );
            let more = |n: u32| {
                QuickReply::block(
                    format!("{n}개 담기"),
                    add_target(
                        ob,
                        store_id,
                        item_id,
                        &flat,
                        n,
                        &format!("{name} {n}개 담기"),
                    ),
                )
            };
            SkillResponse::from_output(card.button(add)?).quick_replies(
                [more(2), more(3)]
                    .into_iter()
                    .chain(restart)
                    .chain([back, common::show_cart(ob)]),
            )
        }
        Plan::Blocked(i) => {
            let text = format!(
                "[{}] 옵션이 모두 품절이라 지금은 주문할 수 없어요.",
                groups[i].selection.name
            );
            SkillResponse::from_output(card)
                .output(SimpleText::new(text))?
                .quick_replies([back, common::show_cart(ob)])
        }
        Plan::Pick(i) => {
            let group = &groups[i];
            let count = picked[i].len();
            let mut nav = Vec::new();
            if count >= group.min() {
                let label = if count == 0 {
                    "선택 안 함"
                } else {
                    "다음"
                };
                nav.push(QuickReply::block(
                    label,
                    item_target(ob, store_id, item_id, &flat, i + 1, label),
                ));
            }
            nav.extend(restart);
            nav.push(back);
            let choices: Vec<Choice> = group
                .orderable()
                .filter(|o| !picked[i].contains(&o.id))
                .map(|o| {
                    let mut next = flat.clone();
                    next.push(o.id.clone());
                    // A group that becomes full moves on; `plan` does the same on the next tap.
                    let next_step = if count + 1 >= group.max() { i + 1 } else { i };
                    let label = format!("{}{}", o.name, extra_price(o.price));
                    Choice {
                        name: o.name.clone(),
                        price: extra_price(o.price).trim().to_owned(),
                        target: item_target(ob, store_id, item_id, &next, next_step, &label),
                        label,
                    }
                })
                .collect();
            let response = SkillResponse::from_output(card);
            if fits_chips(&choices, nav.len()) {
                let prompt = SimpleText::new(prompt_text(group, &picked[i], ""));
                let chips = choices
                    .into_iter()
                    .map(|c| QuickReply::block(c.label, c.target));
                return response.output(prompt)?.quick_replies(chips.chain(nav));
            }
            let per_page = rows_per_page(&choices);
            let (page, pages, range) = page_of(choices.len(), per_page, at.page);
            let prompt = SimpleText::new(prompt_text(
                group,
                &picked[i],
                &format!("\n아래 목록에서 골라 주세요{}.", page_mark(page, pages)),
            ));
            let header = shorten(&format!("{} · {}", group.selection.name, group.rule()), 40);
            let cards = choices[range]
                .chunks(limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX)
                .map(|rows| {
                    let items = rows
                        .iter()
                        .map(|c| ListItem::new(&c.name, c.target.clone()).description(&c.price))
                        .collect();
                    ListCard::new(&header, items)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let paging = page_chips(page, pages, |p| {
                item_target(ob, store_id, item_id, &flat, i, "옵션 더 보기").extra("page", p as u64)
            });
            response
                .output(prompt)?
                .output(Carousel::new(cards)?)?
                .quick_replies(paging.into_iter().chain(nav))
        }
    }
}

/// One option the customer may pick now.
struct Choice {
    name: String,
    /// "+500원", or empty when free.
    price: String,
    label: String,
    target: BlockTarget,
}

/// Chips only when all choices fit beside the navigation and every label reads whole: a
/// shortened label could make two choices look the same.
fn fits_chips(choices: &[Choice], nav: usize) -> bool {
    choices.len() + nav <= limits::QUICK_REPLIES_MAX
        && choices
            .iter()
            .all(|c| c.label.chars().count() <= limits::LABEL_MAX)
}

fn rows_per_page(choices: &[Choice]) -> usize {
    let widest = choices
        .iter()
        .map(|c| {
            serde_json::to_vec(&c.target).map_or(0, |b| b.len()) + c.name.len() + c.price.len() + 64
        })
        .max()
        .unwrap_or(1);
    (ROWS_BYTES_BUDGET / widest).clamp(1, ROWS_PER_PAGE_MAX)
}

/// The question, the group's options with what is chosen and sold out (when the list is
/// short enough to read), then `tail`.
fn prompt_text(group: &Group<'_>, picked: &[String], tail: &str) -> String {
    let mut text = format!("[{}] 골라 주세요 ({})", group.selection.name, group.rule());
    let listed = group.options.len() <= ROWS_PER_PAGE_MAX;
    for o in &group.options {
        let chosen = picked.contains(&o.id);
        if !(listed || chosen) {
            continue;
        }
        let mark = if chosen {
            " ✓"
        } else if o.sold_out {
            " (품절)"
        } else {
            ""
        };
        text.push_str(&format!("\n· {}{}{}", o.name, extra_price(o.price), mark));
    }
    text.push_str(tail);
    text
}

/// Rows of the item card: the price, then each group; when there are more groups than rows,
/// the last row gathers the rest.
fn item_card(
    item: &Item,
    groups: &[Group<'_>],
    picked: &[Vec<String>],
    unit_price: i64,
) -> Result<ItemCard, LimitError> {
    let names = |i: usize| -> Vec<String> {
        groups[i]
            .options
            .iter()
            .filter(|o| picked[i].contains(&o.id))
            .map(|o| o.name.clone())
            .collect()
    };
    let mut rows = vec![ItemRow::new("가격", won(item.price))];
    let room = limits::ITEM_CARD_ROWS_MAX - rows.len();
    let shown = if groups.len() <= room {
        groups.len()
    } else {
        room - 1
    };
    for (i, group) in groups.iter().enumerate().take(shown) {
        let chosen = names(i);
        let value = if chosen.is_empty() {
            format!("({})", group.rule())
        } else {
            chosen.join(", ")
        };
        rows.push(ItemRow::new(
            &group.selection.name,
            shorten(&value, ROW_VALUE_MAX),
        ));
    }
    if groups.len() > shown {
        let rest: Vec<String> = (shown..groups.len()).flat_map(names).collect();
        let value = if rest.is_empty() {
            "-".to_owned()
        } else {
            rest.join(", ")
        };
        rows.push(ItemRow::new("그 외", shorten(&value, ROW_VALUE_MAX)));
    }
    let description = if item.sold_out {
        format!("[품절] {}", item.description)
    } else {
        item.description.clone()
    };
    let mut card = ItemCard::new(rows)?
        .text(&item.name, description)
        .summary("합계", won(unit_price));
    if !item.image_url.trim().is_empty() {
        card = card.thumbnail(Thumbnail::new(item.image_url.trim()));
    }
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::super::catalog::fixture::*;
    use super::*;

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    fn at<'a>(item_id: &'a str, chosen: &'a [String], step: usize) -> At<'a> {
        At {
            store_id: STORE,
            item_id,
            chosen,
            step,
            page: 0,
        }
    }

    fn answer(item: &str, chosen: &[&str], step: usize) -> Value {
        let menu = menu();
        let chosen: Vec<String> = chosen.iter().map(|s| s.to_string()).collect();
        let r = render(&ob(), &Catalog::new(&menu), &at(item, &chosen, step)).unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        v
    }

    fn chip<'a>(v: &'a Value, label: &str) -> Option<&'a Value> {
        v["template"]["quickReplies"]
            .as_array()?
            .iter()
            .find(|q| q["label"] == label)
    }

    #[test]
    fn a_required_group_is_asked_first_without_a_skip() {
        let v = answer(AMERICANO, &[], 0);
        let prompt = v["template"]["outputs"][1]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(
            prompt.starts_with("[온도] 골라 주세요 (필수 1개)"),
            "{prompt}"
        );
        let ice = chip(&v, "ICE").expect("ICE chip");
        assert_eq!(ice["blockId"], "blk_item");
        assert_eq!(ice["extra"]["option_ids"], serde_json::json!([ICE]));
        assert_eq!(ice["extra"]["step"], 1, "a full group moves on");
        assert!(chip(&v, "선택 안 함").is_none());
        assert!(chip(&v, "다음").is_none());
    }

    #[test]
    fn an_optional_group_offers_skip_marks_sold_out_and_accumulates() {
        let v = answer(AMERICANO, &[ICE], 1);
        let prompt = v["template"]["outputs"][1]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(prompt.contains("[샷 추가] 골라 주세요 (선택, 최대 2개)"));
        assert!(prompt.contains("디카페인 +300원 (품절)"));
        assert!(
            chip(&v, "디카페인 +300원").is_none(),
            "sold out is not offered"
        );
        let shot = chip(&v, "샷 1 +500원").unwrap();
        assert_eq!(
            shot["extra"]["option_ids"],
            serde_json::json!([ICE, SHOT_1])
        );
        assert_eq!(shot["extra"]["step"], 1, "room for one more shot");
        assert_eq!(chip(&v, "선택 안 함").unwrap()["extra"]["step"], 2);
        assert!(chip(&v, "처음부터").is_some());
    }

    #[test]
    fn after_the_last_group_the_card_has_the_add_button_with_the_price() {
        let v = answer(AMERICANO, &[ICE, SHOT_1], 2);
        let card = &v["template"]["outputs"][0]["itemCard"];
        assert_eq!(card["itemListSummary"]["description"], "5,000원");
        let add = &card["buttons"][0];
        assert_eq!(add["label"], "담기 5,000원");
        assert_eq!(add["blockId"], "blk_cart_add");
        assert_eq!(add["extra"]["option_ids"], serde_json::json!([ICE, SHOT_1]));
        assert_eq!(add["extra"]["quantity"], 1);
        assert_eq!(chip(&v, "2개 담기").unwrap()["extra"]["quantity"], 2);
    }

    #[test]
    fn a_tampered_step_cannot_skip_a_required_group() {
        let v = answer(AMERICANO, &[SHOT_1], 9);
        let prompt = v["template"]["outputs"][1]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(prompt.starts_with("[온도]"));
        assert!(v["template"]["outputs"][0]["itemCard"]["buttons"].is_null());
        let v = answer(AMERICANO, &[HOT, ICE, DECAF], 0);
        let chosen = v["template"]["outputs"][0]["itemCard"]["itemList"][1]["description"].clone();
        assert_eq!(chosen, "HOT", "one temperature only, sold-out dropped");
    }

    #[test]
    fn sold_out_and_unknown_items_say_so() {
        let v = answer(COOKIE, &[], 0);
        assert!(v.to_string().contains("품절"));
        assert!(v["template"]["outputs"][0]["itemCard"]["buttons"].is_null());
        let v = answer(HIDDEN, &[], 0);
        assert!(v.to_string().contains("메뉴를 찾지 못했어요"));
    }

    #[test]
    fn many_options_go_into_list_cards() {
        let mut menu = menu();
        let group = menu.selections.iter_mut().find(|s| s.id == SHOT).unwrap();
        group.min = 1;
        group.max = 1;
        for n in 0..12 {
            let id = format!("00000000-0000-7000-8000-1000000000{n:02}");
            group.option_ids.push(id.clone());
            menu.options.push(contracts::common::v1::Option {
                id,
                name: format!("옵션 {n}"),
                ..Default::default()
            });
        }
        let r = render(
            &ob(),
            &Catalog::new(&menu),
            &at(AMERICANO, &[ICE.into()], 1),
        )
        .unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        let carousel = &v["template"]["outputs"][2]["carousel"];
        assert_eq!(carousel["type"], "listCard");
        assert_eq!(carousel["items"].as_array().unwrap().len(), 4, "14 choices");
        assert_eq!(carousel["items"][0]["items"][0]["action"], "block");
    }

    #[test]
    fn options_beyond_one_carousel_are_paged_and_none_is_lost() {
        let mut menu = menu();
        let group = menu.selections.iter_mut().find(|s| s.id == SHOT).unwrap();
        group.option_ids.clear();
        for n in 0..45 {
            let id = format!("00000000-0000-7000-8000-1000000000{n:02}");
            group.option_ids.push(id.clone());
            menu.options.push(contracts::common::v1::Option {
                id,
                name: format!("아주 긴 이름의 옵션 {n}"),
                price: 100,
                ..Default::default()
            });
        }
        let catalog = Catalog::new(&menu);
        let mut seen = Vec::new();
        let mut page = 0;
        loop {
            let chosen = [ICE.to_owned()];
            let at = At {
                page,
                ..at(AMERICANO, &chosen, 1)
            };
            let v = render(&ob(), &catalog, &at).unwrap().to_value();
            kakao::validate(&v).unwrap();
            for card in v["template"]["outputs"][2]["carousel"]["items"]
                .as_array()
                .unwrap()
            {
                for row in card["items"].as_array().unwrap() {
                    assert_eq!(row["description"], "+100원");
                    seen.push(row["title"].as_str().unwrap().to_owned());
                }
            }
            if page > 0 {
                assert!(chip(&v, "이전").is_some());
            }
            match chip(&v, "더 보기") {
                Some(more) => {
                    page = more["extra"]["page"].as_u64().unwrap() as usize;
                    assert_eq!(more["extra"]["step"], 1);
                }
                None => break,
            }
        }
        assert_eq!(page, 2, "45 choices on pages of 20");
        let expected: Vec<String> = (0..45)
            .map(|n| format!("아주 긴 이름의 옵션 {n}"))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn more_groups_than_rows_are_gathered_in_the_last_row() {
        let mut menu = menu();
        let mut extra_groups = Vec::new();
        for n in 0..10 {
            let selection = format!("50000000-0000-7000-8000-1000000000{n:02}");
            let option = format!("00000000-0000-7000-8000-2000000000{n:02}");
            menu.selections.push(contracts::common::v1::Selection {
                id: selection.clone(),
                name: format!("그룹 {n}"),
                min: 0,
                max: 1,
                option_ids: vec![option.clone()],
            });
            menu.options.push(contracts::common::v1::Option {
                id: option.clone(),
                name: format!("선택 {n}"),
                ..Default::default()
            });
            extra_groups.push((selection, option));
        }
        let americano = menu.items.iter_mut().find(|i| i.id == AMERICANO).unwrap();
        americano
            .selection_ids
            .extend(extra_groups.iter().map(|(s, _)| s.clone()));
        let chosen: Vec<String> = [ICE.to_owned()]
            .into_iter()
            .chain(extra_groups.iter().skip(1).map(|(_, o)| o.clone()))
            .collect();
        let r = render(&ob(), &Catalog::new(&menu), &at(AMERICANO, &chosen, 9)).unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        let rows = v["template"]["outputs"][0]["itemCard"]["itemList"]
            .as_array()
            .unwrap();
        let titles: Vec<&str> = rows.iter().map(|r| r["title"].as_str().unwrap()).collect();
        assert_eq!(
            titles,
            [
                "가격",
                "온도",
                "샷 추가",
                "그룹 0",
                "그룹 1",
                "그룹 2",
                "그룹 3",
                "그룹 4",
                "그룹 5",
                "그 외"
            ]
        );
        assert_eq!(rows[9]["description"], "선택 6, 선택 7, 선택 8, 선택 9");
    }

    #[test]
    fn the_plan_follows_min_and_max() {
        let menu = menu();
        let catalog = Catalog::new(&menu);
        let groups = catalog.groups(catalog.item(AMERICANO).unwrap());
        let p = |chosen: &[&str], step| {
            let chosen: Vec<String> = chosen.iter().map(|s| s.to_string()).collect();
            plan(&groups, &settle(&groups, &chosen), step)
        };
        assert_eq!(p(&[], 0), Plan::Pick(0));
        assert_eq!(p(&[HOT], 0), Plan::Pick(1));
        assert_eq!(p(&[HOT, SHOT_1], 1), Plan::Pick(1));
        assert_eq!(p(&[HOT, SHOT_1, SHOT_2], 1), Plan::Ready);
        assert_eq!(p(&[HOT], 2), Plan::Ready);
        assert_eq!(p(&[], 2), Plan::Pick(0));
    }
}
