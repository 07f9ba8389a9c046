//! Repeats add little: what this sandbox recently counted, kept in memory only, so that a loop
//! adds a few hits per window instead of one per request. Two shares, both per page and window:
//!
//! - a **client** (the address the gateway saw the request come from, never `X-Forwarded-For`
//!   or any other header a caller writes, with its User-Agent) adds at most [`ALLOWANCE`];
//! - an **address** adds at most its ceiling (`COUNTER_HITS_PER_ADDRESS`,
//!   [`DEFAULT_ADDRESS_CEILING`] unless set), whatever User-Agents it sends, since a caller
//!   writes its User-Agent as it likes. IPv4 is taken as it is; IPv6 by its /64, which one
//!   subscriber usually holds whole.
//!
//! A hit is checked before its write ([`RecentHits::admits`]) and recorded only once DynamoDB
//! has counted it ([`RecentHits::counted`]): a failed write, or a read, uses up nothing.
//!
//! The record keeps no address: each (client, page) and (address, page) becomes a 64-bit
//! SipHash keyed with 128 random bits drawn when the sandbox starts (std's `RandomState`, so no
//! new dependency), and only that number is stored. The key is never logged (`RandomState`
//! prints no keys), so a stored number cannot be turned back into an address by hashing the
//! 2^32 IPv4 addresses, as an unkeyed hash could.
//!
//! Each share's tally holds at most [`CAPACITY`] entries, so memory is flat however many clients
//! come; when full, the oldest entry goes first. Forgetting only ever lets a hit count: it never
//! refuses one that would otherwise count.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU8;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many hits one client may add to one page within a window. Three lets a few people
/// behind one address with identical User-Agents (an office, a carrier's NAT) count, and holds
/// a loop to three per window.
pub const ALLOWANCE: u8 = 3;

/// How many hits one address may add to one page within a window, unless configured. Honest
/// browsers ask to count a page once a day (`counter.js`), so within ten minutes each hit from
/// one address is another person: ten covers a family or a small office opening one link
/// together, and holds a loop that changes its User-Agent to ten per window.
pub const DEFAULT_ADDRESS_CEILING: NonZeroU8 = NonZeroU8::new(10).unwrap();

/// The most entries each tally (clients, addresses) remembers. It holds every hit the stage's
/// throttle (template.yaml) lets through in the default window, so at that window nothing
/// unexpired is ever forgotten: tests/infra checks the product. Each tally's memory is
/// reserved when the sandbox starts and never grows (only the pages in use become resident):
/// 2^14 buckets of 17 bytes in its map and 8 bytes an entry in its queue, 0.31 MiB a tally,
/// 0.625 MiB for both.
pub const CAPACITY: usize = 6144;

/// The default window: ten minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);

/// Who asked: the gateway's source address and the User-Agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client<'a> {
    pub address: &'a str,
    pub user_agent: Option<&'a str>,
}

/// The part of an address one subscriber holds: an IPv4 address (an IPv4-mapped IPv6 one
/// too), an IPv6 address's first 64 bits (four of its eight groups), or, for what is no address (a hand-made event), the
/// text as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Subscriber<'a> {
    V4(Ipv4Addr),
    V6Prefix([u16; 4]),
    Unparsed(&'a str),
}

impl<'a> Subscriber<'a> {
    fn of(address: &'a str) -> Self {
        match address.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => Subscriber::V4(v4),
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => Subscriber::V4(v4),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    Subscriber::V6Prefix([a, b, c, d])
                }
            },
            Err(_) => Subscriber::Unparsed(address),
        }
    }
}

/// A hit the record let through: its two keyed hashes, to record once DynamoDB counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a hit that counted must be recorded with `counted`"]
pub struct Admitted {
    client: u64,
    address: u64,
}

/// The record, shared by every clone of the counter. A `Mutex`, not a `RefCell`: the counter
/// must stay `Send + Sync` (the tests share one across a thread pool). In a sandbox the
/// runtime is single-threaded and handles one event at a time, so the lock is never contended
/// (one atomic operation) and never held across an `await`; for the same reason nothing comes
/// between a hit's check and its record.
#[derive(Debug, Clone)]
pub struct RecentHits(Arc<Mutex<Record>>);

