//! The dev server behind `switchboard serve`: the in-memory site, live
//! reload, the build-error overlay and the contact form, on one port.
//!
//! [`DevSite`] holds the last good build and the last error. The watch loop
//! (in the CLI) calls [`DevSite::publish`] after every build; the handlers
//! only ever read a consistent snapshot, so a failing build never blanks the
//! site and a request never sees half of a new one.

mod contact;
pub mod files;
pub mod listen;
pub mod live;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router as App;
use axum::body::Body;
use axum::extract::{Request, State, WebSocketUpgrade};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bytes::Bytes;
use switchboard_router::{ClientAddr, Mailer, Router, RouterError};
use tokio::sync::watch;

use crate::build::{Build, BuildError};
pub use contact::{ContactSettings, OnRouted, Routed};
use files::{Resolved, content_type, resolve};
use live::{OVERLAY_CSS_PATH, SCRIPT_PATH, SOCKET_PATH};

/// Where `serve` mounts the router; the pages' form posts here.
pub const FORM_ENDPOINT: &str = "/api/contact";

/// The site as served right now.
#[derive(Default, Clone)]
struct Snapshot {
    /// The last good build's files; `None` until one succeeds. `Bytes`, so
    /// answering a request shares the file instead of copying it.
    files: Option<Arc<BTreeMap<String, Bytes>>>,
    /// The last build's report, while it failed.
    error: Option<Arc<str>>,
    /// The router over the last good build's manifest.
    router: Option<Arc<Router>>,
    version: String,
}

/// The router for a newly published build, still to be set up.
#[must_use = "the new build's form keeps the old routing until `apply` is called"]
pub struct RouterUpdate<'a> {
    site: &'a DevSite,
    /// `None` when the routing did not change (or the build failed).
    manifest: Option<switchboard_router::RoutingManifest>,
}

impl RouterUpdate<'_> {
    /// The new build's manifest, when its routing differs from the router's.
    pub fn manifest(&self) -> Option<&switchboard_router::RoutingManifest> {
        self.manifest.as_ref()
    }

    /// Puts the new router in place. An error means the site is served but
    /// the form cannot work (the outbox folder cannot be created, say).
    pub fn apply(self) -> Result<(), RouterError> {
        let Some(manifest) = self.manifest else {
            return Ok(());
        };
        let site = self.site;
        let router = site.contact.router(manifest, Arc::clone(&site.mailer));
        let current = site.current();
        let (router, outcome) = match router {
            Ok(router) => (Some(Arc::new(router)), Ok(())),
            Err(error) => (None, Err(error)),
        };
        site.swap_quietly(Snapshot {
            router,
            ..Snapshot::clone(&current)
        });
        outcome
    }
}

/// The dev server's shared state.
pub struct DevSite {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Current version for the live-reload sockets; empty means "shutting down".
    versions: watch::Sender<String>,
    contact: ContactSettings,
    mailer: Arc<dyn Mailer>,
    /// Distinguishes this process's versions from a previous run's, so tabs
    /// left open across a restart reload too.
    instance: String,
    generation: AtomicU64,
}

impl DevSite {
    pub fn new(contact: ContactSettings) -> Result<Arc<Self>, RouterError> {
        let mailer = contact.mailer()?;
        let instance = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        let (versions, _) = watch::channel(format!("{instance}-0"));
        Ok(Arc::new(Self {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            versions,
            contact,
            mailer,
            instance,
            generation: 0.into(),
        }))
    }

    /// Serves `result` from now on: a good build replaces the site; a failed
    /// one keeps it and shows its report as the overlay. Open pages reload
    /// either way.
    ///
    /// A good build's router is set up by the returned [`RouterUpdate`], once
    /// the pages are out: setting up a router checks the whole manifest,
    /// which takes a noticeable time on a large organisation, and the editor
    /// is waiting for the page. A form sent in between reaches the previous
    /// router, which treats it as coming from a page of an older build: it is
    /// still routed.
    ///
    /// Meant for one caller at a time (the rebuild loop), like the builds themselves.
    pub fn publish(&self, result: Result<Build, BuildError>) -> RouterUpdate<'_> {
        let previous = self.current();
        let build = match result {
            Ok(build) => build,
            Err(error) => {
                self.swap(Snapshot {
                    error: Some(error.to_string().into()),
                    version: self.next_version(),
                    ..Snapshot::clone(&previous)
                });
                return RouterUpdate {
                    site: self,
                    manifest: None,
                };
            }
        };
        let unchanged = previous
            .router
            .as_ref()
            .is_some_and(|router| router.manifest() == &build.manifest);
        self.swap(Snapshot {
            files: Some(Arc::new(
                build
                    .output
                    .files
                    .into_iter()
                    .map(|(path, bytes)| (path, Bytes::from(bytes)))
                    .collect(),
            )),
            error: None,
            router: previous.router.clone(),
            version: self.next_version(),
        });
        RouterUpdate {
            site: self,
            manifest: (!unchanged).then_some(build.manifest),
        }
    }

    fn next_version(&self) -> String {
        let generation = 1 + self.generation.fetch_add(1, Ordering::SeqCst);
        format!("{}-{generation}", self.instance)
    }

    /// Makes `next` the served snapshot and tells open pages to reload.
    fn swap(&self, next: Snapshot) {
        let version = next.version.clone();
        self.swap_quietly(next);
        self.versions.send_replace(version);
    }

    fn swap_quietly(&self, next: Snapshot) {
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
    }

    /// Tells every open live-reload socket to close, so shutdown is not held up.
    pub fn close_sockets(&self) {
        self.versions.send_replace(String::new());
    }

    /// Retries deliveries that failed earlier (SMTP down, say); the outbox keeps them.
    pub async fn retry_pending(&self) {
        if let Some(router) = self.current().router.clone() {
            router.retry_pending().await;
        }
    }

    fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The axum app: the site, the dev server's own files, the form.
    pub fn app(self: &Arc<Self>) -> App {
        App::new()
            .route(FORM_ENDPOINT, any(contact_form))
            .route(SOCKET_PATH, get(socket))
            .route(
                SCRIPT_PATH,
                get(|| async { asset("text/javascript; charset=utf-8", live::SCRIPT) }),
            )
            .route(
                OVERLAY_CSS_PATH,
                get(|| async { asset("text/css; charset=utf-8", live::OVERLAY_CSS) }),
            )
            .fallback(site_file)
            .with_state(Arc::clone(self))
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    respond(StatusCode::OK, content_type, Body::from(body))
}

