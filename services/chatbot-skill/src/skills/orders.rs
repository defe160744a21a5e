//! `orders`: my orders and their status, or one order when `extra` names it, with the promised
//! time and the place in line ("앞에 N건") as the order service counts them at this look. With
//! `action: cancel` the customer cancels the named order (취소하기 on its card), which only
//! works until the store accepted it. Every past order offers 같은 메뉴 다시 담기 (`reorder`).

use chrono::{DateTime, FixedOffset, Utc};
use contracts::common::v1::{Cart, OrderStatus as ProtoStatus};
use contracts::order::v1::Order;
use domain::{OrderId, OrderStatus};
use kakao::SkillResponse;
use kakao::skill::response::{Button, Carousel, LimitError, SimpleText, TextCard};

use super::common::{self, won};
use super::{Ctx, cart, input, reorder};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

const LIST_MAX: u32 = 10;
/// `action` of the 취소하기 button.
pub const CANCEL: &str = "cancel";

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    if let Some(order_id) = input::id::<OrderId>(ctx.payload, "order_id")
        && input::text(ctx.payload, "action").as_deref() == Some(CANCEL)
    {
        return cancel(ctx, &order_id.to_string()).await;
    }
    if let Some(order_id) = input::id::<OrderId>(ctx.payload, "order_id") {
        return match ctx
            .clients
            .customer_order(customer_id, &order_id.to_string())
            .await
        {
            Ok(order) => Ok(render_one(ctx.ob, &order, Utc::now())?),
            Err(e) if e.is_not_found() => Ok(common::text(
                "주문을 찾지 못했어요.",
                [common::home(ctx.ob)],
            )?),
            Err(e) => Err(e),
        };
    }
    let orders = ctx.clients.customer_orders(customer_id, LIST_MAX).await?;
    Ok(render_list(ctx.ob, &orders, Utc::now())?)
}

async fn cancel(ctx: &Ctx<'_>, order_id: &str) -> Result<SkillResponse, Error> {
    let customer_id = &ctx.customer.customer_id;
    let retry = || {
        kakao::skill::response::QuickReply::block(
            "주문 보기",
            ctx.ob
                .target(Skill::Orders, "주문 자세히 보기")
                .extra("order_id", order_id.to_owned()),
        )
    };
    match ctx
        .clients
        .cancel_customer_order(customer_id, order_id)
        .await
    {
        Ok(answer) => {
            let Some(order) = answer.order else {
                return Err(Error::Missing {
                    service: "order",
                    what: "order",
                });
            };
            Ok(canceled(ctx.ob, &order, answer.changed)?)
        }
        Err(e) if e.is_not_found() => Ok(common::text(
            "주문을 찾지 못했어요.",
            [common::home(ctx.ob)],
        )?),
        Err(e) if e.explained().is_some() => Ok(common::text(
            e.explained().unwrap_or_default(),
            [retry(), common::home(ctx.ob)],
        )?),
        // The refund goes on without us (the order service settles it); the order says how it
        // ended.
        Err(Error::Timeout { .. }) => Ok(common::text(
            "취소를 처리하고 있어요. 잠시 후 주문 내역에서 확인해 주세요.",
            [retry(), common::home(ctx.ob)],
        )?),
        Err(e) => Err(e),
    }
}

/// The answer to 취소하기: the refund, or that it was canceled already (a second tap).
pub fn canceled(
    ob: &OpenBuilder,
    order: &Order,
    changed: bool,
) -> Result<SkillResponse, LimitError> {
    let refund = if order.refunded_amount > 0 {
        format!(
            "결제하신 {}은 카카오페이로 환불됩니다.",
            won(order.refunded_amount)
        )
    } else {
        "결제하신 금액은 카카오페이로 환불됩니다.".to_owned()
    };
    let head = if changed {
        "주문을 취소했어요."
    } else {
        "이미 취소된 주문이에요."
    };
    common::text(
        format!("[{}] {head}\n{refund}", order.store_name),
        [
            common::store_menu(ob, &order.store_id, "메뉴 다시 보기"),
            kakao::skill::response::QuickReply::message(common::SAY_ORDERS),
            common::home(ob),
        ],
    )
}

