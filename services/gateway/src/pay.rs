//! The KakaoPay browser redirects (DESIGN §3), each answered with a Korean result page for a
//! phone screen:
//!
//! - `GET /pay/kakaopay/approval/{token}?pg_token=…`: the order service records the order and the
//!   page waits (bounded) for its outcome: placed (the nickname and how pickup works), failed
//!   (what happened and what to do), or still pending (the chatbot will tell);
//! - `GET /pay/kakaopay/cancel/{token}`, `GET /pay/kakaopay/fail/{token}`: the order service
//!   ends the attempt once KakaoPay confirms it, and the page says why.
//!
//! Repeating a URL (a refresh, a double tap) shows the same result and changes nothing. The
//! token is a secret: it is passed on, never logged. Pages are plain HTML with a stylesheet
//! file, under the gateway's default Content-Security-Policy.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use contracts::common::v1::OrderStatus;
use contracts::order::v1::{
    AbortKind, AbortOutcome, AbortPaymentRequest, ApprovalOutcome, ApprovePaymentRequest, Order,
    WaitOrderOutcomeRequest,
};

use crate::state::AppState;
use platform::web::escape_html as escape;

const PAY_CSS: &str = include_str!("../ui/pay.css");

/// How long the approval page waits for the order's outcome before it shows "pending".
const OUTCOME_WAIT: Duration = Duration::from_secs(5);
/// ApprovePayment may wait for a concurrent first visit (3 s) on top of its own work.
const APPROVE_DEADLINE: Duration = Duration::from_secs(8);
/// AbortPayment asks KakaoPay, with retries.
const ABORT_DEADLINE: Duration = Duration::from_secs(12);

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/pay/kakaopay/approval/{token}", get(approval))
        .route("/pay/kakaopay/cancel/{token}", get(cancel))
        .route("/pay/kakaopay/fail/{token}", get(fail))
        .with_state(state)
        .route("/ui/pay.css", get(css))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAY_CSS,
    )
        .into_response()
}

fn request<T>(message: T, deadline: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(deadline);
    request
}

async fn approval(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut order = state.order.clone();
    let approve = ApprovePaymentRequest {
        token,
        pg_token: query.get("pg_token").cloned().unwrap_or_default(),
    };
    let answer = match order
        .approve_payment(request(approve, APPROVE_DEADLINE))
        .await
    {
        Ok(answer) => answer.into_inner(),
        Err(status) => {
            tracing::warn!(code = ?status.code(), "approval callback failed");
            return trouble_page().render();
        }
    };
    match answer.outcome() {
        ApprovalOutcome::Accepted => {}
        ApprovalOutcome::InvalidToken => {
            return Page::failure(
                StatusCode::NOT_FOUND,
                "결제 정보를 찾을 수 없어요",
                &answer.message,
            )
            .render();
        }
        ApprovalOutcome::Expired => {
            return Page::failure(StatusCode::OK, "결제 시간이 지났어요", &answer.message).render();
        }
        ApprovalOutcome::Mismatch => {
            return Page::failure(StatusCode::OK, "주문서가 바뀌었어요", &answer.message).render();
        }
        ApprovalOutcome::StoreClosed => {
            return Page::failure(StatusCode::OK, "가게 영업이 끝났어요", &answer.message).render();
        }
        ApprovalOutcome::Unspecified => return trouble_page().render(),
    }
    let wait = WaitOrderOutcomeRequest {
        order_id: answer.order_id.clone(),
        wait_ms: u32::try_from(OUTCOME_WAIT.as_millis()).unwrap_or(u32::MAX),
    };
    let recorded = answer.order;
    let outcome = order
        .wait_order_outcome(request(wait, OUTCOME_WAIT + Duration::from_secs(2)))
        .await;
    let order = match outcome {
        Ok(outcome) => outcome.into_inner().order.or(recorded),
        Err(status) => {
            tracing::warn!(code = ?status.code(), order_id = %answer.order_id, "order outcome unknown");
            recorded
        }
    };
    order_page(order.as_ref()).render()
}

async fn cancel(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    abort(state, token, AbortKind::Cancel).await
}

async fn fail(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    abort(state, token, AbortKind::Fail).await
}

