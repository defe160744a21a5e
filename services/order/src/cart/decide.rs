//! The pure part of every cart change: given the current cart, what to answer or write.

use chrono::{DateTime, Utc};
use domain::{CartError, CustomerId, ItemId, OptionId, StoreId};

use super::problem::{Problem, problem_of, store_not_found};
use crate::menu::MenuDoc;
use crate::model::Session;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Changed; the session is the new cart (`None` once cleared).
    Updated,
    /// The cart is another store's: ask before replacing it.
    NeedsReplace,
    /// The expected cart id is not the current one.
    Stale,
    Invalid(Problem),
    /// Nothing to remove or clear.
    NotFound,
}

/// What a change did, and the customer's cart afterwards (the current one when nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartUpdate {
    pub outcome: Outcome,
    pub session: Option<Session>,
}

pub struct AddRequest {
    pub store_id: StoreId,
    pub item_id: ItemId,
    pub option_ids: Vec<OptionId>,
    /// 0 means 1.
    pub quantity: u32,
    /// `""` when the change does not depend on the cart the customer saw.
    pub expected: String,
    /// Replace a cart of another store.
    pub replace: bool,
}

pub(super) enum Decision {
    Answer(CartUpdate),
    Write(Session),
    Delete,
}

pub(super) fn answer(outcome: Outcome, session: Option<Session>) -> Decision {
    Decision::Answer(CartUpdate { outcome, session })
}

fn is_stale(expected: &str, current: Option<&Session>) -> bool {
    !expected.is_empty() && current.is_none_or(|c| c.cart.id.to_string() != expected)
}

/// The pure part of AddToCart: what to do with the customer's current cart. `menu` is `None`
/// when the store does not exist.
pub(super) fn decide_add(
    customer: CustomerId,
    request: &AddRequest,
    menu: Option<&MenuDoc>,
    current: Option<Session>,
    now: DateTime<Utc>,
) -> Decision {
    if is_stale(&request.expected, current.as_ref()) {
        return answer(Outcome::Stale, current);
    }
    let Some(doc) = menu else {
        return answer(Outcome::Invalid(store_not_found()), current);
    };
    let quantity = request.quantity.max(1);
    let invalid = |error: &CartError| {
        Outcome::Invalid(problem_of(
            &doc.menu,
            request.item_id,
            &request.option_ids,
            error,
        ))
    };
    // The line is judged on its own first, so the customer hears about a wrong choice before
    // being asked to give up another store's cart for it.
    if let Err(error) =
        domain::validate_line(&doc.menu, request.item_id, &request.option_ids, quantity)
    {
        return answer(invalid(&error), current);
    }
    let mut next = match current {
        Some(ref cart) if cart.cart.store_id == request.store_id => cart.clone(),
        Some(ref cart) if !cart.cart.is_empty() && !request.replace => {
            return answer(Outcome::NeedsReplace, current);
        }
        ref previous => Session::new(
            customer,
            request.store_id,
            doc.store_name.clone(),
            now,
            previous.as_ref(),
        ),
    };
    next.store_name.clone_from(&doc.store_name);
    next.updated_ms = now.timestamp_millis();
    match next.add(&doc.menu, request.item_id, &request.option_ids, quantity) {
        Ok(()) => Decision::Write(next),
        Err(error) => answer(invalid(&error), current),
    }
}

/// One line of a batch: an item with its options and a quantity (0 means 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRequest {
    pub item_id: ItemId,
    pub option_ids: Vec<OptionId>,
    pub quantity: u32,
}

/// Several lines at once (같은 메뉴 다시 담기): each is judged as [`AddRequest`]'s line is.
pub struct AddLinesRequest {
    pub store_id: StoreId,
    pub lines: Vec<LineRequest>,
    pub expected: String,
    pub replace: bool,
}

/// A line of a batch that did not go in: its index in the request and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub index: usize,
    pub problem: Problem,
}

