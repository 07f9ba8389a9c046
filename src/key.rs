//! What a page path may be, as a DynamoDB key a person can read: the rules every `path` and
//! every allow-list entry pass.

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

/// DynamoDB's limit for a partition key, in bytes of UTF-8. dynalite counts characters
/// instead, so this is the only place the real limit is enforced locally.
pub const MAX_PATH_BYTES: usize = 2048;

/// Why a decoded path cannot be a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Empty, or only white space: nothing a person could tell apart.
    Blank,
    /// Over [`MAX_PATH_BYTES`].
    TooLong,
    /// A character that is invisible, rearranges text, or looks like a plain space.
    Unreadable,
}

/// Checks `path` against every key rule. Every white space but U+0020 is unreadable, so what
/// is left to call blank is a path of plain spaces.
pub fn check(path: &str) -> Result<(), KeyError> {
    if path.is_empty() {
        return Err(KeyError::Blank);
    }
    if path.len() > MAX_PATH_BYTES {
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
            assert_eq!(check(path), Ok(()), "{path:?}");
        }
    }

    #[test]
    fn empty_and_space_only_paths_are_blank() {
        for path in ["", " ", "   "] {
            assert_eq!(check(path), Err(KeyError::Blank), "{path:?}");
        }
        // Other white space is invisible or a look-alike before it is blank.
        for path in ["\t", "\n", " \u{3000} ", "\u{2028}"] {
            assert_eq!(check(path), Err(KeyError::Unreadable), "{path:?}");
        }
    }

    #[test]
    fn the_limit_is_in_bytes() {
        assert_eq!(check(&"a".repeat(MAX_PATH_BYTES)), Ok(()));
        assert_eq!(
            check(&"a".repeat(MAX_PATH_BYTES + 1)),
            Err(KeyError::TooLong)
        );
        // 683 characters, 2049 bytes: dynalite takes it, DynamoDB does not.
        assert_eq!(check(&"€".repeat(683)), Err(KeyError::TooLong));
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
                check(&format!("/blog/{c}")),
                Err(KeyError::Unreadable),
                "U+{:04X}",
                c as u32
            );
        }
    }
}
