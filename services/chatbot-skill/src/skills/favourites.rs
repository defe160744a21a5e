//! `favourites`: 나만의 메뉴. The customer saves an item with its options (the 나만의 메뉴 저장
//! chip after 담기), sees a store's favourites as cards (and as chips on its menu), adds one to
//! the order sheet in one tap, renames one ("나만의 메뉴 이름 3 아아 라지") or removes one. The
//! order service keeps them, at most ten per store, and judges each against today's menu.
//!
//! Favourites are numbered across all of the customer's stores, oldest first: a typed rename
//! carries no store, so its number must name one favourite whatever store it belongs to.

use contracts::order::v1::{
    AddFavouriteToCartRequest, CartOutcome, CartUpdateResponse, Favourite, FavouriteList,
    SaveFavouriteRequest,
};
use domain::input::FAVOURITE_NAME_MAX_CHARS;
use domain::korean::direction;
use domain::{CartId, FavouriteId, ItemId, OptionId, StoreId};
use kakao::SkillResponse;
use kakao::skill::response::{
    BlockTarget, Button, Carousel, LimitError, QuickReply, SimpleText, TextCard, shorten,
};
use serde_json::Value;

use super::common::{self, won};
use super::{Ctx, cart, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

/// `action` of the buttons into this skill.
pub const SAVE: &str = "save";
pub const ADD: &str = "add";
pub const RENAME: &str = "rename";
pub const REMOVE: &str = "remove";
/// What the customer types to rename one; it is one of the block's utterances.
pub const SAY_RENAME: &str = "나만의 메뉴 이름";
const TITLE: &str = "나만의 메뉴";
/// Marks a favourite's chip on the menu.
const STAR: &str = "★ ";

/// The chip that saves an item with `option_ids` as a favourite.
pub fn save_chip(
    ob: &OpenBuilder,
    store_id: &str,
    item_id: &str,
    option_ids: &[String],
) -> QuickReply {
    let options = Value::Array(option_ids.iter().cloned().map(Value::String).collect());
    QuickReply::block(
        "나만의 메뉴 저장",
        ob.target(Skill::Favourites, "나만의 메뉴 저장")
            .extra("action", SAVE)
            .extra("store_id", store_id)
            .extra("item_id", item_id)
            .extra("option_ids", options),
    )
}

fn list_target(ob: &OpenBuilder, store_id: &str) -> BlockTarget {
    ob.target(Skill::Favourites, TITLE)
        .extra("store_id", store_id)
}

fn list_chip(ob: &OpenBuilder, store_id: &str) -> QuickReply {
    QuickReply::block(TITLE, list_target(ob, store_id))
}

fn add_target(ob: &OpenBuilder, f: &Favourite) -> BlockTarget {
    ob.target(Skill::Favourites, &format!("{STAR}{}", f.name))
        .extra("action", ADD)
        .extra("favourite_id", f.favourite_id.clone())
        .extra("store_id", f.store_id.clone())
        .extra("item_id", f.item_id.clone())
}

/// Chips for a store's favourites on its menu, in at most `room` chips: all of them, or as
/// many as fit beside one chip to the full list.
pub fn chips(ob: &OpenBuilder, store_id: &str, all: &[Favourite], room: usize) -> Vec<QuickReply> {
    let mine: Vec<&Favourite> = all.iter().filter(|f| f.store_id == store_id).collect();
    if mine.is_empty() || room == 0 {
        return Vec::new();
    }
    let chip = |f: &Favourite| QuickReply::block(format!("{STAR}{}", f.name), add_target(ob, f));
    if mine.len() <= room {
        return mine.into_iter().map(chip).collect();
    }
    let mut chips: Vec<QuickReply> = mine.into_iter().take(room - 1).map(chip).collect();
    chips.push(QuickReply::block(
        format!("{STAR}{TITLE}"),
        list_target(ob, store_id),
    ));
    chips
}

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let payload = ctx.payload;
    match input::text(payload, "action").as_deref() {
        Some(SAVE) => return save(ctx).await,
        Some(ADD) => return add(ctx).await,
        Some(RENAME) => return rename_help(ctx).await,
        Some(REMOVE) => return remove(ctx).await,
        _ => {}
    }
    if let Some(typed) = typed_rename(payload) {
        return rename(ctx, &typed).await;
    }
    let all = ctx.clients.favourites(&ctx.customer.customer_id).await?;
    let store_id = match input::id::<StoreId>(payload, "store_id") {
        Some(id) => Some(id.to_string()),
        None => match ctx.clients.cart(&ctx.customer.customer_id).await? {
            Some(cart) => Some(cart.store_id),
            // The store the customer last saved a favourite of.
            None => all.favourites.last().map(|f| f.store_id.clone()),
        },
    };
    let Some(store_id) = store_id else {
        return Ok(render_list(ctx.ob, "", "", &all, None)?);
    };
    show(ctx, &store_id, &all, None).await
}

