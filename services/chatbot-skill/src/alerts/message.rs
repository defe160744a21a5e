//! What the customer reads about their order, and the Event API request that carries it. Pure:
//! the consumer builds the request from an order event, and the `alert` skill draws the same
//! words from the block parameters when a request came without `text`.

use std::collections::BTreeMap;

use contracts::events::types;
use contracts::events::v1 as events;
use domain::Money;
use kakao::event_api::{Event, EventRequest, EventUser};
use prost::Message as _;

/// The order events that reach the customer, by their Open Builder event name (bot.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Placed,
    Accepted,
    Ready,
    Canceled,
    ApprovalFailed,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Placed,
        Kind::Accepted,
        Kind::Ready,
        Kind::Canceled,
        Kind::ApprovalFailed,
    ];

    /// The event name set on the alert block.
    pub const fn event_name(self) -> &'static str {
        match self {
            Kind::Placed => "order_placed",
            Kind::Accepted => "order_accepted",
            Kind::Ready => "order_ready",
            Kind::Canceled => "order_canceled",
            Kind::ApprovalFailed => "order_approval_failed",
        }
    }

    /// The stream entry's `type`.
    pub const fn event_type(self) -> &'static str {
        match self {
            Kind::Placed => types::ORDER_PLACED,
            Kind::Accepted => types::ORDER_ACCEPTED,
            Kind::Ready => types::ORDER_READY,
            Kind::Canceled => types::ORDER_CANCELED,
            Kind::ApprovalFailed => types::ORDER_APPROVAL_FAILED,
        }
    }

    pub fn from_event_type(event_type: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.event_type() == event_type)
    }

    pub fn from_event_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.event_name() == name)
    }
}

/// One alert, whatever the event it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alert {
    pub kind: Option<Kind>,
    pub order_id: String,
    pub bot_user_key: String,
    pub store_name: String,
    pub nickname: String,
    pub reason: String,
    /// KRW won given back; `None` when not known (the skill drawing from parameters).
    pub refunded_amount: Option<i64>,
    /// The promise of an accepted order: minutes, and the time in KST ("13:25").
    pub promise: Option<(u32, String)>,
}

#[derive(Debug, thiserror::Error)]
#[error("{event_type} is not a readable event: {source}")]
pub struct Unreadable {
    event_type: &'static str,
    source: prost::DecodeError,
}

impl Alert {
    /// The alert for an order event's protobuf `data`.
    pub fn decode(kind: Kind, data: &[u8]) -> Result<Alert, Unreadable> {
        let unreadable = |source| Unreadable {
            event_type: kind.event_type(),
            source,
        };
        let alert = match kind {
            Kind::Placed => {
                let e = events::OrderPlaced::decode(data).map_err(unreadable)?;
                Alert {
                    order_id: e.order_id,
                    bot_user_key: e.bot_user_key,
                    store_name: e.store_name,
                    nickname: e.nickname,
                    ..Alert::default()
                }
            }
            Kind::Accepted => {
                let e = events::OrderAccepted::decode(data).map_err(unreadable)?;
                Alert {
                    order_id: e.order_id,
                    bot_user_key: e.bot_user_key,
                    store_name: e.store_name,
                    nickname: e.nickname,
                    promise: e
                        .promised_at
                        .as_ref()
                        .and_then(kst_clock)
                        .map(|at| (e.prep_minutes, at)),
                    ..Alert::default()
                }
            }
            Kind::Ready => {
                let e = events::OrderReady::decode(data).map_err(unreadable)?;
                Alert {
                    order_id: e.order_id,
                    bot_user_key: e.bot_user_key,
                    store_name: e.store_name,
                    nickname: e.nickname,
                    ..Alert::default()
                }
            }
            Kind::Canceled => {
                let e = events::OrderCanceled::decode(data).map_err(unreadable)?;
                Alert {
                    order_id: e.order_id,
                    bot_user_key: e.bot_user_key,
                    store_name: e.store_name,
                    nickname: e.nickname,
                    reason: e.reason,
                    refunded_amount: Some(e.refunded_amount),
                    ..Alert::default()
                }
            }
            Kind::ApprovalFailed => {
                let e = events::OrderApprovalFailed::decode(data).map_err(unreadable)?;
                Alert {
                    order_id: e.order_id,
                    bot_user_key: e.bot_user_key,
                    store_name: e.store_name,
                    reason: e.reason,
                    refunded_amount: Some(e.refunded_amount),
                    ..Alert::default()
                }
            }
        };
        Ok(Alert {
            kind: Some(kind),
            ..alert
        })
    }

