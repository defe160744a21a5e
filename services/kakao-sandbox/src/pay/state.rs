//! The sandbox's KakaoPay: every payment (tid) and its status machine, in memory (reference
//! §2.2–2.9). READY → OPEN_PAYMENT (page shown) → AUTH_PASSWORD (the person chose to pay by card
//! or KakaoPay Money) → SUCCESS_PAYMENT (approve) → PART_CANCEL_PAYMENT / CANCEL_PAYMENT (cancel);
//! the person may instead quit (QUIT_PAYMENT) or fail (FAIL_PAYMENT), and an unapproved payment
//! expires when its window lapses. Ids look like the current API's (`T` and 19 hex digits), and
//! cancel answers carry no `aid`, as the current API's do. Pure: time comes in as `now`.
//!
//! Bounded: the sandbox keeps its most recent payments (`SANDBOX_KEEP`, [`crate::keep`]), so a
//! sandbox under a load test or left running for days does not grow without end. An older one
//! is dropped once its page can no longer be used (paid, ended, or its window lapsed).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use kakao::pay::{
    self, Amount, ApproveRequest, ApproveResponse, CancelRequest, CancelResponse, CardInfo,
    ErrorBody, ErrorExtras, OrderRequest, OrderResponse, PaymentActionDetail, PaymentActionType,
    PaymentMethodType, PaymentStatus, ReadyRequest, ReadyResponse, SelectedCardInfo, StatusClass,
    codes,
};
use rand::Rng;
use serde::Serialize;

/// Kakao's generic "bad parameter" code, for bodies that cannot be read at all.
pub const BAD_PARAMETER: i64 = -2;

/// A KakaoPay error answer: HTTP status and `{error_code, error_message, extras}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub http_status: u16,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(code: i64, message: &str) -> ApiError {
        let http_status = match code {
            codes::MISSING_AUTHORIZATION | codes::BAD_SECRET_KEY => 401,
            codes::API_NOT_REGISTERED => 403,
            codes::QUOTA_EXCEEDED => 429,
            codes::INTERNAL => 500,
            codes::MAINTENANCE => 503,
            _ => 400,
        };
        ApiError {
            http_status,
            body: ErrorBody::new(code, message),
        }
    }

    /// −780 with `extras.method_result_code`, as KakaoPay reports a card or bank refusal.
    pub fn approve_failed(method_result_code: &str, method_result_message: &str) -> ApiError {
        let mut error = ApiError::new(codes::APPROVE_FAILED, "approval failure!");
        error.body.extras = Some(ErrorExtras {
            method_result_code: Some(method_result_code.to_owned()),
            method_result_message: Some(method_result_message.to_owned()),
        });
        error
    }

    pub fn code(&self) -> i64 {
        self.body.error_code
    }
}

/// What the person chose on the payment page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Pay with this method (card unless ready allowed only KakaoPay Money): authenticated;
    /// approve is now allowed.
    Approve(Option<PaymentMethodType>),
    /// 취소: the person quit.
    Cancel,
    /// 실패: authentication or the payment failed.
    Fail,
}

impl Choice {
    /// `approve` (with `method` `CARD` or `MONEY`, or none), `cancel` or `fail`.
    pub fn parse(text: &str, method: Option<&str>) -> Option<Choice> {
        let method = match method.map(PaymentMethodType::from) {
            None => None,
            Some(PaymentMethodType::Unknown(_)) => return None,
            Some(known) => Some(known),
        };
        match text {
            "approve" => Some(Choice::Approve(method)),
            "cancel" => Some(Choice::Cancel),
            "fail" => Some(Choice::Fail),
            _ => None,
        }
    }
}

/// Why a page choice cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    UnknownTid,
    /// The payment is past the point where this choice makes sense.
    AlreadyDone(PaymentStatus),
    /// ready allowed only another method (`payment_method_type`).
    MethodNotOffered(PaymentMethodType),
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub tid: String,
    pub cid: String,
    pub partner_order_id: String,
    pub partner_user_id: String,
    pub item_name: String,
    pub item_code: Option<String>,
    pub quantity: i64,
    pub amount: Amount,
    pub approval_url: String,
    pub cancel_url: String,
    pub fail_url: String,
    /// The only method ready allowed, if it restricted them.
    pub offered_method: Option<PaymentMethodType>,
    /// What the person chose to pay with.
    pub method: Option<PaymentMethodType>,
    pub status: PaymentStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The window lapsed before approval.
    pub expired: bool,
    pub pg_token: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub canceled: Amount,
    pub canceled_at: Option<DateTime<Utc>>,
    pub actions: Vec<PaymentActionDetail>,
    pub approve_calls: u32,
    pub approvals: u32,
    pub cancel_calls: u32,
    pub cancels: u32,
    pub order_calls: u32,
}

/// What tests read: how often each call came and what money moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub tid: String,
    pub status: String,
    pub partner_order_id: String,
    pub partner_user_id: String,
    pub amount: i64,
    /// CARD or MONEY once the person chose.
    pub payment_method_type: Option<String>,
    pub approve_calls: u32,
    /// Approvals that took effect (at most 1).
    pub approvals: u32,
    pub cancel_calls: u32,
    /// Cancels that took effect.
    pub cancels: u32,
    pub order_calls: u32,
    pub approved_amount: i64,
    pub canceled_amount: i64,
    pub expired: bool,
    pub created_at: DateTime<Utc>,
}

/// Which KakaoPay call hit a tid (for the ledger's counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Approve,
    Order,
    Cancel,
}

