//! `orders`: my orders and their status, or one order when `extra` names it. The reads belong
//! to a later issue; until the order service implements them the customer is told the list is
//! not available yet.

use chrono::{DateTime, FixedOffset};
use contracts::common::v1::{Cart, OrderStatus as ProtoStatus};
use contracts::order::v1::Order;
use domain::{OrderId, OrderStatus};
use kakao::SkillResponse;
use kakao::skill::response::{Button, Carousel, LimitError, SimpleText, TextCard};

use super::common::{self, won};
use super::{Ctx, Skill, cart, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;

const LIST_MAX: u32 = 10;
const KST_SECONDS: i32 = 9 * 3600;

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    if let Some(order_id) = input::id::<OrderId>(ctx.payload, "order_id") {
        return match ctx
            .clients
            .customer_order(customer_id, &order_id.to_string())
            .await
        {
            Ok(order) => Ok(render_one(ctx.ob, &order)?),
            Err(e) if e.is_unimplemented() => Ok(unavailable(ctx.ob)?),
            Err(e) if e.is_not_found() => Ok(common::text(
                "주문을 찾지 못했어요.",
                [common::home(ctx.ob)],
            )?),
            Err(e) => Err(e),
        };
    }
    match ctx.clients.customer_orders(customer_id, LIST_MAX).await {
        Ok(orders) => Ok(render_list(ctx.ob, &orders)?),
        Err(e) if e.is_unimplemented() => Ok(unavailable(ctx.ob)?),
        Err(e) => Err(e),
    }
}

pub fn unavailable(ob: &OpenBuilder) -> Result<SkillResponse, LimitError> {
    common::text(
        "아직 주문 내역을 볼 수 없어요. 곧 준비됩니다.",
        [common::show_cart(ob), common::home(ob)],
    )
}

fn status_label(status: i32) -> &'static str {
    let status = match ProtoStatus::try_from(status) {
        Ok(ProtoStatus::Approving) => OrderStatus::Approving,
        Ok(ProtoStatus::Placed) => OrderStatus::Placed,
        Ok(ProtoStatus::Ready) => OrderStatus::Ready,
        Ok(ProtoStatus::Canceled) => OrderStatus::Canceled,
        Ok(ProtoStatus::Failed) => OrderStatus::Failed,
        Ok(ProtoStatus::Unspecified) | Err(_) => return "확인 중",
    };
    status.label()
}

/// "6월 12일 13:05" in Korean time.
fn when(order: &Order) -> Option<String> {
    let t = order.placed_at.as_ref().or(order.created_at.as_ref())?;
    let utc = DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))?;
    let kst = utc.with_timezone(&FixedOffset::east_opt(KST_SECONDS)?);
    Some(kst.format("%-m월 %-d일 %H:%M").to_string())
}

