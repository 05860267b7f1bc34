"""Simulations, sweeps and sizing on a Dask cluster, merged bit for bit.

A run is split into blocks of replications ("units": one replication of one point of a
sweep), each block is a Dask task that runs kendall's native simulator with the GIL
released, and the blocks' partial results are merged in order into exactly the report
the run gives in one process (replication ``i`` is seeded from ``(seed, i)`` alone, so
where a block runs, or how often, changes nothing). A task lost with its worker is run
again by Dask; the answer is the same.

The same code reaches a laptop (``distributed.LocalCluster``), an existing scheduler
(``Client("tcp://host:8786")``), Kubernetes, or Slurm/PBS through ``dask-jobqueue``::

    from dask.distributed import Client, LocalCluster
    import kendall, kendall.distributed as kd

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    model = kendall.Model.load("examples/payments.toml")
    sim = kd.simulate(model, client=client, replications=64, horizon=3600)
    assert sim.to_json() == model.simulate(replications=64, horizon=3600).to_json()

Tasks are sized to about ``task_seconds`` each (default 5 s): one unit per worker runs
first and the first to finish is timed; the rest go in blocks of about ``task_seconds``
of that unit's time (give ``units_per_task`` to choose yourself). Watch progress on Dask's dashboard, or pass
``progress=True`` for ``distributed.progress``. Each worker runs one task at a time best
(``threads_per_worker=1``): kendall parallelises a block's replications itself over
the worker's cores (``RAYON_NUM_THREADS`` sets how many).

``dask.distributed`` is needed only here: ``pip install "dask[distributed]"``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

from . import Simulation, Sizing, Sweep, _kendall, _overrides
from . import Model

__all__ = ["simulate", "sweep", "size", "run_job", "DEFAULT_TASK_SECONDS"]

#: Target wall time of one task, seconds: long enough that Dask's per-task overhead
#: (about a millisecond of scheduler time) is negligible, short enough to spread well.
DEFAULT_TASK_SECONDS = 5.0

#: Most tasks one run is split into (the merge holds every partial in memory).
MAX_TASKS = 100_000


def _run_units(job: str, first: int, end: int) -> str:
    """A Dask task: units [first, end) of the job, as a partial (text)."""
    from kendall import _kendall as native

    return native.run_units(job, first, end)


def _client(client: Any) -> Any:
    if client is not None:
        return client
    try:
        from distributed import get_client
    except ImportError as e:  # pragma: no cover
        raise ImportError(
            'kendall.distributed needs dask.distributed: pip install "dask[distributed]"'
        ) from e
    try:
        return get_client()
    except ValueError as e:
        raise ValueError(
            "no Dask client: pass client=Client(...) (a LocalCluster, a scheduler address, "
            "a dask-jobqueue cluster), or create one before calling"
        ) from e


def _blocks(units: int, start: int, unit_seconds: float, task_seconds: float,
            units_per_task: int | None, workers: int = 1) -> list[tuple[int, int]]:
    """Blocks [a, b) covering units start..units: each at most about task_seconds of
    work (one unit took unit_seconds) and at least four per worker so the workers
    finish together, or units_per_task units; at most MAX_TASKS blocks."""
    if units_per_task is None:
        per = max(1, int(task_seconds / max(unit_seconds, 1e-6)))
        per = max(1, min(per, math.ceil((units - start) / (4 * workers))))
    else:
        per = int(units_per_task)
        if per < 1:
            raise ValueError(f"units_per_task = {units_per_task}: give an integer >= 1")
    per = max(per, math.ceil((units - start) / MAX_TASKS))
    return [(a, min(a + per, units)) for a in range(start, units, per)]


def run_job(job: str, *, client: Any = None, task_seconds: float = DEFAULT_TASK_SECONDS,
            units_per_task: int | None = None, progress: bool = False) -> Any:
    """Runs a job (the JSON of ``Model.simulate_job``/``Model.sweep_job`` of the native
    model) on the cluster and returns the merged native result."""
    if not (task_seconds > 0 and math.isfinite(task_seconds)):
        raise ValueError(f"task_seconds = {task_seconds}: give a positive number of seconds")
    client = _client(client)
    units = _kendall.job_units(job)
    if units == 0:
        return _kendall.merge([_kendall.run_units(job, 0, 0)])
    # One unit per worker first, timed: the first to finish sizes the other tasks (and
    # every probe is part of the result, so no work is thrown away).
    if units_per_task is None:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        probes = min(workers, units)
        started = time.perf_counter()
        futures = [client.submit(_run_units, job, i, i + 1, pure=False, retries=2)
                   for i in range(probes)]
        from distributed import wait

        wait(futures, return_when="FIRST_COMPLETED")
        elapsed = time.perf_counter() - started
    else:
        workers, probes, elapsed, futures = 1, 0, 0.0, []
    blocks = _blocks(units, probes, elapsed, task_seconds, units_per_task, workers)
    futures += [client.submit(_run_units, job, a, b, pure=False, retries=2) for a, b in blocks]
    if progress:
        from distributed import progress as show

        show(futures)
    return _kendall.merge(client.gather(futures))


def simulate(model: Model, *, client: Any = None, task_seconds: float = DEFAULT_TASK_SECONDS,
             units_per_task: int | None = None, progress: bool = False,
             **settings: Any) -> Simulation:
    """``model.simulate(**settings)`` with its replications spread over a Dask cluster:
    the same ``Simulation``, bit for bit (``to_json()`` equal)."""
    job = model._native.simulate_job(_overrides(**settings))
    return Simulation(run_job(job, client=client, task_seconds=task_seconds,
                              units_per_task=units_per_task, progress=progress))


def sweep(model: Model, parameter: str, values: Sequence[float], *,
          parameter2: str | None = None, values2: Sequence[float] = (),
          client: Any = None, task_seconds: float = DEFAULT_TASK_SECONDS,
          units_per_task: int | None = None, progress: bool = False,
          **settings: Any) -> Sweep:
    """``model.sweep(parameter, values, simulate=True, ...)`` with every point's
    replications spread over a Dask cluster: the same ``Sweep``, bit for bit."""
    job = model._native.sweep_job(parameter, [float(v) for v in values],
                                  _overrides(**settings), parameter2,
                                  [float(v) for v in values2])
    return Sweep(run_job(job, client=client, task_seconds=task_seconds,
                         units_per_task=units_per_task, progress=progress))


def size(model: Model, slo: str | Iterable[str] = (), *, client: Any = None,
         queues: Iterable[str] = (), verify: bool = True, time_limit: float | None = 600.0,
         task_seconds: float = DEFAULT_TASK_SECONDS, units_per_task: int | None = None,
         **settings: Any) -> Sizing:
    """``model.size(slos, ...)`` with every simulation of the search (verification,
    simulated search and curve) spread over a Dask cluster: the same ``Sizing``."""
    client = _client(client)
    slos = [slo] if isinstance(slo, str) else list(slo)

    def simulator(job: str) -> str:
        out: str = run_job(job, client=client, task_seconds=task_seconds,
                           units_per_task=units_per_task).json()
        return out

    return Sizing(model._native.size(slos, _overrides(**settings), list(queues),
                                     verify, time_limit, None, simulator))
