//! Every status code, header and body the function answers with: JSON, or the count as a small
//! SVG image (drawn by [`crate::badge`]) when the query asks for `format=svg`.
//!
//! Error bodies carry a machine-readable `error` code and a human-readable `message`; neither
//! ever contains the table name, an ARN or SDK error text. Errors are JSON whatever the format:
//! an `<img>` then shows as broken, as a misconfigured counter should. CORS is not set here: the
//! HTTP API's `CorsConfiguration` owns it (and the local front in `tools/local` plays that part).

use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use crate::query::Format;
use crate::request::{Rejection, MAX_QUERY_BYTES};
use crate::store::StoreErrorKind;

/// An answer: a status, our headers and a body.
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
/// added to it; or, for `format=svg`, the total drawn as an image.
pub fn count(count: u64, counted: bool, format: Format) -> Response {
    match format {
        Format::Json => json(StatusCode::OK, &Count { count, counted }),
        Format::Svg(badge) => svg(badge.draw(count)),
    }
}

/// An image, `body`, with the headers every image of the count carries.
fn svg(body: String) -> Response {
    // Image caches and code hosts' image proxies would otherwise show one count for ever:
    // this is what they honour; Pragma and Expires are for HTTP/1.0 caches.
    let image = answer(
        StatusCode::OK,
        "image/svg+xml",
        "no-cache, no-store, must-revalidate",
    )
    .header(header::PRAGMA, HeaderValue::from_static("no-cache"))
    .header(header::EXPIRES, HeaderValue::from_static("0"))
    // Opened as a document rather than an image, it may load and run nothing.
    .header(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    built(image, body)
}

/// The 4xx answer to a request that broke a rule.
pub fn rejected(rejection: Rejection) -> Response {
    let too_long; // the one message that names a setting: the owner's cap, not a secret
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
        Rejection::PathTooLong { max_bytes } => {
            too_long = format!("The path must be at most {max_bytes} bytes of UTF-8.");
            (StatusCode::BAD_REQUEST, "path_too_long", too_long.as_str())
        }
        Rejection::UnreadableCharacter => (
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "The path must not contain characters that render as nothing or look like a space \
             (Unicode Cc, Cf, Zl, Zp, Default_Ignorable_Code_Point, spaces other than U+0020).",
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
        Rejection::InvalidFormat => (
            StatusCode::BAD_REQUEST,
            "invalid_format",
            "Give format at most once, as json (the default) or svg (an image of the count).",
        ),
        Rejection::InvalidLabel => (
            StatusCode::BAD_REQUEST,
            "invalid_label",
            "Give label at most once, as UTF-8 text of at most 64 characters (empty: no label), \
             without characters that render as nothing or look like a space (as in a path).",
        ),
        Rejection::InvalidColor => (
            StatusCode::BAD_REQUEST,
            "invalid_color",
            "Give color at most once, as 3 or 6 hex digits without # (4c1, 007ec6) or a name: \
             brightgreen, green, yellowgreen, yellow, orange, red, blue, grey, lightgrey.",
        ),
        Rejection::InvalidLabelColor => (
            StatusCode::BAD_REQUEST,
            "invalid_label_color",
            "Give labelColor at most once, as 3 or 6 hex digits without # (555) or a name: \
             brightgreen, green, yellowgreen, yellow, orange, red, blue, grey, lightgrey.",
        ),
        Rejection::InvalidStyle => (
            StatusCode::BAD_REQUEST,
            "invalid_style",
            "Give style at most once, as flat (the default), flat-square or for-the-badge.",
        ),
        Rejection::PathNotAllowed => (
            StatusCode::FORBIDDEN,
            "path_not_allowed",
            "This counter does not count that path.",
        ),
    };
    let mut answer = json_answer(status);
    if rejection == Rejection::MethodNotAllowed {
        answer = answer.header(header::ALLOW, HeaderValue::from_static("GET"));
    }
    built(answer, to_json(&Error { error, message }))
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

// The message spells the limit out; this keeps them in step.
const _: () = assert!(MAX_QUERY_BYTES == 8192);

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    built(json_answer(status), to_json(body))
}

fn to_json(body: &impl Serialize) -> String {
    // Serializing these plain structs cannot fail; an empty object is the safe fallback.
    serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned())
}

