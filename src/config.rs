//! Environment → [`Config`], read and checked once at init.

use std::fmt;
use std::num::NonZeroU8;
use std::time::Duration;

use crate::allow_list::{AllowList, AllowListError};
use crate::key::{DEFAULT_MAX_PATH_BYTES, MAX_PATH_BYTES};
use crate::origin::{AllowedOrigins, OriginError};
use crate::repeat;
use crate::request::Policy;

/// Everything the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The DynamoDB table that holds one item per counted path.
    pub table: String,
    /// A DynamoDB endpoint other than AWS's own (dynalite, DynamoDB Local).
    pub endpoint: Option<String>,
    /// Which pages count, how long a path may be, whether crawlers count, and from which sites.
    pub policy: Policy,
    /// How long a client's hits on a page are remembered; `None` remembers none.
    pub repeat_window: Option<Duration>,
    /// The most hits one address adds to a page within that window.
    pub address_ceiling: NonZeroU8,
}

/// Why the function refuses to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    MissingTable,
    AllowList(AllowListError),
    CountCrawlers(String),
    AllowedOrigins(OriginError),
    MaxPathBytes(String),
    RepeatWindow(String),
    AddressCeiling(String),
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
            ConfigError::AllowedOrigins(err) => {
                write!(f, "{}: {err}", Config::ALLOWED_ORIGINS_VAR)
            }
            ConfigError::MaxPathBytes(value) => write!(
                f,
                "{} is {value:?}: set it to a number of bytes from 1 to {MAX_PATH_BYTES} \
                 (DynamoDB's key limit), or leave it empty for {DEFAULT_MAX_PATH_BYTES}",
                Config::MAX_PATH_BYTES_VAR
            ),
            ConfigError::RepeatWindow(value) => write!(
                f,
                "{} is {value:?}: set it to a whole number of seconds from 0 (off) to {}",
                Config::REPEAT_WINDOW_VAR,
                Config::MAX_REPEAT_WINDOW_SECS
            ),
            ConfigError::AddressCeiling(value) => write!(
                f,
                "{} is {value:?}: set it to a whole number of hits from 1 to {}, or leave it \
                 empty for {}",
                Config::HITS_PER_ADDRESS_VAR,
                u8::MAX,
                repeat::DEFAULT_ADDRESS_CEILING
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
    pub const ALLOWED_ORIGINS_VAR: &'static str = "COUNTER_ALLOWED_ORIGINS";
    pub const MAX_PATH_BYTES_VAR: &'static str = "COUNTER_MAX_PATH_BYTES";
    pub const REPEAT_WINDOW_VAR: &'static str = "COUNTER_REPEAT_WINDOW_SECONDS";
    /// A day: counter.js already counts a browser once a day, so a longer window adds nothing.
    pub const MAX_REPEAT_WINDOW_SECS: u64 = 86_400;
    pub const HITS_PER_ADDRESS_VAR: &'static str = "COUNTER_HITS_PER_ADDRESS";

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
        let max_path_bytes = match set(Self::MAX_PATH_BYTES_VAR) {
            None => DEFAULT_MAX_PATH_BYTES,
            Some(value) => match value.trim().parse::<usize>() {
                Ok(bytes @ 1..=MAX_PATH_BYTES) => bytes,
                _ => return Err(ConfigError::MaxPathBytes(value)),
            },
        };
        // Set but blank (" , ") is refused by the parser: that list would stop every path.
        let allowed_paths = set(Self::ALLOWED_PATHS_VAR)
            .map(|value| AllowList::parse(&value))
            .transpose()
            .map_err(ConfigError::AllowList)?;
        if let Some(entry) = allowed_paths
            .as_ref()
            .and_then(|allowed| allowed.entry_longer_than(max_path_bytes))
        {
            return Err(ConfigError::AllowList(AllowListError::NeverMatches {
                entry,
                why: "it is longer than COUNTER_MAX_PATH_BYTES lets a path be",
            }));
        }
        let count_crawlers = match set(Self::COUNT_CRAWLERS_VAR) {
            None => false,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(ConfigError::CountCrawlers(value)),
            },
        };

        // Taken as written: the template gives the gateway's CORS the same text.
        let allowed_origins = set(Self::ALLOWED_ORIGINS_VAR)
            .map(|value| AllowedOrigins::parse(&value))
            .transpose()
            .map_err(ConfigError::AllowedOrigins)?;
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
        let address_ceiling = match set(Self::HITS_PER_ADDRESS_VAR) {
            None => repeat::DEFAULT_ADDRESS_CEILING,
            // `parse` would take a sign: "+5" is refused as a typo, like the window's.
            Some(value) => Some(value.trim())
                .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|digits| digits.parse::<NonZeroU8>().ok())
                .ok_or_else(|| ConfigError::AddressCeiling(value.clone()))?,
        };

        Ok(Config {
            table,
            endpoint,
            policy: Policy {
                allowed_paths,
                count_crawlers,
                allowed_origins,
                max_path_bytes,
            },
            repeat_window,
            address_ceiling,
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

    /// The config with a table and `name` set to `value`.
    fn with(name: &str, value: &str) -> Result<Config, ConfigError> {
        config_from(&[("DYNAMODB_TABLE", "Hits"), (name, value)])
    }

    #[test]
    fn table_is_required() {
        assert_eq!(config_from(&[]), Err(ConfigError::MissingTable));
        let blank = config_from(&[("DYNAMODB_TABLE", "  ")]);
        assert_eq!(blank, Err(ConfigError::MissingTable));
    }

    #[test]
    fn empty_settings_mean_the_defaults() {
        let config = config_from(&[
            ("DYNAMODB_TABLE", "Hits"),
            ("DYNAMODB_ENDPOINT", ""),
            ("COUNTER_ALLOWED_PATHS", ""),
            ("COUNTER_COUNT_CRAWLERS", ""),
            ("COUNTER_ALLOWED_ORIGINS", ""),
            ("COUNTER_MAX_PATH_BYTES", ""),
            ("COUNTER_REPEAT_WINDOW_SECONDS", ""),
            ("COUNTER_HITS_PER_ADDRESS", ""),
        ])
        .unwrap();
        assert_eq!(config.table, "Hits");
        assert_eq!(config.endpoint, None);
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.repeat_window, Some(Duration::from_secs(600)));
        assert_eq!(config.address_ceiling.get(), 10);
    }

    #[test]
    fn hits_per_address_is_a_number_from_1_to_255() {
        let ceiling =
            |value: &str| with("COUNTER_HITS_PER_ADDRESS", value).map(|c| c.address_ceiling.get());
        assert_eq!(ceiling("1"), Ok(1));
        assert_eq!(ceiling(" 20 "), Ok(20));
        assert_eq!(ceiling("255"), Ok(255));
        for bad in [
            "0",
            "256",
            "-1",
            "+5",
            "1.5",
            "ten",
            " ",
            "99999999999999999999",
        ] {
            let err = ceiling(bad).unwrap_err();
            assert_eq!(err, ConfigError::AddressCeiling(bad.to_owned()), "{bad:?}");
            assert_eq!(
                err.to_string(),
                format!(
                    "COUNTER_HITS_PER_ADDRESS is {bad:?}: set it to a whole number of hits from 1 \
                     to 255, or leave it empty for 10"
                )
            );
        }
    }

    #[test]
    fn the_repeat_window_is_seconds_and_0_turns_it_off() {
        let window =
            |value: &str| with("COUNTER_REPEAT_WINDOW_SECONDS", value).map(|c| c.repeat_window);
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
            let err = with("COUNTER_ALLOWED_PATHS", blank).unwrap_err();
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
        let err = with("COUNTER_COUNT_CRAWLERS", "yes").unwrap_err();
        assert_eq!(err, ConfigError::CountCrawlers("yes".to_owned()));
        assert!(err.to_string().contains("COUNTER_COUNT_CRAWLERS"));
    }

    #[test]
    fn allowed_origins_are_read_and_a_bad_entry_is_named() {
        let origins = "https://ada.example,https://www.ada.example";
        let config = with("COUNTER_ALLOWED_ORIGINS", origins).unwrap();
        let allowed = config.policy.allowed_origins.unwrap();
        assert!(allowed.admits(Some("https://www.ada.example"), None, None));
        assert!(!allowed.admits(Some("https://evil.example"), None, None));

        for (value, entry) in [
            (
                "https://ada.example,https://ada.example/",
                "https://ada.example/",
            ),
            (
                "https://ada.example, https://www.ada.example",
                " https://www.ada.example",
            ),
            ("ada.example", "ada.example"),
            (" ", " "),
        ] {
            let message = with("COUNTER_ALLOWED_ORIGINS", value)
                .unwrap_err()
                .to_string();
            assert!(
                message.starts_with(&format!(
                    "COUNTER_ALLOWED_ORIGINS: {entry:?} is not an origin"
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn an_allowed_path_longer_than_the_cap_refuses_to_start() {
        let long = format!("/{}", "a".repeat(DEFAULT_MAX_PATH_BYTES));
        let vars = [
            ("DYNAMODB_TABLE", "Hits"),
            ("COUNTER_ALLOWED_PATHS", long.as_str()),
        ];
        let message = config_from(&vars).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("COUNTER_ALLOWED_PATHS: {long:?} can never match"))
                && message.contains("COUNTER_MAX_PATH_BYTES"),
            "{message}"
        );
        let raised = [vars[0], vars[1], ("COUNTER_MAX_PATH_BYTES", "2048")];
        assert!(config_from(&raised).is_ok());
    }

    #[test]
    fn max_path_bytes_is_a_number_up_to_dynamodbs_limit() {
        let cap =
            |value: &str| with("COUNTER_MAX_PATH_BYTES", value).map(|c| c.policy.max_path_bytes);
        assert_eq!(cap(""), Ok(DEFAULT_MAX_PATH_BYTES));
        assert_eq!(cap("1"), Ok(1));
        assert_eq!(cap(" 512 "), Ok(512));
        assert_eq!(cap("2048"), Ok(MAX_PATH_BYTES));
        for bad in ["0", "2049", "-1", "256 bytes", "1e3", " "] {
            let err = cap(bad).unwrap_err();
            assert_eq!(err, ConfigError::MaxPathBytes(bad.to_owned()));
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("COUNTER_MAX_PATH_BYTES is {bad:?}"))
                    && message.contains("2048"),
                "{message}"
            );
        }
    }
}