impl RecentHits {
    pub fn new(window: Duration, address_ceiling: NonZeroU8) -> Self {
        RecentHits(Arc::new(Mutex::new(Record::new(window, address_ceiling))))
    }

    /// Whether `client`'s hit on `page` at `now` may count; nothing is recorded yet.
    pub fn admits(&self, client: Client<'_>, page: &str, now: Instant) -> Option<Admitted> {
        self.record().admits(client, page, now)
    }

    /// Records a hit that [`admits`](Self::admits) let through, once DynamoDB has counted it.
    pub fn counted(&self, admitted: Admitted, now: Instant) {
        self.record().counted(admitted, now);
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        // A panic while holding the lock leaves the record whole (each change is one step).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What was counted per client and per address, each on one page, within the window.
pub struct Record {
    window_secs: u32,
    /// Seconds are counted from here, so an entry keeps 4 bytes of time instead of 16.
    epoch: Instant,
    key: RandomState,
    address_ceiling: NonZeroU8,
    clients: Tally,
    addresses: Tally,
}

/// Entries and window only: never the key, which would let the hashes be reversed.
impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("window_secs", &self.window_secs)
            .field("address_ceiling", &self.address_ceiling)
            .field("clients", &self.clients.entries.len())
            .field("addresses", &self.addresses.entries.len())
            .finish_non_exhaustive()
    }
}

impl Record {
    pub fn new(window: Duration, address_ceiling: NonZeroU8) -> Self {
        Record {
            window_secs: u32::try_from(window.as_secs()).unwrap_or(u32::MAX),
            epoch: Instant::now(),
            key: RandomState::new(),
            address_ceiling,
            clients: Tally::with_capacity(),
            addresses: Tally::with_capacity(),
        }
    }

    /// Whether `client`'s hit on `page` at `now` may count: neither the client nor its
    /// address has added its share within the window. Nothing is recorded yet.
    pub fn admits(&mut self, client: Client<'_>, page: &str, now: Instant) -> Option<Admitted> {
        self.forget_expired(self.second(now));
        let client_hash = self.key.hash_one((client, page));
        if self.clients.counted(client_hash) >= ALLOWANCE {
            return None;
        }
        let address_hash = self.key.hash_one((Subscriber::of(client.address), page));
        if self.addresses.counted(address_hash) >= self.address_ceiling.get() {
            return None;
        }
        Some(Admitted {
            client: client_hash,
            address: address_hash,
        })
    }

    /// Adds a hit that [`admits`](Self::admits) let through, as counted at `now`.
    pub fn counted(&mut self, admitted: Admitted, now: Instant) {
        let now = self.second(now);
        self.forget_expired(now);
        self.clients.add(admitted.client, now);
        self.addresses.add(admitted.address, now);
    }

    fn second(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.epoch).as_secs();
        u32::try_from(elapsed).unwrap_or(u32::MAX)
    }

    fn forget_expired(&mut self, now: u32) {
        self.clients.forget_expired(now, self.window_secs);
        self.addresses.forget_expired(now, self.window_secs);
    }
}

/// Hits counted per hash, and the order their windows started in.
struct Tally {
    entries: HashMap<u64, Hits>,
    /// The keys of `entries`, oldest window first: a window starts at an entry's insertion.
    oldest_first: VecDeque<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Hits {
    since: u32,
    counted: u8,
}

impl Tally {
    fn with_capacity() -> Self {
        Tally {
            // Room for twice the entries: the map rehashes in place, rather than growing, only
            // while at most half its room is in use (each removal leaves a tombstone until then).
            entries: HashMap::with_capacity(2 * CAPACITY),
            oldest_first: VecDeque::with_capacity(CAPACITY),
        }
    }

    fn counted(&self, hash: u64) -> u8 {
        self.entries.get(&hash).map_or(0, |hits| hits.counted)
    }

