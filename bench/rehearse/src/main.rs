//! The benchmark's rehearsal of AWS's path (bench/cold-visit.js runs it): the bootstrap as
//! shipped, but its DynamoDB client built by `sdk::loader_with_roots_in_place_of_amazons`,
//! the trust-store code AWS's endpoint gets. No local certificate chains to an Amazon root,
//! so it trusts the five embedded Amazon roots, parsed as the bootstrap parses them, plus the
//! root in the PEM file `REHEARSAL_ROOT`, to which the local TLS front at `DYNAMODB_ENDPOINT`
//! (standing in for AWS's) chains. Without `REHEARSAL_ROOT` it takes the shipped path for the
//! endpoint, so the benchmark can count a custom endpoint with the long timeouts below.
//! `sam build` ships the bootstrap only, never this.
//!
//! `REHEARSAL_UNDER_VALGRIND=1` gives it long timeouts: under valgrind code runs some 50 times
//! slower, and a first handshake or request that outlasted the function's timeouts would be
//! retried, adding its instructions twice to the count. Without a timeout firing, the timeouts
//! change nothing that is counted.
//!
//! `REHEARSAL_PRECONNECT=1` makes one request at init, so the connection and its handshake
//! are made before the first event: the lever bench/README.md weighs. A `GetItem` with an
//! empty key, which DynamoDB refuses without reading anything.

use std::process::ExitCode;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

use cloudresumecounter::config::Config;
use cloudresumecounter::{runtime, sdk, telemetry, Counter};

const AMAZON_TRUST_ROOTS: &[u8] = include_bytes!("../../../src/amazon-trust-roots.pem");

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match rehearsal().await {
        Ok(counter) => runtime::serve(counter).await,
        Err(err) => {
            eprintln!("rehearse_aws_path: cannot start: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn rehearsal() -> Result<Counter, Box<dyn std::error::Error>> {
    telemetry::init()?;
    let config = Config::from_env()?;
    let endpoint = config
        .endpoint
        .as_deref()
        .ok_or("DYNAMODB_ENDPOINT: the TLS front standing in for AWS's endpoint")?;
    let mut loader = match std::env::var("REHEARSAL_ROOT") {
        Ok(root_file) => {
            let test_root =
                std::fs::read(&root_file).map_err(|err| format!("{root_file}: {err}"))?;
            let roots = [AMAZON_TRUST_ROOTS, &test_root].concat();
            sdk::loader_with_roots_in_place_of_amazons(endpoint, &roots)
        }
        // The shipped path for this endpoint: for an https:// one, the system's roots.
        Err(_) => sdk::loader(Some(endpoint)),
    };
    if std::env::var("REHEARSAL_UNDER_VALGRIND").as_deref() == Ok("1") {
        let minute = Duration::from_secs(60);
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(minute)
                .operation_attempt_timeout(minute)
                .operation_timeout(minute)
                .build(),
        );
    }
    let client = sdk::client_for(&loader.load().await);
    if std::env::var("REHEARSAL_PRECONNECT").as_deref() == Ok("1") {
        let refused = client
            .get_item()
            .table_name(&config.table)
            .key(
                "path",
                aws_sdk_dynamodb::types::AttributeValue::S(String::new()),
            )
            .send()
            .await;
        if refused.is_ok() {
            return Err("the pre-connect GetItem with an empty key was not refused".into());
        }
    }
    Ok(Counter::with_client(client, config))
}
