//! What an operator sees of one order in Jaeger or Tempo: the services export their spans to a
//! real OTLP receiver (an in-process gRPC server implementing the trace service), a customer
//! orders and pays through the chatbot and the sandbox's KakaoPay, and the received trace is
//! read as an operator would: which service made each span, what the spans are called, how they
//! chain from the 결제하기 webhook to the board's stream entry (and on to the customer's alert
//! through the Event API), how the store's cancel chains to the refund at KakaoPay, and that no
//! attribute holds a secret.
//!
//! The telemetry pipeline is installed once per process, and here it must point at the receiver
//! before any service starts: the test runs alone in a child process of the test binary.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use contracts::store::v1 as pb;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use platform::Service;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{System, TestDb, TestRedis};

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// One received span, flattened.
#[derive(Debug, Clone)]
struct Seen {
    service: String,
    /// The resource it was exported with.
    resource: HashMap<String, String>,
    name: String,
    kind: SpanKind,
    trace: Vec<u8>,
    id: Vec<u8>,
    parent: Vec<u8>,
    links: Vec<Vec<u8>>,
    attributes: HashMap<String, String>,
    /// Every key and value anywhere on the span: resource, attributes, events, links.
    everything: Vec<(String, String)>,
}

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn pairs(attributes: &[KeyValue]) -> impl Iterator<Item = (String, String)> + '_ {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), text(&kv.value)))
}

impl Receiver {
    fn spans(&self) -> Vec<Seen> {
        let mut seen = Vec::new();
        for request in self.0.lock().unwrap().iter() {
            for resource_spans in &request.resource_spans {
                let resource: Vec<(String, String)> = resource_spans
                    .resource
                    .as_ref()
                    .map(|r| pairs(&r.attributes).collect())
                    .unwrap_or_default();
                let service = resource
                    .iter()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                for scope in &resource_spans.scope_spans {
                    for span in &scope.spans {
                        let mut everything = resource.clone();
                        everything.extend(pairs(&span.attributes));
                        for event in &span.events {
                            everything.push(("event".into(), event.name.clone()));
                            everything.extend(pairs(&event.attributes));
                        }
                        for link in &span.links {
                            everything.extend(pairs(&link.attributes));
                        }
                        everything.push(("span.name".into(), span.name.clone()));
                        seen.push(Seen {
                            service: service.clone(),
                            resource: resource.iter().cloned().collect(),
                            name: span.name.clone(),
                            kind: span.kind(),
                            trace: span.trace_id.clone(),
                            id: span.span_id.clone(),
                            parent: span.parent_span_id.clone(),
                            links: span.links.iter().map(|l| l.trace_id.clone()).collect(),
                            attributes: pairs(&span.attributes).collect(),
                            everything,
                        });
                    }
                }
            }
        }
        seen
    }

    /// Flushes every service's exporter until `complete` finds, in the spans received so far,
    /// all it waits for (`None` while a span it looks for has not arrived), for at most 30
    /// seconds; answers the spans it found complete.
    async fn collect_until(
        &self,
        complete: impl Fn(&[Seen]) -> Option<bool>,
    ) -> anyhow::Result<Vec<Seen>> {
        let complete = &complete;
        testkit::eventually(Duration::from_secs(30), move || async move {
            tokio::task::spawn_blocking(platform::telemetry::shutdown)
                .await
                .ok()?;
            let spans = self.spans();
            complete(&spans)?.then_some(spans)
        })
        .await
    }
}

/// The span named `name`, made by `service`, of kind `kind`.
fn one<'a>(spans: &'a [Seen], service: &str, name: &str, kind: SpanKind) -> &'a Seen {
    let found: Vec<&Seen> = spans
        .iter()
        .filter(|s| s.name == name && s.service == service && s.kind == kind)
        .collect();
    assert!(
        !found.is_empty(),
        "no {kind:?} span {name:?} of {service}; spans: {:#?}",
        spans
            .iter()
            .map(|s| format!("{} {} {:?}", s.service, s.name, s.kind))
            .collect::<Vec<_>>()
    );
    found[0]
}

