"""Measures kendall.distributed on this machine: a simulation in one process (one core)
against the same run on a Dask LocalCluster of 1 and 2 single-threaded workers, and the
per-task overhead (many tiny tasks).

    python examples/dask_speedup.py [replications] [horizon]

Prints wall times, speed-ups and whether every result equals the single-process one.
Needs `pip install ./python "dask[distributed]"`.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")  # one core per process, before kendall loads

import distributed  # noqa: E402

import kendall  # noqa: E402
import kendall.distributed as kd  # noqa: E402


def main() -> None:
    replications = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    horizon = float(sys.argv[2]) if len(sys.argv) > 2 else 4000.0
    model = kendall.Model.load(Path(__file__).parent / "payments.toml")
    settings = dict(replications=replications, horizon=horizon, seed=1)

    t = time.perf_counter()
    here = model.simulate(progress=False, **settings)
    single = time.perf_counter() - t
    print(f"one process, one core: {single:.2f} s ({replications} replications of {horizon:g} s)")

    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None,
                                      env={"RAYON_NUM_THREADS": "1"}) as cluster, \
                distributed.Client(cluster) as client:
            kd.simulate(model, client=client, replications=1, horizon=1.0)  # warm the workers
            t = time.perf_counter()
            there = kd.simulate(model, client=client, **settings)
            wall = time.perf_counter() - t
            same = there.to_json() == here.to_json()
            print(f"{workers} worker(s): {wall:.2f} s, speed-up {single / wall:.2f}x, "
                  f"identical: {same}")
            if workers == 2:
                # Per-task overhead: 400 tasks of a replication that does almost nothing.
                tiny = dict(replications=400, horizon=0.001, seed=1)
                t = time.perf_counter()
                model.simulate(progress=False, **tiny)
                local = time.perf_counter() - t
                t = time.perf_counter()
                kd.simulate(model, client=client, units_per_task=1, **tiny)
                remote = time.perf_counter() - t
                print(f"per-task overhead: {(remote - local) / 400 * 1e3:.2f} ms "
                      f"(400 tiny tasks: {remote:.2f} s on the cluster, {local:.2f} s here)")


if __name__ == "__main__":  # worker processes import this file too
    main()
