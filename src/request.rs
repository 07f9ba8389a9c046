//! Our own small [`Request`], and the rules that turn it into a [`Visit`] (which page, and
//! whether this request adds a hit) or the [`Rejection`] that explains why not.
//!
//! Every rule runs here, before any DynamoDB call, so a refused request writes nothing.

use crate::allow_list::AllowList;
use crate::crawler;
use crate::key::{CounterKey, KeyError, DEFAULT_MAX_PATH_BYTES};
use crate::origin::AllowedOrigins;
use crate::query::{Format, Query, QueryError};

/// The longest raw query string read. The HTTP API's whole request line is at most 10 KiB,
/// so no browser comes near this; a direct invoke of the function can send anything.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// What the counter reads of an HTTP request, and nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method, as sent.
    pub method: String,
    /// The query string as the client sent it, still percent-encoded; empty when there is none.
    pub raw_query: String,
    /// The `User-Agent` header, when the client sent one.
    pub user_agent: Option<String>,
    /// The `Origin` header: the site of the page behind a cross-origin `fetch`.
    pub origin: Option<String>,
    /// The `Referer` header: the page behind an image request, which carries no `Origin`.
    pub referer: Option<String>,
    /// The `Sec-Fetch-Site` header: a browser's word on who sent it, which scripts cannot set.
    pub fetch_site: Option<String>,
    /// The address the gateway saw the request come from (`requestContext.http.sourceIp`),
    /// never a header the caller wrote; none in a hand-made event.
    pub source_ip: Option<String>,
}

/// The owner's rules beyond the fixed ones: which pages, how long a path, whether crawlers
/// count, and from which sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub allowed_paths: Option<AllowList>,
    pub count_crawlers: bool,
    pub allowed_origins: Option<AllowedOrigins>,
    /// The longest path taken, in bytes of UTF-8; at most [`MAX_PATH_BYTES`].
    pub max_path_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allowed_paths: None,
            count_crawlers: false,
            allowed_origins: None,
            max_path_bytes: DEFAULT_MAX_PATH_BYTES,
        }
    }
}

/// A request that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub page: CounterKey,
    pub action: Action,
    /// How to answer with the count.
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add a hit and answer the new total.
    Count,
    /// Answer the current total and write nothing.
    Read(ReadReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadReason {
    /// The client asked with `increment=false`.
    View,
    /// The User-Agent declares a crawler.
    Crawler,
    /// A page of a site outside `COUNTER_ALLOWED_ORIGINS` sent it.
    ForeignOrigin,
    /// This client already added its allowance to this page within the window.
    Repeat,
}

impl ReadReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadReason::View => "view",
            ReadReason::Crawler => "crawler",
            ReadReason::ForeignOrigin => "foreign_origin",
            ReadReason::Repeat => "repeat",
        }
    }
}

/// Why a request was refused. `response.rs` turns each into a status code and a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MethodNotAllowed,
    QueryTooLong,
    MissingPath,
    AmbiguousPath,
    /// Longer than the policy's cap, which the answer names.
    PathTooLong {
        max_bytes: usize,
    },
    UnreadableCharacter,
    InvalidEncoding,
    InvalidIncrement,
    InvalidFormat,
    PathNotAllowed,
}

/// Applies every rule to `request`, the method first.
pub fn visit(request: &Request, policy: &Policy) -> Result<Visit, Rejection> {
    if request.method != "GET" {
        return Err(Rejection::MethodNotAllowed);
    }
    if request.raw_query.len() > MAX_QUERY_BYTES {
        return Err(Rejection::QueryTooLong);
    }
    let query = Query::parse(&request.raw_query)?;
    let page = validate(query.path, policy)?;
    // Checked last, and only when the request would count: a read costs nothing to match.
    let crawler = || {
        !policy.count_crawlers
            && request
                .user_agent
                .as_deref()
                .is_some_and(crawler::is_crawler)
    };
    // Another site's page reads: its badge still shows, and nothing it sends adds a hit.
    let foreign = || {
        policy.allowed_origins.as_ref().is_some_and(|allowed| {
            !allowed.admits(
                request.origin.as_deref(),
                request.referer.as_deref(),
                request.fetch_site.as_deref(),
            )
        })
    };
    let action = match query.increment {
        false => Action::Read(ReadReason::View),
        true if crawler() => Action::Read(ReadReason::Crawler),
        true if foreign() => Action::Read(ReadReason::ForeignOrigin),
        true => Action::Count,
    };
    Ok(Visit {
        page,
        action,
        format: query.format,
    })
}

