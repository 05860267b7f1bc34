//! Time series: the run cut into buckets of `time_series` seconds, each with its mean
//! queue lengths, sojourns and end-to-end latencies.

use super::replication::{Ev, Replication};
use super::report::SeriesBucket;

impl Replication {
    pub(super) fn on_sample(&mut self) {
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
        };
        for q in &mut self.queues {
            q.touch(now);
            let area = q.levels.area()[0];
            bucket.queue_length.push((area - q.tick.0) / length);
            let n = q.c.completed - q.tick.2;
            bucket
                .sojourn
                .push((n > 0).then(|| (q.c.sojourn_sum - q.tick.1) / n as f64));
            q.tick = (area, q.c.sojourn_sum, q.c.completed);
        }
        for s in &mut self.sources {
            let n = s.c.e2e_count - s.tick.1;
            bucket
                .latency
                .push((n > 0).then(|| (s.c.e2e_sum - s.tick.0) / n as f64));
            s.tick = (s.c.e2e_sum, s.c.e2e_count);
        }
        self.series.push(bucket);
        self.series_ticks += 1;
        self.series_last = now;
    }
}