#[derive(Debug)]
pub struct Payments {
    by_tid: HashMap<String, Payment>,
    /// Tids oldest first, the order they are dropped in.
    readied: VecDeque<String>,
    keep: usize,
    /// Payments dropped to stay within `keep`.
    pub dropped: u64,
    /// The payment window of payments readied from now on.
    pub window: Duration,
}

impl Payments {
    /// Payments with `window`, keeping the `keep` most recent (at least one).
    pub fn new(window: Duration, keep: usize) -> Payments {
        Payments {
            by_tid: HashMap::new(),
            readied: VecDeque::new(),
            keep: keep.max(1),
            dropped: 0,
            window,
        }
    }

    /// Drops the oldest payments beyond `keep`, but none whose page may still be used: the
    /// oldest is the first whose window lapses, so the rest wait for it.
    fn forget_old(&mut self, now: DateTime<Utc>) {
        while self.readied.len() > self.keep {
            let Some(oldest) = self.readied.front() else {
                return;
            };
            if let Some(payment) = self.by_tid.get_mut(oldest) {
                expire_if_due(payment, now);
                if payment.status.class() == StatusClass::Pending {
                    return;
                }
                self.by_tid.remove(oldest);
            }
            self.readied.pop_front();
            self.dropped += 1;
        }
    }

    /// `ready`: a new payment whose page is under `page_base` (e.g. `http://127.0.0.1:8090`).
    pub fn ready(
        &mut self,
        request: ReadyRequest,
        page_base: &str,
        now: DateTime<Utc>,
    ) -> Result<ReadyResponse, ApiError> {
        validate_ready(&request)?;
        let tid = loop {
            let tid = random_id('T');
            if !self.by_tid.contains_key(&tid) {
                break tid;
            }
        };
        let vat = request
            .vat_amount
            .unwrap_or_else(|| pay::default_vat(request.total_amount, request.tax_free_amount));
        let page = format!("{}/kakaopay/pay/{tid}", page_base.trim_end_matches('/'));
        let payment = Payment {
            tid: tid.clone(),
            cid: request.cid,
            partner_order_id: request.partner_order_id,
            partner_user_id: request.partner_user_id,
            item_name: request.item_name,
            item_code: request.item_code,
            quantity: request.quantity,
            amount: Amount {
                total: request.total_amount,
                tax_free: request.tax_free_amount,
                vat,
                green_deposit: request.green_deposit.unwrap_or_default(),
                ..Default::default()
            },
            approval_url: request.approval_url,
            cancel_url: request.cancel_url,
            fail_url: request.fail_url,
            offered_method: request.payment_method_type,
            method: None,
            status: PaymentStatus::Ready,
            created_at: now,
            expires_at: now + self.window,
            expired: false,
            pg_token: None,
            approved_at: None,
            canceled: Amount::default(),
            canceled_at: None,
            actions: Vec::new(),
            approve_calls: 0,
            approvals: 0,
            cancel_calls: 0,
            cancels: 0,
            order_calls: 0,
        };
        self.by_tid.insert(tid.clone(), payment);
        self.readied.push_back(tid.clone());
        self.forget_old(now);
        let scheme = format!("kakaotalk://kakaopay/pg?url={}", percent_encode(&page));
        Ok(ReadyResponse {
            tid,
            next_redirect_app_url: Some(format!("{page}?device=app")),
            next_redirect_mobile_url: Some(page.clone()),
            next_redirect_pc_url: Some(format!("{page}?device=pc")),
            android_app_scheme: Some(scheme.clone()),
            ios_app_scheme: Some(scheme),
            created_at: Some(kst(now)),
            tms_result: None,
        })
    }

    /// Counts a call that reached this tid, whatever came of it.
    pub fn count(&mut self, call: Counted, tid: &str) {
        if let Some(p) = self.by_tid.get_mut(tid) {
            match call {
                Counted::Approve => p.approve_calls += 1,
                Counted::Order => p.order_calls += 1,
                Counted::Cancel => p.cancel_calls += 1,
            }
        }
    }

    /// The payment, its window checked first.
    pub fn get(&mut self, tid: &str, now: DateTime<Utc>) -> Option<&Payment> {
        let payment = self.by_tid.get_mut(tid)?;
        expire_if_due(payment, now);
        Some(payment)
    }

    /// The payment page was shown.
    pub fn open(&mut self, tid: &str, now: DateTime<Utc>) -> Option<&Payment> {
        let payment = self.by_tid.get_mut(tid)?;
        expire_if_due(payment, now);
        if payment.status == PaymentStatus::Ready {
            payment.status = PaymentStatus::OpenPayment;
        }
        Some(payment)
    }

    /// The person's choice on the payment page; the URL the browser goes to next. Choosing
    /// again what was already chosen leads to the same place (a double tap, a reload).
    pub fn choose(
        &mut self,
        tid: &str,
        choice: Choice,
        now: DateTime<Utc>,
    ) -> Result<String, PageError> {
        let payment = self.by_tid.get_mut(tid).ok_or(PageError::UnknownTid)?;
        expire_if_due(payment, now);
        if payment.expired {
            return Ok(payment.fail_url.clone());
        }
        let before_auth = payment.status.class() == StatusClass::Pending
            && payment.status != PaymentStatus::AuthPassword;
        let done = || PageError::AlreadyDone(payment.status.clone());
        match choice {
            Choice::Approve(method) => {
                if before_auth {
                    let method = method
                        .or_else(|| payment.offered_method.clone())
                        .unwrap_or(PaymentMethodType::Card);
                    if let Some(offered) = &payment.offered_method
                        && *offered != method
                    {
                        return Err(PageError::MethodNotOffered(method));
                    }
                    payment.status = PaymentStatus::AuthPassword;
                    payment.method = Some(method);
                    payment.pg_token = Some(random_token());
                } else if payment.status != PaymentStatus::AuthPassword {
                    return Err(done());
                }
                let pg_token = payment.pg_token.clone().unwrap_or_default();
                let separator = if payment.approval_url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                Ok(format!(
                    "{}{separator}pg_token={pg_token}",
                    payment.approval_url
                ))
            }
            Choice::Cancel => {
                if payment.status.class() == StatusClass::Pending {
                    payment.status = PaymentStatus::QuitPayment;
                } else if payment.status != PaymentStatus::QuitPayment {
                    return Err(done());
                }
                Ok(payment.cancel_url.clone())
            }
            Choice::Fail => {
                if payment.status.class() == StatusClass::Pending {
                    payment.status = PaymentStatus::FailPayment;
                } else if payment.status != PaymentStatus::FailPayment {
                    return Err(done());
                }
                Ok(payment.fail_url.clone())
            }
        }
    }