/// Checks a decoded `path` value against the key rules, the policy's cap and its allow-list.
pub fn validate(path: String, policy: &Policy) -> Result<CounterKey, Rejection> {
    let max_bytes = policy.max_path_bytes;
    let page = CounterKey::new(path, max_bytes).map_err(|error| match error {
        KeyError::Blank => Rejection::MissingPath,
        KeyError::TooLong => Rejection::PathTooLong { max_bytes },
        KeyError::Unreadable => Rejection::UnreadableCharacter,
    })?;
    let allowed_paths = policy.allowed_paths.as_ref();
    if allowed_paths.is_some_and(|allowed| !allowed.allows(page.as_str())) {
        return Err(Rejection::PathNotAllowed);
    }
    Ok(page)
}

/// The query's refusals are the request's.
impl From<QueryError> for Rejection {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::MissingPath => Rejection::MissingPath,
            QueryError::AmbiguousPath => Rejection::AmbiguousPath,
            QueryError::InvalidEncoding => Rejection::InvalidEncoding,
            QueryError::InvalidIncrement => Rejection::InvalidIncrement,
            QueryError::InvalidFormat => Rejection::InvalidFormat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::MAX_PATH_BYTES;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                          Chrome/131.0.0.0 Safari/537.36";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    fn get(raw_query: &str) -> Request {
        Request {
            method: "GET".to_owned(),
            raw_query: raw_query.to_owned(),
            user_agent: Some(CHROME.to_owned()),
            ..Request::default()
        }
    }

    fn with_cap(max_path_bytes: usize) -> Policy {
        Policy {
            max_path_bytes,
            ..Policy::default()
        }
    }

    fn action(request: &Request, policy: &Policy) -> Result<Action, Rejection> {
        visit(request, policy).map(|visit| visit.action)
    }

    #[test]
    fn a_path_that_is_not_utf8_is_refused() {
        assert_eq!(
            action(&get("path=%FF"), &Policy::default()),
            Err(Rejection::InvalidEncoding)
        );
    }

    #[test]
    fn the_method_rule_comes_before_the_query_cap() {
        let huge = format!("path=/{}", "a".repeat(MAX_QUERY_BYTES));
        let mut request = get(&huge);
        assert_eq!(
            action(&request, &Policy::default()),
            Err(Rejection::QueryTooLong)
        );
        request.method = "DELETE".to_owned();
        assert_eq!(
            action(&request, &Policy::default()),
            Err(Rejection::MethodNotAllowed)
        );
    }

    #[test]
    fn the_query_cap_is_inclusive() {
        let at_cap = format!("path=/{}", "a".repeat(MAX_QUERY_BYTES - "path=/".len()));
        assert_eq!(at_cap.len(), MAX_QUERY_BYTES);
        // Within the cap the path rules decide: this path is over DynamoDB's limit.
        assert_eq!(
            action(&get(&at_cap), &with_cap(MAX_PATH_BYTES)),
            Err(Rejection::PathTooLong {
                max_bytes: MAX_PATH_BYTES
            })
        );
    }

    #[test]
    fn increment_false_reads_and_true_or_nothing_counts() {
        let policy = Policy::default();
        assert_eq!(action(&get("path=/"), &policy), Ok(Action::Count));
        assert_eq!(
            action(&get("path=/&increment=true"), &policy),
            Ok(Action::Count)
        );
        assert_eq!(
            action(&get("increment=false&path=/"), &policy),
            Ok(Action::Read(ReadReason::View))
        );
        for bad in [
            "increment=0",
            "increment=FALSE",
            "increment=",
            "increment",
            "increment=%FF",
        ] {
            let query = format!("path=/&{bad}");
            assert_eq!(
                action(&get(&query), &policy),
                Err(Rejection::InvalidIncrement),
                "{bad}"
            );
        }
        let twice = "path=/&increment=false&increment=false";
        assert_eq!(
            action(&get(twice), &policy),
            Err(Rejection::InvalidIncrement)
        );
    }

    #[test]
    fn the_path_rules_apply_to_reads_too() {
        let policy = Policy {
            allowed_paths: Some(AllowList::parse("/").unwrap()),
            ..Policy::default()
        };
        assert_eq!(
            action(&get("path=/x&increment=false"), &policy),
            Err(Rejection::PathNotAllowed)
        );
        assert_eq!(
            action(&get("path=%E2%80%AE&increment=false"), &policy),
            Err(Rejection::UnreadableCharacter)
        );
        assert_eq!(
            action(&get("increment=false"), &policy),
            Err(Rejection::MissingPath)
        );
    }

    #[test]
    fn crawlers_read_unless_they_are_counted() {
        let mut request = get("path=/");
        request.user_agent = Some(GOOGLEBOT.to_owned());
        let mut policy = Policy::default();
        assert_eq!(
            action(&request, &policy),
            Ok(Action::Read(ReadReason::Crawler))
        );
        request.raw_query = "path=/&increment=false".to_owned();
        assert_eq!(
            action(&request, &policy),
            Ok(Action::Read(ReadReason::View))
        );

        policy.count_crawlers = true;
        request.raw_query = "path=/".to_owned();
        assert_eq!(action(&request, &policy), Ok(Action::Count));
    }

    #[test]
    fn command_line_clients_and_no_user_agent_count() {
        for user_agent in [
            Some("curl/8.5.0"),
            Some("Wget/1.21.4"),
            Some("HTTPie/3.2.2"),
            Some(""),
            None,
        ] {
            let mut request = get("path=/");
            request.user_agent = user_agent.map(str::to_owned);
            assert_eq!(
                action(&request, &Policy::default()),
                Ok(Action::Count),
                "{user_agent:?}"
            );
        }
    }

    #[test]
    fn length_is_counted_in_bytes_up_to_the_policy_cap() {
        let dynamodb = with_cap(MAX_PATH_BYTES);
        let at_limit = "€".repeat(682) + "ab";
        assert_eq!(at_limit.len(), MAX_PATH_BYTES);
        assert!(validate(at_limit, &dynamodb).is_ok());
        let over = "€".repeat(683);
        assert_eq!(over.chars().count(), 683);
        let refused = Err(Rejection::PathTooLong {
            max_bytes: MAX_PATH_BYTES,
        });
        assert_eq!(validate(over, &dynamodb), refused);

        // The default cap: 256 bytes, 86 characters of "€" are over it.
        let default = Policy::default();
        assert_eq!(default.max_path_bytes, DEFAULT_MAX_PATH_BYTES);
        let at_cap = "€".repeat(85) + "a";
        assert_eq!(at_cap.len(), DEFAULT_MAX_PATH_BYTES);
        assert!(validate(at_cap.clone(), &default).is_ok());
        let refused = Err(Rejection::PathTooLong {
            max_bytes: DEFAULT_MAX_PATH_BYTES,
        });
        assert_eq!(validate(at_cap + "b", &default), refused);
        assert_eq!(
            validate("/ab".to_owned(), &with_cap(2)),
            Err(Rejection::PathTooLong { max_bytes: 2 })
        );
    }

    #[test]
    fn unreadable_characters_are_refused() {
        let unreadable = [
            "\u{0}", "a\nb", "\u{1f}", "\u{7f}", "\u{85}", // Cc
            "\u{202e}", "\u{2066}", "\u{200b}", "\u{200d}", "\u{feff}", "\u{ad}",   // Cf
            "\u{2028}", // Zl
            "\u{2029}", // Zp
            "\u{3164}",
            "\u{fe0f}", // default ignorable: a Hangul filler, a variation selector
            "\u{a0}", "\u{3000}", // spaces that look like U+0020
        ];
        for bad in unreadable {
            let path = format!("/a{bad}b");
            assert_eq!(
                validate(path, &Policy::default()),
                Err(Rejection::UnreadableCharacter),
                "{bad:?}"
            );
        }
        // Visible text, and the plain space, stay allowed.
        for good in ["/café/€/📄", "/a b", "/עברית", "/日本語"] {
            assert!(
                validate(good.to_owned(), &Policy::default()).is_ok(),
                "{good:?}"
            );
        }
    }

    #[test]
    fn the_allow_list_decides_after_the_key_rules() {
        let allowed = Policy {
            allowed_paths: Some(AllowList::parse("/blog/*,/index.html").unwrap()),
            ..Policy::default()
        };
        assert!(validate("/blog/post".to_owned(), &allowed).is_ok());
        assert!(validate("/index.html".to_owned(), &allowed).is_ok());
        assert_eq!(
            validate("/admin".to_owned(), &allowed),
            Err(Rejection::PathNotAllowed)
        );
        assert_eq!(
            validate("/blog".to_owned(), &allowed),
            Err(Rejection::PathNotAllowed)
        );
        let long = format!("/blog/{}", "a".repeat(DEFAULT_MAX_PATH_BYTES));
        assert_eq!(
            validate(long, &allowed),
            Err(Rejection::PathTooLong {
                max_bytes: DEFAULT_MAX_PATH_BYTES
            })
        );
    }

    fn from_sites(origins: &str) -> Policy {
        Policy {
            allowed_origins: Some(AllowedOrigins::parse(origins).unwrap()),
            ..Policy::default()
        }
    }

    fn sent_by(origin: Option<&str>, referer: Option<&str>, fetch_site: Option<&str>) -> Request {
        Request {
            origin: origin.map(str::to_owned),
            referer: referer.map(str::to_owned),
            fetch_site: fetch_site.map(str::to_owned),
            ..get("path=/")
        }
    }

    #[test]
    fn only_the_listed_sites_count_and_every_other_site_reads() {
        let policy = from_sites("https://ada.example");
        let counts = [
            sent_by(Some("https://ada.example"), None, Some("cross-site")),
            sent_by(
                None,
                Some("https://ada.example/cv.html"),
                Some("cross-site"),
            ),
            sent_by(None, None, None),
            sent_by(None, None, Some("none")),
        ];
        for request in &counts {
            assert_eq!(action(request, &policy), Ok(Action::Count), "{request:?}");
        }
        let foreign = [
            sent_by(Some("https://evil.example"), None, Some("cross-site")),
            sent_by(None, Some("https://evil.example/"), Some("cross-site")),
            sent_by(None, None, Some("cross-site")),
        ];
        for request in &foreign {
            assert_eq!(
                action(request, &policy),
                Ok(Action::Read(ReadReason::ForeignOrigin)),
                "{request:?}"
            );
            // Without a list, every site counts, as it always has.
            assert_eq!(action(request, &Policy::default()), Ok(Action::Count));
        }
    }

    #[test]
    fn the_origin_rule_comes_after_the_path_view_and_crawler_rules() {
        let policy = Policy {
            allowed_paths: Some(AllowList::parse("/").unwrap()),
            ..from_sites("https://ada.example")
        };
        let mut request = sent_by(Some("https://evil.example"), None, None);
        request.raw_query = "path=/x".to_owned();
        assert_eq!(action(&request, &policy), Err(Rejection::PathNotAllowed));
        request.raw_query = "path=/&increment=false".to_owned();
        assert_eq!(
            action(&request, &policy),
            Ok(Action::Read(ReadReason::View))
        );
        request.raw_query = "path=/".to_owned();
        request.user_agent = Some(GOOGLEBOT.to_owned());
        assert_eq!(
            action(&request, &policy),
            Ok(Action::Read(ReadReason::Crawler))
        );
        assert_eq!(ReadReason::ForeignOrigin.as_str(), "foreign_origin");
    }
}
