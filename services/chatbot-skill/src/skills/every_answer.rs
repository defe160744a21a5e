//! Property test: for any store and menu the store API accepts, every skill's answer at every
//! step keeps Kakao's limits (`kakao::validate`) and is drawn without a `LimitError`.
//!
//! Menus are generated up to the store API's own maxima (`store::menu`: 500 categories, items
//! per category, option groups per item and options per group; names of 60 chars, item
//! descriptions of 500, prices up to 10,000,000원, a group taking up to 50 options) in Korean,
//! English and emoji. One dimension at a time goes to its maximum, the others stay small, so
//! a case renders in well under a second. The walk visits every page of the category list, every
//! page of the first and last category, and an item's option steps page by page, then its 담기
//! card; carts, order sheets, orders and store lists are drawn at their maxima too.
//!
//! The choice of options travels in the buttons (see `item`), and the chat reads at most
//! `input::IDS_MAX` of them back, so generated menus require at most that many choices per item.

use contracts::common::v1::{
    Cart, CartLine, Category, DayState, Item, LineOption, Menu, Option as MenuOption,
    PaymentRedirect, Selection,
};
use contracts::order::v1::{
    AddFavouriteToCartRequest, AddToCartRequest, CartOutcome, CartUpdateResponse, Favourite,
    FavouriteList, LeftOutLine, Order, PlaceOrderResponse, PlaceOutcome, ReorderResponse,
};
use contracts::store::v1::{NearbyStoresByPlaceResponse, Place, PlaceLookup, Store, StoreSummary};
use kakao::SkillResponse;
use kakao::skill::response::LimitError;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use store::{DESCRIPTION_MAX_CHARS, LIST_MAX, NAME_MAX_CHARS, PRICE_MAX_WON, SELECT_MAX};

use super::catalog::Catalog;
use super::item::{At, Plan, plan, settle};
use super::{
    cart, cart_add, favourites, input, item, menu, nickname, order, orders, reorder, stores,
};
use crate::openbuilder::OpenBuilder;

/// The store profile's texts (address, description) as the store service bounds them.
const PROFILE_TEXT_MAX_CHARS: usize = 200;
/// Item option steps walked one by one; the rest are settled at once for the 담기 card.
const STEPS_WALKED: usize = 8;

/// The answer drawn and valid, as JSON.
fn check(what: &str, drawn: Result<SkillResponse, LimitError>) -> Result<Value, TestCaseError> {
    let r = drawn.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    let v = r.to_value();
    if let Err(problems) = kakao::validate(&v) {
        return Err(TestCaseError::fail(format!(
            "{what}: {problems:#?}\n{}",
            serde_json::to_string(&v).unwrap_or_default()
        )));
    }
    Ok(v)
}

/// The page the answer's 더 보기 chip leads to, if it has one.
fn next_page(answer: &Value) -> Option<usize> {
    answer["template"]["quickReplies"]
        .as_array()?
        .iter()
        .find(|q| q["label"] == "더 보기")
        .and_then(|q| q["extra"]["page"].as_u64())
        .map(|p| p as usize)
}

/// Every page of one answer, following 더 보기 as a customer would.
fn every_page(
    what: &str,
    mut draw: impl FnMut(usize) -> Result<SkillResponse, LimitError>,
) -> Result<(), TestCaseError> {
    let mut page = 0;
    loop {
        let v = check(&format!("{what} page {page}"), draw(page))?;
        match next_page(&v) {
            Some(next) if next > page => page = next,
            Some(next) => return Err(TestCaseError::fail(format!("{what}: 더 보기 to {next}"))),
            None => return Ok(()),
        }
    }
}

/// Text a store might type: Korean, English, digits, emoji and spaces.
fn text(chars: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    let pattern = format!(
        "[가-힣a-zA-Z0-9 ☕🍰🥐✨·()/+-]{{{},{}}}",
        chars.start(),
        chars.end()
    );
    proptest::string::string_regex(&pattern)
        .expect("a valid pattern")
        .prop_map(|s| {
            let t = s.trim().to_owned();
            if t.is_empty() { "메뉴".to_owned() } else { t }
        })
}

