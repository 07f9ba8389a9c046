//! The count drawn as a small SVG badge, shields-style: a label box and a count box, in the
//! words, colours and style the page chose. [`Badge::default`] draws the badge this counter
//! always drew, byte for byte.
//!
//! Each part of a [`Badge`] is checked when it is made, so drawing cannot fail; the label is
//! the one text from the request that reaches the image, and it is escaped for XML there.

use std::borrow::Cow;
use std::fmt::{self, Write};

use icu_properties::props::{EastAsianWidth, EmojiPresentation, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

use crate::key::is_unreadable;

/// The longest label taken, in characters (Unicode scalar values).
pub const MAX_LABEL_CHARS: usize = 64;

/// What the image looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub label: Label,
    /// The count's box.
    pub color: Color,
    /// The label's box.
    pub label_color: Color,
    pub style: Style,
}

impl Default for Badge {
    /// Today's badge: "views" on grey, the count on blue, flat.
    fn default() -> Self {
        Badge {
            label: Label::default(),
            color: Color(Cow::Borrowed("#007ec6")),
            label_color: Color(Cow::Borrowed("#555")),
            style: Style::Flat,
        }
    }
}

/// The left-hand text: plain Unicode, at most [`MAX_LABEL_CHARS`]; empty draws the count
/// alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(Cow<'static, str>);

impl Default for Label {
    fn default() -> Self {
        Label(Cow::Borrowed("views"))
    }
}

