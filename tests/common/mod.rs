//! Shared test support: event fixtures, response helpers, a mocked counter, the function's SDK
//! client and a dynalite per test binary.
#![allow(dead_code)] // each test binary uses its own subset

pub mod fault_proxy;

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;

use aws_config::timeout::TimeoutConfig;
use aws_config::ConfigLoader;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use cloudresumecounter::allow_list::AllowList;
use cloudresumecounter::request::{Policy, Request};
use cloudresumecounter::response::Response;
use cloudresumecounter::store::{self, CounterStore};
use cloudresumecounter::{gateway, sdk, telemetry, Counter};
use serde_json::value::RawValue;
use serde_json::Value;

/// The table name mocked counters use: it must never reach a response body.
pub const MOCK_TABLE: &str = "SecretTable-123456789012";

/// The request id every fixture is invoked with.
pub const REQUEST_ID: &str = "c0ffee00-0000-4000-8000-000000000001";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The HTTP API v2 event `events/NAME`, as the runtime hands it to the handler.
pub fn event(name: &str) -> Request {
    request_from_json(&event_json(name).to_string())
}

/// The request the bootstrap hands the counter for the event `json`, through the same
/// conversion (`gateway::into_request`).
pub fn request_from_json(json: &str) -> Request {
    let event = RawValue::from_string(json.to_owned()).unwrap();
    gateway::into_request(&event).expect("an HTTP API v2 event")
}

/// An HTTP API v2 GET event for `/counter?{raw_query}`, built from `get-counter.json`.
pub fn get_with_query(raw_query: &str) -> Request {
    let mut event = event_json("get-counter.json");
    event["rawQueryString"] = Value::String(raw_query.to_owned());
    // The counter reads only the raw query; a stale parsed map must not matter.
    event
        .as_object_mut()
        .unwrap()
        .remove("queryStringParameters");
    request_from_json(&event.to_string())
}

/// The fixture `events/NAME` as JSON, to edit before converting.
pub fn event_json(name: &str) -> Value {
    let path = repo_root().join("events").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// What the function answers an `events/` file on a page with no hits yet: a row of
/// `events/outcomes.tsv`.
pub struct Outcome {
    pub file: String,
    pub status: u16,
    /// `counted`, `read` or the error code.
    pub outcome: String,
    pub svg: bool,
    /// The page counted or read (a 200 only).
    pub page: Option<String>,
}

impl Outcome {
    pub fn counted(&self) -> bool {
        self.outcome == "counted"
    }
}

pub fn event_outcomes() -> Vec<Outcome> {
    let path = repo_root().join("events/outcomes.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Outcome {
                file: fields[0].to_owned(),
                status: fields[1].parse().expect("a status"),
                outcome: fields[2].to_owned(),
                svg: fields[3] == "svg",
                page: fields.get(4).map(|page| (*page).to_owned()),
            }
        })
        .collect()
}

pub fn all_event_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("events"))
        .expect("events/ exists")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

pub fn body_text(response: &Response) -> &str {
    response.body()
}

pub fn body_json(response: &Response) -> Value {
    serde_json::from_str(body_text(response)).expect("a JSON body")
}

pub fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// A counter on [`MOCK_TABLE`] whose DynamoDB is answered by `rules` (aws-smithy-mocks).
pub fn mocked_counter(rules: &[&Rule], policy: Policy) -> Counter {
    let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, rules);
    Counter::new(CounterStore::new(client, MOCK_TABLE), policy)
}

type Keys = Arc<Mutex<Vec<String>>>;

fn the_key(key: Option<&std::collections::HashMap<String, AttributeValue>>) -> String {
    let key = key.expect("a key");
    assert_eq!(key.len(), 1, "{key:?}");
    match &key["path"] {
        AttributeValue::S(path) => path.clone(),
        other => panic!("the key is not a string: {other:?}"),
    }
}

/// A DynamoDB that accepts only the contract's exact UpdateItem (`ADD hits :inc`, `:inc` = 1,
/// the new value back, answered `hits = 7`) and GetItem (eventually consistent, only `hits`,
/// answered `hits = 9`), noting each key.
pub struct Dynamo {
    pub write: Rule,
    pub read: Rule,
    writes: Keys,
    reads: Keys,
}

