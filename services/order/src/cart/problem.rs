//! Why a cart change was refused, in the customer's words, with the ids it is about.

use domain::menu::Menu;
use domain::{CartError, ItemId, OptionId, SelectionId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    Unspecified,
    StoreNotFound,
    ItemNotFound,
    ItemDisabled,
    ItemSoldOut,
    OptionNotFound,
    OptionDisabled,
    OptionSoldOut,
    OptionNotInItem,
    SelectionMin,
    SelectionMax,
    BadQuantity,
    CartFull,
    DuplicateOption,
}

/// The option group a problem is about, with its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemGroup {
    pub id: SelectionId,
    pub name: String,
    pub min: u32,
    pub max: u32,
}

/// Why a change was refused: a Korean message ready to show and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
    pub item_id: Option<ItemId>,
    pub option_id: Option<OptionId>,
    pub group: Option<ProblemGroup>,
}

pub(super) fn store_not_found() -> Problem {
    Problem {
        code: ProblemCode::StoreNotFound,
        message: "가게를 찾을 수 없어요. 가게를 다시 골라 주세요.".to_owned(),
        item_id: None,
        option_id: None,
        group: None,
    }
}

/// Describes a refused line: the error's message, plus the ids of the item, option and option
/// group it names, looked up in the menu the line was checked against.
pub fn problem_of(
    menu: &Menu,
    item_id: ItemId,
    option_ids: &[OptionId],
    error: &CartError,
) -> Problem {
    let named_option = |name: &str| {
        option_ids
            .iter()
            .copied()
            .find(|&id| menu.option(id).is_some_and(|o| o.name == name))
    };
    let group = |name: &str| {
        let item = menu.item(item_id)?;
        let selection = menu.selections_of(item).find(|s| s.name == name)?;
        Some(selection)
    };
    let mut option_id = None;
    let mut selection = None;
    let code = match error {
        CartError::OtherStore { .. } | CartError::UnknownLine(_) | CartError::Overflow => {
            ProblemCode::Unspecified
        }
        CartError::UnknownItem(_) => ProblemCode::ItemNotFound,
        CartError::ItemUnavailable { .. } => ProblemCode::ItemDisabled,
        CartError::ItemSoldOut { .. } => ProblemCode::ItemSoldOut,
        CartError::UnknownOption(id) => {
            option_id = Some(*id);
            ProblemCode::OptionNotFound
        }
        CartError::OptionNotForItem { option, .. } => {
            option_id = named_option(option);
            ProblemCode::OptionNotInItem
        }
        CartError::OptionUnavailable { option } => {
            option_id = named_option(option);
            ProblemCode::OptionDisabled
        }
        CartError::OptionSoldOut { option } => {
            option_id = named_option(option);
            ProblemCode::OptionSoldOut
        }
        CartError::DuplicateOption { option } => {
            option_id = named_option(option);
            ProblemCode::DuplicateOption
        }
        CartError::ChooseExactly { group: name, count } => {
            selection = group(name);
            let chosen = selection.map_or(0, |s| {
                option_ids
                    .iter()
                    .filter(|id| s.option_ids.contains(id))
                    .count()
            });
            if u32::try_from(chosen).unwrap_or(u32::MAX) < *count {
                ProblemCode::SelectionMin
            } else {
                ProblemCode::SelectionMax
            }
        }
        CartError::TooFew { group: name, .. } => {
            selection = group(name);
            ProblemCode::SelectionMin
        }
        CartError::TooMany { group: name, .. } => {
            selection = group(name);
            ProblemCode::SelectionMax
        }
        CartError::InvalidQuantity { .. } => ProblemCode::BadQuantity,
        CartError::TooManyLines => ProblemCode::CartFull,
    };
    Problem {
        code,
        message: error.to_string(),
        item_id: Some(item_id),
        option_id,
        group: selection.map(|s| ProblemGroup {
            id: s.id,
            name: s.name.clone(),
            min: s.min,
            max: s.max,
        }),
    }
}
