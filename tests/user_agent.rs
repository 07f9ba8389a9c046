//! The user agent the client sends: the SDK's own, formatted once, in `User-Agent` only, and the
//! same on every request. A stand-in DynamoDB on loopback records what arrives.

mod common;

use std::sync::{Arc, Mutex};

use cloudresumecounter::request::validate;
use cloudresumecounter::store::CounterStore;
use common::sdk_client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers every request with an UpdateItem result of 1 hit and keeps each request's head.
async fn recording_dynamodb() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&heads);
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = Vec::new();
        loop {
            let mut chunk = [0u8; 4096];
            let read = socket.read(&mut chunk).await.unwrap();
            if read == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..read]);
            // One request at a time: its head, then a body of content-length bytes.
            let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap());
            if buffer.len() < end + 4 + length {
                continue;
            }
            buffer.drain(..end + 4 + length);
            seen.lock().unwrap().push(head);
            let body = r#"{"Attributes":{"hits":{"N":"1"}}}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    (endpoint, heads)
}

fn values<'a>(head: &'a str, name: &str) -> Vec<&'a str> {
    head.lines()
        .filter_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
        .collect()
}

#[tokio::test]
async fn every_request_carries_the_sdks_user_agent_once_and_unchanged() {
    let (endpoint, heads) = recording_dynamodb().await;
    let store = CounterStore::new(sdk_client(&endpoint).await, "Hits");
    let page = validate("/".to_owned(), None).unwrap();
    for _ in 0..3 {
        assert_eq!(store.increment(&page).await.unwrap(), 1);
    }

    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 3, "three UpdateItem requests");
    let first = values(&heads[0], "user-agent");
    for head in heads.iter() {
        let user_agent = values(head, "user-agent");
        assert_eq!(user_agent.len(), 1, "one user-agent: {head}");
        assert_eq!(user_agent, first, "the same on every request");
        // The SDK's second, signed copy is not sent.
        assert_eq!(
            values(head, "x-amz-user-agent"),
            Vec::<&str>::new(),
            "{head}"
        );
    }
    for part in [
        "aws-sdk-rust/",
        "ua/",
        "api/dynamodb/",
        "os/linux",
        "lang/rust/",
    ] {
        assert!(first[0].contains(part), "{part} in {}", first[0]);
    }
}
