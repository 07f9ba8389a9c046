//! Logs: one JSON line per request with the fields an operator needs, and request content
//! only ever as an escaped field value, so it cannot forge or break a line.

use crate::common::{event, get_with_query, mocked_counter, CapturedLogs, Dynamo, REQUEST_ID};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::error::ThrottlingException;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, Rule};
use cloudresumecounter::request::{Policy, Request};
use serde_json::Value;

/// Handles `requests` one by one under the production subscriber, DynamoDB answered by
/// `rules` (none: [`Dynamo`]); returns the log lines.
async fn log_lines_of(rules: &[&Rule], requests: Vec<Request>) -> Vec<String> {
    let captured = CapturedLogs::default();
    let _guard = captured.install();
    let dynamo = Dynamo::new();
    let counter = match rules {
        [] => dynamo.counter(Policy::default()),
        rules => mocked_counter(rules, Policy::default()),
    };
    for request in requests {
        counter.handle(&request, REQUEST_ID).await;
    }
    captured.lines()
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}"))
}

#[tokio::test]
async fn one_json_line_per_request_with_id_status_latency_and_count() {
    let lines = log_lines_of(&[], vec![event("get-counter.json")]).await;
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = parse(&lines[0]);
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["request_id"], "c0ffee00-0000-4000-8000-000000000001");
    assert_eq!(line["status"], 200);
    assert_eq!(line["count"], 7);
    assert_eq!(line["counted"], true);
    assert_eq!(line["message"], "hit counted");
    assert!(
        line.get("reason").is_none(),
        "a counted hit has no reason: {line}"
    );
    assert_eq!(line["path"], "/index.html");
    assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(line["timestamp"].is_string());
}

#[tokio::test]
async fn a_read_says_it_did_not_count_and_why() {
    let requests = vec![event("view-count.json"), event("crawler-get.json")];
    let lines = log_lines_of(&[], requests).await;
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for (line, reason) in lines.iter().zip(["view", "crawler"]) {
        let line = parse(line);
        assert_eq!(line["message"], "count read");
        assert_eq!(line["counted"], false);
        assert_eq!(line["reason"], reason);
        assert_eq!(line["count"], 9);
        assert_eq!(line["path"], "/index.html");
    }
}

#[tokio::test]
async fn request_content_cannot_forge_a_log_line() {
    // Valid paths full of JSON syntax, and a rejected one with a newline in it.
    let forged_path = r#"/a","level":"ERROR","status":500,"x":"\"#;
    let raw_query = format!(
        "path={}",
        forged_path
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect::<String>()
    );
    let requests = vec![
        get_with_query(&raw_query),
        event("control-char-path.json"),
        get_with_query("path=%2Fok%0D%0A%7B%22level%22%3A%22ERROR%22%7D"),
    ];
    let lines = log_lines_of(&[], requests).await;
    assert_eq!(lines.len(), 3, "one line per request: {lines:#?}");

    let counted = parse(&lines[0]);
    assert_eq!(counted["level"], "INFO");
    assert_eq!(counted["status"], 200);
    assert_eq!(
        counted["path"], forged_path,
        "the path is one escaped field value"
    );

    for line in &lines[1..] {
        let rejected = parse(line);
        assert_eq!(rejected["status"], 400);
        assert_eq!(rejected["level"], "INFO");
    }
}

#[tokio::test]
async fn a_dynamodb_failure_logs_its_cause_once_and_only_in_the_log() {
    let throttled = mock!(Client::update_item).then_error(|| {
        UpdateItemError::ThrottlingException(
            ThrottlingException::builder()
                .message("Rate exceeded for table SecretTable")
                .build(),
        )
    });
    let lines = log_lines_of(&[&throttled], vec![event("get-counter.json")]).await;
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = parse(&lines[0]);
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["status"], 503);
    let cause = line["cause"].as_str().expect("the cause is logged");
    assert!(cause.contains("Rate exceeded"), "{cause}");
}

#[test]
fn spans_are_not_recorded_and_events_in_them_log_as_before() {
    let captured = CapturedLogs::default();
    {
        let _guard = captured.install();
        // lambda_runtime opens one like this around every invocation.
        let span = tracing::info_span!("Lambda runtime invoke", requestId = "span-field");
        assert!(span.is_disabled(), "an INFO span is not recorded");
        let _entered = span.enter();
        tracing::info!(status = 200, "hit counted");
    }
    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = parse(&lines[0]);
    assert_eq!(line["message"], "hit counted");
    assert_eq!(line["status"], 200);
    assert!(!lines[0].contains("span-field"), "{}", lines[0]);
}