impl Dynamo {
    pub fn new() -> Self {
        let (writes, reads) = (Keys::default(), Keys::default());
        let (w, r) = (Arc::clone(&writes), Arc::clone(&reads));
        let write = mock!(Client::update_item)
            .match_requests(move |input| {
                let values = input.expression_attribute_values().expect("values");
                assert_eq!(input.table_name(), Some(MOCK_TABLE));
                assert_eq!(input.update_expression(), Some("ADD hits :inc"));
                assert_eq!(values.len(), 1);
                assert_eq!(values.get(":inc"), Some(&AttributeValue::N("1".to_owned())));
                assert_eq!(input.return_values(), Some(&ReturnValue::UpdatedNew));
                assert!(input.condition_expression().is_none());
                assert!(input.expression_attribute_names().is_none());
                w.lock().unwrap().push(the_key(input.key()));
                true
            })
            .then_output(|| {
                UpdateItemOutput::builder()
                    .attributes("hits", AttributeValue::N("7".to_owned()))
                    .build()
            });
        let read = mock!(Client::get_item)
            .match_requests(move |input| {
                assert_eq!(input.table_name(), Some(MOCK_TABLE));
                assert_eq!(input.projection_expression(), Some("hits"));
                assert!(input.consistent_read().is_none());
                assert!(input.expression_attribute_names().is_none());
                r.lock().unwrap().push(the_key(input.key()));
                true
            })
            .then_output(|| {
                GetItemOutput::builder()
                    .item("hits", AttributeValue::N("9".to_owned()))
                    .build()
            });
        Dynamo {
            write,
            read,
            writes,
            reads,
        }
    }

    pub fn counter(&self, policy: Policy) -> Counter {
        mocked_counter(&[&self.write, &self.read], policy)
    }

    /// The keys written and read so far.
    pub fn calls(&self) -> (Vec<String>, Vec<String>) {
        let keys = |keys: &Keys| keys.lock().unwrap().clone();
        (keys(&self.writes), keys(&self.reads))
    }
}

/// The policy with `COUNTER_ALLOWED_PATHS` set to `list`.
pub fn allowing(list: &str) -> Policy {
    Policy {
        allowed_paths: Some(AllowList::parse(list).expect("a valid allow-list")),
        ..Policy::default()
    }
}

/// A dynalite on 127.0.0.1, started on first use and stopped when the test binary exits
/// (tools/local/dynalite.js exits when the pipe to its standard input closes). That pipe also
/// asks it for tables, so the table's schema is written once, in dynalite.js.
pub struct Dynalite {
    pub endpoint: String,
    tables: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
    _process: Child,
}

pub fn dynalite() -> &'static Dynalite {
    static DYNALITE: OnceLock<Dynalite> = OnceLock::new();
    DYNALITE.get_or_init(start_dynalite)
}

/// Fails the test that could not start `node script`, saying what to install.
pub fn cannot_run_node(script: &std::path::Path, err: std::io::Error) -> ! {
    panic!(
        "cannot run `node {}` ({err}): these tests need Node.js 20+ \
         (apt-get install nodejs npm) and dynalite (`make setup` or `npm ci`)",
        script.display()
    )
}

fn start_dynalite() -> Dynalite {
    let script = repo_root().join("tools/local/dynalite.js");
    let mut process = Command::new("node")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| cannot_run_node(&script, err));
    let mut answers = BufReader::new(process.stdout.take().unwrap());
    let ready = read_answer(&mut answers).unwrap_or_else(|| {
        panic!("dynalite did not start (see its message above); run `make setup` or `npm ci`")
    });
    Dynalite {
        endpoint: ready["endpoint"].as_str().unwrap().to_owned(),
        tables: Mutex::new((process.stdin.take().unwrap(), answers)),
        _process: process,
    }
}

fn read_answer(answers: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut line = String::new();
    answers.read_line(&mut line).expect("dynalite.js output");
    serde_json::from_str(&line).ok()
}

