//! The cart (order session, 주문서) and the rules an order line must satisfy
//! against the menu document. The cart id carries a version that every change
//! bumps, so the id a customer last saw names exactly what they agreed to pay.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ItemId, OptionId, SelectionId, StoreId};
use crate::korean::topic;
use crate::menu::{Menu, MenuOption, Selection};
use crate::money::{Money, MoneyOverflow};

/// Most units of one line.
pub const MAX_QUANTITY: u32 = 20;
/// Most lines in one cart.
pub const MAX_LINES: usize = 20;

/// `<created ms>-<version>`: when the cart was created and how often it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CartId {
    created_ms: u64,
    version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed cart id: '{input}'")]
pub struct CartIdParseError {
    pub input: String,
}

impl CartId {
    /// The id of a cart created at `created_at`, at version 1.
    pub fn new(created_at: DateTime<Utc>) -> Self {
        Self {
            created_ms: u64::try_from(created_at.timestamp_millis()).unwrap_or(0),
            version: 1,
        }
    }

    pub const fn created_ms(self) -> u64 {
        self.created_ms
    }

    pub const fn version(self) -> u64 {
        self.version
    }

    pub fn bump(&mut self) {
        self.version = self.version.saturating_add(1);
    }
}

impl fmt::Display for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.created_ms, self.version)
    }
}

/// Only the canonical form parses (ASCII digits, no sign, no leading zeros),
/// so two strings name the same cart version exactly when they are equal.
fn parse_number(part: &str) -> Option<u64> {
    let canonical = !part.is_empty()
        && part.bytes().all(|b| b.is_ascii_digit())
        && (part == "0" || !part.starts_with('0'));
    if canonical { part.parse().ok() } else { None }
}

impl FromStr for CartId {
    type Err = CartIdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s.split_once('-').and_then(|(created, version)| {
            Some(CartId {
                created_ms: parse_number(created)?,
                version: parse_number(version)?,
            })
        });
        parsed.ok_or_else(|| CartIdParseError {
            input: s.chars().take(64).collect(),
        })
    }
}

impl TryFrom<String> for CartId {
    type Error = CartIdParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CartId> for String {
    fn from(id: CartId) -> Self {
        id.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// Unique within the cart and never reused, so a stale "빼기" button cannot
    /// remove a line added later.
    pub line_id: u32,
    pub item_id: ItemId,
    /// In menu display order.
    pub option_ids: Vec<OptionId>,
    pub quantity: u32,
}

/// One customer's cart for one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub id: CartId,
    pub store_id: StoreId,
    pub lines: Vec<CartLine>,
    pub next_line_id: u32,
}

/// What one option contributed to a line, copied into the order so later menu
/// edits do not change it (`order_item_option`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionSnapshot {
    pub option_id: OptionId,
    pub selection_id: SelectionId,
    pub selection_name: String,
    pub option_name: String,
    pub price: Money,
}

