//! Drop-head overflow in the simulator (`on_full = "drop_head"`, RabbitMQ's default
//! `max-length` policy): an arrival at a full queue is admitted and the oldest waiting
//! message is pushed out, to the queue's dead-letter target (RabbitMQ's reason `maxlen`)
//! or dropped and counted. Only such queues reach this path, from `offer`.

use super::expiry::Unserved;
use super::replication::Replication;

impl Replication {
    /// Message `m` arrives at full queue `j` (drop-head, with a message waiting): the
    /// head of the line leaves, then `m` is admitted.
    #[cold]
    #[inline(never)]
    pub(super) fn push_out(&mut self, j: usize, m: u32) {
        let q = &mut self.queues[j];
        // Validation keeps drop-head to plain FIFO queues: one line.
        let Some(head) = q.lines.first_mut().and_then(|l| l.pop_front()) else {
            return self.admit(j, m);
        };
        q.waiting -= 1;
        self.leave_unserved(j, head, Unserved::PushedOut);
        self.admit(j, m);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{ArrivalProcess, Distribution, Model, OnFull, Queue, RunSettings, Source};
    use crate::sim::Replication;

    /// Deterministic: arrivals every 1 s from t = 1, one consumer busy 3.5 s, capacity 3
    /// (one in service, two waiting). Worked by hand: 1 served (to 4.5); 2, 3 wait; 4
    /// finds it full and pushes out 2; 5 arrives at 5 after 3 started at 4.5 (to 8):
    /// line 4, 5; 6 pushes out 4; 7 pushes out 5; 8: 6 started at 8 (to 11.5), line 7, 8;
    /// 9 pushes out 7; 10 pushes out 8; at 10.5: served 1 and 3 done, 6 in service,
    /// 9 and 10 waiting, 2, 4, 5, 7, 8 pushed out.
    #[test]
    fn push_out_by_hand() {
        let mut q = Queue::new("q", 1, Distribution::Deterministic { value: 3.5 }).with_capacity(3);
        q.on_full = OnFull::DropHead;
        let m = Model::default()
            .with_source(Source::new(
                "in",
                ArrivalProcess::Deterministic { rate: 1.0 },
                "q",
            ))
            .with_queue(q)
            .validate()
            .unwrap();
        let s = RunSettings {
            horizon: Some(10.5),
            warmup: 0.0,
            replications: 1,
            ..RunSettings::default()
        };
        let mut r = Replication::new(&m, &s, 0).unwrap();
        r.run_until(f64::INFINITY).unwrap();
        let res = r.finish();
        let q = &res.queues[0];
        assert_eq!(q.dropped, Some(5));
        assert_eq!(q.counts.completed, 2);
        assert_eq!(q.counts.in_node, 3);
        assert_eq!(q.rejected, 0);
        assert!(q.counts.is_balanced(), "{:?}", q.counts);
        assert!(res.conservation.is_balanced(), "{:?}", res.conservation);
        // The served messages waited 4.5 − 3 = 1.5 s (3) and 0 (1).
        assert!((q.wait.as_ref().unwrap().mean - 0.75).abs() < 1e-12);
    }
}