pub fn render_list(ob: &OpenBuilder, orders: &[Order]) -> Result<SkillResponse, LimitError> {
    if orders.is_empty() {
        return common::text(
            "아직 주문 내역이 없어요. 매장을 찾아 첫 주문을 해 보세요.",
            [common::find_stores(), common::home(ob)],
        );
    }
    let cards = orders
        .iter()
        .take(LIST_MAX as usize)
        .map(|order| {
            let mut lines = Vec::new();
            lines.push(match when(order) {
                Some(at) => format!("{at} · {}", won(order.total)),
                None => won(order.total),
            });
            if let Some(first) = order.lines.first() {
                let more = order.lines.len() - 1;
                lines.push(if more > 0 {
                    format!("{} ×{} 외 {more}건", first.item_name, first.quantity)
                } else {
                    format!("{} ×{}", first.item_name, first.quantity)
                });
            }
            if !order.nickname.is_empty() {
                lines.push(format!("닉네임 {}", order.nickname));
            }
            TextCard::new(
                format!("{} · {}", order.store_name, status_label(order.status)),
                lines.join("\n"),
            )
            .button(Button::block(
                "자세히 보기",
                ob.target(Skill::Orders, "주문 자세히 보기")
                    .extra("order_id", order.order_id.clone()),
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    SkillResponse::from_output(SimpleText::new("최근 주문이에요."))
        .output(Carousel::new(cards)?)?
        .quick_replies([common::find_stores(), common::home(ob)])
}

pub fn render_one(ob: &OpenBuilder, order: &Order) -> Result<SkillResponse, LimitError> {
    let sheet = cart::sheet_text(&Cart {
        store_name: order.store_name.clone(),
        lines: order.lines.clone(),
        total: order.total,
        ..Cart::default()
    });
    let mut status = format!("상태: {}", status_label(order.status));
    if let Some(at) = when(order) {
        status.push_str(&format!("\n주문 시각: {at}"));
    }
    if !order.nickname.is_empty() {
        status.push_str(&format!("\n닉네임: {}", order.nickname));
    }
    for reason in [&order.cancel_reason, &order.failure_reason] {
        if !reason.trim().is_empty() {
            status.push_str(&format!("\n사유: {}", reason.trim()));
        }
    }
    if order.refunded_amount > 0 {
        status.push_str(&format!("\n환불: {}", won(order.refunded_amount)));
    }
    SkillResponse::from_output(SimpleText::new(sheet))
        .output(SimpleText::new(status))?
        .quick_replies([
            kakao::skill::response::QuickReply::message(common::SAY_ORDERS),
            common::home(ob),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::cart::fixture::cart;
    use super::*;
    use prost_types::Timestamp;

    fn order(status: ProtoStatus) -> Order {
        Order {
            order_id: "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c".into(),
            store_name: "간편카페 강남점".into(),
            status: status as i32,
            nickname: "민트".into(),
            lines: cart(2).lines,
            total: 20_000,
            // 2024-06-12 04:05 UTC = 13:05 KST
            placed_at: Some(Timestamp {
                seconds: 1_718_165_100,
                nanos: 0,
            }),
            ..Order::default()
        }
    }

    #[test]
    fn the_list_shows_store_status_time_and_total() {
        let ob = OpenBuilder::load(None).unwrap();
        let v = render_list(
            &ob,
            &[order(ProtoStatus::Ready), order(ProtoStatus::Placed)],
        )
        .unwrap()
        .to_value();
        kakao::validate(&v).unwrap();
        let cards = &v["template"]["outputs"][1]["carousel"]["items"];
        assert_eq!(cards[0]["title"], "간편카페 강남점 · 준비 완료");
        assert_eq!(
            cards[0]["description"],
            "6월 12일 13:05 · 20,000원\n아메리카노 ×2 외 1건\n닉네임 민트"
        );
        assert_eq!(cards[1]["title"], "간편카페 강남점 · 주문 접수");
        assert_eq!(
            cards[0]["buttons"][0]["extra"]["order_id"],
            "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c"
        );
    }

    #[test]
    fn no_orders_and_unavailable_reads_are_friendly() {
        let ob = OpenBuilder::load(None).unwrap();
        let v = render_list(&ob, &[]).unwrap().to_value();
        kakao::validate(&v).unwrap();
        assert!(v.to_string().contains("아직 주문 내역이 없어요"));
        kakao::validate(&unavailable(&ob).unwrap().to_value()).unwrap();
    }

    #[test]
    fn one_order_shows_its_lines_and_why_it_ended() {
        let ob = OpenBuilder::load(None).unwrap();
        let mut canceled = order(ProtoStatus::Canceled);
        canceled.cancel_reason = "재료 소진".into();
        canceled.refunded_amount = 20_000;
        let v = render_one(&ob, &canceled).unwrap().to_value();
        kakao::validate(&v).unwrap();
        let status = v["template"]["outputs"][1]["simpleText"]["text"]
            .as_str()
            .unwrap();
        assert!(status.contains("상태: 취소됨"));
        assert!(status.contains("사유: 재료 소진"));
        assert!(status.contains("환불: 20,000원"));
    }
}
