//! Fault tests with the real SDK client and the function's real timeouts: each DynamoDB
//! failure gets its 5xx JSON answer before the Lambda timeout, is logged once, leaks
//! nothing, and the next request succeeds in the same process once the fault clears.

use std::time::Duration;

use crate::common::fault_proxy::{Fault, FaultProxy};
use crate::common::{
    body_json, body_text, dynalite, event, fresh_table, sdk_client, CapturedLogs, REQUEST_ID,
};
use cloudresumecounter::request::Policy;
use cloudresumecounter::response::Response;
use cloudresumecounter::sdk;
use cloudresumecounter::store::CounterStore;
use cloudresumecounter::Counter;
use serde_json::Value;

/// The function's `Timeout` in template.yaml: an answer after it is no answer at all.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(3);

/// A counter whose DynamoDB traffic goes through a fault proxy, on a fresh table.
struct Rig {
    proxy: FaultProxy,
    counter: Counter,
    table: String,
}

impl Rig {
    async fn new() -> Self {
        let proxy = FaultProxy::start(&dynalite().endpoint).await;
        let client = sdk_client(&proxy.endpoint).await;
        let table = fresh_table(&client).await;
        let counter = Counter::new(CounterStore::new(client, &table), Policy::default());
        Rig {
            proxy,
            counter,
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
}

async fn survives(fault: Fault) {
    let (status, error) = (503, "storage_unavailable");
    let rig = Rig::new().await;
    let (proxy, table) = (&rig.proxy, &rig.table);
    let hit = || rig.hit();
    assert_eq!(body_json(&hit().await)["count"], 1);

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

    proxy.set(Fault::None);
    let after = hit().await;
    assert_eq!(
        body_json(&after)["count"],
        2,
        "{fault:?}: recovers, and the failed hit was never counted"
    );
}

/// The documented trade-off: `UpdateItem` has no idempotency token, so when DynamoDB applies
/// a hit and the answer is lost, the SDK's retry applies it again. The visitor gets a 503 and
/// the page gains one hit per attempt. For a page counter that beats failing every request
/// on a flaky network; this pins the behaviour so the README stays true.
async fn a_lost_response_is_retried_and_counted_once_per_attempt() {
    let rig = Rig::new().await;
    let (proxy, hit) = (&rig.proxy, || rig.hit());
    assert_eq!(body_json(&hit().await)["count"], 1);

    proxy.set(Fault::LoseResponse);
    let during = hit().await;
    assert_eq!(during.status(), 503, "{}", body_text(&during));

    proxy.set(Fault::None);
    let after = body_json(&hit().await)["count"].as_u64().unwrap();
    // Every attempt that reached dynalite was applied: at least two for one visitor (the
    // first attempt may die on the pooled connection the fault closed), at most one per
    // attempt.
    let applied_while_lost = after - 2;
    assert!(
        (2..=u64::from(sdk::MAX_ATTEMPTS)).contains(&applied_while_lost),
        "{applied_while_lost} hits applied for one failed request"
    );
}

/// One test, not one per fault: tracing caches which log lines are enabled across threads, so
/// a test logging on another thread while a fault's line is captured can make it miss.
#[tokio::test]
async fn each_fault_is_503_logged_once_and_recovers_and_a_lost_response_counts_per_attempt() {
    for fault in [
        Fault::Refuse,
        Fault::Blackhole,
        Fault::Http500,
        Fault::Throttle,
    ] {
        survives(fault).await;
    }
    a_lost_response_is_retried_and_counted_once_per_attempt().await;
}
