//! 결제하기 (DESIGN §5 Place): the cart the customer saw is checked again — the store is open,
//! every line is still on the menu at the price shown — and the payment service prepares a
//! KakaoPay payment for it. The same cart version gets the same payment back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use contracts::payment::v1 as pay;
use domain::cart::PricedCartLine;
use domain::menu::Menu;
use domain::{CustomerId, DayState, OrderId};
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tracing::Instrument;

use crate::cart::{Carts, Problem, ProblemCode, problem_of};
use crate::day::Days;
use crate::error::OrderError;
use crate::menu::Menus;
use crate::model::Session;
use crate::payment::Payment;

/// How the cart compares with the menu of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Every line is orderable at the price the customer was shown.
    Same,
    /// Orderable, but some price moved: the lines at today's prices.
    Repriced(Vec<PricedCartLine>),
    /// A line cannot be ordered any more.
    Invalid(Problem),
}

/// Prices of a line as shown: what the customer agreed to. Names may be edited meanwhile
/// without the customer having to look again.
fn prices(line: &PricedCartLine) -> (u32, i64, i64, Vec<i64>) {
    (
        line.line_id,
        line.line.unit_price.as_won(),
        line.line.line_total.as_won(),
        line.line.options.iter().map(|o| o.price.as_won()).collect(),
    )
}

/// Re-checks the cart against `menu` (the cart's store's).
pub fn check_cart(session: &Session, menu: &Menu) -> Check {
    for line in &session.cart.lines {
        if let Err(error) =
            domain::validate_line(menu, line.item_id, &line.option_ids, line.quantity)
        {
            return Check::Invalid(problem_of(menu, line.item_id, &line.option_ids, &error));
        }
    }
    match domain::price(menu, &session.cart) {
        Err(error) => Check::Invalid(Problem {
            code: ProblemCode::Unspecified,
            message: error.to_string(),
            item_id: None,
            option_id: None,
            group: None,
        }),
        Ok(priced) => {
            let now: Vec<_> = priced.lines.iter().map(prices).collect();
            let shown: Vec<_> = session.priced.iter().map(prices).collect();
            if now == shown {
                Check::Same
            } else {
                Check::Repriced(priced.lines)
            }
        }
    }
}

/// KakaoPay's item name: the first item, and how many more lines, e.g. "아메리카노 외 2건".
pub fn item_name(session: &Session) -> String {
    let first = session
        .priced
        .first()
        .map_or("주문", |l| l.line.item_name.as_str());
    match session.priced.len() {
        0 | 1 => first.to_owned(),
        n => format!("{first} 외 {}건", n - 1),
    }
}

fn not_open_message(state: DayState) -> &'static str {
    match state {
        DayState::Preparing => {
            "가게가 아직 영업 준비 중이에요. 영업을 시작하면 다시 주문해 주세요."
        }
        DayState::Break => {
            "가게가 브레이크 타임이라 지금은 주문을 받지 않아요. 잠시 후 다시 주문해 주세요."
        }
        DayState::Open | DayState::Closing | DayState::Closed => {
            "가게 영업이 끝나 지금은 주문을 받지 않아요."
        }
    }
}

const CART_EMPTY: &str = "주문서가 비어 있어요. 메뉴를 담은 뒤 결제해 주세요.";
const CART_CHANGED: &str = "주문서가 바뀌었어요. 바뀐 주문서를 확인한 뒤 다시 결제해 주세요.";
const REPRICED: &str = "메뉴 가격이 바뀌었어요. 바뀐 금액을 확인한 뒤 다시 결제해 주세요.";
const PAYMENT_UNAVAILABLE: &str =
    "카카오페이에 연결하지 못했어요. 결제된 금액은 없어요. 잠시 후 다시 결제해 주세요.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    CartEmpty,
    CartChanged,
    StoreNotOpen,
    Invalid(Problem),
    PaymentUnavailable,
}

#[derive(Debug, Clone)]
pub enum Placed {
    /// Send the customer to KakaoPay.
    Ready {
        cart: Session,
        prepared: pay::PrepareResponse,
    },
    /// Nothing was prepared; `message` (Korean) says why, `cart` is the cart to show.
    Refused {
        refusal: Refusal,
        message: String,
        cart: Option<Session>,
    },
}

fn refused(refusal: Refusal, message: impl Into<String>, cart: Option<Session>) -> Placed {
    Placed::Refused {
        refusal,
        message: message.into(),
        cart,
    }
}

