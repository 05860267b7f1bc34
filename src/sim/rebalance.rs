//! Kafka consumer-group crashes, rebalances and offset replays on a partitioned queue
//! (see [`Queue::rebalance`](crate::model::Queue::rebalance)).
//!
//! A crash or a restart starts a rebalance: every consumer stops taking new messages
//! (`paused`) until `rebalance` seconds have passed **and** every message in service
//! has finished (an eager rebalance revokes partitions only after the poll loop's
//! in-flight work is done). Then the partitions are assigned again over the consumers
//! that are up ([`Partitioning::consumer_of`](crate::model::Partitioning::consumer_of)
//! over their list), the waiting messages are moved to their new owner's line in
//! offset (entry) order, and each partition's replays go first.
//!
//! Replays: with `commit_interval`, completions since the last commit are counted per
//! partition (`uncommitted`, reset by the periodic [`Ev::Commit`]); a crashed
//! consumer's partitions replay them: one message slot per replay, marked
//! [`REPLAY`], served like any message and then discarded as a duplicate (its root is
//! never touched). The crashed consumer's message in service loses its work and goes
//! back to its partition (counted as `restarted`).
//!
//! Cost: a rebalance sorts the waiting messages, O(n log n) for n waiting, once per
//! crash or restart. Memory: O(P + c).

use super::arena::{NONE, REPLAY};
use super::estimate::Estimate;
use super::line::Line;
use super::replication::{Ev, Replication};
use crate::model::{Partitioning, Sampler};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Counters (a snapshot at the end of warm-up is subtracted).
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    crashes: u64,
    rebalances: u64,
    paused: f64,
    replayed: u64,
    restarted: u64,
}

/// The consumer group of one partitioned queue with crashes.
pub(super) struct Group {
    pub(super) partitioning: Partitioning,
    /// Up-time and down-time samplers, with their own stream.
    pub(super) crash: (Sampler, Sampler),
    pub(super) rng: Xoshiro256PlusPlus,
    pause: f64,
    /// Offset commit interval (`None`: each completion is committed).
    pub(super) commit: Option<f64>,
    pub(super) up: Vec<bool>,
    /// Consumers stop taking messages (a rebalance is under way).
    pub(super) paused: bool,
    paused_since: f64,
    /// The end of the rebalance pause.
    until: f64,
    /// The pause is over; the partitions move once nothing is in service.
    pending: bool,
    /// Completions per partition since the last commit.
    pub(super) uncommitted: Vec<u64>,
    /// Replays per partition waiting for the next assignment.
    replay: Vec<u64>,
    c: Counts,
    warm: Counts,
}

impl Group {
    /// `consumers` consumers of `partitioning`, all up.
    pub(super) fn new(
        partitioning: Partitioning,
        consumers: u32,
        crash: (Sampler, Sampler),
        rng: Xoshiro256PlusPlus,
        pause: f64,
        commit: Option<f64>,
    ) -> Self {
        let n = partitioning.partitions as usize;
        Self {
            partitioning,
            crash,
            rng,
            pause,
            commit,
            up: vec![true; consumers as usize],
            paused: false,
            paused_since: 0.0,
            until: f64::NEG_INFINITY,
            pending: false,
            uncommitted: vec![0; n],
            replay: vec![0; n],
            c: Counts::default(),
            warm: Counts::default(),
        }
    }

    /// The end of warm-up at `now`.
    pub(super) fn warm_up(&mut self, now: f64) {
        if self.paused {
            self.c.paused += now - self.paused_since;
            self.paused_since = now;
        }
        self.warm = self.c;
    }

    /// The replication's figures over `measured` seconds ending at `now`.
    pub(super) fn finish(&mut self, now: f64, measured: f64) -> GroupRun {
        if self.paused {
            self.c.paused += now - self.paused_since;
            self.paused_since = now;
        }
        let (c, w) = (self.c, self.warm);
        GroupRun {
            crashes: c.crashes - w.crashes,
            rebalances: c.rebalances - w.rebalances,
            paused_fraction: if measured > 0.0 {
                ((c.paused - w.paused) / measured).clamp(0.0, 1.0)
            } else {
                0.0
            },
            replayed: c.replayed - w.replayed,
            restarted: c.restarted - w.restarted,
        }
    }
}

