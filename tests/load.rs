//! Load: thousands of simultaneous hits on one path through the handler, sharing one SDK
//! client, against dynalite. Atomic `ADD` must hand out every count exactly once.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use cloudresumecounter::request::Policy;
use cloudresumecounter::store::CounterStore;
use cloudresumecounter::Counter;
use common::{body_json, dynalite, event, fresh_table, sdk_client_with, LocalCounter, REQUEST_ID};

const HITS: u64 = 4000;

/// The function's SDK set-up with patient timeouts and no retries. In Lambda each sandbox
/// handles one request at a time; here 4000 share one process and one emulator, so the
/// production budgets would time requests out in the queue, and a retry could count twice.
/// This test is about atomicity, so every request must be applied exactly once. (Stalled
/// stream protection, which would take a request queued in dynalite for seconds for a dead
/// connection, is already off in the function's set-up.)
async fn patient_client(endpoint: &str) -> Client {
    sdk_client_with(endpoint, |loader| {
        loader
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(120))
                    .build(),
            )
            .retry_config(RetryConfig::disabled())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_thousand_concurrent_hits_on_one_path_get_distinct_counts() {
    let client = patient_client(&dynalite().endpoint).await;
    let table = fresh_table(&client).await;
    let counter = Arc::new(Counter::new(
        CounterStore::new(client.clone(), &table),
        Policy::default(),
    ));

    let hits: Vec<_> = (0..HITS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            tokio::spawn(
                async move { counter.handle(&event("get-counter.json"), REQUEST_ID).await },
            )
        })
        .collect();
    let mut counts = BTreeSet::new();
    for hit in hits {
        let response = hit.await.unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.body());
        let count = body_json(&response)["count"].as_u64().unwrap();
        assert!(counts.insert(count), "count {count} was handed out twice");
    }
    assert_eq!(counts, (1..=HITS).collect::<BTreeSet<u64>>());

    let local = LocalCounter {
        counter: Arc::into_inner(counter).unwrap(),
        client,
        table,
    };
    assert_eq!(local.items().await, vec![("/index.html".to_owned(), HITS)]);
}
