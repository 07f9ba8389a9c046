//! Structured logs: one JSON object per line on stdout, as CloudWatch and Lambda's JSON log
//! format expect. Request content only ever appears as a JSON-escaped field value, so a
//! newline or a quote in a request can never start or shape a log line of its own.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// The filter, from `AWS_LAMBDA_LOG_LEVEL` (Lambda's application log level, which wins as it
/// does in the Rust runtime), else `RUST_LOG` (`info`, or `target=level,...`), else `info`.
pub fn filter_from(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
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

/// A JSON-lines subscriber writing to `writer`; tests pass a buffer.
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
    tracing_subscriber::registry().with(json_lines).with(filter)
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
    fn nonsense_falls_back_to_info() {
        let filter = filter_from(Some("loud"), None);
        assert!(enables(&filter, Level::INFO));
        assert!(!enables(&filter, Level::DEBUG));
    }
}
