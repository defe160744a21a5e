//! 같은 메뉴 다시 담기: a past order's lines back into the customer's cart, through the cart's
//! own checks against today's menu and at today's prices. What the menu no longer allows is
//! left out and named in plain Korean.

use std::sync::Arc;

use contracts::common::v1 as common;
use domain::korean::{object, topic};
use domain::{CustomerId, OrderId};

use crate::cart::{AddLinesRequest, CartUpdate, Carts, LineRequest, Problem, ProblemCode};
use crate::error::OrderError;
use crate::read::{Reads, Scope};

/// A line of the past order that did not go in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOutLine {
    pub item_name: String,
    pub message: String,
    pub problem: Problem,
}

pub struct Reordered {
    pub update: CartUpdate,
    pub left_out: Vec<LeftOutLine>,
    pub store_id: String,
    pub store_name: String,
}

pub struct Reorders {
    pub reads: Arc<Reads>,
    pub carts: Arc<Carts>,
}

impl Reorders {
    pub async fn reorder(
        &self,
        customer: CustomerId,
        order: OrderId,
        expected: String,
        replace: bool,
    ) -> Result<Reordered, OrderError> {
        let scope = Scope {
            store: None,
            customer: Some(customer),
        };
        let past = self.reads.get(order, scope).await?;
        let unreadable = |what: &str| OrderError::Internal(format!("order {order}: bad {what}"));
        let lines = past
            .lines
            .iter()
            .map(|line| {
                Ok(LineRequest {
                    item_id: line.item_id.parse().map_err(|_| unreadable("item_id"))?,
                    option_ids: line
                        .options
                        .iter()
                        .map(|o| o.option_id.parse().map_err(|_| unreadable("option_id")))
                        .collect::<Result<_, _>>()?,
                    quantity: line.quantity,
                })
            })
            .collect::<Result<Vec<_>, OrderError>>()?;
        let request = AddLinesRequest {
            store_id: past.store_id.parse().map_err(|_| unreadable("store_id"))?,
            lines,
            expected,
            replace,
        };
        let (update, left_out) = self.carts.add_lines(customer, request).await?;
        let left_out = left_out
            .into_iter()
            .filter_map(|l| {
                let line = past.lines.get(l.index)?;
                Some(LeftOutLine {
                    item_name: line.item_name.clone(),
                    message: left_out_message(line, &l.problem),
                    problem: l.problem,
                })
            })
            .collect();
        Ok(Reordered {
            update,
            left_out,
            store_id: past.store_id,
            store_name: past.store_name,
        })
    }
}

/// Why a past line stayed out, naming the item and, when it is about one, the option (by the
/// name the customer saw when they ordered it).
pub fn left_out_message(line: &common::CartLine, problem: &Problem) -> String {
    let item = line.item_name.trim();
    let is = topic(item);
    let option = problem.option_id.and_then(|id| {
        let id = id.to_string();
        line.options
            .iter()
            .find(|o| o.option_id == id)
            .map(|o| o.name.trim())
    });
    match (problem.code, option) {
        (ProblemCode::ItemSoldOut, _) => format!("{item}{is} 품절이라 빼고 담았어요."),
        (ProblemCode::ItemNotFound | ProblemCode::ItemDisabled, _) => {
            format!("{item}{is} 지금 팔지 않아서 빼고 담았어요.")
        }
        (ProblemCode::OptionSoldOut, Some(option)) => {
            format!("{item}{is} '{option}' 옵션이 품절이라 빼고 담았어요.")
        }
        (ProblemCode::OptionSoldOut, None) => {
            format!("{item}{is} 고른 옵션이 품절이라 빼고 담았어요.")
        }
        (
            ProblemCode::OptionDisabled
            | ProblemCode::OptionNotFound
            | ProblemCode::OptionNotInItem,
            Some(option),
        ) => format!("{item}{is} '{option}' 옵션을 지금 고를 수 없어서 빼고 담았어요."),
        (
            ProblemCode::OptionDisabled
            | ProblemCode::OptionNotFound
            | ProblemCode::OptionNotInItem,
            None,
        ) => format!("{item}{is} 고른 옵션을 지금 고를 수 없어서 빼고 담았어요."),
        (
            ProblemCode::SelectionMin | ProblemCode::SelectionMax | ProblemCode::DuplicateOption,
            _,
        ) => format!("{item}{is} 옵션 구성이 바뀌어서 빼고 담았어요. 메뉴에서 다시 골라 주세요."),
        (ProblemCode::CartFull, _) => {
            format!("주문서가 가득 차서 {item}{} 담지 못했어요.", object(item))
        }
        (ProblemCode::BadQuantity, _) => {
            format!("{item}{is} 한 번에 담을 수 있는 수량을 넘어서 빼고 담았어요.")
        }
        (ProblemCode::Unspecified | ProblemCode::StoreNotFound, _) => {
            format!("{item}{is} 지금 담을 수 없어서 빼고 담았어요.")
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::{ItemId, OptionId};

    use super::*;

    fn line(item: &str, option: Option<(OptionId, &str)>) -> common::CartLine {
        common::CartLine {
            item_name: item.into(),
            options: option
                .map(|(id, name)| common::LineOption {
                    option_id: id.to_string(),
                    name: name.into(),
                    ..Default::default()
                })
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    fn problem(code: ProblemCode, option_id: Option<OptionId>) -> Problem {
        Problem {
            code,
            message: String::new(),
            item_id: Some(ItemId::new()),
            option_id,
            group: None,
        }
    }

    #[test]
    fn messages_name_the_item_and_the_option() {
        let shot = OptionId::new();
        let latte = line("카페라떼", None);
        let vanilla = line("바닐라라떼", Some((shot, "디카페인 샷")));
        assert_eq!(
            left_out_message(&latte, &problem(ProblemCode::ItemSoldOut, None)),
            "카페라떼는 품절이라 빼고 담았어요."
        );
        assert_eq!(
            left_out_message(
                &line("딸기 케이크", None),
                &problem(ProblemCode::ItemDisabled, None)
            ),
            "딸기 케이크는 지금 팔지 않아서 빼고 담았어요."
        );
        assert_eq!(
            left_out_message(&vanilla, &problem(ProblemCode::OptionDisabled, Some(shot))),
            "바닐라라떼는 '디카페인 샷' 옵션을 지금 고를 수 없어서 빼고 담았어요."
        );
        assert_eq!(
            left_out_message(&vanilla, &problem(ProblemCode::OptionSoldOut, Some(shot))),
            "바닐라라떼는 '디카페인 샷' 옵션이 품절이라 빼고 담았어요."
        );
        assert_eq!(
            left_out_message(&vanilla, &problem(ProblemCode::OptionNotFound, None)),
            "바닐라라떼는 고른 옵션을 지금 고를 수 없어서 빼고 담았어요."
        );
        assert_eq!(
            left_out_message(
                &line("아메리카노", None),
                &problem(ProblemCode::SelectionMin, None)
            ),
            "아메리카노는 옵션 구성이 바뀌어서 빼고 담았어요. 메뉴에서 다시 골라 주세요."
        );
        assert_eq!(
            left_out_message(&line("치즈빵", None), &problem(ProblemCode::CartFull, None)),
            "주문서가 가득 차서 치즈빵을 담지 못했어요."
        );
    }
}
