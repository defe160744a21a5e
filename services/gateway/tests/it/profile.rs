//! The store profile API: staff save the address, phone, description and opening hours customers
//! see; the address is located through Kakao Local (the kakao-sandbox) and the answer shows where,
//! for staff to confirm. Viewers and cross-site requests change nothing; neither does an address
//! Kakao does not know or a Kakao Local outage.

use crate::common;

use common::{Answer, Harness, is_korean};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse 1";

fn near(location: &Value, lat: f64, lng: f64) -> bool {
    let (Some(a), Some(b)) = (location["lat"].as_f64(), location["lng"].as_f64()) else {
        return false;
    };
    (a - lat).abs() < 0.001 && (b - lng).abs() < 0.001
}

#[tokio::test]
async fn an_admin_saves_the_profile_and_sees_where_the_address_was_located() -> anyhow::Result<()> {
    let h = Harness::with_sandbox().await?;
    h.store("프로필 카페", "cafe-profile", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-profile", PASSWORD).await?;

    let before = admin.get("/profile").await?;
    assert_eq!(before.status, StatusCode::OK, "{before:?}");
    assert_eq!(before.body["name"], "프로필 카페");
    assert!(
        before.body["location"].is_null(),
        "a store made from the CLI has no location: {before:?}"
    );

    let saved = admin
        .put(
            "/profile",
            json!({
                "address": "  강남대로 396 ",
                "phone": "02-555-0199",
                "description": "역 앞 작은 카페",
                "opening_hours": "평일 08:00~21:00"
            }),
        )
        .await?;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    assert_eq!(saved.body["address"], "강남대로 396");
    assert_eq!(
        saved.body["location"]["address"],
        "서울 강남구 강남대로 396"
    );
    assert!(
        near(&saved.body["location"], 37.4979, 127.0276),
        "{saved:?}"
    );

    let after = admin.get("/profile").await?;
    assert_eq!(after.body["phone"], "02-555-0199");
    assert_eq!(after.body["opening_hours"], "평일 08:00~21:00");
    assert_eq!(
        after.body["location"]["address"],
        "서울 강남구 강남대로 396"
    );

    // Clearing the address takes the store out of nearby search.
    let cleared = admin
        .put("/profile", json!({ "address": "", "phone": "02-555-0199" }))
        .await?;
    assert_eq!(cleared.status, StatusCode::OK, "{cleared:?}");
    assert!(cleared.body["location"].is_null(), "{cleared:?}");
    assert!(admin.get("/profile").await?.body["location"].is_null());
    Ok(())
}

#[tokio::test]
async fn bad_input_and_a_kakao_outage_are_refused_and_change_nothing() -> anyhow::Result<()> {
    let h = Harness::with_sandbox().await?;
    h.store("거절 카페", "cafe-refused", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-refused", PASSWORD).await?;
    let first = admin
        .put("/profile", json!({ "address": "서울 중구 세종대로 110" }))
        .await?;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");

    for (body, what) in [
        (json!({ "address": "없는로 12345" }), "주소"),
        (
            json!({ "address": "서울 중구 세종대로 110", "phone": "call me" }),
            "전화번호",
        ),
        (
            json!({ "address": "서울 중구 세종대로 110", "opening_hours": "가".repeat(201) }),
            "영업시간",
        ),
    ] {
        let refused = admin.put("/profile", body).await?;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
        assert!(refused.message().contains(what), "{refused:?}");
    }

    let faults = format!("{}/sandbox/local/faults", h.sandbox_url());
    let http = reqwest::Client::new();
    http.post(&faults)
        .json(&json!({ "always": "5xx" }))
        .send()
        .await?
        .error_for_status()?;
    let down = admin
        .put("/profile", json!({ "address": "강남대로 396" }))
        .await?;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{down:?}");
    assert!(is_korean(down.message()), "{down:?}");

    let unchanged = admin.get("/profile").await?;
    assert_eq!(unchanged.body["address"], "서울 중구 세종대로 110");
    assert!(
        near(&unchanged.body["location"], 37.5666, 126.9784),
        "{unchanged:?}"
    );

    // The same address needs no Kakao call: saving a new phone works during the outage.
    let phone_only = admin
        .put(
            "/profile",
            json!({ "address": "서울 중구 세종대로 110", "phone": "02-120" }),
        )
        .await?;
    assert_eq!(phone_only.status, StatusCode::BAD_REQUEST, "too few digits");
    let phone_only = admin
        .put(
            "/profile",
            json!({ "address": "서울 중구 세종대로 110", "phone": "02-2133-0120" }),
        )
        .await?;
    assert_eq!(phone_only.status, StatusCode::OK, "{phone_only:?}");
    assert!(near(&phone_only.body["location"], 37.5666, 126.9784));
    Ok(())
}

#[tokio::test]
async fn viewers_and_requests_without_the_csrf_header_cannot_change_the_profile()
-> anyhow::Result<()> {
    let h = Harness::with_sandbox().await?;
    h.store("보기 카페", "cafe-viewer-p", PASSWORD).await?;
    let admin = h.browser().signed_in("cafe-viewer-p", PASSWORD).await?;
    let link = admin.post("/viewer", json!({})).await?;
    let code = link.body["url"]
        .as_str()
        .and_then(|u| u.split_once("#viewer="))
        .map(|(_, c)| c.to_owned())
        .expect("viewer link");
    let tablet = h.browser();
    let joined = tablet.post("/viewer/join", json!({ "code": code })).await?;
    assert_eq!(joined.status, StatusCode::OK, "{joined:?}");

    assert_eq!(tablet.get("/profile").await?.status, StatusCode::OK);
    let refused = tablet
        .put("/profile", json!({ "address": "강남대로 396" }))
        .await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error(), "viewer_read_only");

    let no_csrf = Answer::read(
        admin
            .http
            .put(h.url("/api/store/profile"))
            .json(&json!({ "address": "강남대로 396" }))
            .send()
            .await?,
    )
    .await?;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(no_csrf.error(), "csrf");

    let anonymous = h.browser().get("/profile").await?;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(admin.get("/profile").await?.body["location"].is_null());

    let openapi = Answer::read(reqwest::get(h.url("/api/openapi.json")).await?).await?;
    let profile = &openapi.body["paths"]["/api/store/profile"];
    assert!(profile["get"].is_object() && profile["put"].is_object());
    Ok(())
}
