"""kendall: queueing-theory capacity modelling for message queues and event buses.

One model, two engines: describe the deployment once (a scenario file or a dict),
then solve it analytically, simulate it, compare the two, size it for an SLO or
sweep it over load. The figures are the ones the ``kendall`` command line and the
Rust crate give, bit for bit: the same code computes them.

>>> import kendall
>>> m = kendall.Model.from_dict({
...     "source": [{"name": "checkout", "arrival": {"type": "poisson", "rate": 80}, "to": "payments"}],
...     "queue": [{"name": "payments", "consumers": 1,
...                "service": {"type": "exponential", "mean": "10ms"}}],
... })
>>> round(m.solve().nodes["payments"].W, 6)   # M/M/1: 1 / (100 - 80)
0.05

Times are seconds (scenario fields also accept "12ms"), rates per second.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from . import errors
from ._kendall import Model as _NativeModel
from ._kendall import parse_slo as _parse_slo
from ._kendall import schema, version
from .errors import (
    CancelledError,
    KendallError,
    NoMethodError,
    SimulationError,
    SloUnreachableError,
    UnstableError,
    ValidationError,
)

__version__ = version()

Progress = Union[bool, None, Callable[[int, int], Any]]
"""``None``: a tqdm bar (when tqdm is installed; in a notebook, when ipywidgets is
too) on runs longer than a second; ``False``: none; a callable: called as ``progress(done, total)`` as the run goes."""


def parse_slo(text: str) -> dict[str, Any]:
    """Parses an SLO in kendall's grammar (``"end_to_end.p99 < 200ms"``,
    ``"payments.utilisation < 0.7"``): ``text`` as kendall writes it, ``target``,
    ``metric``, ``op`` and ``limit`` (seconds for times). A bad one raises
    :class:`ValidationError` saying how to write it."""
    return json.loads(_parse_slo(text))


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Figure:
    """One figure: a metric of a node, with its interval, method and exactness.

    ``value`` is the analytic value or the simulated mean; ``lower``/``upper`` the
    confidence interval of a simulated figure (``None`` for analytic ones); ``method``
    names the formula (``"M/M/c (Erlang C)"``) or ``"simulation"``; ``exactness`` is
    ``exact``, ``numerical``, ``approximation`` or ``estimate``. Times in seconds.
    """

    node: str
    metric: str
    engine: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    method: str | None = None
    exactness: str | None = None
    note: str | None = None
    point: float | None = None
    point2: float | None = None

    @property
    def half_width(self) -> float | None:
        """Half the width of the confidence interval (simulated figures)."""
        if self.lower is None or self.upper is None:
            return None
        return (self.upper - self.lower) / 2.0


class NodeFigures:
    """The figures of one node (a queue, ``end_to_end:<source>``): ``node["p99"]`` is
    the value, ``node.figure("p99")`` the whole :class:`Figure`."""

    def __init__(self, name: str, figures: Mapping[str, Figure]):
        self.name = name
        self.figures: dict[str, Figure] = dict(figures)

    def figure(self, metric: str) -> Figure:
        """The figure of ``metric`` (a :class:`KeyError` names the metrics there are)."""
        try:
            return self.figures[metric]
        except KeyError:
            raise KeyError(
                f"{self.name!r} has no metric {metric!r}; it has {sorted(self.figures)}"
            ) from None

    def get(self, metric: str, default: float | None = None) -> float | None:
        """The value of ``metric``, or ``default`` when it is missing or unknown."""
        f = self.figures.get(metric)
        return default if f is None or f.value is None else f.value

    def __getitem__(self, metric: str) -> float | None:
        return self.figure(metric).value

    def __contains__(self, metric: object) -> bool:
        return metric in self.figures

    @property
    def method(self) -> str | None:
        """The method of the node's mean sojourn time ``W`` (or of its first figure)."""
        f = self.figures.get("W") or next(iter(self.figures.values()), None)
        return None if f is None else f.method

    @property
    def exactness(self) -> str | None:
        """Exactness of :attr:`method`."""
        f = self.figures.get("W") or next(iter(self.figures.values()), None)
        return None if f is None else f.exactness

    # The metrics a planner asks for most, as attributes (seconds, messages, ratios).
    @property
    def L(self) -> float | None:  # noqa: N802
        """Mean number of messages in the node (waiting and in service)."""
        return self.get("L")

    @property
    def Lq(self) -> float | None:  # noqa: N802
        """Mean number waiting."""
        return self.get("Lq")

    @property
    def W(self) -> float | None:  # noqa: N802
        """Mean sojourn time, seconds."""
        return self.get("W")

    @property
    def Wq(self) -> float | None:  # noqa: N802
        """Mean wait before service, seconds."""
        return self.get("Wq")

    @property
    def utilisation(self) -> float | None:
        """Busy share of the consumers."""
        return self.get("utilisation")

    @property
    def throughput(self) -> float | None:
        """Messages finished per second."""
        return self.get("throughput")

    @property
    def p50(self) -> float | None:
        """Median sojourn time, seconds."""
        return self.get("p50")

    @property
    def p95(self) -> float | None:
        """95th percentile of the sojourn time, seconds."""
        return self.get("p95")

    @property
    def p99(self) -> float | None:
        """99th percentile of the sojourn time, seconds."""
        return self.get("p99")

    @property
    def p999(self) -> float | None:
        """99.9th percentile of the sojourn time, seconds."""
        return self.get("p999")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={v.value:.6g}" for k, v in self.figures.items() if v.value is not None
        )
        return f"NodeFigures({self.name!r}: {shown})"


