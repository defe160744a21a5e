//! The kakao-sandbox's KakaoPay, spoken to the way the payment service does, for tests that need
//! real payments (paid, refunded, abandoned) behind the orders they write.

use anyhow::{Context, bail};
use platform::Config;
use serde_json::{Value, json};
use uuid::Uuid;

/// The sandbox's KakaoPay API and payment page, as `config` places them.
pub struct Sandbox {
    base: String,
    authorization: String,
    cid: String,
    http: reqwest::Client,
}

impl Sandbox {
    pub fn new(config: &Config) -> Sandbox {
        Sandbox {
            base: format!("http://{}", config.sandbox_addr),
            authorization: kakao::pay::authorization_value(&config.kakao.kakaopay_secret_key),
            cid: config.kakao.kakaopay_cid.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    async fn call(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(kakao::pay::AUTHORIZATION_HEADER, &self.authorization)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("{path}: {status} {body}");
        }
        Ok(body)
    }

    /// KakaoPay ready: a payment the customer has not paid yet.
    pub async fn ready(&self, amount: i64) -> anyhow::Result<String> {
        Ok(self.ready_for(amount).await?.0)
    }

    /// [`Sandbox::ready`], with the partner order id approve must repeat.
    async fn ready_for(&self, amount: i64) -> anyhow::Result<(String, String)> {
        let partner = Uuid::now_v7().to_string();
        let answer = self
            .call(
                kakao::pay::READY_PATH,
                json!({
                    "cid": self.cid,
                    "partner_order_id": partner,
                    "partner_user_id": "customer",
                    "item_name": "아메리카노 외",
                    "quantity": 1,
                    "total_amount": amount,
                    "tax_free_amount": 0,
                    "approval_url": "http://127.0.0.1/approval",
                    "cancel_url": "http://127.0.0.1/cancel",
                    "fail_url": "http://127.0.0.1/fail",
                }),
            )
            .await?;
        let tid = answer["tid"].as_str().context("tid")?.to_owned();
        Ok((tid, partner))
    }

    /// The customer chooses on the payment page (approve | cancel | fail): where the page
    /// sends the browser.
    pub async fn page_choice(&self, tid: &str, choice: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/kakaopay/pay/{tid}/{choice}", self.base))
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::SEE_OTHER {
            bail!("the payment page answered {}", response.status());
        }
        Ok(response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .context("the payment page redirects")?
            .to_owned())
    }

    /// [`Sandbox::page_choice`]; the redirect's `pg_token` when approved.
    pub async fn choose(&self, tid: &str, choice: &str) -> anyhow::Result<Option<String>> {
        let location = self.page_choice(tid, choice).await?;
        Ok(location
            .split_once("pg_token=")
            .map(|(_, token)| token.split('&').next().unwrap_or(token).to_owned()))
    }

    /// The sandbox ledger's record of one payment: every call and the money it moved.
    pub async fn ledger(&self, tid: &str) -> anyhow::Result<Value> {
        self.get(&format!("/sandbox/ledger/{tid}")).await
    }

    /// The sandbox ledger's record of every payment.
    pub async fn ledger_all(&self) -> anyhow::Result<Vec<Value>> {
        Ok(serde_json::from_value(self.get("/sandbox/ledger").await?)?)
    }

    /// Queues KakaoPay faults (`POST /sandbox/faults`).
    pub async fn faults(&self, body: Value) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/sandbox/faults", self.base))
            .json(&body)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("faults {body}: {}", response.status());
        }
        Ok(())
    }

    /// Clears the queued KakaoPay faults.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        let response = self
            .http
            .delete(format!("{}/sandbox/faults", self.base))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("clearing faults: {}", response.status());
        }
        Ok(())
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("{path}: {status}");
        }
        Ok(response.json().await?)
    }

    /// A payment made in full: ready, paid on the page, approved.
    pub async fn paid(&self, amount: i64) -> anyhow::Result<String> {
        let (tid, partner) = self.ready_for(amount).await?;
        let pg_token = self.choose(&tid, "approve").await?.context("pg_token")?;
        self.call(
            kakao::pay::APPROVE_PATH,
            json!({
                "cid": self.cid,
                "tid": tid,
                "partner_order_id": partner,
                "partner_user_id": "customer",
                "pg_token": pg_token,
                "total_amount": amount,
            }),
        )
        .await?;
        Ok(tid)
    }

    /// A payment abandoned on the page (never charged).
    pub async fn abandoned(&self, amount: i64) -> anyhow::Result<String> {
        let tid = self.ready(amount).await?;
        self.choose(&tid, "fail").await?;
        Ok(tid)
    }

    /// Refunds `amount` of a paid payment.
    pub async fn cancel(&self, tid: &str, amount: i64) -> anyhow::Result<()> {
        self.call(
            kakao::pay::CANCEL_PATH,
            json!({
                "cid": self.cid,
                "tid": tid,
                "cancel_amount": amount,
                "cancel_tax_free_amount": 0,
            }),
        )
        .await?;
        Ok(())
    }

    /// KakaoPay's own status of a payment.
    pub async fn status(&self, tid: &str) -> anyhow::Result<String> {
        let answer = self
            .call(
                kakao::pay::ORDER_PATH,
                json!({ "cid": self.cid, "tid": tid }),
            )
            .await?;
        Ok(answer["status"].as_str().unwrap_or_default().to_owned())
    }
}
