//! The pages a counter counts, when its owner names them: `COUNTER_ALLOWED_PATHS`.
//!
//! Comma-separated entries, each an exact path (`/index.html`), or a prefix when it ends in
//! `*` (`/blog/*` allows `/blog/` and everything under it, not `/blog` or `/blog-evil`); `*`
//! alone allows every path. Exact by default, because a plain prefix `/` would allow anything.

use std::fmt;

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

    pub fn allows(&self, path: &str) -> bool {
        self.exact.iter().any(|exact| exact == path)
            || self
                .prefixes
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
    }
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
}
