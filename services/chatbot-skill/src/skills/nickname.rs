//! `nickname`: shows the name the counter calls, or sets it from the `nickname` parameter or
//! the rest of the utterance ("닉네임 설정 민트"). The order service judges the name; its
//! refusal is shown as it is.

use domain::input::NICKNAME_MAX_CHARS;
use kakao::SkillResponse;
use kakao::skill::response::LimitError;

use super::{Ctx, common, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

const HOW_TO: &str = "바꾸려면 '닉네임 설정 민트'처럼 보내 주세요.";

/// The name asked for, if any: a parameter may hold the whole utterance, so the block's
/// utterances are removed from it too.
pub fn wanted(payload: &kakao::SkillPayload, ob: &OpenBuilder) -> Option<String> {
    let prefixes = ob.utterances(Skill::Nickname);
    let from_param = input::text(payload, "nickname")
        .map(|p| input::rest_of_utterance(&p, prefixes))
        .filter(|n| !n.is_empty());
    from_param.or_else(|| {
        Some(input::rest_of_utterance(payload.utterance(), prefixes)).filter(|n| !n.is_empty())
    })
}

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    match wanted(ctx.payload, ctx.ob) {
        // The order service's own limit, told before asking it.
        Some(name) if name.chars().count() > NICKNAME_MAX_CHARS => Ok(render_refused(
            ctx.ob,
            &format!("닉네임은 {NICKNAME_MAX_CHARS}자까지 정할 수 있어요."),
        )?),
        Some(name) => match ctx.clients.set_nickname(customer_id, &name).await {
            Ok(customer) => Ok(render_set(ctx.ob, &customer.nickname)?),
            Err(e) => match e.invalid_argument() {
                Some(reason) => Ok(render_refused(ctx.ob, reason)?),
                None => Err(e),
            },
        },
        None => {
            let current = ctx.clients.nickname(customer_id).await?;
            Ok(render_current(ctx.ob, &current)?)
        }
    }
}

pub fn render_current(ob: &OpenBuilder, nickname: &str) -> Result<SkillResponse, LimitError> {
    let text = if nickname.trim().is_empty() {
        format!("아직 닉네임이 없어요. 주문할 때마다 자동으로 정해 드려요.\n{HOW_TO}")
    } else {
        format!(
            "지금 닉네임: {}\n매장 카운터에서 이 이름으로 불러 드려요.\n{HOW_TO}",
            nickname.trim()
        )
    };
    common::text(text, [common::find_stores(), common::home(ob)])
}

pub fn render_set(ob: &OpenBuilder, nickname: &str) -> Result<SkillResponse, LimitError> {
    let text = if nickname.trim().is_empty() {
        "닉네임을 지웠어요. 주문할 때마다 자동으로 정해 드려요.".to_owned()
    } else {
        format!(
            "닉네임을 정했어요: {}\n매장 카운터에서 이 이름으로 불러 드려요.",
            nickname.trim()
        )
    };
    common::text(text, [common::find_stores(), common::home(ob)])
}

pub fn render_refused(ob: &OpenBuilder, reason: &str) -> Result<SkillResponse, LimitError> {
    let reason = reason.trim();
    let reason = if reason.is_empty() {
        "쓸 수 없는 닉네임이에요."
    } else {
        reason
    };
    common::text(format!("{reason}\n{HOW_TO}"), [common::home(ob)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    #[test]
    fn the_wanted_name_comes_from_the_param_or_the_utterance() {
        let ob = ob();
        let w = |v| wanted(&serde_json::from_value(v).unwrap(), &ob);
        assert_eq!(
            w(json!({"userRequest": {"utterance": "닉네임 설정 민트"}})),
            Some("민트".into())
        );
        assert_eq!(w(json!({"userRequest": {"utterance": "닉네임"}})), None);
        assert_eq!(
            w(json!({"userRequest": {"utterance": "닉네임 보기"}})),
            None
        );
        assert_eq!(
            w(
                json!({"userRequest": {"utterance": "닉네임 설정 민트"}, "action": {"params": {"nickname": "닉네임 설정 민트"}}})
            ),
            Some("민트".into())
        );
        assert_eq!(
            w(
                json!({"userRequest": {"utterance": "닉네임 설정"}, "action": {"params": {"nickname": "라떼"}}})
            ),
            Some("라떼".into())
        );
    }

    #[test]
    fn every_answer_is_valid_and_says_what_happened() {
        let ob = ob();
        for (r, expected) in [
            (render_current(&ob, "민트"), "지금 닉네임: 민트"),
            (render_current(&ob, ""), "아직 닉네임이 없어요"),
            (render_set(&ob, "민트"), "닉네임을 정했어요: 민트"),
            (
                render_refused(&ob, "닉네임은 10자까지 쓸 수 있어요"),
                "10자까지",
            ),
        ] {
            let v = r.unwrap().to_value();
            kakao::validate(&v).unwrap();
            assert!(v.to_string().contains(expected), "{v}");
        }
    }
}