fn status_of(order: &Order) -> Option<OrderStatus> {
    Some(match ProtoStatus::try_from(order.status) {
        Ok(ProtoStatus::Approving) => OrderStatus::Approving,
        Ok(ProtoStatus::Placed) => OrderStatus::Placed,
        Ok(ProtoStatus::Accepted) => OrderStatus::Accepted,
        Ok(ProtoStatus::Ready) => OrderStatus::Ready,
        Ok(ProtoStatus::Canceled) => OrderStatus::Canceled,
        Ok(ProtoStatus::Failed) => OrderStatus::Failed,
        Ok(ProtoStatus::Unspecified) | Err(_) => return None,
    })
}

fn kst(t: &prost_types::Timestamp) -> Option<DateTime<FixedOffset>> {
    Some(contracts::time::datetime(t)?.with_timezone(&domain::KST))
}

/// Where an open order stands: "약 12분 후 준비돼요 (13:25) · 앞에 2건"; `None` for the others.
pub fn place_in_line(order: &Order, now: DateTime<Utc>) -> Option<String> {
    let ahead = match order.ahead {
        0 => "바로 다음 차례".to_owned(),
        n => format!("앞에 {n}건"),
    };
    match status_of(order)? {
        OrderStatus::Placed => Some(format!("매장 확인 대기 · {ahead}")),
        OrderStatus::Accepted => {
            let promised = order.promised_at.as_ref()?;
            let at = kst(promised)?;
            let left = (promised.seconds - now.timestamp() + 59).div_euclid(60);
            let when = if left > 0 {
                format!("약 {left}분 후 준비돼요 ({})", at.format("%H:%M"))
            } else {
                format!("곧 준비돼요 ({} 예정)", at.format("%H:%M"))
            };
            Some(format!("{when} · {ahead}"))
        }
        _ => None,
    }
}

fn status_label(status: i32) -> &'static str {
    let status = match ProtoStatus::try_from(status) {
        Ok(ProtoStatus::Approving) => OrderStatus::Approving,
        Ok(ProtoStatus::Placed) => OrderStatus::Placed,
        Ok(ProtoStatus::Accepted) => OrderStatus::Accepted,
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
    Some(kst(t)?.format("%-m월 %-d일 %H:%M").to_string())
}

/// 같은 메뉴 다시 담기, on every past order with lines to take again.
fn reorder_button(ob: &OpenBuilder, order: &Order) -> Option<Button> {
    (!order.lines.is_empty())
        .then(|| Button::block(reorder::LABEL, reorder::target(ob, &order.order_id)))
}

