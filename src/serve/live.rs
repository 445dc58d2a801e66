//! Live reload and the build-error overlay.
//!
//! Every HTML page is served with a `<meta name="switchboard-version">` naming
//! the build it came from; the script (`assets/live.js`, loaded through the
//! renderer's `live_reload` option) listens on a WebSocket, which announces the
//! current version on connect and after every build, and reloads the page when
//! they differ. A failed build is a new version too: the page reloads and the
//! server has injected the overlay into it. The overlay is plain HTML plus a
//! same-origin stylesheet, so it shows with the CSP's `script-src 'self'` and
//! `style-src 'self'`, and even with JavaScript off.

use axum::extract::ws::{Message, WebSocket};
use switchboard_router::html::escape;
use tokio::sync::watch;

/// URL paths of the dev server's own files.
pub const SCRIPT_PATH: &str = "/__switchboard/live.js";
pub const SOCKET_PATH: &str = "/__switchboard/live";
pub const OVERLAY_CSS_PATH: &str = "/__switchboard/overlay.css";

pub const SCRIPT: &str = include_str!("assets/live.js");
pub const OVERLAY_CSS: &str = include_str!("assets/overlay.css");

/// Adds the version tag and, while the last build fails, the overlay with `error`.
pub fn decorate(html: &str, version: &str, error: Option<&str>) -> String {
    let mut head = format!(
        "<meta name=\"switchboard-version\" content=\"{}\">\n",
        escape(version)
    );
    if error.is_some() {
        head.push_str(&format!(
            "<link rel=\"stylesheet\" href=\"{OVERLAY_CSS_PATH}\">\n"
        ));
    }
    let mut page = insert_before(html, "</head>", &head, false);
    if let Some(error) = error {
        page = insert_before(&page, "</body>", &overlay(error), true);
    }
    page
}

/// The page served when no build has succeeded yet: only the overlay.
pub fn failure_page(version: &str, error: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'\">\n\
         <title>Build failed · Switchboard</title>\n\
         <meta name=\"switchboard-version\" content=\"{}\">\n\
         <link rel=\"stylesheet\" href=\"{OVERLAY_CSS_PATH}\">\n\
         <script src=\"{SCRIPT_PATH}\" defer></script>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape(version),
        overlay(error)
    )
}

fn overlay(error: &str) -> String {
    format!(
        "<div id=\"switchboard-overlay\" role=\"alert\" aria-live=\"assertive\">\n\
         <div class=\"sb-box\">\n\
         <h2>The site did not build</h2>\n\
         <p>You are seeing the last version that built. Fix the file named below and save: this page reloads by itself.</p>\n\
         <pre>{}</pre>\n\
         <button type=\"button\" data-switchboard-dismiss>Hide until the next build</button>\n\
         </div>\n</div>\n",
        escape(error)
    )
}

/// Inserts `text` before the first (or, with `last`, the last) `tag`,
/// matched case-insensitively; appends when there is no such tag.
fn insert_before(html: &str, tag: &str, text: &str, last: bool) -> String {
    let lower = html.to_ascii_lowercase();
    let at = if last {
        lower.rfind(tag)
    } else {
        lower.find(tag)
    };
    match at {
        Some(at) => format!("{}{text}{}", &html[..at], &html[at..]),
        None if last => format!("{html}{text}"),
        None => format!("{text}{html}"),
    }
}

/// One browser tab: sends the current version now and after each build;
/// ends when the tab goes away or the server shuts down.
pub async fn talk(mut socket: WebSocket, mut versions: watch::Receiver<String>) {
    loop {
        let version = versions.borrow_and_update().clone();
        if version.is_empty() {
            // The server is shutting down: say goodbye so the tab retries quietly.
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
        if socket.send(Message::Text(version.into())).await.is_err() {
            return;
        }
        tokio::select! {
            changed = versions.changed() => if changed.is_err() {
                let _ = socket.send(Message::Close(None)).await;
                return;
            },
            incoming = socket.recv() => match incoming {
                // The script never sends; anything but a ping means the tab left.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                _ => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str =
        "<!DOCTYPE html><html><head><title>x</title></head><body><p>hi</p></BODY></html>";

    #[test]
    fn a_good_build_only_tags_the_version() {
        let page = decorate(PAGE, "abc-1", None);
        assert!(page.contains("<meta name=\"switchboard-version\" content=\"abc-1\">\n</head>"));
        assert!(!page.contains("switchboard-overlay"));
        assert!(!page.contains("overlay.css"));
    }

    #[test]
    fn a_failed_build_adds_the_overlay_escaped() {
        let page = decorate(
            PAGE,
            "abc-2",
            Some("error: <bad> & \"worse\"\n  --> content/x.toml:3:1"),
        );
        assert!(page.contains(OVERLAY_CSS_PATH));
        let overlay_at = page.find("id=\"switchboard-overlay\"").expect("overlay");
        assert!(overlay_at < page.find("</BODY>").expect("body end"));
        assert!(
            page.contains(
                "error: &lt;bad&gt; &amp; &quot;worse&quot;\n  --&gt; content/x.toml:3:1"
            )
        );
        assert!(!page.contains("<bad>"));
        // No inline script or style: the CSP forbids both.
        assert!(!page.contains("<script>") && !page.contains("style="));
    }

    #[test]
    fn pages_without_head_or_body_still_get_everything() {
        let page = decorate("<p>fragment</p>", "v", Some("oops"));
        assert!(page.starts_with("<meta name=\"switchboard-version\""));
        assert!(page.trim_end().ends_with("</div>"));
    }

    #[test]
    fn the_failure_page_loads_the_script_and_shows_the_error() {
        let page = failure_page("v-3", "error: x\n  --> content/site.toml:1:1");
        assert!(page.contains(SCRIPT_PATH));
        assert!(page.contains("content/site.toml:1:1"));
        assert!(page.contains("content=\"v-3\""));
    }
}
