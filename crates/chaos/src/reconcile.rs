//! After the faults: the three records of the same money and orders — KakaoPay's ledger (the
//! sandbox), Postgres, and what every store's board shows — matched per payment and per order,
//! and counted per scenario.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;

use crate::board::Shown;
use crate::customer::{Attempt, Outcome};

/// One payment in KakaoPay's ledger.
#[derive(Debug, Deserialize)]
pub struct Payment {
    pub tid: String,
    pub approvals: u32,
    pub approved_amount: i64,
    pub canceled_amount: i64,
}

impl Payment {
    fn held(&self) -> i64 {
        self.approved_amount - self.canceled_amount
    }
}

pub async fn ledger(http: &reqwest::Client, sandbox: &str) -> anyhow::Result<Vec<Payment>> {
    http.get(format!("{sandbox}/sandbox/ledger"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
        .context("the sandbox's ledger")
}

#[derive(Debug)]
pub struct Order {
    pub id: String,
    pub store_id: String,
    pub status: String,
    pub payment_tid: Option<String>,
    pub placed: bool,
}

pub async fn orders(pool: &PgPool) -> anyhow::Result<Vec<Order>> {
    Ok(sqlx::query_as!(
        Order,
        r#"SELECT id::text AS "id!", store_id::text AS "store_id!", status, payment_tid,
             placed_at IS NOT NULL AS "placed!"
         FROM customer_order"#
    )
    .fetch_all(pool)
    .await?)
}

/// Orders between payment and placement, and refunds whose outcome is not known yet.
async fn unsettled(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM customer_order WHERE status = 'APPROVING')
              + (SELECT count(*) FROM order_payment WHERE status = 'CANCEL_PENDING')
             AS "unsettled!""#
    )
    .fetch_one(pool)
    .await?)
}

/// Waits until nothing is unsettled (twice in a row), or until the count of unsettled orders
/// and refunds has not gone down for `idle`: a starved machine settles slowly, a stuck order
/// not at all. How long it took.
pub async fn settle(pool: &PgPool, idle: Duration) -> Duration {
    let started = tokio::time::Instant::now();
    let mut progress = started;
    let mut fewest = i64::MAX;
    let mut clear = 0;
    while progress.elapsed() < idle {
        match unsettled(pool).await {
            Ok(0) => clear += 1,
            Ok(n) => {
                clear = 0;
                if n < fewest {
                    fewest = n;
                    progress = tokio::time::Instant::now();
                }
            }
            Err(_) => clear = 0,
        }
        if clear >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    started.elapsed()
}

/// Placed orders some board does not show yet.
pub async fn missing_from_boards(
    pool: &PgPool,
    boards: &HashMap<String, Shown>,
) -> anyhow::Result<usize> {
    Ok(orders(pool)
        .await?
        .iter()
        .filter(|o| o.placed)
        .filter(|o| {
            boards
                .get(&o.store_id)
                .is_none_or(|b| !b.contains_key(&o.id))
        })
        .count())
}

pub async fn stuck_payments(pool: &PgPool) -> anyhow::Result<Vec<String>> {
    Ok(
        sqlx::query_scalar!("SELECT tid FROM order_payment WHERE status = 'CANCEL_PENDING'")
            .fetch_all(pool)
            .await?,
    )
}

/// The figures of one scenario (or of the whole run).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Figures {
    pub attempted: usize,
    pub charged: usize,
    pub placed: usize,
    pub refunded: usize,
    pub charged_without_order: usize,
    pub charged_twice: usize,
    pub stuck: usize,
    pub missing_live: usize,
    pub missing_reload: usize,
    pub customer_errors: usize,
    /// Customers shown a failure page although their payment placed the order.
    pub misinformed: usize,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.attempted += other.attempted;
        self.charged += other.charged;
        self.placed += other.placed;
        self.refunded += other.refunded;
        self.charged_without_order += other.charged_without_order;
        self.charged_twice += other.charged_twice;
        self.stuck += other.stuck;
        self.missing_live += other.missing_live;
        self.missing_reload += other.missing_reload;
        self.customer_errors += other.customer_errors;
        self.misinformed += other.misinformed;
    }

    /// The figures that must be zero, by name, with their value.
    pub fn losses(&self) -> [(&'static str, usize); 5] {
        [
            (
                "charged without an order, not refunded",
                self.charged_without_order,
            ),
            ("charged twice", self.charged_twice),
            ("stuck after the settle time", self.stuck),
            ("missing from a live board", self.missing_live),
            ("missing from a reloaded board", self.missing_reload),
        ]
    }
}

