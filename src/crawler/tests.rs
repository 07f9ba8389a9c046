//! The classifier judged on User-Agents other projects collected (tests/ua/), and against an
//! oracle that runs every rule on its own with regex-automata's general engine.

use super::*;
use proptest::prelude::*;
use regex_automata::dfa::StartError;
use regex_automata::meta::Regex;
use regex_automata::util::primitives::{PatternID, StateID};
use regex_automata::util::start;
use regex_automata::util::syntax;
use std::cell::Cell;

const RULES_TXT: &str = include_str!("rules.txt");
const ISBOT_BROWSERS: &str = include_str!("../../tests/ua/isbot-browsers.txt");
const ISBOT_CRAWLERS: &str = include_str!("../../tests/ua/isbot-crawlers.txt");
const USER_AGENTS: &str = include_str!("../../tests/ua/user-agents.txt");
/// Where a resume link is opened: social apps' in-app browsers and Android WebViews.
const IN_APP_BROWSERS: &str = include_str!("../../tests/ua/in-app-browsers.txt");
/// Scripts, HTTP libraries, monitors and crawlers that once counted.
const SCRIPTS_AND_CRAWLERS: &str = include_str!("../../tests/ua/scripts-and-crawlers.txt");
/// People once refused for a crawler's word in their phone's model name, their app's own tag or
/// their screen's size.
const PHONES_AND_APPS: &str = include_str!("../../tests/ua/phones-and-apps.txt");
/// A UA parser's test sets: `category <TAB> User-Agent`.
const WOOTHEE: &str = include_str!("../../tests/ua/woothee.txt");

/// Where the verdicts part from isbot's by decision: `kind <TAB> text` lines.
const SET_APART: &str = include_str!("../../tests/ua/set-apart.txt");

/// The texts of one kind in [`SET_APART`]: `tool` (in isbot's browser fixture, but tools that
/// load pages for their own ends: src/crawler/ours.txt sets them apart) or `command-line` (the
/// clients people test a deployed counter with: they count, by decision).
fn set_apart(kind: &str) -> Vec<&'static str> {
    SET_APART
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .filter(|(k, _)| *k == kind)
        .map(|(_, text)| text)
        .collect()
}

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// isbot's fixtures as `group <TAB> User-Agent` lines.
fn fixture(text: &'static str) -> Vec<(&'static str, &'static str)> {
    text.lines()
        .map(|line| line.split_once('\t').expect("group <TAB> User-Agent"))
        .collect()
}

/// The rules, one engine each: `(kind, regex, line)`.
fn oracle_rules() -> Vec<(&'static str, Regex, &'static str)> {
    RULES_TXT
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let mut fields = line.split('\t');
            let (kind, pattern) = (fields.next().unwrap(), fields.next().unwrap());
            let regex = Regex::builder()
                .syntax(
                    syntax::Config::new()
                        .case_insensitive(true)
                        .unicode(false)
                        .utf8(false),
                )
                .build(pattern)
                .unwrap();
            (kind, regex, line)
        })
        .collect()
}

