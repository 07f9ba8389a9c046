//! Repeats from one client add little: what this sandbox recently counted, per client and
//! page, kept in memory only, so a loop of identical requests adds [`ALLOWANCE`] hits per
//! window instead of one per request.
//!
//! A client is the address the gateway saw the request come from (never `X-Forwarded-For` or
//! any other header a caller writes) with its User-Agent. The record keeps no address: each
//! (client, page) becomes a 64-bit SipHash keyed with 128 random bits drawn when the sandbox
//! starts (std's `RandomState`, so no new dependency), and only that number is stored. The key
//! is never logged (`RandomState` prints no keys), so a stored number cannot be turned back
//! into an address by hashing the 2^32 IPv4 addresses, as an unkeyed hash could.
//!
//! The record holds at most [`CAPACITY`] entries, so its memory is flat however many clients
//! come; when full, the oldest entry goes first. Forgetting only ever lets a hit count: it
//! never refuses one that would otherwise count.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many hits one client may add to one page within a window. Three lets a few people
/// behind one address with identical User-Agents (an office, a carrier's NAT) count, and holds
/// a loop to three per window.
pub const ALLOWANCE: u8 = 3;

/// The most (client, page) pairs remembered: 17 bytes a bucket in the map (2^14 buckets) and 8
/// an entry in the queue, about 0.35 MiB in all, under 1 MiB with the allocator's share. It
/// holds every hit the stage's throttle (template.yaml) lets through in the default window, so
/// at that window nothing unexpired is ever forgotten: tests/infra checks the product.
pub const CAPACITY: usize = 8192;

/// The default window: ten minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);

/// Who asked: the gateway's source address and the User-Agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client<'a> {
    pub address: &'a str,
    pub user_agent: Option<&'a str>,
}

/// The record, shared by every clone of the counter. A `Mutex`, not a `RefCell`: the counter
/// must stay `Send + Sync` (the tests share one across a thread pool). In a sandbox the
/// runtime is single-threaded and handles one event at a time, so the lock is never contended
/// (one atomic operation) and never held across an `await`.
#[derive(Debug, Clone)]
pub struct RecentHits(Arc<Mutex<Record>>);

impl RecentHits {
    pub fn new(window: Duration) -> Self {
        RecentHits(Arc::new(Mutex::new(Record::new(window))))
    }

    /// Whether `client`'s hit on `page` at `now` may count; if so, it is recorded.
    pub fn admits(&self, client: Client<'_>, page: &str, now: Instant) -> bool {
        // A panic while holding the lock leaves the record whole (each change is one step).
        let mut record = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        record.admits(client, page, now)
    }
}

/// Hits counted per (client, page) hash, and the order they started in.
pub struct Record {
    window_secs: u32,
    /// Seconds are counted from here, so an entry keeps 4 bytes of time instead of 16.
    epoch: Instant,
    key: RandomState,
    entries: HashMap<u64, Hits>,
    /// The keys of `entries`, oldest window first: a window starts at an entry's insertion.
    oldest_first: VecDeque<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Hits {
    since: u32,
    counted: u8,
}

/// Entries and window only: never the key, which would let the hashes be reversed.
impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("window_secs", &self.window_secs)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Record {
    pub fn new(window: Duration) -> Self {
        Record {
            window_secs: u32::try_from(window.as_secs()).unwrap_or(u32::MAX),
            epoch: Instant::now(),
            key: RandomState::new(),
            entries: HashMap::new(),
            oldest_first: VecDeque::new(),
        }
    }

    /// Whether `client`'s hit on `page` at `now` may count; if so, it is recorded.
    pub fn admits(&mut self, client: Client<'_>, page: &str, now: Instant) -> bool {
        let now = self.second(now);
        self.forget_expired(now);
        let hash = self.key.hash_one((client, page));
        if let Some(hits) = self.entries.get_mut(&hash) {
            if hits.counted >= ALLOWANCE {
                return false;
            }
            hits.counted += 1;
            return true;
        }
        // Room first, so neither collection ever grows past the capacity.
        if self.entries.len() >= CAPACITY {
            self.forget_oldest();
        }
        self.entries.insert(
            hash,
            Hits {
                since: now,
                counted: 1,
            },
        );
        self.oldest_first.push_back(hash);
        true
    }

    fn second(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.epoch).as_secs();
        u32::try_from(elapsed).unwrap_or(u32::MAX)
    }

