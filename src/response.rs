//! Every status code, header and JSON body the function answers with.
//!
//! Bodies carry a machine-readable `error` code and a human-readable `message`; neither ever
//! contains the table name, an ARN or SDK error text. CORS is not set here: the HTTP API's
//! `CorsConfiguration` owns it (and the local front in `tools/local` plays that part).

use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use crate::request::{Rejection, MAX_PATH_BYTES, MAX_QUERY_BYTES};
use crate::store::StoreErrorKind;

/// An answer: a status, our headers and a JSON body.
pub type Response = http::Response<String>;

#[derive(Serialize)]
struct Count {
    count: u64,
    counted: bool,
}

#[derive(Serialize)]
struct Error<'a> {
    error: &'a str,
    message: &'a str,
}

/// `200 {"count": N, "counted": true|false}`: the page's total, and whether this request
/// added to it.
pub fn count(count: u64, counted: bool) -> Response {
    json(StatusCode::OK, &Count { count, counted })
}

/// The 4xx answer to a request that broke a rule.
pub fn rejected(rejection: Rejection) -> Response {
    let (status, error, message) = match rejection {
        Rejection::MethodNotAllowed => (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Only GET is supported.",
        ),
        Rejection::QueryTooLong => (
            StatusCode::URI_TOO_LONG,
            "query_too_long",
            "The query string must be at most 8192 bytes.",
        ),
        Rejection::MissingPath => (
            StatusCode::BAD_REQUEST,
            "missing_path",
            "Give the page to count as a non-empty query parameter: /counter?path=/index.html",
        ),
        Rejection::AmbiguousPath => (
            StatusCode::BAD_REQUEST,
            "ambiguous_path",
            "Give the path query parameter once.",
        ),
        Rejection::PathTooLong => (
            StatusCode::BAD_REQUEST,
            "path_too_long",
            "The path must be at most 2048 bytes of UTF-8.",
        ),
        Rejection::UnreadableCharacter => (
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "The path must not contain control, format or separator characters \
             (Unicode Cc, Cf, Zl, Zp).",
        ),
        Rejection::InvalidEncoding => (
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "The path must be percent-encoded UTF-8.",
        ),
        Rejection::InvalidIncrement => (
            StatusCode::BAD_REQUEST,
            "invalid_increment",
            "Give increment once, as true (count this visit) or false (only read the count).",
        ),
        Rejection::PathNotAllowed => (
            StatusCode::FORBIDDEN,
            "path_not_allowed",
            "This counter does not count that path.",
        ),
    };
    let mut response = json(status, &Error { error, message });
    if rejection == Rejection::MethodNotAllowed {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
    }
    response
}

/// The 5xx answer when DynamoDB could not count the hit or read the count.
pub fn failed(kind: StoreErrorKind) -> Response {
    match kind {
        StoreErrorKind::Unavailable => json(
            StatusCode::SERVICE_UNAVAILABLE,
            &Error {
                error: "storage_unavailable",
                message: "The counter is busy or unreachable; try again shortly.",
            },
        ),
        StoreErrorKind::Internal => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Error {
                error: "internal_error",
                message: "The counter is misconfigured; its owner has been told in the logs.",
            },
        ),
    }
}

// The messages spell the limits out; this keeps them in step.
const _: () = assert!(MAX_PATH_BYTES == 2048 && MAX_QUERY_BYTES == 8192);

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Serializing these plain structs cannot fail; an empty object is the safe fallback.
    let body = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Every answer is a fresh count (or a one-off error): nothing may cache it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
