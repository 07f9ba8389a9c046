//! The classifier judged on User-Agents other projects collected (tests/ua/), and against an
//! oracle that runs every rule on its own with regex-automata's general engine.

use super::*;
use regex_automata::meta::Regex;
use regex_automata::util::primitives::StateID;
use regex_automata::util::syntax;

const RULES_TXT: &str = include_str!("rules.txt");
const ISBOT_BROWSERS: &str = include_str!("../../tests/ua/isbot-browsers.yml");
const ISBOT_CRAWLERS: &str = include_str!("../../tests/ua/isbot-crawlers.yml");
const USER_AGENTS: &str = include_str!("../../tests/ua/user-agents.txt");
/// Where a resume link is opened: social apps' in-app browsers and Android WebViews.
const IN_APP_BROWSERS: &str = include_str!("../../tests/ua/in-app-browsers.txt");
/// Scripts, HTTP libraries, monitors and crawlers that once counted.
const SCRIPTS_AND_CRAWLERS: &str = include_str!("../../tests/ua/scripts-and-crawlers.txt");

/// In isbot's browser fixture, but tools that load pages for their own ends: set apart by
/// src/crawler/ours.txt, each with its reason there.
const TOOLS_IN_THE_BROWSER_FIXTURE: &[&str] = &[
    "GTmetrix",
    "YLT",
    "Miniature.io/",
    "Yahoo! Slurp",
    "MozacFetch/",
];

/// The command-line clients people test a deployed counter with: they count, by decision.
const COMMAND_LINE_CLIENTS: &[&str] = &[
    "curl/7.64.1",
    "curl/8.11.1",
    "Wget/1.21.4",
    "Wget/1.21.3 (linux-gnu)",
    "wget2/2.1.0",
    "HTTPie/3.2.4",
];

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The YAML subset of isbot's fixtures: `group:` lines, then `  - value` lines.
fn fixture(text: &'static str) -> Vec<(String, String)> {
    let mut group = String::new();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(value) = line.trim_start().strip_prefix("- ") {
            let value = if value.starts_with('"') {
                serde_json::from_str(value).expect("a JSON string")
            } else if let Some(inner) = value.strip_prefix('\'') {
                inner.strip_suffix('\'').unwrap().replace("''", "'")
            } else {
                value.to_owned()
            };
            out.push((group.clone(), value));
        } else {
            group = line.trim_end_matches(':').trim_matches('"').to_owned();
        }
    }
    out
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
/// rule matches.
fn oracle(rules: &[(&str, Regex, &'static str)], ua: &str) -> Vec<&'static str> {
    let matching = |kind: &'static str| {
        rules
            .iter()
            .filter(move |(k, regex, _)| *k == kind && regex.is_match(ua.as_bytes()))
            .map(|(_, _, line)| *line)
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
    let mut tools = Vec::new();
    for (group, ua) in &fixture {
        if TOOLS_IN_THE_BROWSER_FIXTURE.iter().any(|t| ua.contains(t)) {
            assert_does_not_count(ua, group);
            tools.push(ua);
        } else {
            assert_counts(ua, group);
        }
    }
    assert_eq!(
        tools.len(),
        TOOLS_IN_THE_BROWSER_FIXTURE.len(),
        "{tools:#?}"
    );
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
fn command_line_clients_and_no_user_agent_count() {
    for ua in COMMAND_LINE_CLIENTS.iter().chain(&[""]) {
        assert_counts(ua, "command-line client");
    }
    // GitHub's image proxy, fetching a README's image for each view.
    assert_counts("github-camo (876de43e)", "image proxy");
    // Only their plain User-Agents: a crawler cannot pass as curl by starting with its name.
    assert_does_not_count("curl/8.11.1 (compatible; Googlebot/2.1)", "curl look-alike");
}

#[test]
fn every_crawler_in_isbots_fixture_but_the_command_line_clients_is_caught() {
    let fixture = fixture(ISBOT_CRAWLERS);
    let judged: Vec<_> = fixture
        .iter()
        .filter(|(_, ua)| !COMMAND_LINE_CLIENTS.contains(&ua.as_str()))
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
        .map(|(_, ua)| ua);
    let mut samples: Vec<String> = fixtures
        .chain(USER_AGENTS.lines().map(str::to_owned))
        .chain(IN_APP_BROWSERS.lines().map(str::to_owned))
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

/// Bytes the DFAs read to judge `ua`, all of them asked.
fn bytes_read(ua: &str) -> usize {
    let dfas = &*DFAS;
    let (start, anywhere, people) = (&dfas.at_start, &dfas.anywhere, &dfas.people);
    let read = |groups: &[Loaded], anchored| {
        groups
            .iter()
            .map(|g| g.search(ua.as_bytes(), anchored).1)
            .sum::<usize>()
    };
    read(start, Anchored::Yes) + read(anywhere, Anchored::No) + read(people, Anchored::No)
}

/// The costliest User-Agent found (bench/README.md, "Who counts", has its instructions): letters
/// up to the cap. The rules anchored at the start keep reading it, `^[^ ]{50,}$` matches only at
/// its end, and then the person rules read it too.
fn costliest() -> String {
    "a".repeat(MAX_USER_AGENT_BYTES)
}

#[test]
fn work_is_linear_in_the_length_and_bounded() {
    let dfa_count = PEOPLE.len() + AT_START.len() + ANYWHERE.len();
    let worst = bytes_read(&costliest());
    assert!(
        worst <= dfa_count * MAX_USER_AGENT_BYTES,
        "{worst} bytes read"
    );
    let n = MAX_USER_AGENT_BYTES;
    let others = [
        "a".repeat(n - 1) + ";",
        " aaa".repeat(n / 4)[2..].to_owned() + ";",
        format!("Mozilla/5.0 {}", "a".repeat(n - 12)),
        "Spider".repeat(n / 6),
        "1".repeat(n),
        "google".repeat(n / 6),
        "a/1.0 ".repeat(n / 6),
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

/// Whether a search stops at `state`: what it has read decides the answer.
fn decides(dfa: &dense::DFA<&'static [u32]>, state: StateID) -> bool {
    dfa.is_match_state(state) || dfa.is_dead_state(state) || dfa.is_quit_state(state)
}

/// The count `bytes_read` sums is exact, so the bounds above measure what they say: a search
/// reads up to and including the byte that decided it, or the whole User-Agent, and no further.
#[test]
fn a_search_counts_the_bytes_up_to_the_deciding_one() {
    let groups = [
        (&DFAS.at_start, Anchored::Yes),
        (&DFAS.anywhere, Anchored::No),
        (&DFAS.people, Anchored::No),
    ];
    let worst = "a".repeat(MAX_USER_AGENT_BYTES - 1) + ";";
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
                let dfa = &loaded.dfa;
                let (_, read) = loaded.search(ua.as_bytes(), anchored);
                let start = dfa.start_state(&start::Config::new().anchored(anchored));
                let Ok(mut state) = start else { continue };
                assert!((1..=ua.len()).contains(&read), "{read} of {ua:?}");
                for &byte in &ua.as_bytes()[..read - 1] {
                    state = dfa.next_state(state, byte);
                    assert!(!decides(dfa, state), "read past the decision in {ua:?}");
                }
                state = dfa.next_state(state, ua.as_bytes()[read - 1]);
                if decides(dfa, state) {
                    decided_early += 1;
                } else {
                    assert_eq!(read, ua.len(), "stopped undecided in {ua:?}");
                }
            }
        }
    }
    assert!(decided_early > 0, "no search was decided before the end");
}
