//! The end of a run: the state of a replication turned into its [`ReplicationResult`].

use super::histogram::Histogram;
use super::replication::Replication;
use super::report::{LatencySummary, NodeCounts, QueueRun, ReplicationResult, RetryRun, SourceRun};
use crate::model::{Metric, Queried};

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
                buckets: h.buckets(),
            })
        };
        // The queried figures of one histogram: percentiles and tails.
        let queried = |h: &Histogram, metrics: &[Metric], wait: bool| -> Vec<Queried> {
            metrics
                .iter()
                .filter_map(|&metric| {
                    let value = match (metric, wait) {
                        (Metric::WaitPercentile(l), true)
                        | (Metric::SojournPercentile(l), false) => h.quantile(l.p()),
                        (Metric::WaitTail(t), true) | (Metric::SojournTail(t), false) => {
                            h.tail(t.seconds())
                        }
                        _ => None,
                    }?;
                    Some(Queried { metric, value })
                })
                .collect()
        };
        let asked = std::mem::take(&mut self.queried);
        let mut in_flight = self.held;
        let queues = self
            .queues
            .iter_mut()
            .map(|q| {
                q.touch(now);
                in_flight += q.in_node;
                let a = q.levels.area();
                let (c, w) = (q.c, q.warm);
                // Queues that make copies: ack timeouts, or a consumer group's replays.
                let timeouts = q.cons.as_ref().is_some_and(|c| c.timeout.is_some())
                    || q.part.as_ref().is_some_and(|p| p.group.is_some());
                let rejected = c.rejected - w.rejected;
                let admitted = c.admitted - w.admitted;
                let offers = c.arrived - w.arrived;
                let found_full = c.found_full - w.found_full;
                // Time averages of counts in [0, in_node] and [0, servers]: the
                // clamps only undo rounding of the area sums (a saturated queue's
                // busy/servers came out as 1 + 9e-16).
                let busy = per_time(a[2] - q.warm_area[2]).clamp(0.0, f64::from(q.servers));
                let l = per_time(a[0] - q.warm_area[0]).max(0.0);
                // Variances from the sums of squares (E[X²] − E[X]², never below 0).
                let completed = c.completed - w.completed;
                let variance = |sum: f64, sq: f64| {
                    (completed > 0).then(|| {
                        let n = completed as f64;
                        (sq / n - (sum / n) * (sum / n)).max(0.0)
                    })
                };
                QueueRun {
                    name: q.name.clone(),
                    l,
                    lq: per_time(a[1] - q.warm_area[1]).max(0.0),
                    var_n: (per_time(a[3] - q.warm_area[3]) - l * l).max(0.0),
                    var_w: variance(
                        c.sojourn_sum - w.sojourn_sum,
                        c.sojourn_sq_sum - w.sojourn_sq_sum,
                    ),
                    var_wq: variance(c.wait_sum - w.wait_sum, c.wait_sq_sum - w.wait_sq_sum),
                    busy_servers: busy,
                    // A delay station: the busy share of each of infinitely many
                    // consumers is 0 (its L is the mean number in service).
                    utilisation: if q.servers == crate::model::Queue::INFINITE_SERVERS {
                        0.0
                    } else {
                        busy / f64::from(q.servers)
                    },
                    throughput: per_time((c.completed - w.completed) as f64),
                    admitted,
                    arrived: offers,
                    rejected,
                    completed: c.completed - w.completed,
                    redeliveries: c.redeliveries - w.redeliveries,
                    dead_letters: c.dead_lettered - w.dead_lettered,
                    expired: q.ttl.is_finite().then(|| c.expired - w.expired),
                    dropped: q.drop_head.then(|| c.dropped - w.dropped),
                    copies: timeouts.then(|| c.copies - w.copies),
                    duplicates: timeouts.then(|| c.duplicates - w.duplicates),
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
                    partitions: q.part.as_mut().map(|p| p.finish(now, measured)),
                    consumers: {
                        let servers = q.servers;
                        q.cons.as_mut().map(|c| c.finish(now, measured, servers))
                    },
                    queried: {
                        let mut v = queried(&q.wait_h, &asked.queue, true);
                        v.extend(queried(&q.sojourn_h, &asked.queue, false));
                        v
                    },
                    counts: NodeCounts {
                        offered: c.admitted + c.rejected,
                        completed: c.completed,
                        dead_lettered: c.dead_lettered,
                        expired: c.expired,
                        dropped: c.dropped,
                        rejected: c.rejected,
                        copies: c.copies,
                        duplicates: c.duplicates,
                        in_node: q.in_node,
                    },
                }
            })
            .collect();
        let book = self.retry.as_deref();
        let sources = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| SourceRun {
                name: s.name.clone(),
                created: s.c.created - s.warm.created,
                finished: s.c.finished - s.warm.finished,
                lost: s.c.lost - s.warm.lost,
                latency: summary(&s.hist, s.c.e2e_sum - s.warm.e2e_sum),
                queried: queried(&s.hist, &asked.end_to_end, false),
                retry: book.and_then(|b| b.sources[i].as_ref()).map(|r| {
                    let (c, w) = (r.c, r.warm);
                    RetryRun {
                        requests: c.requests - w.requests,
                        attempts: c.attempts - w.attempts,
                        succeeded: c.succeeded - w.succeeded,
                        gave_up: c.gave_up - w.gave_up,
                        wasted: c.wasted - w.wasted,
                        timeouts: c.timeouts - w.timeouts,
                        latency: summary(&r.hist, c.latency_sum - w.latency_sum),
                    }
                }),
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

#[cfg(test)]
mod tests {
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
    use crate::sim::{Conservation, Replication, ReplicationResult};

    /// Arrivals at 1, 2, …, 10 s (none at the end, 10.25 s), one consumer with a
    /// deterministic service of `service` seconds and capacity `capacity`.
    fn run(service: f64, capacity: Option<u64>) -> ReplicationResult {
        let mut queue = Queue::new("q", 1, Distribution::Deterministic { value: service });
        queue.capacity = capacity;
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Deterministic { rate: 1.0 },
                "q",
            ))
            .with_queue(queue);
        let settings = RunSettings {
            horizon: Some(10.25),
            ..RunSettings::default()
        };
        let mut r = Replication::new(&model.validate().unwrap(), &settings, 0).unwrap();
        r.run_until(f64::INFINITY).unwrap();
        r.finish()
    }

    /// Services of 0.5 s never overlap: 9 done at 1.5, …, 9.5; the 10th in service.
    #[test]
    fn counts_balance_without_waiting() {
        let r = run(0.5, None);
        assert_eq!((r.end_time, r.measured_time), (10.25, 10.25));
        assert_eq!(
            r.conservation,
            Conservation {
                created: 10,
                completed: 9,
                in_flight: 1,
                rejected: 0,
                dead_lettered: 0,
                expired: 0,
                dropped: 0,
                copies: 0,
                duplicates: 0,
            }
        );
        assert!(r.conservation.is_balanced());
        let q = &r.queues[0];
        assert_eq!(
            (q.arrived, q.admitted, q.completed, q.rejected),
            (10, 10, 9, 0)
        );
        // Busy 9 × 0.5 + 0.25 s.
        assert_eq!(q.l, 4.75 / 10.25);
        assert_eq!(q.lq, 0.0);
        assert_eq!(q.utilisation, 4.75 / 10.25);
        assert_eq!(q.throughput, 9.0 / 10.25);
        assert_eq!(q.wait_probability, Some(0.0));
        assert_eq!(q.rejection_probability, Some(0.0));
        let wait = q.wait.as_ref().unwrap();
        assert_eq!((wait.count, wait.mean, wait.p99), (9, 0.0, 0.0));
        let sojourn = q.sojourn.as_ref().unwrap();
        assert_eq!((sojourn.count, sojourn.mean), (9, 0.5));
        assert_eq!(q.counts.in_node, 1);
        assert_eq!(q.counts.offered, 10);
        let s = &r.sources[0];
        assert_eq!((s.created, s.finished, s.lost), (10, 9, 0));
        let latency = s.latency.as_ref().unwrap();
        assert_eq!((latency.count, latency.mean), (9, 0.5));
    }

    /// K = 1 and services of 1.5 s: the odd arrivals enter, the even ones find the
    /// node full and are rejected; 4 done (2.5, 4.5, 6.5, 8.5), the 9th in service.
    #[test]
    fn counts_balance_with_rejections() {
        let r = run(1.5, Some(1));
        assert_eq!(
            r.conservation,
            Conservation {
                created: 10,
                completed: 4,
                in_flight: 1,
                rejected: 5,
                dead_lettered: 0,
                expired: 0,
                dropped: 0,
                copies: 0,
                duplicates: 0,
            }
        );
        assert!(r.conservation.is_balanced());
        let q = &r.queues[0];
        assert_eq!(
            (q.arrived, q.admitted, q.completed, q.rejected),
            (10, 5, 4, 5)
        );
        assert_eq!(q.found_full, 5);
        assert_eq!(q.rejection_probability, Some(0.5));
        assert_eq!(q.full_probability, Some(0.5));
        // Busy 4 × 1.5 + 1.25 s.
        assert_eq!(q.l, 7.25 / 10.25);
        assert_eq!(q.busy_servers, 7.25 / 10.25);
        assert_eq!(q.sojourn.as_ref().unwrap().mean, 1.5);
        assert_eq!(q.counts.offered, 10);
        let s = &r.sources[0];
        assert_eq!((s.created, s.finished, s.lost), (10, 9, 5));
        let latency = s.latency.as_ref().unwrap();
        assert_eq!((latency.count, latency.mean), (4, 1.5));
    }

    /// A warm-up of 3.25 s: only what happens after it counts (arrivals 4 to 10,
    /// completions 3.5 to 9.5), over 7 s measured.
    #[test]
    fn warm_up_is_subtracted() {
        let model = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Deterministic { rate: 1.0 },
                "q",
            ))
            .with_queue(Queue::new(
                "q",
                1,
                Distribution::Deterministic { value: 0.5 },
            ));
        let settings = RunSettings {
            horizon: Some(7.0),
            warmup: 3.25,
            ..RunSettings::default()
        };
        let mut r = Replication::new(&model.validate().unwrap(), &settings, 0).unwrap();
        r.run_until(f64::INFINITY).unwrap();
        let r = r.finish();
        assert_eq!((r.end_time, r.measured_time), (10.25, 7.0));
        let q = &r.queues[0];
        assert_eq!((q.arrived, q.completed), (7, 7));
        // Busy on [3.25, 3.5), six services 4 to 9.5, and [10, 10.25).
        assert_eq!(q.l, 3.5 / 7.0);
        assert_eq!(q.sojourn.as_ref().unwrap().count, 7);
        assert_eq!(r.sources[0].created, 7);
        // Conservation counts the whole run.
        assert_eq!(r.conservation.created, 10);
        assert_eq!(r.conservation.completed, 9);
    }
}
