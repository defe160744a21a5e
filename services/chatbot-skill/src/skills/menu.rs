//! `menu`: a store's categories (chips, or pages of list cards when there are many), then a
//! category's items in pages of carousel cards with their prices and a button to add (items
//! without option groups) or to choose options. Every page has 이전 / 더 보기, so no category
//! and no item is ever out of reach. The customer's 나만의 메뉴 of the store come first as chips
//! that add one in a tap.

use contracts::common::v1::{Category, Item};
use contracts::order::v1::Favourite;
use contracts::store::v1::Store;
use domain::{CategoryId, StoreId};
use kakao::SkillResponse;
use kakao::skill::limits;
use kakao::skill::response::{
    BasicCard, BlockTarget, Button, Carousel, LimitError, ListCard, ListItem, QuickReply,
    SimpleText, TextCard, Thumbnail, shorten,
};

use super::catalog::Catalog;
use super::common::{self, is_open, state_label, won};
use super::item::{add_target, item_target};
use super::paging::{page_chips, page_mark, page_of};
use super::{Ctx, favourites, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

/// Item cards in one carousel.
const ITEMS_PER_PAGE: usize = limits::CAROUSEL_ITEMS_MAX;
/// Categories as chips, leaving room for the navigation chips; only when every name fits a
/// chip whole, so that no two chips read alike.
const CATEGORY_CHIPS: usize = 8;
/// Categories on one page of list cards: 5 cards of 4 rows in a carousel.
pub const CATEGORIES_PER_PAGE: usize =
    limits::CAROUSEL_LIST_CARDS_MAX * limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let payload = ctx.payload;
    let store_id = match input::id::<StoreId>(payload, "store_id") {
        Some(id) => id.to_string(),
        // "메뉴" typed with nothing chosen: the store of the customer's cart, if any.
        None => match ctx.clients.cart(&ctx.customer.customer_id).await? {
            Some(cart) => cart.store_id,
            None => return Ok(common::pick_a_store_first()?),
        },
    };
    let found = tokio::try_join!(ctx.clients.store(&store_id), ctx.clients.menu(&store_id));
    let (store, menu) = match found {
        Ok(found) => found,
        Err(e) if e.is_not_found() => return Ok(common::pick_a_store_first()?),
        Err(e) => return Err(e),
    };
    let category = input::id::<CategoryId>(payload, "category_id").map(|id| id.to_string());
    let page = input::number(payload, "page").unwrap_or(0) as usize;
    Ok(render(
        ctx.ob,
        &store,
        &Catalog::new(&menu),
        ctx.favourites,
        category.as_deref(),
        page,
    )?)
}

fn category_target(
    ob: &OpenBuilder,
    store_id: &str,
    category: &Category,
    page: usize,
) -> BlockTarget {
    ob.target(Skill::Menu, &shorten(&category.name, 30))
        .extra("store_id", store_id)
        .extra("category_id", category.id.clone())
        .extra("page", page as u64)
}

/// Under the title when the store takes no orders now.
fn notice(store: &Store) -> String {
    if is_open(store.state) {
        String::new()
    } else {
        format!(
            "\n지금은 주문을 받지 않아요 ({}). 메뉴는 둘러볼 수 있어요.",
            state_label(store.state)
        )
    }
}

pub fn render(
    ob: &OpenBuilder,
    store: &Store,
    catalog: &Catalog<'_>,
    favourites: &[Favourite],
    category_id: Option<&str>,
    page: usize,
) -> Result<SkillResponse, LimitError> {
    let categories = catalog.categories();
    if categories.is_empty() {
        return common::text(
            format!("{} 메뉴가 아직 준비되지 않았어요.", store.name),
            [common::find_stores(), common::home(ob)],
        );
    }
    let chosen = category_id
        .and_then(|id| catalog.category(id))
        .or_else(|| (categories.len() == 1).then(|| categories[0]));
    match chosen {
        Some(category) => render_items(
            ob,
            store,
            catalog,
            favourites,
            category,
            categories.len(),
            page,
        ),
        None => render_categories(ob, store, favourites, &categories, page),
    }
}

