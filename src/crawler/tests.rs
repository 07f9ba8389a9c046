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

/// Where a resume link is opened: social apps' in-app browsers and Android WebViews.
const IN_APP_BROWSERS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/22G100 Safari/604.1 MetaIAB Facebook",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.134 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/471.0.0.35.80;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.39.105;FBBV/623713836;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/625196183]",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36 Instagram 337.0.0.35.102 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; en_US; 609187045)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 337.0.3.23.54 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 614141180)",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/400.0.0.1;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/MessengerForiOS;FBAV/470.0.0.32.109;FBBV/622834297;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 LinkedInApp/9.30.2",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP3A.240905.015.A2; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/129.0.6668.100 Mobile Safari/537.36 [LinkedInApp]/9.1.1100",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.48",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36 TwitterAndroid",
    "Mozilla/5.0 (Linux; Android 13; V2111 Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.10.0",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.134 Mobile Safari/537.36 Line/14.10.1/IAB",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Mobile Safari/537.36 Viber/21.5.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Viber/21.5.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/12.90.0.46 (like Safari/8617.2.4.10.8, panda)",
    "Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.134 Mobile Safari/537.36 Snapchat/12.93.0.40 (SM-S911B; Android 14#S911BXXS3BXF1#34; gzip; )",
    "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 trill_330204 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/33.2.4 ByteLocale/en ByteFullLocale/en Region/US Spark/1.4.8.3-bugfix AppVersion/33.2.4 BytedanceWebview/d8a21c6",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_35.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US RevealType/Dialog isDarkMode/0 WKWebView/1 BytedanceWebview/d8a21c6",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9 Build/AP3A.240905.015.A2; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/129.0.6668.100 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 16; Pixel 9 Build/CP1A.260305.018; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/140.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Pixel 6 Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15 Fluid/2.0",
];

/// Scripts, HTTP libraries, monitors and crawlers that once counted.
const SCRIPTS_AND_CRAWLERS: &[&str] = &[
    "node",
    "undici",
    "Java/17.0.2",
    "Ruby",
    "Faraday v2.7.4",
    "rest-client/2.1.0 (linux x86_64) ruby/3.2.2p53",
    "PostmanRuntime/7.39.0",
    "insomnia/2023.5.8",
    "Dart/3.3 (dart:io)",
    "GuzzleHttp/7",
    "http.rb/5.1.1",
    "Deno/1.44.0",
    "Bun/1.1.13",
    "aws-sdk-js/3.600.0",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "axios/1.6.7",
    "FeedFetcher-Google; (+http://www.google.com/feedfetcher.html)",
    "Mozilla/5.0 (compatible; Bravebot/1.0; +https://search.brave.com/help/brave-search-crawler)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "Datadog/Synthetics",
    "Amazon-Route53-Health-Check-Service (ref b0eb04d5-cb5e-40e7-839b-558e52fc3f0d; report http://amzn.to/1vsZADi)",
    "NewRelicPinger/1.0 (12345)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Cypress/13.6.0 Chrome/118.0.5993.159 Electron/27.1.3 Safari/537.36",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.204 Safari/537.36",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
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
    for ua in IN_APP_BROWSERS {
        assert_counts(ua, "in-app browser");
    }
}

#[test]
fn command_line_clients_and_no_user_agent_count() {
    for ua in COMMAND_LINE_CLIENTS.iter().chain(&[""]) {
        assert_counts(ua, "command-line client");
    }
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
    for ua in SCRIPTS_AND_CRAWLERS {
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
        .chain(IN_APP_BROWSERS.iter().map(|s| s.to_string()))
        .chain(SCRIPTS_AND_CRAWLERS.iter().map(|s| s.to_string()))
        .collect();
    // Cut some at every character, so `$`, `\b` and the rewritten look-arounds meet the end.
    for ua in SCRIPTS_AND_CRAWLERS.iter().chain(IN_APP_BROWSERS).take(12) {
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

#[test]
fn work_is_linear_in_the_length_and_bounded() {
    let dfa_count = PEOPLE.len() + AT_START.len() + ANYWHERE.len();
    // The worst User-Agent we know: no space, word characters only, so the rules anchored at
    // the start read it to the end, and nothing matches early.
    let worst = "a".repeat(MAX_USER_AGENT_BYTES - 1) + ";";
    for ua in [CHROME, &worst, &"Spider".repeat(170)] {
        let read = bytes_read(ua);
        assert!(
            read <= dfa_count * ua.len(),
            "{read} bytes read for {} bytes",
            ua.len()
        );
    }
    assert!(
        bytes_read(CHROME) <= 3 * CHROME.len(),
        "desktop Chrome: {} bytes read",
        bytes_read(CHROME)
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
    .chain(SCRIPTS_AND_CRAWLERS.iter().copied());
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
