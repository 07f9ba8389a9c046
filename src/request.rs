//! Our own small [`Request`], and the rules that turn it into a [`CounterKey`] or the
//! [`Rejection`] that explains why not.
//!
//! Every rule runs here, before any DynamoDB call, so a refused request writes nothing.

use std::string::FromUtf8Error;

use percent_encoding::percent_decode_str;

/// DynamoDB's limit for a partition key, in bytes of UTF-8. dynalite counts characters
/// instead, so this is the only place the real limit is enforced locally.
pub const MAX_PATH_BYTES: usize = 2048;

/// The longest raw query string read. The HTTP API's whole request line is at most 10 KiB,
/// so no browser comes near this; a direct invoke of the function can send anything.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// The name of the query parameter that names the counted page.
const PATH_PARAM: &str = "path";

/// What the counter reads of an HTTP request, and nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method, as sent.
    pub method: String,
    /// The query string as the client sent it, still percent-encoded; empty when there is none.
    pub raw_query: String,
    /// Lambda's id for this invocation, for the log line.
    pub request_id: String,
}

/// A page path that passed every rule: non-empty, at most [`MAX_PATH_BYTES`] bytes, no
/// control characters, and inside the allow-list when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey(String);

impl CounterKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a request was refused. `response.rs` turns each into a status code and a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MethodNotAllowed,
    QueryTooLong,
    MissingPath,
    AmbiguousPath,
    PathTooLong,
    ControlCharacter,
    InvalidEncoding,
    PathNotAllowed,
}

/// Applies every rule to `request`, the method first. `allowed_prefixes` is the optional
/// allow-list.
pub fn counter_key(
    request: &Request,
    allowed_prefixes: Option<&[String]>,
) -> Result<CounterKey, Rejection> {
    if request.method != "GET" {
        return Err(Rejection::MethodNotAllowed);
    }
    if request.raw_query.len() > MAX_QUERY_BYTES {
        return Err(Rejection::QueryTooLong);
    }
    let mut paths = query_values(&request.raw_query, PATH_PARAM)?;
    let path = match paths.len() {
        0 => return Err(Rejection::MissingPath),
        1 => paths.remove(0),
        // The raw query is the source of truth: API Gateway's parsed parameters join
        // `?path=a&path=b` into "a,b", which would count a page nobody asked for.
        _ => return Err(Rejection::AmbiguousPath),
    };
    validate(path, allowed_prefixes)
}

/// Checks a decoded `path` value against the key rules and the allow-list.
pub fn validate(
    path: String,
    allowed_prefixes: Option<&[String]>,
) -> Result<CounterKey, Rejection> {
    if path.is_empty() {
        return Err(Rejection::MissingPath);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(Rejection::PathTooLong);
    }
    // `is_control` is Unicode's Cc category: U+0000–U+001F and U+007F–U+009F. None belongs in
    // a page path, and refusing them keeps terminals and log viewers safe.
    if path.chars().any(char::is_control) {
        return Err(Rejection::ControlCharacter);
    }
    if let Some(prefixes) = allowed_prefixes {
        if !prefixes
            .iter()
            .any(|prefix| path.starts_with(prefix.as_str()))
        {
            return Err(Rejection::PathNotAllowed);
        }
    }
    Ok(CounterKey(path))
}

/// Every value of the parameter `name` in a raw `application/x-www-form-urlencoded` query,
/// decoded. A value that does not decode to UTF-8 is refused rather than mangled, so two
/// different byte strings can never count as the same page.
pub fn query_values(raw_query: &str, name: &str) -> Result<Vec<String>, Rejection> {
    let mut values = Vec::new();
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        // Names are compared decoded, so `p%61th=` is `path=` as a browser sees it.
        if form_decode(raw_name).as_deref() != Ok(name) {
            continue;
        }
        values.push(form_decode(raw_value).map_err(|_| Rejection::InvalidEncoding)?);
    }
    Ok(values)
}

