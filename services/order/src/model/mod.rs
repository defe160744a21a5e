//! The service's model: what carts, orders, customers and favourites are, below the logic that
//! changes them and the storage that keeps them (storage depends on the model, never the
//! reverse).

mod customer;
mod favourite;
mod order;
mod session;

pub use customer::Customer;
pub use favourite::Favourite;
pub use order::{Acceptance, BookedLine, BookedOrder, Order, PaymentRef, Snapshot, ledger};
pub use session::{CART_TTL, Session};
