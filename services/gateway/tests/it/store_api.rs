//! The store API over HTTP against the real gateway and store service (Postgres, Redis):
//! login, sessions, CSRF, security headers, the business day, the menu editor, and that one
//! store's session can never reach another store's data.

use crate::common;

use common::{Answer, CSRF, Harness, is_korean};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-1";

#[tokio::test]
async fn login_sets_a_strict_http_only_session_cookie() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let store_id = h.store("테스트 카페", "cafe-login", PASSWORD).await?;
    let browser = h.browser();

    let answer = browser.login("cafe-login", PASSWORD).await?;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let cookie = answer.header("set-cookie");
    assert!(cookie.starts_with("so_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    // Served over http here, so no Secure (the browser would drop it); https adds __Host- and Secure.
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert_eq!(answer.body["me"]["store_id"], store_id.as_str());
    assert_eq!(answer.body["me"]["role"], "admin");
    assert_eq!(answer.body["replaced_previous"], false);

    let me = browser.get("/me").await?;
    assert_eq!(me.status, StatusCode::OK, "{me:?}");
    assert_eq!(me.body["store_id"], store_id.as_str());
    assert_eq!(me.body["store_name"], "테스트 카페");
    assert_eq!(me.body["login"], "cafe-login");
    assert!(
        me.body.get("session_id").is_none(),
        "the secret stays in the cookie"
    );
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_is_refused_in_korean_and_sets_no_cookie() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-wrong", PASSWORD).await?;
    let browser = h.browser();

    let answer = browser.login("cafe-wrong", "not-the-password").await?;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(answer.error(), "invalid_credentials");
    assert!(is_korean(answer.message()), "{answer:?}");
    assert!(answer.header("set-cookie").is_empty());

    let unknown = browser.login("nobody-here", PASSWORD).await?;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.message(),
        answer.message(),
        "no hint which logins exist"
    );

    let empty = browser.login("cafe-wrong", "").await?;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let me = browser.get("/me").await?;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.error(), "unauthenticated");
    Ok(())
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_with_retry_after() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("잠금 카페", "cafe-limit", PASSWORD).await?;
    h.store("이웃 카페", "cafe-other", PASSWORD).await?;
    let browser = h.browser();

    let mut limited = None;
    for attempt in 1..=25 {
        let answer = browser.login("cafe-limit", "wrong-password").await?;
        match answer.status {
            StatusCode::UNAUTHORIZED => continue,
            StatusCode::TOO_MANY_REQUESTS => {
                limited = Some((attempt, answer));
                break;
            }
            other => panic!("unexpected {other}: {answer:?}"),
        }
    }
    let (attempt, answer) = limited.expect("failed logins are eventually refused with 429");
    assert!(attempt > 1, "the first failure is not limited");
    assert_eq!(answer.error(), "rate_limited");
    assert!(is_korean(answer.message()), "{answer:?}");
    let retry_after: u64 = answer.header("retry-after").parse()?;
    assert!(retry_after > 0);

    // While limited, even the right password is refused: guessing cannot continue.
    let right = browser.login("cafe-limit", PASSWORD).await?;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "{right:?}");

    // Another account from the same address is not locked by it.
    let other = h.browser().login("cafe-other", PASSWORD).await?;
    assert_eq!(other.status, StatusCode::OK, "{other:?}");
    Ok(())
}

/// Limits where only the per-address one can bite within a test.
fn per_address_limit() -> store::StoreSettings {
    store::StoreSettings {
        login_limits: store::LoginLimits {
            per_client: 100,
            per_account: 100,
            per_ip: 3,
            window: std::time::Duration::from_secs(600),
            ..store::LoginLimits::default()
        },
        ..store::StoreSettings::default()
    }
}

