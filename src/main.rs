//! The Lambda `bootstrap`: logging, configuration and one SDK client at init, then the
//! Runtime API loop. Init makes no network call.

use std::process::ExitCode;

use cloudresumecounter::config::Config;
use cloudresumecounter::{runtime, telemetry, Counter};

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
    runtime::serve(Counter::from_config(config).await).await
}

/// Everything read from the environment at init; an error names the variable to fix.
fn logging_then_config() -> Result<Config, Box<dyn std::error::Error>> {
    telemetry::init()?;
    Ok(Config::from_env()?)
}
