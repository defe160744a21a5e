//! Closing reconciliation, pure: the day's orders as the order service has them, KakaoPay's
//! answer for each payment and the day stream's entries go in; the day's totals, one line per
//! order and every discrepancy spelled out come back. The same inputs always give the same output, in the same
//! order, so a rerun can be compared with what was stored.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use domain::{Money, MoneyOverflow, OrderId, OrderStatus};
use serde::{Deserialize, Serialize};

/// One order of the day, as the order service's books give it (`ListDayBooks`).
#[derive(Debug, Clone, PartialEq)]
pub struct DbOrder {
    pub id: OrderId,
    pub status: OrderStatus,
    pub total: Money,
    /// The KakaoPay payment id, when the order got that far.
    pub tid: Option<String>,
    /// When it was paid; kept for the report's sales by hour.
    pub placed_at: Option<DateTime<Utc>>,
}

/// Where a KakaoPay payment stands, in the terms reconciliation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayState {
    /// SUCCESS_PAYMENT: approved, nothing returned.
    Approved,
    /// PART_CANCEL_PAYMENT
    PartCanceled,
    /// CANCEL_PAYMENT
    Canceled,
    /// Never approved: READY, QUIT_PAYMENT, FAIL_PAYMENT and the steps in between.
    NotApproved,
    /// A status KakaoPay added after this code was written.
    Unknown,
}

impl PayState {
    /// Money moved at some point (and may have been returned since).
    fn was_approved(self) -> bool {
        matches!(
            self,
            PayState::Approved | PayState::PartCanceled | PayState::Canceled
        )
    }
}

/// KakaoPay's `order` answer for one payment.
#[derive(Debug, Clone, PartialEq)]
pub struct KakaoPayment {
    /// The status string exactly as KakaoPay sent it, e.g. `CANCEL_PAYMENT`.
    pub raw_status: String,
    pub state: PayState,
    pub amount: Money,
    pub canceled: Money,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Inquiry {
    Answered(KakaoPayment),
    /// KakaoPay (or the payment service) answered that it cannot tell, for good.
    Failed(String),
}

/// One entry of the day stream, as archived.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEntry {
    pub stream_id: String,
    pub order_id: Option<OrderId>,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    Placed {
        total: Money,
    },
    /// The store took the order with a promised time; nothing to reconcile, but a fact of the
    /// order like the others, never an unreadable entry.
    Accepted,
    Ready,
    Canceled,
    /// Not a store-day entry we can read; kept, and reported.
    Unreadable {
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiscrepancyKind {
    PaidButNotOrdered,
    CanceledHereOnly,
    CanceledAtKakaopayOnly,
    AmountMismatch,
    MissingFromStream,
    StreamOnly,
    InquiryFailed,
    Unsettled,
    Other,
}

impl DiscrepancyKind {
    pub const fn code(self) -> &'static str {
        match self {
            DiscrepancyKind::PaidButNotOrdered => "PAID_BUT_NOT_ORDERED",
            DiscrepancyKind::CanceledHereOnly => "CANCELED_HERE_ONLY",
            DiscrepancyKind::CanceledAtKakaopayOnly => "CANCELED_AT_KAKAOPAY_ONLY",
            DiscrepancyKind::AmountMismatch => "AMOUNT_MISMATCH",
            DiscrepancyKind::MissingFromStream => "MISSING_FROM_STREAM",
            DiscrepancyKind::StreamOnly => "STREAM_ONLY",
            DiscrepancyKind::InquiryFailed => "INQUIRY_FAILED",
            DiscrepancyKind::Unsettled => "UNSETTLED",
            DiscrepancyKind::Other => "OTHER",
        }
    }
}

/// One disagreement between the sources, in Korean for the store and English for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    /// Absent for a stream entry that names no readable order.
    pub order_id: Option<OrderId>,
    pub kind: DiscrepancyKind,
    pub description: String,
    pub detail_en: String,
    pub our_status: Option<OrderStatus>,
    pub kakaopay_status: Option<String>,
    pub our_amount: Option<Money>,
    pub kakaopay_amount: Option<Money>,
    pub tid: Option<String>,
}

impl Discrepancy {
    /// The line kept in `accounting_order.discrepancy`.
    pub fn line(&self) -> String {
        format!(
            "{}: {} ({})",
            self.kind.code(),
            self.description,
            self.detail_en
        )
    }
}