/// What the rules say, tried one by one: the crawler rules that match, or none when a person
/// rule matches. The rules anchored at the start, and the person rules, read `ua` as sent; the
/// others read it as [`shape`] does.
fn oracle(rules: &[(&str, Regex, &'static str)], ua: &str) -> Vec<&'static str> {
    let at_start: Vec<u16> = AT_START.iter().flat_map(|g| g.rules).copied().collect();
    let read = as_read(ua);
    let matching = |kind: &'static str| {
        let (ua, read, at_start) = (ua, &read, &at_start);
        rules
            .iter()
            .enumerate()
            .filter(move |(n, (k, regex, _))| {
                let sent = kind == "person" || at_start.contains(&(*n as u16));
                *k == kind && regex.is_match(if sent { ua } else { read })
            })
            .map(|(_, (_, _, line))| *line)
    };
    if matching("person").next().is_some() {
        return Vec::new();
    }
    matching("crawler").collect()
}

/// The rule `classify` names, as its line in rules.txt.
fn rule_line(ua: &str) -> String {
    match classify(ua.as_bytes()) {
        Some(Crawler::Rule(n)) => RULES_TXT
            .lines()
            .filter(|l| !l.starts_with('#'))
            .nth(usize::from(n))
            .unwrap()
            .to_owned(),
        Some(Crawler::TooLong) => "longer than MAX_USER_AGENT_BYTES".to_owned(),
        None => "no rule".to_owned(),
    }
}

/// `ua` as the rules read it: an Android browser's device part as the reduced model.
fn as_read(ua: &str) -> String {
    let mut buf = [0; MAX_USER_AGENT_BYTES];
    match shape::device_part(ua.as_bytes()).filter(|_| ua.len() <= MAX_USER_AGENT_BYTES) {
        Some(device) => {
            let read = shape::without_device(ua.as_bytes(), device, &mut buf);
            String::from_utf8(read.to_vec()).expect("splits only at ASCII")
        }
        None => ua.to_owned(),
    }
}

fn assert_counts(ua: &str, why: &str) {
    assert!(
        !is_crawler(ua),
        "{why}: refused {ua:?} by rule {}",
        rule_line(ua)
    );
}

fn assert_does_not_count(ua: &str, why: &str) {
    assert!(is_crawler(ua), "{why}: counted {ua:?}");
}

#[test]
fn every_embedded_dfa_is_valid() {
    let groups = PEOPLE.iter().chain(AT_START).chain(ANYWHERE);
    let mut rules: Vec<u16> = Vec::new();
    for group in groups {
        dense::DFA::from_bytes(&group.dfa.bytes).expect("a valid DFA");
        rules.extend(group.rules);
    }
    rules.sort_unstable();
    let count = RULES_TXT.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        rules,
        (0..count as u16).collect::<Vec<_>>(),
        "every rule in one DFA"
    );
}

#[test]
fn every_browser_in_isbots_fixture_counts_but_the_tools() {
    let fixture = fixture(ISBOT_BROWSERS);
    assert!(fixture.len() > 500, "{}", fixture.len());
    let (set_apart, mut tools) = (set_apart("tool"), Vec::new());
    for (group, ua) in &fixture {
        if set_apart.iter().any(|t| ua.contains(t)) {
            assert_does_not_count(ua, group);
            tools.push(ua);
        } else {
            assert_counts(ua, group);
        }
    }
    assert_eq!(tools.len(), set_apart.len(), "{tools:#?}");
}

#[test]
fn every_user_agent_of_the_user_agents_data_set_counts() {
    let agents: Vec<&str> = USER_AGENTS.lines().collect();
    assert!(agents.len() > 900, "{}", agents.len());
    for ua in agents {
        assert_counts(ua, "user-agents");
    }
}

#[test]
fn in_app_browsers_and_webviews_count() {
    for ua in IN_APP_BROWSERS.lines() {
        assert_counts(ua, "in-app browser");
    }
}

#[test]
fn phones_whose_model_and_apps_whose_tags_hold_a_crawlers_word_count() {
    let people: Vec<&str> = PHONES_AND_APPS.lines().collect();
    assert!(people.len() >= 20, "{}", people.len());
    for ua in people {
        assert_counts(ua, "phone or app");
    }
}

/// Refused though woothee calls them a PC's or a phone's, each for its reason.
const REFUSED_IN_WOOTHEE: &[(&str, &str)] = &[
    ("VocusBot", "a news aggregator's crawler"),
    ("/pc2m/", "a gateway that fetches PC pages for old phones"),
    (
        "Google Wireless Transcoder",
        "Google's page transcoder for old phones",
    ),
    (
        "livedoor-Mobile-Gateway",
        "a gateway that fetches pages for old phones",
    ),
    (
        "Instapaper/",
        "a read-later service that fetches the page to keep it",
    ),
    ("RSS Version 2.0", "a feed reader"),
    (
        "DDIPOCKET",
        "a 2000s PHS phone: 50 bytes without a space read like a token",
    ),
    (
        "Sleipnir/2.9.9",
        "an old browser that sent its bare name, as scripts do",
    ),
    (
        "GoogleT5",
        "Internet Explorer 8 with Google's toolbar, which isbot calls Google's",
    ),
];

/// Counted by decision: how people try a deployed counter (src/crawler/ours.txt).
fn is_command_line_client(ua: &str) -> bool {
    let rule = Regex::builder()
        .syntax(syntax::Config::new().case_insensitive(true))
        .build(r"^(curl|wget2?|httpie)/[\w.-]+( \([\w.-]+\))?$")
        .unwrap();
    rule.is_match(ua)
}

/// woothee's people (PCs, phones, consoles) and its crawlers (its `misc` is scripts and feed
/// readers, crawlers to us), as `(people refused, crawlers counted)`.
fn woothee_verdicts() -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut refused, mut counted) = (Vec::new(), Vec::new());
    for line in WOOTHEE.lines() {
        let (category, ua) = line.split_once('\t').expect("category <TAB> User-Agent");
        match category {
            "pc" | "smartphone" | "mobilephone" | "appliance" if is_crawler(ua) => refused.push(ua),
            "crawler" | "misc" if !is_crawler(ua) && !is_command_line_client(ua) => {
                counted.push(ua)
            }
            _ => {}
        }
    }
    (refused, counted)
}

