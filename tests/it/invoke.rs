//! The function as the runtime calls it: `Counter::invoke` with an event's raw JSON, and the
//! proxy result serialized as the runtime posts it back to Lambda. The handler tests start one
//! step later (from a `Request`); these make `cargo test` alone notice a broken entry point.

use crate::common::{event_json, mocked_counter, CapturedLogs, Dynamo, REQUEST_ID};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::mock;
use aws_smithy_types::body::SdkBody;
use cloudresumecounter::gateway::NotAnHttpApiEvent;
use cloudresumecounter::request::Policy;
use cloudresumecounter::Counter;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// The event `json` as the runtime hands it over, invoked as [`REQUEST_ID`].
fn lambda_event(json: &Value) -> LambdaEvent<Box<RawValue>> {
    let payload = RawValue::from_string(json.to_string()).unwrap();
    let mut context = Context::default();
    context.request_id = REQUEST_ID.to_owned();
    LambdaEvent::new(payload, context)
}

/// What the runtime posts back for `json`: the proxy result as JSON, or the invocation error.
async fn invoke(counter: &Counter, json: &Value) -> Result<Value, NotAnHttpApiEvent> {
    let result = counter.invoke(lambda_event(json)).await?;
    Ok(serde_json::to_value(result).expect("a proxy result serializes"))
}

/// The proxy result's body, parsed: API Gateway sends it as it is, so it must be JSON text.
fn body(result: &Value) -> Value {
    let text = result["body"].as_str().expect("a text body");
    serde_json::from_str(text).expect("a JSON body")
}

#[tokio::test]
async fn a_counted_hit_is_a_200_proxy_result_with_the_count() {
    let counter = Dynamo::new().counter(Policy::default());
    let result = invoke(&counter, &event_json("get-counter.json"))
        .await
        .unwrap();
    assert_eq!(result["statusCode"], 200, "{result}");
    assert_eq!(
        result["headers"],
        json!({"content-type": "application/json", "cache-control": "no-store"})
    );
    assert_eq!(result["isBase64Encoded"], false);
    assert_eq!(body(&result), json!({"count": 7, "counted": true}));
}

#[tokio::test]
async fn a_rejection_keeps_its_status_headers_and_error_code() {
    let counter = Dynamo::new().counter(Policy::default());
    let result = invoke(&counter, &event_json("post-counter.json"))
        .await
        .unwrap();
    assert_eq!(result["statusCode"], 405, "{result}");
    assert_eq!(result["headers"]["allow"], "GET");
    assert_eq!(body(&result)["error"], "method_not_allowed");
}

#[tokio::test]
async fn an_event_of_another_shape_is_an_invocation_error_named_for_operators() {
    let captured = CapturedLogs::default();
    let _guard = captured.install();
    let counter = Dynamo::new().counter(Policy::default());

    let err = invoke(&counter, &json!({"hello": "world"}))
        .await
        .unwrap_err();
    let message = "not an API Gateway HTTP API (payload version 2.0) event";
    assert_eq!(err.to_string(), message);
    // What Lambda records as the invocation's errorType and errorMessage.
    let diagnostic = Diagnostic::from(err);
    assert_eq!(diagnostic.error_type, "NotAnHttpApiEvent");
    assert_eq!(diagnostic.error_message, message);

    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["message"], "event refused");
    assert_eq!(line["request_id"], REQUEST_ID);
    assert_eq!(line["error_type"], "NotAnHttpApiEvent");
}

/// An answer whose body breaks off while it is read is the SDK's `ResponseError`: trouble in
/// transit, so 503 (try again), not 500 (our set-up is wrong).
#[tokio::test]
async fn an_answer_cut_short_is_503_storage_unavailable() {
    let cut_short = mock!(Client::update_item)
        .then_http_response(|| HttpResponse::new(200.try_into().unwrap(), SdkBody::taken()));
    let captured = CapturedLogs::default();
    let _guard = captured.install();
    let counter = mocked_counter(&[&cut_short], Policy::default());

    let result = invoke(&counter, &event_json("get-counter.json"))
        .await
        .unwrap();
    assert_eq!(result["statusCode"], 503, "{result}");
    assert_eq!(body(&result)["error"], "storage_unavailable");

    let lines = captured.lines();
    let line: Value = serde_json::from_str(lines.last().expect("a log line")).unwrap();
    let cause = line["cause"].as_str().unwrap_or_default();
    assert!(cause.contains("response error"), "{line}");
}