/// Counts and amounts of the day by Postgres, like `day_business.summary`: paid orders are
/// placed, ready or canceled; a cancel is a full refund; failed orders were never charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub order_count: i64,
    pub placed_count: i64,
    pub ready_count: i64,
    pub canceled_count: i64,
    pub failed_count: i64,
    pub gross: Money,
    pub canceled: Money,
    pub net: Money,
}

/// What KakaoPay says moved, over the payments it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KakaoTotals {
    pub approved: Money,
    pub canceled: Money,
}

/// One `accounting_order` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub order_id: OrderId,
    pub status_db: Option<OrderStatus>,
    pub status_kakaopay: Option<String>,
    pub amount_db: Option<Money>,
    pub amount_kakaopay: Option<Money>,
    pub canceled_db: Option<Money>,
    pub canceled_kakaopay: Option<Money>,
    pub in_stream: bool,
    /// `None` when every source agrees.
    pub discrepancy: Option<String>,
    /// When the order was paid, by the order service; `None` for an order only the stream names.
    pub placed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayReconciliation {
    pub totals: Totals,
    pub kakaopay: KakaoTotals,
    /// By order id (time order, ids being UUID v7).
    pub orders: Vec<OrderLine>,
    /// Order by order, then entries that name no order, by stream id.
    pub discrepancies: Vec<Discrepancy>,
}

#[derive(Default)]
struct StreamFacts {
    placed: Vec<Money>,
    accepted: usize,
    ready: usize,
    canceled: usize,
}

impl StreamFacts {
    fn any(&self) -> bool {
        !self.placed.is_empty() || self.accepted > 0 || self.ready > 0 || self.canceled > 0
    }
}

/// Reconciles one day. `inquiries` is keyed by tid.
pub fn reconcile(
    orders: &[DbOrder],
    inquiries: &HashMap<String, Inquiry>,
    stream: &[StreamEntry],
) -> Result<DayReconciliation, MoneyOverflow> {
    let mut facts: BTreeMap<OrderId, StreamFacts> = BTreeMap::new();
    let mut unreadable: Vec<(&str, String)> = Vec::new();
    for entry in stream {
        let Some(order_id) = entry.order_id else {
            let reason = match &entry.kind {
                EntryKind::Unreadable { reason } => reason.clone(),
                _ => "no order id".to_owned(),
            };
            unreadable.push((entry.stream_id.as_str(), reason));
            continue;
        };
        let f = facts.entry(order_id).or_default();
        match &entry.kind {
            EntryKind::Placed { total } => f.placed.push(*total),
            EntryKind::Accepted => f.accepted += 1,
            EntryKind::Ready => f.ready += 1,
            EntryKind::Canceled => f.canceled += 1,
            EntryKind::Unreadable { reason } => {
                unreadable.push((entry.stream_id.as_str(), reason.clone()));
            }
        }
    }

    let by_id: BTreeMap<OrderId, &DbOrder> = orders.iter().map(|o| (o.id, o)).collect();
    let ids: BTreeSet<OrderId> = by_id.keys().chain(facts.keys()).copied().collect();
    let mut lines = Vec::with_capacity(ids.len());
    let mut discrepancies = Vec::new();
    let mut kakao = KakaoTotals::default();
    let none = StreamFacts::default();
    for id in ids {
        let stream = facts.get(&id).unwrap_or(&none);
        let (line, found) = match by_id.get(&id) {
            Some(order) => {
                let inquiry = order.tid.as_ref().and_then(|tid| inquiries.get(tid));
                if let Some(Inquiry::Answered(p)) = inquiry
                    && p.state.was_approved()
                {
                    kakao.approved = kakao.approved.checked_add(p.amount)?;
                    kakao.canceled = kakao.canceled.checked_add(p.canceled)?;
                }
                check_order(order, inquiry, stream)
            }
            None => stream_only(id, stream),
        };
        let line = OrderLine {
            discrepancy: (!found.is_empty()).then(|| {
                found
                    .iter()
                    .map(Discrepancy::line)
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            ..line
        };
        lines.push(line);
        discrepancies.extend(found);
    }
    unreadable.sort_by_key(|(stream_id, _)| stream_order(stream_id));
    for (stream_id, reason) in unreadable {
        discrepancies.push(Discrepancy {
            order_id: None,
            kind: DiscrepancyKind::Other,
            description: format!("영업일 스트림의 항목 {stream_id}을(를) 읽을 수 없습니다."),
            detail_en: format!("day stream entry {stream_id} is unreadable: {reason}"),
            our_status: None,
            kakaopay_status: None,
            our_amount: None,
            kakaopay_amount: None,
            tid: None,
        });
    }
    Ok(DayReconciliation {
        totals: totals(orders)?,
        kakaopay: kakao,
        orders: lines,
        discrepancies,
    })
}

/// Stream ids (`<ms>-<seq>`) in the order Redis gives them; anything else sorts first.
pub fn stream_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

fn totals(orders: &[DbOrder]) -> Result<Totals, MoneyOverflow> {
    let mut t = Totals::default();
    for order in orders {
        match order.status {
            // Closing waits for every order to be finished; counted as waiting all the same.
            OrderStatus::Placed | OrderStatus::Accepted => t.placed_count += 1,
            OrderStatus::Ready => t.ready_count += 1,
            OrderStatus::Canceled => t.canceled_count += 1,
            OrderStatus::Failed => t.failed_count += 1,
            OrderStatus::Approving => {}
        }
        if paid(order.status) {
            t.order_count += 1;
            t.gross = t.gross.checked_add(order.total)?;
        }
        if order.status == OrderStatus::Canceled {
            t.canceled = t.canceled.checked_add(order.total)?;
        }
    }
    t.net = Money::won(t.gross.as_won() - t.canceled.as_won());
    Ok(t)
}

/// Orders the customer paid for and the store saw (a cancel refunds after the fact).
fn paid(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Placed | OrderStatus::Accepted | OrderStatus::Ready | OrderStatus::Canceled
    )
}

/// The Korean and English names of a status, for the descriptions.
fn status_words(status: OrderStatus) -> String {
    format!("{}({})", status.label(), status.code())
}

struct Finding<'a> {
    order: &'a DbOrder,
    payment: Option<&'a KakaoPayment>,
    found: Vec<Discrepancy>,
}