/// A name up to the store's maximum, usually short or at the limit.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![text(1..=12), text(NAME_MAX_CHARS - 5..=NAME_MAX_CHARS)]
}

/// A count: small, medium, or the store API's maximum.
fn count(small: usize) -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1..=small, 2 => small..=small * 4, 1 => Just(LIST_MAX)]
}

/// The shape of a generated menu; texts come from pools and are reused in turn.
#[derive(Debug, Clone)]
struct Shape {
    categories: usize,
    items_per_category: usize,
    groups_per_item: usize,
    options_per_group: usize,
    required_groups: usize,
    group_max: u32,
    names: Vec<String>,
    descriptions: Vec<String>,
    prices: Vec<i64>,
    images: bool,
    sold_out_every: usize,
}

fn shape() -> impl Strategy<Value = Shape> {
    // One of the four counts goes to its maximum; the others stay small.
    let counts = prop_oneof![
        (count(12), 1..=12usize, 0..=4usize, 1..=12usize),
        (1..=3usize, count(12), 0..=4usize, 1..=12usize),
        (1..=3usize, 1..=12usize, count(6), 1..=12usize),
        (1..=3usize, 1..=12usize, 0..=4usize, count(12)),
    ];
    (
        counts,
        0..=3usize,
        1..=SELECT_MAX,
        prop::collection::vec(name(), 1..=16),
        prop::collection::vec(
            prop_oneof![
                Just(String::new()),
                text(1..=40),
                text(DESCRIPTION_MAX_CHARS - 20..=DESCRIPTION_MAX_CHARS)
            ],
            1..=4,
        ),
        prop::collection::vec(
            prop_oneof![Just(0i64), 0..=9_000i64, Just(PRICE_MAX_WON)],
            1..=6,
        ),
        any::<bool>(),
        0..=5usize,
    )
        .prop_map(
            |(
                (categories, items_per_category, groups_per_item, options_per_group),
                required_groups,
                group_max,
                names,
                descriptions,
                prices,
                images,
                sold_out_every,
            )| Shape {
                categories,
                items_per_category,
                groups_per_item,
                options_per_group,
                required_groups,
                group_max,
                names,
                descriptions,
                prices,
                images,
                sold_out_every,
            },
        )
}

fn id(kind: u32, n: usize) -> String {
    format!("{kind:08x}-0000-7000-8000-{n:012x}")
}

fn pick<T: Clone>(pool: &[T], n: usize) -> T {
    pool[n % pool.len()].clone()
}

impl Shape {
    /// Each category lists the same items (rotated), each item the same groups: the counts
    /// reach their maxima without the document growing as their product.
    fn menu(&self) -> Menu {
        let items: Vec<Item> = (0..self.items_per_category)
            .map(|n| Item {
                id: id(1, n),
                name: pick(&self.names, n),
                description: pick(&self.descriptions, n),
                price: pick(&self.prices, n),
                image_url: if self.images {
                    format!("https://img.example.com/{n}.png")
                } else {
                    String::new()
                },
                sold_out: self.sold_out_every > 0 && n % (self.sold_out_every + 3) == 2,
                selection_ids: (0..self.groups_per_item).map(|g| id(5, g)).collect(),
                ..Item::default()
            })
            .collect();
        let options: Vec<MenuOption> = (0..self.options_per_group)
            .map(|n| MenuOption {
                id: id(0, n),
                name: pick(&self.names, n + 7),
                price: pick(&self.prices, n + 1).min(5_000),
                sold_out: self.sold_out_every > 0 && n % (self.sold_out_every + 2) == 1,
                ..MenuOption::default()
            })
            .collect();
        // Required groups ask for one option each, so an item never needs more choices
        // than the chat carries.
        let selections = (0..self.groups_per_item)
            .map(|g| {
                let required = g < self.required_groups;
                Selection {
                    id: id(5, g),
                    name: pick(&self.names, g + 3),
                    min: u32::from(required),
                    max: if required { 1 } else { self.group_max },
                    option_ids: options.iter().map(|o| o.id.clone()).collect(),
                }
            })
            .collect();
        let categories = (0..self.categories)
            .map(|c| {
                let mut item_ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
                let len = item_ids.len();
                item_ids.rotate_left(c % len);
                Category {
                    id: id(0xc, c),
                    name: pick(&self.names, c),
                    item_ids,
                }
            })
            .collect();
        Menu {
            store_id: id(0x57, 0),
            version: 1,
            store_name: pick(&self.names, 1),
            categories,
            items,
            selections,
            options,
            ..Menu::default()
        }
    }
}

