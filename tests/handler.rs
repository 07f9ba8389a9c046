//! Handler tests on the real event fixtures, with the SDK client answered by
//! aws-smithy-mocks: they pin the exact UpdateItem the handler sends, prove that every
//! rejected request sends nothing, and classify each DynamoDB failure.

mod common;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::{
    InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    ThrottlingException,
};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::body::SdkBody;
use cloudresumecounter::key::MAX_PATH_BYTES;
use cloudresumecounter::origin::AllowedOrigins;
use cloudresumecounter::request::{Policy, Request};
use cloudresumecounter::response::Response;
use common::{
    allowing, body_json, body_text, event, event_json, get_with_query, header, mocked_counter,
    request_from_json, MOCK_TABLE as TABLE, REQUEST_ID,
};
use serde_json::{json, Value};

/// Answers any UpdateItem with `hits = 42`, counting the calls.
fn answers_42() -> Rule {
    mock!(Client::update_item).then_output(|| {
        UpdateItemOutput::builder()
            .attributes("hits", AttributeValue::N("42".to_owned()))
            .build()
    })
}

/// Answers only the exact UpdateItem the contract specifies, for `path`.
fn expects_update_of(path: &'static str) -> Rule {
    mock!(Client::update_item)
        .match_requests(move |input| {
            let key = input.key().expect("a key");
            let values = input.expression_attribute_values().expect("values");
            input.table_name() == Some(TABLE)
                && key.len() == 1
                && key.get("path") == Some(&AttributeValue::S(path.to_owned()))
                && input.update_expression() == Some("ADD hits :inc")
                && values.len() == 1
                && values.get(":inc") == Some(&AttributeValue::N("1".to_owned()))
                && input.return_values() == Some(&ReturnValue::UpdatedNew)
                && input.condition_expression().is_none()
                && input.expression_attribute_names().is_none()
        })
        .then_output(|| {
            UpdateItemOutput::builder()
                .attributes("hits", AttributeValue::N("7".to_owned()))
                .build()
        })
}

/// Answers any GetItem with `hits = 5`, counting the calls.
fn reads_5() -> Rule {
    mock!(Client::get_item).then_output(|| {
        GetItemOutput::builder()
            .item("hits", AttributeValue::N("5".to_owned()))
            .build()
    })
}

/// Answers only the exact GetItem a read needs, for `path`: eventually consistent, the one
/// attribute it reads.
fn expects_read_of(path: &'static str) -> Rule {
    mock!(Client::get_item)
        .match_requests(move |input| {
            let key = input.key().expect("a key");
            input.table_name() == Some(TABLE)
                && key.len() == 1
                && key.get("path") == Some(&AttributeValue::S(path.to_owned()))
                && input.projection_expression() == Some("hits")
                && input.consistent_read().is_none()
                && input.expression_attribute_names().is_none()
        })
        .then_output(|| {
            GetItemOutput::builder()
                .item("hits", AttributeValue::N("9".to_owned()))
                .build()
        })
}

async fn handle(rule: &Rule, request: Request) -> Response {
    mocked_counter(&[rule], Policy::default())
        .handle(&request, REQUEST_ID)
        .await
}

/// `request`'s answer when DynamoDB holds a count, with how many writes and reads it made.
async fn handle_counting_calls(request: Request, policy: Policy) -> (Response, usize, usize) {
    let (write, read) = (answers_42(), reads_5());
    let response = mocked_counter(&[&write, &read], policy)
        .handle(&request, REQUEST_ID)
        .await;
    (response, write.num_calls(), read.num_calls())
}

