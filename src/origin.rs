//! The sites whose visitors count, when the owner names them: `COUNTER_ALLOWED_ORIGINS`.
//!
//! Comma-separated origins written as browsers send them in `Origin` (scheme, host, a port only
//! when it is not the scheme's default; lower case; nothing after): `https://ada.example`,
//! `http://127.0.0.1:3001`. The template hands the same list to the HTTP API's CORS, which
//! compares exactly, so an entry in any other form stops the function at start.
//!
//! Browsers say who asks: a cross-origin `fetch` carries `Origin`; an `<img>` carries no `Origin`
//! but a `Referer` (unless the page's referrer policy strips it) and `Sec-Fetch-Site`, which
//! no page script can set. A client outside a browser can send any of them: this keeps other
//! sites' pages from counting, not scripts.

use std::fmt;

use http::Uri;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

/// An entry of `COUNTER_ALLOWED_ORIGINS` that is not an origin as browsers send it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginError {
    pub entry: String,
    pub why: &'static str,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an origin: {}; write each site as its address bar shows it, up to the \
             host and port (https://ada.example,https://www.ada.example)",
            self.entry, self.why
        )
    }
}

impl std::error::Error for OriginError {}

impl AllowedOrigins {
    /// Parses a comma-separated list. Blanks are refused, not trimmed: the gateway's CORS gets
    /// the same text and would not trim them.
    pub fn parse(value: &str) -> Result<Self, OriginError> {
        let origins = value
            .split(',')
            .map(|entry| match not_an_origin(entry) {
                None => Ok(entry.to_owned()),
                Some(why) => Err(OriginError {
                    entry: entry.to_owned(),
                    why,
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(AllowedOrigins(origins))
    }

    /// Whether a request with these headers comes from a listed site's page, or from no page
    /// at all (curl, an image proxy, the address bar), which counts as it always has.
    pub fn admits(
        &self,
        origin: Option<&str>,
        referer: Option<&str>,
        fetch_site: Option<&str>,
    ) -> bool {
        match (origin, referer) {
            (Some(origin), _) => self.0.iter().any(|listed| listed == origin),
            (None, Some(referer)) => self.admits_referer(referer),
            // A browser that names no page but says another site sent it: a page that hid
            // itself (`referrerpolicy="no-referrer"`), so not one of ours we can tell.
            (None, None) => !matches!(fetch_site, Some("cross-site" | "same-site")),
        }
    }

    /// A `Referer` is a whole URL; its origin is its scheme and authority.
    fn admits_referer(&self, referer: &str) -> bool {
        let Ok(uri) = referer.parse::<Uri>() else {
            return false;
        };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        self.0.iter().any(|listed| {
            listed
                .strip_prefix(scheme)
                .and_then(|rest| rest.strip_prefix("://"))
                == Some(authority.as_str())
        })
    }
}

/// Why `entry` is not an origin as a browser serializes it, if it is not.
fn not_an_origin(entry: &str) -> Option<&'static str> {
    if entry.is_empty() {
        return Some("an empty entry (two commas in a row, or one at an end)");
    }
    if entry.contains(char::is_whitespace) {
        return Some("it holds a blank");
    }
    if entry.contains('*') {
        return Some("a wildcard; name each site, or leave the list empty to let every site count");
    }
    let Some((scheme, authority)) = entry.split_once("://") else {
        return Some("no scheme (https:// or http://)");
    };
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Some("the scheme must be https or http, in lower case"),
    };
    if authority.contains(['/', '?', '#']) {
        return Some("a path or a trailing slash; an origin ends with the host or port");
    }
    if authority.contains('@') {
        return Some("a user name; browsers never send one in Origin");
    }
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 address has colons of its own: a port only follows its closing bracket.
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        _ => (authority, None),
    };
    if let Some(port) = port {
        if port == default_port {
            return Some("the scheme's default port; browsers leave it out");
        }
        if !port.bytes().all(|b| b.is_ascii_digit())
            || port.starts_with('0')
            || port.parse::<u16>().is_err()
        {
            return Some("the port must be a number from 1 to 65535, without leading zeros");
        }
    }
    let name_chars = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let ipv6 = host.len() > 2
        && host.starts_with('[')
        && host.ends_with(']')
        && host[1..host.len() - 1]
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c) || c == ':' || c == '.');
    if ipv6 {
        return None;
    }
    if !host.is_ascii() {
        return Some("a host name that is not ASCII; write it as browsers send it (xn--...)");
    }
    if host.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("upper case; browsers send the host in lower case");
    }
    if host.is_empty()
        || !host.chars().all(name_chars)
        || host.starts_with('.')
        || host.ends_with('.')
        || host.contains("..")
    {
        return Some("no host name, or one with characters a host name cannot have");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(value: &str) -> AllowedOrigins {
        AllowedOrigins::parse(value).unwrap()
    }

    fn why(entry: &str) -> &'static str {
        match AllowedOrigins::parse(&format!("https://ada.example,{entry}")) {
            Err(OriginError { entry: named, why }) => {
                assert_eq!(named, entry, "the error names the entry");
                why
            }
            Ok(_) => panic!("{entry:?} was taken for an origin"),
        }
    }

    #[test]
    fn origins_as_browsers_send_them_are_taken() {
        for entry in [
            "https://ada.example",
            "https://www.ada.example",
            "http://127.0.0.1:3001",
            "https://ada.example:8443",
            "http://localhost:8080",
            "https://xn--caf-dma.example",
            "http://[::1]:3001",
            "https://[2001:db8::1]",
        ] {
            assert!(AllowedOrigins::parse(entry).is_ok(), "{entry}");
        }
    }

    #[test]
    fn entries_that_are_not_origins_are_refused_by_name() {
        let refused = [
            ("https://ada.example/", "a path or a trailing slash"),
            ("https://ada.example/blog", "a path"),
            ("https://ada.example?x", "a path"),
            ("ada.example", "no scheme"),
            ("//ada.example", "no scheme"),
            ("ftp://ada.example", "scheme"),
            ("HTTPS://ada.example", "scheme"),
            ("https://Ada.example", "upper case"),
            ("https://*.ada.example", "wildcard"),
            ("*", "wildcard"),
            ("https://*", "wildcard"),
            ("https://ada.example:443", "default port"),
            ("http://ada.example:80", "default port"),
            ("https://ada.example:0", "port"),
            ("https://ada.example:65536", "port"),
            ("https://ada.example:08443", "port"),
            ("https://ada.example:", "port"),
            ("https://", "host"),
            ("https://ada..example", "host"),
            ("https://ada_example", "host"),
            ("https://user@ada.example", "user"),
            ("https://café.example", "ASCII"),
            // Brackets belong to an IPv6 address, and only around one.
            ("http://[]", "host"),
            ("http://a]", "host"),
            ("http://[fe80::g]", "host"),
            ("https://ada.example.", "host"),
            ("https://.ada.example", "host"),
            (" https://ada.example", "blank"),
            ("https://ada.example ", "blank"),
            ("", "empty"),
        ];
        for (entry, reason) in refused {
            let why = why(entry);
            assert!(why.contains(reason), "{entry:?}: {why}");
        }
        let message = AllowedOrigins::parse("https://ada.example/")
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("\"https://ada.example/\" is not an origin"),
            "{message}"
        );
        // Only blanks, or only commas, name no site.
        for value in [" ", ",", "https://ada.example,", " , "] {
            assert!(AllowedOrigins::parse(value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn a_listed_origin_counts_and_any_other_does_not() {
        let allowed = list("https://ada.example,https://www.ada.example");
        for origin in ["https://ada.example", "https://www.ada.example"] {
            assert!(
                allowed.admits(Some(origin), None, Some("cross-site")),
                "{origin}"
            );
        }
        for origin in [
            "https://evil.example",
            "http://ada.example",
            "https://ada.example.evil.example",
            "https://ada.example:8443",
            "https://ADA.example",
            "null",
            "",
            "https://ada.example,https://evil.example",
        ] {
            assert!(!allowed.admits(Some(origin), None, None), "{origin}");
        }
        // Origin decides when present, whatever the Referer says.
        assert!(!allowed.admits(
            Some("https://evil.example"),
            Some("https://ada.example/"),
            None
        ));
    }

    #[test]
    fn an_image_request_is_judged_by_the_origin_of_its_referer() {
        let allowed = list("https://ada.example,http://127.0.0.1:3001");
        for referer in [
            "https://ada.example/",
            "https://ada.example/blog/post.html?x=1",
            "http://127.0.0.1:3001/",
        ] {
            assert!(
                allowed.admits(None, Some(referer), Some("cross-site")),
                "{referer}"
            );
        }
        for referer in [
            "https://evil.example/",
            "https://ada.example.evil.example/",
            "https://evil.example/https://ada.example/",
            "http://127.0.0.1:3002/",
            "http://127.0.0.1/",
            "ada.example",
            "/relative",
            "not a url",
            "",
        ] {
            assert!(!allowed.admits(None, Some(referer), None), "{referer}");
        }
    }

    #[test]
    fn a_browser_request_from_a_page_that_hides_itself_does_not_count() {
        let allowed = list("https://ada.example");
        for site in ["cross-site", "same-site"] {
            assert!(!allowed.admits(None, None, Some(site)), "{site}");
        }
        // No page at all: curl, an image proxy, the address bar, the counter's own origin.
        for site in [None, Some("none"), Some("same-origin")] {
            assert!(allowed.admits(None, None, site), "{site:?}");
        }
    }
}
