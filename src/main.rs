//! The Lambda `bootstrap`: logging, configuration and one SDK client at init, then the
//! Runtime API loop. Init makes no network call.

use std::process::ExitCode;

use cloudresumecounter::config::Config;
use cloudresumecounter::gateway::{self, HttpApiEvent};
use cloudresumecounter::{telemetry, Counter};
use lambda_http::{lambda_runtime, service_fn, Error, LambdaEvent};

// One event at a time per sandbox: a single-threaded runtime starts faster and uses less
// memory than a thread pool that would sit idle.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("cloudresumecounter: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    let counter = Counter::from_config(&config).await;
    let counter = &counter;
    let handler = service_fn(move |event: LambdaEvent<HttpApiEvent>| async move {
        let request = gateway::into_request(event.payload, event.context)?;
        Ok::<_, Error>(gateway::from_response(counter.handle(request).await))
    });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cloudresumecounter: runtime stopped: {err}");
            ExitCode::FAILURE
        }
    }
}
