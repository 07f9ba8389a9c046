//! Self-declared crawlers, by User-Agent: their requests are answered but not counted.
//!
//! The list is upstream's `crawler-user-agents` (vendor/crawler-user-agents/, MIT), turned by
//! scripts/refresh-crawlers.js into plain-text rules (patterns.rs) that match exactly what its
//! regular expressions match, less three documented exceptions (curl, Wget and HTTPie still
//! count). Matching is case-sensitive, as upstream's patterns are written to be.
//!
//! Why not the `regex` crate: it would compile some 1,500 patterns at start-up and add about
//! 1 MB to the binary. Here the compiler builds the index over the rules (a `static` evaluated
//! at compile time), so start-up does nothing, and a check costs a hash per byte of the
//! User-Agent plus a comparison for each rule in the buckets it lands in: about 4,500
//! instructions for a desktop Chrome User-Agent, 38 KB of binary.

#[rustfmt::skip]
mod patterns;

use patterns::RULES;

/// Whether `user_agent` declares itself a crawler. An empty User-Agent does not.
pub fn is_crawler(user_agent: &str) -> bool {
    let ua = user_agent.as_bytes();
    ua.windows(KEY_LEN).enumerate().any(|(at, key)| {
        TABLE
            .candidates(key)
            .iter()
            .any(|rule| TABLE.matches(rule, key, ua, at))
    })
}

/// One way an upstream pattern can match: `anchor` found in the User-Agent (at its very start
/// if `at_start`), followed right away by `tail`. The generated form, read by the compiler to
/// build [`TABLE`]; only the tests read it at run time.
#[derive(Debug)]
struct Rule {
    /// The pattern's position in vendor/crawler-user-agents/crawler-user-agents.json.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "only the tests trace rules to patterns")
    )]
    pattern: u16,
    at_start: bool,
    anchor: &'static str,
    tail: &'static [Tail],
}

/// What may follow an anchor: the few regular-expression pieces upstream uses beyond text.
#[derive(Debug)]
enum Tail {
    /// This text.
    Text(&'static str),
    /// `\d`: one ASCII digit.
    Digit,
    /// `\d+`: one or more ASCII digits.
    Digits,
    /// `[\s\S]*`: anything, possibly nothing.
    Anything,
    /// `[^c]`: one character other than `c` (only ever last, so one byte is enough).
    NotByte(u8),
    /// `$`: the end of the User-Agent.
    End,
}

impl Rule {
    const fn contains(pattern: u16, anchor: &'static str) -> Self {
        Self::with_tail(pattern, false, anchor, &[])
    }

    const fn starts_with(pattern: u16, anchor: &'static str) -> Self {
        Self::with_tail(pattern, true, anchor, &[])
    }