/// A line checked against the menu, with its prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub item_id: ItemId,
    pub item_name: String,
    /// Item price plus the prices of the chosen options.
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
    /// In menu display order (group, then option).
    pub options: Vec<OptionSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedCartLine {
    pub line_id: u32,
    pub line: PricedLine,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedCart {
    pub cart_id: CartId,
    pub store_id: StoreId,
    pub lines: Vec<PricedCartLine>,
    pub total: Money,
}

impl PricedCart {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Why a line or cart is refused; the messages are for customers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// The cart belongs to another store; the caller asks the customer before
    /// replacing it.
    #[error(
        "주문서에는 한 가게의 메뉴만 담을 수 있어요. 다른 가게의 주문서를 비운 뒤 담아 주세요."
    )]
    OtherStore {
        cart_store: StoreId,
        menu_store: StoreId,
    },
    #[error("메뉴를 찾을 수 없어요. 메뉴판을 다시 확인해 주세요.")]
    UnknownItem(ItemId),
    #[error("'{item}'{} 지금 주문할 수 없어요.", topic(.item))]
    ItemUnavailable { item: String },
    #[error("'{item}'{} 품절이에요.", topic(.item))]
    ItemSoldOut { item: String },
    #[error("옵션을 찾을 수 없어요. 메뉴판을 다시 확인해 주세요.")]
    UnknownOption(OptionId),
    #[error("'{option}'{} '{item}'에 고를 수 없는 옵션이에요.", topic(.option))]
    OptionNotForItem { item: String, option: String },
    #[error("'{option}'{} 지금 고를 수 없어요.", topic(.option))]
    OptionUnavailable { option: String },
    #[error("'{option}'{} 품절이에요.", topic(.option))]
    OptionSoldOut { option: String },
    #[error("'{option}'{} 한 번만 고를 수 있어요.", topic(.option))]
    DuplicateOption { option: String },
    /// A group with min = max.
    #[error("'{group}'에서 {count}개를 골라 주세요.")]
    ChooseExactly { group: String, count: u32 },
    #[error("'{group}'{} 최소 {min}개를 골라 주세요.", topic(.group))]
    TooFew { group: String, min: u32 },
    #[error("'{group}'{} 최대 {max}개까지 고를 수 있어요.", topic(.group))]
    TooMany { group: String, max: u32 },
    #[error("수량은 1개부터 {MAX_QUANTITY}개까지 고를 수 있어요.")]
    InvalidQuantity { quantity: u32 },
    #[error("주문서에는 메뉴를 {MAX_LINES}개까지 담을 수 있어요.")]
    TooManyLines,
    #[error("주문서에 없는 메뉴예요. 주문서를 다시 확인해 주세요.")]
    UnknownLine(u32),
    #[error("금액이 너무 커서 주문할 수 없어요.")]
    Overflow,
}

impl From<MoneyOverflow> for CartError {
    fn from(_: MoneyOverflow) -> Self {
        CartError::Overflow
    }
}

fn check_quantity(quantity: u32) -> Result<(), CartError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(CartError::InvalidQuantity { quantity })
    }
}

fn check_group(group: &Selection, chosen: u32) -> Result<(), CartError> {
    let name = || group.name.clone();
    if group.min == group.max && chosen != group.min {
        Err(CartError::ChooseExactly {
            group: name(),
            count: group.min,
        })
    } else if chosen < group.min {
        Err(CartError::TooFew {
            group: name(),
            min: group.min,
        })
    } else if chosen > group.max {
        Err(CartError::TooMany {
            group: name(),
            max: group.max,
        })
    } else {
        Ok(())
    }
}