/// Every answer is `no-store`: an editor must never see a cached old page.
fn respond(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn socket(State(site): State<Arc<DevSite>>, upgrade: WebSocketUpgrade) -> Response {
    let versions = site.versions.subscribe();
    upgrade.on_upgrade(move |socket| live::talk(socket, versions))
}

/// The 404 page for a missing `path`: its language tree's (`/de/x` ->
/// `de/404.html`) when there is one, else the site's `404.html`.
fn not_found_page(path: &str, exists: impl Fn(&str) -> bool) -> Option<String> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let tree = format!("{first}/404.html");
    if !first.is_empty() && exists(&tree) {
        Some(tree)
    } else {
        exists("404.html").then(|| "404.html".to_string())
    }
}

async fn site_file(State(site): State<Arc<DevSite>>, request: Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            Body::from("Only GET and HEAD are served here.\n"),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let snapshot = site.current();
    let Some(files) = &snapshot.files else {
        // No build has succeeded yet: every page is the error, and reloads when fixed.
        let error = snapshot
            .error
            .as_deref()
            .unwrap_or("The first build is still running.");
        let page = live::failure_page(&snapshot.version, error);
        return respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            Body::from(page),
        );
    };
    let uri = request.uri();
    match resolve(uri.path(), uri.query(), |key| files.contains_key(key)) {
        Resolved::File(key) => file(&snapshot, files, &key, StatusCode::OK),
        Resolved::Redirect(location) => {
            let mut response = respond(
                StatusCode::PERMANENT_REDIRECT,
                "text/plain; charset=utf-8",
                Body::empty(),
            );
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Resolved::NotFound => match not_found_page(uri.path(), |key| files.contains_key(key)) {
            Some(key) => file(&snapshot, files, &key, StatusCode::NOT_FOUND),
            None => respond(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                Body::from("Not found.\n"),
            ),
        },
        Resolved::Refused => respond(
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            Body::from("This path is not allowed.\n"),
        ),
    }
}

fn file(
    snapshot: &Snapshot,
    files: &BTreeMap<String, Bytes>,
    key: &str,
    status: StatusCode,
) -> Response {
    let Some(bytes) = files.get(key) else {
        return respond(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            Body::empty(),
        );
    };
    let kind = content_type(key);
    if kind.starts_with("text/html") {
        let html = String::from_utf8_lossy(bytes);
        let page = live::decorate(&html, &snapshot.version, snapshot.error.as_deref());
        return respond(status, kind, Body::from(page));
    }
    respond(status, kind, Body::from(bytes.clone()))
}

/// How long a form's body may take to arrive once its headers have.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

async fn contact_form(State(site): State<Arc<DevSite>>, request: Request) -> Response {
    let Some(router) = site.current().router.clone() else {
        return respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            Body::from(
                "The form is not available: the site has not built yet, or its outbox could not be opened (see the terminal).\n",
            ),
        );
    };
    let (mut parts, body) = request.into_parts();
    if let Some(peer) = listen::peer(&parts.extensions) {
        parts.extensions.insert(ClientAddr(peer.ip()));
    }
    // The router's cap, enforced before reading: a declared length over it
    // is answered at once; otherwise at most one byte more is read (so the
    // router sees the body is too large and answers it), within a deadline.
    let cap = router.max_body_bytes();
    let too_large = || {
        respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain; charset=utf-8",
            Body::from(format!("The message is too large (at most {cap} bytes).\n")),
        )
    };
    if switchboard_router::parse::declares_more_than(&parts.headers, cap) {
        return too_large();
    }
    let read = axum::body::to_bytes(body, cap.saturating_add(1));
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            return respond(
                StatusCode::REQUEST_TIMEOUT,
                "text/plain; charset=utf-8",
                Body::from("The message took too long to arrive; please send it again.\n"),
            );
        }
    };
    let answer = router.handle(http::Request::from_parts(parts, bytes)).await;
    let (mut parts, body) = answer.into_parts();
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(body)).into_response()
}

#[cfg(test)]
mod not_found_tests {
    use super::not_found_page;

    #[test]
    fn each_language_tree_has_its_404_page() {
        let files = ["404.html", "de/404.html"];
        let exists = |k: &str| files.contains(&k);
        assert_eq!(
            not_found_page("/de/nope/", exists).as_deref(),
            Some("de/404.html")
        );
        assert_eq!(not_found_page("/nope", exists).as_deref(), Some("404.html"));
        assert_eq!(
            not_found_page("/departments/x/", exists).as_deref(),
            Some("404.html")
        );
        assert_eq!(not_found_page("/x", |_| false), None);
    }
}
