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
    InvalidLabel,
    InvalidColor,
    InvalidLabelColor,
    InvalidStyle,
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
            QueryError::InvalidLabel => Rejection::InvalidLabel,
            QueryError::InvalidColor => Rejection::InvalidColor,
            QueryError::InvalidLabelColor => Rejection::InvalidLabelColor,
            QueryError::InvalidStyle => Rejection::InvalidStyle,
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

    fn action(request: &Request, policy: &Policy) -> Result<Action, Rejection> {
        visit(request, policy).map(|visit| visit.action)
    }

    #[test]
    fn the_method_comes_first_then_the_inclusive_query_cap() {
        let at_cap = format!("path=/{}", "a".repeat(MAX_QUERY_BYTES - "path=/".len()));
        // Within the cap the path rules decide: this path is over DynamoDB's limit.
        let dynamodb = Policy {
            max_path_bytes: MAX_PATH_BYTES,
            ..Policy::default()
        };
        let too_long = Err(Rejection::PathTooLong {
            max_bytes: MAX_PATH_BYTES,
        });
        assert_eq!(action(&get(&at_cap), &dynamodb), too_long);
        let mut request = get(&(at_cap + "a"));
        assert_eq!(action(&request, &dynamodb), Err(Rejection::QueryTooLong));
        request.method = "DELETE".to_owned();
        assert_eq!(
            action(&request, &dynamodb),
            Err(Rejection::MethodNotAllowed)
        );
    }

    /// The query's and the key's refusals become the request's; the allow-list decides after
    /// the key rules, and every path rule holds for reads too.
    #[test]
    fn each_refusal_maps_to_its_rejection() {
        let only = |list| Policy {
            allowed_paths: Some(AllowList::parse(list).unwrap()),
            max_path_bytes: 4,
            ..Policy::default()
        };
        let cases = [
            ("increment=false", Rejection::MissingPath),
            ("path=+&increment=false", Rejection::MissingPath),
            ("path=/a&path=/b", Rejection::AmbiguousPath),
            ("path=%FF", Rejection::InvalidEncoding),
            ("path=/&increment=0", Rejection::InvalidIncrement),
            ("path=/&format=png", Rejection::InvalidFormat),
            ("path=/&format=svg&label=%E2%80%AE", Rejection::InvalidLabel),
            ("path=/&format=svg&color=00", Rejection::InvalidColor),
            (
                "path=/&format=svg&labelColor=pink",
                Rejection::InvalidLabelColor,
            ),
            ("path=/&format=svg&style=plastic", Rejection::InvalidStyle),
            (
                "path=%E2%80%AE&increment=false",
                Rejection::UnreadableCharacter,
            ),
            (
                "path=/abcd&increment=false",
                Rejection::PathTooLong { max_bytes: 4 },
            ),
            ("path=/x&increment=false", Rejection::PathNotAllowed),
        ];
        for (raw_query, rejection) in cases {
            let result = action(&get(raw_query), &only("/,/abcd"));
            assert_eq!(result, Err(rejection), "{raw_query}");
        }
        assert_eq!(action(&get("path=/abc"), &only("/abc")), Ok(Action::Count));
    }

    #[test]
    fn increment_false_and_crawlers_read_unless_crawlers_are_counted() {
        let mut request = get("path=/&increment=true");
        let mut policy = Policy::default();
        assert_eq!(action(&request, &policy), Ok(Action::Count));
        request.raw_query = "increment=false&path=/".to_owned();
        assert_eq!(
            action(&request, &policy),
            Ok(Action::Read(ReadReason::View))
        );
        request.user_agent = Some(GOOGLEBOT.to_owned());
        assert_eq!(
            action(&request, &policy),
            Ok(Action::Read(ReadReason::View))
        );
        request.raw_query = "path=/".to_owned();
        let crawler = Ok(Action::Read(ReadReason::Crawler));
        assert_eq!(action(&request, &policy), crawler);
        policy.count_crawlers = true;
        assert_eq!(action(&request, &policy), Ok(Action::Count));
    }

    fn sent_by(origin: Option<&str>, referer: Option<&str>, fetch_site: Option<&str>) -> Request {
        Request {
            origin: origin.map(str::to_owned),
            referer: referer.map(str::to_owned),
            fetch_site: fetch_site.map(str::to_owned),
            ..get("path=/")
        }
    }

    /// Each header reaches the origin rule, which comes after the path, view and crawler rules.
    #[test]
    fn only_the_listed_sites_count_and_every_other_site_reads() {
        let policy = Policy {
            allowed_origins: Some(AllowedOrigins::parse("https://ada.example").unwrap()),
            allowed_paths: Some(AllowList::parse("/").unwrap()),
            ..Policy::default()
        };
        let ada = "https://ada.example/cv.html";
        for request in [
            sent_by(Some("https://ada.example"), None, Some("cross-site")),
            sent_by(None, Some(ada), Some("cross-site")),
            sent_by(None, None, None),
        ] {
            assert_eq!(action(&request, &policy), Ok(Action::Count), "{request:?}");
        }
        let foreign = Ok(Action::Read(ReadReason::ForeignOrigin));
        for request in [
            sent_by(Some("https://evil.example"), None, Some("cross-site")),
            sent_by(None, Some("https://evil.example/"), Some("cross-site")),
            sent_by(None, None, Some("cross-site")),
        ] {
            assert_eq!(action(&request, &policy), foreign, "{request:?}");
            // Without a list, every site counts, as it always has.
            assert_eq!(action(&request, &Policy::default()), Ok(Action::Count));
        }
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