/// Checks one line against the menu and prices it. An option counts toward the
/// first of the item's groups (in display order) that contains it.
pub fn validate_line(
    menu: &Menu,
    item_id: ItemId,
    option_ids: &[OptionId],
    quantity: u32,
) -> Result<PricedLine, CartError> {
    check_quantity(quantity)?;
    let item = menu.item(item_id).ok_or(CartError::UnknownItem(item_id))?;
    if item.disabled {
        return Err(CartError::ItemUnavailable {
            item: item.name.clone(),
        });
    }
    if item.sold_out {
        return Err(CartError::ItemSoldOut {
            item: item.name.clone(),
        });
    }
    let groups: Vec<&Selection> = menu.selections_of(item).collect();
    // A required group with too few orderable options makes the item unorderable
    // today, which the customer should hear as 품절, not as a choice to make.
    let starved = groups.iter().any(|group| {
        let orderable = menu.options_of(group).filter(|o| o.orderable()).count();
        u32::try_from(orderable).unwrap_or(u32::MAX) < group.min
    });
    if starved {
        return Err(CartError::ItemSoldOut {
            item: item.name.clone(),
        });
    }

    // (group index, position in group, option)
    let mut chosen: Vec<(usize, usize, &MenuOption)> = Vec::with_capacity(option_ids.len());
    for &option_id in option_ids {
        let option = menu
            .option(option_id)
            .ok_or(CartError::UnknownOption(option_id))?;
        if chosen.iter().any(|(_, _, o)| o.id == option_id) {
            return Err(CartError::DuplicateOption {
                option: option.name.clone(),
            });
        }
        let (group_index, position) = groups
            .iter()
            .enumerate()
            .find_map(|(g, group)| {
                let p = group.option_ids.iter().position(|&id| id == option_id)?;
                Some((g, p))
            })
            .ok_or_else(|| CartError::OptionNotForItem {
                item: item.name.clone(),
                option: option.name.clone(),
            })?;
        if option.disabled {
            return Err(CartError::OptionUnavailable {
                option: option.name.clone(),
            });
        }
        if option.sold_out {
            return Err(CartError::OptionSoldOut {
                option: option.name.clone(),
            });
        }
        chosen.push((group_index, position, option));
    }

    for (g, group) in groups.iter().enumerate() {
        let count = chosen.iter().filter(|(cg, _, _)| *cg == g).count();
        check_group(group, u32::try_from(count).unwrap_or(u32::MAX))?;
    }

    chosen.sort_by_key(|&(g, p, _)| (g, p));
    let options: Vec<OptionSnapshot> = chosen
        .into_iter()
        .map(|(g, _, option)| OptionSnapshot {
            option_id: option.id,
            selection_id: groups[g].id,
            selection_name: groups[g].name.clone(),
            option_name: option.name.clone(),
            price: option.price,
        })
        .collect();
    let unit_price = item
        .price
        .checked_add(Money::sum(options.iter().map(|o| o.price))?)?;
    Ok(PricedLine {
        item_id,
        item_name: item.name.clone(),
        unit_price,
        quantity,
        line_total: unit_price.checked_mul(quantity)?,
        options,
    })
}

fn check_store(menu: &Menu, cart: &Cart) -> Result<(), CartError> {
    if menu.store_id == cart.store_id {
        Ok(())
    } else {
        Err(CartError::OtherStore {
            cart_store: cart.store_id,
            menu_store: menu.store_id,
        })
    }
}

/// Re-checks every line of the cart against the current menu and totals it.
pub fn price(menu: &Menu, cart: &Cart) -> Result<PricedCart, CartError> {
    check_store(menu, cart)?;
    let lines = cart
        .lines
        .iter()
        .map(|line| {
            Ok(PricedCartLine {
                line_id: line.line_id,
                line: validate_line(menu, line.item_id, &line.option_ids, line.quantity)?,
            })
        })
        .collect::<Result<Vec<_>, CartError>>()?;
    let total = Money::sum(lines.iter().map(|l| l.line.line_total))?;
    Ok(PricedCart {
        cart_id: cart.id,
        store_id: cart.store_id,
        lines,
        total,
    })
}