#[test]
fn woothees_people_count_and_its_crawlers_are_caught_but_the_known_few() {
    assert!(WOOTHEE.lines().count() > 240);
    let (refused, counted) = woothee_verdicts();
    let unknown: Vec<_> = refused
        .iter()
        .filter(|ua| !REFUSED_IN_WOOTHEE.iter().any(|(mark, _)| ua.contains(mark)))
        .collect();
    assert!(unknown.is_empty(), "people refused: {unknown:#?}");
    assert_eq!(refused.len(), REFUSED_IN_WOOTHEE.len(), "{refused:#?}");
    assert!(counted.is_empty(), "crawlers counted: {counted:#?}");
}

#[test]
fn an_android_browsers_device_part_reads_as_the_reduced_model() {
    for (ua, read) in [
        (
            "Mozilla/5.0 (Linux; Android 10; Spider 8) AppleWebKit/537.36",
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; XBot Junior Build/UP1A.231005.007; wv) AppleWebKit/537.36",
            "Mozilla/5.0 (Linux; Android 14; K; wv) AppleWebKit/537.36",
        ),
        (
            "Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; Capture+ Build/KOT49H) AppleWebKit/534.30",
            "Mozilla/5.0 (Linux; U; Android 4.4.2; K; K) AppleWebKit/534.30",
        ),
        // No device part, or not a browser's shape: read as sent.
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36"),
        ("Mozilla/5.0 (Linux; Android 14; Spider) Gecko/1", "Mozilla/5.0 (Linux; Android 14; Spider) Gecko/1"),
        ("Mozilla/5.0 (Linux; x86_64; Spider) AppleWebKit/1", "Mozilla/5.0 (Linux; x86_64; Spider) AppleWebKit/1"),
        // A segment that names a product is no model.
        (
            "Mozilla/5.0 (Linux; Android 8.0; Pixel 2 Build/OPD3; DuplexWeb-Google/1.0) AppleWebKit/1",
            "Mozilla/5.0 (Linux; Android 8.0; K; DuplexWeb-Google/1.0) AppleWebKit/1",
        ),
        (CHROME, CHROME),
    ] {
        assert_eq!(as_read(ua), read, "{ua:?}");
    }
}

