//! Kafka-style partitioned topics: keyed producers (hot keys), partitions, and a
//! consumer group that assigns each partition to exactly one consumer.
//!
//! A queue with `partitions` set is consumed by a **consumer group** of `consumers`
//! members. Each message draws a key from the key distribution ([`Keys`]); its
//! partition is [`partition_of`]`(key, partitions)`, a fixed 64-bit hash (the SplitMix64
//! finaliser) of the key modulo the partition count; keyless messages
//! ([`Keys::RoundRobin`]) go to the partitions in turn. Each partition belongs to one
//! consumer ([`Assignment`]); a consumer handles the messages of its partitions one at
//! a time in arrival order, so order per key holds and a slow message holds up the ones
//! behind it (head-of-line blocking). Consumers beyond the number of partitions are idle.
//!
//! ```toml
//! [[queue]]
//! name = "payment-events"
//! consumers = 12                 # the consumer group's size
//! service = { type = "exponential", mean = "4ms" }
//! partitions = 24
//! keys = { type = "zipf", keys = 100000, exponent = 1.1 }
//! assignment = "range"           # or "round_robin"
//! ```
//!
//! Both engines use the definitions here: the simulator hashes the keys it draws with
//! [`partition_of`] and assigns partitions with [`Partitioning::consumer_of`]; the
//! analytic side splits the arrival stream by [`Partitioning::partition_shares`].

use super::error::Problem;
use serde::{Deserialize, Serialize};

/// The most partitions a queue may have (each keeps its own statistics in a
/// simulation, and appears in the JSON reports).
pub const MAX_PARTITIONS: u32 = 10_000;

/// The most keys a key distribution may have: [`Partitioning::partition_shares`]
/// visits every key once (about a second at this bound), the simulator none.
pub const MAX_KEYS: u64 = 100_000_000;

/// How producers choose a message's key (and so its partition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Keys {
    /// Keyless messages: partitions in turn (0, 1, …, P − 1, 0, …), an equal share each.
    RoundRobin,
    /// Keys 1..=`keys`, equally likely.
    Uniform {
        /// Number of distinct keys N (1..=[`MAX_KEYS`]).
        keys: u64,
    },
    /// Keys 1..=`keys` with P(key = k) ∝ k^(−exponent): key 1 is the hottest
    /// (a few hot merchants, a long tail).
    Zipf {
        /// Number of distinct keys N (1..=[`MAX_KEYS`]).
        keys: u64,
        /// Skew s > 0 (s = 1: classic Zipf; larger: hotter hot keys).
        exponent: f64,
    },
}

/// How a consumer group's members share the partitions (Kafka's assignors).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// `RangeAssignor`: contiguous blocks of ⌊P / c⌋ partitions; the first P mod c
    /// consumers get one more.
    #[default]
    Range,
    /// `RoundRobinAssignor`: partition p goes to consumer p mod c.
    RoundRobin,
}

/// The partitioning of one queue: partition count, key distribution and assignment
/// (from [`Queue::partitioning`](super::Queue::partitioning)).
///
/// # Example
/// ```
/// use kendall::model::{Assignment, Keys, Partitioning};
/// let p = Partitioning { partitions: 4, keys: Keys::RoundRobin, assignment: Assignment::Range };
/// let shares = p.shares(3);
/// assert_eq!(shares.partitions, vec![0.25; 4]);
/// // Range: consumer 0 gets partitions 0 and 1, consumers 1 and 2 one each.
/// assert_eq!(shares.consumers, vec![0.5, 0.25, 0.25]);
/// assert_eq!(p.consumer_of(1, 3), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Partitioning {
    /// Number of partitions P (1..=[`MAX_PARTITIONS`]).
    pub partitions: u32,
    /// How keys are drawn.
    pub keys: Keys,
    /// How partitions are assigned to the group's consumers.
    pub assignment: Assignment,
}

/// Each partition's and each consumer's share of a partitioned queue's messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Shares {
    /// Share of partition p, p = 0..P (sums to 1).
    pub partitions: Vec<f64>,
    /// Share of consumer k, k = 0..c: the sum over its partitions (0 for an idle
    /// consumer).
    pub consumers: Vec<f64>,
}