/// `span`, its parent, its parent's parent… up to the root of its trace.
fn ancestry<'a>(spans: &'a [Seen], span: &'a Seen) -> Vec<&'a Seen> {
    let mut chain = vec![span];
    let mut current = span;
    while !current.parent.is_empty() {
        match spans
            .iter()
            .find(|s| s.id == current.parent && s.trace == current.trace)
        {
            Some(parent) => {
                chain.push(parent);
                current = parent;
            }
            None => panic!(
                "{} ({}) has a parent that was never exported",
                current.name, current.service
            ),
        }
    }
    chain
}

/// Whether every ancestor of `span` has been exported: a parent ends after its children, so
/// under load it can reach the receiver a flush later than they do.
fn ancestry_complete(spans: &[Seen], span: &Seen) -> bool {
    let mut current = span;
    while !current.parent.is_empty() {
        match spans
            .iter()
            .find(|s| s.id == current.parent && s.trace == current.trace)
        {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    true
}

fn names(chain: &[&Seen]) -> Vec<String> {
    chain
        .iter()
        .rev()
        .map(|s| format!("{}: {}", s.service, s.name))
        .collect()
}

/// Asserts that `wanted` appear in `chain` (root first) in this order, maybe with others between;
/// service `*` is any service.
fn assert_in_order(chain: &[&Seen], wanted: &[(&str, &str)]) {
    let listed = names(chain);
    let mut at = 0;
    for (service, name) in wanted {
        let want = format!("{service}: {name}");
        let suffix = format!(": {name}");
        let matches = |n: &String| *n == want || (*service == "*" && n.ends_with(&suffix));
        match listed[at..].iter().position(matches) {
            Some(found) => at += found + 1,
            None => panic!("{want:?} is not in the chain, in order: {listed:#?}"),
        }
    }
}

async fn skill(
    http: &reqwest::Client,
    gateway: &str,
    bot_id: &str,
    user: &str,
    name: &str,
    utterance: &str,
    extra: Value,
) -> anyhow::Result<Value> {
    let payload = json!({
        "intent": {"id": format!("intent-{name}"), "name": name},
        "userRequest": {
            "timezone": "Asia/Seoul",
            "params": {"surface": "Kakaotalk.plusfriend"},
            "block": {"id": format!("block-{name}"), "name": name},
            "utterance": utterance,
            "lang": "ko",
            "user": {
                "id": user,
                "type": "botUserKey",
                "properties": {"botUserKey": user, "isFriend": true}
            }
        },
        "bot": {"id": bot_id, "name": "간편주문"},
        "action": {
            "id": format!("action-{name}"),
            "name": name,
            "params": {},
            "detailParams": {},
            "clientExtra": extra
        }
    });
    let response = http
        .post(format!("{gateway}/kakao/skill/{name}"))
        .json(&payload)
        .send()
        .await?;
    anyhow::ensure!(response.status() == StatusCode::OK, "{name}: {response:?}");
    Ok(response.json().await?)
}

/// The first button anywhere in an answer whose label starts with `label`.
fn button<'a>(answer: &'a Value, label: &str) -> Option<&'a Value> {
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

#[test]
fn one_paid_order_is_one_readable_trace_from_the_skill_webhook_to_the_board() {
    testkit::run_alone("trace::the_trace_of_one_paid_order", &[]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "installs the telemetry pipeline: run alone by one_paid_order_is_one_readable_trace_from_the_skill_webhook_to_the_board"]
async fn the_trace_of_one_paid_order() -> anyhow::Result<()> {
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let collector = listener.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );

    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let demo = store::admin::load_demo(&db.pool).await?;
    let mut config = System::config(&db.url, &redis.url, &redis.prefix)?;
    config.otel_endpoint = Some(format!("http://{collector}"));
    let mut secrets = vec![
        config.kakao.kakaopay_secret_key.clone(),
        config.kakao.rest_api_key.clone(),
    ];
    for service in Service::ALL {
        if let Some((token, _)) = config.service_tokens.of(service) {
            secrets.push(token.to_owned());
        }
    }
    let system = System::start_with(
        crate::LAUNCH,
        &[
            Service::Gateway,
            Service::Store,
            Service::Order,
            Service::Payment,
            Service::ChatbotSkill,
            Service::KakaoSandbox,
        ],
        config,
    )
    .await?;
    let store_id = demo.store_id.to_string();
    for action in [pb::DayAction::Ready, pb::DayAction::Open] {
        let answer = system
            .store()
            .transition_day(pb::TransitionDayRequest {
                store_id: store_id.clone(),
                action: action as i32,
                account_id: String::new(),
            })
            .await?
            .into_inner();
        anyhow::ensure!(answer.refusal.is_none(), "{action:?}: {answer:?}");
    }

    // A customer orders a 아메리카노 through the chatbot and pays on the sandbox's KakaoPay.
    let menu = system
        .store()
        .get_menu(pb::GetMenuRequest {
            store_id: store_id.clone(),
        })
        .await?
        .into_inner()
        .menu
        .context("a menu")?;
    let item = menu
        .items
        .iter()
        .find(|i| i.name == "아메리카노")
        .context("아메리카노")?;
    let option = |name: &str| {
        menu.options
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.id.clone())
            .with_context(|| format!("option {name}"))
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let gateway = system.gateway_url();
    let bot_id = system.config.kakao.bot_id.clone();
    let user = format!("trace-{}", uuid::Uuid::now_v7().simple());
    let sheet = skill(
        &http,
        &gateway,
        &bot_id,
        &user,
        "cart-add",
        "담기",
        json!({
            "store_id": store_id,
            "item_id": item.id,
            "option_ids": [option("ICE")?, option("Large")?],
            "quantity": 1
        }),
    )
    .await?;
    let pay = button(&sheet, "결제하기").with_context(|| format!("no 결제하기 in {sheet}"))?;
    let cart_id = pay["extra"]["cart_id"].as_str().context("cart_id")?;
    let placed = skill(
        &http,
        &gateway,
        &bot_id,
        &user,
        "order",
        "결제하기",
        json!({ "cart_id": cart_id }),
    )
    .await?;
    let kakaopay = button(&placed, "카카오페이 결제")
        .with_context(|| format!("no KakaoPay button in {placed}"))?;
    let page = kakaopay["webLinkUrl"].as_str().context("webLinkUrl")?;
    let tid = page.rsplit('/').next().context("tid")?;
    let approved = http
        .post(format!(
            "{}/kakaopay/pay/{tid}/approve",
            system.sandbox_url()
        ))
        .send()
        .await?;
    anyhow::ensure!(approved.status() == StatusCode::SEE_OTHER, "{approved:?}");
    let approval_url = approved.headers()["location"].to_str()?.to_owned();
    let result = http.get(&approval_url).send().await?;
    anyhow::ensure!(result.status() == StatusCode::OK, "{result:?}");
    let token = approval_url
        .split("/approval/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .context("approval token")?
        .to_owned();
    let pg_token = approval_url
        .split("pg_token=")
        .nth(1)
        .context("pg_token")?
        .to_owned();

    // The board's stream entry is published by the relay after the PLACED transaction; the
    // spans arrive once flushed.
    let board_entry = "send x:store:{id}:{id}";
    let spans = receiver
        .collect_until(|spans| {
            let approve_call = spans
                .iter()
                .find(|s| s.name == "POST /online/v1/payment/approve")?;
            let ready = spans
                .iter()
                .find(|s| s.name == "POST /online/v1/payment/ready")?;
            let board = spans
                .iter()
                .find(|s| s.name == board_entry && s.trace == approve_call.trace)?;
            let alert = spans.iter().find(|s| {
                s.name == "POST /v2/bots/{botId}/talk" && s.trace == approve_call.trace
            })?;
            Some(
                [ready, board, alert]
                    .into_iter()
                    .all(|span| ancestry_complete(spans, span)),
            )
        })
        .await
        .with_context(|| {
            format!(
                "the approval and the board entry were not traced: {:#?}",
                receiver
                    .spans()
                    .iter()
                    .map(|s| format!("{} {}", s.service, s.name))
                    .collect::<Vec<_>>()
            )
        })?;

    // Each span is exported under the service that made it, with the deployment's resource.
    let services: HashSet<&str> = spans.iter().map(|s| s.service.as_str()).collect();
    for service in ["gateway", "chatbot-skill", "order", "payment", "store"] {
        assert!(services.contains(service), "{service} in {services:?}");
    }
    // Only this test's own gRPC calls (opening the day, reading the menu) belong to no service.
    let unattributed: Vec<&str> = spans
        .iter()
        .filter(|s| s.service == "simpleorder")
        .filter(|s| !(s.kind == SpanKind::Client && s.parent.is_empty()))
        .map(|s| s.name.as_str())
        .collect();
    assert!(
        unattributed.is_empty(),
        "spans of no service: {unattributed:?}"
    );
    for span in &spans {
        assert_eq!(
            span.resource["service.version"],
            env!("CARGO_PKG_VERSION"),
            "{}",
            span.name
        );
        assert_eq!(
            span.resource["deployment.environment"], "development",
            "{}",
            span.name
        );
    }
    let webhook = one(
        &spans,
        "gateway",
        "POST /kakao/skill/{name}",
        SpanKind::Server,
    );
    assert_eq!(webhook.attributes["http.request.method"], "POST");
    assert_eq!(webhook.attributes["http.route"], "/kakao/skill/{name}");
    assert_eq!(webhook.attributes["http.response.status_code"], "200");

    // The 결제하기 webhook's trace: gateway → chatbot → order → payment → KakaoPay ready.
    let ready = one(
        &spans,
        "payment",
        "POST /online/v1/payment/ready",
        SpanKind::Client,
    );
    assert_eq!(ready.attributes["http.response.status_code"], "200");
    let placing = ancestry(&spans, ready);
    assert_in_order(
        &placing,
        &[
            ("gateway", "POST /kakao/skill/{name}"),
            (
                "gateway",
                "simpleorder.chatbot.v1.ChatbotSkillService/Handle",
            ),
            (
                "chatbot-skill",
                "simpleorder.chatbot.v1.ChatbotSkillService/Handle",
            ),
            (
                "chatbot-skill",
                "simpleorder.order.v1.OrderService/PlaceOrder",
            ),
            ("order", "simpleorder.order.v1.OrderService/PlaceOrder"),
            ("order", "simpleorder.payment.v1.PaymentService/Prepare"),
            ("payment", "simpleorder.payment.v1.PaymentService/Prepare"),
            ("payment", "POST /online/v1/payment/ready"),
        ],
    );
    let rpc = one(
        &spans,
        "order",
        "simpleorder.order.v1.OrderService/PlaceOrder",
        SpanKind::Server,
    );
    assert_eq!(rpc.attributes["rpc.system"], "grpc");
    assert_eq!(
        rpc.attributes["rpc.service"],
        "simpleorder.order.v1.OrderService"
    );
    assert_eq!(rpc.attributes["rpc.method"], "PlaceOrder");
    assert_eq!(rpc.attributes["rpc.grpc.status_code"], "0");

    // The approval's trace, linked to the placing one: the approval URL → ApprovePayment → the
    // outbox entry published → the approval consumer → KakaoPay approve, and on to the PLACED
    // transaction's board entry.
    let kakaopay_approve = spans
        .iter()
        .find(|s| s.name == "POST /online/v1/payment/approve" && s.service == "payment")
        .context("KakaoPay approve")?;
    // The order's entry, not the day's `opened` one.
    let board = spans
        .iter()
        .find(|s| s.name == board_entry && s.trace == kakaopay_approve.trace)
        .context("the board entry's span in the approval's trace")?;
    assert_eq!(board.kind, SpanKind::Producer);
    assert_eq!(board.attributes["messaging.system"], "redis");
    let approval = ancestry(&spans, board);
    assert_in_order(
        &approval,
        &[
            ("gateway", "GET /pay/kakaopay/approval/{token}"),
            (
                "gateway",
                "simpleorder.order.v1.OrderService/ApprovePayment",
            ),
            ("order", "simpleorder.order.v1.OrderService/ApprovePayment"),
            // Whichever relay of the database published it.
            ("*", "send x:order:approval"),
            ("order", "process x:order:approval"),
            ("*", board_entry),
        ],
    );
    let approve_rpc = approval
        .iter()
        .find(|s| {
            s.name == "simpleorder.order.v1.OrderService/ApprovePayment" && s.service == "order"
        })
        .unwrap();
    assert!(
        approve_rpc.links.contains(&ready.trace),
        "ApprovePayment links to the trace of the webhook that placed the order"
    );
    let consumer = approval
        .iter()
        .find(|s| s.name == "process x:order:approval")
        .unwrap();
    assert_eq!(consumer.kind, SpanKind::Consumer);
    assert_eq!(
        consumer.attributes["messaging.consumer.group.name"],
        "order-approver"
    );
    assert!(
        consumer.links.contains(&consumer.trace),
        "linked to its producer"
    );
    assert_in_order(
        &ancestry(&spans, kakaopay_approve),
        &[
            ("order", "process x:order:approval"),
            ("order", "simpleorder.payment.v1.PaymentService/Approve"),
            ("payment", "simpleorder.payment.v1.PaymentService/Approve"),
            ("payment", "POST /online/v1/payment/approve"),
        ],
    );

    // The PLACED transaction's alert reaches the customer through the Event API, in the same
    // trace: the outbound call is a client span with its status and the path's template only.
    let talk = spans
        .iter()
        .find(|s| s.trace == board.trace && s.name == "POST /v2/bots/{botId}/talk")
        .context("the Event API call of the placed alert in the approval's trace")?;
    assert_eq!(talk.service, "chatbot-skill");
    assert_eq!(talk.kind, SpanKind::Client);
    assert_eq!(talk.attributes["http.response.status_code"], "200");
    assert_in_order(
        &ancestry(&spans, talk),
        &[
            ("gateway", "GET /pay/kakaopay/approval/{token}"),
            ("order", "process x:order:approval"),
            ("chatbot-skill", "POST /v2/bots/{botId}/talk"),
        ],
    );

    // Postgres work shows per statement, with its operation and table and nothing bound.
    let insert = spans
        .iter()
        .find(|s| s.trace == board.trace && s.name == "INSERT outbox")
        .context("the outbox insert of the approval")?;
    assert_eq!(insert.attributes["db.system.name"], "postgresql");
    assert_eq!(insert.attributes["db.collection.name"], "outbox");
    assert_eq!(insert.kind, SpanKind::Client);

    // Redis commands on the order path show too, by command name only.
    let redis = spans
        .iter()
        .find(|s| {
            s.trace == ready.trace
                && s.attributes.get("db.system.name").map(String::as_str) == Some("redis")
        })
        .context("a Redis span in the placing trace")?;
    assert_eq!(redis.kind, SpanKind::Client);

    // The store cancels the order on its board: one trace from the store API through the refund
    // at KakaoPay to the board's canceled entry.
    let login = http
        .post(format!("{gateway}/api/store/login"))
        .header("X-SimpleOrder-CSRF", "1")
        .json(
            &json!({ "login": store::admin::DEMO_LOGIN, "password": store::admin::DEMO_PASSWORD }),
        )
        .send()
        .await?;
    anyhow::ensure!(login.status() == StatusCode::OK, "{login:?}");
    let cookie = login.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let session = cookie
        .split_once('=')
        .map(|(_, id)| id.to_owned())
        .context("the session cookie")?;
    let order_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM customer_order")
        .fetch_one(&db.pool)
        .await?;
    let canceled = http
        .post(format!("{gateway}/api/store/orders/{order_id}/cancel"))
        .header("X-SimpleOrder-CSRF", "1")
        .header("Cookie", &cookie)
        .json(&json!({ "reason": "재료 소진" }))
        .send()
        .await?;
    anyhow::ensure!(canceled.status() == StatusCode::OK, "{canceled:?}");
    let kakaopay_cancel = "POST /online/v1/payment/cancel";
    let spans = receiver
        .collect_until(|spans| {
            let refund = spans.iter().find(|s| s.name == kakaopay_cancel)?;
            let board = spans
                .iter()
                .find(|s| s.name == board_entry && s.trace == refund.trace)?;
            Some(ancestry_complete(spans, refund) && ancestry_complete(spans, board))
        })
        .await
        .context("the cancel's refund and board entry were not traced")?;
    let refund = spans
        .iter()
        .find(|s| s.name == kakaopay_cancel)
        .context("KakaoPay cancel")?;
    assert_eq!(refund.service, "payment");
    assert_eq!(refund.attributes["http.response.status_code"], "200");
    assert_in_order(
        &ancestry(&spans, refund),
        &[
            ("gateway", "POST /api/store/orders/{id}/cancel"),
            ("gateway", "simpleorder.order.v1.OrderService/CancelOrder"),
            ("order", "simpleorder.order.v1.OrderService/CancelOrder"),
            ("order", "simpleorder.payment.v1.PaymentService/Cancel"),
            ("payment", "simpleorder.payment.v1.PaymentService/Cancel"),
            ("payment", kakaopay_cancel),
        ],
    );
    let canceled_entry = spans
        .iter()
        .find(|s| s.name == board_entry && s.trace == refund.trace)
        .context("the board's canceled entry in the cancel's trace")?;
    assert_in_order(
        &ancestry(&spans, canceled_entry),
        &[
            ("gateway", "POST /api/store/orders/{id}/cancel"),
            ("order", "simpleorder.order.v1.OrderService/CancelOrder"),
            ("*", board_entry),
        ],
    );
    let mut by_service: std::collections::BTreeMap<&str, usize> = Default::default();
    for span in &spans {
        *by_service.entry(span.service.as_str()).or_default() += 1;
    }
    let traces: HashSet<&Vec<u8>> = spans.iter().map(|s| &s.trace).collect();
    let count = |trace: &Vec<u8>| spans.iter().filter(|s| &s.trace == trace).count();
    eprintln!(
        "received {} spans in {} traces, by service {by_service:?}; the placing trace has {} \
         spans, the approval's {}, the cancel's {}",
        spans.len(),
        traces.len(),
        count(&ready.trace),
        count(&board.trace),
        count(&refund.trace),
    );

    // No secret anywhere: not the tokens of this payment or the staff's session, not a key, and
    // no attribute that even names one.
    for span in &spans {
        for (key, value) in &span.everything {
            for secret in secrets.iter().chain([&token, &pg_token, &session]) {
                assert!(
                    !value.contains(secret.as_str()),
                    "{} ({}) holds a secret in {key}",
                    span.name,
                    span.service
                );
            }
            let key = key.to_ascii_lowercase();
            for word in [
                "token",
                "secret",
                "password",
                "card",
                "cookie",
                "authorization",
            ] {
                assert!(
                    !key.contains(word),
                    "{} ({}) has an attribute {key}",
                    span.name,
                    span.service
                );
            }
        }
    }
    Ok(())
}
