//! The sandbox's KakaoPay payment page (what `next_redirect_*_url` opens): Korean, one column,
//! thumb-sized buttons, because it opens inside KakaoTalk on a phone.

use chrono::{DateTime, Utc};
use domain::Money;
use kakao::pay::{PaymentMethodType, PaymentStatus, StatusClass};

use super::state::{Payment, kst};
use platform::web::escape_html as escape;

const STYLE: &str = "
body{margin:0;font-family:-apple-system,'Apple SD Gothic Neo','Noto Sans KR',sans-serif;background:#f5f5f5;color:#191919}
main{max-width:420px;margin:0 auto;padding:24px 20px;background:#fff;min-height:100vh;box-sizing:border-box}
.brand{font-size:20px;font-weight:700;margin:0 0 24px}.brand b{background:#ffeb00;padding:0 4px;border-radius:4px}
.brand span{font-size:12px;font-weight:400;color:#888;margin-left:6px}
h1{font-size:18px;margin:0 0 8px}.amount{font-size:28px;font-weight:700;margin:0 0 20px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;font-size:14px;color:#555;margin:0 0 28px}dd{margin:0;word-break:break-all}
form{margin:0 0 10px}button{width:100%;padding:16px;font-size:17px;border:0;border-radius:12px;background:#eee;color:#191919}
button.approve{background:#ffeb00;font-weight:700}.note{font-size:12px;color:#999;margin-top:24px}
.notice{padding:16px;border-radius:12px;background:#f0f0f0;font-size:15px}a{color:#191919}";

pub fn payment(payment: &Payment, now: DateTime<Utc>) -> String {
    let tid = escape(&payment.tid);
    let summary = format!(
        "<h1>{}</h1><p class=\"amount\">{}</p><dl><dt>주문번호</dt><dd>{}</dd><dt>TID</dt><dd>{tid}</dd><dt>결제 기한</dt><dd>{}까지</dd></dl>",
        escape(&payment.item_name),
        Money::won(payment.amount.total),
        escape(&payment.partner_order_id),
        kst(payment.expires_at).format("%H:%M:%S"),
    );
    let body = if payment.expired {
        format!(
            "{summary}<p class=\"notice\">결제 시간이 지났습니다. 처음부터 다시 시도해 주세요.</p>\
             <p><a href=\"{}\">돌아가기</a></p>",
            escape(&payment.fail_url)
        )
    } else if payment.status.class() == StatusClass::Pending {
        let remaining = (payment.expires_at - now).num_seconds().max(0);
        let methods: String = [PaymentMethodType::Card, PaymentMethodType::Money]
            .into_iter()
            .filter(|m| payment.offered_method.as_ref().is_none_or(|only| only == m))
            .map(|m| {
                format!(
                    "<form method=\"post\" action=\"/kakaopay/pay/{tid}/approve?method={m}\">\
                     <button class=\"approve\">{}로 승인</button></form>",
                    method_name(&m)
                )
            })
            .collect();
        format!(
            "{summary}{methods}\
             <form method=\"post\" action=\"/kakaopay/pay/{tid}/cancel\"><button>취소</button></form>\
             <form method=\"post\" action=\"/kakaopay/pay/{tid}/fail\"><button>실패</button></form>\
             <p class=\"note\">남은 시간 약 {}분 {}초. 실제 결제가 일어나지 않는 개발용 화면입니다.</p>",
            remaining / 60,
            remaining % 60
        )
    } else {
        format!(
            "{summary}<p class=\"notice\">{}</p>",
            status_text(&payment.status)
        )
    };
    document("카카오페이 결제 (샌드박스)", &body)
}

pub fn not_found() -> String {
    document(
        "결제를 찾을 수 없습니다",
        "<p class=\"notice\">결제를 찾을 수 없습니다. 주소를 확인해 주세요.</p>",
    )
}

pub fn method_not_offered(method: &PaymentMethodType) -> String {
    document(
        "쓸 수 없는 결제 수단",
        &format!(
            "<p class=\"notice\">이 결제는 {}(으)로 결제할 수 없습니다.</p>",
            method_name(method)
        ),
    )
}

fn method_name(method: &PaymentMethodType) -> String {
    match method {
        PaymentMethodType::Card => "카드".to_owned(),
        PaymentMethodType::Money => "카카오페이머니".to_owned(),
        PaymentMethodType::Unknown(other) => escape(other),
    }
}

pub fn already_done(status: &PaymentStatus) -> String {
    document(
        "이미 처리된 결제",
        &format!("<p class=\"notice\">{}</p>", status_text(status)),
    )
}

fn status_text(status: &PaymentStatus) -> String {
    let text = match status.class() {
        StatusClass::Succeeded => "결제가 완료되었습니다.",
        StatusClass::PartlyCanceled => "결제가 일부 취소되었습니다.",
        StatusClass::Canceled => "결제가 취소(환불)되었습니다.",
        StatusClass::Failed => "결제가 중단되었습니다.",
        StatusClass::Pending => "결제가 진행 중입니다.",
    };
    format!("{text} (상태: {})", escape(status.as_str()))
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>\
         <p class=\"brand\">kakao<b>pay</b><span>샌드박스</span></p>{body}</main></body></html>",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<b>\"카페\" & 'x'</b>"),
            "&lt;b&gt;&quot;카페&quot; &amp; &#39;x&#39;&lt;/b&gt;"
        );
    }
}
