//! What an edit request may ask, checked completely (pure, Korean messages) before anything
//! is written.

use std::collections::HashSet;
use std::hash::Hash;
use std::str::FromStr;

use contracts::store::v1 as pb;
use contracts::store::v1::edit_menu_request::Op;
use domain::{CategoryId, ItemId, OptionCategoryId, OptionId, SelectionId};
use uuid::Uuid;

use crate::error::StoreError;
use crate::storage::menu::{Entry, Link};

pub const NAME_MAX_CHARS: usize = 60;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const URL_MAX_CHARS: usize = 500;
pub const PRICE_MAX_WON: i64 = 10_000_000;
/// More choices than this in one option group is a typo, not a menu.
pub const SELECT_MAX: u32 = 50;
/// The longest ordered list one edit may set.
pub const LIST_MAX: usize = 500;

/// One validated menu edit; `None` ids create. Links and flags name rows of the table their
/// `link` or `entry` says, so their ids stay plain.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    UpsertCategory {
        id: Option<CategoryId>,
        name: String,
    },
    UpsertItem {
        id: Option<ItemId>,
        name: String,
        description: String,
        price: i64,
        image_url: Option<String>,
        category_ids: Vec<CategoryId>,
    },
    UpsertSelection {
        id: Option<SelectionId>,
        name: String,
        min: u32,
        max: u32,
    },
    UpsertOption {
        id: Option<OptionId>,
        name: String,
        price: i64,
        selection_ids: Vec<SelectionId>,
    },
    UpsertOptionCategory {
        id: Option<OptionCategoryId>,
        name: String,
        selection_ids: Vec<SelectionId>,
    },
    SetLinks {
        link: Link,
        owner: Uuid,
        members: Vec<Uuid>,
    },
    ReorderCategories {
        category_ids: Vec<CategoryId>,
    },
    SetDisabled {
        entry: Entry,
        id: Uuid,
        disabled: bool,
    },
    SetSoldOut {
        entry: Entry,
        id: Uuid,
        sold_out: bool,
    },
}

pub(super) fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

fn name(text: &str) -> Result<String, StoreError> {
    let trimmed = text.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(invalid("이름을 입력해 주세요"));
    }
    if chars > NAME_MAX_CHARS {
        return Err(invalid(format!(
            "이름은 {NAME_MAX_CHARS}자 이하로 입력해 주세요"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid("이름에 줄바꿈이나 제어 문자는 쓸 수 없습니다"));
    }
    Ok(trimmed.to_owned())
}

fn price(won: i64) -> Result<i64, StoreError> {
    if (0..=PRICE_MAX_WON).contains(&won) {
        Ok(won)
    } else {
        Err(invalid("가격은 0원 이상 10,000,000원 이하로 입력해 주세요"))
    }
}

fn description(text: &str) -> Result<String, StoreError> {
    let trimmed = text.trim();
    if trimmed.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(invalid(format!(
            "설명은 {DESCRIPTION_MAX_CHARS}자 이하로 입력해 주세요"
        )));
    }
    Ok(trimmed.to_owned())
}

fn image_url(text: &str) -> Result<Option<String>, StoreError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let lower = trimmed.to_ascii_lowercase();
    if trimmed.chars().count() > URL_MAX_CHARS
        || !(lower.starts_with("https://") || lower.starts_with("http://"))
        || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            "이미지 주소는 http:// 또는 https://로 시작하는 500자 이하의 주소여야 합니다",
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

fn id<T: FromStr>(text: &str) -> Result<T, StoreError> {
    text.trim()
        .parse()
        .map_err(|_| invalid("id 형식이 올바르지 않습니다"))
}

/// Empty means "create".
fn optional_id<T: FromStr>(text: &str) -> Result<Option<T>, StoreError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        id(text).map(Some)
    }
}