/// Everything the reconciliation looks at.
pub struct Records<'a> {
    pub attempts: &'a [Attempt],
    pub ledger: &'a [Payment],
    pub orders: &'a [Order],
    pub stuck_refunds: &'a [String],
    /// Per store: the live board's view and a fresh reload's.
    pub boards: &'a HashMap<String, (Shown, Shown)>,
}

/// Per scenario, in the order scenarios first appear, plus what was found, one line each.
pub struct Reconciled {
    pub scenarios: Vec<(String, Figures)>,
    pub total: Figures,
    pub findings: Vec<String>,
}

pub fn reconcile(records: &Records<'_>, order: &[String]) -> Reconciled {
    const UNKNOWN: &str = "(no attempt)";
    let mut by: BTreeMap<String, Figures> = BTreeMap::new();
    let mut findings = Vec::new();
    let mut scenario_of_tid: HashMap<&str, &str> = HashMap::new();
    for attempt in records.attempts {
        let figures = by.entry(attempt.scenario.clone()).or_default();
        figures.attempted += 1;
        if matches!(attempt.outcome, Outcome::Error { .. }) {
            figures.customer_errors += 1;
        }
        for tid in &attempt.tids {
            scenario_of_tid.insert(tid, &attempt.scenario);
        }
    }
    let scenario = |tid: Option<&str>| {
        tid.and_then(|t| scenario_of_tid.get(t).copied())
            .unwrap_or(UNKNOWN)
            .to_owned()
    };
    let payments: HashMap<&str, &Payment> =
        records.ledger.iter().map(|p| (p.tid.as_str(), p)).collect();
    let standing: BTreeSet<&str> = records
        .orders
        .iter()
        .filter(|o| matches!(o.status.as_str(), "PLACED" | "ACCEPTED" | "READY"))
        .filter_map(|o| o.payment_tid.as_deref())
        .collect();

    for payment in records.ledger {
        let figures = by.entry(scenario(Some(&payment.tid))).or_default();
        if payment.approved_amount > 0 {
            figures.charged += 1;
        }
        if payment.canceled_amount > 0 {
            figures.refunded += 1;
        }
        if payment.held() > 0 && !standing.contains(payment.tid.as_str()) {
            figures.charged_without_order += 1;
            findings.push(format!(
                "tid {} holds {} KRW and no order stands on it",
                payment.tid,
                payment.held()
            ));
        }
        if payment.approvals > 1 {
            figures.charged_twice += 1;
            findings.push(format!(
                "tid {} approved {} times",
                payment.tid, payment.approvals
            ));
        }
    }
    for attempt in records.attempts {
        let held = attempt
            .tids
            .iter()
            .filter(|t| payments.get(t.as_str()).is_some_and(|p| p.held() > 0))
            .count();
        if held > 1 {
            by.entry(attempt.scenario.clone())
                .or_default()
                .charged_twice += 1;
            findings.push(format!(
                "one customer's order sheet is paid {held} times: {:?}",
                attempt.tids
            ));
        }
    }
    for attempt in records.attempts {
        let failure_page = matches!(&attempt.outcome, Outcome::Error { step, seen }
            if *step == crate::customer::RESULT_STEP && !seen.starts_with("trouble"));
        if failure_page && attempt.tids.iter().any(|t| standing.contains(t.as_str())) {
            by.entry(attempt.scenario.clone()).or_default().misinformed += 1;
        }
    }
    for order in records.orders {
        let figures = by
            .entry(scenario(order.payment_tid.as_deref()))
            .or_default();
        if order.status == "APPROVING" {
            figures.stuck += 1;
            findings.push(format!("order {} still APPROVING", order.id));
        }
        if !order.placed {
            continue;
        }
        figures.placed += 1;
        let (live, reload) = records
            .boards
            .get(&order.store_id)
            .map(|(live, reload)| (live.contains_key(&order.id), reload.contains_key(&order.id)))
            .unwrap_or((false, false));
        if !live {
            figures.missing_live += 1;
        }
        if !reload {
            figures.missing_reload += 1;
        }
        if !live || !reload {
            findings.push(format!(
                "order {} ({}) missing from store {}'s {} board",
                order.id,
                order.status,
                order.store_id,
                match (live, reload) {
                    (false, false) => "live and reloaded",
                    (false, true) => "live",
                    _ => "reloaded",
                }
            ));
        }
    }
    for tid in records.stuck_refunds {
        by.entry(scenario(Some(tid))).or_default().stuck += 1;
        findings.push(format!("refund of tid {tid} still pending"));
    }

    let mut scenarios = Vec::new();
    let mut total = Figures::default();
    let mut names: Vec<String> = order.to_vec();
    names.extend(by.keys().filter(|k| !order.contains(k)).cloned());
    for name in names {
        if let Some(figures) = by.remove(&name).filter(|f| *f != Figures::default()) {
            total.add(&figures);
            scenarios.push((name, figures));
        }
    }
    Reconciled {
        scenarios,
        total,
        findings,
    }
}