async fn abort(state: AppState, token: String, kind: AbortKind) -> Response {
    let mut order = state.order.clone();
    let abort = AbortPaymentRequest {
        token,
        kind: kind.into(),
    };
    let answer = match order.abort_payment(request(abort, ABORT_DEADLINE)).await {
        Ok(answer) => answer.into_inner(),
        Err(status) => {
            tracing::warn!(code = ?status.code(), ?kind, "payment abort failed");
            return trouble_page().render();
        }
    };
    let page = match answer.outcome() {
        AbortOutcome::Aborted if kind == AbortKind::Cancel => {
            Page::failure(StatusCode::OK, "결제를 취소했어요", &answer.message)
        }
        AbortOutcome::Aborted => {
            Page::failure(StatusCode::OK, "결제가 완료되지 않았어요", &answer.message)
        }
        AbortOutcome::AlreadyPaid => Page {
            tone: Tone::Success,
            badge: "결제 완료",
            ..Page::failure(StatusCode::OK, "이미 결제된 주문이에요", &answer.message)
        },
        AbortOutcome::Pending => Page {
            tone: Tone::Pending,
            badge: "확인 중",
            ..Page::failure(StatusCode::OK, "결제가 진행 중이에요", &answer.message)
        },
        AbortOutcome::InvalidToken => Page::failure(
            StatusCode::NOT_FOUND,
            "결제 정보를 찾을 수 없어요",
            &answer.message,
        ),
        AbortOutcome::Unspecified => trouble_page(),
    };
    page.render()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    Success,
    Pending,
    Failure,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Success => "success",
            Tone::Pending => "pending",
            Tone::Failure => "failure",
        }
    }
}

/// One result page.
#[derive(Debug, Clone)]
struct Page {
    status: StatusCode,
    tone: Tone,
    badge: &'static str,
    title: String,
    lead: String,
    nickname: Option<String>,
    order: Option<Order>,
    hints: Vec<String>,
}

impl Page {
    fn failure(status: StatusCode, title: &str, lead: &str) -> Page {
        Page {
            status,
            tone: Tone::Failure,
            badge: "주문 안 됨",
            title: title.to_owned(),
            lead: lead.to_owned(),
            nickname: None,
            order: None,
            hints: vec!["카카오톡 챗봇으로 돌아가 다시 주문할 수 있어요.".to_owned()],
        }
    }

    fn render(&self) -> Response {
        let mut response = (self.status, Html(self.html())).into_response();
        // A result page names an order and carries a payment token in its URL: keep it out of
        // caches and history sharing.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    fn html(&self) -> String {
        let mut body = String::new();
        let _ = write!(
            body,
            "<p class=\"badge\">{}</p>\n<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
            escape(self.badge),
            escape(&self.title),
            escape(&self.lead)
        );
        if let Some(nickname) = &self.nickname {
            let _ = writeln!(
                body,
                "<section class=\"nickname\" aria-label=\"픽업 닉네임\"><p>픽업 닉네임</p>\
                 <strong id=\"nickname\">{}</strong></section>",
                escape(nickname)
            );
        }
        if let Some(order) = &self.order {
            body.push_str(&order_summary(order));
        }
        if !self.hints.is_empty() {
            body.push_str("<ul class=\"hints\">\n");
            for hint in &self.hints {
                let _ = writeln!(body, "<li>{}</li>", escape(hint));
            }
            body.push_str("</ul>\n");
        }
        format!(
            "<!doctype html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex\">\n<title>{} · 간편주문</title>\n\
             <link rel=\"stylesheet\" href=\"/ui/pay.css\">\n</head>\n<body>\n\
             <main class=\"card {}\">\n{body}\
             <a class=\"button\" href=\"kakaotalk://inappbrowser/close\">카카오톡으로 돌아가기</a>\n\
             </main>\n</body>\n</html>\n",
            escape(&self.title),
            self.tone.class(),
        )
    }
}

/// The approval page once the order's outcome is known (or the wait ran out).
fn order_page(order: Option<&Order>) -> Page {
    let Some(order) = order else {
        return pending_page(None);
    };
    match order.status() {
        // Auto-accept may have accepted it before the page is drawn: the same news for the
        // customer, whose alert brings the promised time.
        OrderStatus::Placed | OrderStatus::Accepted => Page {
            status: StatusCode::OK,
            tone: Tone::Success,
            badge: "주문 접수",
            title: "주문이 접수되었어요".to_owned(),
            lead: format!("{}에 주문이 들어갔어요.", order.store_name),
            nickname: Some(order.nickname.clone()),
            order: Some(order.clone()),
            hints: vec![
                "메뉴가 준비되면 카운터에서 닉네임으로 불러 드려요.".to_owned(),
                "준비가 끝나면 카카오톡으로도 알려 드릴게요.".to_owned(),
                "주문 내역은 챗봇의 '주문 내역'에서 다시 볼 수 있어요.".to_owned(),
            ],
        },
        OrderStatus::Ready => Page {
            status: StatusCode::OK,
            tone: Tone::Success,
            badge: "준비 완료",
            title: "메뉴가 준비되었어요".to_owned(),
            lead: "카운터에서 닉네임을 말씀하고 받아 가세요.".to_owned(),
            nickname: Some(order.nickname.clone()),
            order: Some(order.clone()),
            hints: Vec::new(),
        },
        OrderStatus::Canceled => {
            let mut lead = "가게에서 주문을 취소했어요.".to_owned();
            if !order.cancel_reason.is_empty() {
                let _ = write!(lead, " 사유: {}", order.cancel_reason);
            }
            Page {
                order: Some(order.clone()),
                hints: vec![format!(
                    "결제한 {}원은 카카오페이로 돌려 드렸어요.",
                    won(order.refunded_amount)
                )],
                ..Page::failure(StatusCode::OK, "주문이 취소되었어요", &lead)
            }
        }
        OrderStatus::Failed => Page {
            order: Some(order.clone()),
            ..Page::failure(
                StatusCode::OK,
                "주문이 완료되지 않았어요",
                if order.failure_reason.is_empty() {
                    "결제를 승인하지 못했어요. 결제된 금액은 없어요."
                } else {
                    &order.failure_reason
                },
            )
        },
        OrderStatus::Approving | OrderStatus::Unspecified => pending_page(Some(order)),
    }
}