# --------------------------------------------------------------------------- results


class Chart:
    """A chart kendall drew (SVG). Shows itself in Jupyter; ``save`` writes it."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        # The title (the SVG's first text): the same on every run, so a saved notebook
        # output does not change with a memory address.
        m = re.search(r"<text[^>]*>\s*(.*?)\s*</text>", self.svg, re.S)
        title = html.unescape(m.group(1)) if m else "untitled"
        return f"<kendall.Chart {title!r} (SVG; .save(path) writes it)>"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)


class Result:
    """What a verb returns. Every result has the same views:

    - ``to_dict()``: the full result, exactly the JSON ``kendall <verb> --format json``
      prints (its JSON Schema: ``result.schema()``);
    - ``figures`` / ``to_pandas()``: tidy long form, one row per (node, metric) with
      value, lower, upper, method, exactness;
    - ``str(result)``: the text table the CLI prints; ``to_csv()``: its CSV.
    """

    def __init__(self, native: Any):
        self._native = native
        self._dict: dict[str, Any] | None = None
        self._figures: list[Figure] | None = None

    @property
    def kind(self) -> str:
        """``solution``, ``simulation``, ``comparison``, ``sizing`` or ``sweep``."""
        return self._native.kind

    def to_dict(self) -> dict[str, Any]:
        """The full result as plain Python data (the CLI's JSON)."""
        if self._dict is None:
            self._dict = json.loads(self._native.json())
        return self._dict

    def to_json(self) -> str:
        """The CLI's JSON, compact."""
        return self._native.json()

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of :meth:`to_dict` (as ``kendall schema <verb>`` prints it)."""
        verb = {
            "solution": "solve", "simulation": "simulate", "comparison": "compare",
            "sizing": "size", "sweep": "sweep",
        }[self.kind]
        return json.loads(schema(verb))

    @property
    def figures(self) -> list[Figure]:
        """Every figure in tidy long form."""
        if self._figures is None:
            self._figures = [Figure(**row) for row in json.loads(self._native.tidy())]
        return self._figures

    def to_pandas(self) -> Any:
        """The figures as a pandas DataFrame: columns ``node, metric, engine, value,
        lower, upper, method, exactness, note`` (and ``point`` for sweeps)."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install pandas") from e
        rows = json.loads(self._native.tidy())
        columns = [
            "node", "metric", "engine", "value", "lower", "upper",
            "method", "exactness", "note",
        ]
        if self.kind == "sweep":
            columns = ["point", *columns]
            if rows and "point2" in rows[0]:
                columns = ["point", "point2", *columns[1:]]
        return pd.DataFrame(rows, columns=columns)

    def to_csv(self) -> str:
        """The CSV ``kendall <verb> --format csv`` prints."""
        return self._native.csv()

    def get(self, node: str, metric: str, engine: str | None = None) -> Figure:
        """The figure of ``metric`` at ``node`` (``engine``: ``analytic`` or
        ``simulation`` where a result has both)."""
        for f in self.figures:
            if f.node == node and f.metric == metric and engine in (None, f.engine):
                return f
        nodes = sorted({f.node for f in self.figures})
        raise KeyError(f"no figure {metric!r} at {node!r}; the nodes are {nodes}")

    def _nodes(self, engine: str | None = None) -> dict[str, NodeFigures]:
        grouped: dict[str, dict[str, Figure]] = {}
        for f in self.figures:
            if engine is None or f.engine == engine:
                grouped.setdefault(f.node, {}).setdefault(f.metric, f)
        return {n: NodeFigures(n, figs) for n, figs in grouped.items()}

    def __str__(self) -> str:
        return self._native.text()

    def __repr__(self) -> str:
        return f"<kendall {self.kind}>\n{self._native.text()}"