fn store(shape: &Shape, state: DayState) -> Store {
    Store {
        store_id: id(0x57, 0),
        name: pick(&shape.names, 1),
        address: "서울특별시 강남구 "
            .repeat(20)
            .chars()
            .take(PROFILE_TEXT_MAX_CHARS)
            .collect(),
        phone: "02-555-0110".into(),
        description: pick(&shape.descriptions, 0)
            .chars()
            .take(PROFILE_TEXT_MAX_CHARS)
            .collect(),
        state: state as i32,
        ..Store::default()
    }
}

/// The store's maximum of favourites with names as long as a favourite's may be, beside one
/// of another store.
fn full_favourites(shape: &Shape, menu: &Menu) -> FavouriteList {
    let max = domain::favourite::PER_STORE_MAX;
    let names = |n: usize| {
        pick(&shape.names, n)
            .chars()
            .cycle()
            .take(domain::input::FAVOURITE_NAME_MAX_CHARS)
            .collect::<String>()
    };
    let favourites = (0..=max)
        .map(|n| Favourite {
            favourite_id: id(0x0f, n),
            store_id: if n == 0 {
                id(0x0e, 0)
            } else {
                menu.store_id.clone()
            },
            name: names(n),
            item_id: id(1, n),
            item_name: pick(&shape.names, n),
            option_names: vec![pick(&shape.names, n + 1); input::IDS_MAX],
            unit_price: PRICE_MAX_WON,
            unavailable: if n % 2 == 0 {
                String::new()
            } else {
                pick(&shape.descriptions, n)
            },
            ..Favourite::default()
        })
        .collect();
    FavouriteList {
        favourites,
        max: u32::try_from(max).unwrap(),
    }
}

fn walk_menu(ob: &OpenBuilder, shape: &Shape, menu: &Menu) -> Result<(), TestCaseError> {
    let catalog = Catalog::new(menu);
    let full = full_favourites(shape, menu);
    for favourites in [&[][..], &full.favourites[..]] {
        for state in [DayState::Open, DayState::Break] {
            let store = store(shape, state);
            every_page("categories", |page| {
                menu::render(ob, &store, &catalog, favourites, None, page)
            })?;
            for c in [0, shape.categories - 1] {
                let category = &menu.categories[c].id;
                every_page(&format!("category {c}"), |page| {
                    menu::render(ob, &store, &catalog, favourites, Some(category), page)
                })?;
            }
        }
    }
    let name = pick(&shape.names, 0);
    check(
        "favourites",
        favourites::render_list(ob, &menu.store_id, &name, &full, Some(&name)),
    )?;
    for created in [true, false] {
        check(
            "favourite saved",
            favourites::render_saved(ob, &menu.store_id, &full.favourites[1].name, created),
        )?;
    }
    Ok(())
}

