//! HTTP request → a validated [`CounterKey`], or the [`Rejection`] that explains why not.
//!
//! Every rule runs here, before any DynamoDB call, so a rejected request writes nothing.

use lambda_http::http::Method;
use lambda_http::{Request, RequestExt};

/// DynamoDB's limit for a partition key, in bytes of UTF-8. dynalite counts characters
/// instead, so this is the only place the real limit is enforced locally.
pub const MAX_PATH_BYTES: usize = 2048;

/// The name of the query parameter that names the counted page.
const PATH_PARAM: &str = "path";

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
    MissingPath,
    AmbiguousPath,
    PathTooLong,
    ControlCharacter,
    InvalidEncoding,
    PathNotAllowed,
}

/// Applies every rule to `request`. `allowed_prefixes` is the optional allow-list.
pub fn counter_key(
    request: &Request,
    allowed_prefixes: Option<&[String]>,
) -> Result<CounterKey, Rejection> {
    if request.method() != Method::GET {
        return Err(Rejection::MethodNotAllowed);
    }
    let path = single_path_value(request)?;
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

/// The one `path` value of the request.
///
/// The raw query string is the source of truth: API Gateway joins repeated parameters
/// with commas in `queryStringParameters`, which would hide `?path=a&path=b` as `"a,b"`.
/// Requests without a raw query (built in code rather than from an event) fall back to the
/// parsed parameters.
fn single_path_value(request: &Request) -> Result<String, Rejection> {
    let mut values = match request.uri().query() {
        Some(raw) => query_values(raw, PATH_PARAM)?,
        None => request
            .query_string_parameters_ref()
            .and_then(|params| params.all(PATH_PARAM))
            .map(|all| all.into_iter().map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    match values.len() {
        0 => Err(Rejection::MissingPath),
        1 => Ok(values.remove(0)),
        _ => Err(Rejection::AmbiguousPath),
    }
}

/// Every value of the parameter `name` in a raw `application/x-www-form-urlencoded` query,
/// decoded. A value that does not decode to UTF-8 is refused rather than mangled, so two
/// different byte strings can never count as the same page.
pub fn query_values(raw_query: &str, name: &str) -> Result<Vec<String>, Rejection> {
    let mut values = Vec::new();
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        // Names are compared after decoding, so `p%61th=` is `path=` as a browser sees it.
        if String::from_utf8(percent_decode(raw_name)).as_deref() != Ok(name) {
            continue;
        }
        let value =
            String::from_utf8(percent_decode(raw_value)).map_err(|_| Rejection::InvalidEncoding)?;
        values.push(value);
    }
    Ok(values)
}

/// Form decoding as browsers do it: `+` is a space, `%XX` a byte, and a `%` that does not
/// start a valid escape stays as it is.
fn percent_decode(input: &str) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => decoded.push(b' '),
            b'%' => match (hex_digit(bytes.get(i + 1)), hex_digit(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    decoded.push(high << 4 | low);
                    i += 2;
                }
                _ => decoded.push(b'%'),
            },
            byte => decoded.push(byte),
        }
        i += 1;
    }
    decoded
}

fn hex_digit(byte: Option<&u8>) -> Option<u8> {
    (*byte? as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

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