/// The list of `store_id`'s favourites, under the store's name, after an optional note.
async fn show(
    ctx: &Ctx<'_>,
    store_id: &str,
    all: &FavouriteList,
    note: Option<&str>,
) -> Result<SkillResponse, Error> {
    let store_name = match ctx.clients.store(store_id).await {
        Ok(store) => store.name,
        Err(e) if e.is_not_found() => String::new(),
        Err(e) => return Err(e),
    };
    Ok(render_list(ctx.ob, store_id, &store_name, all, note)?)
}

/// The text after "나만의 메뉴 이름", when that is what the customer typed.
fn typed_rename(payload: &kakao::SkillPayload) -> Option<String> {
    let said = payload.utterance().trim();
    let rest = said.strip_prefix(SAY_RENAME)?;
    let from_param = input::text(payload, "favourite_name")
        .map(|p| input::rest_of_utterance(&p, &[SAY_RENAME.to_owned()]));
    Some(from_param.unwrap_or_else(|| rest.trim().to_owned()))
}

/// "3 아아 라지" → (3, "아아 라지").
pub fn parse_rename(text: &str) -> Option<(usize, String)> {
    let text = text.trim();
    let (number, name) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let number: usize = number.trim_end_matches('번').parse().ok()?;
    Some((number, name.trim().to_owned()))
}

fn rename_how_to(number: Option<usize>) -> String {
    let n = number.unwrap_or(1);
    format!(
        "이름을 바꾸려면 '{SAY_RENAME} {n} 아아 라지'처럼 번호와 새 이름을 보내 주세요. 이름은 {FAVOURITE_NAME_MAX_CHARS}자까지 정할 수 있어요."
    )
}

async fn save(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let payload = ctx.payload;
    let (Some(store_id), Some(item_id)) = (
        input::id::<StoreId>(payload, "store_id"),
        input::id::<ItemId>(payload, "item_id"),
    ) else {
        return Ok(common::pick_a_store_first()?);
    };
    let request = SaveFavouriteRequest {
        customer_id: ctx.customer.customer_id.clone(),
        store_id: store_id.to_string(),
        item_id: item_id.to_string(),
        option_ids: input::ids::<OptionId>(payload, "option_ids")
            .iter()
            .map(ToString::to_string)
            .collect(),
        name: String::new(),
    };
    let store_id = store_id.to_string();
    match ctx.clients.save_favourite(request).await {
        Ok(answer) => {
            let name = answer.favourite.map(|f| f.name).unwrap_or_default();
            Ok(render_saved(ctx.ob, &store_id, &name, answer.created)?)
        }
        Err(e) if e.invalid_argument().is_some() || e.explained().is_some() => {
            let reason = e.invalid_argument().or(e.explained()).unwrap_or_default();
            Ok(common::text(
                reason,
                [
                    list_chip(ctx.ob, &store_id),
                    common::show_cart(ctx.ob),
                    common::home(ctx.ob),
                ],
            )?)
        }
        Err(e) => Err(e),
    }
}