/// What follows the platform is read as sent, so crawlers that borrow a phone's shape are caught.
#[test]
fn crawlers_in_an_android_browsers_shape_are_caught() {
    const PHONE: &str = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36";
    for tail in [
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "(compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "(compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "(compatible; Google-InspectionTool/1.0)",
        "TelegramBot (like TwitterBot)",
    ] {
        assert_does_not_count(&format!("{PHONE} {tail}"), tail);
    }
    assert_does_not_count(
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Mobile Safari/537.36",
        "headless Chrome",
    );
}

#[test]
fn command_line_clients_and_no_user_agent_count() {
    let clients = set_apart("command-line");
    assert!(clients.len() >= 3, "curl, Wget and HTTPie: {clients:?}");
    for ua in clients.iter().chain(&[""]) {
        assert_counts(ua, "command-line client");
    }
    // GitHub's image proxy, fetching a README's image for each view.
    assert_counts("github-camo (876de43e)", "image proxy");
    // Only their plain User-Agents: a crawler cannot pass as curl by starting with its name.
    assert_does_not_count("curl/8.11.1 (compatible; Googlebot/2.1)", "curl look-alike");
}

#[test]
fn every_crawler_in_isbots_fixture_but_the_command_line_clients_is_caught() {
    let (fixture, clients) = (fixture(ISBOT_CRAWLERS), set_apart("command-line"));
    let judged: Vec<_> = fixture
        .iter()
        .filter(|(_, ua)| !clients.contains(ua))
        .collect();
    assert!(judged.len() > 600, "{}", judged.len());
    let counted: Vec<_> = judged.iter().filter(|(_, ua)| !is_crawler(ua)).collect();
    assert!(counted.is_empty(), "crawlers counted: {counted:#?}");
}

#[test]
fn scripts_libraries_monitors_and_crawlers_do_not_count() {
    for ua in SCRIPTS_AND_CRAWLERS.lines() {
        assert_does_not_count(ua, "script or crawler");
    }
}

#[test]
fn letters_match_whatever_their_case() {
    for ua in [
        "Googlebot/2.1",
        "GOOGLEBOT/2.1",
        "googlebot/2.1",
        "FeedFetcher-Google",
    ] {
        assert_does_not_count(ua, "case");
    }
}

#[test]
fn a_user_agent_over_the_cap_is_not_a_browser() {
    let padded = format!(
        "{CHROME} {}",
        "x".repeat(MAX_USER_AGENT_BYTES - CHROME.len() - 1)
    );
    assert_eq!(padded.len(), MAX_USER_AGENT_BYTES);
    assert_counts(&padded, "at the cap");
    assert_eq!(
        classify(format!("{padded}x").as_bytes()),
        Some(Crawler::TooLong)
    );
}

#[test]
fn the_dfas_agree_with_each_rule_run_on_its_own() {
    let rules = oracle_rules();
    let fixtures = fixture(ISBOT_BROWSERS)
        .into_iter()
        .chain(fixture(ISBOT_CRAWLERS))
        .map(|(_, ua)| ua.to_owned());
    let mut samples: Vec<String> = fixtures
        .chain(USER_AGENTS.lines().map(str::to_owned))
        .chain(IN_APP_BROWSERS.lines().map(str::to_owned))
        .chain(PHONES_AND_APPS.lines().map(str::to_owned))
        .chain(
            WOOTHEE
                .lines()
                .filter_map(|l| Some(l.split_once('\t')?.1.to_owned())),
        )
        .chain(SCRIPTS_AND_CRAWLERS.lines().map(str::to_owned))
        .collect();
    // Cut some at every character, so `$`, `\b` and the rewritten look-arounds meet the end.
    for ua in SCRIPTS_AND_CRAWLERS
        .lines()
        .chain(IN_APP_BROWSERS.lines())
        .take(12)
    {
        for (end, _) in ua.char_indices().skip(1) {
            samples.push(ua[..end].to_owned());
            samples.push(ua[end..].to_owned());
        }
    }
    for ua in &samples {
        let expected = oracle(&rules, ua);
        assert_eq!(is_crawler(ua), !expected.is_empty(), "{ua:?}: {expected:?}");
    }
}

/// Transitions taken to judge `ua`, as [`classify`] searches: the pass over its shape (at most
/// the whole User-Agent when it opens like an Android browser's, its first bytes otherwise), each
/// DFA of the crawler rules, and when one matched, each DFA of the person rules.
fn bytes_read(ua: &str) -> usize {
    let shape = if ua.starts_with("Mozilla/5.0 (Linux; ") {
        ua.len()
    } else {
        "Mozilla/5.0 (Linux; ".len()
    };
    let read_as = as_read(ua);
    let dfas = &*DFAS;
    let read = |groups: &[Loaded], ua: &str, anchored| {
        groups.iter().fold((false, 0), |(hit, sum), g| {
            let (found, steps) = counted_search(g, ua, anchored);
            (hit || found.is_some(), sum + steps)
        })
    };
    let (at_start, start_read) = read(&dfas.at_start, ua, Anchored::Yes);
    let (anywhere, anywhere_read) = read(&dfas.anywhere, &read_as, Anchored::No);
    let people_read = if at_start || anywhere {
        read(&dfas.people, ua, Anchored::No).1
    } else {
        0
    };
    shape + start_read + anywhere_read + people_read
}

/// [`search_earliest`] through `loaded`'s DFA, and the transitions that search took.
fn counted_search(loaded: &Loaded, ua: &str, anchored: Anchored) -> (Option<HalfMatch>, usize) {
    let counting = Counting {
        dfa: &loaded.dfa,
        steps: Cell::new(0),
    };
    let found = search_earliest(&counting, ua.as_bytes(), anchored);
    (found, counting.steps.get())
}

/// A DFA that counts the transitions a search takes through it. That is all of a search's work
/// on these DFAs: build.rs turns off acceleration, which would skip bytes with `memchr`.
struct Counting<'a> {
    dfa: &'a dense::DFA<&'static [u32]>,
    steps: Cell<usize>,
}