    /// Drops the entries whose window has passed; they are all at the front.
    fn forget_expired(&mut self, now: u32) {
        while let Some(hash) = self.oldest_first.front() {
            let since = self.entries.get(hash).map_or(0, |hits| hits.since);
            if now.saturating_sub(since) < self.window_secs {
                break;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some(hash) = self.oldest_first.pop_front() {
            self.entries.remove(&hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                          Chrome/131.0.0.0 Safari/537.36";

    fn from(address: &str) -> Client<'_> {
        Client {
            address,
            user_agent: Some(CHROME),
        }
    }

    /// How many of `n` hits at `now` are admitted.
    fn admitted(
        record: &mut Record,
        client: Client<'_>,
        page: &str,
        n: usize,
        now: Instant,
    ) -> usize {
        (0..n).filter(|_| record.admits(client, page, now)).count()
    }

    #[test]
    fn a_loop_adds_the_allowance_and_no_more() {
        let mut record = Record::new(DEFAULT_WINDOW);
        let now = Instant::now();
        assert_eq!(admitted(&mut record, from("203.0.113.7"), "/", 200, now), 3);
        assert_eq!(usize::from(ALLOWANCE), 3);
        assert_eq!(record.entries.len(), 1);
    }

    #[test]
    fn the_window_starts_at_the_first_hit_and_then_counts_again() {
        let mut record = Record::new(Duration::from_secs(600));
        let start = Instant::now();
        let client = from("203.0.113.7");
        assert!(record.admits(client, "/", start));
        let later = start + Duration::from_secs(300);
        assert_eq!(admitted(&mut record, client, "/", 5, later), 2);
        let almost = start + Duration::from_secs(599);
        assert!(
            !record.admits(client, "/", almost),
            "still inside the window"
        );
        let after = start + Duration::from_secs(600);
        assert_eq!(
            admitted(&mut record, client, "/", 5, after),
            3,
            "a new window"
        );
    }

    #[test]
    fn addresses_user_agents_and_pages_each_count_apart() {
        let mut record = Record::new(DEFAULT_WINDOW);
        let now = Instant::now();
        for i in 0..200 {
            let address = format!("198.51.100.{i}");
            assert!(record.admits(from(&address), "/", now), "{address}");
        }
        let firefox = Client {
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ),
            ..from("198.51.100.1")
        };
        assert_eq!(admitted(&mut record, firefox, "/", 5, now), 3);
        let no_user_agent = Client {
            user_agent: None,
            ..from("198.51.100.1")
        };
        let empty_user_agent = Client {
            user_agent: Some(""),
            ..from("198.51.100.1")
        };
        assert_eq!(admitted(&mut record, no_user_agent, "/", 5, now), 3);
        assert_eq!(admitted(&mut record, empty_user_agent, "/", 5, now), 3);
        assert_eq!(
            admitted(&mut record, from("198.51.100.1"), "/cv", 5, now),
            3
        );
        // The address and the page are hashed as two values, not one joined string.
        let joined = Client {
            address: "198.51.100.1/",
            ..from("")
        };
        assert!(record.admits(joined, "cv", now));
    }

    #[test]
    fn memory_stays_at_the_capacity_and_the_oldest_goes_first() {
        let mut record = Record::new(DEFAULT_WINDOW);
        let now = Instant::now();
        for i in 0..100_000u32 {
            let address = format!("2001:db8::{:x}:{:x}", i >> 16, i & 0xffff);
            assert!(record.admits(from(&address), "/", now));
            assert!(record.entries.len() <= CAPACITY);
        }
        assert_eq!(record.entries.len(), CAPACITY);
        assert_eq!(record.oldest_first.len(), CAPACITY);
        // The newest are remembered, the oldest forgotten (and so counted again).
        let newest = format!("2001:db8::{:x}:{:x}", 99_999 >> 16, 99_999 & 0xffff);
        assert_eq!(admitted(&mut record, from(&newest), "/", 5, now), 2);
        assert_eq!(admitted(&mut record, from("2001:db8::0:0"), "/", 5, now), 3);
    }

    #[test]
    fn expired_entries_are_forgotten_as_time_passes() {
        let mut record = Record::new(Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..10 {
            let address = format!("192.0.2.{i}");
            assert!(record.admits(from(&address), "/", start + Duration::from_secs(i)));
        }
        assert_eq!(record.entries.len(), 10);
        record.admits(from("192.0.2.200"), "/", start + Duration::from_secs(64));
        assert_eq!(
            record.entries.len(),
            10 - 5 + 1,
            "the first five windows have passed"
        );
        assert_eq!(record.oldest_first.len(), record.entries.len());
    }

    #[test]
    fn a_time_before_the_record_began_is_taken_as_its_start() {
        let mut record = Record::new(Duration::from_secs(60));
        let before = record
            .epoch
            .checked_sub(Duration::from_secs(5))
            .unwrap_or(record.epoch);
        assert_eq!(admitted(&mut record, from("192.0.2.1"), "/", 5, before), 3);
    }

    #[test]
    fn the_record_keeps_no_address_and_no_key_in_what_it_shows() {
        let mut record = Record::new(DEFAULT_WINDOW);
        record.admits(from("203.0.113.77"), "/", Instant::now());
        let shown = format!("{record:?}");
        assert!(!shown.contains("203.0.113.77"), "{shown}");
        assert!(!shown.contains("k0") && !shown.contains("k1"), "{shown}");
        assert!(shown.contains("entries: 1"), "{shown}");
        // What it stores is a keyed hash: another sandbox's key gives another number.
        let hash = record.key.hash_one((from("203.0.113.77"), "/"));
        assert!(record.entries.contains_key(&hash));
        let other = Record::new(DEFAULT_WINDOW);
        assert_ne!(other.key.hash_one((from("203.0.113.77"), "/")), hash);
    }

    #[test]
    fn the_shared_record_is_one_for_every_clone() {
        let recent = RecentHits::new(DEFAULT_WINDOW);
        let clone = recent.clone();
        let now = Instant::now();
        let client = from("203.0.113.7");
        assert!(recent.admits(client, "/", now));
        assert!(clone.admits(client, "/", now));
        assert!(recent.admits(client, "/", now));
        assert!(!clone.admits(client, "/", now));
    }
}
