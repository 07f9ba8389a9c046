//! API Gateway HTTP API (payload v2) event ↔ HTTP request and response.
//!
//! lambda_http's own conversion `expect`s on input a client controls: a raw query with a
//! space, a `{` or a non-ASCII byte makes an invalid URI, and an invalid base64 body fails
//! to decode, and either panics — which, with `panic = "abort"`, kills the sandbox. This
//! conversion cannot panic: it keeps only what the counter reads (method, raw query,
//! parsed parameters, request context) and percent-encodes what a URI cannot hold, which
//! [`crate::request::query_values`] decodes back to the same text.

use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::http::{self, HeaderMap};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Context, Request, RequestExt, Response};

/// Why an event is not an HTTP API request; the runtime reports it as an invocation error.
#[derive(Debug)]
pub struct NotAnHttpApiEvent;

impl std::fmt::Display for NotAnHttpApiEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not an API Gateway HTTP API (payload version 2.0) event")
    }
}

impl std::error::Error for NotAnHttpApiEvent {}

/// The request the handler sees for `event`.
pub fn into_request(
    event: ApiGatewayV2httpRequest,
    context: Context,
) -> Result<Request, NotAnHttpApiEvent> {
    if event.version.as_deref() != Some("2.0") {
        return Err(NotAnHttpApiEvent);
    }
    let method = event.request_context.http.method.clone();
    let path = escape_for_uri(event.raw_path.as_deref().unwrap_or("/"));
    let uri = match event.raw_query_string.as_deref() {
        Some(query) if !query.is_empty() => format!("{path}?{}", escape_for_uri(query)),
        _ => path,
    };
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::Empty)
        // Unreachable once escaped; should it ever happen the request has no query, so
        // the handler refuses it as a missing path instead of the process dying.
        .unwrap_or_else(|_| Request::new(Body::Empty));
    Ok(request
        .with_query_string_parameters(event.query_string_parameters)
        .with_request_context(RequestContext::ApiGatewayV2(event.request_context))
        .with_lambda_context(context))
}

/// The proxy result API Gateway turns back into an HTTP response.
pub fn from_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut result = ApiGatewayV2httpResponse::default();
    result.status_code = i64::from(parts.status.as_u16());
    result.headers = parts.headers;
    result.multi_value_headers = HeaderMap::new();
    result.body = match body {
        Body::Empty => None,
        body => Some(body),
    };
    result
}

/// Percent-encodes every byte a URI may not hold, leaving escapes, separators and
/// everything else as they are, so decoding the result gives what decoding `raw` gives.
pub fn escape_for_uri(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for &byte in raw.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&byte) {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::query_values;

    #[test]
    fn every_byte_makes_a_valid_uri_and_decodes_the_same() {
        for code in 0..=0x10FFu32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let raw = format!("path=a{c}b");
            let escaped = escape_for_uri(&raw);
            let uri = format!("/counter?{escaped}");
            assert!(uri.parse::<http::Uri>().is_ok(), "{c:?} → {uri}");
            assert_eq!(query_values(&escaped, "path"), query_values(&raw, "path"));
        }
    }

    #[test]
    fn escapes_and_separators_are_kept() {
        assert_eq!(escape_for_uri("path=%2Fa+b&x=1"), "path=%2Fa+b&x=1");
        assert_eq!(escape_for_uri("path={é}"), "path=%7B%C3%A9%7D");
    }
}
