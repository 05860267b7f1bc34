//! Time series: the run cut into buckets of `time_series` seconds, each with its mean
//! queue lengths, sojourns and end-to-end latencies.

use super::error::SimError;
use super::replication::{Ev, Replication};
use super::report::SeriesBucket;

impl Replication {
    pub(super) fn on_sample(&mut self) {
        if self.series.len() as u64 >= self.bucket_cap {
            // A run of unknown length (stopped by a count) that outgrew its share of
            // `simulation.memory_limit`; runs of known length were refused up front.
            if self.fault.is_none() {
                let partitions: usize = self
                    .queues
                    .iter()
                    .map(|q| q.part.as_ref().map_or(0, |p| p.owner.len()))
                    .sum();
                let per = super::memory::bytes_per_bucket(
                    self.queues.len(),
                    self.sources.len(),
                    partitions,
                );
                self.fault = Some(SimError::MemoryLimit {
                    field: "simulation.time_series".into(),
                    needed: (self.series.len() as u64 + 1).saturating_mul(per),
                    limit: self.bucket_cap.saturating_mul(per),
                    fix: format!(
                        "the run passed {} buckets of {} s; use a coarser resolution, a horizon, or raise simulation.memory_limit",
                        self.series.len(),
                        self.resolution.unwrap_or(0.0)
                    ),
                });
            }
            return;
        }
        self.close_bucket();
        if !self.cal.is_empty()
            && let Some(r) = self.resolution
        {
            self.at((self.series_ticks + 1) as f64 * r, Ev::Sample);
        }
    }

    pub(super) fn close_bucket(&mut self) {
        let now = self.now;
        let length = now - self.series_last;
        if length <= 0.0 {
            return;
        }
        let mut bucket = SeriesBucket {
            start: self.series_last,
            length,
            queue_length: Vec::with_capacity(self.queues.len()),
            sojourn: Vec::with_capacity(self.queues.len()),
            latency: Vec::with_capacity(self.sources.len()),
            sojourn_p99: Vec::with_capacity(self.queues.len()),
            latency_p99: Vec::with_capacity(self.sources.len()),
            partition_lag: Vec::new(),
        };
        if self.queues.iter().any(|q| q.part.is_some()) {
            bucket.partition_lag = self
                .queues
                .iter_mut()
                .map(|q| {
                    q.part
                        .as_mut()
                        .map_or_else(Vec::new, |p| p.bucket_lags(now, length))
                })
                .collect();
        }
        for q in &mut self.queues {
            q.touch(now);
            let area = q.levels.area()[0];
            bucket.queue_length.push((area - q.tick.0) / length);
            let n = q.c.completed - q.tick.2;
            bucket
                .sojourn
                .push((n > 0).then(|| (q.c.sojourn_sum - q.tick.1) / n as f64));
            q.tick = (area, q.c.sojourn_sum, q.c.completed);
            bucket
                .sojourn_p99
                .push(window_p99(&q.sojourn_h, q.window_h.as_deref_mut()));
        }
        for s in &mut self.sources {
            let n = s.c.e2e_count - s.tick.1;
            bucket
                .latency
                .push((n > 0).then(|| (s.c.e2e_sum - s.tick.0) / n as f64));
            s.tick = (s.c.e2e_sum, s.c.e2e_count);
            bucket
                .latency_p99
                .push(window_p99(&s.hist, s.window_h.as_deref_mut()));
        }
        self.series.push(bucket);
        self.series_ticks += 1;
        self.series_last = now;
    }
}

/// The p99 of the values `now` gained since the copy `then` (the bucket's values), and
/// `then` brought up to `now` for the next bucket. Nothing extra on the hot path: the
/// run's own histogram is read at each bucket's end.
fn window_p99(
    now: &super::histogram::Histogram,
    then: Option<&mut super::histogram::Histogram>,
) -> Option<f64> {
    let then = then?;
    let p = now.quantile_since(then, 0.99);
    then.copy_from(now);
    p
}

#[cfg(test)]
mod tests {
    use crate::model::{ArrivalProcess, Distribution, Model, Queue, RunSettings, Source};
    use crate::sim::{Replication, ReplicationResult};

    /// Arrivals at 1, 2, 3, … s, each served for 0.5 s by one consumer: the node holds
    /// one message on [k, k + 0.5) and none otherwise.
    fn run(horizon: f64, resolution: f64) -> ReplicationResult {
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
            horizon: Some(horizon),
            time_series: Some(resolution),
            ..RunSettings::default()
        };
        let mut r = Replication::new(&model.validate().unwrap(), &settings, 0).unwrap();
        r.run_until(f64::INFINITY).unwrap();
        r.finish()
    }

    #[test]
    fn buckets_cut_at_multiples_of_the_resolution_and_the_last_is_shorter() {
        let r = run(10.0, 3.0);
        let bounds: Vec<(f64, f64)> = r.series.iter().map(|b| (b.start, b.length)).collect();
        assert_eq!(bounds, [(0.0, 3.0), (3.0, 3.0), (6.0, 3.0), (9.0, 1.0)]);
        // [0, 3): arrivals at 1 and 2 (the one at 3 comes after the tick): 1 s busy.
        // [3, 6) and [6, 9): three services, 1.5 s. [9, 10): one service, 0.5 s.
        let l: Vec<f64> = r.series.iter().map(|b| b.queue_length[0]).collect();
        assert_eq!(l, [1.0 / 3.0, 0.5, 0.5, 0.5]);
        for b in &r.series {
            assert_eq!(b.sojourn, [Some(0.5)]);
            assert_eq!(b.latency, [Some(0.5)]);
        }
    }

    #[test]
    fn a_horizon_on_a_tick_leaves_no_empty_bucket() {
        let r = run(9.0, 3.0);
        let bounds: Vec<(f64, f64)> = r.series.iter().map(|b| (b.start, b.length)).collect();
        assert_eq!(bounds, [(0.0, 3.0), (3.0, 3.0), (6.0, 3.0)]);
    }

    /// A bucket with no completion has no sojourn or latency (not 0). A completion at
    /// a tick's instant falls in the later bucket: the tick was scheduled first.
    #[test]
    fn a_bucket_without_completions_has_no_sojourn() {
        let r = run(4.0, 0.75);
        let starts: Vec<f64> = r.series.iter().map(|b| b.start).collect();
        assert_eq!(starts, [0.0, 0.75, 1.5, 2.25, 3.0, 3.75]);
        // [0, 0.75): empty.
        assert_eq!(
            (r.series[0].queue_length[0], r.series[0].sojourn[0]),
            (0.0, None)
        );
        // [0.75, 1.5): busy on [1, 1.5), the completion at 1.5 comes after the tick.
        assert_eq!(r.series[1].queue_length, [0.5 / 0.75]);
        assert_eq!(r.series[1].sojourn, [None]);
        assert_eq!(r.series[1].latency, [None]);
        // [1.5, 2.25): that completion, and busy on [2, 2.25).
        assert_eq!(r.series[2].queue_length, [0.25 / 0.75]);
        assert_eq!(r.series[2].sojourn, [Some(0.5)]);
        // [3.75, 4): the end comes before the arrival at 4.
        assert_eq!(r.series[5].length, 0.25);
        assert_eq!(
            (r.series[5].queue_length[0], r.series[5].sojourn[0]),
            (0.0, None)
        );
    }
}