/// A login attempt as it arrives through a proxy: every request comes from the same peer
/// (this test's loopback address) and carries `forwarded_for` as its X-Forwarded-For.
async fn login_via(
    h: &Harness,
    forwarded_for: Option<&str>,
    password: &str,
) -> anyhow::Result<Answer> {
    let mut request = reqwest::Client::new()
        .post(h.url("/api/store/login"))
        .header(CSRF.0, CSRF.1)
        .json(&json!({ "login": "cafe-proxy", "password": password }));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("X-Forwarded-For", forwarded_for);
    }
    Answer::read(request.send().await?).await
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_login_limit() -> anyhow::Result<()>
{
    let h = Harness::start_configured(per_address_limit(), |config| {
        config.trusted_proxy_hops = 1;
    })
    .await?;
    h.store("프록시 카페", "cafe-proxy", PASSWORD).await?;

    // Client A is 203.0.113.10 as the Ingress saw it; it also writes an entry of its own in
    // front, a different one each time, which must not give it a fresh budget.
    for fake in 1..=3 {
        let forwarded = format!("10.66.0.{fake}, 203.0.113.10");
        let answer = login_via(&h, Some(&forwarded), "wrong-password").await?;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    }
    let limited = login_via(&h, Some("10.66.0.99, 203.0.113.10"), PASSWORD).await?;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
    assert_eq!(limited.error(), "rate_limited");

    // Client B comes through the same Ingress (the same peer) and is not locked out by A.
    let b = login_via(&h, Some("203.0.113.20"), "wrong-password").await?;
    assert_eq!(b.status, StatusCode::UNAUTHORIZED, "{b:?}");
    let b = login_via(&h, Some("203.0.113.20"), PASSWORD).await?;
    assert_eq!(b.status, StatusCode::OK, "{b:?}");

    // A request that did not come through the proxy counts against the peer address.
    let direct = login_via(&h, None, "wrong-password").await?;
    assert_eq!(direct.status, StatusCode::UNAUTHORIZED, "{direct:?}");
    Ok(())
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_limit()
-> anyhow::Result<()> {
    let h = Harness::start_with(per_address_limit()).await?;
    h.store("프록시 카페", "cafe-proxy", PASSWORD).await?;

    for client in 1..=3 {
        let forged = format!("203.0.113.{client}");
        let answer = login_via(&h, Some(&forged), "wrong-password").await?;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    }
    // Every attempt came from the one peer address: a new X-Forwarded-For changes nothing.
    for forged in [Some("203.0.113.20"), Some("10.0.0.1, 203.0.113.21"), None] {
        let answer = login_via(&h, forged, PASSWORD).await?;
        assert_eq!(
            answer.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{forged:?}: {answer:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_second_admin_login_signs_out_the_first() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-twice", PASSWORD).await?;
    let first = h.browser().signed_in("cafe-twice", PASSWORD).await?;
    assert_eq!(first.get("/me").await?.status, StatusCode::OK);

    let second = h.browser();
    let login = second.login("cafe-twice", PASSWORD).await?;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.body["replaced_previous"], true);

    let old_tab = first.get("/day").await?;
    assert_eq!(old_tab.status, StatusCode::UNAUTHORIZED, "{old_tab:?}");
    assert_eq!(old_tab.error(), "session_replaced");
    assert!(
        old_tab.message().contains("다른 기기에서 새로 로그인"),
        "{old_tab:?}"
    );
    assert_eq!(second.get("/me").await?.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-logout", PASSWORD).await?;
    let browser = h.browser();
    let login = browser.login("cafe-logout", PASSWORD).await?;
    let cookie = login
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();

    let logout = browser.post("/logout", json!({})).await?;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(browser.get("/me").await?.status, StatusCode::UNAUTHORIZED);

    // A copy of the old cookie is worthless too: the session is gone server-side.
    let replay = reqwest::Client::new()
        .get(h.url("/api/store/me"))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);

    // Logging out twice is fine.
    assert_eq!(
        browser.post("/logout", json!({})).await?.status,
        StatusCode::NO_CONTENT
    );
    Ok(())
}

#[tokio::test]
async fn a_viewer_link_signs_a_second_device_in_read_only_once() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-viewer", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-viewer", PASSWORD).await?;

    let link = admin.post("/viewer", json!({})).await?;
    assert_eq!(link.status, StatusCode::CREATED, "{link:?}");
    let url = link.body["url"].as_str().unwrap_or_default();
    let code = url
        .split_once("#viewer=")
        .map(|(_, c)| c)
        .unwrap_or_default();
    assert!(url.starts_with(&h.base()), "{url}");
    assert!(code.len() >= 22, "at least 128 random bits: {url}");

    let tablet = h.browser();
    let joined = tablet.post("/viewer/join", json!({ "code": code })).await?;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");
    assert_eq!(joined.body["role"], "viewer");
    assert!(joined.header("set-cookie").starts_with("so_session="));

    assert_eq!(tablet.get("/day").await?.status, StatusCode::OK);
    assert_eq!(tablet.get("/menu").await?.status, StatusCode::OK);
    for (method, path, body) in [
        (Method::POST, "/day", json!({ "action": "ready" })),
        (
            Method::POST,
            "/menu/categories",
            json!({ "name": "몰래 추가" }),
        ),
        (Method::POST, "/viewer", json!({})),
    ] {
        let refused = tablet.send(method, path, Some(body)).await?;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}: {refused:?}");
        assert_eq!(refused.error(), "viewer_read_only");
    }
    assert_eq!(
        admin.get("/day").await?.body["state"],
        "closed",
        "nothing changed"
    );

    let again = h
        .browser()
        .post("/viewer/join", json!({ "code": code }))
        .await?;
    assert_eq!(
        again.status,
        StatusCode::NOT_FOUND,
        "the link works once: {again:?}"
    );
    assert_eq!(again.error(), "viewer_link_invalid");
    let forged = h
        .browser()
        .post("/viewer/join", json!({ "code": "AAAAAAAAAAAAAAAAAAAAAA" }))
        .await?;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);

    // Viewers live only as long as the admin session they came from.
    assert_eq!(
        admin.post("/logout", json!({})).await?.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(tablet.get("/me").await?.status, StatusCode::UNAUTHORIZED);
    Ok(())
}

