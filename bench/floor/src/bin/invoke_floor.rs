//! The harness's floor for "CPU per invocation": a runtime that makes the same exchanges a
//! counter must make, with the same bytes on the wire and nothing else. Per invocation it
//!   1. GETs the next event from the Runtime API (keep-alive) and reads all of it;
//!   2. POSTs the UpdateItem the SDK sends to DYNAMODB_ENDPOINT (keep-alive), headers of the
//!      same size included, and reads the new count from the answer;
//!   3. writes one JSON log line of the usual size to stdout;
//!   4. POSTs the proxy response and reads the 202.
//!
//! It validates nothing, signs nothing (dynalite checks the Authorization header's form, not
//! its signature) and always counts /index.html, the path of events/get-counter.json. Blocking
//! sockets, one write per request, no event loop: its CPU time is the kernel's loopback and
//! scheduling work for these exchanges, plus as little user-space work as they allow.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

/// The SDK's request, byte for byte in size (858 + 171 bytes); only the signature is made up.
fn update_item(table: &str, host: &str) -> Vec<u8> {
    let body = format!(
        "{{\"TableName\":\"{table}\",\"Key\":{{\"path\":{{\"S\":\"/index.html\"}}}},\
         \"ReturnValues\":\"UPDATED_NEW\",\"UpdateExpression\":\"ADD hits :inc\",\
         \"ExpressionAttributeValues\":{{\":inc\":{{\"N\":\"1\"}}}}}}"
    );
    let sdk = "aws-sdk-rust/1.7.0 ua/2.1 api/dynamodb/1.136.0 os/linux lang/rust/1.95.0 m/E,N,P,g \
               md/http#hyper-1.x";
    let head = format!(
        "POST / HTTP/1.1\r\ncontent-type: application/x-amz-json-1.0\r\n\
         x-amz-target: DynamoDB_20120810.UpdateItem\r\ncontent-length: {}\r\n\
         user-agent: {sdk}\r\nx-amz-user-agent: {sdk}\r\n\
         x-amzn-trace-id: Root=1-6b0a5146-de99322529c74a0ff67a4dd8;Parent=02bfbef33b4fca14;Sampled=0\r\n\
         x-amz-date: 20261128T035758Z\r\n\
         authorization: AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/dynamodb/aws4_request, \
         SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent, \
         Signature=1338c81c0a06dec5be945ec78ecd611808fa3688a03191a7799f2afb43094510\r\n\
         amz-sdk-request: attempt=1; max=3\r\n\
         amz-sdk-invocation-id: 069fab1a-f0cf-4b6b-a89e-bd6abd9d6425\r\nhost: {host}\r\n\r\n",
        body.len()
    );
    [head.into_bytes(), body.into_bytes()].concat()
}

/// A keep-alive HTTP/1.1 connection that reads whole responses.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// `host:port`, or `http://host:port`, without Nagle's delay.
    fn dial(address: &str) -> Option<Conn> {
        let stream = TcpStream::connect(authority(address)).ok()?;
        stream.set_nodelay(true).ok()?;
        Some(Conn {
            stream,
            buf: Vec::with_capacity(65536),
        })
    }

    /// Sends `request`, then reads one response (head and `content-length` body); returns the
    /// head and the body.
    fn exchange(&mut self, request: &[u8]) -> Option<(String, String)> {
        self.stream.write_all(request).ok()?;
        self.buf.clear();
        let mut chunk = [0; 65536];
        loop {
            let got = self.stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
            self.buf.extend_from_slice(&chunk[..got]);
            let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            let length = header(&head, "content-length").map_or(Some(0), |v| v.parse().ok())?;
            if self.buf.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&self.buf[end + 4..end + 4 + length]);
                return Some((head, body.into_owned()));
            }
        }
    }
}

fn authority(address: &str) -> &str {
    address.split_once("://").map_or(address, |(_, rest)| rest)
}

/// A header's value in a response's head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

fn main() -> ExitCode {
    let var = |name| std::env::var(name).ok();
    let (Some(api), Some(endpoint), Some(table)) = (
        var("AWS_LAMBDA_RUNTIME_API"),
        var("DYNAMODB_ENDPOINT"),
        var("DYNAMODB_TABLE"),
    ) else {
        return ExitCode::from(2);
    };
    match serve(&api, &endpoint, &table) {
        Some(()) => ExitCode::SUCCESS,
        None => ExitCode::FAILURE,
    }
}

fn serve(api: &str, endpoint: &str, table: &str) -> Option<()> {
    let (mut runtime, mut dynamo) = (Conn::dial(api)?, Conn::dial(endpoint)?);
    let next = format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: {api}\r\n\r\n");
    let update = update_item(table, authority(endpoint));
    let mut stdout = std::io::stdout().lock();
    loop {
        // 1. the next event
        let (head, _) = runtime.exchange(next.as_bytes())?;
        let request_id = header(&head, "lambda-runtime-aws-request-id")?.to_owned();

        // 2. the UpdateItem
        let (_, answer) = dynamo.exchange(&update)?;
        let hits = answer.split_once("\"hits\":{\"N\":\"")?.1;
        let count: u64 = hits[..hits.find('"')?].parse().ok()?;

        // 3. the log line
        writeln!(
            stdout,
            "{{\"timestamp\":\"2026-11-28T03:57:58.734913Z\",\"level\":\"INFO\",\
             \"message\":\"hit counted\",\"request_id\":\"{request_id}\",\"status\":200,\
             \"latency_ms\":4.087447,\"count\":{count},\"path\":\"/index.html\"}}"
        )
        .ok()?;
        stdout.flush().ok()?;

        // 4. the response
        let reply = format!(
            "{{\"statusCode\":200,\"headers\":{{\"content-type\":\"application/json\",\
             \"cache-control\":\"no-store\"}},\"multiValueHeaders\":{{}},\
             \"body\":\"{{\\\"count\\\":{count}}}\",\"isBase64Encoded\":false,\"cookies\":[]}}"
        );
        let post = format!(
            "POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\n\
             user-agent: aws-lambda-rust/1.1.1\r\nhost: {api}\r\ncontent-length: {}\r\n\r\n{reply}",
            reply.len()
        );
        runtime.exchange(post.as_bytes())?;
    }
}
