//! One request: `GET /healthz`, or the form at any other path. The
//! client's address goes into the request's extensions as [`ClientAddr`];
//! the body is read only up to the router's cap (one byte more tells the
//! router it is over), within a deadline, before the router sees it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::handler::Router;
use crate::limit::ClientAddr;
use crate::log;
use crate::parse::declares_more_than;

/// Per-request settings (from [`crate::ServerConfig`]).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Take the client from the last `X-Forwarded-For` hop.
    pub trust_proxy: bool,
    /// How long the body may take to arrive once the headers are in.
    pub body_timeout: Duration,
}

/// The answer to one request; never fails (errors are answers).
pub(crate) async fn answer(
    router: Arc<Router>,
    limits: Limits,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let (mut parts, body) = req.into_parts();
    if parts.method == Method::GET && parts.uri.path() == "/healthz" {
        return healthz(&router).await;
    }
    parts.extensions.insert(ClientAddr(client_addr(
        peer.ip(),
        &parts.headers,
        limits.trust_proxy,
    )));
    let max = router.max_body_bytes();
    // Over the cap by its own account: not read at all (the router answers
    // 413 from the header), and the connection is closed after the answer.
    let declared_too_much = declares_more_than(&parts.headers, max);
    let body = if declared_too_much {
        Bytes::new()
    } else {
        match tokio::time::timeout(limits.body_timeout, read_capped(body, max)).await {
            Ok(Ok(body)) => body,
            // The client went away or sent a broken chunked body.
            Ok(Err(_)) => return closing(plain(StatusCode::BAD_REQUEST, "Bad request body.")),
            Err(_) => {
                log::event(&format!(
                    "event=body-timeout method={} timeout_s={}",
                    parts.method,
                    limits.body_timeout.as_secs_f64()
                ));
                return closing(plain(
                    StatusCode::REQUEST_TIMEOUT,
                    "The request body did not arrive in time.",
                ));
            }
        }
    };
    let over_cap = body.len() > max;
    let method = parts.method.clone();
    // In a task of its own: a client that hangs up does not cancel a
    // submission half way (kept but not yet delivered would wait for the
    // retry task); the work finishes and the answer is dropped.
    let req = Request::from_parts(parts, body);
    let resp = match tokio::spawn(async move { router.handle(req).await }).await {
        Ok(resp) => resp,
        Err(e) => {
            log::event(&format!("event=handler-panicked error={e}"));
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal error.");
        }
    };
    log::event(&format!(
        "event=request method={method} status={} ms={:.1}",
        resp.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    ));
    let resp = resp.map(Full::new);
    if declared_too_much || over_cap {
        // The rest of that body is never read: do not wait for it.
        closing(resp)
    } else {
        resp
    }
}

/// The client: the socket's peer, or with `trust_proxy` the last
/// `X-Forwarded-For` hop (the one the proxy in front appended; earlier hops
/// are whatever the client claimed). IPv4-mapped IPv6 peers are IPv4.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| headers.get_all("x-forwarded-for").iter().next_back())
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
    match forwarded.unwrap_or(peer) {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Reads the body, but never more than `max + 1` bytes.
async fn read_capped(mut body: Incoming, max: usize) -> Result<Bytes, hyper::Error> {
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = max + 1 - buf.len();
            buf.extend_from_slice(&data[..data.len().min(room)]);
            if buf.len() > max {
                break;
            }
        }
    }
    Ok(buf.freeze())
}

/// `200 {"ok":true,"pending":N}`: N records wait in the outbox (`null`
/// where messages are not kept on this machine); `503` if it cannot be read.
async fn healthz(router: &Router) -> Response<Full<Bytes>> {
    let pending = match router.outbox().cloned() {
        None => Ok(None),
        Some(outbox) => tokio::task::spawn_blocking(move || outbox.pending_count())
            .await
            .map_err(std::io::Error::other)
            .and_then(|n| n)
            .map(Some),
    };
    let (status, body) = match pending {
        Ok(n) => (
            StatusCode::OK,
            serde_json::json!({"ok": true, "pending": n}),
        ),
        Err(e) => {
            log::event(&format!("event=healthz-failed error={e}"));
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"ok": false, "error": "the outbox cannot be read"}),
            )
        }
    };
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn closing(mut r: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_peer_unless_the_proxy_is_trusted() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "1.1.1.1, 203.0.113.7".parse().unwrap());
        assert_eq!(client_addr(peer, &h, false), peer);
        assert_eq!(
            client_addr(peer, &h, true),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        h.append("x-forwarded-for", "198.51.100.9".parse().unwrap());
        assert_eq!(
            client_addr(peer, &h, true),
            "198.51.100.9".parse::<IpAddr>().unwrap()
        );
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_addr(peer, &h, true), peer);
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(
            client_addr(mapped, &HeaderMap::new(), false),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}
