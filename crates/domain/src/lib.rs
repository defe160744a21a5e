//! The pure domain of SimpleOrder: ids, money, the business-day and order state
//! machines, the menu document and the cart rules. No I/O lives here, so every
//! rule can be unit-tested and shared by the services unchanged.

pub mod accept;
pub mod cart;
pub mod code;
pub mod day;
pub mod favourite;
pub mod ids;
pub mod input;
pub mod korean;
pub mod menu;
pub mod money;
pub mod order;

pub use accept::{AcceptSettings, BadPrepTime, PrepMinutes};
pub use cart::{
    Cart, CartError, CartId, CartIdParseError, CartLine, MAX_LINES, MAX_QUANTITY, OptionSnapshot,
    PricedCart, PricedCartLine, PricedLine, price, validate_line,
};
pub use code::UnknownCode;
pub use day::{
    CloseBlocker, DayAction, DayState, IllegalTransition, KST, allowed_actions, close_blocker,
    next, takes_orders,
};
pub use ids::{
    AccountId, BusinessDayId, CategoryId, CustomerId, FavouriteId, IdParseError, ItemId,
    OptionCategoryId, OptionId, OrderId, OrderItemId, SelectionId, StoreId,
};
pub use menu::{Category, Menu, MenuItem, MenuOption, Selection};
pub use money::{Money, MoneyOverflow};
pub use order::{
    CustomerCancelRefused, IllegalOrderTransition, OrderStatus, Transition, customer_cancel,
    transition,
};