impl Dynalite {
    /// A new, empty counter table, ACTIVE, so tests never see each other's hits.
    pub fn fresh_table(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let table = format!("Hits{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let mut pipe = self.tables.lock().unwrap();
        let (requests, answers) = &mut *pipe;
        writeln!(requests, "table {table}").expect("dynalite.js reads its pipe");
        let answer = read_answer(answers);
        assert_eq!(
            answer.as_ref().and_then(|a| a["table"].as_str()),
            Some(table.as_str()),
            "dynalite.js creating {table}: {answer:?}"
        );
        table
    }
}

/// The function's own SDK set-up (timeouts, retries, HTTP client) pointed at `endpoint`.
pub async fn sdk_client(endpoint: &str) -> Client {
    client_from(sdk::loader(Some(endpoint))).await
}

/// The function's SDK set-up without its timeouts, for tests that count: on a busy machine an
/// attempt can outlive the 500 ms attempt timeout, and its retry counts the hit again (the
/// trade-off the README documents), so a count would depend on the load. Only an error retries.
pub async fn patient_client(endpoint: &str) -> Client {
    client_from(sdk::loader(Some(endpoint)).timeout_config(TimeoutConfig::disabled())).await
}

/// The client of an SDK set-up, with the fixed region and credentials a local emulator accepts.
pub async fn client_from(loader: ConfigLoader) -> Client {
    let sdk_config = loader
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "tests"))
        .load()
        .await;
    sdk::client_for(&sdk_config)
}

/// A counter wired to a fresh table on the shared dynalite, plus a client to inspect it.
pub struct LocalCounter {
    pub counter: Counter,
    pub client: Client,
    pub table: String,
}

impl LocalCounter {
    pub async fn new(policy: Policy) -> Self {
        let client = patient_client(&dynalite().endpoint).await;
        let table = dynalite().fresh_table();
        let store = CounterStore::new(client.clone(), &table);
        LocalCounter {
            counter: Counter::new(store, policy),
            client,
            table,
        }
    }

    /// Every item in the table, as (path, hits).
    pub async fn items(&self) -> Vec<(String, u64)> {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .send()
            .await
            .expect("Scan on dynalite");
        let mut items: Vec<(String, u64)> = scan
            .items()
            .iter()
            .map(|item| {
                let path = match &item[store::KEY_ATTRIBUTE] {
                    AttributeValue::S(path) => path.clone(),
                    other => panic!("path is not a string: {other:?}"),
                };
                let hits = match &item[store::HITS_ATTRIBUTE] {
                    AttributeValue::N(hits) => hits.parse().unwrap(),
                    other => panic!("hits is not a number: {other:?}"),
                };
                (path, hits)
            })
            .collect();
        items.sort();
        items
    }
}

/// Log lines written through the production subscriber, kept in memory.
///
/// One process-wide subscriber, the production one at the default level, writes each line to
/// the buffer installed on the thread that logs it (a `#[tokio::test]` runs on one). Not a
/// scoped subscriber per test: tracing caches per call site, across threads, whether anyone
/// listens, so a test's own subscriber can miss a line another thread's test registered first.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURING: RefCell<Option<CapturedLogs>> = const { RefCell::new(None) };
}

/// Capturing on this thread until dropped.
pub struct Capturing {
    previous: Option<CapturedLogs>,
}

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURING.with(|capturing| *capturing.borrow_mut() = self.previous.take());
    }
}

/// The writer of every line: the buffer of the thread that logs it, if that thread captures.
struct ThisThread;

impl Write for ThisThread {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|capturing| {
            if let Some(logs) = &*capturing.borrow() {
                logs.0.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Captures the lines logged on the current thread until the guard is dropped.
    pub fn install(&self) -> Capturing {
        static SUBSCRIBER: Once = Once::new();
        SUBSCRIBER.call_once(|| {
            let filter = telemetry::filter_from(None).expect("the default level");
            tracing::subscriber::set_global_default(telemetry::subscriber(filter, || ThisThread))
                .expect("the only subscriber of the test binary");
        });
        let previous = CAPTURING.with(|capturing| capturing.replace(Some(self.clone())));
        Capturing { previous }
    }

    pub fn lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }
}