/// Every answer is a fresh count (or a one-off error): nothing may cache it.
fn json_answer(status: StatusCode) -> http::response::Builder {
    answer(status, "application/json", "no-store")
}

fn answer(
    status: StatusCode,
    content_type: &'static str,
    cache_control: &'static str,
) -> http::response::Builder {
    http::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, HeaderValue::from_static(content_type))
        .header(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        )
}

fn built(answer: http::response::Builder, body: String) -> Response {
    // Each status and header above is a constant the http crate has already accepted, so the
    // builder holds no error to report.
    answer
        .body(body)
        .expect("constant statuses and headers are valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badge::Badge;

    fn image(n: u64) -> Response {
        count(n, true, Format::Svg(Badge::default()))
    }

    fn header(response: &Response, name: header::HeaderName) -> Option<&str> {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap())
    }

    /// Today's badge, byte for byte: an image a page already shows must not change under it.
    #[test]
    fn the_plain_image_is_drawn_exactly_as_it_always_was() {
        let body = |n| image(n).into_body();
        assert_eq!(
            body(42),
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="70" height="20" role="img" "#,
                r#"aria-label="views: 42"><title>views: 42</title>"#,
                r##"<rect width="44" height="20" fill="#555"/>"##,
                r##"<rect x="44" width="26" height="20" fill="#007ec6"/>"##,
                r#"<g fill="white" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" "#,
                r#"font-size="11"><text x="22" y="14">views</text>"#,
                r#"<text x="57" y="14">42</text></g></svg>"#,
            )
        );
        // An odd width: the count's middle is rounded down.
        assert_eq!(
            body(7),
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="63" height="20" role="img" "#,
                r#"aria-label="views: 7"><title>views: 7</title>"#,
                r##"<rect width="44" height="20" fill="#555"/>"##,
                r##"<rect x="44" width="19" height="20" fill="#007ec6"/>"##,
                r#"<g fill="white" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" "#,
                r#"font-size="11"><text x="22" y="14">views</text>"#,
                r#"<text x="53" y="14">7</text></g></svg>"#,
            )
        );
    }

    #[test]
    fn the_image_carries_the_count_and_nothing_else_that_varies() {
        let skeleton = |count| {
            image(count)
                .into_body()
                .replace(|c: char| c.is_ascii_digit(), "")
        };
        for count in [0, 7, 42, 1_000_000, u64::MAX] {
            let body = image(count).into_body();
            assert!(body.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" "#));
            assert!(body.ends_with("</svg>"));
            assert!(body.contains(&format!(">{count}</text>")), "{body}");
            assert_eq!(skeleton(count), skeleton(0));
        }
    }

    #[test]
    fn a_path_too_long_is_told_the_cap() {
        let response = rejected(Rejection::PathTooLong { max_bytes: 256 });
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.body(),
            r#"{"error":"path_too_long","message":"The path must be at most 256 bytes of UTF-8."}"#
        );
    }

    /// Each of the image's refusals names its parameter, in its code and its message.
    #[test]
    fn an_image_parameter_refused_is_named() {
        for (rejection, code, parameter) in [
            (Rejection::InvalidLabel, "invalid_label", "label"),
            (Rejection::InvalidColor, "invalid_color", "color"),
            (
                Rejection::InvalidLabelColor,
                "invalid_label_color",
                "labelColor",
            ),
            (Rejection::InvalidStyle, "invalid_style", "style"),
        ] {
            let response = rejected(rejection);
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
            let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
            assert_eq!(body["error"], code);
            let message = body["message"].as_str().unwrap();
            assert!(
                message.starts_with(&format!("Give {parameter} ")),
                "{message}"
            );
        }
    }

    #[test]
    fn the_image_may_not_be_kept_by_any_cache() {
        let response = image(5);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            Some("image/svg+xml")
        );
        assert_eq!(
            header(&response, header::CACHE_CONTROL),
            Some("no-cache, no-store, must-revalidate")
        );
        assert_eq!(header(&response, header::PRAGMA), Some("no-cache"));
        assert_eq!(header(&response, header::EXPIRES), Some("0"));
    }
}
