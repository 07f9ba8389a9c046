//! The counter's query string, read from left to right: the page, whether to count it, and
//! how to answer; for an image, then, how it looks. Decoded as browsers encode forms (`+` is a
//! space, `%XX` a byte); a name is compared decoded, so `p%61th=` is `path=`. Other parameters
//! are ignored, and so are the image's in a JSON answer.

use percent_encoding::percent_decode_str;

use crate::badge::{Badge, Color, Label, Style};

/// What a well-formed query asks for. The key rules on `path` come after, in `request.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The `path` value, decoded; may be empty.
    pub path: String,
    /// `false` only for `increment=false`: read the count and write nothing.
    pub increment: bool,
    pub format: Format,
}

/// Why a query cannot be read; `request.rs` answers each as the request's rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// No `path` parameter.
    MissingPath,
    /// `path` given more than once.
    AmbiguousPath,
    /// A `path` whose escapes are not UTF-8.
    InvalidEncoding,
    /// `increment` other than `true` or `false`, or given twice.
    InvalidIncrement,
    /// `format` other than `json` or `svg`, or given twice.
    InvalidFormat,
    /// For an image: a `label` too long, unreadable or not UTF-8, or given twice.
    InvalidLabel,
    /// For an image: a `color` that is no colour, or given twice.
    InvalidColor,
    /// For an image: a `labelColor` that is no colour, or given twice.
    InvalidLabelColor,
    /// For an image: a `style` we do not draw, or given twice.
    InvalidStyle,
}

/// How the count is answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Format {
    /// `{"count": N, "counted": B}`: no `format`, or `format=json`.
    #[default]
    Json,
    /// A small image of the number, for pages where no script runs: `format=svg`, drawn as
    /// `label`, `color`, `labelColor` and `style` say.
    Svg(Badge),
}

impl Query {
    /// Reads `raw_query`. The first broken parameter decides the rejection: a second `path`,
    /// `increment` or `format` is refused as soon as it is met. The image's parameters are read
    /// last, in a pass of their own, and only for an image.
    pub fn parse(raw_query: &str) -> Result<Query, QueryError> {
        let mut path = None;
        let mut increment = None;
        let mut image = None;
        for pair in raw_query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if decodes_to(name, "path") {
                if path.is_some() {
                    // The raw query is the source of truth: API Gateway's parsed parameters
                    // join `?path=a&path=b` into "a,b", a page nobody asked for.
                    return Err(QueryError::AmbiguousPath);
                }
                path = Some(form_decode(value).ok_or(QueryError::InvalidEncoding)?);
            } else if decodes_to(name, "increment") {
                let given = [("true", true), ("false", false)];
                set_once(
                    &mut increment,
                    word(value, given),
                    QueryError::InvalidIncrement,
                )?;
            } else if decodes_to(name, "format") {
                let given = [("json", false), ("svg", true)];
                set_once(&mut image, word(value, given), QueryError::InvalidFormat)?;
            }
        }
        let path = path.ok_or(QueryError::MissingPath)?;
        let format = match image {
            Some(true) => Format::Svg(badge(raw_query)?),
            _ => Format::Json,
        };
        Ok(Query {
            path,
            increment: increment.unwrap_or(true),
            format,
        })
    }
}

/// The image's parameters in `raw_query`, each at most once; today's badge where none is given.
fn badge(raw_query: &str) -> Result<Badge, QueryError> {
    let (mut label, mut color, mut label_color, mut style) = (None, None, None, None);
    for pair in raw_query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if decodes_to(name, "label") {
            let text = form_decode(value).and_then(Label::new);
            set_once(&mut label, text, QueryError::InvalidLabel)?;
        } else if decodes_to(name, "color") {
            let fill = form_decode(value).and_then(|value| Color::parse(&value));
            set_once(&mut color, fill, QueryError::InvalidColor)?;
        } else if decodes_to(name, "labelColor") {
            let fill = form_decode(value).and_then(|value| Color::parse(&value));
            set_once(&mut label_color, fill, QueryError::InvalidLabelColor)?;
        } else if decodes_to(name, "style") {
            set_once(
                &mut style,
                word(value, Style::NAMES),
                QueryError::InvalidStyle,
            )?;
        }
    }
    let today = Badge::default();
    Ok(Badge {
        label: label.unwrap_or(today.label),
        color: color.unwrap_or(today.color),
        label_color: label_color.unwrap_or(today.label_color),
        style: style.unwrap_or(today.style),
    })
}

