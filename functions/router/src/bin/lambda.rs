//! The AWS Lambda entry point: one binary for both functions of the
//! template (`deploy/aws/template.yaml`), dispatching on the event's shape:
//! an HTTP event (Function URL, API Gateway REST and HTTP APIs, ALB) goes to
//! [`Router::handle`]; an SQS event to the delivery worker; an SNS event
//! (SES's bounces and complaints) to its bounce handling. All the work is in
//! the library, so `switchboard serve` runs the very same form handler.

use std::sync::Arc;

use bytes::Bytes;
use std::net::IpAddr;

use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::request::{LambdaRequest, RequestContext, RequestOrigin};
use lambda_http::{Error, Request, RequestExt, service_fn};
use serde_json::{Value, json};
use switchboard_router::config::{MailConfig, StoreConfig};
use switchboard_router::worker::DeliveryWorker;
use switchboard_router::{ClientAddr, Router, RouterConfig, RouterError};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Fail the cold start, loudly and without secrets, rather than answer
    // visitors with a half-configured router.
    let (router, worker) = match start() {
        Ok(started) => started,
        Err(e) => {
            eprintln!("switchboard-router: cannot start: {e}");
            return Err(e.into());
        }
    };
    let (router, worker) = (Arc::new(router), worker.map(Arc::new));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (router, worker) = (Arc::clone(&router), worker.clone());
        async move { dispatch(&router, worker.as_deref(), event.payload).await }
    }))
    .await
}

/// The router, and the delivery worker where messages are kept in DynamoDB
/// and sent through SES.
fn start() -> Result<(Router, Option<DeliveryWorker>), RouterError> {
    let config = RouterConfig::from_env()?;
    let worker_parts = match (&config.store, &config.mail) {
        (StoreConfig::Dynamo(store), MailConfig::Ses(ses)) => {
            Some(((**store).clone(), ses.clone()))
        }
        _ => None,
    };
    let sender = config.sender_mailbox().map_err(RouterError::Config)?;
    let router = Router::from_config(config)?;
    let worker = worker_parts
        .map(|(store, ses)| DeliveryWorker::new(&store, ses, router.shared_manifest(), sender));
    Ok((router, worker))
}

/// Sends the event where its shape says it belongs.
async fn dispatch(
    router: &Router,
    worker: Option<&DeliveryWorker>,
    event: Value,
) -> Result<Value, Error> {
    let source = event["Records"][0]["eventSource"]
        .as_str()
        .or_else(|| event["Records"][0]["EventSource"].as_str())
        .unwrap_or_default()
        .to_string();
    match (source.as_str(), worker) {
        ("aws:sqs", Some(w)) => Ok(w.handle_queue(&event).await),
        ("aws:sns", Some(w)) => {
            w.handle_ses_events(&event).await;
            Ok(Value::Null)
        }
        ("aws:sqs" | "aws:sns", None) => Err(
            "a queue or SES event reached a function without SWITCHBOARD_STORE=dynamodb and SWITCHBOARD_MAIL=ses".into(),
        ),
        _ => {
            let request: LambdaRequest = serde_json::from_value(event)?;
            let origin = request.request_origin();
            let response = router.handle(into_http(request.into())).await;
            Ok(response_event(&origin, response))
        }
    }
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

/// The answer as the event source expects it. Every answer the router
/// gives is UTF-8 text (HTML or JSON) or empty.
fn response_event(origin: &RequestOrigin, response: http::Response<Bytes>) -> Value {
    let (parts, body) = response.into_parts();
    let mut headers = serde_json::Map::new();
    for name in parts.headers.keys() {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        headers.insert(name.as_str().to_string(), json!(values.join(", ")));
    }
    let mut event = json!({
        "statusCode": parts.status.as_u16(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
        "isBase64Encoded": false,
    });
    match origin {
        RequestOrigin::Alb => {
            event["statusDescription"] = json!(format!(
                "{} {}",
                parts.status.as_u16(),
                parts.status.canonical_reason().unwrap_or("")
            ));
        }
        RequestOrigin::ApiGatewayV2 => event["cookies"] = json!([]),
        _ => {}
    }
    event
}