impl Counting<'_> {
    fn step(&self) {
        self.steps.set(self.steps.get() + 1);
    }
}

// SAFETY: each answer is the wrapped DFA's own, so they agree with each other as its do.
unsafe impl Automaton for Counting<'_> {
    fn next_state(&self, current: StateID, input: u8) -> StateID {
        self.step();
        self.dfa.next_state(current, input)
    }

    unsafe fn next_state_unchecked(&self, current: StateID, input: u8) -> StateID {
        self.step();
        // SAFETY: the caller's promise that `current` is valid holds for the wrapped DFA.
        unsafe { self.dfa.next_state_unchecked(current, input) }
    }

    fn next_eoi_state(&self, current: StateID) -> StateID {
        self.step();
        self.dfa.next_eoi_state(current)
    }

    fn start_state(&self, config: &start::Config) -> Result<StateID, StartError> {
        self.dfa.start_state(config)
    }

    fn universal_start_state(&self, mode: Anchored) -> Option<StateID> {
        self.dfa.universal_start_state(mode)
    }

    fn is_special_state(&self, id: StateID) -> bool {
        self.dfa.is_special_state(id)
    }

    fn is_dead_state(&self, id: StateID) -> bool {
        self.dfa.is_dead_state(id)
    }

    fn is_quit_state(&self, id: StateID) -> bool {
        self.dfa.is_quit_state(id)
    }

    fn is_match_state(&self, id: StateID) -> bool {
        self.dfa.is_match_state(id)
    }

    fn is_start_state(&self, id: StateID) -> bool {
        self.dfa.is_start_state(id)
    }

    fn is_accel_state(&self, id: StateID) -> bool {
        let accelerated = self.dfa.is_accel_state(id);
        assert!(!accelerated, "an accelerated state skips bytes uncounted");
        accelerated
    }

    fn pattern_len(&self) -> usize {
        self.dfa.pattern_len()
    }

    fn match_len(&self, id: StateID) -> usize {
        self.dfa.match_len(id)
    }

    fn match_pattern(&self, id: StateID, index: usize) -> PatternID {
        self.dfa.match_pattern(id, index)
    }

    fn has_empty(&self) -> bool {
        self.dfa.has_empty()
    }

    fn is_utf8(&self) -> bool {
        self.dfa.is_utf8()
    }

    fn is_always_start_anchored(&self) -> bool {
        self.dfa.is_always_start_anchored()
    }
}

/// The costliest User-Agent found (bench/README.md, "Who counts, second pass", has its
/// instructions): an Android browser's opening, then letters up to the cap and `;`. The pass over
/// its shape looks for the platform's end to the last byte, the rules matching anywhere read it
/// all (`;\s\w+;$` matches only at its end), and then the person rules, which follow a browser's
/// platform, read it too.
fn costliest() -> String {
    let opening = "Mozilla/5.0 (Linux; Android 14; ";
    format!(
        "{opening}{};",
        "a".repeat(MAX_USER_AGENT_BYTES - opening.len() - 1)
    )
}

#[test]
fn work_is_linear_in_the_length_and_bounded() {
    // Each DFA reads a User-Agent at most once, and so does the pass over its shape.
    let reads = PEOPLE.len() + AT_START.len() + ANYWHERE.len() + 1;
    let worst = bytes_read(&costliest());
    assert!(worst <= reads * MAX_USER_AGENT_BYTES, "{worst} bytes read");
    let n = MAX_USER_AGENT_BYTES;
    let others = [
        "a".repeat(n - 1) + ";",
        " aaa".repeat(n / 4)[2..].to_owned() + ";",
        format!("Mozilla/5.0 {}", "a".repeat(n - 12)),
        "Spider".repeat(n / 6),
        "1".repeat(n),
        "google".repeat(n / 6),
        "a/1.0 ".repeat(n / 6),
        "a".repeat(n),
        format!("Mozilla/5.0 ({}", "a".repeat(n - 14)) + ";",
        format!("Mozilla/5.0 (Linux; Android 14; {}", "a".repeat(n - 32)),
        format!(
            "Mozilla/5.0 (Linux; Android 14; {}) AppleWebKit/",
            "Spider".repeat(n / 6 - 8)
        ),
        format!(
            "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/ {}",
            "a".repeat(n - 48)
        ),
    ];
    for ua in &others {
        let read = bytes_read(ua);
        assert!(
            read <= worst,
            "{read} bytes read for {ua:?}, more than the costliest"
        );
    }
    let chrome = bytes_read(CHROME);
    assert!(
        chrome <= 3 * CHROME.len(),
        "desktop Chrome: {chrome} bytes read"
    );
}