    const fn with_tail(
        pattern: u16,
        at_start: bool,
        anchor: &'static str,
        tail: &'static [Tail],
    ) -> Self {
        // The index keys rules by their first KEY_LEN bytes; a shorter anchor fails the build.
        assert!(anchor.len() >= KEY_LEN, "anchor shorter than the index key");
        Rule {
            pattern,
            at_start,
            anchor,
            tail,
        }
    }
}

/// Whether a rule matches `ua` with its anchor at byte `at`.
fn matches_at(ua: &[u8], at: usize, anchor: &[u8], at_start: bool, tail: &[Tail]) -> bool {
    (!at_start || at == 0)
        && ua[at..].starts_with(anchor)
        && tail_matches(tail, &ua[at + anchor.len()..])
}

/// Whether `rest` begins with `tail`; tries every split where a piece has a choice.
fn tail_matches(tail: &[Tail], rest: &[u8]) -> bool {
    let Some((piece, more)) = tail.split_first() else {
        return true;
    };
    match *piece {
        Tail::Text(text) => rest
            .strip_prefix(text.as_bytes())
            .is_some_and(|after| tail_matches(more, after)),
        Tail::Digit => {
            rest.first().is_some_and(u8::is_ascii_digit) && tail_matches(more, &rest[1..])
        }
        Tail::Digits => {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            (1..=digits).any(|n| tail_matches(more, &rest[n..]))
        }
        Tail::Anything => (0..=rest.len()).any(|n| tail_matches(more, &rest[n..])),
        Tail::NotByte(byte) => {
            rest.first().is_some_and(|&b| b != byte) && tail_matches(more, &rest[1..])
        }
        Tail::End => rest.is_empty(),
    }
}

/// Bytes of the User-Agent hashed at each position to find the rules whose anchor may start
/// there. Three: the shortest anchors upstream are three bytes long.
const KEY_LEN: usize = 3;
/// 4,096 buckets for ~1,500 rules: most positions of a browser's User-Agent land in an empty
/// one (2,048 cost a fifth more instructions per check, 8 KB of starts is cheap).
const BUCKET_BITS: u32 = 12;
const BUCKETS: usize = 1 << BUCKET_BITS;

const fn bucket(key: &[u8]) -> usize {
    let word = key[0] as u32 | (key[1] as u32) << 8 | (key[2] as u32) << 16;
    // Fibonacci hashing: the top bits of the product are well mixed.
    (word.wrapping_mul(0x9E37_79B1) >> (32 - BUCKET_BITS)) as usize
}

/// The rules as `is_crawler` reads them, built by the compiler from [`RULES`]. Anchors are
/// packed into one byte string, so the table holds almost no pointers (each would cost a
/// relocation in the binary), and rules are sorted by bucket, so one lookup finds them.
struct Table {
    /// `rules[starts[b]..starts[b + 1]]` are the rules whose anchor hashes to bucket `b`.
    starts: [u16; BUCKETS + 1],
    rules: [Packed; RULES.len()],
    text: [u8; TEXT_LEN],
    /// The few tails there are; `tails[0]` is the empty one.
    tails: [&'static [Tail]; TAIL_COUNT + 1],
}

/// A rule in [`Table`]: its anchor is `text[offset..offset + len]`, its tail `tails[tail]`.
#[derive(Clone, Copy)]
struct Packed {
    offset: u16,
    len: u8,
    at_start: bool,
    tail: u8,
}

static TABLE: Table = Table::build();

const TEXT_LEN: usize = {
    let (mut len, mut i) = (0, 0);
    while i < RULES.len() {
        len += RULES[i].anchor.len();
        i += 1;
    }
    len
};

const TAIL_COUNT: usize = {
    let (mut count, mut i) = (0, 0);
    while i < RULES.len() {
        count += !RULES[i].tail.is_empty() as usize;
        i += 1;
    }
    count
};

impl Table {
    const fn build() -> Table {
        assert!(
            RULES.len() <= u16::MAX as usize,
            "rule numbers must fit u16"
        );
        assert!(TEXT_LEN <= u16::MAX as usize, "anchor offsets must fit u16");
        assert!(TAIL_COUNT < u8::MAX as usize, "tail numbers must fit u8");
        let empty = Packed {
            offset: 0,
            len: 0,
            at_start: false,
            tail: 0,
        };
        let mut table = Table {
            starts: [0; BUCKETS + 1],
            rules: [empty; RULES.len()],
            text: [0; TEXT_LEN],
            tails: [&[]; TAIL_COUNT + 1],
        };
        // A counting sort by bucket: count, sum, then place.
        let mut i = 0;
        while i < RULES.len() {
            table.starts[bucket(RULES[i].anchor.as_bytes()) + 1] += 1;
            i += 1;
        }
        let mut b = 0;
        while b < BUCKETS {
            table.starts[b + 1] += table.starts[b];
            b += 1;
        }
        let mut next = table.starts;
        let (mut offset, mut tails) = (0, 0);
        let mut i = 0;
        while i < RULES.len() {
            let rule = &RULES[i];
            let anchor = rule.anchor.as_bytes();
            assert!(
                anchor.len() <= u8::MAX as usize,
                "anchor longer than 255 bytes"
            );
            let mut j = 0;
            while j < anchor.len() {
                table.text[offset + j] = anchor[j];
                j += 1;
            }
            let tail = if rule.tail.is_empty() {
                0
            } else {
                tails += 1;
                table.tails[tails] = rule.tail;
                tails
            };
            let b = bucket(anchor);
            table.rules[next[b] as usize] = Packed {
                offset: offset as u16,
                len: anchor.len() as u8,
                at_start: rule.at_start,
                tail: tail as u8,
            };
            next[b] += 1;
            offset += anchor.len();
            i += 1;
        }
        table
    }

