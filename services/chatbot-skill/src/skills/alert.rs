//! `alert`: the block the Event API runs to tell a customer about their order. Kakao hands the
//! event's parameters to the skill; this draws the bubble from them: `text` when given (the
//! alerts consumer always sends it), otherwise the message for the `event` name
//! (order_placed, order_ready, order_canceled, order_approval_failed) filled from
//! `store_name`, `nickname` and `reason`. An `order_id` adds a chip to that order. An
//! `event_id` is recorded as the alert's delivery receipt (see `alerts`).

use domain::OrderId;
use kakao::skill::response::{LimitError, QuickReply};
use kakao::{SkillPayload, SkillResponse};

use super::{Ctx, common, input};
use crate::alerts::message::{Alert, Kind};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    if let (Some(event_id), Some(user)) =
        (param(ctx.payload, "event_id"), ctx.payload.bot_user_key())
    {
        ctx.receipts.record(&event_id, user).await;
    }
    Ok(render(ctx.ob, ctx.payload)?)
}

/// A parameter of free text (messages may be longer than ids and names).
fn param(payload: &SkillPayload, key: &str) -> Option<String> {
    payload
        .param(key)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub fn message(payload: &SkillPayload) -> String {
    if let Some(text) = param(payload, "text") {
        return text;
    }
    let text = |key| param(payload, key).unwrap_or_default();
    Alert {
        kind: param(payload, "event").and_then(|e| Kind::from_event_name(&e)),
        store_name: text("store_name"),
        nickname: text("nickname"),
        reason: text("reason"),
        ..Alert::default()
    }
    .text()
}

pub fn render(ob: &OpenBuilder, payload: &SkillPayload) -> Result<SkillResponse, LimitError> {
    let order = input::id::<OrderId>(payload, "order_id").map(|id| {
        QuickReply::block(
            "주문 보기",
            ob.target(Skill::Orders, "주문 보기")
                .extra("order_id", id.to_string()),
        )
    });
    common::text(
        message(payload),
        order.into_iter().chain([common::home(ob)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(params: serde_json::Value) -> SkillPayload {
        serde_json::from_value(json!({"action": {"params": params}})).unwrap()
    }

    #[test]
    fn the_text_param_wins_then_the_event_decides() {
        assert_eq!(
            message(&payload(
                json!({"text": "직접 쓴 알림", "event": "order_ready"})
            )),
            "직접 쓴 알림"
        );
        assert_eq!(
            message(&payload(
                json!({"event": "order_ready", "store_name": "간편카페", "nickname": "민트"})
            )),
            "[간편카페] 주문하신 메뉴가 준비되었어요. 카운터에서 '민트'를 찾아 주세요."
        );
        assert_eq!(
            message(&payload(
                json!({"event": "order_canceled", "reason": "재료 소진"})
            )),
            "주문이 취소되었어요.\n사유: 재료 소진\n결제하신 금액은 카카오페이로 환불됩니다."
        );
        assert!(
            message(&payload(json!({"event": "order_placed"}))).contains("결제가 완료되었어요")
        );
        assert!(message(&payload(json!({"event": "order_accepted"}))).contains("접수되었어요"));
        assert!(
            message(&payload(json!({"event": "order_approval_failed"})))
                .contains("카카오페이로 환불됩니다")
        );
        assert_eq!(message(&payload(json!({}))), "주문 알림이 도착했어요.");
    }

    #[test]
    fn an_order_id_adds_a_chip_to_the_order() {
        let ob = OpenBuilder::load(None).unwrap();
        let id = OrderId::new().to_string();
        let v = render(
            &ob,
            &payload(json!({"event": "order_ready", "order_id": id})),
        )
        .unwrap()
        .to_value();
        kakao::validate(&v).unwrap();
        assert_eq!(v["template"]["quickReplies"][0]["extra"]["order_id"], id);
        assert_eq!(v["template"]["quickReplies"][0]["blockId"], "blk_orders");
    }
}
