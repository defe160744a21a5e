//! One customer, as Kakao and their phone's browser behave: skill webhooks with the SkillPayload
//! Kakao i Open Builder sends (담기 → 결제하기), the sandbox's KakaoPay payment page (승인), then
//! the redirect to the approval URL, reloaded a few times when it shows trouble.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context;
use kakao::skill::payload::{
    Action, Block, Bot, Intent, SkillPayload, User, UserProperties, UserRequest,
};
use serde_json::{Map, Value, json};

/// Kakao gives a skill 5 seconds; a little more before the customer sees an error.
const SKILL_TIMEOUT: Duration = Duration::from_secs(6);
/// The approval page waits for the order's outcome (10 s at most) before answering.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);
/// Reloads of a result page that shows trouble or no answer, as a customer would.
const RELOADS: usize = 4;

/// The step of the approval URL's result page.
pub const RESULT_STEP: &str = "결제 결과";

/// The same bot id the services answer for (the default `KAKAO_BOT_ID`).
pub const BOT_ID: &str = "sandbox-bot";

/// What a store sells, as the driver picks from it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub store_id: String,
    pub login: String,
    pub password: String,
    /// Items without option groups, so a tap on 담기 is a whole line.
    pub items: Vec<String>,
}

/// How an attempt ended for the customer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// The result page said the order was taken.
    Placed,
    /// The result page said the payment is being checked.
    Pending,
    /// A step failed where the customer sees it: which step and what they saw.
    Error { step: &'static str, seen: String },
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub scenario: String,
    pub store_id: String,
    /// Every KakaoPay payment (tid) the customer was offered; one unless requests were replayed.
    pub tids: BTreeSet<String>,
    pub outcome: Outcome,
    /// Every result page the customer saw, reloads included, at seconds since the start.
    pub pages: Vec<String>,
}

pub struct Customer {
    http: reqwest::Client,
    gateway: String,
    sandbox: String,
    key: String,
}

impl Customer {
    pub fn new(http: &reqwest::Client, gateway: &str, sandbox: &str) -> Customer {
        Customer {
            http: http.clone(),
            gateway: gateway.to_owned(),
            sandbox: sandbox.to_owned(),
            key: format!("chaos-{}", uuid::Uuid::now_v7().simple()),
        }
    }

    /// The SkillPayload of a block button tap, on the wire as Kakao sends it.
    pub fn payload(&self, skill: &str, utterance: &str, extra: Value) -> Vec<u8> {
        let client_extra: Map<String, Value> = extra.as_object().cloned().unwrap_or_default();
        let block = Block {
            id: format!("chaos-block-{skill}"),
            name: skill.to_owned(),
        };
        let payload = SkillPayload {
            intent: Intent {
                id: block.id.clone(),
                name: block.name.clone(),
                extra: Some(json!({ "reason": { "code": 1, "message": "OK" } })),
            },
            user_request: UserRequest {
                timezone: "Asia/Seoul".into(),
                block,
                utterance: utterance.to_owned(),
                lang: "ko".into(),
                params: BTreeMap::from([("surface".into(), "Kakaotalk.plusfriend".into())]),
                user: User {
                    id: self.key.clone(),
                    kind: "botUserKey".into(),
                    properties: UserProperties {
                        bot_user_key: Some(self.key.clone()),
                        bot_user_key_snake: Some(self.key.clone()),
                        plusfriend_user_key: Some(format!("pf-{}", self.key)),
                        plusfriend_user_key_snake: Some(format!("pf-{}", self.key)),
                        is_friend: Some(true),
                        ..UserProperties::default()
                    },
                },
                callback_url: None,
                chat: None,
            },
            bot: Bot {
                id: BOT_ID.into(),
                name: "간편주문".into(),
            },
            action: Action {
                id: format!("chaos-action-{skill}"),
                name: skill.to_owned(),
                client_extra,
                ..Action::default()
            },
            contexts: Vec::new(),
        };
        serde_json::to_vec(&payload).unwrap_or_default()
    }

