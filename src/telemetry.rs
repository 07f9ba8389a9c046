//! Structured logs: one JSON object per line on stdout, as CloudWatch and Lambda's JSON log
//! format expect. Request content only ever appears as a JSON-escaped field value, so a
//! newline or a quote in a request can never start or shape a log line of its own.
//!
//! No level logs secrets: other crates' targets log at DEBUG at most, whatever level is
//! asked, because at TRACE lambda_runtime logs whole events (cookies, `Authorization`
//! headers, source IPs) and the SDK its signed requests. Our own target gets the level asked.

use tracing_subscriber::filter::{filter_fn, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// This crate's target; everything else is third-party.
const OUR_TARGET: &str = "cloudresumecounter";

/// The most any other crate's target may log.
const THIRD_PARTY_CEILING: LevelFilter = LevelFilter::DEBUG;

/// Where lambda_runtime logs a handler's error, without its request id. [`crate::Counter`]
/// logs our own line for it, with the id; with `panic = "abort"` a panic never gets here.
const RUNTIME_HANDLER_ERRORS: &str = "lambda_runtime::layers::panic";

/// The filter, from `AWS_LAMBDA_LOG_LEVEL` (Lambda's application log level, which wins as it
/// does in the Rust runtime), else `RUST_LOG` (`info`, or `target=level,...`), else `info`;
/// other crates' targets capped at [`THIRD_PARTY_CEILING`].
pub fn filter_from(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    capped(asked(lambda_level, rust_log))
}

/// The level asked for, before the ceiling.
fn asked(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    let default = Targets::new().with_default(LevelFilter::INFO);
    match (lambda_level, rust_log) {
        // Lambda's levels are upper case and include FATAL, which tracing calls ERROR.
        (Some(level), _) => match level.trim().to_ascii_lowercase().as_str() {
            "fatal" => Targets::new().with_default(LevelFilter::ERROR),
            other => other
                .parse::<LevelFilter>()
                .map_or(default, |level| Targets::new().with_default(level)),
        },
        (None, Some(spec)) => spec.parse().unwrap_or(default),
        (None, None) => default,
    }
}

fn is_ours(target: &str) -> bool {
    target == OUR_TARGET || target.starts_with("cloudresumecounter::")
}

/// `asked`, with every other crate's target at [`THIRD_PARTY_CEILING`] at most.
fn capped(asked: Targets) -> Targets {
    let default = asked.default_level().unwrap_or(LevelFilter::OFF);
    let mut capped = Targets::new()
        .with_default(default.min(THIRD_PARTY_CEILING))
        .with_target(RUNTIME_HANDLER_ERRORS, LevelFilter::OFF);
    if !asked.iter().any(|(target, _)| is_ours(target)) {
        capped = capped.with_target(OUR_TARGET, default);
    }
    for (target, level) in asked.iter() {
        if target == RUNTIME_HANDLER_ERRORS {
            continue;
        }
        let level = if is_ours(target) {
            level
        } else {
            level.min(THIRD_PARTY_CEILING)
        };
        capped = capped.with_target(target, level);
    }
    capped
}

/// A JSON-lines subscriber writing to `writer`; tests pass a buffer.
///
/// Events only: a line never shows spans, so none is recorded. lambda_runtime opens an INFO
/// span per invocation, which the registry would store and the JSON layer format for nothing
/// (about 10 k instructions per warm invocation, 1.6%, measured with bench/instructions.js).
pub fn subscriber<W>(filter: Targets, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let json_lines = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_writer(writer);
    tracing_subscriber::registry()
        .with(json_lines)
        .with(filter)
        .with(filter_fn(|metadata| metadata.is_event()))
}

/// Installs the process-wide subscriber from the environment. Call once, first thing.
pub fn init() {
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = filter_from(lambda_level.as_deref(), rust_log.as_deref());
    // Fails only if a subscriber is already set, in which case that one keeps logging.
    let _ = tracing::subscriber::set_global_default(subscriber(filter, std::io::stdout));
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn enables(filter: &Targets, level: Level) -> bool {
        filter.would_enable("cloudresumecounter", &level)
    }

    #[test]
    fn defaults_to_info() {
        let filter = filter_from(None, None);
        assert!(enables(&filter, Level::INFO));
        assert!(!enables(&filter, Level::DEBUG));
    }

    #[test]
    fn lambda_level_wins_over_rust_log() {
        let filter = filter_from(Some("WARN"), Some("debug"));
        assert!(enables(&filter, Level::WARN));
        assert!(!enables(&filter, Level::INFO));
        let fatal = filter_from(Some("FATAL"), None);
        assert!(enables(&fatal, Level::ERROR));
        assert!(!enables(&fatal, Level::WARN));
    }

    #[test]
    fn rust_log_takes_targets() {
        let filter = filter_from(None, Some("warn,cloudresumecounter=debug"));
        assert!(enables(&filter, Level::DEBUG));
        assert!(!filter.would_enable("aws_smithy_runtime", &Level::INFO));
    }

    #[test]
    fn other_crates_never_log_above_debug() {
        for filter in [
            filter_from(Some("TRACE"), None),
            filter_from(None, Some("trace")),
            filter_from(
                None,
                Some("lambda_runtime=trace,aws_smithy_runtime=trace,hyper=trace"),
            ),
        ] {
            for target in [
                "lambda_runtime::layers::api_response",
                "aws_smithy_runtime",
                "hyper",
            ] {
                assert!(!filter.would_enable(target, &Level::TRACE), "{target}");
            }
        }
        let trace = filter_from(Some("TRACE"), None);
        assert!(trace.would_enable("lambda_runtime", &Level::DEBUG));
        assert!(trace.would_enable("cloudresumecounter", &Level::TRACE));
        assert!(trace.would_enable("cloudresumecounter::store", &Level::TRACE));
        let ours = filter_from(None, Some("warn,cloudresumecounter::store=trace"));
        assert!(ours.would_enable("cloudresumecounter::store", &Level::TRACE));
        assert!(!ours.would_enable("cloudresumecounter", &Level::INFO));
    }

    #[test]
    fn the_runtimes_handler_error_line_gives_way_to_ours() {
        for filter in [filter_from(None, None), filter_from(Some("TRACE"), None)] {
            assert!(!filter.would_enable("lambda_runtime::layers::panic", &Level::ERROR));
            assert!(filter.would_enable("lambda_runtime::layers::api_client", &Level::ERROR));
        }
    }

    #[test]
    fn nonsense_falls_back_to_info() {
        let filter = filter_from(Some("loud"), None);
        assert!(enables(&filter, Level::INFO));
        assert!(!enables(&filter, Level::DEBUG));
    }
}