#[tokio::test]
async fn state_changing_requests_without_the_csrf_header_are_refused() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-csrf", PASSWORD).await?;
    let plain = reqwest::Client::builder().cookie_store(true).build()?;

    let login = Answer::read(
        plain
            .post(h.url("/api/store/login"))
            .json(&json!({ "login": "cafe-csrf", "password": PASSWORD }))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(login.status, StatusCode::FORBIDDEN, "{login:?}");
    assert_eq!(login.error(), "csrf");
    assert!(is_korean(login.message()));
    assert!(login.header("set-cookie").is_empty());

    // Signed in properly, a forged write without the header still changes nothing.
    let signed_in = Answer::read(
        plain
            .post(h.url("/api/store/login"))
            .header(CSRF.0, CSRF.1)
            .json(&json!({ "login": "cafe-csrf", "password": PASSWORD }))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(signed_in.status, StatusCode::OK);
    let forged = Answer::read(
        plain
            .post(h.url("/api/store/day"))
            .json(&json!({ "action": "ready" }))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(forged.error(), "csrf");
    let day = Answer::read(plain.get(h.url("/api/store/day")).send().await?).await?;
    assert_eq!(day.status, StatusCode::OK, "reads need no header");
    assert_eq!(day.body["state"], "closed");
    Ok(())
}

#[tokio::test]
async fn every_response_carries_the_security_headers() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let client = reqwest::Client::new();
    for path in [
        "/",
        "/ui/app.js",
        "/ui/app.css",
        "/api/store/me",
        "/api/openapi.json",
        "/healthz",
        "/no/such/page",
    ] {
        let answer = Answer::read(client.get(h.url(path)).send().await?).await?;
        let csp = answer.header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(answer.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(answer.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(answer.header("referrer-policy"), "no-referrer", "{path}");
    }

    let page = client.get(h.url("/")).send().await?;
    assert!(
        page.headers()["content-type"]
            .to_str()?
            .starts_with("text/html")
    );
    let html = page.text().await?;
    assert!(html.contains("lang=\"ko\"") && html.contains("매장 로그인"));
    assert!(html.contains("<script src=\"/ui/app.js\""));
    assert!(
        html.split("<script")
            .skip(1)
            .all(|tag| tag.starts_with(" src=\"/ui/")),
        "no inline scripts"
    );
    let js = client.get(h.url("/ui/app.js")).send().await?;
    assert!(
        js.headers()["content-type"]
            .to_str()?
            .starts_with("text/javascript")
    );

    let api = client.get(h.url("/api/store/me")).send().await?;
    assert_eq!(api.headers()["cache-control"], "no-store");
    let missing = Answer::read(client.get(h.url("/api/store/nothing")).send().await?).await?;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error(), "not_found");
    Ok(())
}

#[tokio::test]
async fn the_day_offers_only_legal_actions_and_names_the_state_on_refusal() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-day", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-day", PASSWORD).await?;

    let day = admin.get("/day").await?;
    assert_eq!(day.body["state"], "closed", "{day:?}");
    assert_eq!(day.body["allowed_actions"], json!(["ready"]));

    let ready = admin.post("/day", json!({ "action": "ready" })).await?;
    assert_eq!(ready.status, StatusCode::OK, "{ready:?}");
    assert_eq!(ready.body["state"], "preparing");
    assert!(ready.body["prepared_at"].is_string());
    assert!(
        ready.body["allowed_actions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("open")))
    );

    let open = admin.post("/day", json!({ "action": "open" })).await?;
    assert_eq!(open.body["state"], "open", "{open:?}");

    let again = admin.post("/day", json!({ "action": "open" })).await?;
    assert_eq!(again.status, StatusCode::CONFLICT, "{again:?}");
    assert_eq!(again.error(), "illegal_transition");
    assert_eq!(again.body["current_state"], "open");
    assert!(is_korean(again.message()), "{again:?}");

    let nonsense = admin.post("/day", json!({ "action": "fly" })).await?;
    assert_eq!(nonsense.status, StatusCode::BAD_REQUEST);
    assert_eq!(nonsense.error(), "invalid_argument");
    assert_eq!(admin.get("/day").await?.body["state"], "open");
    Ok(())
}

/// Builds a category with an item that has a 1-of-2 option group; returns (category, item,
/// selection, [option, option]).
async fn small_menu(
    admin: &common::Browser,
) -> anyhow::Result<(String, String, String, Vec<String>)> {
    let category = admin
        .create("/menu/categories", json!({ "name": "커피" }))
        .await?;
    let selection = admin
        .create(
            "/menu/selections",
            json!({ "name": "사이즈", "min": 1, "max": 1 }),
        )
        .await?;
    let mut options = Vec::new();
    for (name, price) in [("톨", 0), ("그란데", 500)] {
        options.push(
            admin
                .create(
                    "/menu/options",
                    json!({ "name": name, "price": price, "selection_ids": [selection] }),
                )
                .await?,
        );
    }
    let item = admin
        .create(
            "/menu/items",
            json!({ "name": "아메리카노", "price": 4000, "category_ids": [category] }),
        )
        .await?;
    let linked = admin
        .put(
            &format!("/menu/items/{item}/selections"),
            json!({ "selection_ids": [selection] }),
        )
        .await?;
    anyhow::ensure!(linked.status == StatusCode::OK, "{linked:?}");
    Ok((category, item, selection, options))
}

fn find<'a>(menu: &'a Value, list: &str, id: &str) -> Option<&'a Value> {
    menu[list].as_array()?.iter().find(|e| e["id"] == id)
}