    fn candidates(&self, key: &[u8]) -> &[Packed] {
        let b = bucket(key);
        &self.rules[usize::from(self.starts[b])..usize::from(self.starts[b + 1])]
    }

    /// Whether `rule` matches `ua` at byte `at`, where `key` starts.
    fn matches(&self, rule: &Packed, key: &[u8], ua: &[u8], at: usize) -> bool {
        let start = usize::from(rule.offset);
        let anchor = &self.text[start..start + usize::from(rule.len)];
        // Most candidates only share the bucket: three inline byte compares turn them away
        // before the full comparison's call.
        anchor[..KEY_LEN] == *key
            && matches_at(
                ua,
                at,
                anchor,
                rule.at_start,
                self.tails[usize::from(rule.tail)],
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPSTREAM: &str = include_str!("../vendor/crawler-user-agents/crawler-user-agents.json");

    /// Upstream patterns not applied, kept in step with EXCEPTIONS in the refresh script.
    const EXCEPTED: [&str; 3] = ["^curl", "[wW]get", "^HTTPie\\/"];

    struct Entry {
        pattern: String,
        instances: Vec<String>,
    }

    fn upstream() -> Vec<Entry> {
        let list: serde_json::Value = serde_json::from_str(UPSTREAM).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|entry| Entry {
                pattern: entry["pattern"].as_str().unwrap().to_owned(),
                instances: entry["instances"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|ua| ua.as_str().unwrap().to_owned())
                    .collect(),
            })
            .collect()
    }

    /// Whether `rule` matches `ua` at any occurrence of its anchor, found without the index:
    /// what the index must agree with. (std's search keeps this quick in debug builds.)
    fn rule_matches(rule: &Rule, ua: &str) -> bool {
        let mut from = 0;
        while let Some(found) = ua[from..].find(rule.anchor) {
            let at = from + found;
            if matches_at(
                ua.as_bytes(),
                at,
                rule.anchor.as_bytes(),
                rule.at_start,
                rule.tail,
            ) {
                return true;
            }
            // Anchors are ASCII, so the next byte is a character boundary.
            from = at + 1;
        }
        false
    }

    fn rules_matching(ua: &str) -> impl Iterator<Item = &'static Rule> + '_ {
        RULES.iter().filter(move |rule| rule_matches(rule, ua))
    }

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const BROWSERS: &[&str] = &[
        CHROME,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    ];

    const CRAWLERS: &[&str] = &[
        // Googlebot desktop and smartphone, as Google documents them today.
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.204 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    ];

    /// The clients people test a deployed counter with, and a request with no User-Agent.
    const COUNTED_CLIENTS: &[&str] = &[
        "curl/8.5.0",
        "curl/8.11.1",
        "Wget/1.21.4",
        "Wget/1.21.3 (linux-gnu)",
        "wget2/2.1.0",
        "HTTPie/3.2.4",
        "",
    ];

    #[test]
    fn declared_crawlers_do_not_count() {
        for ua in CRAWLERS {
            assert!(is_crawler(ua), "{ua}");
        }
    }

    #[test]
    fn browsers_command_line_clients_and_no_user_agent_count() {
        for ua in BROWSERS.iter().chain(COUNTED_CLIENTS) {
            assert!(!is_crawler(ua), "{ua:?}");
            assert_eq!(rules_matching(ua).count(), 0, "{ua:?}");
        }
    }

    #[test]
    fn libraries_that_are_not_command_line_clients_do_not_count() {
        for ua in [
            "python-requests/2.32.3",
            "Go-http-client/1.1",
            "okhttp/4.12.0",
        ] {
            assert!(is_crawler(ua), "{ua}");
        }
    }

    #[test]
    fn matching_is_case_sensitive_like_upstream() {
        assert!(is_crawler("Googlebot/2.1"));
        assert!(!is_crawler("GOOGLEBOT/2.1"));
    }

    #[test]
    fn anchors_at_the_start_or_end_hold_only_there() {
        assert!(is_crawler("Seekbot/1.0"));
        assert!(!is_crawler("x Seekbot/1.0"));
        assert!(is_crawler("Mozilla/5.0 (compatible) sentry/1.0"));
        assert!(!is_crawler("xsentry/1.0"));
        assert!(is_crawler(
            "AdsBot-Google (+http://www.google.com/adsbot.html)"
        ));
        assert!(is_crawler("AdsBot-Google"));
        assert!(is_crawler("x SSL Labs"));
        assert!(!is_crawler("SSL Labs x"));
        assert!(is_crawler("BlogTraffic/1.23 Feed-Fetcher"));
        assert!(!is_crawler("BlogTraffic/1. Feed-Fetcher"));
        assert!(is_crawler("ContextualBot/1.0 (+https://www.outcomes.net)"));
    }

    #[test]
    fn every_prefix_agrees_with_trying_every_rule() {
        // Cuts User-Agents at every character, so `$`, `[^-]` and `\d+` meet the end of
        // the input; the non-ASCII ones check that nothing assumes ASCII.
        let edge_cases = [
            "AdsBot-Google-Mobile-Apps",
            "Mozilla/5.0 (compatible) SSL Labs",
            "BlogTraffic/1.23 Feed-Fetcher",
            "Mozilla/5.0 (Linux; Android 14; 日本語) AppleWebKit/537.36 Googlebot/2.1 ü",
            "Ä Spider ü spider.com é",
        ];
        let agents = CRAWLERS.iter().chain(BROWSERS).chain(&edge_cases);
        for ua in agents {
            for (end, _) in ua.char_indices().chain([(ua.len(), ' ')]) {
                let prefix = &ua[..end];
                let expected = rules_matching(prefix).next().is_some();
                assert_eq!(is_crawler(prefix), expected, "{prefix:?}");
            }
        }
    }

    #[test]
    fn every_applied_pattern_matches_all_its_upstream_examples() {
        let upstream = upstream();
        for (index, entry) in upstream.iter().enumerate() {
            if EXCEPTED.contains(&entry.pattern.as_str()) {
                continue;
            }
            let rules: Vec<&Rule> = RULES
                .iter()
                .filter(|rule| usize::from(rule.pattern) == index)
                .collect();
            for ua in &entry.instances {
                assert!(
                    rules.iter().any(|rule| rule_matches(rule, ua)),
                    "{} misses its example {ua}",
                    entry.pattern
                );
            }
        }
    }

    #[test]
    fn index_agrees_with_trying_every_rule_on_every_upstream_example() {
        let upstream = upstream();
        let mut crawlers = 0;
        for ua in upstream.iter().flat_map(|entry| &entry.instances) {
            let expected = rules_matching(ua).next().is_some();
            assert_eq!(is_crawler(ua), expected, "{ua}");
            crawlers += usize::from(expected);
        }
        assert!(crawlers > 2000, "{crawlers}");
    }

    #[test]
    fn every_rule_without_a_tail_matches_its_own_anchor() {
        // Covers, through the index, the patterns upstream ships without examples.
        for rule in RULES.iter().filter(|rule| rule.tail.is_empty()) {
            assert!(is_crawler(rule.anchor), "{rule:?}");
        }
    }

    #[test]
    fn rules_are_the_upstream_list_less_the_exceptions() {
        let upstream = upstream();
        let applied: std::collections::BTreeSet<usize> =
            RULES.iter().map(|rule| usize::from(rule.pattern)).collect();
        let expected: std::collections::BTreeSet<usize> = (0..upstream.len())
            .filter(|&i| !EXCEPTED.contains(&upstream[i].pattern.as_str()))
            .collect();
        assert_eq!(
            applied, expected,
            "patterns.rs is stale: run scripts/refresh-crawlers.js"
        );
        for pattern in EXCEPTED {
            assert!(
                upstream.iter().any(|entry| entry.pattern == pattern),
                "{pattern}"
            );
        }
    }

    #[test]
    fn upstream_examples_of_the_exceptions_count_unless_another_pattern_claims_them() {
        for entry in upstream()
            .iter()
            .filter(|e| EXCEPTED.contains(&e.pattern.as_str()))
        {
            for ua in &entry.instances {
                let others: Vec<_> = rules_matching(ua).map(|rule| rule.anchor).collect();
                assert_eq!(is_crawler(ua), !others.is_empty(), "{ua}: {others:?}");
            }
        }
    }
}