/// Fills `slot` with `value`, or refuses with `error` when the value is not one of the
/// words allowed or the slot is already filled.
fn set_once<T>(
    slot: &mut Option<T>,
    value: Option<T>,
    error: QueryError,
) -> Result<(), QueryError> {
    match value {
        Some(value) if slot.is_none() => {
            *slot = Some(value);
            Ok(())
        }
        _ => Err(error),
    }
}

/// What the raw `value` means among the `words` a parameter accepts, if it is one of them.
fn word<T: Copy, const N: usize>(value: &str, words: [(&str, T); N]) -> Option<T> {
    words
        .into_iter()
        .find(|(word, _)| decodes_to(value, word))
        .map(|(_, meaning)| meaning)
}

/// Whether `raw` decodes to `expected`, compared byte by byte as it decodes, so nothing is
/// allocated. A `+` is left as it is: it stands for a space, and no word we compare with has
/// one, so it fails to match either way.
fn decodes_to(raw: &str, expected: &str) -> bool {
    percent_decode_str(raw).eq(expected.bytes())
}

/// Form decoding as browsers do it: `+` is a space, `%XX` a byte, and a `%` that does not
/// start a valid escape stays as it is (percent-encoding's rule too). A value that does not
/// decode to UTF-8 is refused rather than mangled, so two different byte strings can never
/// count as the same page.
fn form_decode(component: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(component.len());
    // An escape never spans a `+`, so the pieces between them decode on their own.
    for (i, piece) in component.split('+').enumerate() {
        if i > 0 {
            bytes.push(b' ');
        }
        bytes.extend(percent_decode_str(piece));
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(raw_query: &str) -> Result<String, QueryError> {
        Query::parse(raw_query).map(|query| query.path)
    }

    #[test]
    fn decodes_form_encoding() {
        assert_eq!(
            path_of("path=%2Fcaf%C3%A9+menu"),
            Ok("/café menu".to_owned())
        );
        assert_eq!(path_of("path=100%"), Ok("100%".to_owned()));
        assert_eq!(path_of("path=%zz%4"), Ok("%zz%4".to_owned()));
        assert_eq!(path_of("path=a%2Bb+c"), Ok("a+b c".to_owned()));
    }

    #[test]
    fn names_and_words_are_compared_decoded() {
        assert_eq!(path_of("p%61th=%2F"), Ok("/".to_owned()));
        assert_eq!(
            Query::parse("path=/&%69ncrement=f%61lse&form%61t=sv%67"),
            Ok(Query {
                path: "/".to_owned(),
                increment: false,
                format: Format::Svg(Badge::default()),
            })
        );
        // A `+` is a space, in a name as in a value: neither is a word we know.
        assert_eq!(path_of("path+=/"), Err(QueryError::MissingPath));
        assert_eq!(
            Query::parse("path=/&increment=false+"),
            Err(QueryError::InvalidIncrement)
        );
    }

    #[test]
    fn only_the_three_names_are_read() {
        assert_eq!(
            Query::parse("a=1&pathx=y&PATH=z&&path=x&Increment=no&formats=png&Format=png"),
            Ok(Query {
                path: "x".to_owned(),
                increment: true,
                format: Format::Json,
            })
        );
        assert_eq!(path_of("path"), Ok(String::new()));
        assert_eq!(path_of(""), Err(QueryError::MissingPath));
        assert_eq!(path_of("increment=false"), Err(QueryError::MissingPath));
    }

    #[test]
    fn refuses_a_path_that_is_not_utf8_but_not_another_parameter_that_is_not() {
        assert_eq!(path_of("path=%FF"), Err(QueryError::InvalidEncoding));
        assert_eq!(path_of("x=%FF&path=a"), Ok("a".to_owned()));
    }

    #[test]
    fn each_parameter_is_given_at_most_once() {
        for (query, rejection) in [
            ("path=a&path=a", QueryError::AmbiguousPath),
            ("path=a&p%61th=b", QueryError::AmbiguousPath),
            (
                "path=/&increment=false&increment=false",
                QueryError::InvalidIncrement,
            ),
            ("path=/&format=svg&format=svg", QueryError::InvalidFormat),
            ("path=/&format=json&format=svg", QueryError::InvalidFormat),
        ] {
            assert_eq!(Query::parse(query), Err(rejection), "{query}");
        }
    }

    #[test]
    fn the_first_broken_parameter_decides() {
        assert_eq!(
            Query::parse("path=a&path=%FF"),
            Err(QueryError::AmbiguousPath)
        );
        assert_eq!(
            Query::parse("increment=no&path=%FF"),
            Err(QueryError::InvalidIncrement)
        );
        assert_eq!(
            Query::parse("path=%FF&increment=no"),
            Err(QueryError::InvalidEncoding)
        );
    }

    #[test]
    fn format_is_json_svg_or_nothing() {
        let format = |query: &str| Query::parse(query).map(|query| query.format);
        assert_eq!(format("path=/"), Ok(Format::Json));
        assert_eq!(format("path=/&format=json"), Ok(Format::Json));
        assert_eq!(
            format("format=svg&path=/"),
            Ok(Format::Svg(Badge::default()))
        );
        for bad in ["png", "SVG", "", "svg%00", "svg+", "%FF"] {
            let query = format!("path=/&format={bad}");
            assert_eq!(format(&query), Err(QueryError::InvalidFormat), "{bad}");
        }
        assert_eq!(format("path=/&format"), Err(QueryError::InvalidFormat));
        // Refused as met, before the missing path is known.
        assert_eq!(format("format=png"), Err(QueryError::InvalidFormat));
    }

    fn badge_of(raw_query: &str) -> Result<Badge, QueryError> {
        match Query::parse(raw_query)?.format {
            Format::Svg(badge) => Ok(badge),
            Format::Json => panic!("{raw_query} asks for JSON"),
        }
    }

    #[test]
    fn an_image_takes_its_label_colours_and_style_decoded() {
        let badge = badge_of(
            "path=/&format=svg&label=Besuche+heute%21&color=brightgreen&labelColor=ABC&style=for-the-badge",
        )
        .unwrap();
        assert_eq!(badge.label.as_str(), "Besuche heute!");
        assert_eq!(badge.color.as_str(), "#4c1");
        assert_eq!(badge.label_color.as_str(), "#abc");
        assert_eq!(badge.style, Style::ForTheBadge);
        // Names are compared decoded, and the image's may come before `format`.
        let badge = badge_of("l%61bel=&st%79le=flat-square&path=/&format=svg").unwrap();
        assert_eq!((badge.label.as_str(), badge.style), ("", Style::FlatSquare));
        assert_eq!(badge_of("path=/&format=svg"), Ok(Badge::default()));
        // Other spellings are other parameters, ignored.
        assert_eq!(
            badge_of("path=/&format=svg&labelcolor=zzz&Label=%FF&colour=x&styles=y"),
            Ok(Badge::default())
        );
    }

    #[test]
    fn each_image_parameter_is_given_once_within_its_grammar() {
        let long = format!("label={}", "x".repeat(65));
        let cases = [
            ("label=a&label=a", QueryError::InvalidLabel),
            ("label=%E2%80%AE", QueryError::InvalidLabel),
            ("label=%FF", QueryError::InvalidLabel),
            ("label=+", QueryError::InvalidLabel),
            (long.as_str(), QueryError::InvalidLabel),
            ("color=red&color=red", QueryError::InvalidColor),
            ("color=%23555", QueryError::InvalidColor),
            ("color=55", QueryError::InvalidColor),
            ("color", QueryError::InvalidColor),
            (
                "labelColor=grey&labelColor=grey",
                QueryError::InvalidLabelColor,
            ),
            ("labelColor=Grey", QueryError::InvalidLabelColor),
            ("style=flat&style=flat", QueryError::InvalidStyle),
            ("style=plastic", QueryError::InvalidStyle),
            ("style=Flat", QueryError::InvalidStyle),
            ("style=", QueryError::InvalidStyle),
        ];
        for (parameters, error) in cases {
            let query = format!("path=/&format=svg&{parameters}");
            assert_eq!(badge_of(&query), Err(error), "{query}");
            // The JSON answer ignores them, as it ignores any other parameter.
            let json = Query::parse(&format!("path=/&{parameters}")).map(|query| query.format);
            assert_eq!(json, Ok(Format::Json), "{parameters}");
        }
        let label = "界".repeat(64);
        assert_eq!(
            badge_of(&format!("path=/&format=svg&label={label}")).map(|badge| badge.label),
            Ok(Label::new(label).unwrap())
        );
    }

    /// The image's parameters are judged after every other.
    #[test]
    fn the_image_parameters_come_last() {
        assert_eq!(
            Query::parse("label=%FF&format=svg"),
            Err(QueryError::MissingPath)
        );
        assert_eq!(
            Query::parse("style=x&format=svg&path=/&increment=no"),
            Err(QueryError::InvalidIncrement)
        );
        assert_eq!(
            Query::parse("style=x&path=/&format=svg&format=svg"),
            Err(QueryError::InvalidFormat)
        );
    }
}