/// The pure part of adding several lines: the lines the menu refuses, or that no longer fit
/// the cart, are left out and the rest added; with none added nothing changes and the first
/// problem is the answer.
pub(super) fn decide_add_lines(
    customer: CustomerId,
    request: &AddLinesRequest,
    menu: Option<&MenuDoc>,
    current: Option<Session>,
    now: DateTime<Utc>,
) -> (Decision, Vec<LeftOut>) {
    if is_stale(&request.expected, current.as_ref()) {
        return (answer(Outcome::Stale, current), Vec::new());
    }
    let Some(doc) = menu else {
        return (
            answer(Outcome::Invalid(store_not_found()), current),
            Vec::new(),
        );
    };
    let left_out_by = |index: usize, line: &LineRequest, error: &CartError| LeftOut {
        index,
        problem: problem_of(&doc.menu, line.item_id, &line.option_ids, error),
    };
    let mut left_out = Vec::new();
    let mut valid = Vec::new();
    for (index, line) in request.lines.iter().enumerate() {
        let quantity = line.quantity.max(1);
        match domain::validate_line(&doc.menu, line.item_id, &line.option_ids, quantity) {
            Ok(_) => valid.push((index, line)),
            Err(error) => left_out.push(left_out_by(index, line, &error)),
        }
    }
    let nothing_fits = |left_out: Vec<LeftOut>, current| {
        let problem = left_out
            .first()
            .map_or_else(store_not_found, |l| l.problem.clone());
        (answer(Outcome::Invalid(problem), current), left_out)
    };
    if valid.is_empty() {
        return nothing_fits(left_out, current);
    }
    let mut next = match current {
        Some(ref cart) if cart.cart.store_id == request.store_id => cart.clone(),
        Some(ref cart) if !cart.cart.is_empty() && !request.replace => {
            return (answer(Outcome::NeedsReplace, current), Vec::new());
        }
        ref previous => Session::new(
            customer,
            request.store_id,
            doc.store_name.clone(),
            now,
            previous.as_ref(),
        ),
    };
    next.store_name.clone_from(&doc.store_name);
    next.updated_ms = now.timestamp_millis();
    let mut added = 0;
    for (index, line) in valid {
        let before = next.clone();
        match next.add(
            &doc.menu,
            line.item_id,
            &line.option_ids,
            line.quantity.max(1),
        ) {
            Ok(()) => added += 1,
            Err(error) => {
                next = before;
                left_out.push(left_out_by(index, line, &error));
            }
        }
    }
    left_out.sort_by_key(|l| l.index);
    if added == 0 {
        return nothing_fits(left_out, current);
    }
    (Decision::Write(next), left_out)
}

pub(super) fn decide_remove(
    expected: &str,
    line_id: u32,
    quantity: u32,
    current: Option<Session>,
    now: DateTime<Utc>,
) -> Decision {
    let Some(cart) = current else {
        return answer(Outcome::NotFound, None);
    };
    if is_stale(expected, Some(&cart)) {
        return answer(Outcome::Stale, Some(cart));
    }
    let mut next = cart.clone();
    next.updated_ms = now.timestamp_millis();
    match next.remove(line_id, quantity) {
        Ok(()) => Decision::Write(next),
        Err(_) => answer(Outcome::NotFound, Some(cart)),
    }
}

