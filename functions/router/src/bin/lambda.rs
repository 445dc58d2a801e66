//! The AWS Lambda entry point: a thin adapter from `lambda_http` (Function
//! URL, API Gateway REST and HTTP APIs, ALB) to [`Router::handle`]. All the
//! work is in the library, so `switchboard serve` runs the very same code.

use std::sync::Arc;

use bytes::Bytes;
use std::net::IpAddr;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use switchboard_router::{ClientAddr, Router, RouterConfig, RouterError};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Fail the cold start, loudly and without secrets, rather than answer
    // visitors with a half-configured router.
    let router = match RouterConfig::from_env()
        .map_err(RouterError::from)
        .and_then(Router::from_config)
    {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("switchboard-router: cannot start: {e}");
            return Err(e.into());
        }
    };
    lambda_http::run(service_fn(move |req: Request| {
        let router = Arc::clone(&router);
        async move {
            let resp = router.handle(into_http(req)).await;
            // Acknowledgements that failed earlier in this warm instance.
            router.retry_pending().await;
            Ok::<_, Error>(into_lambda(resp))
        }
    }))
    .await
}

/// `lambda_http` has already decoded base64 bodies (`isBase64Encoded`).
/// The client's address goes along for the rate limits.
fn into_http(req: Request) -> http::Request<Bytes> {
    let client = client_addr(&req);
    let (mut parts, body) = req.into_parts();
    if let Some(ip) = client {
        parts.extensions.insert(ClientAddr(ip));
    }
    http::Request::from_parts(parts, Bytes::copy_from_slice(body.as_ref()))
}

/// The visitor's address as AWS saw it: the request context's source IP
/// (Function URL, HTTP API, REST API), or for an ALB the last address in
/// `X-Forwarded-For` (the one the load balancer itself appended; earlier
/// ones are the client's say-so).
fn client_addr(req: &Request) -> Option<IpAddr> {
    let from_context = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
        RequestContext::Alb(_) => req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_string()),
        // Kinds of request this binary is not built for.
        _ => None,
    };
    from_context?.parse().ok()
}

/// Every answer the router gives is UTF-8 text (HTML or JSON) or empty.
fn into_lambda(resp: http::Response<Bytes>) -> Response<Body> {
    let (parts, body) = resp.into_parts();
    let body = if body.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    Response::from_parts(parts, body)
}