impl Cart {
    pub fn new(store_id: StoreId, created_at: DateTime<Utc>) -> Self {
        Self {
            id: CartId::new(created_at),
            store_id,
            lines: Vec::new(),
            next_line_id: 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn line(&self, line_id: u32) -> Option<&CartLine> {
        self.lines.iter().find(|l| l.line_id == line_id)
    }

    /// Adds a validated line and bumps the version. A menu of another store is
    /// refused with [`CartError::OtherStore`], even for an empty cart, so the
    /// caller decides whether to start a new cart.
    pub fn add(
        &mut self,
        menu: &Menu,
        item_id: ItemId,
        option_ids: &[OptionId],
        quantity: u32,
    ) -> Result<PricedCartLine, CartError> {
        check_store(menu, self)?;
        if self.lines.len() >= MAX_LINES {
            return Err(CartError::TooManyLines);
        }
        let priced = validate_line(menu, item_id, option_ids, quantity)?;
        let line_id = self.next_line_id;
        self.next_line_id = self.next_line_id.saturating_add(1);
        self.lines.push(CartLine {
            line_id,
            item_id,
            option_ids: priced.options.iter().map(|o| o.option_id).collect(),
            quantity,
        });
        self.id.bump();
        Ok(PricedCartLine {
            line_id,
            line: priced,
        })
    }

    /// Removes a line and bumps the version.
    pub fn remove(&mut self, line_id: u32) -> Result<CartLine, CartError> {
        let index = self
            .lines
            .iter()
            .position(|l| l.line_id == line_id)
            .ok_or(CartError::UnknownLine(line_id))?;
        self.id.bump();
        Ok(self.lines.remove(index))
    }

    /// Changes a line's quantity and bumps the version.
    pub fn set_quantity(&mut self, line_id: u32, quantity: u32) -> Result<(), CartError> {
        check_quantity(quantity)?;
        let line = self
            .lines
            .iter_mut()
            .find(|l| l.line_id == line_id)
            .ok_or(CartError::UnknownLine(line_id))?;
        line.quantity = quantity;
        self.id.bump();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CategoryId, SelectionId};
    use crate::menu::{Category, MenuItem};
    use chrono::TimeZone;

    struct Fixture {
        menu: Menu,
        americano: ItemId,
        latte: ItemId,
        cake: ItemId,
        retired: ItemId,
        hot: OptionId,
        ice: OptionId,
        shot: OptionId,
        decaf_shot: OptionId,
        vanilla_shot: OptionId,
        vanilla: OptionId,
        hazelnut: OptionId,
        old_syrup: OptionId,
        caramel: OptionId,
    }

    fn option(name: &str, price: i64) -> MenuOption {
        MenuOption {
            id: OptionId::new(),
            name: name.into(),
            price: Money::won(price),
            disabled: false,
            sold_out: false,
        }
    }

    fn group(name: &str, min: u32, max: u32, options: &[&MenuOption]) -> Selection {
        Selection {
            id: SelectionId::new(),
            name: name.into(),
            min,
            max,
            option_ids: options.iter().map(|o| o.id).collect(),
        }
    }

    fn item(name: &str, price: i64, groups: &[&Selection]) -> MenuItem {
        MenuItem {
            id: ItemId::new(),
            name: name.into(),
            description: String::new(),
            price: Money::won(price),
            image_url: None,
            disabled: false,
            sold_out: false,
            selection_ids: groups.iter().map(|g| g.id).collect(),
        }
    }

    /// 아메리카노: 온도 (exactly 1), 샷 추가 (0–2). 카페라떼: 온도, 시럽 (1–3).
    fn fixture() -> Fixture {
        let hot = option("HOT", 0);
        let ice = option("ICE", 500);
        let shot = option("1샷", 500);
        let decaf_shot = option("디카페인 샷", 800);
        let vanilla_shot = option("바닐라 샷", 600);
        let vanilla = option("바닐라", 300);
        let hazelnut = option("헤이즐넛", 300);
        let mut old_syrup = option("메이플", 300);
        old_syrup.disabled = true;
        let mut caramel = option("카라멜", 300);
        caramel.sold_out = true;

        let temperature = group("온도", 1, 1, &[&hot, &ice]);
        let shots = group("샷 추가", 0, 2, &[&shot, &decaf_shot, &vanilla_shot]);
        let syrup = group("시럽", 1, 3, &[&vanilla, &hazelnut, &old_syrup, &caramel]);

        let americano = item("아메리카노", 4_000, &[&temperature, &shots]);
        let latte = item("카페라떼", 4_500, &[&temperature, &syrup]);
        let mut cake = item("치즈케이크", 6_000, &[]);
        cake.sold_out = true;
        let mut retired = item("옛날 커피", 3_000, &[]);
        retired.disabled = true;

        Fixture {
            americano: americano.id,
            latte: latte.id,
            cake: cake.id,
            retired: retired.id,
            hot: hot.id,
            ice: ice.id,
            shot: shot.id,
            decaf_shot: decaf_shot.id,
            vanilla_shot: vanilla_shot.id,
            vanilla: vanilla.id,
            hazelnut: hazelnut.id,
            old_syrup: old_syrup.id,
            caramel: caramel.id,
            menu: Menu {
                store_id: StoreId::new(),
                version: 1,
                categories: vec![Category {
                    id: CategoryId::new(),
                    name: "커피".into(),
                    item_ids: vec![americano.id, latte.id, cake.id, retired.id],
                }],
                items: vec![americano, latte, cake, retired],
                selections: vec![temperature, shots, syrup],
                options: vec![
                    hot,
                    ice,
                    shot,
                    decaf_shot,
                    vanilla_shot,
                    vanilla,
                    hazelnut,
                    old_syrup,
                    caramel,
                ],
            },
        }
    }

    fn message(result: Result<PricedLine, CartError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn a_valid_line_is_priced_with_snapshots_in_menu_order() {
        let f = fixture();
        let line = validate_line(&f.menu, f.americano, &[f.shot, f.ice], 2).unwrap();
        assert_eq!(line.item_name, "아메리카노");
        assert_eq!(line.unit_price, Money::won(4_000 + 500 + 500));
        assert_eq!(line.line_total, Money::won(10_000));
        let names: Vec<_> = line
            .options
            .iter()
            .map(|o| (o.selection_name.as_str(), o.option_name.as_str(), o.price))
            .collect();
        assert_eq!(
            names,
            [
                ("온도", "ICE", Money::won(500)),
                ("샷 추가", "1샷", Money::won(500))
            ]
        );
    }

    #[test]
    fn exactly_one_group_needs_exactly_one() {
        let f = fixture();
        let none = validate_line(&f.menu, f.americano, &[], 1);
        assert_eq!(
            none,
            Err(CartError::ChooseExactly {
                group: "온도".into(),
                count: 1
            })
        );
        assert_eq!(message(none), "'온도'에서 1개를 골라 주세요.");
        let both = validate_line(&f.menu, f.americano, &[f.hot, f.ice], 1);
        assert_eq!(message(both), "'온도'에서 1개를 골라 주세요.");
        assert!(validate_line(&f.menu, f.americano, &[f.hot], 1).is_ok());
    }

    #[test]
    fn optional_group_allows_zero_to_max() {
        let f = fixture();
        assert!(validate_line(&f.menu, f.americano, &[f.hot], 1).is_ok());
        assert!(validate_line(&f.menu, f.americano, &[f.hot, f.shot], 1).is_ok());
        let two = validate_line(&f.menu, f.americano, &[f.hot, f.shot, f.decaf_shot], 1).unwrap();
        assert_eq!(two.unit_price, Money::won(4_000 + 500 + 800));
        let three = validate_line(
            &f.menu,
            f.americano,
            &[f.hot, f.shot, f.decaf_shot, f.vanilla_shot],
            1,
        );
        assert_eq!(
            three,
            Err(CartError::TooMany {
                group: "샷 추가".into(),
                max: 2
            })
        );
        assert_eq!(message(three), "'샷 추가'는 최대 2개까지 고를 수 있어요.");
    }

    #[test]
    fn missing_required_group_is_named() {
        let f = fixture();
        let result = validate_line(&f.menu, f.latte, &[f.hot], 1);
        assert_eq!(
            result,
            Err(CartError::TooFew {
                group: "시럽".into(),
                min: 1
            })
        );
        assert_eq!(message(result), "'시럽'은 최소 1개를 골라 주세요.");
        assert!(validate_line(&f.menu, f.latte, &[f.hot, f.vanilla, f.hazelnut], 1).is_ok());
    }

    #[test]
    fn an_option_cannot_be_chosen_twice() {
        let f = fixture();
        let result = validate_line(&f.menu, f.americano, &[f.hot, f.shot, f.shot], 1);
        assert_eq!(
            result,
            Err(CartError::DuplicateOption {
                option: "1샷".into()
            })
        );
        assert_eq!(message(result), "'1샷'은 한 번만 고를 수 있어요.");
    }

    #[test]
    fn unknown_item_and_option_are_refused() {
        let f = fixture();
        let missing_item = ItemId::new();
        assert_eq!(
            validate_line(&f.menu, missing_item, &[], 1),
            Err(CartError::UnknownItem(missing_item))
        );
        let missing_option = OptionId::new();
        assert_eq!(
            validate_line(&f.menu, f.americano, &[f.hot, missing_option], 1),
            Err(CartError::UnknownOption(missing_option))
        );
    }

    #[test]
    fn an_option_of_another_item_is_refused() {
        let f = fixture();
        let result = validate_line(&f.menu, f.americano, &[f.hot, f.vanilla], 1);
        assert_eq!(
            message(result),
            "'바닐라'는 '아메리카노'에 고를 수 없는 옵션이에요."
        );
    }

    #[test]
    fn disabled_and_sold_out_are_refused() {
        let f = fixture();
        assert_eq!(
            message(validate_line(&f.menu, f.cake, &[], 1)),
            "'치즈케이크'는 품절이에요."
        );
        assert_eq!(
            message(validate_line(&f.menu, f.retired, &[], 1)),
            "'옛날 커피'는 지금 주문할 수 없어요."
        );
        assert_eq!(
            message(validate_line(&f.menu, f.latte, &[f.hot, f.caramel], 1)),
            "'카라멜'은 품절이에요."
        );
        assert_eq!(
            message(validate_line(&f.menu, f.latte, &[f.hot, f.old_syrup], 1)),
            "'메이플'은 지금 고를 수 없어요."
        );
    }

    #[test]
    fn a_required_group_with_nothing_left_makes_the_item_sold_out() {
        let mut f = fixture();
        for option in &mut f.menu.options {
            if option.id == f.hot || option.id == f.ice {
                option.sold_out = true;
            }
        }
        assert_eq!(
            validate_line(&f.menu, f.americano, &[], 1),
            Err(CartError::ItemSoldOut {
                item: "아메리카노".into()
            })
        );
    }

    #[test]
    fn quantity_is_between_1_and_20() {
        let f = fixture();
        for quantity in [0, MAX_QUANTITY + 1, u32::MAX] {
            let result = validate_line(&f.menu, f.americano, &[f.hot], quantity);
            assert_eq!(result, Err(CartError::InvalidQuantity { quantity }));
            assert_eq!(message(result), "수량은 1개부터 20개까지 고를 수 있어요.");
        }
        let max = validate_line(&f.menu, f.americano, &[f.hot], MAX_QUANTITY).unwrap();
        assert_eq!(max.line_total, Money::won(4_000 * 20));
    }

    #[test]
    fn an_overflowing_price_is_an_error() {
        let mut f = fixture();
        f.menu.items[0].price = Money::won(i64::MAX);
        assert_eq!(
            validate_line(&f.menu, f.americano, &[f.ice], 1),
            Err(CartError::Overflow)
        );
        f.menu.items[0].price = Money::won(i64::MAX / 2);
        assert_eq!(
            validate_line(&f.menu, f.americano, &[f.hot], 3),
            Err(CartError::Overflow)
        );
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_740_000_000_123).unwrap()
    }

    #[test]
    fn adding_and_removing_bump_the_version_and_price_the_cart() {
        let f = fixture();
        let mut cart = Cart::new(f.menu.store_id, now());
        assert_eq!(cart.id.to_string(), "1740000000123-1");
        let first = cart.add(&f.menu, f.americano, &[f.shot, f.ice], 2).unwrap();
        let second = cart.add(&f.menu, f.latte, &[f.vanilla, f.hot], 1).unwrap();
        assert_eq!((first.line_id, second.line_id), (1, 2));
        assert_eq!(cart.id.version(), 3);
        // Stored in menu order, whatever order the options came in.
        assert_eq!(cart.line(1).unwrap().option_ids, [f.ice, f.shot]);

        let priced = price(&f.menu, &cart).unwrap();
        assert_eq!(priced.cart_id, cart.id);
        assert_eq!(priced.total, Money::won(10_000 + 4_800));

        cart.set_quantity(2, 3).unwrap();
        assert_eq!(cart.id.version(), 4);
        assert_eq!(
            price(&f.menu, &cart).unwrap().total,
            Money::won(10_000 + 14_400)
        );

        let removed = cart.remove(1).unwrap();
        assert_eq!(removed.item_id, f.americano);
        assert_eq!(cart.id.version(), 5);
        // Line ids are never reused.
        let third = cart.add(&f.menu, f.americano, &[f.hot], 1).unwrap();
        assert_eq!(third.line_id, 3);
        assert_eq!(cart.remove(1), Err(CartError::UnknownLine(1)));
    }

    #[test]
    fn a_refused_change_leaves_the_cart_unchanged() {
        let f = fixture();
        let mut cart = Cart::new(f.menu.store_id, now());
        cart.add(&f.menu, f.americano, &[f.hot], 1).unwrap();
        let before = cart.clone();
        assert!(cart.add(&f.menu, f.latte, &[f.hot], 1).is_err());
        assert!(cart.set_quantity(1, 0).is_err());
        assert!(cart.set_quantity(9, 2).is_err());
        assert!(cart.remove(9).is_err());
        assert_eq!(cart, before);
    }

    #[test]
    fn another_stores_menu_is_refused() {
        let f = fixture();
        let mut cart = Cart::new(StoreId::new(), now());
        let result = cart.add(&f.menu, f.americano, &[f.hot], 1);
        assert_eq!(
            result,
            Err(CartError::OtherStore {
                cart_store: cart.store_id,
                menu_store: f.menu.store_id
            })
        );
        assert!(cart.is_empty());
        assert_eq!(cart.id.version(), 1);
        assert!(matches!(
            price(&f.menu, &cart),
            Err(CartError::OtherStore { .. })
        ));
    }

    #[test]
    fn a_cart_holds_at_most_max_lines() {
        let f = fixture();
        let mut cart = Cart::new(f.menu.store_id, now());
        for _ in 0..MAX_LINES {
            cart.add(&f.menu, f.americano, &[f.hot], 1).unwrap();
        }
        assert_eq!(
            cart.add(&f.menu, f.americano, &[f.hot], 1),
            Err(CartError::TooManyLines)
        );
        assert_eq!(cart.lines.len(), MAX_LINES);
    }

    #[test]
    fn pricing_rechecks_against_the_current_menu() {
        let mut f = fixture();
        let mut cart = Cart::new(f.menu.store_id, now());
        cart.add(&f.menu, f.americano, &[f.hot], 1).unwrap();
        f.menu.items[0].sold_out = true;
        assert_eq!(
            price(&f.menu, &cart),
            Err(CartError::ItemSoldOut {
                item: "아메리카노".into()
            })
        );
        let empty = Cart::new(f.menu.store_id, now());
        let priced = price(&f.menu, &empty).unwrap();
        assert!(priced.is_empty());
        assert_eq!(priced.total, Money::ZERO);
    }

    #[test]
    fn cart_id_parses_only_its_canonical_form() {
        let id: CartId = "1740000000123-7".parse().unwrap();
        assert_eq!((id.created_ms(), id.version()), (1_740_000_000_123, 7));
        assert_eq!(id.to_string(), "1740000000123-7");
        let mut bumped = id;
        bumped.bump();
        assert_eq!(bumped.to_string(), "1740000000123-8");
        for garbage in [
            "",
            "-",
            "1-",
            "-1",
            "a-1",
            "1-b",
            "1-2-3",
            "+1-2",
            "1--2",
            "01-2",
            "1-02",
            " 1-2",
            "1-2 ",
            "١-٢",
            "18446744073709551616-1",
        ] {
            let err = garbage.parse::<CartId>().unwrap_err();
            assert_eq!(err.to_string(), format!("malformed cart id: '{garbage}'"));
        }
        assert!("0-0".parse::<CartId>().is_ok());
    }

    #[test]
    fn cart_round_trips_through_json() {
        let f = fixture();
        let mut cart = Cart::new(f.menu.store_id, now());
        cart.add(&f.menu, f.americano, &[f.ice], 2).unwrap();
        let json = serde_json::to_string(&cart).unwrap();
        assert!(json.contains("\"id\":\"1740000000123-2\""), "{json}");
        let back: Cart = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cart);
        let bad = json.replace("1740000000123-2", "x-2");
        assert!(serde_json::from_str::<Cart>(&bad).is_err());
    }
}