    /// Ends the payment's window now (a test's shortcut for waiting 15 minutes).
    pub fn expire_now(&mut self, tid: &str, now: DateTime<Utc>) -> Option<&Payment> {
        let payment = self.by_tid.get_mut(tid)?;
        if payment.expires_at > now {
            payment.expires_at = now;
        }
        expire_if_due(payment, now);
        Some(payment)
    }

    /// `approve`; `charge` (a fault) approves another amount than ready's.
    pub fn approve(
        &mut self,
        request: &ApproveRequest,
        charge: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<ApproveResponse, ApiError> {
        let payment = self.lookup(&request.tid, &request.cid, now)?;
        if payment.expired {
            return Err(ApiError::new(
                codes::EXPIRED,
                "결제 만료 시간이 지났습니다.",
            ));
        }
        if request.partner_order_id != payment.partner_order_id {
            return Err(ApiError::new(
                codes::PARTNER_ORDER_ID_MISMATCH,
                "partner_order_id가 결제 준비 요청과 다릅니다.",
            ));
        }
        if request.partner_user_id != payment.partner_user_id {
            return Err(ApiError::new(
                codes::PARTNER_USER_ID_MISMATCH,
                "partner_user_id가 결제 준비 요청과 다릅니다.",
            ));
        }
        match payment.status.class() {
            StatusClass::Succeeded | StatusClass::PartlyCanceled | StatusClass::Canceled => {
                return Err(ApiError::new(
                    codes::ALREADY_APPROVED,
                    "이미 결제 완료된 TID입니다.",
                ));
            }
            StatusClass::Failed => {
                return Err(ApiError::new(
                    codes::NOT_APPROVABLE,
                    "승인할 수 없는 상태입니다.",
                ));
            }
            StatusClass::Pending if payment.status != PaymentStatus::AuthPassword => {
                return Err(ApiError::new(
                    codes::NOT_AUTHENTICATED_YET,
                    "사용자 인증이 완료되지 않았습니다.",
                ));
            }
            StatusClass::Pending => {}
        }
        if payment.pg_token.as_deref() != Some(request.pg_token.as_str()) {
            return Err(ApiError::new(
                codes::INVALID_PG_TOKEN,
                "pg_token이 올바르지 않습니다.",
            ));
        }
        if request
            .total_amount
            .is_some_and(|total| total != payment.amount.total)
        {
            return Err(ApiError::new(
                codes::BAD_AMOUNT,
                "결제 금액이 결제 준비 요청과 다릅니다.",
            ));
        }
        if let Some(total) = charge {
            let tax_free = payment.amount.tax_free.min(total);
            payment.amount = Amount {
                total,
                tax_free,
                vat: pay::default_vat(total, tax_free),
                ..payment.amount
            };
        }
        let aid = random_id('A');
        let method = payment.method.clone().unwrap_or(PaymentMethodType::Card);
        payment.status = PaymentStatus::SuccessPayment;
        payment.approved_at = Some(now);
        payment.approvals += 1;
        payment.actions.push(PaymentActionDetail {
            aid: aid.clone(),
            approved_at: Some(kst(now)),
            amount: payment.amount.total,
            payment_action_type: Some(PaymentActionType::Payment),
            payload: request.payload.clone(),
            ..Default::default()
        });
        Ok(ApproveResponse {
            aid,
            tid: payment.tid.clone(),
            cid: payment.cid.clone(),
            sid: None,
            partner_order_id: payment.partner_order_id.clone(),
            partner_user_id: payment.partner_user_id.clone(),
            card_info: (method == PaymentMethodType::Card).then(card_info),
            payment_method_type: Some(method),
            amount: payment.amount,
            item_name: payment.item_name.clone(),
            item_code: payment.item_code.clone(),
            quantity: Some(payment.quantity),
            created_at: Some(kst(payment.created_at)),
            approved_at: Some(kst(now)),
            payload: request.payload.clone(),
        })
    }

    /// `order`: the payment as KakaoPay sees it.
    pub fn order(
        &mut self,
        request: &OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<OrderResponse, ApiError> {
        let payment = self.lookup(&request.tid, &request.cid, now)?;
        let paid = payment.approved_at.is_some();
        let card = paid && payment.method == Some(PaymentMethodType::Card);
        Ok(OrderResponse {
            tid: payment.tid.clone(),
            cid: payment.cid.clone(),
            status: payment.status.clone(),
            partner_order_id: payment.partner_order_id.clone(),
            partner_user_id: payment.partner_user_id.clone(),
            payment_method_type: payment.method.clone().filter(|_| paid),
            amount: Some(payment.amount),
            canceled_amount: Some(payment.canceled),
            cancel_available_amount: Some(if paid {
                remaining(payment)
            } else {
                Amount::default()
            }),
            item_name: payment.item_name.clone(),
            item_code: payment.item_code.clone(),
            quantity: Some(payment.quantity),
            created_at: Some(kst(payment.created_at)),
            approved_at: payment.approved_at.map(kst),
            canceled_at: payment.canceled_at.map(kst),
            selected_card_info: card.then(|| SelectedCardInfo {
                card_bin: Some("536181".into()),
                install_month: Some(0),
                card_corp_name: Some("신한".into()),
                interest_free_install: Some("N".into()),
                installment_type: None,
            }),
            payment_action_details: payment.actions.clone(),
        })
    }

    /// `cancel`: a full or partial refund of a paid payment.
    pub fn cancel(
        &mut self,
        request: &CancelRequest,
        now: DateTime<Utc>,
    ) -> Result<CancelResponse, ApiError> {
        let payment = self.lookup(&request.tid, &request.cid, now)?;
        if !matches!(
            payment.status,
            PaymentStatus::SuccessPayment | PaymentStatus::PartCancelPayment
        ) {
            return Err(ApiError::new(
                codes::NOT_CANCELABLE,
                "취소할 수 없는 상태입니다.",
            ));
        }
        if request.cancel_amount <= 0
            || request.cancel_tax_free_amount < 0
            || request.cancel_tax_free_amount > request.cancel_amount
        {
            return Err(ApiError::new(
                codes::BAD_AMOUNT,
                "취소 금액이 올바르지 않습니다.",
            ));
        }
        let available = remaining(payment);
        if request.cancel_amount > payment.amount.total {
            return Err(ApiError::new(
                codes::CANCEL_OVER_APPROVED,
                "취소 금액이 승인 금액보다 큽니다.",
            ));
        }
        if request.cancel_amount > available.total
            || request
                .cancel_available_amount
                .is_some_and(|guard| guard != available.total)
        {
            return Err(ApiError::new(
                codes::CANCEL_OVER_AVAILABLE,
                "취소 가능 금액과 맞지 않습니다.",
            ));
        }
        let vat = request.cancel_vat_amount.unwrap_or_else(|| {
            pay::default_vat(request.cancel_amount, request.cancel_tax_free_amount)
        });
        let now_canceled = Amount {
            total: request.cancel_amount,
            tax_free: request.cancel_tax_free_amount,
            vat,
            ..Default::default()
        };
        payment.canceled.total += now_canceled.total;
        payment.canceled.tax_free += now_canceled.tax_free;
        payment.canceled.vat += now_canceled.vat;
        payment.canceled_at = Some(now);
        payment.cancels += 1;
        payment.status = if payment.canceled.total >= payment.amount.total {
            PaymentStatus::CancelPayment
        } else {
            PaymentStatus::PartCancelPayment
        };
        // The refund's aid is only in the `order` inquiry's CANCEL action, as with the current API.
        payment.actions.push(PaymentActionDetail {
            aid: random_id('A'),
            approved_at: Some(kst(now)),
            amount: now_canceled.total,
            payment_action_type: Some(PaymentActionType::Cancel),
            payload: request.payload.clone(),
            ..Default::default()
        });
        Ok(CancelResponse {
            aid: None,
            tid: payment.tid.clone(),
            cid: payment.cid.clone(),
            status: payment.status.clone(),
            partner_order_id: payment.partner_order_id.clone(),
            partner_user_id: payment.partner_user_id.clone(),
            payment_method_type: payment.method.clone(),
            amount: payment.amount,
            approved_cancel_amount: Some(now_canceled),
            canceled_amount: payment.canceled,
            cancel_available_amount: remaining(payment),
            item_name: payment.item_name.clone(),
            item_code: payment.item_code.clone(),
            quantity: Some(payment.quantity),
            created_at: Some(kst(payment.created_at)),
            approved_at: payment.approved_at.map(kst),
            canceled_at: Some(kst(now)),
            payload: request.payload.clone(),
        })
    }

    pub fn ledger(&mut self, tid: &str, now: DateTime<Utc>) -> Option<LedgerEntry> {
        self.get(tid, now).map(ledger_entry)
    }

    /// Every payment, oldest first.
    pub fn ledger_all(&mut self, now: DateTime<Utc>) -> Vec<LedgerEntry> {
        for payment in self.by_tid.values_mut() {
            expire_if_due(payment, now);
        }
        let mut all: Vec<LedgerEntry> = self.by_tid.values().map(ledger_entry).collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.tid.cmp(&b.tid)));
        all
    }

