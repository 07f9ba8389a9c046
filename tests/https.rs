//! The HTTPS path, which the other tests never take (dynalite speaks plain HTTP): the function's
//! SDK client shaking hands with a TLS front on dynalite (tools/local/tls-front.js) whose chain
//! is shaped like AWS's, an RSA-2048 leaf issued by an intermediate issued by a root.
//!
//! AWS's own endpoint trusts the five embedded Amazon roots and nothing else; here a root made
//! for the run stands in for them (`sdk::loader_with_roots_in_place_of_amazons`, the same
//! trust-store code). `SSL_CERT_FILE` names a second root, whose front the embedded-roots path
//! must refuse: a fallback to the system's roots would accept it, as a custom `https://`
//! endpoint does.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;

use aws_config::timeout::TimeoutConfig;
use cloudresumecounter::request::Policy;
use cloudresumecounter::response::Response;
use cloudresumecounter::sdk;
use cloudresumecounter::store::CounterStore;
use cloudresumecounter::Counter;
use common::{body_json, body_text, client_from, dynalite, event, patient_client, REQUEST_ID};
use serde_json::Value;

/// Two roots, each with an intermediate and a leaf for 127.0.0.1, made once per run.
struct Pkis {
    /// Trusted in place of the Amazon roots.
    stand_in: PathBuf,
    /// Named by `SSL_CERT_FILE`: the system's roots, as far as this process is concerned.
    system: PathBuf,
}

impl Pkis {
    fn root_pem(dir: &Path) -> Vec<u8> {
        std::fs::read(dir.join("root.pem")).expect("the PKI's root.pem")
    }
}

fn node_tls_front() -> Command {
    let mut command = Command::new("node");
    command.arg(common::repo_root().join("tools/local/tls-front.js"));
    command
}

fn pkis() -> &'static Pkis {
    static PKIS: OnceLock<Pkis> = OnceLock::new();
    PKIS.get_or_init(|| {
        // One PKI per test process (cargo-nextest runs each test in its own; the certificates are
        // valid for two days), and those of processes gone are removed.
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix("https-pki-");
            if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let base = tmp.join(format!("https-pki-{}", std::process::id()));
        let pkis = Pkis {
            stand_in: base.join("stand-in"),
            system: base.join("system"),
        };
        for dir in [&pkis.stand_in, &pkis.system] {
            let made = node_tls_front()
                .arg("--pki")
                .arg(dir)
                .arg("--pki-only")
                .output()
                .expect("node runs (these tests need Node.js 20+ and the openssl command)");
            assert!(
                made.status.success(),
                "making a test PKI: {}",
                String::from_utf8_lossy(&made.stderr)
            );
        }
        // Before any client exists: the SDK loads the system's roots once per process.
        std::env::set_var("SSL_CERT_FILE", pkis.system.join("root.pem"));
        pkis
    })
}

/// One `tls-front.js` in front of the shared dynalite, stopped when dropped.
struct TlsFront {
    endpoint: String,
    process: Child,
    answers: BufReader<ChildStdout>,
}

impl TlsFront {
    fn start(pki: &Path) -> Self {
        Self::start_with(pki, &[])
    }

    fn start_with(pki: &Path, options: &[&str]) -> Self {
        let dynalite_port = dynalite().endpoint.rsplit(':').next().unwrap().to_owned();
        let mut process = node_tls_front()
            .args(["--to", &dynalite_port, "--pki"])
            .arg(pki)
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs tools/local/tls-front.js");
        let mut answers = BufReader::new(process.stdout.take().unwrap());
        let ready = read_json(&mut answers);
        TlsFront {
            endpoint: ready["endpoint"].as_str().expect("an endpoint").to_owned(),
            process,
            answers,
        }
    }