    fn add(&mut self, hash: u64, now: u32) {
        if let Some(hits) = self.entries.get_mut(&hash) {
            hits.counted = hits.counted.saturating_add(1);
            return;
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
    }

    /// Drops the entries whose window has passed; they are all at the front.
    fn forget_expired(&mut self, now: u32, window_secs: u32) {
        while let Some(hash) = self.oldest_first.front() {
            let since = self.entries.get(hash).map_or(0, |hits| hits.since);
            if now.saturating_sub(since) < window_secs {
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

    fn new_record() -> Record {
        Record::new(DEFAULT_WINDOW, DEFAULT_ADDRESS_CEILING)
    }

    /// Whether a hit at `now` counts, recorded as counted when it does (its write succeeded).
    fn hit(record: &mut Record, client: Client<'_>, page: &str, now: Instant) -> bool {
        let admitted = record.admits(client, page, now);
        if let Some(admitted) = admitted {
            record.counted(admitted, now);
        }
        admitted.is_some()
    }

    /// How many of `n` hits at `now` count.
    fn counted(
        record: &mut Record,
        client: Client<'_>,
        page: &str,
        n: usize,
        now: Instant,
    ) -> usize {
        (0..n).filter(|_| hit(record, client, page, now)).count()
    }

    /// How many hits `clients` add to `page` at `now`, one each.
    fn added<'a>(
        record: &mut Record,
        clients: impl IntoIterator<Item = Client<'a>>,
        page: &str,
        now: Instant,
    ) -> usize {
        clients
            .into_iter()
            .filter(|client| hit(record, *client, page, now))
            .count()
    }

    const CEILING: usize = 10;

    #[test]
    fn a_loop_adds_the_allowance_and_no_more() {
        let mut record = new_record();
        let now = Instant::now();
        assert_eq!(counted(&mut record, from("203.0.113.7"), "/", 200, now), 3);
        assert_eq!(usize::from(ALLOWANCE), 3);
        assert_eq!(record.clients.entries.len(), 1);
        assert_eq!(record.addresses.entries.len(), 1);
    }

    #[test]
    fn one_address_adds_its_ceiling_whatever_user_agents_it_sends() {
        assert_eq!(usize::from(DEFAULT_ADDRESS_CEILING.get()), CEILING);
        let mut record = new_record();
        let now = Instant::now();
        let agents: Vec<String> = (1..=200)
            .map(|i| CHROME.replace("131.0.0.0", &format!("131.0.{i}.0")))
            .collect();
        let rotating = |address| {
            agents.iter().map(move |agent| Client {
                address,
                user_agent: Some(agent.as_str()),
            })
        };
        assert_eq!(
            added(&mut record, rotating("203.0.113.7"), "/", now),
            CEILING
        );
        // Each page has its own ceiling, and so has each address.
        assert_eq!(
            added(&mut record, rotating("203.0.113.7"), "/cv", now),
            CEILING
        );
        assert_eq!(
            added(&mut record, rotating("203.0.113.8"), "/", now),
            CEILING
        );
        // A client of that address that has not counted yet still reads.
        assert!(!hit(&mut record, from("203.0.113.7"), "/", now));
    }

    #[test]
    fn people_behind_one_address_count_up_to_the_ceiling() {
        let mut record = new_record();
        let now = Instant::now();
        let agents = [
            CHROME,
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
            "curl/8.11.0",
            "",
        ];
        let family = agents.iter().map(|agent| Client {
            user_agent: Some(agent),
            ..from("192.0.2.1")
        });
        let no_user_agent = Client {
            user_agent: None,
            ..from("192.0.2.1")
        };
        assert_eq!(
            added(&mut record, family.chain([no_user_agent]), "/", now),
            6
        );
        // Each of them has its own allowance too: the next three of one count, then it reads.
        assert_eq!(counted(&mut record, from("192.0.2.1"), "/", 5, now), 2);
        assert_eq!(counted(&mut record, no_user_agent, "/", 5, now), 2);
        // Ten from the address: Firefox, with two of its three left, now reads.
        let firefox = Client {
            user_agent: Some(agents[1]),
            ..from("192.0.2.1")
        };
        assert_eq!(counted(&mut record, firefox, "/", 5, now), 0);
        assert_eq!(record.addresses.entries.len(), 1);
    }

    #[test]
    fn an_ipv6_address_is_taken_by_its_64() {
        let mut record = new_record();
        let now = Instant::now();
        let addresses: Vec<String> = (1..=200)
            .map(|i| format!("2001:db8:35:64::{i:x}"))
            .collect();
        let one_64 = addresses.iter().map(|address| from(address));
        assert_eq!(added(&mut record, one_64, "/", now), CEILING);
        // Spelled out in full or in capitals, it is the same /64.
        assert!(!hit(
            &mut record,
            from("2001:0DB8:0035:0064:ffff:ffff:ffff:ffff"),
            "/",
            now
        ));
        // The next /64, and an address in another, count.
        assert!(hit(&mut record, from("2001:db8:35:65::1"), "/", now));
        assert!(hit(&mut record, from("2001:db9:35:64::1"), "/", now));
    }

    #[test]
    fn what_an_address_is() {
        let v4 = Subscriber::V4(Ipv4Addr::new(203, 0, 113, 7));
        assert_eq!(Subscriber::of("203.0.113.7"), v4);
        assert_eq!(Subscriber::of("::ffff:203.0.113.7"), v4, "IPv4-mapped");
        let prefix = Subscriber::V6Prefix([0x2001, 0xdb8, 0x35, 0x64]);
        assert_eq!(Subscriber::of("2001:db8:35:64::1"), prefix);
        assert_eq!(Subscriber::of("2001:db8:35:64:1:2:3:4"), prefix);
        assert_eq!(Subscriber::of("2001:db8:35:64::"), prefix);
        // Not an address (a hand-made event): the text, each apart.
        assert_eq!(
            Subscriber::of("localhost"),
            Subscriber::Unparsed("localhost")
        );
        let mut record = new_record();
        let now = Instant::now();
        let agents: Vec<String> = (0..20).map(|i| format!("agent {i}")).collect();
        for text in ["one", "two"] {
            let rotating = agents.iter().map(|agent| Client {
                address: text,
                user_agent: Some(agent),
            });
            assert_eq!(added(&mut record, rotating, "/", now), CEILING, "{text}");
        }
    }

    #[test]
    fn the_ceiling_is_the_configured_one_and_the_smaller_share_wins() {
        let now = Instant::now();
        let agents: Vec<String> = (0..300).map(|i| format!("agent {i}")).collect();
        let rotating = || {
            agents.iter().map(|agent| Client {
                address: "198.51.100.9",
                user_agent: Some(agent),
            })
        };
        for ceiling in [1, 2, 20, 255] {
            let mut record = Record::new(DEFAULT_WINDOW, NonZeroU8::new(ceiling).unwrap());
            assert_eq!(
                added(&mut record, rotating(), "/", now),
                usize::from(ceiling)
            );
            let mut record = Record::new(DEFAULT_WINDOW, NonZeroU8::new(ceiling).unwrap());
            let one_client = counted(&mut record, from("198.51.100.9"), "/", 10, now);
            assert_eq!(one_client, usize::from(ceiling.min(ALLOWANCE)), "{ceiling}");
        }
    }

    #[test]
    fn only_a_hit_recorded_as_counted_uses_up_a_share() {
        let mut record = Record::new(DEFAULT_WINDOW, NonZeroU8::new(1).unwrap());
        let now = Instant::now();
        let client = from("203.0.113.7");
        // Checked again and again (writes that failed): nothing is used up.
        let checked: Vec<_> = (0..5).map(|_| record.admits(client, "/", now)).collect();
        assert!(checked.iter().all(Option::is_some), "{checked:?}");
        assert!(record.clients.entries.is_empty() && record.addresses.entries.is_empty());
        // The one that was written is recorded; then the address has added its one.
        record.counted(checked[0].unwrap(), now);
        assert_eq!(record.admits(client, "/", now), None);
        let other = Client {
            user_agent: None,
            ..client
        };
        assert_eq!(record.admits(other, "/", now), None);
    }

    #[test]
    fn hits_let_through_together_are_all_recorded() {
        // Two checks before either record (not in a sandbox, which takes one event at a time):
        // both are recorded, and the share is spent.
        let mut record = new_record();
        let now = Instant::now();
        let client = from("203.0.113.7");
        let admitted: Vec<_> = (0..4)
            .filter_map(|_| record.admits(client, "/", now))
            .collect();
        assert_eq!(admitted.len(), 4);
        for each in admitted {
            record.counted(each, now);
        }
        assert_eq!(
            record.clients.counted(record.key.hash_one((client, "/"))),
            4
        );
        assert_eq!(record.admits(client, "/", now), None);
    }

    #[test]
    fn the_window_starts_at_the_first_hit_and_then_counts_again() {
        let mut record = Record::new(Duration::from_secs(600), DEFAULT_ADDRESS_CEILING);
        let start = Instant::now();
        let client = from("203.0.113.7");
        assert!(hit(&mut record, client, "/", start));
        let later = start + Duration::from_secs(300);
        assert_eq!(counted(&mut record, client, "/", 5, later), 2);
        let almost = start + Duration::from_secs(599);
        assert!(
            !hit(&mut record, client, "/", almost),
            "still inside the window"
        );
        let after = start + Duration::from_secs(600);
        assert_eq!(
            counted(&mut record, client, "/", 5, after),
            3,
            "a new window"
        );
    }

    #[test]
    fn the_address_ceiling_starts_again_with_a_new_window() {
        let mut record = Record::new(Duration::from_secs(60), DEFAULT_ADDRESS_CEILING);
        let start = Instant::now();
        let agents: Vec<String> = (0..40).map(|i| format!("agent {i}")).collect();
        let rotating = |range: std::ops::Range<usize>| {
            agents[range].iter().map(|agent| Client {
                address: "2001:db8::1",
                user_agent: Some(agent),
            })
        };
        assert_eq!(added(&mut record, rotating(0..20), "/", start), CEILING);
        let almost = start + Duration::from_secs(59);
        assert_eq!(added(&mut record, rotating(20..30), "/", almost), 0);
        let after = start + Duration::from_secs(60);
        assert_eq!(added(&mut record, rotating(30..40), "/", after), CEILING);
    }

    #[test]
    fn addresses_user_agents_and_pages_each_count_apart() {
        let mut record = new_record();
        let now = Instant::now();
        for i in 0..200 {
            let address = format!("198.51.100.{i}");
            assert!(hit(&mut record, from(&address), "/", now), "{address}");
        }
        let firefox = Client {
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ),
            ..from("198.51.100.1")
        };
        assert_eq!(counted(&mut record, firefox, "/", 5, now), 3);
        let no_user_agent = Client {
            user_agent: None,
            ..from("198.51.100.2")
        };
        let empty_user_agent = Client {
            user_agent: Some(""),
            ..from("198.51.100.2")
        };
        assert_eq!(counted(&mut record, no_user_agent, "/", 5, now), 3);
        assert_eq!(counted(&mut record, empty_user_agent, "/", 5, now), 3);
        assert_eq!(counted(&mut record, from("198.51.100.1"), "/cv", 5, now), 3);
        // The address and the page are hashed as two values, not one joined string.
        let joined = Client {
            address: "198.51.100.1/",
            ..from("")
        };
        assert!(hit(&mut record, joined, "cv", now));
    }

    #[test]
    fn memory_stays_at_the_capacity_and_the_oldest_goes_first() {
        let fresh = Tally::with_capacity();
        assert_eq!(
            fresh.entries.capacity(),
            14_336,
            "2^14 buckets, 7/8 of them usable"
        );
        assert_eq!(fresh.oldest_first.capacity(), CAPACITY);
        let mut record = new_record();
        let now = Instant::now();
        // Each in a /64 of its own, so each is an address of its own too.
        let address = |i: u32| format!("2001:db8:{:x}:{:x}::1", i >> 16, i & 0xffff);
        for i in 0..100_000u32 {
            assert!(hit(&mut record, from(&address(i)), "/", now));
            assert!(record.clients.entries.len() <= CAPACITY);
            assert!(record.addresses.entries.len() <= CAPACITY);
        }
        for tally in [&record.clients, &record.addresses] {
            assert_eq!(tally.entries.len(), CAPACITY);
            assert_eq!(tally.oldest_first.len(), CAPACITY);
            // What was reserved at the start, never grown (tombstones take from the room left).
            assert!(tally.entries.capacity() <= fresh.entries.capacity());
            assert_eq!(tally.oldest_first.capacity(), fresh.oldest_first.capacity());
        }
        // The newest are remembered, the oldest forgotten (and so counted again).
        assert_eq!(counted(&mut record, from(&address(99_999)), "/", 5, now), 2);
        assert_eq!(counted(&mut record, from(&address(0)), "/", 5, now), 3);
    }

    #[test]
    fn expired_entries_are_forgotten_as_time_passes() {
        let mut record = Record::new(Duration::from_secs(60), DEFAULT_ADDRESS_CEILING);
        let start = Instant::now();
        for i in 0..10 {
            let address = format!("192.0.2.{i}");
            assert!(hit(
                &mut record,
                from(&address),
                "/",
                start + Duration::from_secs(i)
            ));
        }
        assert_eq!(record.clients.entries.len(), 10);
        // A check alone forgets what expired, as a record does.
        let _ = record.admits(from("192.0.2.200"), "/", start + Duration::from_secs(63));
        assert_eq!(
            record.clients.entries.len(),
            10 - 4,
            "four windows have passed"
        );
        hit(
            &mut record,
            from("192.0.2.200"),
            "/",
            start + Duration::from_secs(64),
        );
        for tally in [&record.clients, &record.addresses] {
            assert_eq!(
                tally.entries.len(),
                10 - 5 + 1,
                "the first five windows have passed"
            );
            assert_eq!(tally.oldest_first.len(), tally.entries.len());
        }
    }

    #[test]
    fn a_time_before_the_record_began_is_taken_as_its_start() {
        let mut record = Record::new(Duration::from_secs(60), DEFAULT_ADDRESS_CEILING);
        let before = record
            .epoch
            .checked_sub(Duration::from_secs(5))
            .unwrap_or(record.epoch);
        assert_eq!(counted(&mut record, from("192.0.2.1"), "/", 5, before), 3);
    }

    #[test]
    fn the_record_keeps_no_address_and_no_key_in_what_it_shows() {
        let mut record = new_record();
        hit(&mut record, from("203.0.113.77"), "/", Instant::now());
        let shown = format!("{record:?}");
        assert!(!shown.contains("203.0.113.77"), "{shown}");
        assert!(!shown.contains("k0") && !shown.contains("k1"), "{shown}");
        assert!(shown.contains("clients: 1, addresses: 1"), "{shown}");
        // What it stores are keyed hashes: another sandbox's key gives other numbers.
        let hash = record.key.hash_one((from("203.0.113.77"), "/"));
        assert!(record.clients.entries.contains_key(&hash));
        let address = Subscriber::of("203.0.113.77");
        let address_hash = record.key.hash_one((address, "/"));
        assert!(record.addresses.entries.contains_key(&address_hash));
        let other = new_record();
        assert_ne!(other.key.hash_one((from("203.0.113.77"), "/")), hash);
        assert_ne!(other.key.hash_one((address, "/")), address_hash);
    }

    #[test]
    fn the_shared_record_is_one_for_every_clone() {
        let recent = RecentHits::new(DEFAULT_WINDOW, DEFAULT_ADDRESS_CEILING);
        let clone = recent.clone();
        let now = Instant::now();
        let client = from("203.0.113.7");
        for _ in 0..3 {
            let admitted = recent
                .admits(client, "/", now)
                .expect("within the allowance");
            clone.counted(admitted, now);
        }
        assert_eq!(clone.admits(client, "/", now), None);
        assert_eq!(recent.admits(client, "/", now), None);
    }
}
