//! The store web UI in headless Chromium, driven over WebDriver: log in to the demo café, ready
//! and open the day, add a category, an option group with options and an item using it, and see
//! the item in the menu; then a login elsewhere signs the tab out with a message. Leaves
//! screenshots in /tmp for people to look at.
//!
//! Needs Debian's chromium and chromium-driver (`bash scripts/chromium.sh`, run by `make test`);
//! without them the test fails and says so.

use crate::common;

use std::time::Duration;

use anyhow::{Context, bail};
use common::Harness;
use contracts::store::v1::GetMenuRequest;
use fantoccini::{Client, Locator};
use serde_json::json;
use testkit::browser::{Driver, PATIENCE, click, fill, find, screenshot, wait_text};

const SCREENSHOT: &str = "/tmp/simpleorder-store-ui.png";
const DAY_SCREENSHOT: &str = "/tmp/simpleorder-store-ui-day.png";

/// Waits until no modal dialog is open (a save finished).
async fn dialog_closed(c: &Client) -> anyhow::Result<()> {
    testkit::eventually(PATIENCE, || {
        let c = c.clone();
        async move {
            let open = c.find_all(Locator::Css("dialog[open]")).await.ok()?;
            open.is_empty().then_some(())
        }
    })
    .await
    .context("the dialog did not close (the save failed?)")
}

/// The `data-*` id of the first element matching `css` whose text contains `text`.
async fn id_of(c: &Client, css: &str, text: &str, attr: &str) -> anyhow::Result<String> {
    testkit::eventually(PATIENCE, || {
        let c = c.clone();
        async move {
            for element in c.find_all(Locator::Css(css)).await.ok()? {
                if element.text().await.ok()?.contains(text) {
                    return element.attr(attr).await.ok()?;
                }
            }
            None
        }
    })
    .await
    .with_context(|| format!("no {css} containing {text:?}"))
}

/// Fails if any of `selectors` is displayed.
async fn hidden(c: &Client, selectors: &[&str]) -> anyhow::Result<()> {
    for css in selectors {
        let shown = find(c, css).await?.is_displayed().await?;
        anyhow::ensure!(!shown, "{css} is shown");
    }
    Ok(())
}

/// Sets a checkbox to `checked`.
async fn check(c: &Client, css: &str, checked: bool) -> anyhow::Result<()> {
    let input = find(c, css).await?;
    if input.is_selected().await? != checked {
        input.click().await?;
    }
    Ok(())
}

async fn scenario(c: &Client, base: &str) -> anyhow::Result<String> {
    c.goto(base).await?;
    fill(c, "#login-form input[name=login]", store::admin::DEMO_LOGIN).await?;
    fill(
        c,
        "#login-form input[name=password]",
        store::admin::DEMO_PASSWORD,
    )
    .await?;
    click(c, "#login-submit").await?;
    wait_text(c, "#store-name", store::admin::DEMO_NAME).await?;

    // The day: only the legal next action is offered at each step.
    wait_text(c, "#day-state", "마감").await?;
    wait_text(c, "#day-actions", "영업 준비").await?;
    click(c, "#day-actions button[data-day-action=ready]").await?;
    wait_text(c, "#day-state", "준비").await?;
    click(c, "#day-actions button[data-day-action=open]").await?;
    wait_text(c, "#day-state", "영업").await?;
    let buttons = c.find_all(Locator::Css("#day-actions button")).await?;
    let mut offered = Vec::new();
    for button in buttons {
        offered.push(button.attr("data-day-action").await?.unwrap_or_default());
    }
    offered.sort();
    assert_eq!(
        offered,
        ["break", "start_closing"],
        "actions offered while open"
    );
    screenshot(c, DAY_SCREENSHOT).await?;

    // The menu: a category, an option group with two options, then an item using both.
    click(c, "button[data-tab=menu]").await?;
    find(c, "#menu-content section.category").await?;
    fill(c, "#category-form input[name=name]", "시즌 메뉴").await?;
    click(c, "#category-form button[type=submit]").await?;
    let category = id_of(c, "section.category", "시즌 메뉴", "data-category-id").await?;

    click(c, "#add-selection").await?;
    fill(c, "#form-dialog input[name=name]", "온도 선택").await?;
    fill(c, "#form-dialog input[name=min]", "1").await?;
    fill(c, "#form-dialog input[name=max]", "1").await?;
    click(c, "#form-dialog-submit").await?;
    dialog_closed(c).await?;
    let selection = id_of(c, "section.selection", "온도 선택", "data-selection-id").await?;

    for (name, price) in [("따뜻하게", "0"), ("차갑게", "500")] {
        let form = format!("section.selection[data-selection-id='{selection}'] form");
        fill(c, &format!("{form} input[name=option-name]"), name).await?;
        fill(c, &format!("{form} input[name=option-price]"), price).await?;
        click(c, &format!("{form} button[type=submit]")).await?;
        id_of(
            c,
            &format!("section.selection[data-selection-id='{selection}'] li"),
            name,
            "data-option-id",
        )
        .await?;
    }

    click(c, "#add-item").await?;
    fill(c, "#form-dialog input[name=name]", "시즌 라떼").await?;
    fill(c, "#form-dialog input[name=price]", "5500").await?;
    for checkbox in c
        .find_all(Locator::Css("#form-dialog input[name=categories]"))
        .await?
    {
        let mine = checkbox.attr("value").await?.as_deref() == Some(category.as_str());
        if checkbox.is_selected().await? != mine {
            checkbox.click().await?;
        }
    }
    check(
        c,
        &format!("#form-dialog input[name=selections][value='{selection}']"),
        true,
    )
    .await?;
    click(c, "#form-dialog-submit").await?;
    dialog_closed(c).await?;

    let row = format!("section.category[data-category-id='{category}'] li.item-row");
    let item = id_of(c, &row, "시즌 라떼", "data-item-id").await?;
    let shown = find(c, &format!("li[data-item-id='{item}']")).await?;
    let text = shown.text().await?;
    assert!(
        text.contains("5,500원") && text.contains("온도 선택"),
        "item row shows {text:?}"
    );
    c.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![serde_json::to_value(&shown)?],
    )
    .await?;
    Ok(item)
}