impl Replication {
    /// Consumer `k` of partitioned queue `j` crashes now: its message in service goes
    /// back to its partition, its partitions' uncommitted completions are due for
    /// replay, and the group rebalances. Returns whether it was up.
    pub(super) fn crash_partitioned(&mut self, j: usize, k: usize) -> bool {
        let now = self.now;
        let q = &mut self.queues[j];
        let Some(mut part) = q.part.take() else {
            return false;
        };
        let Some(g) = part.group.as_deref_mut() else {
            q.part = Some(part);
            return false;
        };
        if !g.up[k] {
            q.part = Some(part);
            return false;
        }
        g.up[k] = false;
        g.c.crashes += 1;
        for (p, owner) in part.owner.iter().enumerate() {
            if *owner as usize == k {
                g.replay[p] += std::mem::take(&mut g.uncommitted[p]);
            }
        }
        let m = part.current[k];
        if m != NONE && !self.arena.msgs[m as usize].held {
            // Its work is lost: the pending completion becomes void, and it is served
            // again first (the oldest of its partition).
            let msg = &mut self.arena.msgs[m as usize];
            msg.generation = msg.generation.wrapping_add(1);
            // The elapsed attempt counts as service, not wait (time not being served).
            msg.served += now - msg.start;
            g.c.restarted += 1;
            q.touch(now);
            q.busy -= 1;
            part.stop(k, now);
            q.lines[k].push_front(m);
            q.waiting += 1;
        }
        q.part = Some(part);
        self.begin_rebalance(j);
        true
    }

    /// Consumer `k` of partitioned queue `j` comes back: the group rebalances.
    pub(super) fn restart_partitioned(&mut self, j: usize, k: usize) {
        let Some(g) = self.queues[j].group_mut() else {
            return;
        };
        if g.up[k] {
            return;
        }
        g.up[k] = true;
        self.begin_rebalance(j);
    }

    /// A membership change now: consumers pause for the rebalance time (a change during
    /// a rebalance extends it).
    fn begin_rebalance(&mut self, j: usize) {
        let now = self.now;
        let Some(g) = self.queues[j].group_mut() else {
            return;
        };
        g.c.rebalances += 1;
        if !g.paused {
            g.paused = true;
            g.paused_since = now;
        }
        g.pending = false;
        g.until = now + g.pause;
        let until = g.until;
        self.at(until, Ev::Rebalance(j as u32));
    }

    /// The rebalance time of queue `j` is over (unless a later change extended it):
    /// the partitions move as soon as nothing is in service.
    pub(super) fn on_rebalance(&mut self, j: usize) {
        let now = self.now;
        let q = &mut self.queues[j];
        let Some(part) = q.part.as_deref_mut() else {
            return;
        };
        let idle = part.serving() == 0;
        let Some(g) = part.group.as_deref_mut() else {
            return;
        };
        if !g.paused || now < g.until {
            return;
        }
        g.pending = true;
        if idle {
            self.reassign(j);
        }
    }

    /// Whether queue `j` waits for its last message in service to reassign partitions.
    #[inline]
    pub(super) fn reassign_pending(&self, j: usize) -> bool {
        self.queues[j].group().is_some_and(|g| g.pending)
    }

    /// Assigns the partitions of queue `j` over the consumers that are up, moves the
    /// waiting messages to their owners' lines in entry order with the replays first,
    /// ends the pause and starts every free consumer.
    pub(super) fn reassign(&mut self, j: usize) {
        let now = self.now;
        let Self {
            queues,
            arena,
            totals,
            ..
        } = self;
        let q = &mut queues[j];
        let Some(mut part) = q.part.take() else {
            return;
        };
        let Some(mut g) = part.group.take() else {
            q.part = Some(part);
            return;
        };
        let alive: Vec<u32> = (0..g.up.len() as u32)
            .filter(|k| g.up[*k as usize])
            .collect();
        if alive.is_empty() {
            // Nobody to assign to: the partitions wait for a restart (another rebalance).
            g.pending = false;
            part.group = Some(g);
            q.part = Some(part);
            return;
        }
        for (p, owner) in part.owner.iter_mut().enumerate() {
            *owner = alive[g.partitioning.consumer_of(p as u32, alive.len() as u32) as usize];
        }
        let mut waiting: Vec<u32> = q.lines.iter_mut().flat_map(Line::drain).collect();
        waiting.sort_by(|a, b| {
            arena.msgs[*a as usize]
                .enter
                .total_cmp(&arena.msgs[*b as usize].enter)
        });
        for m in waiting {
            let p = arena.msgs[m as usize].pos as usize;
            q.lines[part.owner[p] as usize].push_back(m);
        }
        let mut made = 0;
        for p in 0..part.owner.len() {
            let n = std::mem::take(&mut g.replay[p]);
            for _ in 0..n {
                let m = arena.alloc_msg(NONE, 0);
                let msg = &mut arena.msgs[m as usize];
                msg.enter_node(j, now);
                msg.pos = p as u32;
                msg.group = REPLAY;
                part.replayed(p, now);
                q.lines[part.owner[p] as usize].push_front(m);
            }
            made += n;
        }
        if made > 0 {
            q.touch(now);
            q.in_node += made;
            q.waiting += made;
            q.c.copies += made;
            totals.copies += made;
            g.c.replayed += made;
        }
        g.c.paused += now - g.paused_since;
        g.paused = false;
        g.pending = false;
        part.group = Some(g);
        q.part = Some(part);
        for k in alive {
            if let Some(p) = self.queues[j].part.as_deref_mut() {
                p.freed = k;
            }
            self.fill_partitioned(j);
        }
    }

