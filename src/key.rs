//! What a page path may be, as a DynamoDB key a person can read: the rules every `path` and
//! every allow-list entry pass.

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

/// DynamoDB's limit for a partition key, in bytes of UTF-8: the most `COUNTER_MAX_PATH_BYTES`
/// may be. dynalite counts characters instead, so our check is the only one locally.
pub const MAX_PATH_BYTES: usize = 2048;

/// The cap when the owner sets none: far above any page's path, and 8 times less storage than
/// DynamoDB's limit for each junk key someone makes up.
pub const DEFAULT_MAX_PATH_BYTES: usize = 256;

/// Why a decoded path cannot be a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Empty, or only white space: nothing a person could tell apart.
    Blank,
    /// Over the cap in bytes.
    TooLong,
    /// A character that is invisible, rearranges text, or looks like a plain space.
    Unreadable,
}

/// A page path that passed every key rule: the only way to name an item of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey(String);

impl CounterKey {
    /// `path`, once [`check`] has passed it.
    pub fn new(path: String, max_bytes: usize) -> Result<Self, KeyError> {
        check(&path, max_bytes)?;
        Ok(CounterKey(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks `path` against every key rule, at most `max_bytes` long. Every white space but U+0020
/// is unreadable, so what is left to call blank is a path of plain spaces.
pub fn check(path: &str, max_bytes: usize) -> Result<(), KeyError> {
    if path.is_empty() {
        return Err(KeyError::Blank);
    }
    if path.len() > max_bytes {
        return Err(KeyError::TooLong);
    }
    if path.chars().any(is_unreadable) {
        return Err(KeyError::Unreadable);
    }
    if path.trim_matches(' ').is_empty() {
        return Err(KeyError::Blank);
    }
    Ok(())
}

/// Characters refused in keys, so that no key looks like another and no log line reads
/// backwards: control and format characters (Unicode Cc, Cf: bidi overrides, zero-width
/// characters, the BOM), line and paragraph separators (Zl, Zp), every other character Unicode
/// says renders as nothing (`Default_Ignorable_Code_Point`: Hangul fillers, variation
/// selectors, the combining grapheme joiner), and every space but U+0020 (Zs: a no-break or
/// ideographic space looks like a plain one).
pub fn is_unreadable(c: char) -> bool {
    if c == ' ' {
        return false;
    }
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::SpaceSeparator
    ) || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_paths_pass() {
        for path in ["/", "/index.html", "/blog/café", "/a b", "/日本語/", "/😀"] {
            assert_eq!(check(path, DEFAULT_MAX_PATH_BYTES), Ok(()), "{path:?}");
        }
    }

    #[test]
    fn empty_and_space_only_paths_are_blank() {
        for path in ["", " ", "   "] {
            assert_eq!(
                check(path, MAX_PATH_BYTES),
                Err(KeyError::Blank),
                "{path:?}"
            );
        }
        // Other white space is invisible or a look-alike before it is blank.
        for path in ["\t", "\n", " \u{3000} ", "\u{2028}"] {
            assert_eq!(
                check(path, MAX_PATH_BYTES),
                Err(KeyError::Unreadable),
                "{path:?}"
            );
        }
    }

    #[test]
    fn the_limit_is_in_bytes() {
        for max in [1, DEFAULT_MAX_PATH_BYTES, MAX_PATH_BYTES] {
            assert_eq!(check(&"a".repeat(max), max), Ok(()), "{max}");
            assert_eq!(
                check(&"a".repeat(max + 1), max),
                Err(KeyError::TooLong),
                "{max}"
            );
        }
        // 683 characters, 2049 bytes: dynalite takes it, DynamoDB does not.
        assert_eq!(
            check(&"€".repeat(683), MAX_PATH_BYTES),
            Err(KeyError::TooLong)
        );
        // 86 characters, 258 bytes: over the default cap.
        assert_eq!(
            check(&"€".repeat(86), DEFAULT_MAX_PATH_BYTES),
            Err(KeyError::TooLong)
        );
    }

    #[test]
    fn invisible_and_look_alike_characters_are_unreadable() {
        let refused = [
            '\u{0}',
            '\u{7f}',
            '\u{85}', // Cc
            '\u{200b}',
            '\u{202e}',
            '\u{feff}', // Cf: zero-width space, bidi override, BOM
            '\u{2028}',
            '\u{2029}', // Zl, Zp
            '\u{3164}',
            '\u{115f}',
            '\u{034f}',
            '\u{fe0f}',
            '\u{e0100}', // default ignorable
            '\u{a0}',
            '\u{2009}',
            '\u{3000}', // spaces that look like U+0020
        ];
        for c in refused {
            assert!(is_unreadable(c), "U+{:04X}", c as u32);
            assert_eq!(
                check(&format!("/blog/{c}"), MAX_PATH_BYTES),
                Err(KeyError::Unreadable),
                "U+{:04X}",
                c as u32
            );
        }
    }
}