/// Another device logs in: the tab's next request shows the login form saying why.
async fn signed_out_by_a_newer_login(c: &Client, h: &Harness) -> anyhow::Result<()> {
    let other = h
        .browser()
        .login(store::admin::DEMO_LOGIN, store::admin::DEMO_PASSWORD)
        .await?;
    anyhow::ensure!(other.status == reqwest::StatusCode::OK, "{other:?}");
    click(c, "button[data-tab=day]").await?;
    find(c, "#login-form").await?;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let message = find(c, "#login-message").await?.text().await?;
        if message.contains("다른 기기에서 새로 로그인") {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the login form says {message:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_store_runs_its_day_and_edits_its_menu_in_chromium() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let demo = store::admin::load_demo(&h.db.pool).await?;
    let driver = Driver::start().await?;
    let c = driver.browser().await?;

    let outcome = scenario(&c, &h.base()).await;
    // A picture of wherever the browser got to, success or not, for whoever reads the result.
    if let Ok(png) = c.screenshot().await {
        std::fs::write(SCREENSHOT, png).context("writing the screenshot")?;
    }
    let kicked_out = match outcome {
        Ok(_) => signed_out_by_a_newer_login(&c, &h).await,
        Err(_) => Ok(()),
    };
    c.close().await.ok();
    let item = outcome?;
    kicked_out?;

    // What the browser did is what the store service holds.
    let menu = h
        .store_client()
        .get_menu(GetMenuRequest {
            store_id: demo.store_id.to_string(),
        })
        .await?
        .into_inner()
        .menu
        .context("menu")?;
    let saved = menu
        .items
        .iter()
        .find(|i| i.id == item)
        .context("item saved")?;
    assert_eq!((saved.name.as_str(), saved.price), ("시즌 라떼", 5500));
    let group = menu
        .selections
        .iter()
        .find(|s| saved.selection_ids.contains(&s.id))
        .context("item has its option group")?;
    assert_eq!(
        (group.name.as_str(), group.min, group.max),
        ("온도 선택", 1, 1)
    );
    assert_eq!(group.option_ids.len(), 2);
    println!("screenshots: {DAY_SCREENSHOT} {SCREENSHOT}");
    Ok(())
}

#[tokio::test]
async fn a_viewer_link_opens_a_read_only_page_in_chromium() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    store::admin::load_demo(&h.db.pool).await?;
    let admin = h
        .browser()
        .signed_in(store::admin::DEMO_LOGIN, store::admin::DEMO_PASSWORD)
        .await?;
    let link = admin.post("/viewer", json!({})).await?;
    let url = link.body["url"].as_str().context("viewer link")?.to_owned();

    let driver = Driver::start().await?;
    let c = driver.browser().await?;
    let outcome = async {
        c.goto(&url).await?;
        wait_text(&c, "#role-badge", "보기 전용").await?;
        wait_text(&c, "#day-state", "마감").await?;
        let address = c.current_url().await?;
        anyhow::ensure!(address.fragment().is_none(), "the code stays in {address}");
        let day_note = find(&c, "#day-viewer-note").await?.is_displayed().await?;
        anyhow::ensure!(day_note, "the viewer is told it cannot change the day");
        hidden(&c, &["#day-actions", "#viewer-link-btn"]).await?;
        click(&c, "button[data-tab=menu]").await?;
        find(&c, "#menu-content li.item-row").await?;
        hidden(
            &c,
            &[
                "#tab-menu .toolbar",
                "#menu-content li.item-row .row-buttons",
            ],
        )
        .await
    }
    .await;
    c.close().await.ok();
    outcome
}