impl Label {
    /// `text`, if it is short enough and every character of it can be read: none of the
    /// characters refused in paths (invisible, reordering, look-alike spaces), and not only
    /// spaces, which would draw an empty box.
    pub fn new(text: String) -> Option<Label> {
        let readable = !text.chars().any(is_unreadable) && text.chars().any(|c| c != ' ');
        let short = text.chars().count() <= MAX_LABEL_CHARS;
        (text.is_empty() || (readable && short)).then_some(Label(Cow::Owned(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A box's fill, ready for the markup: `#` and 3 or 6 hex digits, lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Color(Cow<'static, str>);

/// The names shields' badges take, with shields' values, so a page can carry its habits over.
const NAMED_COLORS: [(&str, &str); 11] = [
    ("brightgreen", "#4c1"),
    ("green", "#97ca00"),
    ("yellowgreen", "#a4a61d"),
    ("yellow", "#dfb317"),
    ("orange", "#fe7d37"),
    ("red", "#e05d44"),
    ("blue", "#007ec6"),
    ("grey", "#555"),
    ("gray", "#555"),
    ("lightgrey", "#9f9f9f"),
    ("lightgray", "#9f9f9f"),
];

impl Color {
    /// One of shields' colour names (`brightgreen`, `green`, `yellowgreen`, `yellow`, `orange`,
    /// `red`, `blue`, `grey`, `gray`, `lightgrey`, `lightgray`), or 3 or 6 hex digits without
    /// the `#` (which a URL would take for the start of a fragment).
    pub fn parse(value: &str) -> Option<Color> {
        if let Some((_, hex)) = NAMED_COLORS.iter().find(|(name, _)| *name == value) {
            return Some(Color(Cow::Borrowed(hex)));
        }
        let hex = matches!(value.len(), 3 | 6) && value.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| Color(Cow::Owned(format!("#{}", value.to_ascii_lowercase()))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shields' styles that fit a counter. Today's badge has square corners and no gradient,
/// shields' `flat-square` look, so `flat-square` draws what `flat` draws; `for-the-badge` is
/// taller, in capitals, the count in bold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Style {
    #[default]
    Flat,
    FlatSquare,
    ForTheBadge,
}

impl Style {
    pub const NAMES: [(&'static str, Style); 3] = [
        ("flat", Style::Flat),
        ("flat-square", Style::FlatSquare),
        ("for-the-badge", Style::ForTheBadge),
    ];

    fn look(self) -> Look {
        match self {
            Style::Flat | Style::FlatSquare => FLAT,
            Style::ForTheBadge => FOR_THE_BADGE,
        }
    }
}

/// A style's geometry, in pixels.
struct Look {
    height: usize,
    font_size: usize,
    baseline: usize,
    /// Space either side of each text.
    padding: usize,
    /// Extra space after each character (CSS letter-spacing).
    letter_spacing: usize,
    capitals: bool,
    bold_count: bool,
}

const FLAT: Look = Look {
    height: 20,
    font_size: 11,
    baseline: 14,
    padding: 6,
    letter_spacing: 0,
    capitals: false,
    bold_count: false,
};

const FOR_THE_BADGE: Look = Look {
    height: 28,
    font_size: 10,
    baseline: 18,
    padding: 9,
    letter_spacing: 1,
    capitals: true,
    bold_count: true,
};

impl Badge {
    /// The SVG document showing `count`.
    pub fn draw(&self, count: u64) -> String {
        let mut svg = String::with_capacity(512 + 6 * self.label.as_str().len());
        self.write(&mut svg, count)
            .expect("writing to a String cannot fail");
        svg
    }

    fn write(&self, svg: &mut String, count: u64) -> fmt::Result {
        let look = self.style.look();
        let digits = count.to_string();
        let label: Cow<str> = match look.capitals {
            true => Cow::Owned(self.label.as_str().to_uppercase()),
            false => Cow::Borrowed(self.label.as_str()),
        };
        let label_width = match label.is_empty() {
            true => 0,
            false => look.box_width(&label, advance),
        };
        let digit = if look.bold_count { BOLD_DIGIT } else { DIGIT };
        let count_width = look.box_width(&digits, |_| digit);
        let (height, y) = (look.height, look.baseline);

        let name = AccessibleName(self.label.as_str(), &digits);
        write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" role="img" aria-label="{name}"><title>{name}</title>"#,
            label_width + count_width,
        )?;
        if label_width > 0 {
            let fill = self.label_color.as_str();
            write!(
                svg,
                r#"<rect width="{label_width}" height="{height}" fill="{fill}"/>"#
            )?;
        }
        let fill = self.color.as_str();
        write!(
            svg,
            r#"<rect x="{label_width}" width="{count_width}" height="{height}" fill="{fill}"/>"#
        )?;
        write!(
            svg,
            r#"<g fill="white" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="{}""#,
            look.font_size,
        )?;
        if look.letter_spacing > 0 {
            write!(svg, r#" letter-spacing="{}""#, look.letter_spacing)?;
        }
        svg.push('>');
        if label_width > 0 {
            let x = label_width / 2;
            write!(svg, r#"<text x="{x}" y="{y}">{}</text>"#, Escaped(&label))?;
        }
        let x = label_width + count_width / 2;
        let bold = if look.bold_count {
            r#" font-weight="bold""#
        } else {
            ""
        };
        write!(
            svg,
            r#"<text x="{x}" y="{y}"{bold}>{digits}</text></g></svg>"#
        )
    }
}

impl Look {
    /// A box that holds `text` at this look's size: its width measured with `advance`
    /// (2048ths of an em a character), rounded up, and the padding either side.
    fn box_width(&self, text: &str, advance: impl Fn(char) -> usize) -> usize {
        let (units, chars) = text
            .chars()
            .fold((0, 0), |(units, chars), c| (units + advance(c), chars + 1));
        (units * self.font_size).div_ceil(2048) + chars * self.letter_spacing + 2 * self.padding
    }
}

/// A digit's advance, in 2048ths of an em: the same in Verdana and DejaVu Sans (tabular).
const DIGIT: usize = 1303;
/// A bold digit's: Verdana Bold's, the wider of the two bold faces.
const BOLD_DIGIT: usize = 1456;

/// How wide a character is drawn, in 2048ths of an em. For printable ASCII, the wider of the
/// two fonts the badge names: Verdana's advance (as shields measures it) and DejaVu Sans's
/// (read from the font, the one Linux draws it in). Any other character is guessed generously
/// from Unicode's own classes: a combining mark takes no room; an East Asian wide or
/// full-width character (CJK, kana, Hangul) is a full em, and a character shown as emoji by
/// default 1.25 em (colour emoji fonts draw wider than an em); anything else is taken as wide
/// as an `M`, wider than most letters of any script.
fn advance(c: char) -> usize {
    if let Some(width) = (c as usize)
        .checked_sub(0x20)
        .and_then(|i| ASCII_ADVANCES.get(i))
    {
        return usize::from(*width);
    }
    if CodePointSetData::new::<EmojiPresentation>().contains(c) {
        return 2560;
    }
    if matches!(
        CodePointMapData::<EastAsianWidth>::new().get(c),
        EastAsianWidth::Wide | EastAsianWidth::Fullwidth
    ) {
        return 2048;
    }
    if matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    ) {
        return 0;
    }
    usize::from(ASCII_ADVANCES[usize::from(b'M' - 0x20)])
}

/// U+0020 to U+007E, in 2048ths of an em (see [`advance`]).
#[rustfmt::skip]
const ASCII_ADVANCES: [u16; 95] = [
    720, 821, 942, 1716, 1303, 2204, 1597, 563, //  !"#$%&'
    930, 930, 1302, 1716, 745, 930, 745, 930, // ()*+,-./
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, // 01234567
    1303, 1303, 930, 930, 1716, 1716, 1716, 1117, // 89:;<=>?
    2048, 1401, 1405, 1430, 1578, 1295, 1178, 1588, // @ABCDEFG
    1540, 862, 931, 1419, 1141, 1767, 1532, 1612, // HIJKLMNO
    1235, 1612, 1424, 1400, 1262, 1499, 1401, 2025, // PQRSTUVW
    1403, 1260, 1403, 930, 930, 930, 1716, 1302, // XYZ[\]^_
    1302, 1255, 1300, 1126, 1300, 1260, 721, 1300, // `abcdefg
    1298, 569, 705, 1212, 569, 1995, 1298, 1253, // hijklmno
    1300, 1300, 874, 1067, 807, 1298, 1212, 1676, // pqrstuvw
    1212, 1212, 1076, 1303, 930, 1303, 1716, // xyz{|}~
];

/// Text for XML character data and quoted attributes: the five characters that could end
/// either, or start markup, become references.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// What a screen reader says: "label: count", or the count alone when there is no label.
struct AccessibleName<'a>(&'a str, &'a str);

impl fmt::Display for AccessibleName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AccessibleName(label, count) = *self;
        match label.is_empty() {
            true => f.write_str(count),
            false => write!(f, "{}: {count}", Escaped(label)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labelled(text: &str) -> Badge {
        Badge {
            label: Label::new(text.to_owned()).expect("a readable label"),
            ..Badge::default()
        }
    }

    /// What a drawing is made of, read back by an XML parser: each element's name and
    /// attribute names in document order, the text of each `<text>`, the `<title>` and the
    /// `aria-label`. Panics on a document that is not well-formed.
    #[derive(Debug, PartialEq)]
    struct Drawing {
        elements: Vec<(String, Vec<String>)>,
        texts: Vec<String>,
        title: String,
        aria_label: String,
    }

    fn read(svg: &str) -> Drawing {
        let document = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = document.root_element();
        let elements = root.descendants().filter(|node| node.is_element());
        // One namespace, declared once, holds every element.
        assert_eq!(root.namespaces().len(), 1, "{svg}");
        let svg_namespace = Some("http://www.w3.org/2000/svg");
        assert!(elements
            .clone()
            .all(|node| node.tag_name().namespace() == svg_namespace));
        let text_of = |node: roxmltree::Node| node.text().unwrap_or_default().to_owned();
        Drawing {
            elements: elements
                .clone()
                .map(|node| {
                    let attributes = node
                        .attributes()
                        .iter()
                        .map(|a| a.name().to_owned())
                        .collect();
                    (node.tag_name().name().to_owned(), attributes)
                })
                .collect(),
            texts: elements
                .clone()
                .filter(|node| node.has_tag_name("text"))
                .map(text_of)
                .collect(),
            title: elements
                .clone()
                .find(|node| node.has_tag_name("title"))
                .map(text_of)
                .unwrap_or_default(),
            aria_label: root.attribute("aria-label").unwrap_or_default().to_owned(),
        }
    }

    /// The elements and attributes every drawing has, the label's only when there is one.
    fn skeleton(with_label: bool, style: Style) -> Vec<(String, Vec<String>)> {
        let names =
            |names: &[&str]| -> Vec<String> { names.iter().map(|name| name.to_string()).collect() };
        let mut group = vec!["fill", "text-anchor", "font-family", "font-size"];
        let mut count = vec!["x", "y"];
        if style == Style::ForTheBadge {
            group.push("letter-spacing");
            count.push("font-weight");
        }
        let mut elements = vec![
            (
                "svg".to_owned(),
                names(&["width", "height", "role", "aria-label"]),
            ),
            ("title".to_owned(), vec![]),
        ];
        if with_label {
            elements.push(("rect".to_owned(), names(&["width", "height", "fill"])));
        }
        elements.push(("rect".to_owned(), names(&["x", "width", "height", "fill"])));
        elements.push(("g".to_owned(), names(&group)));
        if with_label {
            elements.push(("text".to_owned(), names(&["x", "y"])));
        }
        elements.push(("text".to_owned(), names(&count)));
        elements
    }

    /// The `width` attribute of the `n`th element named `tag`.
    fn width_of(svg: &str, tag: &str, n: usize) -> usize {
        let document = roxmltree::Document::parse(svg).unwrap();
        let node = document
            .descendants()
            .filter(|node| node.has_tag_name(tag))
            .nth(n)
            .unwrap();
        node.attribute("width").unwrap().parse().unwrap()
    }

    #[test]
    fn a_label_is_short_readable_text_or_nothing() {
        let sixty_four = "界".repeat(MAX_LABEL_CHARS);
        for good in [
            "",
            "views",
            "Besuche",
            "visites",
            "צפיות",
            "مشاهدات",
            "a b",
            "<&>",
        ] {
            assert!(Label::new(good.to_owned()).is_some(), "{good:?}");
        }
        assert!(Label::new(sixty_four.clone()).is_some());
        let refused = [
            format!("{sixty_four}界"),
            "a".repeat(MAX_LABEL_CHARS + 1),
            " ".to_owned(),
            "   ".to_owned(),
            "\u{202e}views".to_owned(), // a bidi override, which reorders what follows
            "vi\u{200b}ews".to_owned(),
            "views\n".to_owned(),
            "\u{a0}".to_owned(),
            "\u{fe0f}".to_owned(),
        ];
        for bad in refused {
            assert_eq!(Label::new(bad.clone()), None, "{bad:?}");
        }
    }

    #[test]
    fn a_color_is_three_or_six_hex_digits_or_a_shields_name() {
        let fill = |value: &str| Color::parse(value).map(|color| color.as_str().to_owned());
        assert_eq!(fill("4c1").as_deref(), Some("#4c1"));
        assert_eq!(fill("007EC6").as_deref(), Some("#007ec6"));
        assert_eq!(fill("brightgreen").as_deref(), Some("#4c1"));
        assert_eq!(fill("lightgray").as_deref(), Some("#9f9f9f"));
        for (name, _) in NAMED_COLORS {
            assert!(fill(name).is_some(), "{name}");
        }
        for bad in [
            "", "55", "5555", "55555", "5555555", "ggg", "#555", "Red", "red ", "none",
        ] {
            assert_eq!(fill(bad), None, "{bad:?}");
        }
        assert_eq!(fill("\"/><script>"), None);
    }

    #[test]
    fn today_is_views_on_grey_the_count_on_blue() {
        let svg = Badge::default().draw(42);
        let drawing = read(&svg);
        assert_eq!(drawing.elements, skeleton(true, Style::Flat));
        assert_eq!(drawing.texts, ["views", "42"]);
        assert_eq!(
            (width_of(&svg, "rect", 0), width_of(&svg, "rect", 1)),
            (44, 26)
        );
        assert!(svg.contains(r##"fill="#555""##) && svg.contains(r##"fill="#007ec6""##));
    }

    #[test]
    fn the_count_box_grows_a_digit_at_a_time() {
        let count_width = |count| width_of(&Badge::default().draw(count), "rect", 1);
        assert_eq!(count_width(7), 2 * 6 + 7);
        assert_eq!(count_width(1234), count_width(7) + 3 * 7);
        assert_eq!(count_width(u64::MAX), 2 * 6 + 20 * 7);
    }

    #[test]
    fn the_page_chooses_the_words_and_colours() {
        let badge = Badge {
            color: Color::parse("brightgreen").unwrap(),
            label_color: Color::parse("123abc").unwrap(),
            ..labelled("Besuche")
        };
        let svg = badge.draw(1234);
        let drawing = read(&svg);
        assert_eq!(drawing.elements, skeleton(true, Style::Flat));
        assert_eq!(drawing.texts, ["Besuche", "1234"]);
        assert_eq!(
            (drawing.title.as_str(), drawing.aria_label.as_str()),
            ("Besuche: 1234", "Besuche: 1234")
        );
        assert!(
            svg.contains(r##"<rect width="59" height="20" fill="#123abc"/>"##),
            "{svg}"
        );
        assert!(
            svg.contains(r##"<rect x="59" width="40" height="20" fill="#4c1"/>"##),
            "{svg}"
        );
    }

    #[test]
    fn an_empty_label_draws_the_count_alone_and_names_it() {
        let svg = labelled("").draw(42);
        let drawing = read(&svg);
        assert_eq!(drawing.elements, skeleton(false, Style::Flat));
        assert_eq!(drawing.texts, ["42"]);
        assert_eq!(
            (drawing.title.as_str(), drawing.aria_label.as_str()),
            ("42", "42")
        );
        assert_eq!(width_of(&svg, "svg", 0), 26);
        assert!(svg.contains(r#"<text x="13" y="14">42</text>"#), "{svg}");
    }

    /// Markup in a label stays text: in the drawing, the title and the aria-label alike.
    #[test]
    fn a_label_cannot_add_markup() {
        for label in [
            "<script>alert(1)</script>",
            r#"" onload="alert(1)"#,
            "' onload='alert(1)",
            "Tom & Jerry &amp; &lt;",
            "]]><!--",
        ] {
            let svg = labelled(label).draw(7);
            let drawing = read(&svg);
            assert_eq!(drawing.elements, skeleton(true, Style::Flat), "{label}");
            assert_eq!(drawing.texts, [label, "7"]);
            let name = format!("{label}: 7");
            assert_eq!((&drawing.title, &drawing.aria_label), (&name, &name));
            assert!(
                !svg.contains("<script") && !svg.contains(r#"" onload"#),
                "{svg}"
            );
        }
        assert_eq!(
            Escaped(r#"<a href="x">&'"#).to_string(),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn right_to_left_text_is_kept_as_written() {
        let hebrew = "צפיות בדף";
        let drawing = read(&labelled(hebrew).draw(42));
        assert_eq!(drawing.texts, [hebrew, "42"]);
        assert_eq!(drawing.aria_label, format!("{hebrew}: 42"));
    }

    /// Wide characters are measured as such: 64 of them need a box of 64 ems and its padding.
    #[test]
    fn wide_characters_get_wide_boxes() {
        let label_width = |text: &str| width_of(&labelled(text).draw(1), "rect", 0);
        assert_eq!(label_width(&"界".repeat(MAX_LABEL_CHARS)), 64 * 11 + 12);
        assert_eq!(label_width("訪問"), 2 * 11 + 12);
        assert_eq!(label_width("👀"), 14 + 12); // 1.25 em, rounded up
        assert_eq!(label_width("e\u{301}"), label_width("e")); // a combining accent
        assert!(
            label_width("ж") >= label_width("m") - 2,
            "another script, taken wide"
        );
        assert_eq!(label_width("views"), 44);
        assert_eq!(label_width("WWW"), 33 + 12);
        assert_eq!(label_width("iii"), 10 + 12);
    }

    #[test]
    fn flat_square_is_today_s_square_look_and_for_the_badge_is_tall_capitals() {
        let styled = |style| Badge {
            style,
            ..labelled("Visits")
        };
        assert_eq!(
            styled(Style::FlatSquare).draw(9),
            styled(Style::Flat).draw(9)
        );

        let svg = styled(Style::ForTheBadge).draw(42);
        let drawing = read(&svg);
        assert_eq!(drawing.elements, skeleton(true, Style::ForTheBadge));
        assert_eq!(drawing.texts, ["VISITS", "42"]);
        assert_eq!(
            drawing.aria_label, "Visits: 42",
            "the name keeps the page's words"
        );
        assert!(svg.contains(r#"height="28""#) && svg.contains(r#"font-size="10""#));
        // Capitals at 10 px, a pixel after each letter, 9 px either side; bold digits.
        let widths = (width_of(&svg, "rect", 0), width_of(&svg, "rect", 1));
        assert_eq!(widths, (36 + 6 + 18, 15 + 2 + 18));
    }

    /// Characters a label may be made of: markup, quotes, references, several scripts, wide
    /// and combining characters, emoji, spaces.
    fn label_text() -> impl Strategy<Value = String> {
        let piece = "[<>&\"';a-zA-Z0-9 ]|[éßﬁİ]|[界訪問]|[צפיותمشاهدات]|[\u{301}\u{20dd}]|[👀🎉]|&[a-z]+;|&#[0-9]+;";
        prop_oneof![9 => piece, 1 => Just(String::new())]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the label (and style), the image is well-formed XML with exactly the
        /// expected elements and attributes, shows the label as given, and is named by it.
        #[test]
        fn any_label_draws_a_well_formed_image_named_by_it(
            pieces in proptest::collection::vec(label_text(), 0..=MAX_LABEL_CHARS / 4),
            count in any::<u64>(),
            style in proptest::sample::select(Style::NAMES.map(|(_, style)| style).to_vec()),
        ) {
            let text: String = pieces.concat().chars().take(MAX_LABEL_CHARS).collect();
            prop_assume!(text.is_empty() || text.chars().any(|c| c != ' '));
            let badge = Badge { style, ..labelled(&text) };
            let drawing = read(&badge.draw(count));
            prop_assert_eq!(&drawing.elements, &skeleton(!text.is_empty(), style));
            let shown = if style == Style::ForTheBadge { text.to_uppercase() } else { text.clone() };
            let mut texts = vec![count.to_string()];
            let mut name = count.to_string();
            if !text.is_empty() {
                texts.insert(0, shown);
                name = format!("{text}: {count}");
            }
            prop_assert_eq!(&drawing.texts, &texts);
            prop_assert_eq!(&drawing.title, &name);
            prop_assert_eq!(&drawing.aria_label, &name);
        }
    }
}