impl Finding<'_> {
    fn add(&mut self, kind: DiscrepancyKind, description: String, detail_en: String) {
        self.found.push(Discrepancy {
            order_id: Some(self.order.id),
            kind,
            description,
            detail_en,
            our_status: Some(self.order.status),
            kakaopay_status: self.payment.map(|p| p.raw_status.clone()),
            our_amount: Some(self.order.total),
            kakaopay_amount: self.payment.map(|p| p.amount),
            tid: self.order.tid.clone(),
        });
    }
}

fn check_order(
    order: &DbOrder,
    inquiry: Option<&Inquiry>,
    stream: &StreamFacts,
) -> (OrderLine, Vec<Discrepancy>) {
    let payment = match inquiry {
        Some(Inquiry::Answered(p)) => Some(p),
        _ => None,
    };
    let mut f = Finding {
        order,
        payment,
        found: Vec::new(),
    };
    let status = order.status;
    let ours = status_words(status);
    let total = order.total;

    if status == OrderStatus::Approving {
        let kakao = payment.map_or("알 수 없음", |p| p.raw_status.as_str());
        f.add(
            DiscrepancyKind::Unsettled,
            format!("정산 시점에도 결제 확인 중(APPROVING)입니다. 카카오페이 상태: {kakao}."),
            format!("still APPROVING at reconciliation; KakaoPay status: {kakao}"),
        );
    }
    match (&order.tid, inquiry) {
        (None, _) if paid(status) => f.add(
            DiscrepancyKind::Other,
            format!("{ours} 주문에 결제 번호(tid)가 없어 카카오페이에 확인할 수 없습니다."),
            format!("{} order has no KakaoPay tid to inquire", status.code()),
        ),
        (None, _) => {}
        (Some(_), None) => f.add(
            DiscrepancyKind::InquiryFailed,
            "카카오페이에 결제 상태를 확인하지 못했습니다.".to_owned(),
            "KakaoPay was not asked about this payment".to_owned(),
        ),
        (Some(_), Some(Inquiry::Failed(reason))) => f.add(
            DiscrepancyKind::InquiryFailed,
            format!("카카오페이에 결제 상태를 확인하지 못했습니다: {reason}"),
            format!("KakaoPay inquiry failed: {reason}"),
        ),
        (Some(_), Some(Inquiry::Answered(p))) => check_payment(&mut f, p),
    }
    check_stream(&mut f, stream);

    let line = OrderLine {
        order_id: order.id,
        status_db: Some(status),
        status_kakaopay: payment.map(|p| p.raw_status.clone()),
        amount_db: Some(total),
        amount_kakaopay: payment.map(|p| p.amount),
        canceled_db: Some(if status == OrderStatus::Canceled {
            total
        } else {
            Money::ZERO
        }),
        canceled_kakaopay: payment.map(|p| p.canceled),
        in_stream: stream.any(),
        discrepancy: None,
        placed_at: order.placed_at,
    };
    (line, f.found)
}