/// The customer's favourites of the store as chips first, in the room `others` leave.
fn with_favourites(
    ob: &OpenBuilder,
    store_id: &str,
    all: &[Favourite],
    others: Vec<QuickReply>,
) -> Vec<QuickReply> {
    let room = limits::QUICK_REPLIES_MAX.saturating_sub(others.len());
    let mut chips = favourites::chips(ob, store_id, all, room);
    chips.extend(others);
    chips
}

fn render_categories(
    ob: &OpenBuilder,
    store: &Store,
    favourites: &[Favourite],
    categories: &[&Category],
    page: usize,
) -> Result<SkillResponse, LimitError> {
    let notice = notice(store);
    let store_id = store.store_id.as_str();
    let nav = [common::show_cart(ob), common::home(ob)];
    // With favourites, categories are chips only while one chip is left for them.
    let has_favourites = favourites.iter().any(|f| f.store_id == store_id);
    let fits_chips = categories.len() <= CATEGORY_CHIPS - usize::from(has_favourites)
        && categories
            .iter()
            .all(|c| c.name.chars().count() <= limits::LABEL_MAX);
    if fits_chips {
        let header = TextCard::new(
            format!("{} 메뉴", store.name),
            format!(
                "{}{notice}\n카테고리를 골라 주세요.",
                state_label(store.state)
            ),
        );
        let chips = categories
            .iter()
            .map(|c| QuickReply::block(&c.name, category_target(ob, store_id, c, 0)))
            .chain(nav)
            .collect();
        return SkillResponse::from_output(header)
            .quick_replies(with_favourites(ob, store_id, favourites, chips));
    }
    let (page, pages, range) = page_of(categories.len(), CATEGORIES_PER_PAGE, page);
    let header = TextCard::new(
        format!("{} 메뉴", store.name),
        format!(
            "{}{notice}\n카테고리를 골라 주세요{}.",
            state_label(store.state),
            page_mark(page, pages)
        ),
    );
    let cards = categories[range]
        .chunks(limits::LIST_CARD_ITEMS_IN_CAROUSEL_MAX)
        .map(|chunk| {
            let rows = chunk
                .iter()
                .map(|c| ListItem::new(&c.name, category_target(ob, store_id, c, 0)))
                .collect();
            ListCard::new("카테고리", rows)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let more = page_chips(page, pages, |p| {
        ob.target(Skill::Menu, "카테고리 더 보기")
            .extra("store_id", store_id)
            .extra("page", p as u64)
    });
    let others = more.into_iter().chain(nav).collect();
    SkillResponse::from_output(header)
        .output(Carousel::new(cards)?)?
        .quick_replies(with_favourites(ob, store_id, favourites, others))
}

fn render_items(
    ob: &OpenBuilder,
    store: &Store,
    catalog: &Catalog<'_>,
    favourites: &[Favourite],
    category: &Category,
    category_count: usize,
    page: usize,
) -> Result<SkillResponse, LimitError> {
    let notice = notice(store);
    let store_id = store.store_id.as_str();
    let items = catalog.items_of(category);
    let (page, pages, range) = page_of(items.len(), ITEMS_PER_PAGE, page);
    let title = format!(
        "{} · {}{}",
        store.name,
        category.name,
        page_mark(page, pages)
    );
    let mut replies = page_chips(page, pages, |p| category_target(ob, store_id, category, p));
    if category_count > 1 {
        replies.push(common::store_menu(ob, store_id, "다른 카테고리"));
    }
    replies.extend([common::show_cart(ob), common::home(ob)]);
    SkillResponse::from_output(SimpleText::new(format!("{title}{notice}")))
        .output(item_carousel(ob, store_id, catalog, &items[range])?)?
        .quick_replies(with_favourites(ob, store_id, favourites, replies))
}

fn item_carousel(
    ob: &OpenBuilder,
    store_id: &str,
    catalog: &Catalog<'_>,
    items: &[&Item],
) -> Result<Carousel, LimitError> {
    let cards: Vec<(String, String, Vec<Button>)> = items
        .iter()
        .map(|item| {
            let name = shorten(&item.name, 30);
            let mut description = won(item.price);
            if item.sold_out {
                description.push_str(" · 품절");
            }
            if !item.description.trim().is_empty() {
                description.push('\n');
                description.push_str(item.description.trim());
            }
            let details = |label: &str| {
                Button::block(label, item_target(ob, store_id, &item.id, &[], 0, &name))
            };
            let buttons = if item.sold_out {
                vec![details("자세히 보기")]
            } else if catalog.groups(item).is_empty() {
                vec![
                    Button::block(
                        "담기",
                        add_target(ob, store_id, &item.id, &[], 1, &format!("{name} 담기")),
                    ),
                    details("자세히 보기"),
                ]
            } else {
                vec![details("옵션 선택")]
            };
            (item.name.clone(), description, buttons)
        })
        .collect();
    let with_images = items.iter().all(|i| !i.image_url.trim().is_empty());
    if with_images {
        let cards = items
            .iter()
            .zip(cards)
            .map(|(item, (title, description, buttons))| {
                BasicCard::new(Thumbnail::new(item.image_url.trim()))
                    .title(title)
                    .description(description)
                    .buttons(buttons)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Carousel::new(cards)
    } else {
        let cards = cards
            .into_iter()
            .map(|(title, description, buttons)| TextCard::new(title, description).buttons(buttons))
            .collect::<Result<Vec<_>, _>>()?;
        Carousel::new(cards)
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalog::fixture::*;
    use super::*;
    use contracts::common::v1::DayState;
    use serde_json::Value;

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    fn store(state: DayState) -> Store {
        Store {
            store_id: STORE.into(),
            name: "간편카페 강남점".into(),
            state: state as i32,
            ..Store::default()
        }
    }

    fn answer(
        menu: &contracts::common::v1::Menu,
        state: DayState,
        category: Option<&str>,
        page: usize,
    ) -> Value {
        let r = render(
            &ob(),
            &store(state),
            &Catalog::new(menu),
            &[],
            category,
            page,
        )
        .unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        v
    }

    #[test]
    fn without_a_category_the_categories_are_chips() {
        let v = answer(&menu(), DayState::Open, None, 0);
        let chips = v["template"]["quickReplies"].as_array().unwrap();
        assert_eq!(chips[0]["label"], "커피");
        assert_eq!(chips[0]["extra"]["category_id"], COFFEE);
        assert_eq!(chips[0]["extra"]["store_id"], STORE);
        assert_eq!(chips[1]["label"], "디저트");
        assert!(
            v["template"]["outputs"][0]["textCard"]["description"]
                .as_str()
                .unwrap()
                .starts_with("영업 중")
        );
    }

    #[test]
    fn the_customers_favourites_come_first_as_chips_that_add_in_a_tap() {
        let all = super::super::favourites::fixture::favourites(10, 4);
        let menu = menu();
        let v = render(
            &ob(),
            &store(DayState::Open),
            &Catalog::new(&menu),
            &all.favourites,
            None,
            0,
        )
        .unwrap()
        .to_value();
        kakao::validate(&v).unwrap();
        let chips = v["template"]["quickReplies"].as_array().unwrap();
        assert_eq!(chips.len(), 10);
        assert_eq!(chips[0]["label"], "★ 아아아아");
        assert_eq!(chips[0]["blockId"], "blk_favourites");
        assert_eq!(chips[0]["extra"]["action"], "add");
        assert_eq!(
            chips[0]["extra"]["favourite_id"],
            all.favourites[1].favourite_id
        );
        // The rest of the favourites are one chip away; every category is still there.
        let labels: Vec<&str> = chips.iter().map(|c| c["label"].as_str().unwrap()).collect();
        assert!(labels.contains(&"★ 나만의 메뉴"), "{labels:?}");
        assert!(
            labels.contains(&"커피") && labels.contains(&"디저트"),
            "{labels:?}"
        );
        let items = render(
            &ob(),
            &store(DayState::Open),
            &Catalog::new(&menu),
            &all.favourites,
            Some(COFFEE),
            0,
        )
        .unwrap()
        .to_value();
        kakao::validate(&items).unwrap();
        assert_eq!(items["template"]["quickReplies"][0]["label"], "★ 아아아아");
    }

    #[test]
    fn a_category_is_a_carousel_with_prices_and_the_right_buttons() {
        let v = answer(&menu(), DayState::Open, Some(COFFEE), 0);
        let cards = v["template"]["outputs"][1]["carousel"]["items"]
            .as_array()
            .unwrap();
        assert_eq!(cards.len(), 2);
        assert_eq!(cards[0]["title"], "아메리카노");
        assert!(
            cards[0]["description"]
                .as_str()
                .unwrap()
                .starts_with("4,500원")
        );
        assert_eq!(cards[0]["buttons"][0]["label"], "옵션 선택");
        assert_eq!(cards[0]["buttons"][0]["blockId"], "blk_item");
        let v = answer(&menu(), DayState::Break, Some(DESSERT), 0);
        let text = v["template"]["outputs"][0]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(text.contains("지금은 주문을 받지 않아요 (브레이크)"));
        let cookie = &v["template"]["outputs"][1]["carousel"]["items"][0];
        assert!(cookie["description"].as_str().unwrap().contains("품절"));
        assert_eq!(cookie["buttons"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn an_item_without_options_is_added_directly() {
        let mut menu = menu();
        menu.items
            .iter_mut()
            .find(|i| i.id == COOKIE)
            .unwrap()
            .sold_out = false;
        let v = answer(&menu, DayState::Open, Some(DESSERT), 0);
        let add = &v["template"]["outputs"][1]["carousel"]["items"][0]["buttons"][0];
        assert_eq!(add["label"], "담기");
        assert_eq!(add["blockId"], "blk_cart_add");
        assert_eq!(add["extra"]["item_id"], COOKIE);
        assert_eq!(add["extra"]["quantity"], 1);
    }

    #[test]
    fn long_categories_are_paged_and_many_categories_listed() {
        let mut menu = menu();
        for n in 0..23 {
            let id = format!("10000000-0000-7000-8000-2000000000{n:02}");
            menu.items.push(Item {
                id: id.clone(),
                name: format!("메뉴 {n}"),
                price: 1000,
                image_url: "https://example.com/a.png".into(),
                ..Item::default()
            });
            menu.categories[0].item_ids.push(id.clone());
            menu.categories.push(Category {
                id: format!("c0000000-0000-7000-8000-3000000000{n:02}"),
                name: format!("분류 {n}"),
                item_ids: vec![id],
            });
        }
        let v = answer(&menu, DayState::Open, Some(COFFEE), 2);
        let text = v["template"]["outputs"][0]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(text.ends_with("(3/3)"), "{text}");
        assert_eq!(
            v["template"]["outputs"][1]["carousel"]["items"]
                .as_array()
                .unwrap()
                .len(),
            5
        );
        let v = answer(&menu, DayState::Open, Some(COFFEE), 0);
        let more = &v["template"]["quickReplies"][0];
        assert_eq!(more["label"], "더 보기");
        assert_eq!(more["extra"]["page"], 1);
        let v = answer(&menu, DayState::Open, None, 0);
        let carousel = &v["template"]["outputs"][1]["carousel"];
        assert_eq!(carousel["type"], "listCard");
        assert_eq!(carousel["items"].as_array().unwrap().len(), 5);
        assert_eq!(carousel["items"][0]["items"].as_array().unwrap().len(), 4);
        let more = &v["template"]["quickReplies"][0];
        assert_eq!(more["label"], "더 보기");
        assert!(more["extra"].get("category_id").is_none());
        let v = answer(&menu, DayState::Open, None, 1);
        let cards = v["template"]["outputs"][1]["carousel"]["items"]
            .as_array()
            .unwrap();
        let rows: usize = cards
            .iter()
            .map(|c| c["items"].as_array().unwrap().len())
            .sum();
        assert_eq!(rows, 5, "25 categories: 20, then 5");
        assert_eq!(v["template"]["quickReplies"][0]["label"], "이전");
    }

    #[test]
    fn an_empty_menu_says_so() {
        let mut menu = menu();
        menu.categories.clear();
        let v = answer(&menu, DayState::Open, None, 0);
        assert!(v.to_string().contains("준비되지 않았어요"));
    }
}