    /// The message, in the store's words where it gave any.
    pub fn text(&self) -> String {
        let store = clean(&self.store_name);
        let prefix = if store.is_empty() {
            String::new()
        } else {
            format!("[{store}] ")
        };
        let nickname = clean(&self.nickname);
        let reason = clean(&self.reason);
        let refunded =
            |amount: i64| format!("결제하신 {}은 카카오페이로 환불됩니다.", Money::won(amount));
        let body = match self.kind {
            Some(Kind::Placed) if nickname.is_empty() => {
                "결제가 완료되었어요. 매장에서 주문을 확인하면 알려 드릴게요.".to_owned()
            }
            Some(Kind::Placed) => format!(
                "결제가 완료되었어요 (닉네임: {nickname}). 매장에서 주문을 확인하면 알려 드릴게요."
            ),
            Some(Kind::Accepted) => match &self.promise {
                Some((minutes, at)) => {
                    format!("주문이 접수되었어요 · 약 {minutes}분 후 준비돼요 ({at})")
                }
                None => "주문이 접수되었어요. 준비되면 알려 드릴게요.".to_owned(),
            },
            Some(Kind::Ready) if nickname.is_empty() => {
                "주문하신 메뉴가 준비되었어요. 카운터에서 받아 가세요.".to_owned()
            }
            Some(Kind::Ready) => format!(
                "주문하신 메뉴가 준비되었어요. 카운터에서 '{nickname}'{} 찾아 주세요.",
                domain::korean::object(&nickname)
            ),
            Some(Kind::Canceled) => {
                let mut text = "주문이 취소되었어요.".to_owned();
                if !reason.is_empty() {
                    text.push_str(&format!("\n사유: {reason}"));
                }
                // A cancel is always refunded in full, so an unknown amount still gets the note.
                let refund = match self.refunded_amount {
                    Some(amount) if amount > 0 => refunded(amount),
                    _ => "결제하신 금액은 카카오페이로 환불됩니다.".to_owned(),
                };
                format!("{text}\n{refund}")
            }
            Some(Kind::ApprovalFailed) => {
                let reason = if reason.is_empty() {
                    "결제를 완료하지 못했어요."
                } else {
                    &reason
                };
                // Nothing may have been charged; the note only speaks of money that moved.
                let refund = match self.refunded_amount {
                    Some(amount) if amount > 0 => format!("\n{}", refunded(amount)),
                    Some(_) => String::new(),
                    None => "\n결제된 금액이 있다면 카카오페이로 환불됩니다.".to_owned(),
                };
                format!("주문이 접수되지 않았어요. {reason}{refund}")
            }
            None => "주문 알림이 도착했어요.".to_owned(),
        };
        format!("{prefix}{body}")
    }

    /// The Event API request for this alert. `event_id` travels along so that the `alert`
    /// skill, when Kakao runs the block, can record the delivery (see `alerts`).
    pub fn request(&self, event_id: &str) -> EventRequest {
        let text = self.text();
        let name = self.kind.map_or("", Kind::event_name);
        let mut params = BTreeMap::new();
        for (key, value) in [
            ("event", name),
            ("text", &text),
            ("store_name", &self.store_name),
            ("nickname", &self.nickname),
            ("reason", &self.reason),
            ("order_id", &self.order_id),
            ("event_id", event_id),
        ] {
            if !value.trim().is_empty() {
                params.insert(key.to_owned(), value.to_owned());
            }
        }
        EventRequest {
            event: Event::new(name)
                .data("text", text)
                .data("event_id", event_id)
                .data("order_id", self.order_id.clone()),
            user: vec![EventUser::bot_user_key(&self.bot_user_key)],
            params,
        }
    }
}

/// "13:25" in Korean time.
fn kst_clock(t: &prost_types::Timestamp) -> Option<String> {
    let utc = contracts::time::datetime(t)?;
    Some(utc.with_timezone(&domain::KST).format("%H:%M").to_string())
}

