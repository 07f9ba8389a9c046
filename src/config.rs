//! Environment → [`Config`], read and checked once at init.

use std::fmt;

/// Everything the function reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The DynamoDB table that holds one item per counted path.
    pub table: String,
    /// A DynamoDB endpoint other than AWS's own (dynalite, DynamoDB Local).
    pub endpoint: Option<String>,
    /// When set, only paths that start with one of these prefixes are counted.
    pub allowed_prefixes: Option<Vec<String>>,
}

/// Why the function refuses to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    MissingTable,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingTable => f.write_str(
                "DYNAMODB_TABLE is not set: set it to the name of the counter table \
                 (the SAM template does this for you)",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub const TABLE_VAR: &'static str = "DYNAMODB_TABLE";
    pub const ENDPOINT_VAR: &'static str = "DYNAMODB_ENDPOINT";
    pub const ALLOWED_PREFIXES_VAR: &'static str = "COUNTER_ALLOWED_PATH_PREFIXES";

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    /// Blank values count as unset: the SAM template passes `DYNAMODB_ENDPOINT: ""`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_blank = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let table = non_blank(Self::TABLE_VAR)
            .map(|value| value.trim().to_owned())
            .ok_or(ConfigError::MissingTable)?;
        let endpoint = non_blank(Self::ENDPOINT_VAR).map(|value| value.trim().to_owned());
        // A list that is only commas and blanks allows nothing, which nobody means: treat it
        // as unset rather than rejecting every request.
        let allowed_prefixes = non_blank(Self::ALLOWED_PREFIXES_VAR)
            .map(|value| {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|prefix| !prefix.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|prefixes| !prefixes.is_empty());

        Ok(Config {
            table,
            endpoint,
            allowed_prefixes,
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
    fn empty_endpoint_means_aws() {
        let config = config_from(&[("DYNAMODB_TABLE", "Hits"), ("DYNAMODB_ENDPOINT", "")]).unwrap();
        assert_eq!(config.table, "Hits");
        assert_eq!(config.endpoint, None);
        assert_eq!(config.allowed_prefixes, None);
    }

    #[test]
    fn a_list_of_only_commas_is_no_allow_list() {
        let config = config_from(&[
            ("DYNAMODB_TABLE", "Hits"),
            ("COUNTER_ALLOWED_PATH_PREFIXES", " , ,"),
        ])
        .unwrap();
        assert_eq!(config.allowed_prefixes, None);
    }

    #[test]
    fn endpoint_and_prefixes_are_read() {
        let config = config_from(&[
            ("DYNAMODB_TABLE", "Hits"),
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:8000"),
            ("COUNTER_ALLOWED_PATH_PREFIXES", " /blog/ , /index.html,, "),
        ])
        .unwrap();
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(
            config.allowed_prefixes,
            Some(vec!["/blog/".to_owned(), "/index.html".to_owned()])
        );
    }
}