/// A placement's outcome as every caller waiting on it gets it.
type Outcome = Result<Placed, Arc<OrderError>>;

/// Placements under way, by customer and cart version.
pub type InFlight = Mutex<HashMap<(CustomerId, String), Shared<BoxFuture<'static, Outcome>>>>;

pub struct Placement {
    pub carts: Arc<Carts>,
    pub menus: Menus,
    pub days: Days,
    pub payment: Payment,
    /// The payment window plus a margin: a cart being paid for must still exist at approval.
    pub hold_cart: Duration,
    pub in_flight: Arc<InFlight>,
}

impl Placement {
    /// Kakao replays a 결제하기 it got no answer to in time and people tap again: the same cart
    /// version arriving while its placement is under way waits for that one, instead of each
    /// copy reading the day and the menu and asking KakaoPay for a payment of its own while
    /// other customers wait behind them. The payment service still hands the same cart the
    /// same payment across placements.
    pub async fn place(
        self: &Arc<Self>,
        customer: CustomerId,
        cart_id: &str,
    ) -> Result<Placed, OrderError> {
        let key = (customer, cart_id.to_owned());
        let flight = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            in_flight
                .entry(key.clone())
                .or_insert_with(|| self.start(key))
                .clone()
        };
        flight
            .await
            .map_err(|e| Arc::try_unwrap(e).unwrap_or_else(|e| e.duplicate()))
    }

    /// Runs in a task of its own so that it finishes, and leaves the map, even when every
    /// caller waiting on it has gone. The task stays in the first caller's span, so its calls to
    /// the store and to payment remain in that 결제하기's trace.
    fn start(self: &Arc<Self>, key: (CustomerId, String)) -> Shared<BoxFuture<'static, Outcome>> {
        let this = Arc::clone(self);
        let run = async move {
            let placed = this
                .check_and_prepare(key.0, &key.1)
                .await
                .map_err(Arc::new);
            this.in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
            placed
        };
        let task = tokio::spawn(run.instrument(tracing::Span::current()));
        async move {
            task.await.unwrap_or_else(|e| {
                Err(Arc::new(OrderError::Internal(format!(
                    "placement task: {e}"
                ))))
            })
        }
        .boxed()
        .shared()
    }

    async fn check_and_prepare(
        &self,
        customer: CustomerId,
        cart_id: &str,
    ) -> Result<Placed, OrderError> {
        let session = match self.carts.get(customer).await? {
            Some(session) if !session.cart.is_empty() => session,
            other => return Ok(refused(Refusal::CartEmpty, CART_EMPTY, other)),
        };
        if session.cart.id.to_string() != cart_id {
            return Ok(refused(Refusal::CartChanged, CART_CHANGED, Some(session)));
        }
        let store = session.cart.store_id;
        let (day, menu) = tokio::join!(self.days.live(store), self.menus.get(store));
        let day = day?;
        let day_id = match day.id {
            Some(id) if domain::takes_orders(day.state) => id,
            _ => {
                let message = not_open_message(day.state);
                return Ok(refused(Refusal::StoreNotOpen, message, Some(session)));
            }
        };
        let Some(doc) = menu? else {
            let message = not_open_message(DayState::Closed);
            return Ok(refused(Refusal::StoreNotOpen, message, Some(session)));
        };
        match check_cart(&session, &doc.menu) {
            Check::Same => {}
            Check::Invalid(problem) => {
                let message = format!("{} 주문서를 고친 뒤 다시 결제해 주세요.", problem.message);
                return Ok(refused(Refusal::Invalid(problem), message, Some(session)));
            }
            Check::Repriced(lines) => {
                let update = self.carts.reprice(customer, session.cart.id, lines).await?;
                // Whatever happened to the cart meanwhile, the customer has to look again.
                let cart = update.session.or(Some(session));
                return Ok(refused(Refusal::CartChanged, REPRICED, cart));
            }
        }
        let total = session
            .priced_cart()
            .map_err(|e| OrderError::Internal(format!("pricing a stored cart: {e:?}")))?
            .total;
        let request = pay::PrepareRequest {
            order_id: OrderId::new().to_string(),
            customer_id: customer.to_string(),
            store_id: store.to_string(),
            amount: total.as_won(),
            item_name: item_name(&session),
            quantity: session.cart.lines.iter().map(|l| l.quantity).sum(),
            cart_id: cart_id.to_owned(),
            day_business_id: day_id.to_string(),
            tax_free_amount: 0,
        };
        let prepared = match self.payment.prepare(request).await {
            Ok(prepared) => prepared,
            Err(e) => {
                tracing::warn!(%customer, error = %e, "payment not prepared");
                return Ok(refused(
                    Refusal::PaymentUnavailable,
                    PAYMENT_UNAVAILABLE,
                    Some(session),
                ));
            }
        };
        if let Err(e) = self.carts.hold(customer, self.hold_cart).await {
            tracing::warn!(%customer, error = %e, "cart lifetime not extended for the payment");
        }
        tracing::info!(
            %customer,
            order_id = %prepared.order_id,
            amount = prepared.amount,
            reused = prepared.reused,
            "payment ready"
        );
        Ok(Placed::Ready {
            cart: session,
            prepared,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use domain::menu::{Category, MenuItem, MenuOption, Selection};
    use domain::{Cart, CategoryId, ItemId, Money, OptionId, SelectionId, StoreId};

    fn menu() -> Menu {
        let shot = MenuOption {
            id: OptionId::new(),
            name: "샷 추가".into(),
            price: Money::won(500),
            disabled: false,
            sold_out: false,
        };
        let shots = Selection {
            id: SelectionId::new(),
            name: "샷".into(),
            min: 0,
            max: 1,
            option_ids: vec![shot.id],
        };
        let americano = MenuItem {
            id: ItemId::new(),
            name: "아메리카노".into(),
            description: String::new(),
            price: Money::won(4_500),
            image_url: None,
            disabled: false,
            sold_out: false,
            selection_ids: vec![shots.id],
        };
        let latte = MenuItem {
            id: ItemId::new(),
            name: "라떼".into(),
            price: Money::won(5_000),
            selection_ids: vec![],
            ..americano.clone()
        };
        Menu {
            store_id: StoreId::new(),
            version: 1,
            categories: vec![Category {
                id: CategoryId::new(),
                name: "커피".into(),
                item_ids: vec![americano.id, latte.id],
            }],
            items: vec![americano, latte],
            selections: vec![shots],
            options: vec![shot],
        }
    }

    fn session(menu: &Menu) -> Session {
        let created = Utc.timestamp_millis_opt(1_740_000_000_000).unwrap();
        let mut cart = Cart::new(menu.store_id, created);
        let shot = menu.options[0].id;
        let first = cart.add(menu, menu.items[0].id, &[shot], 2).unwrap();
        let second = cart.add(menu, menu.items[1].id, &[], 1).unwrap();
        Session {
            cart,
            customer_id: CustomerId::new(),
            store_name: "카페".into(),
            updated_ms: 1_740_000_000_000,
            priced: vec![first, second],
        }
    }

    #[test]
    fn an_unchanged_menu_passes() {
        let menu = menu();
        assert_eq!(check_cart(&session(&menu), &menu), Check::Same);
    }

    #[test]
    fn a_renamed_item_still_passes_at_the_price_shown() {
        let mut menu = menu();
        let cart = session(&menu);
        menu.items[0].name = "아메리카노 (NEW)".into();
        assert_eq!(check_cart(&cart, &menu), Check::Same);
    }

    #[test]
    fn a_price_change_reprices_the_lines() {
        let mut menu = menu();
        let cart = session(&menu);
        menu.options[0].price = Money::won(700);
        let Check::Repriced(lines) = check_cart(&cart, &menu) else {
            panic!("expected a repricing")
        };
        assert_eq!(lines[0].line.unit_price, Money::won(5_200));
        assert_eq!(lines[0].line.line_total, Money::won(10_400));
        assert_eq!(lines[1], cart.priced[1]);
    }

    #[test]
    fn a_sold_out_item_is_a_problem_naming_it() {
        let mut menu = menu();
        let cart = session(&menu);
        menu.items[1].sold_out = true;
        let Check::Invalid(problem) = check_cart(&cart, &menu) else {
            panic!("expected a problem")
        };
        assert_eq!(problem.code, ProblemCode::ItemSoldOut);
        assert_eq!(problem.item_id, Some(menu.items[1].id));
        assert_eq!(problem.message, "'라떼'는 품절이에요.");
    }

    #[test]
    fn item_names_count_the_other_lines() {
        let menu = menu();
        let mut cart = session(&menu);
        assert_eq!(item_name(&cart), "아메리카노 외 1건");
        cart.priced.pop();
        assert_eq!(item_name(&cart), "아메리카노");
    }
}
