//! Handler tests on the real event fixtures, with the SDK client answered by
//! aws-smithy-mocks: the exact UpdateItem and GetItem the handler sends, every `Rejection`'s
//! status and code with no DynamoDB call, and each class of DynamoDB failure.

use crate::common::{
    allowing, body_json, body_text, event, event_outcomes, get_with_query, header, mocked_counter,
    Dynamo, MOCK_TABLE as TABLE, REQUEST_ID,
};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::ErrorMetadata;
use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::{
    InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
    ThrottlingException,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::mock;
use aws_smithy_types::body::SdkBody;
use cloudresumecounter::request::{Policy, Request};
use cloudresumecounter::response::Response;
use serde_json::json;

/// `request`'s answer under `policy`, with the keys it wrote and read.
async fn send(request: Request, policy: Policy) -> (Response, Vec<String>, Vec<String>) {
    let dynamo = Dynamo::new();
    let response = dynamo.counter(policy).handle(&request, REQUEST_ID).await;
    let (writes, reads) = dynamo.calls();
    (response, writes, reads)
}

fn assert_json_headers(response: &Response) {
    assert_eq!(header(response, "content-type"), Some("application/json"));
    assert_eq!(header(response, "cache-control"), Some("no-store"));
    // CORS belongs to the HTTP API's CorsConfiguration, not to the function.
    assert_eq!(header(response, "access-control-allow-origin"), None);
}

fn keys(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

#[tokio::test]
async fn each_answered_fixture_sends_its_one_exact_call() {
    let outcomes = event_outcomes();
    let answered = outcomes.iter().filter(|o| o.status == 200 && !o.svg);
    for expected in answered {
        let (name, counted) = (expected.file.as_str(), expected.counted());
        let key = expected.page.as_deref().expect("a page");
        let (response, writes, reads) = send(event(name), Policy::default()).await;
        assert_eq!(response.status(), 200, "{name}");
        assert_json_headers(&response);
        let (count, none) = (if counted { 7 } else { 9 }, Vec::new());
        let body = format!(r#"{{"count":{count},"counted":{counted}}}"#);
        assert_eq!(body_text(&response), body, "{name}");
        let calls = if counted {
            (keys(&[key]), none)
        } else {
            (none, keys(&[key]))
        };
        assert_eq!((writes, reads), calls, "{name}");
    }
    let (response, ..) = send(get_with_query("path=%2F&format=json"), Policy::default()).await;
    assert_eq!(body_text(&response), r#"{"count":7,"counted":true}"#);
}

#[tokio::test]
async fn format_svg_counts_with_the_same_update_and_answers_an_image() {
    let (response, writes, reads) = send(event("svg-counter.json"), Policy::default()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("image/svg+xml"));
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    assert!(body_text(&response).contains(">7</text>"));
    assert_eq!((writes, reads), (keys(&["/projects/"]), keys(&[])));
    // A read is an image too.
    let (response, _, reads) = send(
        get_with_query("path=%2F&increment=false&format=svg"),
        Policy::default(),
    )
    .await;
    assert!(body_text(&response).contains(">9</text>"));
    assert_eq!(reads, keys(&["/"]));
}

#[tokio::test]
async fn a_page_never_counted_reads_0() {
    let nothing = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
    let counter = mocked_counter(&[&nothing], Policy::default());
    let response = counter.handle(&event("view-count.json"), REQUEST_ID).await;
    assert_eq!(body_json(&response), json!({"count": 0, "counted": false}));
}

/// Every `Rejection`: its status, its `error`, a message, the same JSON when an image was
/// asked for, and no DynamoDB call.
#[tokio::test]
async fn every_rejection_has_its_status_and_code_and_calls_nothing() {
    let huge = get_with_query(&format!("path=%2F{}", "a".repeat(70_000)));
    // The refused event files, then what no file sends.
    let refused = event_outcomes().into_iter().filter(|o| o.status != 200);
    let mut cases: Vec<_> = refused
        .map(|o| (event(&o.file), Policy::default(), o.status, o.outcome))
        .collect();
    let more = [
        (huge, Policy::default(), 414, "query_too_long"),
        (
            get_with_query("path=%FF%FE"),
            Policy::default(),
            400,
            "invalid_path",
        ),
        (
            get_with_query("path=%2F&increment=no"),
            Policy::default(),
            400,
            "invalid_increment",
        ),
        (
            get_with_query("path=%2F&format=png"),
            Policy::default(),
            400,
            "invalid_format",
        ),
        (
            event("get-counter.json"),
            allowing("/blog/*"),
            403,
            "path_not_allowed",
        ),
    ];
    cases.extend(
        more.map(|(request, policy, status, error)| (request, policy, status, error.to_owned())),
    );
    for (request, policy, status, error) in cases {
        let mut as_svg = request.clone();
        as_svg.raw_query.push_str("&format=svg");
        let (response, writes, reads) = send(request, policy.clone()).await;
        assert_eq!(
            response.status(),
            status,
            "{error}: {}",
            body_text(&response)
        );
        assert_json_headers(&response);
        let body = body_json(&response);
        assert_eq!(body["error"], error);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!((writes, reads), (vec![], vec![]), "{error}: no call");
        let allow = header(&response, "allow");
        assert_eq!(allow, (status == 405).then_some("GET"), "{error}");

        let (svg, ..) = send(as_svg, policy).await;
        assert_eq!(svg.headers(), response.headers(), "{error}");
        assert_eq!(body_text(&svg), body_text(&response), "{error}");
    }
}

fn metadata(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// Each DynamoDB failure: its status and code, and nothing internal in the body.
#[tokio::test]
async fn each_dynamodb_failure_has_its_class_and_leaks_nothing() {
    let missing = format!("Requested resource not found: Table: {TABLE} not found");
    let denied = format!(
        "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: \
         dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
    );
    let (m, d) = (missing.clone(), missing.clone());
    let failures = [
        (
            mock!(Client::update_item).then_error(move || {
                UpdateItemError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().message(&m).build(),
                )
            }),
            500,
        ),
        (
            mock!(Client::update_item).then_error(move || {
                UpdateItemError::generic(metadata("AccessDeniedException", &denied))
            }),
            500,
        ),
        (
            mock!(Client::update_item).then_error(|| {
                UpdateItemError::ThrottlingException(
                    ThrottlingException::builder()
                        .message("Rate exceeded")
                        .build(),
                )
            }),
            503,
        ),
        (
            mock!(Client::update_item).then_error(|| {
                UpdateItemError::ProvisionedThroughputExceededException(
                    ProvisionedThroughputExceededException::builder()
                        .message("The level of configured provisioned throughput was exceeded")
                        .build(),
                )
            }),
            503,
        ),
        (
            mock!(Client::update_item).then_error(|| {
                UpdateItemError::InternalServerError(
                    InternalServerError::builder()
                        .message("Internal server error")
                        .build(),
                )
            }),
            503,
        ),
        (
            mock!(Client::update_item).then_http_response(|| {
                HttpResponse::new(500.try_into().unwrap(), SdkBody::from("oops"))
            }),
            503,
        ),
        // An answer without `hits`.
        (
            mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build()),
            500,
        ),
        // A failing read is classified like a failing write.
        (
            mock!(Client::get_item).then_error(|| {
                GetItemError::ThrottlingException(
                    ThrottlingException::builder()
                        .message("Rate exceeded")
                        .build(),
                )
            }),
            503,
        ),
        (
            mock!(Client::get_item).then_error(move || {
                GetItemError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().message(&d).build(),
                )
            }),
            500,
        ),
    ];
    for (i, (rule, status)) in failures.into_iter().enumerate() {
        let fixture = if i < 7 {
            "get-counter.json"
        } else {
            "view-count.json"
        };
        let response = mocked_counter(&[&rule], Policy::default())
            .handle(&event(fixture), REQUEST_ID)
            .await;
        assert_eq!(response.status(), status, "{i}: {}", body_text(&response));
        assert!(rule.num_calls() > 0, "{i}");
        assert_json_headers(&response);
        let body = body_json(&response);
        let error = if status == 500 {
            "internal_error"
        } else {
            "storage_unavailable"
        };
        assert_eq!(body["error"], error, "{i}");
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
}

#[tokio::test]
async fn a_clients_repeat_is_one_get_item_and_views_crawlers_and_refusals_never_use_it_up() {
    let dynamo = Dynamo::new();
    let counter = dynamo
        .counter(Policy::default())
        .folding_repeats(Some(std::time::Duration::from_secs(600)));
    for name in ["view-count.json", "crawler-get.json", "missing-path.json"] {
        for _ in 0..5 {
            counter.handle(&event(name), REQUEST_ID).await;
        }
    }
    // The same address and User-Agent as those: its allowance of three hits still counts.
    for _ in 0..3 {
        let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
        assert_eq!(body_text(&response), r#"{"count":7,"counted":true}"#);
    }
    let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
    assert_json_headers(&response);
    assert_eq!(body_text(&response), r#"{"count":9,"counted":false}"#);
    let (writes, reads) = dynamo.calls();
    assert_eq!((writes.len(), reads.len()), (3, 10 + 1));

    // Without a record every hit of one client counts.
    let dynamo = Dynamo::new();
    let counter = dynamo.counter(Policy::default()).folding_repeats(None);
    for _ in 0..4 {
        counter.handle(&event("get-counter.json"), REQUEST_ID).await;
    }
    assert_eq!(dynamo.calls().0.len(), 4);
}