/// An ordered list of distinct ids.
fn id_list<T: FromStr + Eq + Hash>(texts: &[String]) -> Result<Vec<T>, StoreError> {
    if texts.len() > LIST_MAX {
        return Err(invalid(format!(
            "한 번에 {LIST_MAX}개까지만 지정할 수 있습니다"
        )));
    }
    let ids = texts.iter().map(|t| id(t)).collect::<Result<Vec<_>, _>>()?;
    let distinct: HashSet<&T> = ids.iter().collect();
    if distinct.len() != ids.len() {
        return Err(invalid("같은 항목이 두 번 들어 있습니다"));
    }
    Ok(ids)
}

fn min_max(min: u32, max: u32) -> Result<(u32, u32), StoreError> {
    if max == 0 {
        return Err(invalid("최대 선택 수는 1 이상이어야 합니다"));
    }
    if max > SELECT_MAX {
        return Err(invalid(format!(
            "최대 선택 수는 {SELECT_MAX} 이하여야 합니다"
        )));
    }
    if min > max {
        return Err(invalid("최소 선택 수는 최대 선택 수보다 클 수 없습니다"));
    }
    Ok((min, max))
}

fn entry(kind: i32) -> Result<Entry, StoreError> {
    match pb::MenuEntryKind::try_from(kind) {
        Ok(pb::MenuEntryKind::Item) => Ok(Entry::Item),
        Ok(pb::MenuEntryKind::Option) => Ok(Entry::Option),
        _ => Err(invalid("메뉴 또는 옵션 중 무엇을 바꿀지 지정해 주세요")),
    }
}

