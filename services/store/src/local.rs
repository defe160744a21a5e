//! The Kakao Local API client (reference/kakao-apis.md §1.4b): a place name or an address to
//! coordinates, `GET {KAKAO_LOCAL_BASE_URL}/v2/local/search/{keyword,address}.json?query=…`
//! with `Authorization: KakaoAK {KAKAO_REST_API_KEY}`. Every call has the deadline
//! `STORE_LOCAL_TIMEOUT`; it only talks HTTP, deciding what a failure means is the caller's job.
//! The key is never logged.

use std::sync::LazyLock;
use std::time::Duration;

use kakao::local::{self, AddressDocument, ErrorBody, Place};
use platform::telemetry::Outbound;
use serde::de::DeserializeOwned;
use tracing::Instrument;

static CALLS: LazyLock<prometheus::IntCounterVec> = LazyLock::new(|| {
    prometheus::register_int_counter_vec_with_registry!(
        prometheus::Opts::new(
            "kakao_local_calls_total",
            "Kakao Local API calls by search and result (found, none, refused, failed, timeout)"
        ),
        &["search", "result"],
        platform::metrics::REGISTRY.clone()
    )
    .expect("metric registers once")
});

/// Why a search gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// 401/403: our key is wrong or lacks the Local API. An operator must fix the settings.
    #[error("Kakao Local refused the request ({status} {error_type}): check KAKAO_REST_API_KEY")]
    Refused { status: u16, error_type: String },
    #[error("Kakao Local did not answer within {0:?}")]
    Timeout(Duration),
    #[error("Kakao Local failed: {0}")]
    Failed(String),
}

pub struct LocalApi {
    http: reqwest::Client,
    base_url: String,
    authorization: String,
    timeout: Duration,
}

// Hand-written so the key can never reach a log through `{:?}`.
impl std::fmt::Debug for LocalApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalApi")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy)]
enum Search {
    Keyword,
    Address,
}

impl Search {
    fn name(self) -> &'static str {
        match self {
            Search::Keyword => "keyword",
            Search::Address => "address",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Search::Keyword => local::KEYWORD_PATH,
            Search::Address => local::ADDRESS_PATH,
        }
    }
}

impl LocalApi {
    pub fn new(
        base_url: &str,
        rest_api_key: &str,
        timeout: Duration,
    ) -> Result<LocalApi, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(LocalApi {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            authorization: kakao::event_api::authorization_value(rest_api_key),
            timeout,
        })
    }

    /// The best match of a keyword search ("강남역" → 강남역 2호선), if any has coordinates.
    pub async fn place(&self, query: &str) -> Result<Option<Place>, LocalError> {
        let answer: local::KeywordResponse = self.get(Search::Keyword, query).await?;
        let found = answer.documents.into_iter().find(|p| p.lat_lng().is_some());
        count(
            Search::Keyword,
            if found.is_some() { "found" } else { "none" },
        );
        Ok(found)
    }

    /// The best match of an address search, if any has coordinates.
    pub async fn address(&self, query: &str) -> Result<Option<AddressDocument>, LocalError> {
        let answer: local::AddressResponse = self.get(Search::Address, query).await?;
        let found = answer.documents.into_iter().find(|d| d.lat_lng().is_some());
        count(
            Search::Address,
            if found.is_some() { "found" } else { "none" },
        );
        Ok(found)
    }

    async fn get<T: DeserializeOwned>(&self, search: Search, query: &str) -> Result<T, LocalError> {
        let url = format!("{}{}", self.base_url, search.path());
        let call = self
            .http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .query(&[("query", query)])
            .timeout(self.timeout)
            .send();
        let outbound = Outbound::start("kakao_local", search.name(), "GET", search.path());
        let span = outbound.span();
        let result = async {
            let response = call.instrument(span).await;
            outbound.finish(response.as_ref().ok().map(|r| r.status().as_u16()));
            let response = response.map_err(|e| self.transport(e))?;
            let status = response.status();
            let body = response.bytes().await.map_err(|e| self.transport(e))?;
            if matches!(status.as_u16(), 401 | 403) {
                let error: ErrorBody = serde_json::from_slice(&body).unwrap_or_default();
                return Err(LocalError::Refused {
                    status: status.as_u16(),
                    error_type: error.error_type,
                });
            }
            if !status.is_success() {
                return Err(LocalError::Failed(format!("HTTP {status}")));
            }
            serde_json::from_slice(&body)
                .map_err(|e| LocalError::Failed(format!("unreadable answer: {e}")))
        }
        .await;
        if let Err(e) = &result {
            let label = match e {
                LocalError::Refused { .. } => "refused",
                LocalError::Timeout(_) => "timeout",
                LocalError::Failed(_) => "failed",
            };
            count(search, label);
        }
        result
    }

    fn transport(&self, e: reqwest::Error) -> LocalError {
        if e.is_timeout() {
            LocalError::Timeout(self.timeout)
        } else {
            // Without the URL: it carries the customer's query.
            LocalError::Failed(e.without_url().to_string())
        }
    }
}

fn count(search: Search, result: &str) {
    CALLS.with_label_values(&[search.name(), result]).inc();
}