fn check_payment(f: &mut Finding<'_>, p: &KakaoPayment) {
    let status = f.order.status;
    let ours = status_words(status);
    let total = f.order.total;
    let raw = p.raw_status.as_str();
    let kept = Money::won(p.amount.as_won() - p.canceled.as_won());
    if p.state == PayState::Unknown {
        f.add(
            DiscrepancyKind::Other,
            format!("카카오페이가 알 수 없는 결제 상태({raw})를 알려 왔습니다."),
            format!("KakaoPay answered an unknown status {raw}"),
        );
        return;
    }
    if !p.state.was_approved() {
        if paid(status) {
            f.add(
                DiscrepancyKind::Other,
                format!("주문은 {ours} 상태지만 카카오페이에는 승인된 결제가 없습니다({raw})."),
                format!(
                    "{} here but KakaoPay never approved the payment ({raw})",
                    status.code()
                ),
            );
        }
        return;
    }
    if paid(status) && p.amount != total {
        f.add(
            DiscrepancyKind::AmountMismatch,
            format!(
                "주문 금액 {total}과 카카오페이 결제 금액 {}이 다릅니다.",
                p.amount
            ),
            format!(
                "amount differs: {} KRW here, {} KRW at KakaoPay",
                total.as_won(),
                p.amount.as_won()
            ),
        );
    }
    match status {
        OrderStatus::Placed | OrderStatus::Accepted | OrderStatus::Ready
            if p.canceled > Money::ZERO =>
        {
            f.add(
            DiscrepancyKind::CanceledAtKakaopayOnly,
            format!(
                "카카오페이에서는 취소({raw}, {})됐지만 주문은 {ours} 상태입니다.",
                p.canceled
            ),
            format!(
                "canceled at KakaoPay ({raw}, {} KRW) but {} here",
                p.canceled.as_won(),
                status.code()
            ),
        )
        }
        OrderStatus::Canceled if p.canceled == Money::ZERO => f.add(
            DiscrepancyKind::CanceledHereOnly,
            format!("주문은 취소됐지만 카카오페이에서는 취소되지 않았습니다({raw})."),
            format!("canceled here but not at KakaoPay ({raw})"),
        ),
        OrderStatus::Canceled if p.canceled != total => f.add(
            DiscrepancyKind::AmountMismatch,
            format!(
                "취소 금액이 다릅니다: 주문 {total}, 카카오페이 {}({raw}).",
                p.canceled
            ),
            format!(
                "canceled amount differs: {} KRW here, {} KRW at KakaoPay ({raw})",
                total.as_won(),
                p.canceled.as_won()
            ),
        ),
        OrderStatus::Failed if kept > Money::ZERO => f.add(
            DiscrepancyKind::PaidButNotOrdered,
            format!(
                "카카오페이에서는 {kept}이 결제된 상태({raw})인데 주문은 {ours} 상태입니다. 환불이 필요합니다."
            ),
            format!(
                "paid at KakaoPay ({raw}, {} KRW kept) but FAILED here; a refund is due",
                kept.as_won()
            ),
        ),
        _ => {}
    }
}

