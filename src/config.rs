//! Environment → [`Config`], read and checked once at init.

use std::fmt;
use std::time::Duration;

use crate::allow_list::{AllowList, AllowListError};
use crate::repeat;
use crate::request::Policy;

/// Everything the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The DynamoDB table that holds one item per counted path.
    pub table: String,
    /// A DynamoDB endpoint other than AWS's own (dynalite, DynamoDB Local).
    pub endpoint: Option<String>,
    /// Which pages count, and whether crawlers do.
    pub policy: Policy,
    /// How long a client's hits on a page are remembered; `None` remembers none.
    pub repeat_window: Option<Duration>,
}

/// Why the function refuses to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    MissingTable,
    AllowList(AllowListError),
    CountCrawlers(String),
    RepeatWindow(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingTable => f.write_str(
                "DYNAMODB_TABLE is not set: set it to the name of the counter table \
                 (the SAM template does this for you)",
            ),
            ConfigError::AllowList(err) => write!(f, "{}: {err}", Config::ALLOWED_PATHS_VAR),
            ConfigError::CountCrawlers(value) => write!(
                f,
                "{} is {value:?}: set it to true or false",
                Config::COUNT_CRAWLERS_VAR
            ),
            ConfigError::RepeatWindow(value) => write!(
                f,
                "{} is {value:?}: set it to a whole number of seconds from 0 (off) to {}",
                Config::REPEAT_WINDOW_VAR,
                Config::MAX_REPEAT_WINDOW_SECS
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub const TABLE_VAR: &'static str = "DYNAMODB_TABLE";
    pub const ENDPOINT_VAR: &'static str = "DYNAMODB_ENDPOINT";
    pub const ALLOWED_PATHS_VAR: &'static str = "COUNTER_ALLOWED_PATHS";
    pub const COUNT_CRAWLERS_VAR: &'static str = "COUNTER_COUNT_CRAWLERS";
    pub const REPEAT_WINDOW_VAR: &'static str = "COUNTER_REPEAT_WINDOW_SECONDS";
    /// A day: counter.js already counts a browser once a day, so a longer window adds nothing.
    pub const MAX_REPEAT_WINDOW_SECS: u64 = 86_400;

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    /// An empty value counts as unset: the SAM template passes `""` for every optional setting.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let set = |name: &str| lookup(name).filter(|value| !value.is_empty());
        // A name or URL: surrounding blanks are a typo, and nothing but blanks is unset.
        let trimmed = |name: &str| {
            set(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };

        let table = trimmed(Self::TABLE_VAR).ok_or(ConfigError::MissingTable)?;
        let endpoint = trimmed(Self::ENDPOINT_VAR);
        // Set but blank (" , ") is refused by the parser: that list would stop every path.
        let allowed_paths = set(Self::ALLOWED_PATHS_VAR)
            .map(|value| AllowList::parse(&value))
            .transpose()
            .map_err(ConfigError::AllowList)?;
        let count_crawlers = match set(Self::COUNT_CRAWLERS_VAR) {
            None => false,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(ConfigError::CountCrawlers(value)),
            },
        };

        let repeat_window = match set(Self::REPEAT_WINDOW_VAR) {
            None => Some(repeat::DEFAULT_WINDOW),
            Some(value) => {
                let digits = value.trim();
                // Digits only: `parse` would also take a sign.
                let secs = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| digits.parse::<u64>().ok())
                    .flatten()
                    .filter(|secs| *secs <= Self::MAX_REPEAT_WINDOW_SECS)
                    .ok_or_else(|| ConfigError::RepeatWindow(value.clone()))?;
                (secs > 0).then(|| Duration::from_secs(secs))
            }
        };

        Ok(Config {
            table,
            endpoint,
            policy: Policy {
                allowed_paths,
                count_crawlers,
            },
            repeat_window,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn table_is_required() {
        assert_eq!(config_from(&[]), Err(ConfigError::MissingTable));
        assert_eq!(
            config_from(&[("DYNAMODB_TABLE", "  ")]),
            Err(ConfigError::MissingTable)
        );
    }

    #[test]
    fn missing_table_message_names_the_variable() {
        assert!(ConfigError::MissingTable
            .to_string()
            .contains("DYNAMODB_TABLE"));
    }

    #[test]
    fn empty_settings_mean_the_defaults() {
        let config = config_from(&[
            ("DYNAMODB_TABLE", "Hits"),
            ("DYNAMODB_ENDPOINT", ""),
            ("COUNTER_ALLOWED_PATHS", ""),
            ("COUNTER_COUNT_CRAWLERS", ""),
            ("COUNTER_REPEAT_WINDOW_SECONDS", ""),
        ])
        .unwrap();
        assert_eq!(config.table, "Hits");
        assert_eq!(config.endpoint, None);
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.repeat_window, Some(Duration::from_secs(600)));
    }

    #[test]
    fn the_repeat_window_is_seconds_and_0_turns_it_off() {
        let window = |value: &str| {
            config_from(&[
                ("DYNAMODB_TABLE", "Hits"),
                ("COUNTER_REPEAT_WINDOW_SECONDS", value),
            ])
            .map(|config| config.repeat_window)
        };
        assert_eq!(window("0"), Ok(None));
        assert_eq!(window(" 60 "), Ok(Some(Duration::from_secs(60))));
        assert_eq!(window("86400"), Ok(Some(Duration::from_secs(86_400))));
        for bad in [
            "-1",
            "1.5",
            "10m",
            "86401",
            "1e3",
            "+5",
            " ",
            "99999999999999999999",
        ] {
            let err = window(bad).unwrap_err();
            assert_eq!(err, ConfigError::RepeatWindow(bad.to_owned()), "{bad:?}");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("COUNTER_REPEAT_WINDOW_SECONDS is {bad:?}: ")),
                "{message}"
            );
            assert!(message.ends_with("from 0 (off) to 86400"), "{message}");
        }
    }

    #[test]
    fn a_list_of_only_blanks_and_commas_refuses_to_start() {
        for blank in [" ", " , ,", ","] {
            let err = config_from(&[("DYNAMODB_TABLE", "Hits"), ("COUNTER_ALLOWED_PATHS", blank)])
                .unwrap_err();
            assert_eq!(err, ConfigError::AllowList(AllowListError::NoEntries));
            assert!(
                err.to_string().starts_with("COUNTER_ALLOWED_PATHS: "),
                "{err}"
            );
        }
    }

    #[test]
    fn endpoint_paths_and_crawlers_are_read() {
        let config = config_from(&[
            ("DYNAMODB_TABLE", "Hits"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
            ("COUNTER_ALLOWED_PATHS", " /blog/* , /index.html,, "),
            ("COUNTER_COUNT_CRAWLERS", "TRUE"),
        ])
        .unwrap();
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        let allowed = config.policy.allowed_paths.unwrap();
        assert!(allowed.allows("/blog/x") && allowed.allows("/index.html"));
        assert!(!allowed.allows("/"));
        assert!(config.policy.count_crawlers);
    }

    #[test]
    fn count_crawlers_takes_only_true_or_false() {
        let err = config_from(&[
            ("DYNAMODB_TABLE", "Hits"),
            ("COUNTER_COUNT_CRAWLERS", "yes"),
        ])
        .unwrap_err();
        assert_eq!(err, ConfigError::CountCrawlers("yes".to_owned()));
        assert!(err.to_string().contains("COUNTER_COUNT_CRAWLERS"));
    }
}