pub(super) fn decide_clear(expected: &str, current: Option<Session>) -> Decision {
    match current {
        None => answer(Outcome::NotFound, None),
        Some(cart) if is_stale(expected, Some(&cart)) => answer(Outcome::Stale, Some(cart)),
        Some(_) => Decision::Delete,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use domain::menu::{Category, Menu, MenuItem, MenuOption, Selection};
    use domain::{CategoryId, MAX_LINES, MAX_QUANTITY, Money, SelectionId};

    use super::super::problem::ProblemCode;
    use super::*;

    struct Fixture {
        doc: MenuDoc,
        americano: ItemId,
        hot: OptionId,
        ice: OptionId,
        shots: [OptionId; 3],
        temperature: SelectionId,
        extra_shot: SelectionId,
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

    fn fixture() -> Fixture {
        let options = [
            option("HOT", 0),
            option("ICE", 0),
            option("에스프레소 샷", 500),
            option("디카페인 샷", 600),
            option("바닐라 샷", 700),
        ];
        let temperature = Selection {
            id: SelectionId::new(),
            name: "온도".into(),
            min: 1,
            max: 1,
            option_ids: vec![options[0].id, options[1].id],
        };
        let extra_shot = Selection {
            id: SelectionId::new(),
            name: "샷 추가".into(),
            min: 0,
            max: 2,
            option_ids: options[2..].iter().map(|o| o.id).collect(),
        };
        let americano = MenuItem {
            id: ItemId::new(),
            name: "아메리카노".into(),
            description: String::new(),
            price: Money::won(4_500),
            image_url: None,
            disabled: false,
            sold_out: false,
            selection_ids: vec![temperature.id, extra_shot.id],
        };
        Fixture {
            americano: americano.id,
            hot: options[0].id,
            ice: options[1].id,
            shots: [options[2].id, options[3].id, options[4].id],
            temperature: temperature.id,
            extra_shot: extra_shot.id,
            doc: MenuDoc {
                store_name: "카페".into(),
                menu: Menu {
                    store_id: StoreId::new(),
                    version: 1,
                    categories: vec![Category {
                        id: CategoryId::new(),
                        name: "커피".into(),
                        item_ids: vec![americano.id],
                    }],
                    items: vec![americano],
                    selections: vec![temperature, extra_shot],
                    options: options.to_vec(),
                },
            },
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_740_000_000_000).unwrap()
    }

    fn request(f: &Fixture, options: &[OptionId], quantity: u32) -> AddRequest {
        AddRequest {
            store_id: f.doc.menu.store_id,
            item_id: f.americano,
            option_ids: options.to_vec(),
            quantity,
            expected: String::new(),
            replace: false,
        }
    }

    fn written(decision: Decision) -> Session {
        match decision {
            Decision::Write(session) => session,
            Decision::Answer(update) => panic!("expected a write, got {update:?}"),
            Decision::Delete => panic!("expected a write, got a delete"),
        }
    }

    fn answered(decision: Decision) -> CartUpdate {
        match decision {
            Decision::Answer(update) => update,
            _ => panic!("expected an answer"),
        }
    }

    fn add(f: &Fixture, current: Option<Session>, request: &AddRequest) -> Decision {
        decide_add(CustomerId::new(), request, Some(&f.doc), current, now())
    }

    #[test]
    fn first_add_creates_a_priced_cart() {
        let f = fixture();
        let session = written(add(&f, None, &request(&f, &[f.ice, f.shots[0]], 2)));
        assert_eq!(session.cart.id.to_string(), "1740000000000-2");
        assert_eq!(session.store_name, "카페");
        assert_eq!(session.updated_ms, 1_740_000_000_000);
        assert_eq!(session.expires_ms(), 1_740_000_000_000 + 30 * 60 * 1000);
        let priced = session.priced_cart().unwrap();
        assert_eq!(priced.total, Money::won(2 * 5_000));
        let line = &priced.lines[0].line;
        assert_eq!(line.item_name, "아메리카노");
        assert_eq!(line.options[0].selection_name, "온도");
        assert_eq!(line.options[1].option_name, "에스프레소 샷");
    }

    #[test]
    fn zero_quantity_means_one() {
        let f = fixture();
        let session = written(add(&f, None, &request(&f, &[f.hot], 0)));
        assert_eq!(session.cart.lines[0].quantity, 1);
        assert_eq!(session.priced_cart().unwrap().total, Money::won(4_500));
    }

    #[test]
    fn the_same_choice_adds_to_its_line() {
        let f = fixture();
        let first = written(add(&f, None, &request(&f, &[f.hot, f.shots[0]], 1)));
        // Options in another order are the same choice.
        let second = written(add(&f, Some(first), &request(&f, &[f.shots[0], f.hot], 2)));
        assert_eq!(second.cart.lines.len(), 1);
        assert_eq!(second.cart.lines[0].quantity, 3);
        assert_eq!(second.cart.id.version(), 3);
        assert_eq!(second.priced[0].line.line_total, Money::won(3 * 5_000));
        let other = written(add(&f, Some(second), &request(&f, &[f.ice], 1)));
        assert_eq!(other.cart.lines.len(), 2);
        assert_eq!(
            other.priced_cart().unwrap().total,
            Money::won(15_000 + 4_500)
        );
    }

    #[test]
    fn merged_quantity_is_capped() {
        let f = fixture();
        let full = written(add(&f, None, &request(&f, &[f.hot], MAX_QUANTITY)));
        let update = answered(add(&f, Some(full.clone()), &request(&f, &[f.hot], 1)));
        let Outcome::Invalid(problem) = update.outcome else {
            panic!("{update:?}")
        };
        assert_eq!(problem.code, ProblemCode::BadQuantity);
        assert_eq!(update.session, Some(full));
    }

    #[test]
    fn a_full_cart_is_refused() {
        let f = fixture();
        let mut full = written(add(&f, None, &request(&f, &[f.hot], 1)));
        for line_id in 2..=u32::try_from(MAX_LINES).unwrap() {
            full.cart.lines.push(domain::CartLine {
                line_id,
                item_id: f.americano,
                option_ids: vec![f.hot],
                quantity: 1,
            });
        }
        let update = answered(add(&f, Some(full.clone()), &request(&f, &[f.ice], 1)));
        let Outcome::Invalid(problem) = update.outcome else {
            panic!("{update:?}")
        };
        assert_eq!(problem.code, ProblemCode::CartFull);
        assert_eq!(
            problem.message,
            "주문서에는 메뉴를 20개까지 담을 수 있어요."
        );
        assert_eq!(update.session, Some(full));
    }

    #[test]
    fn min_max_problems_name_the_group_and_its_rule() {
        let f = fixture();
        let none = answered(add(&f, None, &request(&f, &[], 1)));
        let Outcome::Invalid(problem) = none.outcome else {
            panic!("{none:?}")
        };
        assert_eq!(problem.code, ProblemCode::SelectionMin);
        assert_eq!(problem.message, "'온도'에서 1개를 골라 주세요.");
        let group = problem.group.unwrap();
        assert_eq!(
            (group.id, group.name.as_str(), group.min, group.max),
            (f.temperature, "온도", 1, 1)
        );
        assert_eq!(none.session, None);

        let both = answered(add(&f, None, &request(&f, &[f.hot, f.ice], 1)));
        let Outcome::Invalid(problem) = both.outcome else {
            panic!("{both:?}")
        };
        assert_eq!(problem.code, ProblemCode::SelectionMax);
        assert_eq!(problem.group.unwrap().id, f.temperature);

        let three = answered(add(
            &f,
            None,
            &request(&f, &[f.hot, f.shots[0], f.shots[1], f.shots[2]], 1),
        ));
        let Outcome::Invalid(problem) = three.outcome else {
            panic!("{three:?}")
        };
        assert_eq!(problem.code, ProblemCode::SelectionMax);
        assert_eq!(problem.message, "'샷 추가'는 최대 2개까지 고를 수 있어요.");
        let group = problem.group.unwrap();
        assert_eq!((group.id, group.max), (f.extra_shot, 2));
    }

    #[test]
    fn option_problems_name_the_option() {
        let mut f = fixture();
        let twice = answered(add(
            &f,
            None,
            &request(&f, &[f.hot, f.shots[0], f.shots[0]], 1),
        ));
        let Outcome::Invalid(problem) = twice.outcome else {
            panic!("{twice:?}")
        };
        assert_eq!(problem.code, ProblemCode::DuplicateOption);
        assert_eq!(problem.option_id, Some(f.shots[0]));

        f.doc.menu.options[3].sold_out = true;
        let sold_out = answered(add(&f, None, &request(&f, &[f.hot, f.shots[1]], 1)));
        let Outcome::Invalid(problem) = sold_out.outcome else {
            panic!("{sold_out:?}")
        };
        assert_eq!(problem.code, ProblemCode::OptionSoldOut);
        assert_eq!(problem.option_id, Some(f.shots[1]));
        assert_eq!(problem.message, "'디카페인 샷'은 품절이에요.");

        let unknown = OptionId::new();
        let missing = answered(add(&f, None, &request(&f, &[f.hot, unknown], 1)));
        let Outcome::Invalid(problem) = missing.outcome else {
            panic!("{missing:?}")
        };
        assert_eq!(problem.code, ProblemCode::OptionNotFound);
        assert_eq!(problem.option_id, Some(unknown));

        let mut r = request(&f, &[f.hot], 1);
        r.item_id = ItemId::new();
        let Outcome::Invalid(problem) = answered(add(&f, None, &r)).outcome else {
            panic!()
        };
        assert_eq!(problem.code, ProblemCode::ItemNotFound);
        assert_eq!(problem.item_id, Some(r.item_id));
    }

    #[test]
    fn an_unknown_store_is_a_problem() {
        let f = fixture();
        let update = answered(decide_add(
            CustomerId::new(),
            &request(&f, &[f.hot], 1),
            None,
            None,
            now(),
        ));
        assert_eq!(update.outcome, Outcome::Invalid(store_not_found()));
    }

    #[test]
    fn another_stores_cart_needs_confirmation_then_is_replaced() {
        let f = fixture();
        let mut other_store = fixture();
        other_store.doc.store_name = "다른 카페".into();
        let old = written(add(
            &other_store,
            None,
            &request(&other_store, &[other_store.hot], 1),
        ));

        let ask = answered(add(&f, Some(old.clone()), &request(&f, &[f.hot], 1)));
        assert_eq!(
            ask,
            CartUpdate {
                outcome: Outcome::NeedsReplace,
                session: Some(old.clone())
            }
        );

        let mut confirm = request(&f, &[f.hot], 1);
        confirm.replace = true;
        confirm.expected = old.cart.id.to_string();
        let new = written(add(&f, Some(old.clone()), &confirm));
        assert_eq!(new.cart.store_id, f.doc.menu.store_id);
        assert_eq!(new.store_name, "카페");
        assert_eq!(new.cart.lines.len(), 1);
        assert!(new.cart.id.created_ms() > old.cart.id.created_ms());
        assert_ne!(new.cart.id, old.cart.id);

        // Confirming a replacement of a cart that changed meanwhile is stale.
        let mut changed = old.clone();
        changed.cart.id.bump();
        let stale = answered(add(&f, Some(changed.clone()), &confirm));
        assert_eq!(
            stale,
            CartUpdate {
                outcome: Outcome::Stale,
                session: Some(changed)
            }
        );
    }

    #[test]
    fn an_empty_cart_of_another_store_is_replaced_without_asking() {
        let f = fixture();
        let other = fixture();
        let mut old = written(add(&other, None, &request(&other, &[other.hot], 1)));
        old = written(decide_remove("", 1, 0, Some(old), now()));
        assert!(old.cart.is_empty());
        let new = written(add(&f, Some(old), &request(&f, &[f.hot], 1)));
        assert_eq!(new.cart.store_id, f.doc.menu.store_id);
    }

    #[test]
    fn an_expected_id_must_be_the_current_one() {
        let f = fixture();
        let mut r = request(&f, &[f.hot], 1);
        r.expected = "1740000000000-2".into();
        let none = answered(add(&f, None, &r));
        assert_eq!(
            none,
            CartUpdate {
                outcome: Outcome::Stale,
                session: None
            }
        );

        let current = written(add(&f, None, &request(&f, &[f.hot], 1)));
        r.expected = current.cart.id.to_string();
        let next = written(add(&f, Some(current.clone()), &r));
        assert_eq!(next.cart.id.version(), current.cart.id.version() + 1);
        r.expected = "garbage".into();
        assert_eq!(answered(add(&f, Some(current), &r)).outcome, Outcome::Stale);
    }

    fn lines(f: &Fixture, lines: &[(&[OptionId], u32)]) -> AddLinesRequest {
        AddLinesRequest {
            store_id: f.doc.menu.store_id,
            lines: lines
                .iter()
                .map(|(options, quantity)| LineRequest {
                    item_id: f.americano,
                    option_ids: options.to_vec(),
                    quantity: *quantity,
                })
                .collect(),
            expected: String::new(),
            replace: false,
        }
    }

    fn add_lines(
        f: &Fixture,
        current: Option<Session>,
        request: &AddLinesRequest,
    ) -> (Decision, Vec<LeftOut>) {
        decide_add_lines(CustomerId::new(), request, Some(&f.doc), current, now())
    }

    #[test]
    fn a_batch_leaves_out_what_the_menu_refuses_and_adds_the_rest() {
        let mut f = fixture();
        f.doc.menu.options[3].sold_out = true;
        f.doc.menu.options[4].disabled = true;
        f.doc.menu.options[0].price = Money::won(300);
        let request = lines(
            &f,
            &[
                (&[f.ice, f.shots[1]], 1),
                (&[f.hot], 2),
                (&[f.ice, f.shots[2]], 1),
                (&[f.ice], 1),
            ],
        );
        let (decision, left_out) = add_lines(&f, None, &request);
        let session = written(decision);
        assert_eq!(session.cart.lines.len(), 2);
        // Today's price, not the one of the past order.
        assert_eq!(session.priced[0].line.line_total, Money::won(2 * 4_800));
        assert_eq!(
            session.priced_cart().unwrap().total,
            Money::won(9_600 + 4_500)
        );
        let codes: Vec<_> = left_out.iter().map(|l| (l.index, l.problem.code)).collect();
        assert_eq!(
            codes,
            [
                (0, ProblemCode::OptionSoldOut),
                (2, ProblemCode::OptionDisabled)
            ]
        );
        assert_eq!(left_out[0].problem.option_id, Some(f.shots[1]));
    }

    #[test]
    fn a_batch_with_nothing_left_changes_nothing() {
        let mut f = fixture();
        let current = written(add(&f, None, &request(&f, &[f.ice], 1)));
        f.doc.menu.items[0].sold_out = true;
        let (decision, left_out) =
            add_lines(&f, Some(current.clone()), &lines(&f, &[(&[f.hot], 1)]));
        let update = answered(decision);
        let Outcome::Invalid(problem) = update.outcome else {
            panic!("{update:?}")
        };
        assert_eq!(problem.code, ProblemCode::ItemSoldOut);
        assert_eq!(update.session, Some(current));
        assert_eq!(left_out.len(), 1);
    }

    #[test]
    fn a_batch_asks_before_replacing_another_stores_cart_and_fills_up_to_the_limit() {
        let f = fixture();
        let other = fixture();
        let old = written(add(&other, None, &request(&other, &[other.hot], 1)));
        let (decision, left_out) = add_lines(&f, Some(old.clone()), &lines(&f, &[(&[f.hot], 1)]));
        assert_eq!(answered(decision).outcome, Outcome::NeedsReplace);
        assert!(left_out.is_empty());

        let mut replace = lines(&f, &[(&[f.hot], 1)]);
        replace.replace = true;
        let (decision, _) = add_lines(&f, Some(old), &replace);
        assert_eq!(written(decision).cart.store_id, f.doc.menu.store_id);

        let mut full = written(add(&f, None, &request(&f, &[f.hot], 1)));
        for line_id in 2..u32::try_from(MAX_LINES).unwrap() {
            full.cart.lines.push(domain::CartLine {
                line_id,
                item_id: f.americano,
                option_ids: vec![f.hot],
                quantity: 1,
            });
        }
        full.cart.next_line_id = u32::try_from(MAX_LINES).unwrap();
        let (decision, left_out) = add_lines(
            &f,
            Some(full),
            &lines(&f, &[(&[f.ice], 1), (&[f.ice, f.shots[0]], 1)]),
        );
        let session = written(decision);
        assert_eq!(session.cart.lines.len(), MAX_LINES);
        assert_eq!(left_out.len(), 1);
        assert_eq!(left_out[0].index, 1);
        assert_eq!(left_out[0].problem.code, ProblemCode::CartFull);
    }

    #[test]
    fn removing_part_or_all_of_a_line() {
        let f = fixture();
        let cart = written(add(&f, None, &request(&f, &[f.ice], 3)));
        let cart = written(add(&f, Some(cart), &request(&f, &[f.hot], 1)));
        let less = written(decide_remove("", 1, 2, Some(cart.clone()), now()));
        assert_eq!(less.cart.line(1).unwrap().quantity, 1);
        assert_eq!(less.priced[0].line.line_total, Money::won(4_500));
        assert_eq!(less.cart.id.version(), cart.cart.id.version() + 1);
        let gone = written(decide_remove("", 1, 0, Some(less.clone()), now()));
        assert!(gone.cart.line(1).is_none());
        assert_eq!(gone.priced.len(), 1);
        assert_eq!(gone.priced_cart().unwrap().total, Money::won(4_500));
        let all = written(decide_remove("", 2, 5, Some(gone), now()));
        assert!(all.cart.is_empty() && all.priced.is_empty());

        let missing = answered(decide_remove("", 9, 0, Some(less.clone()), now()));
        assert_eq!(
            missing,
            CartUpdate {
                outcome: Outcome::NotFound,
                session: Some(less.clone())
            }
        );
        let stale = answered(decide_remove("1-1", 1, 0, Some(less.clone()), now()));
        assert_eq!(stale.outcome, Outcome::Stale);
        let nothing = answered(decide_remove("", 1, 0, None, now()));
        assert_eq!(
            nothing,
            CartUpdate {
                outcome: Outcome::NotFound,
                session: None
            }
        );
    }

    #[test]
    fn clearing() {
        let f = fixture();
        let cart = written(add(&f, None, &request(&f, &[f.ice], 1)));
        assert!(matches!(
            decide_clear("", Some(cart.clone())),
            Decision::Delete
        ));
        let id = cart.cart.id.to_string();
        assert!(matches!(
            decide_clear(&id, Some(cart.clone())),
            Decision::Delete
        ));
        assert_eq!(
            answered(decide_clear("0-0", Some(cart))).outcome,
            Outcome::Stale
        );
        assert_eq!(answered(decide_clear("", None)).outcome, Outcome::NotFound);
    }

    #[test]
    fn a_session_round_trips_through_json_with_the_id_on_top() {
        let f = fixture();
        let cart = written(add(&f, None, &request(&f, &[f.ice, f.shots[1]], 2)));
        let json = serde_json::to_value(&cart).unwrap();
        assert_eq!(json["id"], "1740000000000-2");
        let back: Session = serde_json::from_value(json).unwrap();
        assert_eq!(back, cart);
    }
}
