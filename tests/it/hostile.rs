//! Hostile input, generated: arbitrary query strings, percent-encodings, methods and event
//! shapes never panic, always answer 200 with an integer `count` or a 4xx JSON error, a
//! refused request never writes, and any key that does reach DynamoDB obeys every rule.

use crate::common::{
    body_json, body_text, event_json, header, request_from_json, Dynamo, REQUEST_ID,
};
use cloudresumecounter::badge::Badge;
use cloudresumecounter::key::{is_unreadable, DEFAULT_MAX_PATH_BYTES};
use cloudresumecounter::query::{Format, Query, QueryError};
use cloudresumecounter::request::{Policy, Request};
use cloudresumecounter::response::{self, Response};
use proptest::prelude::*;
use serde_json::Value;

/// `request`'s answer from a counter on `dynamo`, which notes every key it is asked about.
fn handle(dynamo: &Dynamo, request: Request) -> Response {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(
            dynamo
                .counter(Policy::default())
                .handle(&request, REQUEST_ID),
        )
}

/// The promise every answer keeps, whatever came in.
fn assert_contract(dynamo: &Dynamo, response: &Response) -> Result<(), TestCaseError> {
    let status = response.status().as_u16();
    let (writes, reads) = dynamo.calls();
    let calls = (writes.len(), reads.len());
    let keys = [writes, reads].concat();
    if header(response, "content-type") == Some("image/svg+xml") {
        prop_assert_eq!(status, 200);
        prop_assert!(calls == (1, 0) || calls == (0, 1), "one write or one read");
        // Only the digits vary: nothing else from the request reaches the image.
        let skeleton = |svg: &str| svg.replace(|c: char| c.is_ascii_digit(), "");
        let empty = response::count(0, true, Format::Svg(Badge::default()));
        prop_assert_eq!(skeleton(body_text(response)), skeleton(body_text(&empty)));
        return assert_key_obeys_the_rules(&keys[0]);
    }
    let body: Value = body_json(response);
    match status {
        200 => {
            prop_assert!(body["count"].is_u64(), "count must be an integer: {body}");
            let counted = body["counted"].as_bool();
            prop_assert!(counted.is_some(), "counted must be a boolean: {body}");
            let expected = if counted == Some(true) {
                (1, 0)
            } else {
                (0, 1)
            };
            prop_assert_eq!(calls, expected, "one write if counted, else one read");
            assert_key_obeys_the_rules(&keys[0])?;
        }
        400..=499 => {
            prop_assert!(
                body["error"].is_string() && body["message"].is_string(),
                "{body}"
            );
            prop_assert_eq!(calls, (0, 0), "a refused request wrote or read");
        }
        other => prop_assert!(false, "unexpected status {other}: {body}"),
    }
    Ok(())
}

/// What DynamoDB may be asked about: a key of 1 byte up to the default cap (256, under
/// DynamoDB's 2048), nothing unreadable in it.
fn assert_key_obeys_the_rules(key: &str) -> Result<(), TestCaseError> {
    prop_assert!(!key.is_empty() && key.len() <= DEFAULT_MAX_PATH_BYTES);
    prop_assert!(!key.chars().any(is_unreadable), "{key:?}");
    Ok(())
}

fn base_event() -> Value {
    event_json("get-counter.json")
}