/// One item from its first option step to its 담기 card, every page of every step walked.
fn walk_item(ob: &OpenBuilder, menu: &Menu, item_id: &str) -> Result<(), TestCaseError> {
    let catalog = Catalog::new(menu);
    let store_id = menu.store_id.as_str();
    let item = catalog.item(item_id).expect("generated item");
    let groups = catalog.groups(item);
    let mut chosen: Vec<String> = Vec::new();
    let mut step = 0;
    for _ in 0..STEPS_WALKED {
        let picked = settle(&groups, &chosen);
        let Plan::Pick(i) = plan(&groups, &picked, step) else {
            break;
        };
        every_page(&format!("item step {i}"), |page| {
            let at = At {
                store_id,
                item_id,
                chosen: &chosen,
                step: i,
                page,
            };
            item::render(ob, &catalog, &at)
        })?;
        // The first row tapped, then on to the next group.
        if let Some(option) = groups[i].orderable().find(|o| !picked[i].contains(&o.id)) {
            chosen.push(option.id.clone());
        }
        step = i + 1;
    }
    // The rest settled at once: each group's first options up to its minimum (and a few
    // more where it takes them), capped at what the chat carries back.
    let mut all: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            g.orderable()
                .take(g.min().max(2).min(g.max()))
                .map(|o| o.id.clone())
        })
        .collect();
    all.truncate(input::IDS_MAX);
    let at = At {
        store_id,
        item_id,
        chosen: &all,
        step: groups.len(),
        page: 0,
    };
    check("item, everything chosen", item::render(ob, &catalog, &at)).map(drop)
}

fn big_cart(shape: &Shape, menu: &Menu, lines: usize) -> Cart {
    let options: Vec<LineOption> = menu
        .options
        .iter()
        .take(input::IDS_MAX)
        .map(|o| LineOption {
            option_id: o.id.clone(),
            selection_id: id(5, 0),
            name: o.name.clone(),
            price: o.price,
            selection_name: pick(&shape.names, 3),
        })
        .collect();
    let lines: Vec<CartLine> = (0..lines)
        .map(|n| CartLine {
            line_id: (n + 1).to_string(),
            item_id: id(1, n),
            item_name: pick(&shape.names, n),
            options: options.clone(),
            quantity: domain::MAX_QUANTITY,
            unit_price: PRICE_MAX_WON,
            line_total: PRICE_MAX_WON * i64::from(domain::MAX_QUANTITY),
        })
        .collect();
    Cart {
        id: "1718000000000-3".into(),
        store_id: menu.store_id.clone(),
        store_name: pick(&shape.names, 1),
        total: lines.iter().map(|l| l.line_total).sum(),
        lines,
        version: 3,
        ..Cart::default()
    }
}

fn walk_cart_and_orders(ob: &OpenBuilder, shape: &Shape, menu: &Menu) -> Result<(), TestCaseError> {
    for lines in [1, 8, 9, domain::MAX_LINES] {
        let cart = big_cart(shape, menu, lines);
        check(
            "cart",
            cart::render(ob, Some(&cart), Some("주문서에 담았어요: 메뉴")),
        )?;
        every_page("remove list", |page| {
            cart::render_remove_list(ob, &cart, page)
        })?;
        let request = AddToCartRequest {
            store_id: menu.store_id.clone(),
            item_id: id(1, 0),
            option_ids: cart.lines[0]
                .options
                .iter()
                .map(|o| o.option_id.clone())
                .collect(),
            quantity: 1,
            ..AddToCartRequest::default()
        };
        for outcome in [
            CartOutcome::Updated,
            CartOutcome::NeedsReplace,
            CartOutcome::Stale,
            CartOutcome::Invalid,
        ] {
            let response = CartUpdateResponse {
                outcome: outcome as i32,
                cart: Some(cart.clone()),
                problem: None,
            };
            check("cart-add", cart_add::render(ob, &request, &response))?;
            let favourite = AddFavouriteToCartRequest {
                favourite_id: id(0x0f, 1),
                ..AddFavouriteToCartRequest::default()
            };
            check(
                "favourite added",
                favourites::render_added(ob, &favourite, &menu.store_id, &id(1, 0), &response),
            )?;
            let left_out = LeftOutLine {
                item_name: pick(&shape.names, 2),
                message: format!("{}는 품절이라 빼고 담았어요.", pick(&shape.names, 2)),
                problem: None,
            };
            let reordered = ReorderResponse {
                update: Some(response.clone()),
                left_out: vec![left_out; domain::MAX_LINES],
                store_id: menu.store_id.clone(),
                store_name: pick(&shape.names, 1),
            };
            check("reorder", reorder::render(ob, &id(0x0d, 1), &reordered))?;
        }
        let placed = PlaceOrderResponse {
            outcome: PlaceOutcome::ReadyToPay as i32,
            amount: cart.total,
            cart: Some(cart.clone()),
            redirect: Some(PaymentRedirect {
                next_redirect_mobile_url: "http://127.0.0.1:8090/pay/m/abc".into(),
                ..PaymentRedirect::default()
            }),
            ..PlaceOrderResponse::default()
        };
        check("order", order::render(ob, &cart.id, &placed))?;
        let one = Order {
            order_id: id(0x0d, 1),
            store_name: cart.store_name.clone(),
            status: contracts::common::v1::OrderStatus::Canceled as i32,
            nickname: "가".repeat(domain::input::NICKNAME_MAX_CHARS),
            lines: cart.lines.clone(),
            total: cart.total,
            cancel_reason: pick(&shape.descriptions, 1),
            refunded_amount: cart.total,
            ..Order::default()
        };
        let now = chrono::Utc::now();
        check(
            "orders",
            orders::render_list(ob, &vec![one.clone(); 10], now),
        )?;
        check("one order", orders::render_one(ob, &one, now))?;
        let waiting = Order {
            status: contracts::common::v1::OrderStatus::Placed as i32,
            ahead: 999,
            cancel_reason: String::new(),
            refunded_amount: 0,
            ..one.clone()
        };
        let accepted = Order {
            status: contracts::common::v1::OrderStatus::Accepted as i32,
            promised_at: Some(prost_types::Timestamp {
                seconds: now.timestamp() + 120 * 60,
                nanos: 0,
            }),
            ..waiting.clone()
        };
        check(
            "orders in line",
            orders::render_list(ob, &[waiting.clone(), accepted.clone()], now),
        )?;
        check("one order waiting", orders::render_one(ob, &waiting, now))?;
        check("one order accepted", orders::render_one(ob, &accepted, now))?;
        check("canceled", orders::canceled(ob, &one, true))?;
    }
    Ok(())
}