class Solution(Result):
    """The analytic solution: every queue by the most exact method that applies."""

    @property
    def nodes(self) -> dict[str, NodeFigures]:
        """Queues by name, and ``end_to_end:<source>`` entries."""
        return self._nodes()

    @property
    def refused(self) -> dict[str, str]:
        """Queues no method could solve, with the reason."""
        return {
            f.node: f.note or "" for f in self.figures if f.metric == "refused"
        }


class Simulation(Result):
    """A simulation: every figure with its confidence interval over replications."""

    @property
    def nodes(self) -> dict[str, NodeFigures]:
        """Queues by name, ``end_to_end:<source>`` and ``requests:<source>`` entries."""
        return self._nodes()

    @property
    def replications(self) -> int:
        """Independent replications run."""
        return int(self.to_dict()["replications"])

    @property
    def seed(self) -> int:
        """Master seed (replication i is seeded from (seed, i))."""
        return int(self.to_dict()["seed"])

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Figures kendall cannot stand behind (an overloaded queue, a run that never
        settled, a horizon too short), each naming the metrics it affects."""
        out: list[dict[str, Any]] = []
        d = self.to_dict()
        for part in ("queues", "sources"):
            for n in d.get(part, []):
                out.extend(n.get("warnings", []))
        return out

    def time_series(self) -> Any:
        """The time series (a run with ``time_series`` set) as a tidy DataFrame:
        ``node, metric, start, end, mean, lower, upper`` per window and node: the mean over
        replications and its confidence band. Metrics: ``queue_length``, ``sojourn`` and
        ``sojourn_p99`` per queue, ``latency`` and ``latency_p99`` per source; seconds."""
        import pandas as pd

        ts = self.to_dict().get("time_series")
        if not ts:
            raise ValidationError(
                "this run has no time series: simulate with time_series=<window seconds>",
                [("simulation.time_series", "set a window length in seconds")],
            )
        return pd.DataFrame(_time_series_rows(ts))

    def chart(self, slos: Sequence[str] = ()) -> Chart:
        """The time-series chart (queue length and latency over time with bands)."""
        return Chart(self._native.svg(list(slos)))


def _time_series_rows(ts: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's time series (window starts and lengths; per metric a window x node
    matrix with ``_lower``/``_upper`` band twins) as tidy rows."""
    rows: list[dict[str, Any]] = []
    starts, lengths = ts.get("start", []), ts.get("length", [])
    tables = [
        ("queue_length", "queues"), ("sojourn", "queues"), ("sojourn_p99", "queues"),
        ("latency", "sources"), ("latency_p99", "sources"),
    ]
    for metric, names_key in tables:
        cells, names = ts.get(metric), ts.get(names_key, [])
        if not cells:
            continue
        low, high = ts.get(metric + "_lower"), ts.get(metric + "_upper")
        for w, row in enumerate(cells):
            for k, value in enumerate(row):
                rows.append({
                    "node": names[k] if k < len(names) else str(k),
                    "metric": metric,
                    "start": starts[w],
                    "end": starts[w] + lengths[w],
                    "mean": value,
                    "lower": None if low is None else low[w][k],
                    "upper": None if high is None else high[w][k],
                })
    return rows


