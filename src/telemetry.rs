//! Structured logs: one JSON object per line on stdout, as CloudWatch and Lambda's JSON log
//! format expect. Request content only ever appears as a JSON-escaped field value, so a
//! newline or a quote in a request can never start or shape a log line of its own.
//!
//! The level is Lambda's application log level (`AWS_LAMBDA_LOG_LEVEL`, which the template's
//! `ApplicationLogLevel` sets), INFO when unset. Other crates' targets log at DEBUG at most,
//! whatever level is asked: at TRACE lambda_runtime logs whole events (cookies, source IPs)
//! and the SDK its signed requests.

use std::fmt;

use tracing::Level;
use tracing_subscriber::filter::{filter_fn, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Lambda's application log level.
pub const LEVEL_VAR: &str = "AWS_LAMBDA_LOG_LEVEL";

/// The most any other crate's target may log.
const THIRD_PARTY_CEILING: LevelFilter = LevelFilter::DEBUG;

/// A log level the function cannot read. It refuses to start rather than guess: a typo in
/// `ApplicationLogLevel` would otherwise log at a level nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelError(String);

impl fmt::Display for LevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{LEVEL_VAR} is {:?}: set it to TRACE, DEBUG, INFO, WARN, ERROR or FATAL",
            self.0
        )
    }
}

impl std::error::Error for LevelError {}

/// The filter for `AWS_LAMBDA_LOG_LEVEL`'s value: our target at that level (INFO when unset
/// or empty), every other one at [`THIRD_PARTY_CEILING`] at most.
pub fn filter_from(level: Option<&str>) -> Result<Targets, LevelError> {
    let ours = match level {
        None | Some("") => Level::INFO,
        Some(value) => lambda_level(value).ok_or_else(|| LevelError(value.to_owned()))?,
    };
    let ours = LevelFilter::from_level(ours);
    Ok(Targets::new()
        .with_default(ours.min(THIRD_PARTY_CEILING))
        .with_target(env!("CARGO_CRATE_NAME"), ours))
}

/// Lambda's level names, in any case: tracing's, and FATAL, which tracing calls ERROR.
/// Names only: tracing's parser also reads digits, which Lambda never sends.
fn lambda_level(value: &str) -> Option<Level> {
    let name = value.trim();
    if name.eq_ignore_ascii_case("FATAL") {
        return Some(Level::ERROR);
    }
    let is_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic());
    is_name.then(|| name.parse().ok()).flatten()
}

/// A JSON-lines subscriber writing to `writer`; tests pass a buffer.
///
/// Events only: a line never shows spans, so none is recorded. lambda_runtime opens an INFO
/// span per invocation, which the registry would store and the JSON layer format for nothing
/// (bench/README.md, "Levers", has the cost).
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

/// Installs the process-wide subscriber from the environment. Call once, first thing; an
/// error means the function must not start.
pub fn init() -> Result<(), LevelError> {
    let filter = filter_from(std::env::var(LEVEL_VAR).ok().as_deref())?;
    // Fails only if a subscriber is already set, in which case that one keeps logging.
    let _ = tracing::subscriber::set_global_default(subscriber(filter, std::io::stdout));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(level: Option<&str>) -> Targets {
        filter_from(level).expect("a readable level")
    }

    #[test]
    fn our_target_gets_the_level_asked_in_any_case_and_info_by_default() {
        for (asked, enabled, disabled) in [
            (None, Level::INFO, Level::DEBUG),
            (Some(""), Level::INFO, Level::DEBUG),
            (Some(" debug "), Level::DEBUG, Level::TRACE),
            (Some("WARN"), Level::WARN, Level::INFO),
            (Some("FATAL"), Level::ERROR, Level::WARN),
        ] {
            let filter = filter(asked);
            for target in ["cloudresumecounter", "cloudresumecounter::store"] {
                assert!(filter.would_enable(target, &enabled), "{asked:?} {target}");
                assert!(
                    !filter.would_enable(target, &disabled),
                    "{asked:?} {target}"
                );
            }
        }
    }

    #[test]
    fn other_crates_never_log_above_debug() {
        let trace = filter(Some("TRACE"));
        assert!(trace.would_enable("cloudresumecounter", &Level::TRACE));
        for target in ["lambda_runtime", "aws_smithy_runtime", "hyper"] {
            assert!(trace.would_enable(target, &Level::DEBUG), "{target}");
            assert!(!trace.would_enable(target, &Level::TRACE), "{target}");
        }
        // Below the ceiling, they follow the level asked.
        assert!(!filter(Some("WARN")).would_enable("hyper", &Level::INFO));
    }

    #[test]
    fn an_unreadable_level_is_refused_naming_the_variable() {
        for value in ["bogus", "OFF", "3", " ", "INFO,DEBUG"] {
            let err = filter_from(Some(value)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "AWS_LAMBDA_LOG_LEVEL is {value:?}: \
                     set it to TRACE, DEBUG, INFO, WARN, ERROR or FATAL"
                )
            );
        }
    }
}
