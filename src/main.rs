//! The Lambda `bootstrap`: logging, configuration and one SDK client at init, then the
//! Runtime API loop. Init makes no network call.

use std::process::ExitCode;

use cloudresumecounter::config::Config;
use cloudresumecounter::{telemetry, Counter};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

// One event at a time per sandbox: a single-threaded runtime starts faster and uses less
// memory than a thread pool that would sit idle.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match logging_then_config() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("cloudresumecounter: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    // The counter lives as long as the sandbox.
    let counter: &'static Counter = Box::leak(Box::new(Counter::from_config(&config).await));
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

/// Everything read from the environment at init; an error names the variable to fix.
fn logging_then_config() -> Result<Config, Box<dyn std::error::Error>> {
    telemetry::init()?;
    Ok(Config::from_env()?)
}
