"""kendall.distributed on a real Dask cluster (a LocalCluster of two worker processes):
the merged results equal the single-process ones bit for bit, a worker killed mid-run
changes nothing, and partials that do not belong together are refused."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

import kendall  # noqa: E402
import kendall.distributed as kd  # noqa: E402
from kendall import _kendall  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env={"RAYON_NUM_THREADS": "1"},
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_simulate_on_the_cluster_equals_one_process(client):
    model = kendall.Model.load(EXAMPLES / "payments.toml")
    here = model.simulate(replications=9, horizon=60, seed=11)
    there = kd.simulate(model, client=client, replications=9, horizon=60, seed=11,
                        units_per_task=2)
    assert there.to_json() == here.to_json()
    # Sized by the timed first unit (the default): the same again.
    assert kd.simulate(model, client=client, replications=9, horizon=60,
                       seed=11).to_json() == here.to_json()


def test_sweep_on_the_cluster_equals_one_process(client):
    model = kendall.Model.load(EXAMPLES / "single_queue.toml")
    here = model.sweep("load", [0.6, 0.9], simulate=True, replications=3, horizon=40)
    there = kd.sweep(model, "load", [0.6, 0.9], client=client, replications=3, horizon=40,
                     units_per_task=1)
    assert there.to_json() == here.to_json()


def test_sizing_verified_on_the_cluster_equals_one_process(client):
    model = kendall.Model.load(EXAMPLES / "single_queue.toml")
    here = model.size("payments.p99 < 60ms", replications=5, horizon=200)
    there = kd.size(model, "payments.p99 < 60ms", client=client, replications=5, horizon=200,
                    units_per_task=2)
    assert there.to_json() == here.to_json()
    assert any(s.get("simulated") for s in there.slos)


def _exit_soon() -> None:
    """Run on a worker: its process exits a moment later (after answering)."""
    threading.Timer(0.05, os._exit, (1,)).start()


def test_a_worker_killed_mid_run_changes_nothing(client):
    model = kendall.Model.load(EXAMPLES / "single_queue.toml")
    settings = dict(replications=24, horizon=3000, seed=3)
    here = model.simulate(**settings)
    before = set(client.scheduler_info()["workers"])
    victim = sorted(before)[0]
    killed = threading.Event()

    def kill_mid_run() -> None:
        time.sleep(1.0)
        # The worker process exits; its nanny starts a new one and Dask runs the tasks
        # it held again.
        client.run(_exit_soon, workers=[victim])
        killed.set()

    t = threading.Thread(target=kill_mid_run)
    started = time.perf_counter()
    t.start()
    there = kd.simulate(model, client=client, units_per_task=1, **settings)
    t.join()
    assert killed.is_set()
    assert time.perf_counter() - started > 1.0, "the run ended before the kill"
    client.wait_for_workers(2, timeout=60)
    assert victim not in set(client.scheduler_info()["workers"])
    assert there.to_json() == here.to_json()


def test_partials_of_another_seed_or_edited_are_refused():
    model = kendall.Model.load(EXAMPLES / "single_queue.toml")
    job = model._native.simulate_job('{"replications": 4, "horizon": 20}')
    other = model._native.simulate_job('{"replications": 4, "horizon": 20, "seed": 99}')
    a = _kendall.run_units(job, 0, 2)
    b = _kendall.run_units(job, 2, 4)
    assert _kendall.merge([b, a]).json() == model.simulate(replications=4, horizon=20).to_json()
    with pytest.raises(kendall.errors.ValidationError, match="another seed"):
        _kendall.merge([a, _kendall.run_units(other, 2, 4)])
    with pytest.raises(kendall.errors.ValidationError, match="checksum"):
        _kendall.merge([a, b.replace('"events":', '"events":1', 1)])
    with pytest.raises(kendall.errors.ValidationError, match="missing"):
        _kendall.merge([a])