/// What customers saw go wrong, by step and message, most frequent first.
pub fn customer_errors(attempts: &[Attempt]) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for attempt in attempts {
        if let Outcome::Error { step, seen } = &attempt.outcome {
            let seen = seen.replace('\n', " ");
            *counts
                .entry(format!("{} | {step}: {seen}", attempt.scenario))
                .or_default() += 1;
        }
    }
    let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(scenario: &str, tids: &[&str]) -> Attempt {
        Attempt {
            scenario: scenario.into(),
            store_id: "s1".into(),
            tids: tids.iter().map(|t| (*t).to_owned()).collect(),
            outcome: Outcome::Placed,
            pages: Vec::new(),
        }
    }

    fn paid(tid: &str, approved: i64, canceled: i64) -> Payment {
        Payment {
            tid: tid.into(),
            approvals: u32::from(approved > 0),
            approved_amount: approved,
            canceled_amount: canceled,
        }
    }

    fn order(id: &str, status: &str, tid: &str) -> Order {
        Order {
            id: id.into(),
            store_id: "s1".into(),
            status: status.into(),
            payment_tid: Some(tid.into()),
            placed: matches!(status, "PLACED" | "READY"),
        }
    }

    fn boards(shown: &[&str]) -> HashMap<String, (Shown, Shown)> {
        let shown: Shown = shown
            .iter()
            .map(|id| ((*id).to_owned(), "placed".to_owned()))
            .collect();
        HashMap::from([("s1".to_owned(), (shown.clone(), shown))])
    }

    #[test]
    fn a_failure_page_for_a_placed_order_is_counted_as_misinformed() {
        let mut told = attempt("redis", &["t1"]);
        told.outcome = Outcome::Error {
            step: crate::customer::RESULT_STEP,
            seen: "주문 안 됨: 결제 정보를 찾을 수 없어요".into(),
        };
        let result = reconcile(
            &Records {
                attempts: &[told],
                ledger: &[paid("t1", 4500, 0)],
                orders: &[order("o1", "PLACED", "t1")],
                stuck_refunds: &[],
                boards: &boards(&["o1"]),
            },
            &["redis".to_owned()],
        );
        assert_eq!(
            (result.total.customer_errors, result.total.misinformed),
            (1, 1)
        );
    }

    #[test]
    fn a_placed_order_on_every_board_and_a_refunded_failure_are_no_loss() {
        let attempts = [attempt("calm", &["t1"]), attempt("calm", &["t2"])];
        let ledger = [paid("t1", 4500, 0), paid("t2", 4500, 4500)];
        let orders = [order("o1", "PLACED", "t1"), order("o2", "FAILED", "t2")];
        let result = reconcile(
            &Records {
                attempts: &attempts,
                ledger: &ledger,
                orders: &orders,
                stuck_refunds: &[],
                boards: &boards(&["o1"]),
            },
            &["calm".to_owned()],
        );
        let calm = &result.scenarios[0].1;
        assert_eq!(
            (calm.attempted, calm.charged, calm.placed, calm.refunded),
            (2, 2, 1, 1)
        );
        assert!(
            result.total.losses().iter().all(|(_, n)| *n == 0),
            "{:?}",
            result.findings
        );
    }

    #[test]
    fn money_without_an_order_a_second_payment_a_stuck_order_and_a_gap_on_the_board_are_losses() {
        let attempts = [attempt("kill", &["t1", "t2"]), attempt("kill", &["t3"])];
        let ledger = [
            paid("t1", 4500, 0),
            paid("t2", 4500, 0),
            paid("t3", 3000, 0),
        ];
        let orders = [order("o1", "PLACED", "t1"), order("o3", "APPROVING", "t3")];
        let result = reconcile(
            &Records {
                attempts: &attempts,
                ledger: &ledger,
                orders: &orders,
                stuck_refunds: &[],
                boards: &boards(&[]),
            },
            &["kill".to_owned()],
        );
        let total = &result.total;
        // t2 and t3 hold money without a standing order; one sheet was paid twice.
        assert_eq!(total.charged_without_order, 2);
        assert_eq!(total.charged_twice, 1);
        assert_eq!(total.stuck, 1);
        assert_eq!((total.missing_live, total.missing_reload), (1, 1));
    }
}
