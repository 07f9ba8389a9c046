//! Structured logs: one JSON object per line on stdout, as CloudWatch and Lambda's JSON log
//! format expect. Request content only ever appears as a JSON-escaped field value, so a
//! newline or a quote in a request can never start or shape a log line of its own.
//!
//! No level logs secrets: other crates' targets log at DEBUG at most, whatever level is
//! asked, because at TRACE lambda_runtime logs whole events (cookies, `Authorization`
//! headers, source IPs) and the SDK its signed requests. Our own target gets the level asked.

use std::fmt;

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

/// Lambda's application log level, set by the template's `ApplicationLogLevel`.
pub const LAMBDA_LEVEL_VAR: &str = "AWS_LAMBDA_LOG_LEVEL";
/// The Rust ecosystem's filter: `info`, or `target=level,...`.
pub const RUST_LOG_VAR: &str = "RUST_LOG";

/// A log level the function cannot read. It refuses to start rather than guess: a typo in
/// `ApplicationLogLevel` or `RUST_LOG` would otherwise log at a level nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelError {
    variable: &'static str,
    value: String,
}

impl fmt::Display for LevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = if self.variable == LAMBDA_LEVEL_VAR {
            "TRACE, DEBUG, INFO, WARN, ERROR or FATAL"
        } else {
            "a level (trace, debug, info, warn, error, off) or target=level pairs separated by commas"
        };
        write!(
            f,
            "{} is {:?}: set it to {expected}",
            self.variable, self.value
        )
    }
}

impl std::error::Error for LevelError {}

/// The filter, from `AWS_LAMBDA_LOG_LEVEL` (Lambda's application log level, which wins as it
/// does in the Rust runtime), else `RUST_LOG`, else `info`; other crates' targets capped at
/// [`THIRD_PARTY_CEILING`]. Empty means unset; a value set but unreadable is an error, even
/// in the variable that does not win, so no typo goes unnoticed.
pub fn filter_from(
    lambda_level: Option<&str>,
    rust_log: Option<&str>,
) -> Result<Targets, LevelError> {
    let is_set = |value: &&str| !value.is_empty();
    let lambda = lambda_level.filter(is_set).map(lambda_filter).transpose()?;
    let rust = rust_log.filter(is_set).map(rust_log_filter).transpose()?;
    let asked = lambda
        .or(rust)
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    Ok(capped(asked))
}

/// Lambda's levels (it sends them upper case), with FATAL, which tracing calls ERROR.
fn lambda_filter(value: &str) -> Result<Targets, LevelError> {
    let level = match value.trim().to_ascii_uppercase().as_str() {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => return Err(level_error(LAMBDA_LEVEL_VAR, value)),
    };
    Ok(Targets::new().with_default(level))
}

/// `RUST_LOG` as `level` or `target=level` directives separated by commas. Stricter than
/// tracing's own parser, which reads a lone word that is not a level as a target to log at
/// TRACE, and an empty level as ERROR: neither is what a person typing it meant.
fn rust_log_filter(value: &str) -> Result<Targets, LevelError> {
    let refused = || level_error(RUST_LOG_VAR, value);
    let mut directives = value
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .peekable();
    if directives.peek().is_none() {
        return Err(refused());
    }
    let mut targets = Targets::new();
    for directive in directives {
        targets = match directive.split_once('=') {
            None => targets.with_default(level_named(directive).ok_or_else(refused)?),
            Some((target, level)) => {
                let target = target.trim();
                let is_path = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-');
                if target.is_empty() || !target.chars().all(is_path) {
                    return Err(refused());
                }
                targets.with_target(target, level_named(level.trim()).ok_or_else(refused)?)
            }
        };
    }
    Ok(targets)
}

/// A level by name only: tracing also reads `""` as ERROR and digits as levels.
fn level_named(name: &str) -> Option<LevelFilter> {
    let is_word = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic());
    is_word.then(|| name.parse().ok()).flatten()
}

fn level_error(variable: &'static str, value: &str) -> LevelError {
    LevelError {
        variable,
        value: value.to_owned(),
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
    let lambda_level = std::env::var(LAMBDA_LEVEL_VAR).ok();
    let rust_log = std::env::var(RUST_LOG_VAR).ok();
    let filter = filter_from(lambda_level.as_deref(), rust_log.as_deref())?;
    // Fails only if a subscriber is already set, in which case that one keeps logging.
    let _ = tracing::subscriber::set_global_default(subscriber(filter, std::io::stdout));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn enables(filter: &Targets, level: Level) -> bool {
        filter.would_enable("cloudresumecounter", &level)
    }

    fn filter_from(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
        super::filter_from(lambda_level, rust_log).expect("a readable level")
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
    fn empty_means_unset() {
        let filter = filter_from(Some(""), Some(""));
        assert!(enables(&filter, Level::INFO));
        assert!(!enables(&filter, Level::DEBUG));
        assert!(enables(&filter_from(Some(""), Some("debug")), Level::DEBUG));
    }

    #[test]
    fn lambda_levels_are_read_in_any_case() {
        let filter = filter_from(Some(" debug "), None);
        assert!(enables(&filter, Level::DEBUG));
        assert!(!enables(&filter, Level::TRACE));
    }

    #[test]
    fn an_unreadable_lambda_level_is_refused_naming_the_variable() {
        for value in ["bogus", "OFF", "3", " ", "INFO,DEBUG"] {
            let err = super::filter_from(Some(value), None).unwrap_err();
            assert_eq!(err, level_error(LAMBDA_LEVEL_VAR, value));
            let message = err.to_string();
            assert!(message.starts_with("AWS_LAMBDA_LOG_LEVEL is "), "{message}");
            assert!(message.contains(&format!("{value:?}")), "{message}");
            // Lambda's own level names, which is what ApplicationLogLevel takes.
            assert!(
                message.ends_with("TRACE, DEBUG, INFO, WARN, ERROR or FATAL"),
                "{message}"
            );
        }
    }

    #[test]
    fn an_unreadable_rust_log_is_refused_naming_the_variable() {
        for value in [
            "nonsense_level",
            "cloudresumecounter",
            "info,hyper",
            "hyper=",
            "hyper=loud",
            "=debug",
            "5",
            " , ",
            "hyper[{uri}]=debug",
            "a=b=c",
        ] {
            let err = super::filter_from(None, Some(value)).unwrap_err();
            assert_eq!(err, level_error(RUST_LOG_VAR, value), "{value:?}");
            assert!(err.to_string().starts_with("RUST_LOG is "), "{err}");
            assert!(
                err.to_string()
                    .ends_with("target=level pairs separated by commas"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_bad_value_is_refused_even_where_the_other_variable_wins() {
        let err = super::filter_from(Some("INFO"), Some("nonsense_level")).unwrap_err();
        assert_eq!(err, level_error(RUST_LOG_VAR, "nonsense_level"));
    }

    #[test]
    fn rust_log_reads_levels_and_targets_in_any_case_with_blanks() {
        let filter = filter_from(None, Some(" WARN , cloudresumecounter = Debug ,"));
        assert!(enables(&filter, Level::DEBUG));
        assert!(filter.would_enable("aws_smithy_runtime", &Level::WARN));
        assert!(!filter.would_enable("aws_smithy_runtime", &Level::INFO));
        let off = filter_from(None, Some("off"));
        assert!(!enables(&off, Level::ERROR));
    }
}
