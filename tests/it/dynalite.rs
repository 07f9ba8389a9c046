//! Integration tests: the handler and the function's own SDK set-up against dynalite, a real
//! DynamoDB emulator on 127.0.0.1 (started by tests/common, stopped when the tests end).

use crate::common::{
    all_event_names, body_json, event, event_outcomes, get_with_query, LocalCounter, REQUEST_ID,
};
use cloudresumecounter::request::Policy;
use serde_json::{json, Value};

/// Each step's answer, in order, from one counter on one table.
#[tokio::test]
async fn counts_rise_per_exact_key_and_reads_write_nothing() {
    let local = LocalCounter::new(Policy::default()).await;
    // Quotes, braces, expression syntax and SQL-ish text are data, never expression syntax:
    // the path only ever travels as an attribute value.
    let hostile = "path=%22%7D%2C%23hits+%3D+%3Ainc%3B+DROP+TABLE+x%3B--";
    let steps = [
        (get_with_query("path=%2Fa"), 1, true),
        (get_with_query("path=%2Fb"), 1, true),
        (get_with_query("path=%2Fa"), 2, true),
        // Keys differ only in case or a trailing slash: still different pages.
        (get_with_query("path=%2FA"), 1, true),
        (get_with_query("path=%2Fa%2F"), 1, true),
        (get_with_query(hostile), 1, true),
        (get_with_query("path=%2Fa&increment=false"), 2, false),
        // A read of a page never counted answers 0 and leaves no item.
        (event("crawler-get.json"), 0, false),
    ];
    for (i, (request, count, counted)) in steps.into_iter().enumerate() {
        let response = local.counter.handle(&request, REQUEST_ID).await;
        let expected = json!({"count": count, "counted": counted});
        assert_eq!(body_json(&response), expected, "step {i}");
    }
    let items = [("/A", 1), ("/a", 2), ("/a/", 1), ("/b", 1)];
    let mut items: Vec<(String, u64)> = items.map(|(p, n)| (p.to_owned(), n)).to_vec();
    items.insert(0, ("\"},#hits = :inc; DROP TABLE x;--".to_owned(), 1));
    assert_eq!(local.items().await, items);
}

/// Each file in events/ answered as events/outcomes.tsv says, and only those that count write.
#[tokio::test]
async fn only_the_fixtures_that_count_write() {
    let local = LocalCounter::new(Policy::default()).await;
    let outcomes = event_outcomes();
    for name in all_event_names() {
        let expected = outcomes.iter().find(|o| o.file == name);
        let expected =
            expected.unwrap_or_else(|| panic!("{name} has no row in events/outcomes.tsv"));
        let response = local.counter.handle(&event(&name), REQUEST_ID).await;
        assert_eq!(response.status(), expected.status, "{name}");
        if response.status().is_client_error() {
            let body: Value = body_json(&response);
            assert_eq!(body["error"], expected.outcome, "{name}: {body}");
            assert!(body["message"].is_string(), "{name}: {body}");
        }
    }
    // The crawler and the view are answered, but write nothing either.
    let counted: Vec<String> = local.items().await.into_iter().map(|(p, _)| p).collect();
    let mut pages: Vec<String> = outcomes
        .into_iter()
        .filter(|o| o.counted())
        .filter_map(|o| o.page)
        .collect();
    pages.sort();
    assert_eq!(counted, pages);
}
