//! API Gateway HTTP API event (payload 2.0) → our [`Request`], and our [`Response`] → the
//! proxy result API Gateway turns back into HTTP.
//!
//! Ours, not lambda_http's: its conversion `expect`s on input a client controls (a raw query
//! with a space, a `{` or a non-ASCII byte) and, with `panic = "abort"`, that kills the sandbox.
//! The runtime hands us the event's JSON as it came, so an event of any other shape is ours to
//! refuse too, with our own error and log line, rather than the runtime's.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use lambda_runtime::Diagnostic;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::request::Request;
use crate::response::Response;

/// The parts of an HTTP API payload 2.0 event the counter reads. Everything else (headers we
/// do not read, cookies, body, identity, the parsed query map) is skipped while parsing,
/// never built: less work per invocation, and nothing in it can fail the parse.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpApiEvent {
    version: Option<String>,
    raw_query_string: Option<String>,
    headers: Option<Headers>,
    request_context: Option<RequestContext>,
}

/// The headers we read. The HTTP API lower-cases header names, and joins a repeated header's
/// values with commas.
#[derive(Debug, Default, Deserialize)]
struct Headers {
    origin: Option<String>,
    referer: Option<String>,
    #[serde(rename = "sec-fetch-site")]
    sec_fetch_site: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RequestContext {
    http: Option<HttpDescription>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpDescription {
    method: Option<String>,
    /// The gateway's copy of the `User-Agent` header.
    user_agent: Option<String>,
    /// The peer address the gateway saw: unlike `X-Forwarded-For`, not the caller's to write.
    source_ip: Option<String>,
}

/// Why an event is not an HTTP API request; the runtime reports it as an invocation error.
#[derive(Debug)]
pub struct NotAnHttpApiEvent;

impl NotAnHttpApiEvent {
    /// The `errorType` Lambda records, and the log line's `error_type`.
    pub const ERROR_TYPE: &'static str = "NotAnHttpApiEvent";
}

impl std::fmt::Display for NotAnHttpApiEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not an API Gateway HTTP API (payload version 2.0) event")
    }
}

impl std::error::Error for NotAnHttpApiEvent {}

/// The invocation error Lambda records: a stable `errorType` of our own, not a Rust type path.
impl From<NotAnHttpApiEvent> for Diagnostic {
    fn from(err: NotAnHttpApiEvent) -> Self {
        Diagnostic {
            error_type: NotAnHttpApiEvent::ERROR_TYPE.to_owned(),
            error_message: err.to_string(),
        }
    }
}

/// The request the counter sees for the event `json`.
pub fn into_request(json: &RawValue) -> Result<Request, NotAnHttpApiEvent> {
    let event: HttpApiEvent = serde_json::from_str(json.get()).map_err(|_| NotAnHttpApiEvent)?;
    if event.version.as_deref() != Some("2.0") {
        return Err(NotAnHttpApiEvent);
    }
    let http = event
        .request_context
        .and_then(|context| context.http)
        .ok_or(NotAnHttpApiEvent)?;
    let headers = event.headers.unwrap_or_default();
    Ok(Request {
        method: http.method.ok_or(NotAnHttpApiEvent)?,
        // The gateway sends "" when there is no query; a direct invoke may leave it out.
        raw_query: event.raw_query_string.unwrap_or_default(),
        user_agent: http.user_agent,
        origin: headers.origin,
        referer: headers.referer,
        fetch_site: headers.sec_fetch_site,
        source_ip: http.source_ip.filter(|ip| !ip.is_empty()),
    })
}

/// The proxy result for `response`. Its status, headers and body are moved, not copied: the
/// typed `http::Response` keeps `response.rs` and the handler free of Lambda's event types.
pub fn into_proxy_result(response: Response) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut result = ApiGatewayV2httpResponse::default();
    result.status_code = i64::from(parts.status.as_u16());
    result.headers = parts.headers;
    result.body = Some(Body::Text(body));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Request, NotAnHttpApiEvent> {
        let json = RawValue::from_string(json.to_owned()).unwrap();
        into_request(&json)
    }

    #[test]
    fn reads_method_raw_query_and_user_agent() {
        let request = parse(
            r#"{"version":"2.0","rawQueryString":"path=%2F{x}","queryStringParameters":{"path":"/other"},
                "requestContext":{"http":{"method":"GET","userAgent":"curl/8.5.0"}}}"#,
        )
        .unwrap();
        assert_eq!(
            request,
            Request {
                method: "GET".to_owned(),
                raw_query: "path=%2F{x}".to_owned(),
                user_agent: Some("curl/8.5.0".to_owned()),
                ..Request::default()
            }
        );
    }

    #[test]
    fn reads_the_headers_that_say_which_site_asks() {
        let request = parse(
            r#"{"version":"2.0","headers":{"origin":"https://ada.example","referer":"https://ada.example/cv",
                "sec-fetch-site":"cross-site","cookie":"x=1","user-agent":"ignored"},
                "requestContext":{"http":{"method":"GET"}}}"#,
        )
        .unwrap();
        assert_eq!(request.origin.as_deref(), Some("https://ada.example"));
        assert_eq!(request.referer.as_deref(), Some("https://ada.example/cv"));
        assert_eq!(request.fetch_site.as_deref(), Some("cross-site"));

        // The gateway lower-cases names: any other spelling is not the gateway's.
        let request = parse(
            r#"{"version":"2.0","headers":{"Origin":"https://ada.example"},
                "requestContext":{"http":{"method":"GET"}}}"#,
        )
        .unwrap();
        assert_eq!(request.origin, None);
    }

    #[test]
    fn the_address_is_the_gateways_never_a_header() {
        let request = parse(
            r#"{"version":"2.0","headers":{"x-forwarded-for":"198.51.100.9"},
                "requestContext":{"http":{"method":"GET","sourceIp":"203.0.113.7"}}}"#,
        )
        .unwrap();
        assert_eq!(request.source_ip.as_deref(), Some("203.0.113.7"));
        let without = parse(
            r#"{"version":"2.0","headers":{"x-forwarded-for":"198.51.100.9"},
                "requestContext":{"http":{"method":"GET","sourceIp":""}}}"#,
        )
        .unwrap();
        assert_eq!(without.source_ip, None, "an empty address is none");
    }

    #[test]
    fn the_parsed_parameters_are_never_read() {
        let request = parse(
            r#"{"version":"2.0","queryStringParameters":{"path":"/x"},
                "requestContext":{"http":{"method":"GET"}}}"#,
        )
        .unwrap();
        assert_eq!(request.raw_query, "");
    }

    #[test]
    fn other_events_are_refused() {
        for json in [
            r#"{"hello":"world"}"#,
            r#"{"version":"1.0","httpMethod":"GET","requestContext":{}}"#,
            r#"{"version":"2.0"}"#,
            r#"{"version":"2.0","requestContext":{"http":{}}}"#,
            r#"{"version":2,"requestContext":{"http":{"method":"GET"}}}"#,
            r#"{"version":"2.0","rawQueryString":["path=/"],"requestContext":{"http":{"method":"GET"}}}"#,
            "[]",
            "\"2.0\"",
            "null",
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
    }
}
