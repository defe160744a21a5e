//! Orders at a fixed rate, whatever state the system is in: each tick a new customer orders an
//! item of a random store, tagged with the scenario running when they started.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::seq::IndexedRandom;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::customer::{self, Attempt, Customer, Outcome, Shop};

pub struct Driver {
    pub http: reqwest::Client,
    pub gateway: String,
    pub sandbox: String,
    pub shops: Arc<Vec<Shop>>,
    pub attempts: Arc<Mutex<Vec<Attempt>>>,
}

impl Driver {
    /// Orders `rate` times a second, each tagged with `scenario`'s value when it starts, until
    /// `scenario` is closed; then waits for the customers still on their way.
    pub async fn run(self, rate: f64, scenario: watch::Receiver<String>) {
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut customers = JoinSet::new();
        loop {
            ticker.tick().await;
            if scenario.has_changed().is_err() {
                break;
            }
            let label = scenario.borrow().clone();
            let (shop, item) = {
                let mut rng = rand::rng();
                let shop = self
                    .shops
                    .choose(&mut rng)
                    .expect("at least one shop")
                    .clone();
                let item = shop.items.choose(&mut rng).expect("an item").clone();
                (shop, item)
            };
            let customer = Customer::new(&self.http, &self.gateway, &self.sandbox);
            let attempts = self.attempts.clone();
            customers.spawn(async move {
                let mut attempt = Attempt {
                    scenario: label,
                    store_id: shop.store_id.clone(),
                    tids: Default::default(),
                    pages: Vec::new(),
                    outcome: Outcome::Pending,
                };
                customer::order(&customer, &shop, &item, &mut attempt).await;
                attempts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(attempt);
            });
            while customers.try_join_next().is_some() {}
        }
        while customers.join_next().await.is_some() {}
    }
}
