//! Headless Chromium driven over WebDriver, for the browser tests: chromedriver on a free port
//! with a fresh profile, and the few waits the tests share.
//!
//! Needs Debian's chromium and chromium-driver (`bash scripts/chromium.sh`, run by `make test`);
//! without them a test fails and says so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const PATIENCE: Duration = Duration::from_secs(10);

/// chromedriver on a free port, killed with the test; Chromium gets a fresh profile directory.
pub struct Driver {
    process: Child,
    url: String,
    profile: PathBuf,
}

impl Driver {
    pub async fn start() -> anyhow::Result<Driver> {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(binary).exists() {
                bail!(
                    "{binary} is missing: the browser test needs Debian's chromium and chromium-driver. \
                     Run `bash scripts/chromium.sh` (make test does it)."
                );
            }
        }
        let port = crate::unused_addr()?.port();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let url = format!("http://127.0.0.1:{port}");
        crate::eventually(PATIENCE, || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await
        .context("chromedriver did not start listening")?;
        let profile = std::env::temp_dir().join(format!("so-chromium-{}", uuid::Uuid::now_v7()));
        Ok(Driver {
            process,
            url,
            profile,
        })
    }

    /// A Chromium window the size of a portrait tablet, as the store web UI is used.
    pub async fn browser(&self) -> anyhow::Result<Client> {
        self.browser_sized(1024, 1366).await
    }

    /// A Chromium window of `width` × `height` CSS pixels.
    pub async fn browser_sized(&self, width: u32, height: u32) -> anyhow::Result<Client> {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--no-first-run",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--lang=ko-KR",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", self.profile.display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            bail!("capabilities are an object");
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .context("opening a Chromium session")
    }

    /// What `c` prints, as a PDF: Chromium's DevTools `Page.printToPDF` (through chromedriver),
    /// at the page size the page's CSS `@page` rules ask for, as the print dialog does, and
    /// without the dialog's headers and footers.
    pub async fn print_pdf(&self, c: &Client) -> anyhow::Result<Vec<u8>> {
        let session = c.session_id().await?.context("no WebDriver session")?;
        let answer: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.url))
            .json(&json!({
                "cmd": "Page.printToPDF",
                "params": { "preferCSSPageSize": true, "displayHeaderFooter": false },
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let data = answer["value"]["data"]
            .as_str()
            .with_context(|| format!("Page.printToPDF answered {answer}"))?;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .context("Page.printToPDF's data is not base64")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub async fn find(c: &Client, css: &str) -> anyhow::Result<Element> {
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("no element {css}"))
}

pub async fn click(c: &Client, css: &str) -> anyhow::Result<()> {
    find(c, css)
        .await?
        .click()
        .await
        .with_context(|| format!("click {css}"))
}

pub async fn fill(c: &Client, css: &str, text: &str) -> anyhow::Result<()> {
    let input = find(c, css).await?;
    input.clear().await?;
    input
        .send_keys(text)
        .await
        .with_context(|| format!("type into {css}"))
}

/// Waits until the element's visible text is `expected`.
pub async fn wait_text(c: &Client, css: &str, expected: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.trim() == expected {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{css} shows {text:?}, not {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Writes what the browser shows to `path` (a PNG), for whoever reads the test's result.
pub async fn screenshot(c: &Client, path: &str) -> anyhow::Result<()> {
    std::fs::write(path, c.screenshot().await?).context("writing the screenshot")
}