fn walk_stores(ob: &OpenBuilder, shape: &Shape) -> Result<(), TestCaseError> {
    let summaries: Vec<StoreSummary> = (0..10)
        .map(|n| StoreSummary {
            store: Some(store(shape, DayState::Open)),
            distance_m: f64::from(n) * 730.0,
            last_ordered_at: None,
        })
        .collect();
    for query in [
        stores::Query::Name(pick(&shape.names, 0)),
        stores::Query::Nearby {
            lat: 37.5,
            lng: 127.0,
        },
        stores::Query::Recent,
        stores::Query::NameTooLong,
        stores::Query::Place(pick(&shape.names, 2)),
    ] {
        check("stores", stores::render(ob, &query, &summaries))?;
        check("no stores", stores::render(ob, &query, &[]))?;
    }
    for lookup in [
        PlaceLookup::Found,
        PlaceLookup::NotFound,
        PlaceLookup::Unavailable,
    ] {
        for found in [&summaries[..], &[]] {
            let answer = NearbyStoresByPlaceResponse {
                lookup: lookup as i32,
                place: Some(Place {
                    name: pick(&shape.names, 5),
                    address: "서울특별시 강남구 ".repeat(20),
                    ..Place::default()
                }),
                stores: found.to_vec(),
            };
            check(
                "stores near a place",
                stores::render_place(ob, &pick(&shape.names, 5), &answer),
            )?;
        }
    }
    let nickname = "가".repeat(domain::input::NICKNAME_MAX_CHARS);
    check("nickname", nickname::render_set(ob, &nickname))?;
    check("nickname", nickname::render_current(ob, &nickname))?;
    Ok(())
}

#[test]
fn every_answer_for_any_menu_the_store_accepts_keeps_kakaos_limits() {
    let ob = OpenBuilder::load(None).expect("bot.json");
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&shape(), |shape| {
            let menu = shape.menu();
            walk_menu(&ob, &shape, &menu)?;
            for n in [0, shape.items_per_category - 1] {
                walk_item(&ob, &menu, &id(1, n))?;
            }
            walk_cart_and_orders(&ob, &shape, &menu)?;
            walk_stores(&ob, &shape)
        })
        .expect("every answer valid");
}