/// Names come from store staff and customers: one line, no surrounding space.
fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_types::Timestamp;

    fn placed() -> events::OrderPlaced {
        events::OrderPlaced {
            order_id: "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c".into(),
            bot_user_key: "user-1".into(),
            nickname: "민트".into(),
            store_name: "간편카페 강남점".into(),
            total: 12_000,
            placed_at: Some(Timestamp::default()),
            ..Default::default()
        }
    }

    #[test]
    fn every_order_event_reads_as_the_customer_expects() {
        let alert = Alert::decode(Kind::Placed, &placed().encode_to_vec()).unwrap();
        assert_eq!(
            alert.text(),
            "[간편카페 강남점] 결제가 완료되었어요 (닉네임: 민트). 매장에서 주문을 확인하면 알려 드릴게요."
        );

        let accepted = events::OrderAccepted {
            bot_user_key: "u".into(),
            store_name: "간편카페".into(),
            prep_minutes: 15,
            // 2024-06-12 04:25 UTC = 13:25 KST
            promised_at: Some(Timestamp {
                seconds: 1_718_166_300,
                nanos: 0,
            }),
            ..Default::default()
        };
        let alert = Alert::decode(Kind::Accepted, &accepted.encode_to_vec()).unwrap();
        assert_eq!(
            alert.text(),
            "[간편카페] 주문이 접수되었어요 · 약 15분 후 준비돼요 (13:25)"
        );
        alert.request("ev-2").check().unwrap();

        let ready = events::OrderReady {
            bot_user_key: "u".into(),
            nickname: "곰".into(),
            store_name: "간편카페".into(),
            ..Default::default()
        };
        let alert = Alert::decode(Kind::Ready, &ready.encode_to_vec()).unwrap();
        assert_eq!(
            alert.text(),
            "[간편카페] 주문하신 메뉴가 준비되었어요. 카운터에서 '곰'을 찾아 주세요."
        );

        let canceled = events::OrderCanceled {
            bot_user_key: "u".into(),
            reason: "재료 소진".into(),
            refunded_amount: 12_000,
            ..Default::default()
        };
        let alert = Alert::decode(Kind::Canceled, &canceled.encode_to_vec()).unwrap();
        assert_eq!(
            alert.text(),
            "주문이 취소되었어요.\n사유: 재료 소진\n결제하신 12,000원은 카카오페이로 환불됩니다."
        );

        let failed = events::OrderApprovalFailed {
            bot_user_key: "u".into(),
            store_name: "간편카페".into(),
            reason: "카드 한도를 넘었어요.".into(),
            refunded_amount: 0,
            ..Default::default()
        };
        let alert = Alert::decode(Kind::ApprovalFailed, &failed.encode_to_vec()).unwrap();
        assert_eq!(
            alert.text(),
            "[간편카페] 주문이 접수되지 않았어요. 카드 한도를 넘었어요."
        );
        let refunded = events::OrderApprovalFailed {
            refunded_amount: 4_500,
            reason: String::new(),
            ..failed
        };
        let alert = Alert::decode(Kind::ApprovalFailed, &refunded.encode_to_vec()).unwrap();
        assert_eq!(
            alert.text(),
            "[간편카페] 주문이 접수되지 않았어요. 결제를 완료하지 못했어요.\n결제하신 4,500원은 카카오페이로 환불됩니다."
        );
    }

    #[test]
    fn the_request_names_the_event_the_user_and_every_param() {
        let alert = Alert::decode(Kind::Placed, &placed().encode_to_vec()).unwrap();
        let v = serde_json::to_value(alert.request("ev-1")).unwrap();
        assert_eq!(v["event"]["name"], "order_placed");
        assert_eq!(v["event"]["data"]["text"], alert.text());
        assert_eq!(v["event"]["data"]["event_id"], "ev-1");
        assert_eq!(
            v["user"],
            serde_json::json!([{"type": "botUserKey", "id": "user-1"}])
        );
        assert_eq!(v["params"]["event"], "order_placed");
        assert_eq!(v["params"]["nickname"], "민트");
        assert_eq!(v["params"]["store_name"], "간편카페 강남점");
        assert_eq!(
            v["params"]["order_id"],
            "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5c"
        );
        assert_eq!(v["params"]["event_id"], "ev-1");
        assert!(
            v["params"].get("reason").is_none(),
            "empty params are left out"
        );
        alert.request("ev-1").check().unwrap();
    }

    #[test]
    fn event_types_and_names_map_both_ways() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_event_type(kind.event_type()), Some(kind));
            assert_eq!(Kind::from_event_name(kind.event_name()), Some(kind));
        }
        assert_eq!(Kind::from_event_type("store_day.entry"), None);
        assert!(Alert::decode(Kind::Ready, b"\xff\xff\xff").is_err());
    }
}
