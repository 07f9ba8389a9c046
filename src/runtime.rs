//! The Runtime API loop around one [`Counter`], for the life of the sandbox: the bootstrap's
//! and the benchmark's rehearsal of AWS's path (bench/rehearse_aws_path.rs) alike.

use std::process::ExitCode;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

use crate::Counter;

/// Asks for events and answers them until the runtime stops, which is only ever on an error.
pub async fn serve(counter: Counter) -> ExitCode {
    // The counter lives as long as the sandbox.
    let counter: &'static Counter = Box::leak(Box::new(counter));
    let handler = service_fn(move |event: LambdaEvent<Box<RawValue>>| counter.invoke(event));
    // The event loop runs as a spawned task, not as `block_on`'s own future: tokio wakes a
    // task from its connections through the run queue, but `block_on`'s future through the
    // driver, an extra epoll_wait for every response.
    match tokio::spawn(lambda_runtime::run(handler)).await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("cloudresumecounter: runtime stopped: {err}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("cloudresumecounter: runtime task failed: {err}");
            ExitCode::FAILURE
        }
    }
}
