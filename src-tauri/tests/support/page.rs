//! The app's window as the end-to-end tests see it through WebDriver: waiting for elements and text,
//! clicking, counting rows.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, Locator};

/// The element `locator` finds, waiting for it up to `secs` seconds.
pub async fn wait_for(c: &Client, locator: Locator<'_>, secs: u64) -> Result<Element, CmdError> {
    c.wait().at_most(Duration::from_secs(secs)).for_element(locator).await
}

/// Clicks the element `css` finds now (without waiting for it).
pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

/// Waits (up to 30 s) until the element's text contains `needle`.
pub async fn wait_for_text(el: &Element, needle: &str) {
    let start = Instant::now();
    loop {
        if el.text().await.unwrap_or_default().contains(needle) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never saw {needle:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many events the window has loaded (rendered or not: the list is virtualised).
pub async fn loaded(c: &Client) -> usize {
    let el = c.find(Locator::Css(".timeline")).await.unwrap();
    el.attr("data-loaded").await.unwrap().and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// How many rows of the timeline show the event `uuid`.
pub async fn rows(c: &Client, uuid: &str) -> usize {
    c.find_all(Locator::Css(&format!("[data-testid=timeline-row][data-uuid='{uuid}']"))).await.unwrap().len()
}

/// Scrolls the timeline to its end.
pub async fn scroll_to_end(c: &Client) {
    c.execute("const t = document.querySelector('.timeline'); t.scrollTop = t.scrollHeight; return null;", vec![])
        .await
        .unwrap();
}