pub fn render_list(
    ob: &OpenBuilder,
    orders: &[Order],
    now: DateTime<Utc>,
) -> Result<SkillResponse, LimitError> {
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
            if let Some(line) = place_in_line(order, now) {
                lines.push(line);
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
            .and_then(|card| match reorder_button(ob, order) {
                Some(button) => card.button(button),
                None => Ok(card),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    SkillResponse::from_output(SimpleText::new("최근 주문이에요."))
        .output(Carousel::new(cards)?)?
        .quick_replies([common::find_stores(), common::home(ob)])
}

pub fn render_one(
    ob: &OpenBuilder,
    order: &Order,
    now: DateTime<Utc>,
) -> Result<SkillResponse, LimitError> {
    let sheet = cart::sheet_text(&Cart {
        store_name: order.store_name.clone(),
        lines: order.lines.clone(),
        total: order.total,
        ..Cart::default()
    });
    let mut status = String::new();
    if let Some(line) = place_in_line(order, now) {
        status.push_str(&format!("{line}\n"));
    }
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
    let mut card = TextCard::new(
        format!("상태: {}", status_label(order.status)),
        status.trim(),
    );
    // Until the store accepts it, the customer may take it back.
    if status_of(order) == Some(OrderStatus::Placed) {
        card = card.button(Button::block(
            "취소하기",
            ob.target(Skill::Orders, "주문 취소하기")
                .extra("order_id", order.order_id.clone())
                .extra("action", CANCEL),
        ))?;
    }
    if let Some(button) = reorder_button(ob, order) {
        card = card.button(button)?;
    }
    SkillResponse::from_output(SimpleText::new(sheet))
        .output(card)?
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
            Utc::now(),
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
        assert_eq!(cards[1]["title"], "간편카페 강남점 · 접수 대기");
        assert!(
            cards[1]["description"]
                .as_str()
                .unwrap()
                .ends_with("매장 확인 대기 · 바로 다음 차례")
        );
        assert_eq!(
            cards[0]["buttons"][0]["extra"]["order_id"],
            "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c"
        );
        let again = &cards[0]["buttons"][1];
        assert_eq!(again["label"], "같은 메뉴 다시 담기");
        assert_eq!(again["blockId"], "blk_reorder");
        assert_eq!(
            again["extra"]["order_id"],
            "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c"
        );
    }

    #[test]
    fn no_orders_is_friendly() {
        let ob = OpenBuilder::load(None).unwrap();
        let v = render_list(&ob, &[], Utc::now()).unwrap().to_value();
        kakao::validate(&v).unwrap();
        assert!(v.to_string().contains("아직 주문 내역이 없어요"));
    }

    #[test]
    fn one_order_shows_its_lines_and_why_it_ended() {
        let ob = OpenBuilder::load(None).unwrap();
        let mut canceled = order(ProtoStatus::Canceled);
        canceled.cancel_reason = "재료 소진".into();
        canceled.refunded_amount = 20_000;
        let v = render_one(&ob, &canceled, Utc::now()).unwrap().to_value();
        kakao::validate(&v).unwrap();
        let card = &v["template"]["outputs"][1]["textCard"];
        assert_eq!(card["title"], "상태: 취소됨");
        let labels: Vec<&str> = card["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            ["같은 메뉴 다시 담기"],
            "a canceled order has no 취소하기, and may be ordered again"
        );
        let status = card["description"].as_str().unwrap();
        assert!(status.contains("사유: 재료 소진"));
        assert!(status.contains("환불: 20,000원"));
    }

    #[test]
    fn an_open_order_shows_its_promise_its_place_and_cancel_only_before_acceptance() {
        let ob = OpenBuilder::load(None).unwrap();
        let now = DateTime::from_timestamp(1_718_165_400, 0).unwrap(); // 13:10 KST
        let mut placed = order(ProtoStatus::Placed);
        placed.ahead = 3;
        let v = render_one(&ob, &placed, now).unwrap().to_value();
        kakao::validate(&v).unwrap();
        let card = &v["template"]["outputs"][1]["textCard"];
        assert_eq!(card["title"], "상태: 접수 대기");
        assert!(
            card["description"]
                .as_str()
                .unwrap()
                .starts_with("매장 확인 대기 · 앞에 3건\n")
        );
        let button = &card["buttons"][0];
        assert_eq!(button["label"], "취소하기");
        assert_eq!(button["extra"]["action"], CANCEL);
        assert_eq!(button["extra"]["order_id"], placed.order_id);

        let mut accepted = order(ProtoStatus::Accepted);
        accepted.ahead = 2;
        // promised 13:25 KST
        accepted.promised_at = Some(Timestamp {
            seconds: 1_718_166_300,
            nanos: 0,
        });
        let v = render_one(&ob, &accepted, now).unwrap().to_value();
        kakao::validate(&v).unwrap();
        let card = &v["template"]["outputs"][1]["textCard"];
        assert_eq!(card["title"], "상태: 준비 중");
        assert!(
            card["description"]
                .as_str()
                .unwrap()
                .starts_with("약 15분 후 준비돼요 (13:25) · 앞에 2건\n")
        );
        assert_eq!(
            card["buttons"].as_array().unwrap().len(),
            1,
            "only the store cancels now"
        );
        assert_eq!(card["buttons"][0]["label"], "같은 메뉴 다시 담기");

        let late = place_in_line(&accepted, now + chrono::Duration::minutes(20)).unwrap();
        assert_eq!(late, "곧 준비돼요 (13:25 예정) · 앞에 2건");
    }

    #[test]
    fn a_cancel_answers_the_refund_once_and_the_repeat_says_so() {
        let ob = OpenBuilder::load(None).unwrap();
        let mut order = order(ProtoStatus::Canceled);
        order.refunded_amount = 20_000;
        order.store_id = "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5d".into();
        let first = canceled(&ob, &order, true).unwrap().to_value();
        kakao::validate(&first).unwrap();
        assert_eq!(
            first["template"]["outputs"][0]["simpleText"]["text"],
            "[간편카페 강남점] 주문을 취소했어요.\n결제하신 20,000원은 카카오페이로 환불됩니다."
        );
        let again = canceled(&ob, &order, false).unwrap().to_value();
        kakao::validate(&again).unwrap();
        assert!(again.to_string().contains("이미 취소된 주문이에요."));
    }
}
