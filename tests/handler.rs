//! Handler tests on the real event fixtures, with the SDK client answered by
//! aws-smithy-mocks: they pin the exact UpdateItem the handler sends, prove that every
//! rejected request sends nothing, and classify each DynamoDB failure.

mod common;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::{
    InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    ThrottlingException,
};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::body::SdkBody;
use cloudresumecounter::request::Request;
use cloudresumecounter::response::Response;
use common::{
    body_json, body_text, event, event_json, get_with_query, header, mocked_counter,
    request_from_json, MOCK_TABLE as TABLE,
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

async fn handle(rule: &Rule, request: Request) -> Response {
    mocked_counter(&[rule], None).handle(request).await
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
    assert_eq!(body_text(&response), r#"{"count":7}"#);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn other_query_parameters_are_ignored() {
    let rule = expects_update_of("/blog/post-1");
    let response = handle(&rule, event("extra-params.json")).await;
    assert_eq!(body_json(&response), json!({"count": 7}));
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
async fn a_path_of_exactly_2048_bytes_is_counted() {
    let rule = answers_42();
    let response = handle(&rule, event("max-length-path.json")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_json(&response), json!({"count": 42}));
    assert_eq!(rule.num_calls(), 1);
}

/// Asserts `request` is refused with `status` and `error`, with a message and no write.
async fn assert_rejected(request: Request, status: u16, error: &str) -> Response {
    let rule = answers_42();
    let response = handle(&rule, request).await;
    assert_eq!(response.status(), status, "{}", body_text(&response));
    assert_json_headers(&response);
    let body = body_json(&response);
    assert_eq!(body["error"], error);
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "a human-readable message: {body}"
    );
    assert_eq!(rule.num_calls(), 0, "a rejected request must not write");
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
async fn a_path_over_2048_bytes_is_400_even_at_683_characters() {
    assert_rejected(event("too-long-path.json"), 400, "path_too_long").await;
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
async fn the_allow_list_refuses_other_paths_with_403() {
    let rule = answers_42();
    let counter = mocked_counter(&[&rule], Some(vec!["/blog/".to_owned()]));
    let refused = counter.handle(event("get-counter.json")).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(body_json(&refused)["error"], "path_not_allowed");
    assert_eq!(rule.num_calls(), 0);

    let counted = counter.handle(event("extra-params.json")).await;
    assert_eq!(counted.status(), 200);
    assert_eq!(rule.num_calls(), 1);
}

/// Sends `get-counter.json` to a DynamoDB that fails with `rule`; checks status and code and
/// that nothing internal leaks into the body.
async fn assert_failure(rule: Rule, status: u16, error: &str) {
    let response = handle(&rule, event("get-counter.json")).await;
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
