//! API Gateway HTTP API (payload v2) event ↔ HTTP request and response.
//!
//! lambda_http's own conversion `expect`s on input a client controls: a raw query with a
//! space, a `{` or a non-ASCII byte makes an invalid URI, and an invalid base64 body fails
//! to decode, and either panics — which, with `panic = "abort"`, kills the sandbox. This
//! conversion cannot panic: it reads only what the counter needs (version, method, raw
//! query, parsed parameters) and percent-encodes what a URI cannot hold, which
//! [`crate::request::query_values`] decodes back to the same text.

use std::collections::HashMap;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::{self, Method};
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde::Deserialize;

/// The parts of an HTTP API payload v2 event the counter reads. Everything else (headers,
/// cookies, body, identity) is skipped while parsing, never built: less work per
/// invocation, and nothing in it can fail the parse.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpApiEvent {
    pub version: Option<String>,
    pub raw_path: Option<String>,
    pub raw_query_string: Option<String>,
    pub query_string_parameters: Option<HashMap<String, String>>,
    pub request_context: Option<HttpApiRequestContext>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HttpApiRequestContext {
    pub http: Option<HttpApiDescription>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HttpApiDescription {
    pub method: Option<String>,
}

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
pub fn into_request(event: HttpApiEvent, context: Context) -> Result<Request, NotAnHttpApiEvent> {
    if event.version.as_deref() != Some("2.0") {
        return Err(NotAnHttpApiEvent);
    }
    let method = event
        .request_context
        .and_then(|context| context.http)
        .and_then(|http| http.method)
        .and_then(|method| Method::from_bytes(method.as_bytes()).ok())
        .ok_or(NotAnHttpApiEvent)?;
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
    let parameters = QueryMap::from(event.query_string_parameters.unwrap_or_default());
    Ok(request
        .with_query_string_parameters(parameters)
        .with_lambda_context(context))
}

/// The proxy result API Gateway turns back into an HTTP response.
pub fn from_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut result = ApiGatewayV2httpResponse::default();
    result.status_code = i64::from(parts.status.as_u16());
    result.headers = parts.headers;
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
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            escaped.push('%');
            escaped.push(HEX[usize::from(byte >> 4)] as char);
            escaped.push(HEX[usize::from(byte & 0xF)] as char);
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