class Comparison(Result):
    """Analytic and simulated side by side, with relative errors."""

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Every compared figure: ``node, metric, analytic, simulated, relative_error,
        in_interval, flagged, method, exactness`` (the CLI's JSON rows)."""
        return list(self.to_dict()["rows"])

    @property
    def flagged(self) -> list[dict[str, Any]]:
        """Rows whose analytic value is outside the interval by more than the threshold."""
        return [r for r in self.rows if r.get("flagged")]

    def largest_error(self, exactness: str = "exact") -> dict[str, Any] | None:
        """The row with the largest relative error among methods of ``exactness``."""
        rows = [
            r for r in self.rows
            if r.get("exactness") == exactness and r.get("relative_error") is not None
        ]
        return max(rows, key=lambda r: abs(r["relative_error"]), default=None)

    @property
    def analytic(self) -> dict[str, NodeFigures]:
        """The analytic side by node."""
        return self._nodes("analytic")

    @property
    def simulated(self) -> dict[str, NodeFigures]:
        """The simulated side by node."""
        return self._nodes("simulation")


class Sizing(Result):
    """The cheapest deployment meeting the SLOs, with its evidence."""

    @property
    def deployment(self) -> dict[str, int]:
        """Consumers chosen per queue."""
        return {d["queue"]: int(d["chosen"]) for d in self.to_dict()["deployment"]}

    @property
    def all_met(self) -> bool:
        """Whether every SLO is met (analytically, and by simulation when verified)."""
        return bool(self.to_dict()["all_met"])

    @property
    def total_cost(self) -> float:
        """Cost of the chosen consumers (``cost_per_consumer`` of each queue)."""
        return float(self.to_dict()["total_cost"])

    @property
    def slos(self) -> list[dict[str, Any]]:
        """Per SLO: analytic value and method, simulated estimate, verdict."""
        return list(self.to_dict()["slos"])

    @property
    def curve(self) -> Any:
        """Consumers against the primary latency SLO's value (a DataFrame when pandas is
        installed, else a list of dicts)."""
        rows = self.to_dict().get("curve", [])
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover
            return rows
        return pd.DataFrame(rows)

    def chart(self) -> Chart:
        """Consumers against the SLO, with the stability floor and the chosen size."""
        return Chart(self._native.svg([]))


class Sweep(Result):
    """A parameter (load, consumers, ...) swept over values."""

    @property
    def parameter(self) -> str:
        """The swept parameter's path (``load``, ``queue.payments.consumers``, ...)."""
        return str(self.to_dict()["parameter"])

    @property
    def values(self) -> list[float]:
        """The swept values, one per point, in order (in a two-parameter sweep each
        first value repeats once per second value)."""
        return [p["value"] for p in self.to_dict()["points"]]

    @property
    def parameter2(self) -> str | None:
        """The second swept parameter (two-parameter sweeps), else ``None``."""
        second = self.to_dict().get("second")
        return None if second is None else str(second["parameter"])

    @property
    def values2(self) -> list[float] | None:
        """The second parameter's value of each point, in order, else ``None``."""
        if self.to_dict().get("second") is None:
            return None
        return [p["value2"] for p in self.to_dict()["points"]]

    def chart(self, slos: Iterable[str] = (), metric: str | None = None) -> Chart:
        """Latency against the swept parameter (analytic lines, simulated intervals), or
        for a two-parameter sweep a heatmap of ``metric`` (an SLO's left-hand side such
        as ``"payments.utilisation"`` or ``"*.wait.p99"``; default the worst source's
        end-to-end p99), hatched where one of the scenario's SLOs or ``slos`` is not
        met."""
        return Chart(self._native.svg(list(slos), metric))


class Diff:
    """Two scenarios side by side: every metric, its change, and the SLOs that flip."""

    def __init__(self, data: dict[str, Any]):
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``kendall diff --format json``."""
        return self._data

    @property
    def rows(self) -> list[dict[str, Any]]:
        """``node, metric, a, b, change, relative_change`` per figure."""
        return list(self._data.get("rows", []))

    @property
    def slo_changes(self) -> list[dict[str, Any]]:
        """SLOs met in one scenario and not in the other."""
        return list(self._data.get("slos", []))

    def to_pandas(self) -> Any:
        """The rows as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows)


# --------------------------------------------------------------------------- progress


def _progress(progress: Progress, label: str) -> Callable[[int, int], None] | None:
    """The callback the native run calls every 50 ms with (done, total)."""
    if progress is False:
        return None
    if callable(progress):
        return progress
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is None:
        # A notebook without ipywidgets: tqdm.auto would warn ("IProgress not found") and
        # a text bar would end up in the saved outputs. No bar.
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    started = time.monotonic()
    state: dict[str, Any] = {"bar": None}

    def update(done: int, total: int) -> None:
        bar = state["bar"]
        if bar is None:
            if time.monotonic() - started < 1.0:
                return
            bar = state["bar"] = tqdm(total=total or None, desc=label, leave=False)
        bar.n = done
        bar.refresh()
        if total and done >= total:
            bar.close()

    return update


def _overrides(**run: Any) -> str | None:
    """The run settings given as keyword arguments, as JSON for the native layer
    (``None`` values are left as the scenario has them)."""
    given = {k: v for k, v in run.items() if v is not None}
    return json.dumps(given) if given else None


# --------------------------------------------------------------------------- the model