fn check_stream(f: &mut Finding<'_>, stream: &StreamFacts) {
    let status = f.order.status;
    let ours = status_words(status);
    let mut missing = Vec::new();
    if paid(status) && stream.placed.is_empty() {
        missing.push(("접수", "placed"));
    }
    if status == OrderStatus::Ready && stream.ready == 0 {
        missing.push(("완료", "ready"));
    }
    if status == OrderStatus::Canceled && stream.canceled == 0 {
        missing.push(("취소", "canceled"));
    }
    if !missing.is_empty() {
        let ko: Vec<&str> = missing.iter().map(|(ko, _)| *ko).collect();
        let en: Vec<&str> = missing.iter().map(|(_, en)| *en).collect();
        f.add(
            DiscrepancyKind::MissingFromStream,
            format!(
                "{ours} 주문인데 영업일 스트림에 {} 기록이 없습니다.",
                ko.join("·")
            ),
            format!(
                "{} order has no {} entry in the day stream",
                status.code(),
                en.join("/")
            ),
        );
    }
    let mut unexpected = Vec::new();
    if !paid(status) && !stream.placed.is_empty() {
        unexpected.push(("접수", "placed"));
    }
    if status != OrderStatus::Ready && stream.ready > 0 {
        unexpected.push(("완료", "ready"));
    }
    if status != OrderStatus::Canceled && stream.canceled > 0 {
        unexpected.push(("취소", "canceled"));
    }
    if !unexpected.is_empty() {
        let ko: Vec<&str> = unexpected.iter().map(|(ko, _)| *ko).collect();
        let en: Vec<&str> = unexpected.iter().map(|(_, en)| *en).collect();
        f.add(
            DiscrepancyKind::StreamOnly,
            format!(
                "영업일 스트림에 {} 기록이 있지만 주문은 {ours} 상태입니다.",
                ko.join("·")
            ),
            format!(
                "the day stream has a {} entry but the order is {}",
                en.join("/"),
                status.code()
            ),
        );
    }
    let total = f.order.total;
    if let Some(other) = stream.placed.iter().find(|t| **t != total) {
        f.add(
            DiscrepancyKind::AmountMismatch,
            format!("주문 금액 {total}과 영업일 스트림의 금액 {other}이 다릅니다."),
            format!(
                "amount differs: {} KRW here, {} KRW in the day stream",
                total.as_won(),
                other.as_won()
            ),
        );
    }
}