#[tokio::test]
async fn menu_edits_show_in_the_menu_document() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.store("테스트 카페", "cafe-menu", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-menu", PASSWORD).await?;
    let before = admin.get("/menu").await?.body["version"]
        .as_i64()
        .unwrap_or(0);
    let (category, item, selection, options) = small_menu(&admin).await?;

    let menu = admin.get("/menu").await?.body;
    assert!(menu["version"].as_i64().unwrap_or(0) > before, "{menu}");
    assert_eq!(
        find(&menu, "categories", &category).expect("category")["item_ids"],
        json!([item])
    );
    let listed = find(&menu, "items", &item).expect("item");
    assert_eq!(listed["name"], "아메리카노");
    assert_eq!(listed["price"], 4000);
    assert_eq!(listed["selection_ids"], json!([selection]));
    let group = find(&menu, "selections", &selection).expect("selection");
    assert_eq!(
        (group["min"].as_u64(), group["max"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(group["option_ids"], json!(options));

    // Reorder, rename, sold out and disable all show in the next document.
    let reordered = admin
        .put(
            &format!("/menu/selections/{selection}/options"),
            json!({ "option_ids": [options[1], options[0]] }),
        )
        .await?;
    assert_eq!(reordered.status, StatusCode::OK, "{reordered:?}");
    let renamed = admin
        .put(
            &format!("/menu/items/{item}"),
            json!({ "name": "아이스 아메리카노", "price": 4500 }),
        )
        .await?;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    let sold_out = admin
        .put(
            &format!("/menu/items/{item}/sold-out"),
            json!({ "sold_out": true }),
        )
        .await?;
    assert_eq!(sold_out.status, StatusCode::OK, "{sold_out:?}");
    let disabled = admin
        .put(
            &format!("/menu/options/{}/disabled", options[0]),
            json!({ "disabled": true }),
        )
        .await?;
    assert_eq!(disabled.status, StatusCode::OK, "{disabled:?}");

    let menu = admin.get("/menu").await?.body;
    let listed = find(&menu, "items", &item).expect("item");
    assert_eq!(listed["name"], "아이스 아메리카노");
    assert_eq!(listed["price"], 4500);
    assert_eq!(listed["sold_out"], true);
    assert_eq!(listed["disabled"], false);
    assert_eq!(
        find(&menu, "selections", &selection).expect("group")["option_ids"],
        json!([options[1], options[0]])
    );
    let option = find(&menu, "options", &options[0]).expect("option");
    assert_eq!(
        (option["disabled"].as_bool(), option["sold_out"].as_bool()),
        (Some(true), Some(false))
    );

    // Bad input is a 400 with a Korean message and changes nothing.
    let bad = admin
        .post(
            "/menu/selections",
            json!({ "name": "샷", "min": 3, "max": 1 }),
        )
        .await?;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
    assert!(is_korean(bad.message()), "{bad:?}");
    let malformed = admin
        .post("/menu/items", json!({ "name": "가격 없음" }))
        .await?;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{malformed:?}");
    assert!(is_korean(malformed.message()));
    let after = admin.get("/menu").await?.body;
    assert_eq!(after["selections"].as_array().map(Vec::len), Some(1));
    assert_eq!(after["items"].as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn one_stores_session_cannot_read_or_change_another_stores_menu_or_day() -> anyhow::Result<()>
{
    let h = Harness::start().await?;
    let a_id = h.store("에이 카페", "cafe-a", PASSWORD).await?;
    let b_id = h.store("비 카페", "cafe-b", PASSWORD).await?;
    let a = h.browser().signed_in("cafe-a", PASSWORD).await?;
    let b = h.browser().signed_in("cafe-b", PASSWORD).await?;
    let (b_category, b_item, b_selection, b_options) = small_menu(&b).await?;
    let a_category = a
        .create("/menu/categories", json!({ "name": "에이 메뉴" }))
        .await?;
    let b_before = b.get("/menu").await?.body;

    let attempts = [
        (
            Method::PUT,
            format!("/menu/items/{b_item}"),
            json!({ "name": "탈취", "price": 1 }),
        ),
        (
            Method::PUT,
            format!("/menu/items/{b_item}/sold-out"),
            json!({ "sold_out": true }),
        ),
        (
            Method::PUT,
            format!("/menu/items/{b_item}/disabled"),
            json!({ "disabled": true }),
        ),
        (
            Method::PUT,
            format!("/menu/items/{b_item}/selections"),
            json!({ "selection_ids": [] }),
        ),
        (
            Method::PUT,
            format!("/menu/categories/{b_category}"),
            json!({ "name": "탈취" }),
        ),
        (
            Method::PUT,
            format!("/menu/categories/{b_category}/items"),
            json!({ "item_ids": [] }),
        ),
        (
            Method::PUT,
            format!("/menu/selections/{b_selection}"),
            json!({ "name": "탈취", "min": 0, "max": 1 }),
        ),
        (
            Method::PUT,
            format!("/menu/selections/{b_selection}/options"),
            json!({ "option_ids": [] }),
        ),
        (
            Method::PUT,
            format!("/menu/options/{}", b_options[0]),
            json!({ "name": "탈취", "price": 0 }),
        ),
        (
            Method::PUT,
            format!("/menu/options/{}/sold-out", b_options[0]),
            json!({ "sold_out": true }),
        ),
        // B's ids smuggled into A's own entries.
        (
            Method::PUT,
            format!("/menu/categories/{a_category}/items"),
            json!({ "item_ids": [b_item] }),
        ),
        (
            Method::POST,
            "/menu/items".to_owned(),
            json!({ "name": "x", "price": 1, "category_ids": [b_category] }),
        ),
        (
            Method::POST,
            "/menu/options".to_owned(),
            json!({ "name": "x", "price": 0, "selection_ids": [b_selection] }),
        ),
        (
            Method::PUT,
            "/menu/category-order".to_owned(),
            json!({ "category_ids": [b_category, a_category] }),
        ),
    ];
    for (method, path, body) in attempts {
        let answer = a.send(method.clone(), &path, Some(body)).await?;
        assert!(
            matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{method} {path} answered {answer:?}"
        );
        assert!(is_korean(answer.message()), "{answer:?}");
    }

    // Reads are scoped to the session's store: A sees none of B's menu.
    let a_menu = a.get("/menu").await?.body;
    assert_eq!(a_menu["store_id"], a_id.as_str());
    assert!(find(&a_menu, "items", &b_item).is_none());
    assert!(find(&a_menu, "categories", &b_category).is_none());

    // A's day actions move only A's day.
    assert_eq!(
        a.post("/day", json!({ "action": "ready" })).await?.body["state"],
        "preparing"
    );
    assert_eq!(b.get("/day").await?.body["state"], "closed");

    let b_after = b.get("/menu").await?.body;
    assert_eq!(b_after["store_id"], b_id.as_str());
    for list in ["categories", "items", "selections", "options"] {
        assert_eq!(b_after[list], b_before[list], "B's {list} unchanged");
    }
    Ok(())
}

#[tokio::test]
async fn openapi_document_lists_the_store_api() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let answer = Answer::read(reqwest::get(h.url("/api/openapi.json")).await?).await?;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.body["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    let paths = answer.body["paths"].as_object().expect("paths");
    for path in [
        "/api/store/login",
        "/api/store/logout",
        "/api/store/me",
        "/api/store/viewer",
        "/api/store/viewer/join",
        "/api/store/day",
        "/api/store/menu",
        "/api/store/menu/categories",
        "/api/store/menu/category-order",
        "/api/store/menu/items/{id}",
        "/api/store/menu/items/{id}/sold-out",
        "/api/store/menu/selections/{id}/options",
        "/api/store/menu/options/{id}/disabled",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(paths["/api/store/day"]["post"].is_object());
    assert!(answer.body["components"]["schemas"]["ErrorBody"].is_object());
    Ok(())
}
