//! Newtype ids over UUID v7, so a store id can never be passed where an order
//! id is expected. The application makes every id (DESIGN §4).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A string that is not a valid id of the named kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {kind}: '{input}'")]
pub struct IdParseError {
    pub kind: &'static str,
    pub input: String,
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        // No `Default`: an id that silently appears from `default()` would hide bugs.
        #[allow(clippy::new_without_default)]
        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdParseError {
                    kind: stringify!($name),
                    input: s.chars().take(64).collect(),
                })
            }
        }
    )+};
}

ids!(
    StoreId,
    AccountId,
    /// One business day (영업일) of a store: a `day_business` row.
    BusinessDayId,
    CustomerId,
    OrderId,
    OrderItemId,
    /// A menu category (커피, 디저트).
    CategoryId,
    /// A menu item.
    ItemId,
    /// One option of an option group (샷 추가 → "1샷").
    OptionId,
    /// An option group (온도, 샷 추가) with its min/max rule.
    SelectionId,
    /// Groups option groups in the store's menu editor only.
    OptionCategoryId,
    /// One of a customer's 나만의 메뉴 (a saved item with its options).
    FavouriteId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_v7_and_distinct() {
        let a = OrderId::new();
        let b = OrderId::new();
        assert_ne!(a, b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn display_and_parse_round_trip() {
        let id = StoreId::new();
        let parsed: StoreId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
    }

    #[test]
    fn parse_error_names_the_kind() {
        let err = "not-a-uuid".parse::<ItemId>().unwrap_err();
        assert_eq!(err.kind, "ItemId");
        assert_eq!(err.to_string(), "malformed ItemId: 'not-a-uuid'");
    }

    #[test]
    fn serde_is_a_plain_uuid_string() {
        let uuid = Uuid::now_v7();
        let id = CustomerId::from(uuid);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{uuid}\""));
        let back: CustomerId = serde_json::from_str(&json).unwrap();
        assert_eq!(Uuid::from(back), uuid);
    }
}
