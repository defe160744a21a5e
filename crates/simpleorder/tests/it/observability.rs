//! `deploy/observability` as Prometheus and Grafana read it: every expression of the alert rules
//! and of the dashboard's panels parses as PromQL, the alerts the operator relies on are there,
//! and every metric they query is one the running services export on `/metrics` (or `up`, which
//! Prometheus writes itself).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use contracts::store::v1 as pb;
use platform::Service;
use promql_parser::parser::{self, Expr};
use promql_parser::util::{ExprVisitor, walk_expr};
use serde_json::Value;
use testkit::{System, TestDb, TestRedis, eventually};

/// Series that come from Prometheus, not from the services.
const EXTERNAL: &[&str] = &["up"];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/observability")
}

/// Each alert's name and expression. The rules file keeps every `expr` a `|` block, so the
/// block is the lines indented deeper than its key.
fn rules() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir().join("rules.yaml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut rules = Vec::new();
    let mut alert = String::new();
    for (at, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("- alert:") {
            alert = name.trim().to_owned();
        }
        if trimmed.starts_with("expr:") {
            assert_eq!(trimmed, "expr: |", "{alert}: keep expr a | block");
            let indent = line.len() - trimmed.len();
            let expr: Vec<&str> = lines[at + 1..]
                .iter()
                .take_while(|l| l.len() - l.trim_start().len() > indent)
                .map(|l| l.trim())
                .collect();
            rules.push((alert.clone(), expr.join(" ")));
        }
    }
    rules
}

/// Each panel target's title and expression.
fn panels() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir().join("dashboard.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&text).unwrap();
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push((
                panel["title"].as_str().unwrap().to_owned(),
                target["expr"].as_str().unwrap().to_owned(),
            ));
        }
    }
    exprs
}

struct Names(BTreeSet<String>);

impl ExprVisitor for Names {
    type Error = ();

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
        let selector = match expr {
            Expr::VectorSelector(vs) => Some(vs),
            Expr::MatrixSelector(ms) => Some(&ms.vs),
            _ => None,
        };
        if let Some(name) = selector.and_then(|vs| vs.name.clone()) {
            self.0.insert(name);
        }
        Ok(true)
    }
}

/// The metric names every rule and panel queries; panics naming an expression that does not
/// parse.
fn queried() -> BTreeSet<String> {
    let mut names = Names(BTreeSet::new());
    for (what, expr) in rules().into_iter().chain(panels()) {
        let parsed = parser::parse(&expr).unwrap_or_else(|e| panic!("{what}: {expr}: {e}"));
        walk_expr(&mut names, &parsed).unwrap();
    }
    names.0
}

#[test]
fn every_rule_and_panel_parses_and_the_alerts_an_operator_needs_are_there() {
    let alerts: BTreeSet<String> = rules().into_iter().map(|(name, _)| name).collect();
    for wanted in [
        "SimpleOrderDeadLettersGrowing",
        "SimpleOrderConsumerLagging",
        "SimpleOrderOrdersStuckApproving",
        "SimpleOrderApproveFailureRatio",
        "SimpleOrderSkillSlow",
        "SimpleOrderPodNotReady",
    ] {
        assert!(alerts.contains(wanted), "{wanted} in {alerts:?}");
    }
    let titles: BTreeSet<String> = panels().into_iter().map(|(title, _)| title).collect();
    for wanted in [
        "Orders per minute by outcome",
        "Paid → PLACED latency",
        "Skill latency p95 by skill",
        "KakaoPay call latency p95",
        "KakaoPay call errors",
        "Stream lag and pending",
        "Live board connections",
    ] {
        assert!(titles.contains(wanted), "{wanted} in {titles:?}");
    }
    assert!(queried().len() > 10);
}

/// The metric names of a Prometheus text exposition.
fn exposed(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
}

#[tokio::test]
async fn every_metric_the_rules_and_the_dashboard_query_is_exported() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let system = System::start(crate::LAUNCH, &Service::ALL, &db, &redis).await?;
    let http = reqwest::Client::new();
    // A little traffic: one public page, one gRPC call, each service's readiness probe.
    http.get(system.gateway_url()).send().await?;
    let _ = system
        .store()
        .get_menu(pb::GetMenuRequest {
            store_id: uuid::Uuid::now_v7().to_string(),
        })
        .await;
    for service in Service::ALL {
        http.get(format!("{}/readyz", system.ops_url(service)))
            .send()
            .await?;
    }
    let wanted: BTreeSet<String> = queried()
        .into_iter()
        .filter(|name| !EXTERNAL.contains(&name.as_str()))
        .collect();
    // The bus gauges are set by the consumers' periodic statistics, a few seconds in.
    let missing = eventually(Duration::from_secs(30), || {
        let http = http.clone();
        let wanted = wanted.clone();
        let urls: Vec<String> = Service::ALL
            .into_iter()
            .filter(|s| *s != Service::KakaoSandbox)
            .map(|s| format!("{}/metrics", system.ops_url(s)))
            .collect();
        async move {
            let mut exported = BTreeSet::new();
            for url in urls {
                let text = http.get(&url).send().await.ok()?.text().await.ok()?;
                exported.extend(exposed(&text));
            }
            let missing: Vec<String> = wanted.difference(&exported).cloned().collect();
            missing.is_empty().then_some(())
        }
    })
    .await;
    if missing.is_err() {
        let mut exported = BTreeSet::new();
        for service in Service::ALL {
            if let Ok(response) = http
                .get(format!("{}/metrics", system.ops_url(service)))
                .send()
                .await
            {
                exported.extend(exposed(&response.text().await?));
            }
        }
        let missing: Vec<&String> = wanted.difference(&exported).collect();
        panic!("queried but not exported: {missing:?}");
    }
    system.stop().await?;
    Ok(())
}
