//! Who does not count: User-Agents that declare a crawler, a script or a monitor.
//!
//! The rules are the npm package `isbot`'s patterns (public domain, vendor/isbot/), which keep
//! people's browsers, in-app browsers and WebViews apart from crawlers, plus a few of our own
//! (src/crawler/ours.txt: curl, Wget and HTTPie count; some tools do not). Both are turned into
//! src/crawler/rules.txt by scripts/refresh-crawlers.js, and build.rs compiles that into DFAs
//! the binary carries, so start-up compiles nothing.
//!
//! Why DFAs, and not the `regex` crate: a DFA reads each byte once, so no User-Agent, however
//! crafted, costs more than a few reads of its length; `regex` would also compile every
//! pattern at start-up. Letters match whatever their case, as isbot intends.
//!
//! The rules read a browser's User-Agent by its parts: the device an Android browser names in
//! its platform is no crawler's word (src/crawler/shape.rs).

use regex_automata::dfa::{dense, Automaton};
use regex_automata::{Anchored, HalfMatch, Input};
use std::sync::LazyLock;

/// Longer User-Agents are not a browser's: the longest person's in the test corpora is about
/// 330 bytes. The cap bounds the work an adversary can ask of a check.
pub const MAX_USER_AGENT_BYTES: usize = 1024;

/// Whether `user_agent` declares a crawler. An empty User-Agent does not.
pub fn is_crawler(user_agent: &str) -> bool {
    classify(user_agent.as_bytes()).is_some()
}

/// Why a User-Agent does not count: the rule that matched (its line among the rules of
/// src/crawler/rules.txt, comments aside), or its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Crawler {
    Rule(u16),
    TooLong,
}

fn classify(ua: &[u8]) -> Option<Crawler> {
    if ua.len() > MAX_USER_AGENT_BYTES {
        return Some(Crawler::TooLong);
    }
    let mut buf;
    let read = match shape::device_part(ua) {
        Some(device) => {
            buf = [0; MAX_USER_AGENT_BYTES];
            shape::without_device(ua, device, &mut buf)
        }
        None => ua,
    };
    judge(ua, read)
}

/// The rules' verdict: those anchored at the start and the person rules on `ua` as sent (they
/// describe a whole User-Agent's shape, which no model name makes), the others on `read`, the
/// User-Agent as [`shape`] reads it.
fn judge(ua: &[u8], read: &[u8]) -> Option<Crawler> {
    let dfas = &*DFAS;
    let rule = dfas
        .at_start
        .iter()
        .find_map(|g| g.first_match(ua, Anchored::Yes));
    let rule = rule.or_else(|| {
        dfas.anywhere
            .iter()
            .find_map(|g| g.first_match(read, Anchored::No))
    })?;
    let person = dfas
        .people
        .iter()
        .any(|g| g.first_match(ua, Anchored::No).is_some());
    (!person).then_some(Crawler::Rule(rule))
}

/// A DFA over some of the rules, as build.rs wrote it, and which rule each of its patterns is.
struct Group {
    dfa: &'static Aligned<[u8]>,
    rules: &'static [u16],
}

/// `include_bytes!` gives no alignment; a DFA is read in place as `u32`s.
#[repr(C)]
struct Aligned<B: ?Sized> {
    _align: [u32; 0],
    bytes: B,
}

include!(concat!(env!("OUT_DIR"), "/crawler_dfas.rs"));

struct Loaded {
    dfa: dense::DFA<&'static [u32]>,
    rules: &'static [u16],
}

struct Dfas {
    people: Vec<Loaded>,
    at_start: Vec<Loaded>,
    anywhere: Vec<Loaded>,
}

/// Read on first use, not at init; reading only points into the embedded bytes.
static DFAS: LazyLock<Dfas> = LazyLock::new(|| {
    let load = |groups: &[&'static Group]| groups.iter().map(|g| g.load()).collect();
    Dfas {
        people: load(PEOPLE),
        at_start: load(AT_START),
        anywhere: load(ANYWHERE),
    }
});

impl Group {
    fn load(&'static self) -> Loaded {
        // SAFETY: build.rs serialized these bytes with this very regex-automata (Cargo.lock
        // holds one version for build and run), for this little-endian target; the test
        // `every_embedded_dfa_is_valid` checks each with the validating `from_bytes`.
        let (dfa, _) = unsafe { dense::DFA::from_bytes_unchecked(&self.dfa.bytes) }
            .expect("build.rs wrote a readable DFA");
        Loaded {
            dfa,
            rules: self.rules,
        }
    }
}

#[cfg(target_endian = "big")]
compile_error!("build.rs writes the crawler DFAs little-endian");

impl Loaded {
    /// The first rule of this DFA that matches `ua`.
    fn first_match(&self, ua: &[u8], anchored: Anchored) -> Option<u16> {
        let found = search_earliest(&self.dfa, ua, anchored)?;
        Some(self.rules[found.pattern().as_usize()])
    }
}

/// The first match a search of `ua` finds: stopping there (`earliest`), rather than looking on
/// for a longer match, a DFA reads each byte at most once.
fn search_earliest(dfa: &impl Automaton, ua: &[u8], anchored: Anchored) -> Option<HalfMatch> {
    let input = Input::new(ua).anchored(anchored).earliest(true);
    // A search fails only on a quit byte or a start kind the DFA lacks, and build.rs gives
    // neither; were one there, the rule simply would not match.
    dfa.try_search_fwd(&input).ok().flatten()
}

mod shape;

#[cfg(test)]
mod tests;
