//! The sandbox's KakaoPay over HTTP, as a KakaoPay client and a browser see it.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const KEY: &str = "SECRET_KEY DEVSANDBOXKEY";

struct Sandbox {
    url: String,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    async fn start() -> Sandbox {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(async move {
            axum::serve(listener, kakao_sandbox::pay::router())
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        Sandbox {
            url,
            http,
            stop: Some(stop),
            served,
        }
    }

    async fn call(
        &self,
        path: &str,
        auth: Option<&str>,
        fault: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(fault) = fault {
            request = request.header("X-Sandbox-Fault", fault);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn ready(&self, total: Value) -> Value {
        let (status, body) = self
            .call(
                "/online/v1/payment/ready",
                Some(KEY),
                None,
                json!({
                    "cid": "TC0ONETIME", "partner_order_id": "o-1", "partner_user_id": "u-1",
                    "item_name": "카페 라떼", "quantity": "1", "total_amount": total,
                    "tax_free_amount": 0,
                    "approval_url": "http://shop.test/pay/kakaopay/approval/tok",
                    "cancel_url": "http://shop.test/pay/kakaopay/cancel/tok",
                    "fail_url": "http://shop.test/pay/kakaopay/fail/tok"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// 승인 on the page; the pg_token from the approval redirect.
    async fn authenticate(&self, tid: &str) -> String {
        let response = self
            .http
            .post(format!("{}/kakaopay/pay/{tid}/approve", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        location.split_once("pg_token=").unwrap().1.to_owned()
    }

    fn approve_body(tid: &str, pg_token: &str) -> Value {
        json!({
            "cid": "TC0ONETIME", "tid": tid, "partner_order_id": "o-1",
            "partner_user_id": "u-1", "pg_token": pg_token, "total_amount": 4500
        })
    }

    async fn ledger(&self, tid: &str) -> Value {
        self.http
            .get(format!("{}/sandbox/ledger/{tid}", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_api_checks_the_secret_key() {
    let s = Sandbox::start().await;
    let (status, body) = s
        .call(
            "/online/v1/payment/order",
            None,
            None,
            json!({"cid": "TC0ONETIME", "tid": "T1"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error_code"], -400);
    for bad in ["SECRET_KEY PRDKEY", "KakaoAK DEVSANDBOXKEY", "SECRET_KEY "] {
        let (status, body) = s
            .call(
                "/online/v1/payment/order",
                Some(bad),
                None,
                json!({"cid": "TC0ONETIME", "tid": "T1"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert!(
            matches!(body["error_code"].as_i64(), Some(-400 | -401)),
            "{bad}"
        );
    }
    let (status, body) = s
        .call(
            "/online/v1/payment/ready",
            Some("SECRET_KEY WRONG"),
            None,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_i64()),
        (StatusCode::UNAUTHORIZED, Some(-401))
    );
}

#[tokio::test]
async fn a_payment_goes_from_ready_through_the_page_to_paid_and_refunded() {
    let s = Sandbox::start().await;
    // Numbers as strings, as KakaoPay's own curl sample sends them.
    let ready = s.ready(json!("4500")).await;
    let tid = ready["tid"].as_str().unwrap().to_owned();
    assert_eq!(tid.len(), 20);
    assert!(
        ready["created_at"].as_str().unwrap().len() == 19,
        "yyyy-MM-ddTHH:mm:ss"
    );
    let page_url = ready["next_redirect_mobile_url"].as_str().unwrap();
    assert_eq!(page_url, format!("{}/kakaopay/pay/{tid}", s.url));

    let page = s.http.get(page_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for text in [
        "카드로 승인",
        "카카오페이머니로 승인",
        "취소",
        "실패",
        "카페 라떼",
        "4,500원",
        "viewport",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert_eq!(s.ledger(&tid).await["status"], "OPEN_PAYMENT");

    let pg_token = s.authenticate(&tid).await;
    let (status, approved) = s
        .call(
            "/online/v1/payment/approve",
            Some(KEY),
            None,
            Sandbox::approve_body(&tid, &pg_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["amount"]["total"], 4500);
    assert_eq!(approved["payment_method_type"], "CARD");
    assert_eq!(approved["aid"].as_str().unwrap().len(), 20);

    let (_, again) = s
        .call(
            "/online/v1/payment/approve",
            Some(KEY),
            None,
            Sandbox::approve_body(&tid, &pg_token),
        )
        .await;
    assert_eq!(again["error_code"], -702);

    let (status, canceled) = s
        .call(
            "/online/v1/payment/cancel",
            Some(KEY),
            None,
            json!({"cid": "TC0ONETIME", "tid": tid, "cancel_amount": 4500,
                   "cancel_tax_free_amount": 0, "cancel_available_amount": 4500}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert_eq!(canceled["status"], "CANCEL_PAYMENT");
    assert_eq!(canceled["approved_cancel_amount"]["total"], 4500);
    assert!(
        canceled.get("aid").is_none(),
        "the current API sends no aid: {canceled}"
    );
    assert_eq!(canceled["cancel_available_amount"]["total"], 0);

    let (_, order) = s
        .call(
            "/online/v1/payment/order",
            Some(KEY),
            None,
            json!({"cid": "TC0ONETIME", "tid": tid}),
        )
        .await;
    assert_eq!(order["status"], "CANCEL_PAYMENT");
    assert_eq!(order["payment_action_details"].as_array().unwrap().len(), 2);

    let ledger = s.ledger(&tid).await;
    assert_eq!(ledger["approve_calls"], 2);
    assert_eq!(ledger["approvals"], 1);
    assert_eq!(ledger["cancel_calls"], 1);
    assert_eq!(ledger["canceled_amount"], 4500);
    let all: Vec<Value> = s
        .http
        .get(format!("{}/sandbox/ledger", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);

    // The page now only says what happened.
    let html = s
        .http
        .get(page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("취소(환불)") && !html.contains("<button"));
}

#[tokio::test]
async fn errors_have_kakaopays_shape() {
    let s = Sandbox::start().await;
    let (status, body) = s
        .call(
            "/online/v1/payment/order",
            Some(KEY),
            None,
            json!({"cid": "TC0ONETIME", "tid": "T0000000000000000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_code"], -721);
    assert!(body["error_message"].as_str().is_some());

    let (status, body) = s
        .call(
            "/online/v1/payment/approve",
            Some(KEY),
            None,
            json!({"tid": 5}),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(-2))
    );

    let ready = s.ready(json!(4500)).await;
    let tid = ready["tid"].as_str().unwrap();
    let (_, early) = s
        .call(
            "/online/v1/payment/approve",
            Some(KEY),
            None,
            Sandbox::approve_body(tid, "x"),
        )
        .await;
    assert_eq!(early["error_code"], -701);
}

#[tokio::test]
async fn page_choices_redirect_and_refuse_what_no_longer_fits() {
    let s = Sandbox::start().await;
    let tid = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let choose = |choice: &'static str| {
        let url = format!("{}/kakaopay/pay/{tid}/{choice}", s.url);
        let http = s.http.clone();
        async move { http.post(url).send().await.unwrap() }
    };
    let quit = choose("cancel").await;
    assert_eq!(quit.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        quit.headers()["location"],
        "http://shop.test/pay/kakaopay/cancel/tok"
    );
    assert_eq!(choose("approve").await.status(), StatusCode::CONFLICT);
    assert_eq!(choose("explode").await.status(), StatusCode::NOT_FOUND);
    let unknown = s
        .http
        .get(format!("{}/kakaopay/pay/T0000000000000000000", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.ledger(&tid).await["status"], "QUIT_PAYMENT");
}

#[tokio::test]
async fn header_faults_delay_fail_or_refuse() {
    let s = Sandbox::start().await;
    let tid = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = json!({"cid": "TC0ONETIME", "tid": tid});

    let started = Instant::now();
    let (status, _) = s
        .call(
            "/online/v1/payment/order",
            Some(KEY),
            Some("latency=300"),
            order.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let (status, body) = s
        .call(
            "/online/v1/payment/order",
            Some(KEY),
            Some("status=502"),
            order.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        body.get("error_code").is_none(),
        "a bare 5xx has no KakaoPay body"
    );

    let (status, body) = s
        .call(
            "/online/v1/payment/order",
            Some(KEY),
            Some("error=-503"),
            order.clone(),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_i64()),
        (StatusCode::SERVICE_UNAVAILABLE, Some(-503))
    );

    let (status, body) = s
        .call(
            "/online/v1/payment/order",
            Some(KEY),
            Some("nonsense"),
            order,
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(-2))
    );

    let pg_token = s.authenticate(&tid).await;
    let (status, locked) = s
        .call(
            "/online/v1/payment/approve",
            Some(KEY),
            Some("user-locked"),
            Sandbox::approve_body(&tid, &pg_token),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(locked["error_code"], -780);
    assert_eq!(locked["extras"]["method_result_code"], "USER_LOCKED");
    let ledger = s.ledger(&tid).await;
    assert_eq!(
        (
            ledger["approve_calls"].as_u64(),
            ledger["approvals"].as_u64()
        ),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn timeout_after_approve_approves_and_drops_the_answer() {
    let s = Sandbox::start().await;
    let configured = s
        .http
        .post(format!("{}/sandbox/faults", s.url))
        .json(&json!({"hang_ms": 300}))
        .send()
        .await
        .unwrap();
    assert!(configured.status().is_success());
    let tid = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let pg_token = s.authenticate(&tid).await;
    let response = s
        .http
        .post(format!("{}/online/v1/payment/approve", s.url))
        .header("Authorization", KEY)
        .header("X-Sandbox-Fault", "timeout-after-approve")
        .json(&Sandbox::approve_body(&tid, &pg_token))
        .send()
        .await;
    let answer = match response {
        Ok(response) => response.text().await,
        Err(e) => Err(e),
    };
    assert!(
        answer.is_err(),
        "the answer never arrives whole: {answer:?}"
    );
    let ledger = s.ledger(&tid).await;
    assert_eq!(ledger["status"], "SUCCESS_PAYMENT");
    assert_eq!(ledger["approvals"], 1);
}

#[tokio::test]
async fn configured_faults_are_used_once_each() {
    let s = Sandbox::start().await;
    let faults = format!("{}/sandbox/faults", s.url);
    let bad = s
        .http
        .post(&faults)
        .json(&json!({"next_order": "explode"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let ok = s
        .http
        .post(&faults)
        .json(&json!({"next_order": ["5xx", "error=-500"]}))
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success());
    let tid = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let order = json!({"cid": "TC0ONETIME", "tid": tid});
    let statuses = [
        s.call("/online/v1/payment/order", Some(KEY), None, order.clone())
            .await
            .0,
        s.call("/online/v1/payment/order", Some(KEY), None, order.clone())
            .await
            .0,
        s.call("/online/v1/payment/order", Some(KEY), None, order.clone())
            .await
            .0,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK
        ]
    );
    assert_eq!(s.ledger(&tid).await["order_calls"], 3);

    s.http
        .post(&faults)
        .json(&json!({"next_order": "5xx"}))
        .send()
        .await
        .unwrap();
    let reset = s.http.delete(&faults).send().await.unwrap();
    assert!(reset.status().is_success());
    assert_eq!(
        s.call("/online/v1/payment/order", Some(KEY), None, order)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_payment_window_is_configurable_and_lapses() {
    let s = Sandbox::start().await;
    let config = format!("{}/sandbox/kakaopay/config", s.url);
    let current: Value = s
        .http
        .get(&config)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["payment_window_secs"], 900);
    s.http
        .post(&config)
        .json(&json!({"payment_window_secs": 1}))
        .send()
        .await
        .unwrap();
    let tid = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let pg_token = s.authenticate(&tid).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (_, expired) = s
        .call(
            "/online/v1/payment/approve",
            Some(KEY),
            None,
            Sandbox::approve_body(&tid, &pg_token),
        )
        .await;
    assert_eq!(expired["error_code"], -723);
    assert_eq!(s.ledger(&tid).await["status"], "FAIL_PAYMENT");

    // The shortcut: end one payment's window now.
    s.http
        .post(&config)
        .json(&json!({"payment_window_secs": 900}))
        .send()
        .await
        .unwrap();
    let idle = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = s
        .http
        .post(format!("{}/sandbox/kakaopay/expire/{idle}", s.url))
        .send()
        .await
        .unwrap();
    assert!(ended.status().is_success());
    assert_eq!(s.ledger(&idle).await["status"], "QUIT_PAYMENT");
    let page = s
        .http
        .get(format!("{}/kakaopay/pay/{idle}", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("결제 시간이 지났습니다"));
}

#[tokio::test]
async fn a_held_request_does_not_hold_up_shutdown_once_its_client_left() {
    let mut s = Sandbox::start().await;
    let tid = s.ready(json!(4500)).await["tid"]
        .as_str()
        .unwrap()
        .to_owned();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(format!("{}/online/v1/payment/order", s.url))
        .header("Authorization", KEY)
        .header("X-Sandbox-Fault", "timeout")
        .json(&json!({"cid": "TC0ONETIME", "tid": tid}))
        .send()
        .await;
    assert!(gave_up.unwrap_err().is_timeout());
    let started = Instant::now();
    s.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), &mut s.served)
        .await
        .expect("shutdown does not wait out the 20 s hang")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}