pub fn render_saved(
    ob: &OpenBuilder,
    store_id: &str,
    name: &str,
    created: bool,
) -> Result<SkillResponse, LimitError> {
    let text = if created {
        format!(
            "나만의 메뉴에 저장했어요: {name}\n메뉴 화면에서 한 번에 주문서에 담을 수 있어요. 이름은 나만의 메뉴에서 바꿀 수 있어요."
        )
    } else {
        format!("이미 나만의 메뉴에 있어요: {name}")
    };
    common::text(
        text,
        [
            list_chip(ob, store_id),
            common::show_cart(ob),
            common::home(ob),
        ],
    )
}

async fn add(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let payload = ctx.payload;
    let Some(favourite_id) = input::id::<FavouriteId>(payload, "favourite_id") else {
        return Ok(not_found(ctx.ob, None)?);
    };
    let replace = input::flag(payload, "replace");
    let request = AddFavouriteToCartRequest {
        customer_id: ctx.customer.customer_id.clone(),
        favourite_id: favourite_id.to_string(),
        expected_cart_id: replace
            .then(|| input::id::<CartId>(payload, "cart_id"))
            .flatten()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        replace,
    };
    let store_id = input::id::<StoreId>(payload, "store_id").map(|s| s.to_string());
    let item_id = input::id::<ItemId>(payload, "item_id").map(|s| s.to_string());
    match ctx.clients.add_favourite_to_cart(request.clone()).await {
        Ok(response) => Ok(render_added(
            ctx.ob,
            &request,
            store_id.as_deref().unwrap_or_default(),
            item_id.as_deref().unwrap_or_default(),
            &response,
        )?),
        Err(e) if e.is_not_found() => Ok(not_found(ctx.ob, store_id.as_deref())?),
        Err(e) => Err(e),
    }
}

fn not_found(ob: &OpenBuilder, store_id: Option<&str>) -> Result<SkillResponse, LimitError> {
    let mut chips = Vec::new();
    if let Some(store_id) = store_id {
        chips.push(list_chip(ob, store_id));
    }
    chips.push(common::home(ob));
    common::text("나만의 메뉴를 찾지 못했어요. 이미 지웠을 수 있어요.", chips)
}

