//! Integration tests: the handler and the function's own SDK set-up against dynalite, a real
//! DynamoDB emulator on 127.0.0.1 (started by tests/common, stopped when the tests end).

mod common;

use cloudresumecounter::request::{Policy, Request};
use common::{all_event_names, body_json, event, get_with_query, LocalCounter, REQUEST_ID};
use serde_json::Value;

async fn count_once(local: &LocalCounter, raw_query: &str) -> u64 {
    let response = local
        .counter
        .handle(&get_with_query(raw_query), REQUEST_ID)
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.body());
    let body = body_json(&response);
    assert_eq!(body["counted"], true, "{body}");
    body["count"].as_u64().expect("count is a JSON integer")
}

#[tokio::test]
async fn paths_are_counted_independently() {
    let local = LocalCounter::new(Policy::default()).await;
    assert_eq!(count_once(&local, "path=%2Fa").await, 1);
    assert_eq!(count_once(&local, "path=%2Fb").await, 1);
    assert_eq!(count_once(&local, "path=%2Fa").await, 2);
    // Keys differ only in case or a trailing slash: still different pages.
    assert_eq!(count_once(&local, "path=%2FA").await, 1);
    assert_eq!(count_once(&local, "path=%2Fa%2F").await, 1);
    assert_eq!(
        local.items().await,
        vec![
            ("/A".to_owned(), 1),
            ("/a".to_owned(), 2),
            ("/a/".to_owned(), 1),
            ("/b".to_owned(), 1)
        ]
    );
}

#[tokio::test]
async fn only_the_fixtures_that_count_write() {
    let local = LocalCounter::new(Policy::default()).await;
    let mut rejected = 0;
    for name in all_event_names() {
        let response = local.counter.handle(&event(&name), REQUEST_ID).await;
        if response.status().is_client_error() {
            let body: Value = body_json(&response);
            assert!(body["message"].is_string(), "{name}: {body}");
            rejected += 1;
        }
    }
    // The fixtures that should be refused: missing, empty, duplicate, control character,
    // format character, too long, POST. If one starts passing, this count catches it. The
    // crawler and the view are answered, but write nothing either.
    assert_eq!(rejected, 7);
    let counted: Vec<String> = local.items().await.into_iter().map(|(p, _)| p).collect();
    let longest = "€".repeat(85) + "a";
    assert_eq!(
        counted,
        vec![
            "/blog/post-1",
            "/café/€/📄",
            "/index.html",
            "/projects/",
            longest.as_str()
        ]
    );
}

#[tokio::test]
async fn hostile_but_valid_paths_are_just_keys() {
    let local = LocalCounter::new(Policy::default()).await;
    // Quotes, braces, expression syntax and SQL-ish text are data, never expression syntax:
    // the path only ever travels as an attribute value.
    let raw = "path=%22%7D%2C%23hits+%3D+%3Ainc%3B+DROP+TABLE+x%3B--";
    assert_eq!(count_once(&local, raw).await, 1);
    assert_eq!(
        local.items().await,
        vec![("\"},#hits = :inc; DROP TABLE x;--".to_owned(), 1)]
    );
}

/// `raw_query` sent by `user_agent` (None: no User-Agent header).
fn get_as(user_agent: Option<&str>, raw_query: &str) -> Request {
    let mut request = get_with_query(raw_query);
    request.user_agent = user_agent.map(str::to_owned);
    request
}

#[tokio::test]
async fn only_visitors_move_the_count() {
    let chrome =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                  Chrome/131.0.0.0 Safari/537.36";
    let googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let local = LocalCounter::new(Policy::default()).await;
    let steps = [
        ("a browser", Some(chrome), "path=%2Fcv", 1, true),
        ("a crawler", Some(googlebot), "path=%2Fcv", 1, false),
        (
            "a view",
            Some(chrome),
            "path=%2Fcv&increment=false",
            1,
            false,
        ),
        ("the browser again", Some(chrome), "path=%2Fcv", 2, true),
    ];
    for (who, user_agent, raw_query, count, counted) in steps {
        let response = local
            .counter
            .handle(&get_as(user_agent, raw_query), REQUEST_ID)
            .await;
        assert_eq!(
            body_json(&response),
            serde_json::json!({"count": count, "counted": counted}),
            "{who}"
        );
    }
    assert_eq!(local.items().await, vec![("/cv".to_owned(), 2)]);
}

#[tokio::test]
async fn a_view_of_a_page_never_counted_answers_0_and_leaves_no_item() {
    let local = LocalCounter::new(Policy::default()).await;
    let response = local
        .counter
        .handle(&get_with_query("path=%2Fnever&increment=false"), REQUEST_ID)
        .await;
    assert_eq!(
        body_json(&response),
        serde_json::json!({"count": 0, "counted": false})
    );
    assert_eq!(local.items().await, vec![]);
}
