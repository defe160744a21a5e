//! The table a run ends with. Columns marked `!` are losses: any of them above zero fails the run.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::reconcile::{Figures, Reconciled};

const COLUMNS: [(&str, &str); 12] = [
    ("scenario", ""),
    ("tried", "orders attempted"),
    ("charged", "payments KakaoPay charged"),
    ("placed", "orders placed in Postgres"),
    ("refunded", "payments refunded"),
    ("!unpaid-back", "charged without an order and not refunded"),
    ("!twice", "charged twice"),
    ("!stuck", "stuck after the settle time"),
    ("!live", "placed but missing from the store's live board"),
    (
        "!reload",
        "placed but missing from the board after a reload",
    ),
    ("errors", "attempts that ended in an error the customer saw"),
    (
        "misinformed",
        "shown a failure page although the order was placed (the order_placed alert tells them)",
    ),
];

fn cells(name: &str, f: &Figures) -> Vec<String> {
    vec![
        name.to_owned(),
        f.attempted.to_string(),
        f.charged.to_string(),
        f.placed.to_string(),
        f.refunded.to_string(),
        f.charged_without_order.to_string(),
        f.charged_twice.to_string(),
        f.stuck.to_string(),
        f.missing_live.to_string(),
        f.missing_reload.to_string(),
        f.customer_errors.to_string(),
        f.misinformed.to_string(),
    ]
}

pub struct Extras<'a> {
    pub dead_letters: &'a BTreeMap<String, usize>,
    pub customer_errors: &'a [(String, usize)],
    pub events: &'a [String],
    pub settled_in: std::time::Duration,
}

pub fn render(result: &Reconciled, extras: &Extras<'_>) -> String {
    let mut rows: Vec<Vec<String>> = vec![COLUMNS.iter().map(|(c, _)| (*c).to_owned()).collect()];
    for (name, figures) in &result.scenarios {
        rows.push(cells(name, figures));
    }
    rows.push(cells("TOTAL", &result.total));
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "\n==== chaos: figures per scenario ====");
    for (n, row) in rows.iter().enumerate() {
        if n == rows.len() - 1 {
            let _ = writeln!(
                out,
                "{}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * widths.len())
            );
        }
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = widths[i] - cell.chars().count();
                if i == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  "));
    }
    let _ = writeln!(out, "\ncolumns:");
    for (name, meaning) in COLUMNS.iter().skip(1) {
        let _ = writeln!(out, "  {name:<13} {meaning}");
    }
    let _ = writeln!(
        out,
        "\nsettled {:.0?} after the load stopped",
        extras.settled_in
    );
    let _ = writeln!(out, "\ndead letters by consumer group and reason:");
    if extras.dead_letters.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for (reason, count) in extras.dead_letters {
        let _ = writeln!(out, "  {count:>6}  {reason}");
    }
    let _ = writeln!(
        out,
        "\nwhat customers saw go wrong (scenario | step: what they saw):"
    );
    if extras.customer_errors.is_empty() {
        let _ = writeln!(out, "  nothing");
    }
    for (seen, count) in extras.customer_errors.iter().take(30) {
        let _ = writeln!(out, "  {count:>6}  {seen}");
    }
    let _ = writeln!(out, "\nwhat was done:");
    for event in extras.events {
        let _ = writeln!(out, "  {event}");
    }
    if !result.findings.is_empty() {
        let _ = writeln!(out, "\nlosses found ({}):", result.findings.len());
        for finding in result.findings.iter().take(50) {
            let _ = writeln!(out, "  {finding}");
        }
    }
    let failed: Vec<String> = result
        .total
        .losses()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name}: {n}"))
        .collect();
    if failed.is_empty() {
        let _ = writeln!(
            out,
            "\nPASS: nothing lost, nothing charged twice, every board complete"
        );
    } else {
        let _ = writeln!(out, "\nFAIL: {}", failed.join("; "));
    }
    out
}
