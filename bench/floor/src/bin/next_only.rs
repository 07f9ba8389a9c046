//! The emulator's floor for "init": a runtime that does nothing but ask for its first event.
//! bench.js spawns it exactly as it spawns a bootstrap, so spawn -> first GET /next of this
//! program is what the harness itself costs (Node's fork/exec, loopback, the emulator's event
//! loop), not any function's init.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return ExitCode::from(2);
    };
    let Ok(mut runtime) = TcpStream::connect(&api) else {
        return ExitCode::FAILURE;
    };
    let next = format!("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: {api}\r\n\r\n");
    if runtime.write_all(next.as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    let mut sink = [0; 4096];
    while matches!(runtime.read(&mut sink), Ok(n) if n > 0) {}
    ExitCode::SUCCESS
}