/// The partition of `key` among `partitions`: the SplitMix64 finaliser (Steele, Lea &
/// Flood 2014) of the key, modulo the partition count. The one hash both engines use.
///
/// # Example
/// ```
/// use kendall::model::partition_of;
/// assert!(partition_of(42, 24) < 24);
/// assert_eq!(partition_of(42, 24), partition_of(42, 24));
/// assert_eq!(partition_of(7, 1), 0);
/// ```
pub fn partition_of(key: u64, partitions: u32) -> u32 {
    let mut z = key;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % u64::from(partitions.max(1))) as u32
}

impl Partitioning {
    /// The consumer (0..`consumers`) that owns partition `p` under this assignment.
    /// Consumers numbered `partitions` and above own nothing (idle).
    pub fn consumer_of(&self, p: u32, consumers: u32) -> u32 {
        let c = consumers.max(1);
        match self.assignment {
            Assignment::RoundRobin => p % c,
            Assignment::Range => {
                // The first `extra` consumers own `base + 1` partitions, the rest `base`.
                let (base, extra) = (self.partitions / c, self.partitions % c);
                let big = extra * (base + 1);
                if p < big {
                    p / (base + 1)
                } else {
                    extra + (p - big) / base.max(1)
                }
            }
        }
    }

    /// Consumers of a group of `consumers` that own no partition: max(0, c − P).
    pub fn idle_consumers(&self, consumers: u32) -> u32 {
        consumers.saturating_sub(self.partitions)
    }

    /// Each partition's share of messages, exactly: Σ over the keys hashed to it of
    /// P(key) (Zipf: k^(−s) / Σⱼ j^(−s), each partition's sum compensated, Neumaier);
    /// 1/P each for round robin. O(N) time for N keys, O(P) memory.
    ///
    /// # Example
    /// ```
    /// use kendall::model::{Assignment, Keys, Partitioning, partition_of};
    /// let p = Partitioning { partitions: 2, keys: Keys::Uniform { keys: 4 }, assignment: Assignment::Range };
    /// let s = p.partition_shares();
    /// let on_0 = (1..=4).filter(|&k| partition_of(k, 2) == 0).count() as f64;
    /// assert_eq!(s[0], on_0 / 4.0);
    /// ```
    pub fn partition_shares(&self) -> Vec<f64> {
        let n = self.partitions.max(1) as usize;
        match &self.keys {
            Keys::RoundRobin => vec![1.0 / n as f64; n],
            Keys::Uniform { keys } => {
                let mut count = vec![0u64; n];
                for k in 1..=*keys {
                    count[partition_of(k, self.partitions) as usize] += 1;
                }
                count.iter().map(|&c| c as f64 / *keys as f64).collect()
            }
            Keys::Zipf { keys, exponent } => {
                let mut sum = vec![0.0f64; n];
                let mut comp = vec![0.0f64; n];
                for k in 1..=*keys {
                    let w = (k as f64).powf(-exponent);
                    let p = partition_of(k, self.partitions) as usize;
                    let t = sum[p] + w;
                    comp[p] += if sum[p].abs() >= w {
                        (sum[p] - t) + w
                    } else {
                        (w - t) + sum[p]
                    };
                    sum[p] = t;
                }
                let parts: Vec<f64> = sum.iter().zip(&comp).map(|(s, c)| s + c).collect();
                let total: f64 = parts.iter().sum();
                parts.iter().map(|s| s / total).collect()
            }
        }
    }

    /// Each consumer's share from the partitions' (`partition_shares`, as given by
    /// [`Partitioning::partition_shares`]): the sum over the partitions it owns.
    pub fn consumer_shares(&self, partition_shares: &[f64], consumers: u32) -> Vec<f64> {
        let mut out = vec![0.0; consumers.max(1) as usize];
        for (p, s) in partition_shares.iter().enumerate() {
            out[self.consumer_of(p as u32, consumers) as usize] += s;
        }
        out
    }

    /// Partition and consumer shares for a group of `consumers` (see
    /// [`Partitioning::partition_shares`]: O(N) in the number of keys).
    pub fn shares(&self, consumers: u32) -> Shares {
        let partitions = self.partition_shares();
        let consumers = self.consumer_shares(&partitions, consumers);
        Shares {
            partitions,
            consumers,
        }
    }