    /// Posts a skill request: Kakao's answer, or what the customer would see instead.
    pub async fn post_skill(&self, skill: &str, body: Vec<u8>) -> Result<Value, String> {
        let response = self
            .http
            .post(format!("{}/kakao/skill/{skill}", self.gateway))
            .header("content-type", "application/json;charset=UTF-8")
            .timeout(SKILL_TIMEOUT)
            .body(body)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|_| format!("HTTP {status}, not a SkillResponse"))?;
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        Ok(body)
    }

    /// Taps 담기 on an item: the order sheet's 결제하기 button carries the cart version.
    pub async fn add(&self, store_id: &str, item_id: &str) -> Result<String, Outcome> {
        let body = self.payload(
            "cart-add",
            "담기",
            json!({ "store_id": store_id, "item_id": item_id, "quantity": 1, "option_ids": [] }),
        );
        let answer = self
            .post_skill("cart-add", body)
            .await
            .map_err(|seen| error("담기", seen))?;
        button(&answer, "결제하기")
            .and_then(|b| b["extra"]["cart_id"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| error("담기", said(&answer)))
    }

    /// The 결제하기 request for a cart version, as bytes, so it can be replayed exactly.
    pub fn pay_request(&self, cart_id: &str) -> Vec<u8> {
        self.payload("order", "결제하기", json!({ "cart_id": cart_id }))
    }

    /// Sends a 결제하기 request: the KakaoPay payment's tid from the 카카오페이 결제 link.
    pub async fn pay(&self, request: Vec<u8>) -> Result<String, Outcome> {
        let answer = self
            .post_skill("order", request)
            .await
            .map_err(|seen| error("결제하기", seen))?;
        button(&answer, "카카오페이 결제")
            .and_then(|b| b["webLinkUrl"].as_str())
            .and_then(|url| url.rsplit('/').next())
            .map(str::to_owned)
            .ok_or_else(|| error("결제하기", said(&answer)))
    }

    /// 승인 on the KakaoPay page: the approval URL KakaoPay redirects the browser to.
    pub async fn approve_on_page(&self, tid: &str) -> Result<String, Outcome> {
        let page = format!("{}/kakaopay/pay/{tid}", self.sandbox);
        let shown = self.http.get(&page).send().await;
        if !shown.is_ok_and(|r| r.status().is_success()) {
            return Err(error("카카오페이 결제창", "the page did not open".into()));
        }
        let response = self
            .http
            .post(format!("{page}/approve"))
            .send()
            .await
            .map_err(|e| error("카카오페이 승인", transport(&e)))?;
        response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| error("카카오페이 승인", format!("HTTP {}", response.status())))
    }

    /// Opens the approval URL, reloading while the page shows trouble; every page seen.
    pub async fn open_result(&self, url: &str) -> (Outcome, Vec<String>) {
        let started = std::time::Instant::now();
        let mut pages = Vec::new();
        let mut last = Outcome::Pending;
        for reload in 0..RELOADS {
            if reload > 0 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            last = self.result_once(url).await;
            pages.push(format!("{:.1}s {last:?}", started.elapsed().as_secs_f64()));
            if !matches!(&last, Outcome::Error { seen, .. } if seen.starts_with("trouble")) {
                break;
            }
        }
        (last, pages)
    }

    pub async fn result_once(&self, url: &str) -> Outcome {
        let response = match self.http.get(url).timeout(PAGE_TIMEOUT).send().await {
            Ok(response) => response,
            Err(e) => return error(RESULT_STEP, format!("trouble: {}", transport(&e))),
        };
        let status = response.status();
        let html = response.text().await.unwrap_or_default();
        let badge = between(&html, "<p class=\"badge\">", "</p>");
        let title = between(&html, "<h1>", "</h1>");
        match badge {
            "주문 접수" | "준비 완료" => Outcome::Placed,
            "확인 중" => Outcome::Pending,
            _ if status.is_server_error() => {
                error(RESULT_STEP, format!("trouble: HTTP {status} {title}"))
            }
            _ => error(RESULT_STEP, format!("{badge}: {title}")),
        }
    }
}

/// One whole order.
pub async fn order(customer: &Customer, shop: &Shop, item: &str, attempt: &mut Attempt) {
    let result: Result<Outcome, Outcome> = async {
        let cart = customer.add(&shop.store_id, item).await?;
        let tid = customer.pay(customer.pay_request(&cart)).await?;
        attempt.tids.insert(tid.clone());
        let approval = customer.approve_on_page(&tid).await?;
        let (outcome, pages) = customer.open_result(&approval).await;
        attempt.pages = pages;
        Ok(outcome)
    }
    .await;
    attempt.outcome = result.unwrap_or_else(|e| e);
}

fn error(step: &'static str, seen: String) -> Outcome {
    Outcome::Error { step, seen }
}

fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "connection refused".into()
    } else {
        "connection broken".into()
    }
}

/// The first text of an answer, which is what the customer reads when no button came.
fn said(answer: &Value) -> String {
    let outputs = &answer["template"]["outputs"];
    let text = outputs[0]["simpleText"]["text"]
        .as_str()
        .or(outputs[0]["textCard"]["title"].as_str())
        .or(outputs[0]["textCard"]["description"].as_str())
        .unwrap_or("an answer without the expected button");
    text.chars().take(40).collect()
}

/// The first button (or quick reply) anywhere in an answer whose label starts with `label`.
pub fn button<'a>(answer: &'a Value, label: &str) -> Option<&'a Value> {
    match answer {
        Value::Object(map) => {
            let labelled = map
                .get("label")
                .and_then(Value::as_str)
                .is_some_and(|l| l.starts_with(label));
            if labelled && map.contains_key("action") {
                return Some(answer);
            }
            map.values().find_map(|v| button(v, label))
        }
        Value::Array(items) => items.iter().find_map(|v| button(v, label)),
        _ => None,
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    text.split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map_or("", |(inside, _)| inside)
}

/// The menu's items that need no option choice.
pub fn simple_items(menu: &Value) -> anyhow::Result<Vec<String>> {
    let items: Vec<String> = menu["items"]
        .as_array()
        .context("menu items")?
        .iter()
        .filter(|i| i["selection_ids"].as_array().is_none_or(|s| s.is_empty()))
        .filter(|i| i["disabled"] != true && i["sold_out"] != true)
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(!items.is_empty(), "no item without options in {menu}");
    Ok(items)
}
