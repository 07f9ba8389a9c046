//! The pages a counter counts, when its owner names them: `COUNTER_ALLOWED_PATHS`.
//!
//! Comma-separated entries, each an exact path (`/index.html`), or a prefix when it ends in
//! `*` (`/blog/*` allows `/blog/` and everything under it, not `/blog` or `/blog-evil`); `*`
//! alone allows every path. Exact by default, because a plain prefix `/` would allow anything.
//! Each entry is written as the decoded path a browser's page sends, and passes the key rules
//! (src/key.rs), so an entry that could never match stops the function at start.

use std::fmt;

use crate::key::{self, KeyError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

/// Why a `COUNTER_ALLOWED_PATHS` value cannot be what its owner meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowListError {
    /// Only spaces and commas: it would refuse every path, which nobody means.
    NoEntries,
    /// A `*` that does not end its entry (`/a*b`): neither a path nor a prefix.
    MisplacedWildcard(String),
    /// An entry no request could ever match: the key rules refuse it, or it holds a `%XX`
    /// escape or a blank (entries are compared with the decoded path).
    NeverMatches { entry: String, why: &'static str },
}

impl fmt::Display for AllowListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowListError::NoEntries => f.write_str(
                "it names no path; leave it empty to count every path, or list paths such as \
                 /,/index.html,/blog/*",
            ),
            AllowListError::MisplacedWildcard(entry) => write!(
                f,
                "{entry:?}: `*` may only end an entry (a prefix, like /blog/*) or stand alone"
            ),
            AllowListError::NeverMatches { entry, why } => {
                write!(f, "{entry:?} can never match a page: {why}")
            }
        }
    }
}

impl AllowList {
    /// Parses a comma-separated list; blanks around entries are ignored.
    pub fn parse(value: &str) -> Result<Self, AllowListError> {
        let mut list = AllowList {
            exact: Vec::new(),
            prefixes: Vec::new(),
        };
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            check_entry(entry)?;
            match entry.strip_suffix('*') {
                Some(prefix) if !prefix.contains('*') => list.prefixes.push(prefix.to_owned()),
                None if !entry.contains('*') => list.exact.push(entry.to_owned()),
                _ => return Err(AllowListError::MisplacedWildcard(entry.to_owned())),
            }
        }
        if list.exact.is_empty() && list.prefixes.is_empty() {
            return Err(AllowListError::NoEntries);
        }
        Ok(list)
    }

    /// The first entry no path of at most `max_bytes` could match, written as it was given.
    pub fn entry_longer_than(&self, max_bytes: usize) -> Option<String> {
        let exact = self
            .exact
            .iter()
            .find(|entry| entry.len() > max_bytes)
            .cloned();
        let prefix = || {
            let prefix = self
                .prefixes
                .iter()
                .find(|prefix| prefix.len() > max_bytes)?;
            Some(format!("{prefix}*"))
        };
        exact.or_else(prefix)
    }

    pub fn allows(&self, path: &str) -> bool {
        self.exact.iter().any(|exact| exact == path)
            || self
                .prefixes
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
    }
}

/// An entry, or a prefix's text before its `*`, must be a path a request can carry.
fn check_entry(entry: &str) -> Result<(), AllowListError> {
    let text = entry.strip_suffix('*').unwrap_or(entry);
    let why = if text.contains(char::is_whitespace) {
        Some("it holds a blank; write the path as the page's address bar shows it, decoded")
    } else if has_percent_escape(text) {
        Some("it holds a %XX escape; write the path decoded (/café, not /caf%C3%A9)")
    } else if text.is_empty() {
        None
    } else {
        match key::check(text, key::MAX_PATH_BYTES) {
            Ok(()) | Err(KeyError::Blank) => None,
            Err(KeyError::TooLong) => Some("it is longer than a key may be (2048 bytes)"),
            Err(KeyError::Unreadable) => {
                Some("it holds an invisible or look-alike character, which paths may not")
            }
        }
    };
    match why {
        Some(why) => Err(AllowListError::NeverMatches {
            entry: entry.to_owned(),
            why,
        }),
        None => Ok(()),
    }
}

fn has_percent_escape(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(list: &str, path: &str) -> bool {
        AllowList::parse(list).unwrap().allows(path)
    }

    #[test]
    fn exact_entries_and_star_prefixes() {
        for path in ["/", "/blog/", "/blog/x", "/blog/x/y"] {
            assert!(allowed("/,/blog/*", path), "{path}");
        }
        for path in ["/blog", "/blog-evil", "/x", "//", "/index.html"] {
            assert!(!allowed("/,/blog/*", path), "{path}");
        }
        assert!(allowed(" /index.html ", "/index.html"));
        assert!(!allowed("/index.html", "/index.html.bak"));
    }

    #[test]
    fn a_lone_star_allows_everything() {
        for path in ["/", "/x", "anything at all"] {
            assert!(allowed("*", path), "{path}");
        }
    }

    #[test]
    fn blank_values_are_refused() {
        for value in ["", " ", ",", " , ,", ",,,"] {
            assert_eq!(AllowList::parse(value), Err(AllowListError::NoEntries));
        }
    }

    #[test]
    fn a_star_inside_an_entry_is_refused() {
        for entry in ["/a*b", "**", "/x/**"] {
            assert_eq!(
                AllowList::parse(&format!("/,{entry}")),
                Err(AllowListError::MisplacedWildcard(entry.to_owned()))
            );
        }
    }

    #[test]
    fn entries_that_could_never_match_are_refused_by_name() {
        for entry in [
            "/blog/ *",
            "/a b",
            "/caf%C3%A9",
            "/x%2f*",
            "/\u{200b}blog",
            "/\u{3164}",
        ] {
            let error = AllowList::parse(&format!("/,{entry}")).unwrap_err();
            assert!(
                matches!(&error, AllowListError::NeverMatches { entry: e, .. } if e == entry),
                "{entry:?}: {error:?}"
            );
            assert!(error.to_string().contains(&format!("{entry:?}")), "{error}");
        }
        let long = format!("/{}", "a".repeat(2048));
        assert!(matches!(
            AllowList::parse(&long),
            Err(AllowListError::NeverMatches { .. })
        ));
        // A `%` that starts no escape is a character like any other.
        assert!(allowed("/100%", "/100%"));
    }

    #[test]
    fn entries_longer_than_the_cap_are_found() {
        let list = AllowList::parse("/,/abcd,/ab*").unwrap();
        assert_eq!(list.entry_longer_than(5), None, "/abcd is 5 bytes");
        assert_eq!(list.entry_longer_than(4).as_deref(), Some("/abcd"));
        let prefixes = AllowList::parse("/,/ab*").unwrap();
        assert_eq!(
            prefixes.entry_longer_than(3),
            None,
            "/ab* matches /ab, 3 bytes"
        );
        assert_eq!(prefixes.entry_longer_than(2).as_deref(), Some("/ab*"));
    }

    #[test]
    fn every_error_names_what_to_do() {
        assert!(AllowListError::NoEntries
            .to_string()
            .contains("/,/index.html,/blog/*"));
        let wildcard = AllowListError::MisplacedWildcard("/a*b".to_owned()).to_string();
        assert!(
            wildcard.contains("\"/a*b\"") && wildcard.contains("/blog/*"),
            "{wildcard}"
        );
    }
}
