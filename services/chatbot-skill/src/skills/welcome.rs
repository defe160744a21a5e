//! `welcome`: the greeting and the ways in.

use contracts::order::v1::Customer;
use kakao::SkillResponse;
use kakao::skill::response::{LimitError, QuickReply};

use super::common::{self, SAY_NICKNAME, SAY_ORDERS};
use crate::openbuilder::OpenBuilder;

/// `customer` is `None` when the order service could not be asked: the greeting still works.
pub fn render(ob: &OpenBuilder, customer: Option<&Customer>) -> Result<SkillResponse, LimitError> {
    let hello = match customer.map(|c| c.nickname.trim()) {
        Some(nickname) if !nickname.is_empty() => format!("{nickname}님, 반가워요!"),
        _ => "안녕하세요, 간편주문이에요!".to_owned(),
    };
    let text = format!(
        "{hello}\n매장을 찾아 메뉴를 고르고 카카오페이로 결제하면, 준비되는 대로 알려 드려요. \
         카운터에서 닉네임으로 불러 드릴게요.\n\n'매장 찾기 간편카페'처럼 매장 이름으로 찾아 보세요."
    );
    common::text(
        text,
        [
            common::find_stores(),
            common::recent_stores(),
            common::show_cart(ob),
            QuickReply::message(SAY_ORDERS),
            QuickReply::message(SAY_NICKNAME),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_by_nickname_when_there_is_one() {
        let ob = OpenBuilder::load(None).unwrap();
        let customer = Customer {
            nickname: "민트".into(),
            ..Customer::default()
        };
        let r = render(&ob, Some(&customer)).unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        assert!(v.to_string().contains("민트님, 반가워요"));
        let anonymous = render(&ob, None).unwrap().to_value();
        assert!(anonymous.to_string().contains("간편주문이에요"));
        assert_eq!(r.quick_replies_ref().len(), 5);
    }
}