/// The answer to a favourite's 담기: the order sheet, or what stands in the way.
pub fn render_added(
    ob: &OpenBuilder,
    request: &AddFavouriteToCartRequest,
    store_id: &str,
    item_id: &str,
    response: &CartUpdateResponse,
) -> Result<SkillResponse, LimitError> {
    let cart = response.cart.as_ref();
    match CartOutcome::try_from(response.outcome).unwrap_or(CartOutcome::Unspecified) {
        CartOutcome::Updated => {
            let name = cart
                .and_then(|c| c.lines.iter().rev().find(|l| l.item_id == item_id))
                .map_or("메뉴", |l| l.item_name.as_str());
            cart::render(ob, cart, Some(&format!("주문서에 담았어요: {name}")))
        }
        CartOutcome::NeedsReplace => {
            let Some(existing) = cart else {
                return common::text(common::TRY_AGAIN, [common::show_cart(ob), common::home(ob)]);
            };
            let confirm = ob
                .target(Skill::Favourites, "비우고 담기")
                .extra("action", ADD)
                .extra("favourite_id", request.favourite_id.clone())
                .extra("store_id", store_id)
                .extra("item_id", item_id)
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
        CartOutcome::Invalid | CartOutcome::NotFound | CartOutcome::Unspecified => {
            let message = response
                .problem
                .as_ref()
                .map(|p| p.message.trim())
                .filter(|m| !m.is_empty())
                .unwrap_or("지금은 담을 수 없는 메뉴예요.");
            common::text(
                format!("{message}\n메뉴에서 다시 골라 담아 주세요."),
                [
                    common::store_menu(ob, store_id, "메뉴 보기"),
                    list_chip(ob, store_id),
                    common::show_cart(ob),
                ],
            )
        }
    }
}

/// The number the customer renames `favourite_id` by.
fn number_of(all: &FavouriteList, favourite_id: &str) -> Option<usize> {
    all.favourites
        .iter()
        .position(|f| f.favourite_id == favourite_id)
        .map(|i| i + 1)
}

async fn rename_help(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let all = ctx.clients.favourites(&ctx.customer.customer_id).await?;
    let favourite = input::id::<FavouriteId>(ctx.payload, "favourite_id").and_then(|id| {
        all.favourites
            .iter()
            .find(|f| f.favourite_id == id.to_string())
    });
    let Some(favourite) = favourite else {
        return Ok(not_found(ctx.ob, None)?);
    };
    let number = number_of(&all, &favourite.favourite_id).unwrap_or(1);
    Ok(common::text(
        format!(
            "{number}번 '{}'\n{}",
            favourite.name,
            rename_how_to(Some(number))
        ),
        [list_chip(ctx.ob, &favourite.store_id), common::home(ctx.ob)],
    )?)
}

async fn rename(ctx: &Ctx<'_>, typed: &str) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    let all = ctx.clients.favourites(customer_id).await?;
    let Some((number, name)) = parse_rename(typed).filter(|(_, name)| !name.is_empty()) else {
        return Ok(common::text(rename_how_to(None), [common::home(ctx.ob)])?);
    };
    let Some(favourite) = number.checked_sub(1).and_then(|i| all.favourites.get(i)) else {
        return Ok(common::text(
            format!("{number}번 나만의 메뉴가 없어요.\n{}", rename_how_to(None)),
            [common::home(ctx.ob)],
        )?);
    };
    // The order service's own limit, told before asking it.
    if name.chars().count() > FAVOURITE_NAME_MAX_CHARS {
        return Ok(common::text(
            format!(
                "이름은 {FAVOURITE_NAME_MAX_CHARS}자까지 정할 수 있어요.\n{}",
                rename_how_to(Some(number))
            ),
            [list_chip(ctx.ob, &favourite.store_id), common::home(ctx.ob)],
        )?);
    }
    match ctx
        .clients
        .rename_favourite(customer_id, &favourite.favourite_id, &name)
        .await
    {
        Ok(answer) => {
            let renamed = answer.favourite.unwrap_or_default();
            let all = ctx.clients.favourites(customer_id).await?;
            let note = format!(
                "{number}번 이름을 '{}'{} 바꿨어요.",
                renamed.name,
                direction(&renamed.name)
            );
            show(ctx, &favourite.store_id, &all, Some(&note)).await
        }
        Err(e) if e.invalid_argument().is_some() => Ok(common::text(
            format!(
                "{}\n{}",
                e.invalid_argument().unwrap_or_default(),
                rename_how_to(Some(number))
            ),
            [list_chip(ctx.ob, &favourite.store_id), common::home(ctx.ob)],
        )?),
        Err(e) if e.is_not_found() => Ok(not_found(ctx.ob, Some(&favourite.store_id))?),
        Err(e) => Err(e),
    }
}

async fn remove(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    let Some(favourite_id) = input::id::<FavouriteId>(ctx.payload, "favourite_id") else {
        return Ok(not_found(ctx.ob, None)?);
    };
    let removed = ctx
        .clients
        .remove_favourite(customer_id, &favourite_id.to_string())
        .await?;
    let note = if removed {
        "나만의 메뉴에서 지웠어요."
    } else {
        "이미 지운 메뉴예요."
    };
    let all = ctx.clients.favourites(customer_id).await?;
    match input::id::<StoreId>(ctx.payload, "store_id") {
        Some(store_id) => show(ctx, &store_id.to_string(), &all, Some(note)).await,
        None => Ok(common::text(note, [common::home(ctx.ob)])?),
    }
}

/// What one card says of a favourite: the item with its options, and today's price or why it
/// cannot be ordered.
fn describe(f: &Favourite) -> String {
    let item = if f.item_name.is_empty() {
        "메뉴판에서 빠진 메뉴".to_owned()
    } else if f.option_names.is_empty() {
        f.item_name.clone()
    } else {
        format!("{} ({})", f.item_name, f.option_names.join(", "))
    };
    let state = if f.unavailable.is_empty() {
        won(f.unit_price)
    } else {
        format!("지금은 담을 수 없어요: {}", f.unavailable)
    };
    // The price or the reason always shows: the item is shortened, not the state.
    format!("{}\n{state}", shorten(&item, 60))
}

/// A store's favourites as cards (담기, 이름 바꾸기, 지우기), numbered as the customer renames
/// them. Without a store (`store_id` empty) it only says how favourites come about.
pub fn render_list(
    ob: &OpenBuilder,
    store_id: &str,
    store_name: &str,
    all: &FavouriteList,
    note: Option<&str>,
) -> Result<SkillResponse, LimitError> {
    let mine: Vec<(usize, &Favourite)> = all
        .favourites
        .iter()
        .enumerate()
        .filter(|(_, f)| !store_id.is_empty() && f.store_id == store_id)
        .map(|(i, f)| (i + 1, f))
        .collect();
    let prefix = note.map(|n| format!("{n}\n")).unwrap_or_default();
    let mut chips = Vec::new();
    if !store_id.is_empty() {
        chips.push(common::store_menu(ob, store_id, "메뉴 보기"));
    }
    chips.extend([common::show_cart(ob), common::home(ob)]);
    if mine.is_empty() {
        return common::text(
            format!(
                "{prefix}아직 이 매장의 나만의 메뉴가 없어요.\n메뉴를 주문서에 담은 뒤 '나만의 메뉴 저장'을 누르면 여기에 모여요."
            ),
            chips,
        );
    }
    let store = if store_name.is_empty() {
        String::new()
    } else {
        format!("[{store_name}] ")
    };
    let head = format!(
        "{prefix}{store}{TITLE} ({}/{})\n{}",
        mine.len(),
        all.max.max(1),
        rename_how_to(mine.first().map(|(n, _)| *n))
    );
    let cards = mine
        .iter()
        .map(|(number, f)| {
            TextCard::new(format!("{number}. {}", f.name), describe(f))
                .button(Button::block("담기", add_target(ob, f)))?
                .button(Button::block(
                    "이름 바꾸기",
                    ob.target(Skill::Favourites, "이름 바꾸기")
                        .extra("action", RENAME)
                        .extra("favourite_id", f.favourite_id.clone()),
                ))?
                .button(Button::block(
                    "지우기",
                    ob.target(Skill::Favourites, "지우기")
                        .extra("action", REMOVE)
                        .extra("favourite_id", f.favourite_id.clone())
                        .extra("store_id", f.store_id.clone()),
                ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    SkillResponse::from_output(SimpleText::new(head))
        .output(Carousel::new(cards)?)?
        .quick_replies(chips)
}

#[cfg(test)]
pub mod fixture {
    use contracts::order::v1::{Favourite, FavouriteList};

    pub const STORE: &str = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b";

    /// `n` favourites of `STORE` with names of `name_chars` chars, after one of another store.
    pub fn favourites(n: usize, name_chars: usize) -> FavouriteList {
        let other = Favourite {
            favourite_id: "0190f1a2-7c3e-7d10-9a5b-000000000000".into(),
            store_id: "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5e".into(),
            name: "다른 가게".into(),
            ..Favourite::default()
        };
        let mine = (0..n).map(|i| Favourite {
            favourite_id: format!("0190f1a2-7c3e-7d10-9a5b-{:012}", i + 1),
            store_id: STORE.into(),
            name: "아".repeat(name_chars),
            item_id: format!("0190f1a2-7c3e-7d10-9a5c-{:012}", i + 1),
            item_name: "아주 긴 이름의 시즌 한정 음료".repeat(3),
            option_names: vec!["ICE".into(), "Large".into(), "바닐라 시럽".repeat(10)],
            unit_price: 10_000_000,
            unavailable: if i % 2 == 0 {
                String::new()
            } else {
                "'바닐라 시럽'은 품절이에요.".repeat(3)
            },
            ..Favourite::default()
        });
        FavouriteList {
            favourites: std::iter::once(other).chain(mine).collect(),
            max: 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    #[test]
    fn a_typed_rename_reads_the_number_and_the_name() {
        assert_eq!(parse_rename("3 아아 라지"), Some((3, "아아 라지".into())));
        assert_eq!(parse_rename(" 3번   아아 "), Some((3, "아아".into())));
        assert_eq!(parse_rename("3"), Some((3, String::new())));
        assert_eq!(parse_rename("아아 3"), None);
        assert_eq!(parse_rename(""), None);
    }

    #[test]
    fn the_list_numbers_across_stores_and_offers_add_rename_remove() {
        let all = favourites(2, 4);
        let v = render_list(
            &ob(),
            STORE,
            "간편카페",
            &all,
            Some("나만의 메뉴에서 지웠어요."),
        )
        .unwrap()
        .to_value();
        kakao::validate(&v).unwrap();
        let head = v["template"]["outputs"][0]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(
            head.starts_with("나만의 메뉴에서 지웠어요.\n[간편카페] 나만의 메뉴 (2/10)\n"),
            "{head}"
        );
        assert!(head.contains("'나만의 메뉴 이름 2 아아 라지'"), "{head}");
        let cards = &v["template"]["outputs"][1]["carousel"]["items"];
        assert_eq!(cards[0]["title"], "2. 아아아아");
        assert_eq!(cards[1]["title"], "3. 아아아아");
        let add = &cards[0]["buttons"][0];
        assert_eq!(add["blockId"], "blk_favourites");
        assert_eq!(add["extra"]["action"], ADD);
        assert_eq!(add["extra"]["favourite_id"], all.favourites[1].favourite_id);
        assert_eq!(cards[0]["buttons"][1]["extra"]["action"], RENAME);
        assert_eq!(cards[0]["buttons"][2]["extra"]["action"], REMOVE);
        assert!(
            cards[1]["description"]
                .as_str()
                .unwrap()
                .contains("지금은 담을 수 없어요"),
            "a sold-out favourite says so"
        );
    }

    #[test]
    fn no_favourites_says_how_to_get_one() {
        let v = render_list(&ob(), STORE, "간편카페", &favourites(0, 4), None)
            .unwrap()
            .to_value();
        kakao::validate(&v).unwrap();
        assert!(v.to_string().contains("나만의 메뉴 저장"));
        let v = render_list(&ob(), "", "", &favourites(3, 4), None)
            .unwrap()
            .to_value();
        kakao::validate(&v).unwrap();
    }

    #[test]
    fn menu_chips_fit_the_room_they_are_given() {
        let all = favourites(10, FAVOURITE_NAME_MAX_CHARS);
        let ob = ob();
        assert!(chips(&ob, STORE, &favourites(0, 4).favourites, 5).is_empty());
        assert!(chips(&ob, STORE, &all.favourites, 0).is_empty());
        let few = chips(&ob, STORE, &favourites(3, 4).favourites, 5);
        assert_eq!(few.len(), 3);
        assert_eq!(few[0].label(), "★ 아아아아");
        let many = chips(&ob, STORE, &all.favourites, 5);
        assert_eq!(many.len(), 5);
        assert_eq!(many[4].label(), "★ 나만의 메뉴");
        assert_eq!(
            many[0].label().chars().count(),
            14,
            "a full name fits its chip"
        );
    }

    #[test]
    fn saving_and_adding_answer_within_limits() {
        let ob = ob();
        for created in [true, false] {
            let v = render_saved(&ob, STORE, &"아".repeat(12), created)
                .unwrap()
                .to_value();
            kakao::validate(&v).unwrap();
        }
        let request = AddFavouriteToCartRequest {
            favourite_id: "f".into(),
            ..AddFavouriteToCartRequest::default()
        };
        for outcome in [
            CartOutcome::Updated,
            CartOutcome::NeedsReplace,
            CartOutcome::Stale,
            CartOutcome::Invalid,
        ] {
            let response = CartUpdateResponse {
                outcome: outcome as i32,
                cart: Some(super::super::cart::fixture::cart(2)),
                problem: None,
            };
            let v = render_added(&ob, &request, STORE, "i", &response)
                .unwrap()
                .to_value();
            kakao::validate(&v).unwrap();
        }
    }
}