    /// Checks the partitioning of the queue at `path` (`queue "x"`), pushing each
    /// problem with its field and fix.
    pub(crate) fn check(&self, path: &str, out: &mut Vec<Problem>) {
        if !(1..=MAX_PARTITIONS).contains(&self.partitions) {
            out.push(Problem::new(
                format!("{path}.partitions"),
                format!(
                    "must be between 1 and {MAX_PARTITIONS}, got {}",
                    self.partitions
                ),
            ));
        }
        match &self.keys {
            Keys::RoundRobin => {}
            Keys::Uniform { keys } | Keys::Zipf { keys, .. } => {
                if !(1..=MAX_KEYS).contains(keys) {
                    out.push(Problem::new(
                        format!("{path}.keys.keys"),
                        format!(
                            "must be between 1 and {MAX_KEYS} distinct keys, got {keys}: \
                             for more keys use type = \"uniform\" with {MAX_KEYS} (the \
                             partition shares are then even to within 1e-4)"
                        ),
                    ));
                }
            }
        }
        if let Keys::Zipf { exponent, .. } = &self.keys
            && !(exponent.is_finite() && *exponent > 0.0 && *exponent <= 100.0)
        {
            out.push(Problem::new(
                format!("{path}.keys.exponent"),
                format!(
                    "must be a finite number in (0, 100], got {exponent}: 0 would be \
                     uniform (use type = \"uniform\"), about 1 is a typical skew"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(partitions: u32, assignment: Assignment) -> Partitioning {
        Partitioning {
            partitions,
            keys: Keys::RoundRobin,
            assignment,
        }
    }

    /// Kafka's RangeAssignor on 7 partitions and 3 consumers: [0,1,2], [3,4], [5,6].
    #[test]
    fn range_assignment_gives_contiguous_blocks() {
        let p = part(7, Assignment::Range);
        let got: Vec<u32> = (0..7).map(|i| p.consumer_of(i, 3)).collect();
        assert_eq!(got, [0, 0, 0, 1, 1, 2, 2]);
        // More consumers than partitions: one each, the rest idle.
        let got: Vec<u32> = (0..7).map(|i| p.consumer_of(i, 10)).collect();
        assert_eq!(got, [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(p.idle_consumers(10), 3);
        // Even split.
        let p = part(24, Assignment::Range);
        assert!((0..24).all(|i| p.consumer_of(i, 12) == i / 2));
    }

    #[test]
    fn round_robin_assignment_is_p_mod_c() {
        let p = part(7, Assignment::RoundRobin);
        let got: Vec<u32> = (0..7).map(|i| p.consumer_of(i, 3)).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2, 0]);
    }

    /// Every partition has an owner below c, and each owner's partition count is
    /// ⌊P/c⌋ or ⌈P/c⌉ for both assignors.
    #[test]
    fn every_partition_has_one_owner_and_loads_are_balanced() {
        for partitions in 1..40 {
            for c in 1..45 {
                for a in [Assignment::Range, Assignment::RoundRobin] {
                    let p = part(partitions, a);
                    let mut owned = vec![0u32; c as usize];
                    for i in 0..partitions {
                        owned[p.consumer_of(i, c) as usize] += 1;
                    }
                    let (lo, hi) = (partitions / c, partitions.div_ceil(c));
                    assert!(owned.iter().all(|&n| n == lo || n == hi), "{owned:?}");
                    assert_eq!(owned.iter().sum::<u32>(), partitions);
                }
            }
        }
    }

    #[test]
    fn shares_sum_to_one() {
        for keys in [
            Keys::RoundRobin,
            Keys::Uniform { keys: 1000 },
            Keys::Zipf {
                keys: 1000,
                exponent: 1.1,
            },
        ] {
            let p = Partitioning {
                partitions: 7,
                keys,
                assignment: Assignment::Range,
            };
            let s = p.shares(3);
            assert!((s.partitions.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!((s.consumers.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    /// The hash is the SplitMix64 finaliser: the reference C implementation's first
    /// output from state 0 is the finaliser of the golden gamma 0x9E3779B97F4A7C15.
    #[test]
    fn the_hash_is_the_splitmix64_finaliser() {
        let z: u64 = 0x9E37_79B9_7F4A_7C15;
        assert_eq!(
            partition_of(z, u32::MAX),
            (0xE220_A839_7B1D_CDAF_u64 % u64::from(u32::MAX)) as u32
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let mut out = Vec::new();
        Partitioning {
            partitions: 0,
            keys: Keys::Zipf {
                keys: 0,
                exponent: -1.0,
            },
            assignment: Assignment::Range,
        }
        .check("queue \"q\"", &mut out);
        let paths: Vec<&str> = out.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "queue \"q\".partitions",
                "queue \"q\".keys.keys",
                "queue \"q\".keys.exponent"
            ]
        );
    }
}
