//! What an operator reads in the log, checked against what happened: the latency a line
//! reports.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::mock;
use cloudresumecounter::request::Policy;
use common::{event, mocked_counter, CapturedLogs, REQUEST_ID};
use serde_json::Value;

/// How long the mocked DynamoDB takes to answer.
const DYNAMODB_DELAY: Duration = Duration::from_millis(20);

fn only_line(captured: &CapturedLogs) -> Value {
    let lines = captured.lines();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    serde_json::from_str(&lines[0]).unwrap()
}

/// `latency_ms` is the handler's own time in milliseconds: at least the time DynamoDB took,
/// at most the time the whole call took as measured around it.
#[tokio::test]
async fn latency_ms_lies_between_the_dynamodb_delay_and_the_measured_call() {
    let slow = mock!(Client::update_item).then_output(|| {
        std::thread::sleep(DYNAMODB_DELAY);
        UpdateItemOutput::builder()
            .attributes("hits", AttributeValue::N("1".to_owned()))
            .build()
    });
    let counter = mocked_counter(&[&slow], Policy::default());
    let captured = CapturedLogs::default();
    let _guard = captured.install();

    let started = Instant::now();
    let response = counter.handle(&event("get-counter.json"), REQUEST_ID).await;
    let measured_ms = started.elapsed().as_secs_f64() * 1000.0;

    assert_eq!(response.status(), 200);
    let line = only_line(&captured);
    let latency_ms = line["latency_ms"].as_f64().expect("a number");
    let least_ms = DYNAMODB_DELAY.as_secs_f64() * 1000.0;
    assert!(
        (least_ms..=measured_ms).contains(&latency_ms),
        "latency_ms {latency_ms} is not within [{least_ms}, {measured_ms}]"
    );
}