    fn lookup(
        &mut self,
        tid: &str,
        cid: &str,
        now: DateTime<Utc>,
    ) -> Result<&mut Payment, ApiError> {
        let payment = self
            .by_tid
            .get_mut(tid)
            .ok_or_else(|| ApiError::new(codes::TID_NOT_FOUND, "존재하지 않는 TID입니다."))?;
        if payment.cid != cid {
            return Err(ApiError::new(codes::BAD_CID, "CID가 올바르지 않습니다."));
        }
        expire_if_due(payment, now);
        Ok(payment)
    }
}

/// An unapproved payment whose window lapsed ends: quit if the person never authenticated,
/// failed if they did but nobody approved.
fn expire_if_due(payment: &mut Payment, now: DateTime<Utc>) {
    if payment.status.class() != StatusClass::Pending || now < payment.expires_at {
        return;
    }
    payment.status = if payment.status == PaymentStatus::AuthPassword {
        PaymentStatus::FailPayment
    } else {
        PaymentStatus::QuitPayment
    };
    payment.expired = true;
}

fn remaining(payment: &Payment) -> Amount {
    Amount {
        total: payment.amount.total - payment.canceled.total,
        tax_free: payment.amount.tax_free - payment.canceled.tax_free,
        vat: payment.amount.vat - payment.canceled.vat,
        ..Default::default()
    }
}