fn assert_json_headers(response: &Response) {
    assert_eq!(header(response, "content-type"), Some("application/json"));
    assert_eq!(header(response, "cache-control"), Some("no-store"));
    // CORS belongs to the HTTP API's CorsConfiguration, not to the function.
    assert_eq!(header(response, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn get_counter_sends_one_atomic_add_and_answers_the_new_count() {
    let rule = expects_update_of("/index.html");
    let response = handle(&rule, event("get-counter.json")).await;
    assert_eq!(response.status(), 200);
    assert_json_headers(&response);
    assert_eq!(body_text(&response), r#"{"count":7,"counted":true}"#);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn other_query_parameters_are_ignored() {
    let rule = expects_update_of("/blog/post-1");
    let response = handle(&rule, event("extra-params.json")).await;
    assert_eq!(body_json(&response), json!({"count": 7, "counted": true}));
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn unicode_and_slashes_reach_dynamodb_exactly() {
    let rule = expects_update_of("/café/€/📄");
    let response = handle(&rule, event("unicode-path.json")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_path_at_the_default_cap_of_256_bytes_is_counted() {
    let rule = answers_42();
    let response = handle(&rule, event("max-length-path.json")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_json(&response), json!({"count": 42, "counted": true}));
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn the_cap_goes_up_to_dynamodbs_2048_bytes_and_no_further() {
    let dynamodb = Policy {
        max_path_bytes: MAX_PATH_BYTES,
        ..Policy::default()
    };
    let at_limit = format!("path={}", "%E2%82%AC".repeat(682) + "ab");
    let (response, writes, _) =
        handle_counting_calls(get_with_query(&at_limit), dynamodb.clone()).await;
    assert_eq!(body_json(&response), json!({"count": 42, "counted": true}));
    assert_eq!(writes, 1);
    // 683 characters, 2049 bytes: dynalite takes it, DynamoDB does not.
    let over = format!("path={}", "%E2%82%AC".repeat(683));
    let response =
        assert_rejected_under(get_with_query(&over), dynamodb, 400, "path_too_long").await;
    assert_eq!(
        body_json(&response)["message"],
        "The path must be at most 2048 bytes of UTF-8."
    );
}

/// Asserts `request` is refused with `status` and `error`, with a message, no write and no read.
async fn assert_rejected(request: Request, status: u16, error: &str) -> Response {
    assert_rejected_under(request, Policy::default(), status, error).await
}

async fn assert_rejected_under(
    request: Request,
    policy: Policy,
    status: u16,
    error: &str,
) -> Response {
    let (response, writes, reads) = handle_counting_calls(request, policy).await;
    assert_eq!(response.status(), status, "{}", body_text(&response));
    assert_json_headers(&response);
    let body = body_json(&response);
    assert_eq!(body["error"], error);
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a human-readable message: {body}"
    );
    assert_eq!(writes, 0, "a rejected request must not write");
    assert_eq!(reads, 0, "a rejected request reads nothing either");
    response
}

#[tokio::test]
async fn missing_path_is_400() {
    assert_rejected(event("missing-path.json"), 400, "missing_path").await;
}

#[tokio::test]
async fn empty_path_is_400() {
    assert_rejected(event("empty-path.json"), 400, "missing_path").await;
}

#[tokio::test]
async fn a_path_given_twice_is_400() {
    assert_rejected(event("duplicate-path.json"), 400, "ambiguous_path").await;
}

#[tokio::test]
async fn a_path_over_the_default_cap_is_400_even_at_87_characters() {
    let response = assert_rejected(event("too-long-path.json"), 400, "path_too_long").await;
    assert_eq!(
        body_json(&response)["message"],
        "The path must be at most 256 bytes of UTF-8."
    );
}

#[tokio::test]
async fn control_characters_are_400() {
    assert_rejected(event("control-char-path.json"), 400, "invalid_path").await;
    for raw in ["path=%00", "path=a%1Fb", "path=%7F", "path=%C2%85"] {
        assert_rejected(get_with_query(raw), 400, "invalid_path").await;
    }
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    assert_rejected(get_with_query("path=%FF%FE"), 400, "invalid_path").await;
}

#[tokio::test]
async fn other_methods_are_405_with_allow_get() {
    let response = assert_rejected(event("post-counter.json"), 405, "method_not_allowed").await;
    assert_eq!(header(&response, "allow"), Some("GET"));
}

/// A direct invoke can send a query far beyond what the gateway lets through; the method rule
/// still comes first, and nothing is read from the parsed parameters instead.
fn huge_event(method: &str) -> Request {
    let mut event = event_json("get-counter.json");
    let huge = format!("path=%2F{}", "a".repeat(70_000));
    event["rawQueryString"] = Value::String(huge);
    event["requestContext"]["http"]["method"] = Value::String(method.to_owned());
    request_from_json(&event.to_string())
}

#[tokio::test]
async fn a_70_kb_query_is_refused_before_anything_is_written() {
    for method in ["DELETE", "POST"] {
        let response = assert_rejected(huge_event(method), 405, "method_not_allowed").await;
        assert_eq!(header(&response, "allow"), Some("GET"));
    }
    assert_rejected(huge_event("GET"), 414, "query_too_long").await;
}

#[tokio::test]
async fn the_allow_list_refuses_other_paths_with_403_for_counts_and_reads() {
    for event_name in ["get-counter.json", "view-count.json", "crawler-get.json"] {
        let request = event(event_name);
        assert_rejected_under(request, allowing("/blog/*"), 403, "path_not_allowed").await;
    }
    let (counted, writes, _) =
        handle_counting_calls(event("extra-params.json"), allowing("/blog/*")).await;
    assert_eq!(counted.status(), 200);
    assert_eq!(writes, 1);
}

#[tokio::test]
async fn the_allow_list_means_exact_paths_and_star_prefixes() {
    let policy = allowing("/,/blog/*,/index.html");
    for path in ["%2F", "%2Fblog%2F", "%2Fblog%2Fx", "%2Findex.html"] {
        let (response, writes, _) =
            handle_counting_calls(get_with_query(&format!("path={path}")), policy.clone()).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(writes, 1, "{path}");
    }
    for path in [
        "%2Fblog",
        "%2Fblog-evil",
        "%2Fx",
        "%2F%2F",
        "%2Findex.html.bak",
        "%2F..%2F..%2Fetc%2Fpasswd",
    ] {
        let request = get_with_query(&format!("path={path}"));
        assert_rejected_under(request, policy.clone(), 403, "path_not_allowed").await;
    }
}

#[tokio::test]
async fn increment_false_reads_with_one_get_item_and_writes_nothing() {
    let (write, read) = (answers_42(), expects_read_of("/index.html"));
    let counter = mocked_counter(&[&write, &read], Policy::default());
    let response = counter.handle(&event("view-count.json"), REQUEST_ID).await;
    assert_eq!(response.status(), 200, "{}", body_text(&response));
    assert_json_headers(&response);
    assert_eq!(body_text(&response), r#"{"count":9,"counted":false}"#);
    assert_eq!((write.num_calls(), read.num_calls()), (0, 1));
}

#[tokio::test]
async fn a_page_never_counted_reads_0() {
    let write = answers_42();
    let nothing = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
    let counter = mocked_counter(&[&write, &nothing], Policy::default());
    let response = counter
        .handle(&get_with_query("path=%2Fnew&increment=false"), REQUEST_ID)
        .await;
    assert_eq!(body_json(&response), json!({"count": 0, "counted": false}));
    assert_eq!((write.num_calls(), nothing.num_calls()), (0, 1));
}

#[tokio::test]
async fn increment_true_counts_and_any_other_value_is_400() {
    let (response, writes, reads) =
        handle_counting_calls(get_with_query("path=%2F&increment=true"), Policy::default()).await;
    assert_eq!(body_json(&response), json!({"count": 42, "counted": true}));
    assert_eq!((writes, reads), (1, 0));
    for bad in ["no", "0", "False", "", "true&increment=false"] {
        let request = get_with_query(&format!("path=%2F&increment={bad}"));
        assert_rejected(request, 400, "invalid_increment").await;
    }
}

/// A request as `user_agent` sends it (None: no User-Agent at all).
fn from(user_agent: Option<&str>) -> Request {
    let mut request = event("get-counter.json");
    request.user_agent = user_agent.map(str::to_owned);
    request
}

#[tokio::test]
async fn a_crawler_is_answered_the_count_without_counting() {
    let (response, writes, reads) =
        handle_counting_calls(event("crawler-get.json"), Policy::default()).await;
    assert_eq!(body_json(&response), json!({"count": 5, "counted": false}));
    assert_eq!((writes, reads), (0, 1));

    let bingbot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
    let (response, writes, _) = handle_counting_calls(from(Some(bingbot)), Policy::default()).await;
    assert_eq!(body_json(&response)["counted"], false);
    assert_eq!(writes, 0);
}

#[tokio::test]
async fn command_line_clients_and_requests_without_a_user_agent_count() {
    for user_agent in [
        Some("curl/8.5.0"),
        Some("Wget/1.21.4"),
        Some("HTTPie/3.2.4"),
        None,
    ] {
        let (response, writes, reads) =
            handle_counting_calls(from(user_agent), Policy::default()).await;
        assert_eq!(
            body_json(&response),
            json!({"count": 42, "counted": true}),
            "{user_agent:?}"
        );
        assert_eq!((writes, reads), (1, 0), "{user_agent:?}");
    }
}

#[tokio::test]
async fn a_page_of_another_site_reads_the_count_and_writes_nothing() {
    let policy = Policy {
        allowed_origins: Some(AllowedOrigins::parse("https://resume.example.com").unwrap()),
        ..Policy::default()
    };
    // The fixtures come from https://resume.example.com.
    let (response, writes, reads) =
        handle_counting_calls(event("get-counter.json"), policy.clone()).await;
    assert_eq!(body_json(&response), json!({"count": 42, "counted": true}));
    assert_eq!((writes, reads), (1, 0));

    let mut foreign = event_json("get-counter.json");
    foreign["headers"]["origin"] = json!("https://elsewhere.example");
    let (response, writes, reads) =
        handle_counting_calls(request_from_json(&foreign.to_string()), policy).await;
    assert_eq!(body_json(&response), json!({"count": 5, "counted": false}));
    assert_eq!((writes, reads), (0, 1));
}

#[tokio::test]
async fn crawlers_count_when_the_owner_says_so() {
    let policy = Policy {
        count_crawlers: true,
        ..Policy::default()
    };
    let (response, writes, reads) = handle_counting_calls(event("crawler-get.json"), policy).await;
    assert_eq!(body_json(&response), json!({"count": 42, "counted": true}));
    assert_eq!((writes, reads), (1, 0));
}

#[tokio::test]
async fn format_and_separator_characters_are_400() {
    assert_rejected(event("format-char-path.json"), 400, "invalid_path").await;
    // Zero-width space, a bidi isolate, the BOM, line and paragraph separators.
    for raw in [
        "path=%2Fa%E2%80%8Bb",
        "path=%E2%81%A6x",
        "path=%EF%BB%BF%2F",
        "path=%E2%80%A8",
        "path=%E2%80%A9",
    ] {
        assert_rejected(get_with_query(raw), 400, "invalid_path").await;
    }
}

#[tokio::test]
async fn characters_that_render_as_nothing_or_as_a_space_are_400() {
    // Hangul fillers, the combining grapheme joiner, variation selectors; NBSP, ideographic space.
    for raw in [
        "path=%2Fblog%2F%E3%85%A4",
        "path=%2F%E1%85%9F",
        "path=%2Fa%CD%8F",
        "path=%2Fa%EF%B8%8F",
        "path=%2Fa%F3%A0%84%80",
        "path=%2Fa%C2%A0b",
        "path=%2Fa%E3%80%80b",
    ] {
        assert_rejected(get_with_query(raw), 400, "invalid_path").await;
    }
}

#[tokio::test]
async fn a_path_of_plain_spaces_is_missing() {
    for raw in ["path=+", "path=%20%20", "path=+++"] {
        assert_rejected(get_with_query(raw), 400, "missing_path").await;
    }
}

/// Sends `get-counter.json` to a DynamoDB that fails with `rule`; checks status and code and
/// that nothing internal leaks into the body.
async fn assert_failure(rule: Rule, status: u16, error: &str) {
    assert_failure_of(event("get-counter.json"), rule, status, error).await;
}

async fn assert_failure_of(request: Request, rule: Rule, status: u16, error: &str) {
    let response = handle(&rule, request).await;
    assert_eq!(response.status(), status, "{}", body_text(&response));
    assert_json_headers(&response);
    let body = body_json(&response);
    assert_eq!(body["error"], error);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let text = body_text(&response);
    for secret in [
        TABLE,
        "arn:aws",
        "Requested resource",
        "not authorized",
        "Exception",
    ] {
        assert!(!text.contains(secret), "{text} leaks {secret:?}");
    }
}

#[tokio::test]
async fn a_missing_table_is_500() {
    let rule = mock!(Client::update_item).then_error(|| {
        UpdateItemError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message(format!(
                    "Requested resource not found: Table: {TABLE} not found"
                ))
                .build(),
        )
    });
    assert_failure(rule, 500, "internal_error").await;
}

#[tokio::test]
async fn access_denied_is_500() {
    let rule = mock!(Client::update_item).then_error(|| {
        UpdateItemError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message(format!(
                    "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to \
                     perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:\
                     123456789012:table/{TABLE}"
                ))
                .build(),
        )
    });
    assert_failure(rule, 500, "internal_error").await;
}

#[tokio::test]
async fn throttling_is_503() {
    let throttled = mock!(Client::update_item).then_error(|| {
        UpdateItemError::ThrottlingException(
            ThrottlingException::builder()
                .message("Rate exceeded")
                .build(),
        )
    });
    assert_failure(throttled, 503, "storage_unavailable").await;

    let over_capacity = mock!(Client::update_item).then_error(|| {
        UpdateItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message(
                    "The level of configured provisioned throughput for the table was exceeded",
                )
                .build(),
        )
    });
    assert_failure(over_capacity, 503, "storage_unavailable").await;
}

#[tokio::test]
async fn dynamodb_internal_errors_are_503() {
    let rule = mock!(Client::update_item).then_error(|| {
        UpdateItemError::InternalServerError(
            InternalServerError::builder()
                .message("Internal server error")
                .build(),
        )
    });
    assert_failure(rule, 503, "storage_unavailable").await;
}

#[tokio::test]
async fn a_bare_http_500_is_503() {
    let rule = mock!(Client::update_item)
        .then_http_response(|| HttpResponse::new(500.try_into().unwrap(), SdkBody::from("oops")));
    assert_failure(rule, 503, "storage_unavailable").await;
}

#[tokio::test]
async fn an_answer_without_hits_is_500() {
    let rule = mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build());
    assert_failure(rule, 500, "internal_error").await;
}

#[tokio::test]
async fn a_failing_read_is_classified_like_a_failing_write() {
    let throttled = mock!(Client::get_item).then_error(|| {
        GetItemError::ThrottlingException(
            ThrottlingException::builder()
                .message("Rate exceeded")
                .build(),
        )
    });
    assert_failure_of(
        event("view-count.json"),
        throttled,
        503,
        "storage_unavailable",
    )
    .await;

    let missing = mock!(Client::get_item).then_error(|| {
        GetItemError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message(format!(
                    "Requested resource not found: Table: {TABLE} not found"
                ))
                .build(),
        )
    });
    assert_failure_of(event("crawler-get.json"), missing, 500, "internal_error").await;
}

fn assert_svg_headers(response: &Response) {
    assert_eq!(header(response, "content-type"), Some("image/svg+xml"));
    assert_eq!(
        header(response, "cache-control"),
        Some("no-cache, no-store, must-revalidate")
    );
    assert_eq!(header(response, "pragma"), Some("no-cache"));
    assert_eq!(header(response, "expires"), Some("0"));
    assert_eq!(header(response, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn format_svg_counts_with_the_same_update_and_answers_an_image() {
    let rule = expects_update_of("/projects/");
    let response = handle(&rule, event("svg-counter.json")).await;
    assert_eq!(response.status(), 200);
    assert_svg_headers(&response);
    let body = body_text(&response);
    assert!(
        body.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{body}"
    );
    assert!(body.contains(">7</text>"), "{body}");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn format_json_is_the_json_answer() {
    let rule = expects_update_of("/index.html");
    let response = handle(&rule, get_with_query("path=%2Findex.html&format=json")).await;
    assert_json_headers(&response);
    assert_eq!(body_text(&response), r#"{"count":7,"counted":true}"#);
}

#[tokio::test]
async fn any_other_format_or_a_second_one_is_400() {
    for bad in ["png", "SVG", "", "svg&format=svg", "json&format=svg"] {
        let request = get_with_query(&format!("path=%2F&format={bad}"));
        assert_rejected(request, 400, "invalid_format").await;
    }
}

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// `raw_query` with `format=svg` added; `method` and `user_agent` as given.
fn asked(raw_query: &str, method: &str, user_agent: Option<&str>) -> Request {
    let mut request = get_with_query(raw_query);
    request.method = method.to_owned();
    request.user_agent = user_agent.map(str::to_owned);
    request
}

/// The count in an SVG answer: the text of its last `<text>` element.
fn svg_count(body: &str) -> u64 {
    let end = body.rfind("</text>").expect("a <text> element");
    let start = body[..end].rfind('>').unwrap() + 1;
    body[start..end].parse().expect("digits")
}

#[tokio::test]
async fn format_svg_follows_every_rule_of_the_json_answer() {
    let chrome = event("get-counter.json").user_agent;
    let too_long = format!("path=%2F{}", "a".repeat(2048));
    let over_the_cap = format!("path=%2F{}", "a".repeat(9000));
    let cases: Vec<(&str, &str, Option<&str>, Policy)> = vec![
        ("path=%2F", "GET", chrome.as_deref(), Policy::default()),
        ("path=%2F", "GET", None, Policy::default()),
        (
            "path=%2F&increment=false",
            "GET",
            chrome.as_deref(),
            Policy::default(),
        ),
        ("path=%2F", "GET", Some(GOOGLEBOT), Policy::default()),
        (
            "path=%2F",
            "GET",
            Some(GOOGLEBOT),
            Policy {
                count_crawlers: true,
                ..Policy::default()
            },
        ),
        ("path=%2F", "POST", chrome.as_deref(), Policy::default()),
        ("", "GET", chrome.as_deref(), Policy::default()),
        ("path=", "GET", chrome.as_deref(), Policy::default()),
        ("path=a&path=b", "GET", chrome.as_deref(), Policy::default()),
        (&too_long, "GET", chrome.as_deref(), Policy::default()),
        (&over_the_cap, "GET", chrome.as_deref(), Policy::default()),
        (
            "path=%2Fa%E2%80%8Bb",
            "GET",
            chrome.as_deref(),
            Policy::default(),
        ),
        ("path=%FF", "GET", chrome.as_deref(), Policy::default()),
        (
            "path=%2F&increment=no",
            "GET",
            chrome.as_deref(),
            Policy::default(),
        ),
        ("path=%2Fx", "GET", chrome.as_deref(), allowing("/")),
        (
            "path=%2F&increment=false",
            "GET",
            chrome.as_deref(),
            allowing("/"),
        ),
    ];
    for (raw, method, user_agent, policy) in cases {
        let label = format!("{method} {raw:.40} as {user_agent:?}");
        let (as_json, json_writes, json_reads) =
            handle_counting_calls(asked(raw, method, user_agent), policy.clone()).await;
        let svg_query = format!("{raw}&format=svg");
        let (as_svg, svg_writes, svg_reads) =
            handle_counting_calls(asked(&svg_query, method, user_agent), policy).await;
        assert_eq!(as_svg.status(), as_json.status(), "{label}");
        assert_eq!(
            (svg_writes, svg_reads),
            (json_writes, json_reads),
            "{label}"
        );
        if as_json.status() == 200 {
            assert_svg_headers(&as_svg);
            let count = body_json(&as_json)["count"].as_u64().unwrap();
            assert_eq!(svg_count(body_text(&as_svg)), count, "{label}");
        } else {
            // A refusal is the same JSON, whatever the format.
            assert_eq!(as_svg.headers(), as_json.headers(), "{label}");
            assert_eq!(body_text(&as_svg), body_text(&as_json), "{label}");
        }
    }
}

/// A counter that folds repeats within ten minutes, as deployed.
fn folding(rules: &[&Rule]) -> cloudresumecounter::Counter {
    mocked_counter(rules, Policy::default())
        .folding_repeats(Some(std::time::Duration::from_secs(600)))
}

#[tokio::test]
async fn a_repeat_is_one_get_item_and_writes_nothing() {
    let (write, read) = (answers_42(), expects_read_of("/index.html"));
    let counter = folding(&[&write, &read]);
    for _ in 0..3 {
        let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
        assert_eq!(body_text(&response), r#"{"count":42,"counted":true}"#);
    }
    assert_eq!((write.num_calls(), read.num_calls()), (3, 0));
    let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
    assert_eq!(response.status(), 200);
    assert_json_headers(&response);
    assert_eq!(body_text(&response), r#"{"count":9,"counted":false}"#);
    assert_eq!(
        (write.num_calls(), read.num_calls()),
        (3, 1),
        "one call, a read"
    );
}

#[tokio::test]
async fn views_crawlers_and_refusals_never_use_up_a_clients_allowance() {
    let (write, read) = (answers_42(), reads_5());
    let counter = folding(&[&write, &read]);
    for name in ["view-count.json", "crawler-get.json", "missing-path.json"] {
        for _ in 0..5 {
            counter.handle(&event(name), REQUEST_ID).await;
        }
    }
    // The same address and User-Agent as the view: its three hits still count.
    for _ in 0..3 {
        let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
        assert_eq!(body_json(&response)["counted"], true);
    }
    assert_eq!(write.num_calls(), 3);
}

#[tokio::test]
async fn without_a_record_every_hit_of_one_client_counts() {
    let write = answers_42();
    let counter = mocked_counter(&[&write], Policy::default()).folding_repeats(None);
    for _ in 0..10 {
        let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
        assert_eq!(body_json(&response)["counted"], true);
    }
    assert_eq!(write.num_calls(), 10);
}