/// Form decoding as browsers do it: `+` is a space, `%XX` a byte, and a `%` that does not
/// start a valid escape stays as it is (percent-encoding's rule too).
fn form_decode(component: &str) -> Result<String, FromUtf8Error> {
    let mut bytes = Vec::with_capacity(component.len());
    // An escape never spans a `+`, so the pieces between them decode on their own.
    for (i, piece) in component.split('+').enumerate() {
        if i > 0 {
            bytes.push(b' ');
        }
        bytes.extend(percent_decode_str(piece));
    }
    String::from_utf8(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(raw_query: &str) -> Request {
        Request {
            method: "GET".to_owned(),
            raw_query: raw_query.to_owned(),
            request_id: String::new(),
        }
    }

    #[test]
    fn decodes_form_encoding() {
        assert_eq!(
            query_values("path=%2Fcaf%C3%A9+menu", "path"),
            Ok(vec!["/café menu".to_owned()])
        );
        assert_eq!(
            query_values("path=100%", "path"),
            Ok(vec!["100%".to_owned()])
        );
        assert_eq!(
            query_values("path=%zz%4", "path"),
            Ok(vec!["%zz%4".to_owned()])
        );
        assert_eq!(
            query_values("path=a%2Bb+c", "path"),
            Ok(vec!["a+b c".to_owned()])
        );
    }

    #[test]
    fn finds_every_value_and_only_of_that_name() {
        assert_eq!(
            query_values("a=1&path=x&pathx=y&path=z&&path", "path"),
            Ok(vec!["x".to_owned(), "z".to_owned(), String::new()])
        );
        assert_eq!(query_values("p%61th=%2F", "path"), Ok(vec!["/".to_owned()]));
    }

    #[test]
    fn refuses_invalid_utf8() {
        assert_eq!(
            query_values("path=%FF", "path"),
            Err(Rejection::InvalidEncoding)
        );
        // A broken value of another parameter is not ours to judge.
        assert_eq!(
            query_values("x=%FF&path=a", "path"),
            Ok(vec!["a".to_owned()])
        );
    }

    #[test]
    fn the_method_rule_comes_before_the_query_cap() {
        let huge = format!("path=/{}", "a".repeat(MAX_QUERY_BYTES));
        let mut request = get(&huge);
        assert_eq!(counter_key(&request, None), Err(Rejection::QueryTooLong));
        request.method = "DELETE".to_owned();
        assert_eq!(
            counter_key(&request, None),
            Err(Rejection::MethodNotAllowed)
        );
    }

    #[test]
    fn the_query_cap_is_inclusive() {
        let at_cap = format!("path=/{}", "a".repeat(MAX_QUERY_BYTES - "path=/".len()));
        assert_eq!(at_cap.len(), MAX_QUERY_BYTES);
        // Within the cap the path rules decide: this path is over DynamoDB's limit.
        assert_eq!(
            counter_key(&get(&at_cap), None),
            Err(Rejection::PathTooLong)
        );
    }

    #[test]
    fn length_is_counted_in_bytes() {
        let at_limit = "€".repeat(682) + "ab";
        assert_eq!(at_limit.len(), MAX_PATH_BYTES);
        assert!(validate(at_limit, None).is_ok());
        let over = "€".repeat(683);
        assert_eq!(over.chars().count(), 683);
        assert_eq!(validate(over, None), Err(Rejection::PathTooLong));
    }

    #[test]
    fn control_characters_are_refused() {
        for bad in ["\u{0}", "a\nb", "\u{1f}", "\u{7f}", "\u{85}"] {
            assert_eq!(
                validate(bad.to_owned(), None),
                Err(Rejection::ControlCharacter),
                "{bad:?}"
            );
        }
        assert!(validate("/tab-free/\u{a0}ok".to_owned(), None).is_ok());
    }

    #[test]
    fn allow_list_matches_prefixes() {
        let allowed = ["/blog/".to_owned(), "/index.html".to_owned()];
        assert!(validate("/blog/post".to_owned(), Some(&allowed)).is_ok());
        assert!(validate("/index.html".to_owned(), Some(&allowed)).is_ok());
        assert_eq!(
            validate("/admin".to_owned(), Some(&allowed)),
            Err(Rejection::PathNotAllowed)
        );
    }
}