    /// Handshakes completed, and handshakes the client broke off, so far.
    fn handshakes(&mut self) -> (u64, u64) {
        let stdin = self.process.stdin.as_mut().unwrap();
        writeln!(stdin, "counts").unwrap();
        let counts = read_json(&mut self.answers);
        (
            counts["handshakes"].as_u64().unwrap(),
            counts["refused"].as_u64().unwrap(),
        )
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn read_json(from: &mut impl BufRead) -> Value {
    let mut line = String::new();
    from.read_line(&mut line).expect("tls-front.js output");
    serde_json::from_str(&line)
        .unwrap_or_else(|_| panic!("tls-front.js did not start (see its message above): {line:?}"))
}

/// A counter on a fresh table that reaches DynamoDB through `client`, and a plain-HTTP client
/// to look at the table with.
async fn counter_with(
    client: aws_sdk_dynamodb::Client,
) -> (Counter, aws_sdk_dynamodb::Client, String) {
    let inspector = patient_client(&dynalite().endpoint).await;
    let table = dynalite().fresh_table();
    let counter = Counter::new(CounterStore::new(client, &table), Policy::default());
    (counter, inspector, table)
}

/// The embedded-roots client of AWS's endpoint, trusting the stand-in root, sent to `front`.
/// Without the SDK's timeouts: a handshake that outlived one on a busy machine would be retried,
/// and these tests count hits and handshakes.
async fn aws_path_client(front: &TlsFront) -> aws_sdk_dynamodb::Client {
    let stand_in_root = Pkis::root_pem(&pkis().stand_in);
    let loader = sdk::loader_with_roots_in_place_of_amazons(&front.endpoint, &stand_in_root);
    client_from(loader.timeout_config(TimeoutConfig::disabled())).await
}

async fn hit(counter: &Counter) -> Response {
    counter.handle(&event("get-counter.json"), REQUEST_ID).await
}

async fn item_count(inspector: &aws_sdk_dynamodb::Client, table: &str) -> usize {
    let scan = inspector.scan().table_name(table).send().await.unwrap();
    scan.items().len()
}

#[tokio::test]
async fn the_embedded_roots_path_counts_through_a_chain_shaped_like_aws() {
    let mut front = TlsFront::start(&pkis().stand_in);
    let (counter, _, _) = counter_with(aws_path_client(&front).await).await;
    for expected in [1, 2] {
        let response = hit(&counter).await;
        assert_eq!(response.status(), 200, "{}", body_text(&response));
        assert_eq!(body_json(&response)["count"], expected);
    }
    assert_eq!(
        front.handshakes(),
        (1, 0),
        "one handshake, its connection reused"
    );
}

#[tokio::test]
async fn a_chain_to_another_root_is_refused_with_no_fallback_to_the_system_roots() {
    let mut front = TlsFront::start(&pkis().system);
    let (counter, inspector, table) = counter_with(aws_path_client(&front).await).await;
    let response = hit(&counter).await;
    assert_eq!(response.status(), 503, "{}", body_text(&response));
    assert_eq!(body_json(&response)["error"], "storage_unavailable");
    assert_eq!(
        item_count(&inspector, &table).await,
        0,
        "nothing was written"
    );
    let (completed, refused) = front.handshakes();
    assert_eq!(completed, 0, "no handshake completed");
    assert_eq!(
        refused,
        u64::from(sdk::MAX_ATTEMPTS),
        "refused on every attempt"
    );
}

#[tokio::test]
async fn a_server_that_leaves_out_its_intermediate_is_refused() {
    let front = TlsFront::start_with(&pkis().stand_in, &["--leaf-only"]);
    let (counter, inspector, table) = counter_with(aws_path_client(&front).await).await;
    let response = hit(&counter).await;
    assert_eq!(response.status(), 503, "{}", body_text(&response));
    assert_eq!(
        item_count(&inspector, &table).await,
        0,
        "nothing was written"
    );
}

/// The control for `a_chain_to_another_root_is_refused_...`: a custom `https://` endpoint takes
/// the system's roots (here, `SSL_CERT_FILE`), and trusts the very front refused there.
#[tokio::test]
async fn a_custom_https_endpoint_trusts_the_system_roots_in_ssl_cert_file() {
    let mut front = TlsFront::start(&pkis().system);
    let (counter, _, _) = counter_with(patient_client(&front.endpoint).await).await;
    let response = hit(&counter).await;
    assert_eq!(response.status(), 200, "{}", body_text(&response));
    assert_eq!(body_json(&response)["count"], 1);
    assert_eq!(front.handshakes(), (1, 0));
}
