//! The `bootstrap` binary itself, as Lambda starts it: the message and exit status of a
//! configuration it refuses, and, under the Runtime API emulator (tools/local/invoke.js)
//! against dynalite, a hit counted and logged with the settings the template deploys.

use std::process::{Command, Output};

use crate::common::{cannot_run_node, repo_root};
use serde_json::{json, Value};

const BOOTSTRAP: &str = env!("CARGO_BIN_EXE_bootstrap");

/// The binary run with exactly `vars` as its environment, and no Runtime API.
fn start_with(vars: &[(&str, &str)]) -> Output {
    Command::new(BOOTSTRAP)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("run the bootstrap")
}

/// Asserts that the binary refused to start with `vars`, saying `reason` on stderr.
fn refuses(vars: &[(&str, &str)], reason: &str) {
    let output = start_with(vars);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{vars:?}: {stderr}");
    assert!(
        stderr.contains(&format!("cloudresumecounter: cannot start: {reason}\n")),
        "{vars:?}: expected {reason:?} in:\n{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout: {output:?}");
}

#[test]
fn a_missing_or_empty_table_stops_init_saying_what_to_set() {
    for vars in [&[][..], &[("DYNAMODB_TABLE", "")]] {
        refuses(
            vars,
            "DYNAMODB_TABLE is not set: set it to the name of the counter table \
             (the SAM template does this for you)",
        );
    }
}

/// A bad value of each setting stops init with the message config.rs gives it.
#[test]
fn a_bad_setting_stops_init_naming_the_variable() {
    for (name, value, reason) in [
        (
            "COUNTER_COUNT_CRAWLERS",
            "yes",
            "COUNTER_COUNT_CRAWLERS is \"yes\": set it to true or false",
        ),
        (
            "COUNTER_ALLOWED_ORIGINS",
            "https://ada.example,resume.example.com",
            "COUNTER_ALLOWED_ORIGINS: \"resume.example.com\" is not an origin: no scheme \
             (https:// or http://); write each site as its address bar shows it, up to the host \
             and port (https://ada.example,https://www.ada.example)",
        ),
        (
            "COUNTER_MAX_PATH_BYTES",
            "2049",
            "COUNTER_MAX_PATH_BYTES is \"2049\": set it to a number of bytes from 1 to 2048 \
             (DynamoDB's key limit), or leave it empty for 256",
        ),
        (
            "COUNTER_REPEAT_WINDOW_SECONDS",
            "10m",
            "COUNTER_REPEAT_WINDOW_SECONDS is \"10m\": set it to a whole number of seconds \
             from 0 (off) to 86400",
        ),
        (
            "COUNTER_HITS_PER_ADDRESS",
            "0",
            "COUNTER_HITS_PER_ADDRESS is \"0\": set it to a whole number of hits from 1 to 255, \
             or leave it empty for 10",
        ),
    ] {
        refuses(&[("DYNAMODB_TABLE", "Hits"), (name, value)], reason);
    }
}

#[test]
fn an_unreadable_log_level_stops_init_before_it_logs() {
    refuses(
        &[
            ("DYNAMODB_TABLE", "Hits"),
            ("AWS_LAMBDA_LOG_LEVEL", "bogus"),
        ],
        "AWS_LAMBDA_LOG_LEVEL is \"bogus\": set it to TRACE, DEBUG, INFO, WARN, ERROR or FATAL",
    );
}

#[test]
fn each_allow_list_mistake_stops_init_saying_what_to_write() {
    for (list, reason) in [
        (
            " , ",
            "it names no path; leave it empty to count every path, or list paths such as \
             /,/index.html,/blog/*",
        ),
        (
            "/,/a*b",
            "\"/a*b\": `*` may only end an entry (a prefix, like /blog/*) or stand alone",
        ),
        (
            "/,/blog/ *",
            "\"/blog/ *\" can never match a page: it holds a blank; write the path as the \
             page's address bar shows it, decoded",
        ),
        (
            "/,/caf%C3%A9",
            "\"/caf%C3%A9\" can never match a page: it holds a %XX escape; write the path \
             decoded (/café, not /caf%C3%A9)",
        ),
        (
            "/,/\u{200b}blog",
            "\"/\\u{200b}blog\" can never match a page: it holds an invisible or look-alike \
             character, which paths may not",
        ),
    ] {
        refuses(
            &[("DYNAMODB_TABLE", "Hits"), ("COUNTER_ALLOWED_PATHS", list)],
            &format!("COUNTER_ALLOWED_PATHS: {reason}"),
        );
    }
    let long = format!("/,/{}", "a".repeat(2048));
    refuses(
        &[("DYNAMODB_TABLE", "Hits"), ("COUNTER_ALLOWED_PATHS", &long)],
        &format!(
            "COUNTER_ALLOWED_PATHS: \"/{}\" can never match a page: it is longer than a key \
             may be (2048 bytes)",
            "a".repeat(2048)
        ),
    );
}

/// What `make invoke`'s tool (tools/local/invoke.js) gives for each of the `events/` files
/// `names`, sent one after another with `vars` against one fresh data folder: the proxy results
/// it printed on stdout, and the function's JSON log lines from its stderr.
fn invoke(vars: &[(&str, &str)], names: &[&str]) -> (Vec<Value>, Vec<Value>) {
    let root = repo_root();
    let script = root.join("tools/local/invoke.js");
    let data = std::env::temp_dir().join(format!("counter-bootstrap-{}", std::process::id()));
    let (mut results, mut logs) = (Vec::new(), Vec::new());
    for name in names {
        let output = Command::new("node")
            .arg(&script)
            .arg(root.join("events").join(name))
            .env("BOOTSTRAP", BOOTSTRAP)
            .env("DEV_DATA_DIR", &data)
            .envs(vars.iter().copied())
            .output()
            .unwrap_or_else(|err| cannot_run_node(&script, err));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "invoke.js failed: {stderr}");
        results.push(
            serde_json::from_slice(&output.stdout).expect("invoke.js prints the proxy result"),
        );
        logs.extend(
            stderr
                .lines()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok()),
        );
    }
    std::fs::remove_dir_all(&data).ok();
    (results, logs)
}

fn body(result: &Value) -> Value {
    let text = result["body"]
        .as_str()
        .unwrap_or_else(|| panic!("{result}"));
    serde_json::from_str(text).unwrap()
}

/// The template's defaults: every optional setting empty, and crawlers not counted ("false").
#[test]
fn with_the_templates_defaults_the_binary_counts_a_visit_and_only_reads_for_a_crawler() {
    let (results, logs) = invoke(
        &[
            ("COUNTER_ALLOWED_PATHS", ""),
            ("COUNTER_COUNT_CRAWLERS", "false"),
        ],
        &["get-counter.json", "crawler-get.json"],
    );
    assert_eq!(results[0]["statusCode"], 200, "{results:?}");
    let (hit, read) = (body(&results[0]), body(&results[1]));
    assert_eq!(
        (&hit["counted"], &read["counted"]),
        (&json!(true), &json!(false))
    );
    // The read sees the hit: 1, or 2 if an attempt outlived the function's attempt timeout on a
    // busy machine and its retry counted again (no test may depend on a timeout not firing).
    assert!(hit["count"].as_u64().is_some_and(|n| n >= 1), "{hit}");
    assert_eq!(read["count"], hit["count"]);

    // One JSON line per request, written by the subscriber main installs.
    let messages: Vec<&str> = logs
        .iter()
        .filter_map(|line| line["message"].as_str())
        .collect();
    assert_eq!(messages, ["hit counted", "count read"], "{logs:#?}");
}