fn ledger_entry(p: &Payment) -> LedgerEntry {
    LedgerEntry {
        tid: p.tid.clone(),
        status: p.status.to_string(),
        partner_order_id: p.partner_order_id.clone(),
        partner_user_id: p.partner_user_id.clone(),
        amount: p.amount.total,
        payment_method_type: p.method.as_ref().map(|m| m.to_string()),
        approve_calls: p.approve_calls,
        approvals: p.approvals,
        cancel_calls: p.cancel_calls,
        cancels: p.cancels,
        order_calls: p.order_calls,
        approved_amount: if p.approved_at.is_some() {
            p.amount.total
        } else {
            0
        },
        canceled_amount: p.canceled.total,
        expired: p.expired,
        created_at: p.created_at,
    }
}

fn validate_ready(r: &ReadyRequest) -> Result<(), ApiError> {
    let bad_order = |m: &str| Err(ApiError::new(-726, m));
    if r.cid.chars().count() != 10 {
        return Err(ApiError::new(codes::BAD_CID, "CID가 올바르지 않습니다."));
    }
    if r.total_amount <= 0
        || r.tax_free_amount < 0
        || r.tax_free_amount > r.total_amount
        || r.vat_amount.is_some_and(|v| v < 0)
    {
        return Err(ApiError::new(
            codes::BAD_AMOUNT,
            "금액 정보가 올바르지 않습니다.",
        ));
    }
    let length_ok = |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max;
    if !length_ok(&r.partner_order_id, 100) || !length_ok(&r.partner_user_id, 100) {
        return bad_order("partner_order_id와 partner_user_id는 1~100자여야 합니다.");
    }
    if !length_ok(&r.item_name, 100) || r.quantity <= 0 {
        return bad_order("상품 정보가 올바르지 않습니다.");
    }
    let url_ok =
        |u: &str| length_ok(u, 255) && (u.starts_with("http://") || u.starts_with("https://"));
    if !url_ok(&r.approval_url) || !url_ok(&r.cancel_url) || !url_ok(&r.fail_url) {
        return bad_order(
            "approval_url, cancel_url, fail_url은 255자 이하의 http(s) 주소여야 합니다.",
        );
    }
    Ok(())
}

fn card_info() -> CardInfo {
    CardInfo {
        kakaopay_purchase_corp: Some("신한카드".into()),
        kakaopay_purchase_corp_code: Some("04".into()),
        kakaopay_issuer_corp: Some("신한카드".into()),
        kakaopay_issuer_corp_code: Some("04".into()),
        bin: Some("536181".into()),
        card_type: Some("신용".into()),
        install_month: Some("00".into()),
        approved_id: Some(format!(
            "{:08}",
            rand::rng().random_range(0..100_000_000u32)
        )),
        card_mid: Some("sandbox".into()),
        interest_free_install: Some("N".into()),
        installment_type: None,
        card_item_code: None,
        purchase_corp: None,
        purchase_corp_code: None,
        issuer_corp: None,
        issuer_corp_code: None,
    }
}

/// KakaoPay ids as the current API makes them: a letter and 19 hex digits
/// (`T6a1f03c9e2b54d7801f`).
fn random_id(letter: char) -> String {
    format!("{letter}{:019x}", rand::rng().random_range(0..1u128 << 76))
}

