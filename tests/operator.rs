//! What an operator reads in the log, checked against what happened: the latency a line
//! reports, and the name of the SDK interceptor of ours when it is the one that failed.

mod common;

use std::time::{Duration, Instant};

use aws_runtime::user_agent::ApiMetadata;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::mock;
use cloudresumecounter::request::Policy;
use cloudresumecounter::store::CounterStore;
use cloudresumecounter::{sdk, Counter};
use common::{event, mocked_counter, CapturedLogs};
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
    let response = counter.handle(event("get-counter.json")).await;
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

/// Takes the SDK's API metadata away before the user agent is built, as a change in the SDK
/// could: our user-agent interceptor then fails, and the log must say which interceptor.
#[derive(Debug)]
struct WithoutApiMetadata;

impl Intercept for WithoutApiMetadata {
    fn name(&self) -> &'static str {
        "WithoutApiMetadata"
    }

    fn modify_before_serialization(
        &self,
        _context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<ApiMetadata>();
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_user_agent_interceptor_is_named_in_the_log() {
    // Nothing is sent: the interceptor fails before signing. The endpoint is the discard port.
    let sdk_config = sdk::loader(Some("http://127.0.0.1:9"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
        .load()
        .await;
    let ours = sdk::client_for(&sdk_config);
    let client = Client::from_conf(
        ours.config()
            .to_builder()
            .interceptor(WithoutApiMetadata)
            .build(),
    );
    let counter = Counter::new(CounterStore::new(client, "Hits"), Policy::default());
    let captured = CapturedLogs::default();
    let _guard = captured.install();

    let response = counter.handle(event("get-counter.json")).await;

    assert!(response.status().is_server_error(), "{response:?}");
    let line = only_line(&captured);
    let cause = line["cause"].as_str().expect("a cause");
    assert!(
        cause.contains("UserAgentOnce modify_before_signing interceptor encountered an error"),
        "{cause}"
    );
    assert!(
        cause.contains("no ApiMetadata for the user agent"),
        "{cause}"
    );
}