/// Checks an edit request completely, before anything is written.
pub fn validate(op: Option<&Op>) -> Result<Edit, StoreError> {
    let Some(op) = op else {
        return Err(invalid("바꿀 내용이 없습니다"));
    };
    Ok(match op {
        Op::UpsertCategory(c) => Edit::UpsertCategory {
            id: optional_id(&c.id)?,
            name: name(&c.name)?,
        },
        Op::UpsertItem(i) => Edit::UpsertItem {
            id: optional_id(&i.id)?,
            name: name(&i.name)?,
            description: description(&i.description)?,
            price: price(i.price)?,
            image_url: image_url(&i.image_url)?,
            category_ids: id_list(&i.category_ids)?,
        },
        Op::UpsertSelection(s) => {
            let (min, max) = min_max(s.min, s.max)?;
            Edit::UpsertSelection {
                id: optional_id(&s.id)?,
                name: name(&s.name)?,
                min,
                max,
            }
        }
        Op::UpsertOption(o) => Edit::UpsertOption {
            id: optional_id(&o.id)?,
            name: name(&o.name)?,
            price: price(o.price)?,
            selection_ids: id_list(&o.selection_ids)?,
        },
        Op::UpsertOptionCategory(c) => {
            if !c.option_ids.is_empty() {
                return Err(invalid(
                    "옵션 분류에는 옵션이 아니라 옵션 그룹을 담습니다 (selection_ids)",
                ));
            }
            Edit::UpsertOptionCategory {
                id: optional_id(&c.id)?,
                name: name(&c.name)?,
                selection_ids: id_list(&c.selection_ids)?,
            }
        }
        Op::SetCategoryItems(l) => Edit::SetLinks {
            link: Link::CategoryItems,
            owner: id(&l.category_id)?,
            members: id_list(&l.item_ids)?,
        },
        Op::SetItemSelections(l) => Edit::SetLinks {
            link: Link::ItemSelections,
            owner: id(&l.item_id)?,
            members: id_list(&l.selection_ids)?,
        },
        Op::SetSelectionOptions(l) => Edit::SetLinks {
            link: Link::SelectionOptions,
            owner: id(&l.selection_id)?,
            members: id_list(&l.option_ids)?,
        },
        Op::SetOptionCategorySelections(l) => Edit::SetLinks {
            link: Link::OptionCategorySelections,
            owner: id(&l.option_category_id)?,
            members: id_list(&l.selection_ids)?,
        },
        Op::ReorderCategories(r) => Edit::ReorderCategories {
            category_ids: id_list(&r.category_ids)?,
        },
        Op::SetDisabled(d) => Edit::SetDisabled {
            entry: entry(d.kind)?,
            id: id(&d.id)?,
            disabled: d.disabled,
        },
        Op::SetSoldOut(s) => Edit::SetSoldOut {
            entry: entry(s.kind)?,
            id: id(&s.id)?,
            sold_out: s.sold_out,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, price: i64) -> Op {
        Op::UpsertItem(pb::UpsertItem {
            name: name.into(),
            price,
            ..Default::default()
        })
    }

    fn message(r: Result<Edit, StoreError>) -> String {
        match r {
            Err(StoreError::Invalid(m)) => m,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn names_are_trimmed_required_and_bounded_in_characters() {
        let Edit::UpsertItem { name, .. } = validate(Some(&item("  아메리카노 ", 4_500))).unwrap()
        else {
            panic!("not an item");
        };
        assert_eq!(name, "아메리카노");
        assert!(message(validate(Some(&item("   ", 0)))).contains("이름"));
        assert!(validate(Some(&item(&"가".repeat(60), 0))).is_ok());
        assert!(message(validate(Some(&item(&"가".repeat(61), 0)))).contains("60자"));
        assert!(message(validate(Some(&item("라\n떼", 0)))).contains("줄바꿈"));
    }

    #[test]
    fn prices_are_between_zero_and_ten_million_won() {
        assert!(validate(Some(&item("물", 0))).is_ok());
        assert!(validate(Some(&item("코스", PRICE_MAX_WON))).is_ok());
        assert!(message(validate(Some(&item("환불", -1)))).contains("가격"));
        assert!(message(validate(Some(&item("황금", PRICE_MAX_WON + 1)))).contains("가격"));
        let option = Op::UpsertOption(pb::UpsertOption {
            name: "샷".into(),
            price: -500,
            ..Default::default()
        });
        assert!(message(validate(Some(&option))).contains("가격"));
    }

    #[test]
    fn option_groups_need_min_at_most_max_and_max_at_least_one() {
        let group = |min, max| {
            validate(Some(&Op::UpsertSelection(pb::UpsertSelection {
                name: "샷 추가".into(),
                min,
                max,
                ..Default::default()
            })))
        };
        assert!(group(0, 2).is_ok());
        assert!(group(1, 1).is_ok());
        assert!(message(group(2, 1)).contains("최소 선택 수"));
        assert!(message(group(0, 0)).contains("최대 선택 수"));
        assert!(message(group(0, SELECT_MAX + 1)).contains("최대 선택 수"));
    }

    #[test]
    fn ids_must_parse_and_lists_must_not_repeat() {
        let a = Uuid::now_v7().to_string();
        let ok = Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: Uuid::now_v7().to_string(),
            item_ids: vec![a.clone(), Uuid::now_v7().to_string()],
        });
        assert!(validate(Some(&ok)).is_ok());
        let repeated = Op::SetCategoryItems(pb::SetCategoryItems {
            category_id: Uuid::now_v7().to_string(),
            item_ids: vec![a.clone(), a],
        });
        assert!(message(validate(Some(&repeated))).contains("두 번"));
        let bad = Op::SetDisabled(pb::SetDisabled {
            kind: pb::MenuEntryKind::Item as i32,
            id: "item-1".into(),
            disabled: true,
        });
        assert!(message(validate(Some(&bad))).contains("id"));
        let no_kind = Op::SetSoldOut(pb::SetSoldOut {
            kind: 0,
            id: Uuid::now_v7().to_string(),
            sold_out: true,
        });
        assert!(validate(Some(&no_kind)).is_err());
        assert!(validate(None).is_err());
    }

    #[test]
    fn image_urls_are_web_addresses() {
        let with_url = |url: &str| {
            validate(Some(&Op::UpsertItem(pb::UpsertItem {
                name: "라떼".into(),
                image_url: url.into(),
                ..Default::default()
            })))
        };
        assert!(with_url("").is_ok());
        assert!(with_url("https://example.com/latte.png").is_ok());
        assert!(with_url("javascript:alert(1)").is_err());
        assert!(with_url("https://example.com/a b.png").is_err());
    }
}
