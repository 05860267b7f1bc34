//! The end of a run: the state of a replication turned into its [`ReplicationResult`].

use super::histogram::Histogram;
use super::replication::Replication;
use super::report::{LatencySummary, NodeCounts, QueueRun, ReplicationResult, SourceRun};

impl Replication {
    /// Ends the run and computes its statistics.
    pub fn finish(mut self) -> ReplicationResult {
        let now = self.now;
        if self.resolution.is_some() {
            self.close_bucket();
        }
        let measured = if self.measuring {
            now - self.warm_at
        } else {
            0.0
        };
        let per_time = |x: f64| if measured > 0.0 { x / measured } else { 0.0 };
        let summary = |h: &Histogram, sum: f64| {
            let n = h.count();
            (n > 0).then(|| LatencySummary {
                count: n,
                mean: sum / n as f64,
                p50: h.quantile(0.5).unwrap_or(0.0),
                p95: h.quantile(0.95).unwrap_or(0.0),
                p99: h.quantile(0.99).unwrap_or(0.0),
                p999: h.quantile(0.999).unwrap_or(0.0),
            })
        };
        let mut in_flight = self.held;
        let queues = self
            .queues
            .iter_mut()
            .map(|q| {
                q.touch(now);
                in_flight += q.in_node;
                let a = q.levels.area();
                let (c, w) = (q.c, q.warm);
                let rejected = c.rejected - w.rejected;
                let admitted = c.admitted - w.admitted;
                let offers = c.arrived - w.arrived;
                let found_full = c.found_full - w.found_full;
                let busy = per_time(a[2] - q.warm_area[2]);
                QueueRun {
                    name: q.name.clone(),
                    l: per_time(a[0] - q.warm_area[0]),
                    lq: per_time(a[1] - q.warm_area[1]),
                    busy_servers: busy,
                    utilisation: busy / f64::from(q.servers),
                    throughput: per_time((c.completed - w.completed) as f64),
                    admitted,
                    arrived: offers,
                    rejected,
                    completed: c.completed - w.completed,
                    redeliveries: c.redeliveries - w.redeliveries,
                    dead_letters: c.dead_lettered - w.dead_lettered,
                    found_full,
                    rejection_probability: (offers > 0).then(|| rejected as f64 / offers as f64),
                    full_probability: (offers > 0).then(|| found_full as f64 / offers as f64),
                    wait_probability: {
                        let n = q.wait_h.count();
                        (n > 0).then(|| (n - q.wait_h.count_zero()) as f64 / n as f64)
                    },
                    wait: summary(&q.wait_h, c.wait_sum - w.wait_sum),
                    sojourn: summary(&q.sojourn_h, c.sojourn_sum - w.sojourn_sum),
                    end_to_end: if q.age_is_sojourn {
                        summary(&q.sojourn_h, c.sojourn_sum - w.sojourn_sum)
                    } else {
                        summary(&q.age_h, c.age_sum - w.age_sum)
                    },
                    counts: NodeCounts {
                        offered: c.admitted + c.rejected,
                        completed: c.completed,
                        dead_lettered: c.dead_lettered,
                        rejected: c.rejected,
                        in_node: q.in_node,
                    },
                }
            })
            .collect();
        let sources = self
            .sources
            .iter()
            .map(|s| SourceRun {
                name: s.name.clone(),
                created: s.c.created - s.warm.created,
                finished: s.c.finished - s.warm.finished,
                lost: s.c.lost - s.warm.lost,
                latency: summary(&s.hist, s.c.e2e_sum - s.warm.e2e_sum),
            })
            .collect();
        let mut conservation = self.totals;
        conservation.in_flight = in_flight;
        ReplicationResult {
            replication: self.replication,
            end_time: now,
            measured_time: measured,
            events: self.events,
            queues,
            sources,
            conservation,
            backlog_drained_at: self.backlog_drained_at,
            series: std::mem::take(&mut self.series),
        }
    }
}