    /// Offsets of queue `j` are committed now; the next commit is scheduled.
    pub(super) fn on_commit(&mut self, j: usize) {
        self.crash_pending -= 1;
        let Some(g) = self.queues[j].group_mut() else {
            return;
        };
        g.uncommitted.fill(0);
        self.schedule_commit(j, true);
    }

    /// Schedules queue `j`'s next offset commit a commit interval from now (none
    /// without `commit_interval`). With `check`, nothing is scheduled once only
    /// periodic events are left.
    pub(super) fn schedule_commit(&mut self, j: usize, check: bool) {
        let Some(every) = self.queues[j].group().and_then(|g| g.commit) else {
            return;
        };
        if check && self.crashes_alone() {
            return;
        }
        self.crash_pending += 1;
        let t = self.now + every;
        self.at(t, Ev::Commit(j as u32));
    }

    /// A replayed message of partitioned queue `j` is done: discarded as a duplicate.
    pub(super) fn discard_replay(&mut self, j: usize, m: u32) {
        let now = self.now;
        let q = &mut self.queues[j];
        q.touch(now);
        q.in_node -= 1;
        q.busy -= 1;
        q.c.duplicates += 1;
        self.totals.duplicates += 1;
        if let Some(part) = q.part.as_deref_mut() {
            part.leave(m, &self.arena.msgs[m as usize], now, false);
        }
        self.arena.free_slot(m);
        self.after_leave(j);
    }
}

/// A consumer group's crashes and rebalances in one replication (after warm-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupRun {
    /// Consumer crashes.
    pub crashes: u64,
    /// Rebalances started (a crash or a restart each).
    pub rebalances: u64,
    /// Fraction of the time consumption was paused by a rebalance.
    pub paused_fraction: f64,
    /// Messages replayed from the last committed offset, processed again and discarded.
    pub replayed: u64,
    /// Messages in service at a crash, whose work was lost and redone.
    pub restarted: u64,
}

/// A consumer group's crashes and rebalances across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupReport {
    /// Consumer crashes per replication.
    pub crashes: Estimate,
    /// Rebalances per replication.
    pub rebalances: Estimate,
    /// Fraction of the time consumption was paused.
    pub paused_fraction: Estimate,
    /// Replayed messages (duplicates) per replication.
    pub replayed: Estimate,
    /// Replayed messages per crash, all replications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_per_crash: Option<f64>,
    /// Messages in service at a crash (work redone), all replications.
    pub restarted: u64,
}

impl GroupReport {
    /// Summarises the replications' runs at `confidence`; `None` without any.
    pub(super) fn from_runs(runs: &[&GroupRun], confidence: f64) -> Option<Self> {
        runs.first()?;
        let est = |f: &dyn Fn(&GroupRun) -> f64| {
            Estimate::from_values(runs.iter().map(|r| f(r)), confidence)
                .map(|e| e.within(0.0, f64::INFINITY))
                .unwrap_or(Estimate::exact(0.0, runs.len() as u32))
        };
        let crashes: u64 = runs.iter().map(|r| r.crashes).sum();
        let replayed: u64 = runs.iter().map(|r| r.replayed).sum();
        Some(Self {
            crashes: est(&|r| r.crashes as f64),
            rebalances: est(&|r| r.rebalances as f64),
            paused_fraction: est(&|r| r.paused_fraction).within(0.0, 1.0),
            replayed: est(&|r| r.replayed as f64),
            replayed_per_crash: (crashes > 0).then(|| replayed as f64 / crashes as f64),
            restarted: runs.iter().map(|r| r.restarted).sum(),
        })
    }
}