fn random_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// KakaoPay's timestamps: KST, whole seconds, no offset.
pub fn kst(at: DateTime<Utc>) -> NaiveDateTime {
    let local = at.with_timezone(&domain::KST).naive_local();
    local.with_nanosecond(0).unwrap_or(local)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    const BASE: &str = "http://sandbox.test";

    fn ready_request(total: i64) -> ReadyRequest {
        ReadyRequest {
            cid: pay::TEST_CID.into(),
            partner_order_id: "order-1".into(),
            partner_user_id: "user-1".into(),
            item_name: "아메리카노 외 1건".into(),
            quantity: 2,
            total_amount: total,
            tax_free_amount: 0,
            approval_url: "http://shop.test/pay/kakaopay/approval/tok".into(),
            cancel_url: "http://shop.test/pay/kakaopay/cancel/tok".into(),
            fail_url: "http://shop.test/pay/kakaopay/fail/tok".into(),
            ..Default::default()
        }
    }

    fn approve_request(tid: &str, pg_token: &str) -> ApproveRequest {
        ApproveRequest {
            cid: pay::TEST_CID.into(),
            tid: tid.into(),
            partner_order_id: "order-1".into(),
            partner_user_id: "user-1".into(),
            pg_token: pg_token.into(),
            total_amount: Some(9_000),
            ..Default::default()
        }
    }

    fn cancel_request(tid: &str, amount: i64, guard: Option<i64>) -> CancelRequest {
        CancelRequest {
            cid: pay::TEST_CID.into(),
            tid: tid.into(),
            cancel_amount: amount,
            cancel_tax_free_amount: 0,
            cancel_available_amount: guard,
            ..Default::default()
        }
    }

    fn order_request(tid: &str) -> OrderRequest {
        OrderRequest {
            cid: pay::TEST_CID.into(),
            cid_secret: None,
            tid: tid.into(),
        }
    }

    fn pg_token_of(url: &str) -> String {
        url.split("pg_token=").nth(1).unwrap().to_owned()
    }

    /// A payment the person authenticated: (payments, tid, pg_token).
    fn authenticated(now: DateTime<Utc>) -> (Payments, String, String) {
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        let tid = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        payments.open(&tid, now).unwrap();
        let url = payments.choose(&tid, Choice::Approve(None), now).unwrap();
        let token = pg_token_of(&url);
        (payments, tid, token)
    }

    fn status(payments: &mut Payments, tid: &str, now: DateTime<Utc>) -> PaymentStatus {
        payments.order(&order_request(tid), now).unwrap().status
    }

    #[test]
    fn ready_makes_a_tid_and_page_urls() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        let ready = payments.ready(ready_request(9_000), BASE, now).unwrap();
        assert_eq!(ready.tid.len(), 20);
        assert!(ready.tid.starts_with('T'));
        assert_eq!(
            ready.next_redirect_mobile_url.unwrap(),
            format!("{BASE}/kakaopay/pay/{}", ready.tid)
        );
        assert!(ready.next_redirect_pc_url.unwrap().contains(&ready.tid));
        assert!(
            ready
                .android_app_scheme
                .unwrap()
                .starts_with("kakaotalk://kakaopay/pg?url=http%3A%2F%2F")
        );
        assert_eq!(status(&mut payments, &ready.tid, now), PaymentStatus::Ready);
        let ledger = payments.ledger(&ready.tid, now).unwrap();
        assert_eq!((ledger.amount, ledger.approvals), (9_000, 0));
    }

    #[test]
    fn ready_refuses_bad_requests() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        type Change = fn(&mut ReadyRequest);
        let cases: [(Change, i64); 6] = [
            (|r| r.total_amount = 0, codes::BAD_AMOUNT),
            (|r| r.tax_free_amount = 10_000, codes::BAD_AMOUNT),
            (|r| r.cid = "SHORT".into(), codes::BAD_CID),
            (|r| r.item_name = String::new(), -726),
            (|r| r.approval_url = "ftp://x".into(), -726),
            (|r| r.fail_url = format!("http://{}", "a".repeat(250)), -726),
        ];
        for (change, code) in cases {
            let mut request = ready_request(9_000);
            change(&mut request);
            let error = payments.ready(request, BASE, now).unwrap_err();
            assert_eq!(error.code(), code);
            assert_eq!(error.http_status, 400);
        }
        assert!(payments.ledger_all(now).is_empty());
    }

    #[test]
    fn the_happy_path_ends_paid_once() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        assert_eq!(
            status(&mut payments, &tid, now),
            PaymentStatus::AuthPassword
        );
        let approved = payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
        assert_eq!(approved.amount.total, 9_000);
        assert_eq!(approved.aid.len(), 20);
        assert_eq!(approved.payment_method_type, Some(PaymentMethodType::Card));
        let order = payments.order(&order_request(&tid), now).unwrap();
        assert_eq!(order.status, PaymentStatus::SuccessPayment);
        assert_eq!(order.cancel_available_amount.unwrap().total, 9_000);
        assert_eq!(order.payment_action_details.len(), 1);
        assert_eq!(order.payment_action_details[0].aid, approved.aid);
        let ledger = payments.ledger(&tid, now).unwrap();
        assert_eq!((ledger.approvals, ledger.approved_amount), (1, 9_000));
    }

    #[test]
    fn ids_are_t_or_a_and_19_hex_digits_like_the_current_apis() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        let aid = payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap()
            .aid;
        for (id, letter) in [(&tid, 'T'), (&aid, 'A')] {
            assert_eq!(id.len(), 20, "{id}");
            assert!(id.starts_with(letter), "{id}");
            assert!(
                id[1..]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{id}"
            );
        }
        let many: std::collections::HashSet<String> = (0..200).map(|_| random_id('T')).collect();
        assert!(
            many.iter()
                .any(|id| id[1..].bytes().any(|b| b.is_ascii_alphabetic())),
            "hex, not only digits"
        );
    }

    #[test]
    fn money_is_paid_without_card_details() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        let tid = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        let url = payments
            .choose(&tid, Choice::Approve(Some(PaymentMethodType::Money)), now)
            .unwrap();
        let approved = payments
            .approve(&approve_request(&tid, &pg_token_of(&url)), None, now)
            .unwrap();
        assert_eq!(approved.payment_method_type, Some(PaymentMethodType::Money));
        assert_eq!(approved.card_info, None);
        let order = payments.order(&order_request(&tid), now).unwrap();
        assert_eq!(order.payment_method_type, Some(PaymentMethodType::Money));
        assert_eq!(order.selected_card_info, None);
        let ledger = payments.ledger(&tid, now).unwrap();
        assert_eq!(ledger.payment_method_type.as_deref(), Some("MONEY"));
    }

    #[test]
    fn ready_may_offer_only_one_method() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        let mut request = ready_request(9_000);
        request.payment_method_type = Some(PaymentMethodType::Money);
        let tid = payments.ready(request, BASE, now).unwrap().tid;
        assert_eq!(
            payments.choose(&tid, Choice::Approve(Some(PaymentMethodType::Card)), now),
            Err(PageError::MethodNotOffered(PaymentMethodType::Card))
        );
        // Nothing was chosen: the only method offered is the one used.
        payments.choose(&tid, Choice::Approve(None), now).unwrap();
        assert_eq!(
            payments
                .ledger(&tid, now)
                .unwrap()
                .payment_method_type
                .as_deref(),
            Some("MONEY")
        );
        assert_eq!(Choice::parse("approve", Some("POINT")), None);
        assert_eq!(
            Choice::parse("approve", Some("MONEY")),
            Some(Choice::Approve(Some(PaymentMethodType::Money)))
        );
    }

    #[test]
    fn a_charge_fault_approves_another_amount_and_refunds_it() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        let approved = payments
            .approve(&approve_request(&tid, &token), Some(9_900), now)
            .unwrap();
        assert_eq!(approved.amount.total, 9_900);
        assert_eq!(approved.amount.vat, 900);
        let ledger = payments.ledger(&tid, now).unwrap();
        assert_eq!(ledger.approved_amount, 9_900);
        payments
            .cancel(&cancel_request(&tid, 9_900, Some(9_900)), now)
            .unwrap();
        assert_eq!(payments.ledger(&tid, now).unwrap().canceled_amount, 9_900);
    }

    #[test]
    fn a_cancel_answer_has_no_aid_and_the_inquiry_has_it() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
        let canceled = payments
            .cancel(&cancel_request(&tid, 9_000, None), now)
            .unwrap();
        assert_eq!(canceled.aid, None);
        let order = payments.order(&order_request(&tid), now).unwrap();
        let refund = &order.payment_action_details[1];
        assert_eq!(refund.payment_action_type, Some(PaymentActionType::Cancel));
        assert_eq!((refund.aid.len(), refund.amount), (20, 9_000));
    }

    #[test]
    fn approving_twice_answers_702_and_charges_once() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
        let again = payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap_err();
        assert_eq!(again.code(), codes::ALREADY_APPROVED);
        assert_eq!(payments.ledger(&tid, now).unwrap().approvals, 1);
    }

    #[test]
    fn approve_checks_what_ready_agreed() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        let mut wrong = approve_request(&tid, "not-the-token");
        assert_eq!(
            payments.approve(&wrong, None, now).unwrap_err().code(),
            codes::INVALID_PG_TOKEN
        );
        wrong = approve_request(&tid, &token);
        wrong.partner_order_id = "order-2".into();
        assert_eq!(
            payments.approve(&wrong, None, now).unwrap_err().code(),
            codes::PARTNER_ORDER_ID_MISMATCH
        );
        wrong = approve_request(&tid, &token);
        wrong.partner_user_id = "user-2".into();
        assert_eq!(
            payments.approve(&wrong, None, now).unwrap_err().code(),
            codes::PARTNER_USER_ID_MISMATCH
        );
        wrong = approve_request(&tid, &token);
        wrong.total_amount = Some(1);
        assert_eq!(
            payments.approve(&wrong, None, now).unwrap_err().code(),
            codes::BAD_AMOUNT
        );
        wrong = approve_request("T0000000000000000000", &token);
        assert_eq!(
            payments.approve(&wrong, None, now).unwrap_err().code(),
            codes::TID_NOT_FOUND
        );
        wrong = approve_request(&tid, &token);
        wrong.cid = "TCSUBSCRIP".into();
        assert_eq!(
            payments.approve(&wrong, None, now).unwrap_err().code(),
            codes::BAD_CID
        );
        // None of that moved money; the right request still works.
        assert_eq!(payments.ledger(&tid, now).unwrap().approvals, 0);
        payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
    }

    #[test]
    fn approve_before_authentication_answers_701() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        let tid = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        let error = payments
            .approve(&approve_request(&tid, "x"), None, now)
            .unwrap_err();
        assert_eq!(error.code(), codes::NOT_AUTHENTICATED_YET);
    }

    #[test]
    fn quitting_or_failing_on_the_page_ends_the_payment_unpaid() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), crate::events::KEEP);
        let quit = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        let url = payments.choose(&quit, Choice::Cancel, now).unwrap();
        assert_eq!(url, "http://shop.test/pay/kakaopay/cancel/tok");
        assert_eq!(
            status(&mut payments, &quit, now),
            PaymentStatus::QuitPayment
        );
        // A reload leads to the same place; approving is no longer possible.
        assert_eq!(payments.choose(&quit, Choice::Cancel, now).unwrap(), url);
        assert_eq!(
            payments.choose(&quit, Choice::Approve(None), now),
            Err(PageError::AlreadyDone(PaymentStatus::QuitPayment))
        );
        assert_eq!(
            payments
                .approve(&approve_request(&quit, "x"), None, now)
                .unwrap_err()
                .code(),
            codes::NOT_APPROVABLE
        );

        let failed = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        let url = payments.choose(&failed, Choice::Fail, now).unwrap();
        assert_eq!(url, "http://shop.test/pay/kakaopay/fail/tok");
        assert_eq!(
            status(&mut payments, &failed, now),
            PaymentStatus::FailPayment
        );
    }

    #[test]
    fn choosing_approve_twice_keeps_the_same_pg_token() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        let again = payments.choose(&tid, Choice::Approve(None), now).unwrap();
        assert_eq!(pg_token_of(&again), token);
        payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
        assert_eq!(
            payments.choose(&tid, Choice::Cancel, now),
            Err(PageError::AlreadyDone(PaymentStatus::SuccessPayment))
        );
    }

    #[test]
    fn the_window_lapses() {
        let now = Utc::now();
        let later = now + TimeDelta::seconds(901);
        // Authenticated but never approved: FAIL_PAYMENT, approve answers -723.
        let (mut payments, tid, token) = authenticated(now);
        let error = payments
            .approve(&approve_request(&tid, &token), None, later)
            .unwrap_err();
        assert_eq!(error.code(), codes::EXPIRED);
        assert_eq!(
            status(&mut payments, &tid, later),
            PaymentStatus::FailPayment
        );
        assert!(payments.ledger(&tid, now).unwrap().expired);
        // Never authenticated: QUIT_PAYMENT, and the page sends the person to fail_url.
        let idle = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        assert_eq!(
            payments
                .choose(&idle, Choice::Approve(None), later)
                .unwrap(),
            "http://shop.test/pay/kakaopay/fail/tok"
        );
        assert_eq!(
            status(&mut payments, &idle, later),
            PaymentStatus::QuitPayment
        );
    }

    #[test]
    fn a_paid_payment_does_not_expire() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
        let later = now + TimeDelta::hours(1);
        assert_eq!(
            status(&mut payments, &tid, later),
            PaymentStatus::SuccessPayment
        );
        payments
            .cancel(&cancel_request(&tid, 9_000, None), later)
            .unwrap();
    }

    #[test]
    fn expire_now_ends_the_window() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        payments.expire_now(&tid, now).unwrap();
        assert_eq!(
            payments
                .approve(&approve_request(&tid, &token), None, now)
                .unwrap_err()
                .code(),
            codes::EXPIRED
        );
    }

    #[test]
    fn cancel_refunds_and_guards_against_repeats() {
        let now = Utc::now();
        let (mut payments, tid, token) = authenticated(now);
        // Nothing to refund before approval.
        assert_eq!(
            payments
                .cancel(&cancel_request(&tid, 9_000, None), now)
                .unwrap_err()
                .code(),
            codes::NOT_CANCELABLE
        );
        payments
            .approve(&approve_request(&tid, &token), None, now)
            .unwrap();
        // The guard must match what is left.
        assert_eq!(
            payments
                .cancel(&cancel_request(&tid, 9_000, Some(8_000)), now)
                .unwrap_err()
                .code(),
            codes::CANCEL_OVER_AVAILABLE
        );
        assert_eq!(
            payments
                .cancel(&cancel_request(&tid, 10_000, None), now)
                .unwrap_err()
                .code(),
            codes::CANCEL_OVER_APPROVED
        );
        let partial = payments
            .cancel(&cancel_request(&tid, 4_000, Some(9_000)), now)
            .unwrap();
        assert_eq!(partial.status, PaymentStatus::PartCancelPayment);
        assert_eq!(partial.cancel_available_amount.total, 5_000);
        assert_eq!(
            payments
                .cancel(&cancel_request(&tid, 6_000, None), now)
                .unwrap_err()
                .code(),
            codes::CANCEL_OVER_AVAILABLE
        );
        let rest = payments
            .cancel(&cancel_request(&tid, 5_000, Some(5_000)), now)
            .unwrap();
        assert_eq!(rest.status, PaymentStatus::CancelPayment);
        assert_eq!(rest.canceled_amount.total, 9_000);
        assert_eq!(rest.approved_cancel_amount.unwrap().total, 5_000);
        assert_eq!(
            payments
                .cancel(&cancel_request(&tid, 9_000, None), now)
                .unwrap_err()
                .code(),
            codes::NOT_CANCELABLE
        );
        let ledger = payments.ledger(&tid, now).unwrap();
        assert_eq!((ledger.cancels, ledger.canceled_amount), (2, 9_000));
        let order = payments.order(&order_request(&tid), now).unwrap();
        let kinds: Vec<_> = order
            .payment_action_details
            .iter()
            .map(|a| a.payment_action_type.clone().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                PaymentActionType::Payment,
                PaymentActionType::Cancel,
                PaymentActionType::Cancel
            ]
        );
    }

    #[test]
    fn only_the_most_recent_payments_are_kept_once_their_pages_are_done() {
        let now = Utc::now();
        let mut payments = Payments::new(Duration::from_secs(900), 2);
        let mut ready = || payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        let (waiting, paid) = (ready(), ready());
        let approve = |payments: &mut Payments, tid: &str| {
            let url = payments.choose(tid, Choice::Approve(None), now).unwrap();
            let request = approve_request(tid, &pg_token_of(&url));
            payments.approve(&request, None, now).unwrap();
        };
        approve(&mut payments, &paid);
        let newest = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        // Over the bound, but the oldest page may still be paid: nothing goes yet.
        assert_eq!(payments.ledger_all(now).len(), 3);
        approve(&mut payments, &waiting);

        let later = payments.ready(ready_request(9_000), BASE, now).unwrap().tid;
        let mut kept: Vec<String> = payments
            .ledger_all(now)
            .into_iter()
            .map(|l| l.tid)
            .collect();
        let mut expected = vec![newest.clone(), later];
        kept.sort();
        expected.sort();
        assert_eq!(kept, expected, "the two oldest, both paid, went");
        assert_eq!(payments.dropped, 2);
        assert!(payments.ledger(&waiting, now).is_none());
        assert!(payments.ledger(&newest, now).is_some());

        // A page whose window lapsed is done too.
        let after_window = now + TimeDelta::seconds(901);
        payments
            .ready(ready_request(9_000), BASE, after_window)
            .unwrap();
        assert!(payments.ledger(&newest, after_window).is_none());
        assert_eq!(payments.dropped, 3);
    }

    #[test]
    fn calls_are_counted_per_tid() {
        let now = Utc::now();
        let (mut payments, tid, _) = authenticated(now);
        payments.count(Counted::Approve, &tid);
        payments.count(Counted::Approve, &tid);
        payments.count(Counted::Cancel, &tid);
        payments.count(Counted::Order, &tid);
        payments.count(Counted::Order, "T-unknown");
        let ledger = payments.ledger(&tid, now).unwrap();
        assert_eq!(
            (
                ledger.approve_calls,
                ledger.cancel_calls,
                ledger.order_calls
            ),
            (2, 1, 1)
        );
    }

    #[test]
    fn times_are_whole_seconds_of_kst() {
        let at = DateTime::parse_from_rfc3339("2024-03-01T00:30:15.250Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(kst(at).to_string(), "2024-03-01 09:30:15");
    }
}