fn stream_only(id: OrderId, stream: &StreamFacts) -> (OrderLine, Vec<Discrepancy>) {
    let amount = stream.placed.first().copied();
    let found = vec![Discrepancy {
        order_id: Some(id),
        kind: DiscrepancyKind::StreamOnly,
        description: "영업일 스트림에 있는 주문이 이 영업일의 주문 기록에 없습니다.".to_owned(),
        detail_en: "the day stream names an order this business day does not have".to_owned(),
        our_status: None,
        kakaopay_status: None,
        our_amount: None,
        kakaopay_amount: None,
        tid: None,
    }];
    let line = OrderLine {
        order_id: id,
        status_db: None,
        status_kakaopay: None,
        amount_db: amount,
        amount_kakaopay: None,
        canceled_db: None,
        canceled_kakaopay: None,
        in_stream: true,
        discrepancy: None,
        placed_at: None,
    };
    (line, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(status: OrderStatus, total: i64, tid: &str) -> DbOrder {
        DbOrder {
            id: OrderId::new(),
            status,
            total: Money::won(total),
            tid: (!tid.is_empty()).then(|| tid.to_owned()),
            placed_at: None,
        }
    }

    fn pay(state: PayState, raw: &str, amount: i64, canceled: i64) -> Inquiry {
        Inquiry::Answered(KakaoPayment {
            raw_status: raw.to_owned(),
            state,
            amount: Money::won(amount),
            canceled: Money::won(canceled),
        })
    }

    fn entry(n: u32, order: &DbOrder, kind: EntryKind) -> StreamEntry {
        StreamEntry {
            stream_id: format!("1700000000000-{n}"),
            order_id: Some(order.id),
            kind,
        }
    }

    fn placed(n: u32, order: &DbOrder) -> StreamEntry {
        entry(n, order, EntryKind::Placed { total: order.total })
    }

    /// A clean day: one order of each status, everything agreeing.
    fn clean_day() -> (Vec<DbOrder>, HashMap<String, Inquiry>, Vec<StreamEntry>) {
        let p = order(OrderStatus::Placed, 4_500, "T1");
        let r = order(OrderStatus::Ready, 5_000, "T2");
        let c = order(OrderStatus::Canceled, 3_200, "T3");
        let f = order(OrderStatus::Failed, 9_900, "T4");
        let inquiries = HashMap::from([
            (
                "T1".to_owned(),
                pay(PayState::Approved, "SUCCESS_PAYMENT", 4_500, 0),
            ),
            (
                "T2".to_owned(),
                pay(PayState::Approved, "SUCCESS_PAYMENT", 5_000, 0),
            ),
            (
                "T3".to_owned(),
                pay(PayState::Canceled, "CANCEL_PAYMENT", 3_200, 3_200),
            ),
            (
                "T4".to_owned(),
                pay(PayState::NotApproved, "QUIT_PAYMENT", 9_900, 0),
            ),
        ]);
        let stream = vec![
            placed(0, &p),
            placed(1, &r),
            placed(2, &c),
            entry(3, &r, EntryKind::Accepted),
            entry(4, &r, EntryKind::Ready),
            entry(5, &c, EntryKind::Canceled),
        ];
        (vec![p, r, c, f], inquiries, stream)
    }

    fn kinds(day: &DayReconciliation) -> Vec<DiscrepancyKind> {
        day.discrepancies.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn a_clean_day_adds_up_exactly_and_agrees() {
        let (orders, inquiries, stream) = clean_day();
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(
            day.totals,
            Totals {
                order_count: 3,
                placed_count: 1,
                ready_count: 1,
                canceled_count: 1,
                failed_count: 1,
                gross: Money::won(12_700),
                canceled: Money::won(3_200),
                net: Money::won(9_500),
            }
        );
        assert_eq!(
            day.kakaopay,
            KakaoTotals {
                approved: Money::won(12_700),
                canceled: Money::won(3_200)
            }
        );
        assert_eq!(day.discrepancies, vec![]);
        assert_eq!(day.orders.len(), 4);
        assert!(day.orders.iter().all(|l| l.discrepancy.is_none()));
        let failed = &day.orders[3];
        assert_eq!(failed.status_db, Some(OrderStatus::Failed));
        assert!(!failed.in_stream);
        assert_eq!(failed.status_kakaopay.as_deref(), Some("QUIT_PAYMENT"));
    }

    #[test]
    fn canceled_at_kakaopay_but_ready_here_is_reported() {
        let (orders, mut inquiries, stream) = clean_day();
        inquiries.insert(
            "T2".to_owned(),
            pay(PayState::Canceled, "CANCEL_PAYMENT", 5_000, 5_000),
        );
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(kinds(&day), vec![DiscrepancyKind::CanceledAtKakaopayOnly]);
        let d = &day.discrepancies[0];
        assert_eq!(d.order_id, Some(orders[1].id));
        assert!(
            d.description.contains("CANCEL_PAYMENT"),
            "{}",
            d.description
        );
        assert!(d.description.contains("준비 완료"), "{}", d.description);
        assert!(d.detail_en.contains("READY here"), "{}", d.detail_en);
        let line = &day.orders[1];
        assert!(
            line.discrepancy
                .as_deref()
                .unwrap()
                .starts_with("CANCELED_AT_KAKAOPAY_ONLY: ")
        );
        // Our books still count it as sold: the report says so rather than quietly fixing it.
        assert_eq!(day.totals.net, Money::won(9_500));
        assert_eq!(day.kakaopay.canceled, Money::won(8_200));
    }

    #[test]
    fn paid_at_kakaopay_but_failed_here() {
        let (orders, mut inquiries, stream) = clean_day();
        inquiries.insert(
            "T4".to_owned(),
            pay(PayState::Approved, "SUCCESS_PAYMENT", 9_900, 0),
        );
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(kinds(&day), vec![DiscrepancyKind::PaidButNotOrdered]);
        assert!(day.discrepancies[0].description.contains("9,900원"));
        // A failed order whose compensating cancel went through agrees.
        inquiries.insert(
            "T4".to_owned(),
            pay(PayState::Canceled, "CANCEL_PAYMENT", 9_900, 9_900),
        );
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(kinds(&day), vec![]);
    }

    #[test]
    fn canceled_here_only_and_amount_mismatches() {
        let (orders, mut inquiries, stream) = clean_day();
        inquiries.insert(
            "T3".to_owned(),
            pay(PayState::Approved, "SUCCESS_PAYMENT", 3_200, 0),
        );
        inquiries.insert(
            "T1".to_owned(),
            pay(PayState::Approved, "SUCCESS_PAYMENT", 5_500, 0),
        );
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(
            kinds(&day),
            vec![
                DiscrepancyKind::AmountMismatch,
                DiscrepancyKind::CanceledHereOnly
            ]
        );
        assert_eq!(day.discrepancies[0].order_id, Some(orders[0].id));
        assert_eq!(
            day.discrepancies[0].kakaopay_amount,
            Some(Money::won(5_500))
        );

        inquiries.insert(
            "T3".to_owned(),
            pay(PayState::PartCanceled, "PART_CANCEL_PAYMENT", 3_200, 1_000),
        );
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(day.discrepancies[1].kind, DiscrepancyKind::AmountMismatch);
        assert!(day.discrepancies[1].description.contains("취소 금액"));
    }

    #[test]
    fn stream_gaps_and_strays_are_reported() {
        let (orders, inquiries, mut stream) = clean_day();
        // The READY order's ready entry is lost; a stray cancel names the placed order; an
        // entry names an order nobody knows; one entry cannot be read.
        stream.retain(|e| !(e.order_id == Some(orders[1].id) && e.kind == EntryKind::Ready));
        stream.push(entry(5, &orders[0], EntryKind::Canceled));
        let stranger = order(OrderStatus::Placed, 1_000, "");
        stream.push(placed(6, &stranger));
        stream.push(StreamEntry {
            stream_id: "1700000000000-7".into(),
            order_id: None,
            kind: EntryKind::Unreadable {
                reason: "bad protobuf".into(),
            },
        });
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(
            kinds(&day),
            vec![
                DiscrepancyKind::StreamOnly,
                DiscrepancyKind::MissingFromStream,
                DiscrepancyKind::StreamOnly,
                DiscrepancyKind::Other,
            ]
        );
        assert_eq!(day.discrepancies[0].order_id, Some(orders[0].id));
        assert!(
            day.discrepancies[1]
                .description
                .contains("완료 기록이 없습니다")
        );
        assert_eq!(day.discrepancies[2].order_id, Some(stranger.id));
        assert_eq!(day.orders.len(), 5);
        let stray = day
            .orders
            .iter()
            .find(|l| l.order_id == stranger.id)
            .unwrap();
        assert_eq!((stray.status_db, stray.in_stream), (None, true));
        // Totals are Postgres's: a stranger in the stream does not change them.
        assert_eq!(day.totals.gross, Money::won(12_700));
    }

    #[test]
    fn unsettled_missing_tid_and_failed_inquiries() {
        let approving = order(OrderStatus::Approving, 2_000, "T9");
        let no_tid = order(OrderStatus::Ready, 1_000, "");
        let unknown = order(OrderStatus::Placed, 3_000, "T8");
        let stream = vec![
            placed(0, &no_tid),
            entry(1, &no_tid, EntryKind::Ready),
            placed(2, &unknown),
        ];
        let inquiries = HashMap::from([
            (
                "T9".to_owned(),
                pay(PayState::Approved, "SUCCESS_PAYMENT", 2_000, 0),
            ),
            ("T8".to_owned(), Inquiry::Failed("tid not found".into())),
        ]);
        let orders = vec![approving, no_tid, unknown];
        let day = reconcile(&orders, &inquiries, &stream).unwrap();
        assert_eq!(
            kinds(&day),
            vec![
                DiscrepancyKind::Unsettled,
                DiscrepancyKind::Other,
                DiscrepancyKind::InquiryFailed
            ]
        );
        assert!(day.discrepancies[0].description.contains("SUCCESS_PAYMENT"));
        assert_eq!(day.totals.order_count, 2);
    }

    #[test]
    fn the_same_inputs_give_the_same_answer() {
        let (orders, inquiries, stream) = clean_day();
        let mut reversed = stream.clone();
        reversed.reverse();
        let mut shuffled = orders.clone();
        shuffled.rotate_left(2);
        assert_eq!(
            reconcile(&orders, &inquiries, &stream).unwrap(),
            reconcile(&shuffled, &inquiries, &reversed).unwrap()
        );
    }
}