/// Query strings from the characters that matter: separators, escapes (valid, truncated,
/// invalid UTF-8), control bytes, multi-byte text, and the parameter name itself.
fn raw_query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("path".to_owned()),
        Just("p%61th".to_owned()),
        Just("increment".to_owned()),
        Just("%69ncrement".to_owned()),
        Just("false".to_owned()),
        Just("f%61lse".to_owned()),
        Just("format".to_owned()),
        Just("svg".to_owned()),
        Just("json".to_owned()),
        Just("sv%67".to_owned()),
        Just("true".to_owned()),
        Just("PATH".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just("+".to_owned()),
        Just("%".to_owned()),
        "%[0-9A-Fa-f]{2}",
        "%[0-9A-Fa-f]?",
        "%(C2|E2%82|F0%9F%93)%[0-9A-F]{2}",
        "[a-z/._~-]{1,8}",
        "[\\x00-\\x1f\\x7f]",
        "[€é📄\u{85}\u{2028}\u{feff}\u{202e}\u{200b}]",
        "%E2%80%(AE|8B|A8|A9)",
        "(%E2%82%AC){600,700}",
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_query_string_keeps_the_contract(raw in raw_query()) {
        let mut event = base_event();
        event["rawQueryString"] = Value::String(raw);
        event.as_object_mut().unwrap().remove("queryStringParameters");
        let dynamo = Dynamo::new();
        let response = handle(&dynamo, request_from_json(&event.to_string()));
        assert_contract(&dynamo, &response)?;
    }

    /// The one-pass reader against the rules written the plain way: it must read every query
    /// exactly as the oracle does.
    #[test]
    fn the_query_reads_as_the_oracle_does(raw in raw_query()) {
        prop_assert_eq!(Query::parse(&raw), oracle_query(&raw));
    }

    #[test]
    fn any_method_but_get_is_refused(method in "[A-Z]{1,10}|get|Get|[a-z-]{1,6}") {
        let mut event = base_event();
        event["requestContext"]["http"]["method"] = Value::String(method.clone());
        let dynamo = Dynamo::new();
        let response = handle(&dynamo, request_from_json(&event.to_string()));
        assert_contract(&dynamo, &response)?;
        prop_assert_eq!(response.status() == 200, method == "GET");
    }

    /// Event shapes beyond what the gateway sends today: parameters only in the parsed
    /// map (no raw query), hostile Host and X-Forwarded-Proto headers, odd stages, bodies
    /// that are not valid base64, any User-Agent or none. lambda_http's own conversion
    /// panics on several of these.
    #[test]
    fn any_event_shape_keeps_the_contract(
        drop_raw in any::<bool>(),
        params in proptest::collection::btree_map("path|utm|p", ".{0,12}", 0..3),
        host in "[ -~]{0,20}",
        proto in "[ -~]{0,8}",
        stage in proptest::option::of(".{0,8}"),
        raw_path in ".{0,12}",
        body in proptest::option::of(".{0,40}"),
        base64 in any::<bool>(),
        user_agent in proptest::option::of(prop_oneof![
            ".{0,60}",
            "(Mozilla/5.0 \\(compatible; )?(Googlebot|bingbot|curl|Wget|HTTPie)/[0-9.]{1,6}",
        ]),
    ) {
        let mut event = base_event();
        if drop_raw {
            event.as_object_mut().unwrap().remove("rawQueryString");
        }
        event["queryStringParameters"] = serde_json::to_value(&params).unwrap();
        event["headers"]["host"] = Value::String(host);
        event["headers"]["x-forwarded-proto"] = Value::String(proto);
        event["requestContext"]["stage"] = serde_json::to_value(stage).unwrap();
        event["rawPath"] = Value::String(raw_path);
        if let Some(body) = body {
            event["body"] = Value::String(body);
        }
        event["isBase64Encoded"] = Value::Bool(base64);
        event["requestContext"]["http"]["userAgent"] = serde_json::to_value(user_agent).unwrap();
        let dynamo = Dynamo::new();
        let response = handle(&dynamo, request_from_json(&event.to_string()));
        assert_contract(&dynamo, &response)?;
    }
}

/// The query rules the plain way: every name and value decoded in full by the decoder the
/// function shipped with before it used percent-encoding, then read from left to right.
fn oracle_query(raw_query: &str) -> Result<Query, QueryError> {
    let mut path = None;
    let mut increment = None;
    let mut format = None;
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = String::from_utf8(oracle_decode(raw_name));
        let value = String::from_utf8(oracle_decode(raw_value));
        match name.as_deref() {
            Ok("path") if path.is_some() => return Err(QueryError::AmbiguousPath),
            Ok("path") => path = Some(value.map_err(|_| QueryError::InvalidEncoding)?),
            Ok("increment") => {
                increment = match (increment, value.as_deref()) {
                    (None, Ok("true")) => Some(true),
                    (None, Ok("false")) => Some(false),
                    _ => return Err(QueryError::InvalidIncrement),
                }
            }
            Ok("format") => {
                format = match (format, value.as_deref()) {
                    (None, Ok("json")) => Some(Format::Json),
                    (None, Ok("svg")) => Some(Format::Svg(Badge::default())),
                    _ => return Err(QueryError::InvalidFormat),
                }
            }
            _ => {}
        }
    }
    Ok(Query {
        path: path.ok_or(QueryError::MissingPath)?,
        increment: increment.unwrap_or(true),
        format: format.unwrap_or(Format::Json),
    })
}

fn oracle_decode(input: &str) -> Vec<u8> {
    let hex = |byte: Option<&u8>| (*byte? as char).to_digit(16).map(|digit| digit as u8);
    let bytes = input.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => decoded.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    decoded.push(high << 4 | low);
                    i += 2;
                }
                _ => decoded.push(b'%'),
            },
            byte => decoded.push(byte),
        }
        i += 1;
    }
    decoded
}
