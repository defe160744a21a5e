//! Pieces every skill's answer uses: prices, store states, navigation chips and the bubbles
//! for things that went wrong.

use contracts::common::v1::DayState;
use domain::Money;
use kakao::SkillResponse;
use kakao::skill::response::{BlockTarget, Button, LimitError, QuickReply, TextCard};

use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

pub const TRY_AGAIN: &str = "지금은 답을 드리기 어려워요. 잠시 후 다시 시도해 주세요.";

/// Utterances of bot.json that message chips send.
pub const SAY_HOME: &str = "처음으로";
pub const SAY_FIND_STORES: &str = "매장 찾기";
pub const SAY_RECENT_STORES: &str = "최근 매장";
pub const SAY_ORDERS: &str = "주문 내역";
pub const SAY_NICKNAME: &str = "닉네임";

/// "4,500원".
pub fn won(amount: i64) -> String {
    Money::won(amount).to_string()
}

/// "+500원" for an option's extra price, nothing when free.
pub fn extra_price(amount: i64) -> String {
    if amount == 0 {
        String::new()
    } else {
        format!(" +{}", won(amount))
    }
}

/// What a customer reads about a store's business day.
pub fn state_label(state: i32) -> &'static str {
    match DayState::try_from(state).unwrap_or(DayState::Closed) {
        DayState::Open => "영업 중",
        DayState::Break => "브레이크",
        DayState::Preparing => "영업 준비 중",
        DayState::Closing | DayState::Closed | DayState::Unspecified => "영업 종료",
    }
}

pub fn is_open(state: i32) -> bool {
    DayState::try_from(state) == Ok(DayState::Open)
}

pub fn home(ob: &OpenBuilder) -> QuickReply {
    QuickReply::block(SAY_HOME, ob.target(Skill::Welcome, SAY_HOME))
}

/// The answer when the customer's order sheet belongs to another store: `confirm` empties it and
/// adds what they asked for, or they look at the sheet first.
pub fn other_stores_sheet(
    ob: &OpenBuilder,
    question: String,
    confirm: BlockTarget,
) -> Result<SkillResponse, LimitError> {
    let card = TextCard::new("다른 매장의 주문서가 있어요", question)
        .button(Button::block("비우고 담기", confirm))?
        .button(Button::block(
            "주문서 보기",
            ob.target(Skill::Cart, "주문서 보기"),
        ))?;
    SkillResponse::from_output(card).quick_replies([home(ob)])
}

pub fn show_cart(ob: &OpenBuilder) -> QuickReply {
    QuickReply::block("주문서 보기", ob.target(Skill::Cart, "주문서 보기"))
}

pub fn find_stores() -> QuickReply {
    QuickReply::message(SAY_FIND_STORES)
}

pub fn recent_stores() -> QuickReply {
    QuickReply::message(SAY_RECENT_STORES)
}

/// A menu chip for one store.
pub fn store_menu(ob: &OpenBuilder, store_id: &str, label: &str) -> QuickReply {
    QuickReply::block(
        label,
        ob.target(Skill::Menu, label).extra("store_id", store_id),
    )
}

/// One text bubble with chips under it.
pub fn text(
    text: impl AsRef<str>,
    replies: impl IntoIterator<Item = QuickReply>,
) -> Result<SkillResponse, LimitError> {
    SkillResponse::simple_text(text).quick_replies(replies)
}

/// The answer to a timeout or an internal error: a friendly bubble and a chip that tries the
/// same thing again.
pub fn try_again(retry: Vec<QuickReply>, ob: &OpenBuilder) -> SkillResponse {
    let replies = retry.into_iter().chain([home(ob)]);
    text(TRY_AGAIN, replies).unwrap_or_else(|_| SkillResponse::simple_text(TRY_AGAIN))
}

/// A body that is not a skill payload at all.
pub fn unreadable(ob: &OpenBuilder) -> SkillResponse {
    let msg = "요청을 읽지 못했어요. 처음부터 다시 시작해 주세요.";
    text(msg, [home(ob)]).unwrap_or_else(|_| SkillResponse::simple_text(msg))
}

/// A caller that is not our bot (wrong secret or bot id): nothing else is said.
pub fn denied() -> SkillResponse {
    SkillResponse::simple_text("이 챗봇에서만 사용할 수 있는 기능이에요.")
}

pub fn unknown_skill(ob: &OpenBuilder) -> SkillResponse {
    let msg = "아직 없는 기능이에요. 처음 화면에서 다시 골라 주세요.";
    text(msg, [home(ob)]).unwrap_or_else(|_| SkillResponse::simple_text(msg))
}

pub fn no_user(ob: &OpenBuilder) -> SkillResponse {
    let msg = "카카오톡 사용자 정보를 확인하지 못했어요. 잠시 후 다시 시도해 주세요.";
    text(msg, [home(ob)]).unwrap_or_else(|_| SkillResponse::simple_text(msg))
}

/// No store chosen yet: send the customer to find one.
pub fn pick_a_store_first() -> Result<SkillResponse, LimitError> {
    text(
        "먼저 매장을 골라 주세요. '매장 찾기 간편카페'처럼 이름으로 찾을 수 있어요.",
        [find_stores(), recent_stores()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_states_read_in_korean() {
        assert_eq!(won(4500), "4,500원");
        assert_eq!(extra_price(0), "");
        assert_eq!(extra_price(500), " +500원");
        assert_eq!(state_label(DayState::Open as i32), "영업 중");
        assert_eq!(state_label(DayState::Break as i32), "브레이크");
        assert_eq!(state_label(DayState::Closing as i32), "영업 종료");
        assert_eq!(state_label(DayState::Closed as i32), "영업 종료");
        assert_eq!(state_label(99), "영업 종료");
        assert!(is_open(DayState::Open as i32));
        assert!(!is_open(DayState::Break as i32));
    }

    #[test]
    fn the_fallback_bubbles_are_valid_responses() {
        let ob = OpenBuilder::load(None).unwrap();
        let retry = QuickReply::message("다시 시도");
        for r in [
            try_again(vec![retry], &ob),
            try_again(Vec::new(), &ob),
            unreadable(&ob),
            denied(),
            unknown_skill(&ob),
            no_user(&ob),
            pick_a_store_first().unwrap(),
        ] {
            kakao::validate(&r.to_value()).unwrap();
        }
    }
}
