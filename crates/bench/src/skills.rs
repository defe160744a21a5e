//! P1: a skill mix (menu, item, cart, orders) as Kakao posts it to the gateway, and the same
//! answer from a bare axum handler.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chaos::customer::{Customer, Shop};
use serde_json::json;

/// Customers whose requests make the mix; each has a cart, so `cart` draws a sheet.
const CUSTOMERS: usize = 32;
pub const SKILLS: [&str; 4] = ["menu", "item", "cart", "orders"];

/// Every request of the mix, ready to post: (URL path, body).
pub struct Mix {
    requests: Vec<(String, Vec<u8>)>,
    /// The menu skill's answer, for the bare handler to return.
    pub menu_answer: Vec<u8>,
}

impl Mix {
    pub async fn prepare(
        http: &reqwest::Client,
        gateway: &str,
        sandbox: &str,
        shop: &Shop,
    ) -> anyhow::Result<Mix> {
        let mut requests = Vec::new();
        let item = &shop.items[0];
        for _ in 0..CUSTOMERS {
            let customer = Customer::new(http, gateway, sandbox);
            customer
                .add(&shop.store_id, item)
                .await
                .map_err(|e| anyhow::anyhow!("cart-add for the mix: {e:?}"))?;
            for skill in SKILLS {
                let extra = match skill {
                    "menu" => json!({ "store_id": shop.store_id }),
                    "item" => json!({ "store_id": shop.store_id, "item_id": item }),
                    _ => json!({}),
                };
                let body = customer.payload(skill, skill, extra);
                requests.push((format!("{gateway}/kakao/skill/{skill}"), body));
            }
        }
        let mut menu_answer = Vec::new();
        for (url, body) in requests.iter().take(SKILLS.len()) {
            let answer = http.post(url).body(body.clone()).send().await?;
            let status = answer.status();
            let bytes = answer.bytes().await?;
            let value: serde_json::Value =
                serde_json::from_slice(&bytes).with_context(|| format!("{url}: not JSON"))?;
            if !status.is_success() || value["template"].is_null() {
                bail!("{url}: HTTP {status} {value}");
            }
            if url.ends_with("/menu") {
                menu_answer = bytes.to_vec();
            }
        }
        Ok(Mix {
            requests,
            menu_answer,
        })
    }

    /// The same requests sent to another base URL (the bare handler).
    pub fn against(&self, from: &str, to: &str) -> Mix {
        Mix {
            requests: self
                .requests
                .iter()
                .map(|(url, body)| (url.replacen(from, to, 1), body.clone()))
                .collect(),
            menu_answer: self.menu_answer.clone(),
        }
    }

    /// A caller for the load shapes: request `i` of the mix, true on a 2xx answer read whole.
    pub fn caller(
        self: &Arc<Self>,
        http: &reqwest::Client,
    ) -> impl Fn(u64) -> futures::future::BoxFuture<'static, bool> + Send + Sync + 'static {
        let mix = self.clone();
        let http = http.clone();
        move |i| {
            let (url, body) = &mix.requests[i as usize % mix.requests.len()];
            let request = http
                .post(url)
                .header("content-type", "application/json;charset=UTF-8")
                .timeout(Duration::from_secs(10))
                .body(body.clone());
            Box::pin(async move {
                match request.send().await {
                    Ok(answer) if answer.status().is_success() => answer.bytes().await.is_ok(),
                    _ => false,
                }
            })
        }
    }
}

/// `bench bare`: the menu answer from a bare axum handler on `port`, until killed.
pub async fn serve_bare(port: u16, body: Vec<u8>) -> anyhow::Result<()> {
    let body = axum::body::Bytes::from(body);
    let app = axum::Router::new().route(
        "/kakao/skill/{name}",
        axum::routing::post(move |_request: axum::body::Bytes| {
            let body = body.clone();
            async move { ([("content-type", "application/json;charset=UTF-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