fn pending_page(order: Option<&Order>) -> Page {
    Page {
        status: StatusCode::OK,
        tone: Tone::Pending,
        badge: "확인 중",
        title: "결제를 확인하고 있어요".to_owned(),
        lead: "확인이 끝나면 결과를 챗봇으로 알려 드릴게요. 이 페이지는 닫아도 괜찮아요."
            .to_owned(),
        nickname: None,
        order: order.cloned(),
        hints: vec![
            "같은 결제가 두 번 청구되지 않아요.".to_owned(),
            "주문이 접수되지 않으면 결제는 자동으로 취소돼요.".to_owned(),
        ],
    }
}

fn trouble_page() -> Page {
    Page {
        status: StatusCode::SERVICE_UNAVAILABLE,
        tone: Tone::Pending,
        badge: "잠시만요",
        hints: vec![
            "이 페이지를 새로 고치면 다시 확인해요. 같은 결제가 두 번 청구되지 않아요.".to_owned(),
        ],
        ..Page::failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "결제 결과를 확인하지 못했어요",
            "일시적인 문제로 결제 결과를 불러오지 못했어요. 잠시 후 다시 시도해 주세요.",
        )
    }
}

fn order_summary(order: &Order) -> String {
    let mut html = String::from("<section class=\"order\" aria-label=\"주문 내역\">\n<ul>\n");
    for line in &order.lines {
        let options: Vec<&str> = line.options.iter().map(|o| o.name.as_str()).collect();
        let _ = write!(
            html,
            "<li><span class=\"item\">{} × {}</span><span class=\"price\">{}원</span>",
            escape(&line.item_name),
            line.quantity,
            won(line.line_total)
        );
        if !options.is_empty() {
            let _ = write!(html, "<small>{}</small>", escape(&options.join(", ")));
        }
        html.push_str("</li>\n");
    }
    let _ = write!(
        html,
        "</ul>\n<p class=\"total\"><span>합계</span><strong>{}원</strong></p>\n</section>\n",
        won(order.total)
    );
    html
}

/// "12,500"
fn won(amount: i64) -> String {
    domain::Money::won(amount)
        .to_string()
        .trim_end_matches('원')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::common::v1::{CartLine, LineOption};

    fn placed() -> Order {
        Order {
            order_id: "o1".into(),
            store_name: "카페 <b>".into(),
            status: OrderStatus::Placed.into(),
            nickname: "행복한 판다".into(),
            lines: vec![CartLine {
                item_name: "아메리카노".into(),
                quantity: 2,
                line_total: 11_000,
                options: vec![
                    LineOption {
                        name: "ICE".into(),
                        ..Default::default()
                    },
                    LineOption {
                        name: "Large".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
            total: 11_000,
            ..Default::default()
        }
    }

    #[test]
    fn a_placed_order_shows_its_nickname_lines_and_pickup() {
        let html = order_page(Some(&placed())).html();
        assert!(
            html.contains("<strong id=\"nickname\">행복한 판다</strong>"),
            "{html}"
        );
        assert!(html.contains("아메리카노 × 2"));
        assert!(html.contains("<small>ICE, Large</small>"));
        assert!(html.contains("11,000원"));
        assert!(html.contains("닉네임으로 불러 드려요"));
        assert!(
            html.contains("카페 &lt;b&gt;에 주문이 들어갔어요."),
            "{html}"
        );
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<style") && !html.contains("<script"));
    }

    #[test]
    fn a_failed_order_says_why_and_what_to_do() {
        let mut order = placed();
        order.status = OrderStatus::Failed.into();
        order.failure_reason = "카카오페이 계정이 잠겨 있어요.".into();
        let page = order_page(Some(&order));
        assert_eq!(page.tone, Tone::Failure);
        let html = page.html();
        assert!(html.contains("카카오페이 계정이 잠겨 있어요."));
        assert!(html.contains("다시 주문할 수 있어요"));
        assert!(!html.contains("id=\"nickname\""));
    }

    #[test]
    fn an_unsettled_order_is_pending() {
        let mut order = placed();
        order.status = OrderStatus::Approving.into();
        let page = order_page(Some(&order));
        assert_eq!(page.tone, Tone::Pending);
        assert!(page.html().contains("챗봇으로 알려 드릴게요"));
        assert_eq!(order_page(None).tone, Tone::Pending);
    }
}