class Model:
    """A validated model: sources, queues, topics, SLOs and simulation settings.

    Build one with :func:`load`, :meth:`from_dict`, :meth:`from_toml` or
    :meth:`from_json`; the fields are those of the scenario file (see the scenario
    reference). A model is immutable: ``with_load`` and ``with_parameter`` return new
    ones.
    """

    def __init__(self, native: _NativeModel):
        self._native = native

    # construction
    @staticmethod
    def load(path: str | os.PathLike[str]) -> Model:
        """Reads and validates a scenario file (.toml or .json)."""
        return Model(_NativeModel.load(os.fspath(path)))

    @staticmethod
    def from_toml(text: str) -> Model:
        """Parses and validates a scenario written in TOML."""
        return Model(_NativeModel.from_toml(text))

    @staticmethod
    def from_json(text: str) -> Model:
        """Parses and validates a scenario written in JSON."""
        return Model(_NativeModel.from_json(text))

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Model:
        """Validates a scenario given as a dict (the scenario file's structure)."""
        return Model(_NativeModel.from_json(json.dumps(d)))

    def to_dict(self) -> dict[str, Any]:
        """The scenario as a dict, every default filled in."""
        return json.loads(self._native.to_json())

    def to_toml(self) -> str:
        """The scenario as TOML (loads back to the same model)."""
        return self._native.to_toml()

    # facts
    @property
    def name(self) -> str | None:
        """The scenario's name."""
        return self._native.name

    @property
    def queues(self) -> list[str]:
        """Queue names."""
        return self._native.queues

    @property
    def sources(self) -> list[str]:
        """Source names."""
        return self._native.sources

    @property
    def topics(self) -> list[str]:
        """Topic names."""
        return self._native.topics

    @property
    def slos(self) -> list[str]:
        """The scenario's SLOs, as kendall writes them."""
        return self._native.slos

    # what-ifs
    def with_load(self, factor: float) -> Model:
        """The same model with every arrival rate multiplied by ``factor``."""
        return Model(self._native.with_load(float(factor)))

    def with_parameter(self, path: str, value: float) -> Model:
        """The same model with one parameter set, by the paths of ``kendall sweep
        --param``: ``load``, ``queue.<name>.consumers``, ``queue.<name>.service.mean``,
        ``source.<name>.rate``, ``simulation.horizon``, ..."""
        return Model(self._native.with_parameter(path, float(value)))

    def with_queries(
        self,
        percentiles: Iterable[float] = (),
        at: Iterable[float | str] = (),
    ) -> Model:
        """The same model asking for more figures of the latency distributions, in
        both engines (the scenario's ``[queries]``, the CLI's ``--percentiles`` and
        ``--at``): percentile levels in per cent (``99.95`` is reported as ``p9995`` and
        ``wait.p9995``) and thresholds t (seconds or ``"50ms"``) for P(W > t) and
        P(Wq > t) (``P(>50ms)``, ``wait.P(>50ms)``)."""
        q = {"percentiles": [float(p) for p in percentiles], "at": list(at)}
        return Model(self._native.with_queries(json.dumps(q)))

    def settings(self, **run: Any) -> dict[str, Any]:
        """The run settings a simulation of this model uses with ``run`` applied."""
        return json.loads(self._native.settings(_overrides(**run)))

    # the verbs
    def solve(self) -> Solution:
        """Every queue by the most exact analytic method that applies, each figure
        labelled with its method; queues no method covers are listed in ``refused``."""
        return Solution(self._native.solve())

    def simulate(
        self,
        *,
        horizon: float | str | None = None,
        replications: int | None = None,
        seed: int | None = None,
        warmup: float | str | None = None,
        completions: int | None = None,
        confidence: float | None = None,
        time_series: float | str | None = None,
        progress: Progress = None,
        **settings: Any,
    ) -> Simulation:
        """Simulates the model: independent replications in parallel (all cores), each
        figure with a confidence interval. Arguments override the scenario's
        ``[simulation]`` table (times in seconds or strings like ``"12ms"``); the same
        seed gives the same figures as ``kendall simulate --seed``, on any thread
        count. Ctrl-C stops the run (``KeyboardInterrupt``)."""
        o = _overrides(
            horizon=horizon, replications=replications, seed=seed, warmup=warmup,
            completions=completions, confidence=confidence, time_series=time_series,
            **settings,
        )
        return Simulation(self._native.simulate(o, _progress(progress, "simulate")))

    def compare(
        self,
        *,
        threshold: float | None = None,
        horizon: float | str | None = None,
        replications: int | None = None,
        seed: int | None = None,
        warmup: float | str | None = None,
        completions: int | None = None,
        confidence: float | None = None,
        progress: Progress = None,
    ) -> Comparison:
        """Solves and simulates, and puts every figure side by side with its relative
        error and whether the analytic value lies in the interval (``threshold``: the
        relative error above which a row outside its interval is flagged; by default
        0.1, as the CLI's ``--threshold``)."""
        o = _overrides(
            horizon=horizon, replications=replications, seed=seed, warmup=warmup,
            completions=completions, confidence=confidence,
        )
        return Comparison(
            self._native.compare(
                o, None if threshold is None else float(threshold), _progress(progress, "compare")
            )
        )

    def size(
        self,
        slo: str | Iterable[str] = (),
        *,
        queues: Iterable[str] = (),
        verify: bool = True,
        time_limit: float | None = 600.0,
        horizon: float | str | None = None,
        replications: int | None = None,
        seed: int | None = None,
        progress: Progress = None,
    ) -> Sizing:
        """The cheapest consumers per queue meeting ``slo`` (one or more SLO strings,
        ``"end_to_end.p99 < 200ms"``, added to the scenario's own), verified by
        simulation unless ``verify=False``. ``queues`` limits which queues may change;
        ``time_limit`` (seconds, as the CLI's default 10 minutes; ``None``: no limit)
        bounds the search."""
        slos = [slo] if isinstance(slo, str) else list(slo)
        o = _overrides(horizon=horizon, replications=replications, seed=seed)
        return Sizing(
            self._native.size(
                slos, o, list(queues), bool(verify), time_limit, _progress(progress, "size")
            )
        )

    def sweep(
        self,
        parameter: str = "load",
        values: Iterable[float] | None = None,
        *,
        loads: Iterable[float] | None = None,
        simulate: bool = False,
        horizon: float | str | None = None,
        replications: int | None = None,
        seed: int | None = None,
        progress: Progress = None,
        parameter2: str | None = None,
        values2: Iterable[float] | None = None,
    ) -> Sweep:
        """``parameter`` (default ``load``, a multiplier of every arrival rate) over
        ``values``: solved at each point, and simulated too when ``simulate``. With
        ``parameter2`` and ``values2``, every pair of values (a grid, row-major: the
        first parameter outer), e.g. ``m.sweep(loads=[0.5, 1.0],
        parameter2="queue.payments.servers", values2=[8, 10])``."""
        if (parameter2 is None) != (values2 is None):
            raise ValidationError(
                "give parameter2= and values2= together for a two-parameter sweep",
                [("values2", "give both or neither")],
            )
        if loads is not None:
            if values is not None:
                raise ValidationError(
                    "give either loads= or values=, not both", [("values", "drop one")]
                )
            parameter, values = "load", loads
        if values is None:
            raise ValidationError(
                "no values to sweep: give values=[...] (or loads=[...])",
                [("values", "give the points to sweep")],
            )
        o = _overrides(horizon=horizon, replications=replications, seed=seed)
        return Sweep(
            self._native.sweep(
                parameter, [float(v) for v in values], bool(simulate), o,
                _progress(progress, "sweep"), parameter2,
                [float(v) for v in values2] if values2 is not None else [],
            )
        )

    def diff(self, other: Model, slos: Iterable[str] = ()) -> Diff:
        """Every analytic figure of this model (a) and ``other`` (b), with absolute and
        relative changes, and the SLOs that flip."""
        return Diff(json.loads(self._native.diff(other._native, list(slos))))

    def __repr__(self) -> str:
        return (
            f"<kendall.Model {self.name!r}: sources {self.sources}, queues {self.queues},"
            f" topics {self.topics}>"
        )


def load(path: str | os.PathLike[str]) -> Model:
    """Reads and validates a scenario file (.toml or .json)."""
    return Model.load(path)


def sweep(model: Model, parameter: str = "load", values: Iterable[float] | None = None,
          **kwargs: Any) -> Sweep:
    """``model.sweep(...)`` as a function: ``kendall.sweep(m, loads=[0.5, 0.8])``."""
    return model.sweep(parameter, values, **kwargs)


__all__ = [
    "Model", "load", "sweep", "parse_slo", "schema", "errors",
    "Result", "Solution", "Simulation", "Comparison", "Sizing", "Sweep", "Diff",
    "Figure", "NodeFigures", "Chart",
    "KendallError", "ValidationError", "UnstableError", "NoMethodError",
    "SloUnreachableError", "SimulationError", "CancelledError",
]
