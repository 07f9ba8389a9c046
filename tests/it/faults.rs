//! Fault tests with the real SDK client and the function's real timeouts: each DynamoDB
//! failure gets its 5xx JSON answer before the Lambda timeout, is logged once, leaks
//! nothing, and the next request succeeds in the same process once the fault clears.

use std::time::Duration;

use crate::common::fault_proxy::{Fault, FaultProxy};
use crate::common::{
    body_json, body_text, dynalite, event, patient_client, sdk_client, CapturedLogs, REQUEST_ID,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use cloudresumecounter::request::Policy;
use cloudresumecounter::response::Response;
use cloudresumecounter::sdk;
use cloudresumecounter::store::{self, CounterStore};
use cloudresumecounter::Counter;
use serde_json::Value;

/// The function's `Timeout` in template.yaml: an answer after it is no answer at all.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(3);

/// A counter whose DynamoDB traffic goes through a fault proxy, on a fresh table, and a client
/// that reads the table directly.
struct Rig {
    proxy: FaultProxy,
    counter: Counter,
    inspector: Client,
    table: String,
}

impl Rig {
    /// With the function's own SDK set-up, timeouts and all; `patient`: without its timeouts.
    async fn new(patient: bool) -> Self {
        let proxy = FaultProxy::start(&dynalite().endpoint).await;
        let client = match patient {
            false => sdk_client(&proxy.endpoint).await,
            true => patient_client(&proxy.endpoint).await,
        };
        let table = dynalite().fresh_table();
        let counter = Counter::new(CounterStore::new(client, &table), Policy::default());
        let inspector = patient_client(&dynalite().endpoint).await;
        Rig {
            proxy,
            counter,
            inspector,
            table,
        }
    }

    /// One `get-counter.json` request, which must be answered before the Lambda timeout.
    async fn hit(&self) -> Response {
        tokio::time::timeout(
            LAMBDA_TIMEOUT,
            self.counter.handle(&event("get-counter.json"), REQUEST_ID),
        )
        .await
        .expect("an answer within the Lambda timeout")
    }

    /// The hits the table holds for that request's page, read past the proxy.
    async fn stored(&self) -> u64 {
        let item = self
            .inspector
            .get_item()
            .table_name(&self.table)
            .key(
                store::KEY_ATTRIBUTE,
                AttributeValue::S("/index.html".to_owned()),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on dynalite");
        match item.item().and_then(|item| item.get(store::HITS_ATTRIBUTE)) {
            Some(AttributeValue::N(hits)) => hits.parse().unwrap(),
            None => 0,
            other => panic!("hits is not a number: {other:?}"),
        }
    }
}

/// The counts are read from the table, not assumed: on a busy machine a hit's attempt can
/// outlive the attempt timeout and its retry count twice, so "one more" would not be exact.
async fn survives(fault: Fault) {
    let (status, error) = (503, "storage_unavailable");
    let rig = Rig::new(false).await;
    let (proxy, table) = (&rig.proxy, &rig.table);
    let hit = || rig.hit();
    // Also opens the pooled connection the fault breaks.
    assert_eq!(hit().await.status(), 200, "{fault:?}: before");
    let before = rig.stored().await;

    proxy.set(fault);
    let logs = CapturedLogs::default();
    let during = {
        let _guard = logs.install();
        hit().await
    };
    assert_eq!(during.status(), status, "{fault:?}: {}", body_text(&during));
    let body = body_json(&during);
    assert_eq!(body["error"], error, "{fault:?}");
    assert!(body["message"].is_string());
    assert!(
        !body_text(&during).contains(table.as_str()),
        "{fault:?} leaks the table name"
    );

    let lines: Vec<Value> = logs
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{fault:?}: one log line: {lines:#?}");
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(lines[0]["status"], status);
    assert!(lines[0]["cause"].as_str().is_some_and(|c| !c.is_empty()));
    assert_eq!(
        rig.stored().await,
        before,
        "{fault:?}: the failed hit was never counted"
    );

    proxy.set(Fault::None);
    let after = hit().await;
    assert_eq!(
        after.status(),
        200,
        "{fault:?}: recovers: {}",
        body_text(&after)
    );
    assert!(rig.stored().await > before, "{fault:?}: and counts again");
}

/// The documented trade-off: `UpdateItem` has no idempotency token, so when DynamoDB applies
/// a hit and the answer is lost, the SDK's retry applies it again. The visitor gets a 503 and
/// the page gains one hit per attempt that reached it. For a page counter that beats failing
/// every request on a flaky network; this pins the behaviour so the README stays true. The
/// retries here are the function's; its timeouts are left out, so that only lost answers, not
/// the machine's load, decide how many attempts there are.
#[tokio::test]
async fn a_lost_response_is_retried_and_counted_once_per_attempt() {
    let rig = Rig::new(true).await;
    assert_eq!(rig.hit().await.status(), 200);
    let before = rig.stored().await;

    rig.proxy.set(Fault::LoseResponse);
    let during = rig.hit().await;
    assert_eq!(during.status(), 503, "{}", body_text(&during));

    let applied = rig.stored().await - before;
    assert_eq!(
        applied,
        rig.proxy.answers_lost(),
        "each applied attempt counted once"
    );
    // At least two attempts for one visitor (the first may die on the pooled connection the
    // fault closed), at most one per attempt.
    assert!(
        (2..=u64::from(sdk::MAX_ATTEMPTS)).contains(&applied),
        "{applied} hits applied for one failed request"
    );
}

#[tokio::test]
async fn refused_connections_are_503_logged_once_and_recover() {
    survives(Fault::Refuse).await;
}

#[tokio::test]
async fn a_dynamodb_that_never_answers_is_503_logged_once_and_recovers() {
    survives(Fault::Blackhole).await;
}

#[tokio::test]
async fn an_http_500_is_503_logged_once_and_recovers() {
    survives(Fault::Http500).await;
}

#[tokio::test]
async fn throttling_is_503_logged_once_and_recovers() {
    survives(Fault::Throttle).await;
}