/// The count is the search's own: the counted search finds what the function's does, takes at
/// most one transition per byte and one at the end, and stops at the byte that shows a match
/// (a DFA enters its match state one byte after the match ends).
#[test]
fn a_search_takes_a_transition_per_byte_read() {
    let groups = [
        (&DFAS.at_start, Anchored::Yes),
        (&DFAS.anywhere, Anchored::No),
        (&DFAS.people, Anchored::No),
    ];
    let worst = costliest();
    let samples = [
        CHROME,
        &worst,
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "x",
    ]
    .into_iter()
    .chain(SCRIPTS_AND_CRAWLERS.lines());
    let mut decided_early = 0;
    for ua in samples {
        for (group, anchored) in groups {
            for loaded in group.iter() {
                let (found, steps) = counted_search(loaded, ua, anchored);
                assert_eq!(found, search_earliest(&loaded.dfa, ua.as_bytes(), anchored));
                assert!((1..=ua.len() + 1).contains(&steps), "{steps} for {ua:?}");
                if let Some(found) = found {
                    assert_eq!(steps, found.offset() + 1, "read past the match in {ua:?}");
                }
                decided_early += usize::from(steps < ua.len());
            }
        }
    }
    assert!(decided_early > 0, "no search was decided before the end");
}

/// Chrome on Android, as phones, tablets and TVs send it: reduced, with a build id, a WebView.
fn chrome_on_android(model: &str, form: usize) -> String {
    const CHROME_TAIL: &str =
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36";
    match form {
        0 => format!("Mozilla/5.0 (Linux; Android 14; {model}) {CHROME_TAIL}"),
        1 => format!("Mozilla/5.0 (Linux; Android 13; {model} Build/TP1A.220624.014) {CHROME_TAIL}"),
        2 => format!("Mozilla/5.0 (Linux; Android 12; {model} Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.135 Mobile Safari/537.36"),
        _ => format!("Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; {model} Build/KOT49H) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30"),
    }
}

/// Model names: crawler words (isbot's and ours) among letters, digits, spaces and `+-_`.
fn model_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-z0-9 +_-]{1,8}",
        prop::sample::select(vec![
            "bot",
            "Bot",
            "XBot",
            "bots_",
            "Spider",
            "crawler",
            "Google",
            "google",
            "news",
            "Radar",
            "Capture",
            "JAVA",
            "Discovery",
            "headless",
            "scan",
            "http",
            "tools",
            "preview",
            "proxy",
            "feed",
            "24x7",
            "monitor",
            "check",
            "python",
            "Googlebot",
            "bingbot",
            "GPTBot",
            "HeadlessChrome",
            "curl",
            "wget",
            "node",
            "url",
            "library",
            "server",
            "sogou",
            "archive",
            "audit",
            "grab",
            "insight",
            "ylt",
            "gtmetrix",
        ])
        .prop_map(str::to_owned),
    ];
    proptest::collection::vec(piece, 1..5).prop_map(|pieces| pieces.join(" "))
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 1024,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })]

    /// No model name changes the verdict on Chrome for Android: a person's, like Chrome's own
    /// reduced model `K`.
    #[test]
    fn no_android_model_name_changes_the_verdict(model in model_name(), form in 0..4usize) {
        let reduced = chrome_on_android("K", form);
        proptest::prop_assert!(!is_crawler(&reduced), "{}", reduced);
        let ua = chrome_on_android(&model, form);
        proptest::prop_assert!(!is_crawler(&ua), "refused {:?} by rule {}", ua, rule_line(&ua));
    }
}
