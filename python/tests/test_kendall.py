"""Tests of the Python package: the same figures as the CLI (bit for bit, every example),
figures against closed forms computed here, errors, the GIL, Ctrl-C and progress.

The CLI binary is ``$KENDALL_BIN``, or ``target/{debug,release}/kendall`` of this
checkout (``cargo build`` makes it); the tests that compare with it fail, not skip,
when it is missing.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import kendall

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
# Short runs: equality needs the same settings, not long ones.
SHORT = ["--horizon", "20", "--warmup", "2", "--replications", "2", "--seed", "11"]
SHORT_KW = dict(horizon=20.0, warmup=2.0, replications=2, seed=11)


def cli() -> str:
    given = os.environ.get("KENDALL_BIN")
    if given:
        return given
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "kendall"
        if p.exists():
            return str(p)
    raise AssertionError("no kendall binary: run `cargo build` or set KENDALL_BIN")


def run_cli(*args: str) -> dict:
    out = subprocess.run([cli(), *args], capture_output=True, text=True)
    assert out.returncode in (0, 3, 4), out.stderr
    return json.loads(out.stdout)


def test_examples_exist():
    assert len(EXAMPLES) >= 10


# ---------------------------------------------------------------- same figures as the CLI


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_solve_equals_cli_on_every_example(path):
    m = kendall.load(path)
    assert m.solve().to_dict() == run_cli("solve", str(path), "--format", "json")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_simulate_equals_cli_on_every_example(path):
    m = kendall.load(path)
    py = m.simulate(**SHORT_KW, progress=False).to_dict()
    assert py == run_cli("simulate", str(path), *SHORT, "--format", "json")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_compare_equals_cli_on_every_example(path):
    m = kendall.load(path)
    py = m.compare(**SHORT_KW, progress=False).to_dict()
    assert py == run_cli("compare", str(path), *SHORT, "--format", "json")


def test_size_sweep_and_load_equal_cli():
    path = ROOT / "examples" / "single_queue.toml"
    m = kendall.load(path)
    slo = "end_to_end.p99 < 60ms"
    py = m.size(slo, horizon=20.0, replications=2, seed=3, progress=False)
    assert py.to_dict() == run_cli(
        "size", str(path), "--slo", slo, "--horizon", "20", "--replications", "2",
        "--seed", "3", "--format", "json",
    )
    assert py.all_met and py.deployment["payments"] >= 9
    sw = kendall.sweep(m, loads=[0.5, 0.8, 1.1])
    assert sw.to_dict() == run_cli(
        "sweep", str(path), "--values", "0.5,0.8,1.1", "--format", "json"
    )
    at = m.with_load(1.1).solve().to_dict()
    cli_at = run_cli("solve", str(path), "--load", "1.1", "--format", "json")
    at.pop("model"), cli_at.pop("model")
    assert at == cli_at


def test_same_seed_same_figures_on_any_thread_count():
    code = textwrap.dedent(
        f"""
        import kendall
        m = kendall.load({str(ROOT / 'examples' / 'payments.toml')!r})
        print(m.simulate(horizon=30.0, replications=4, seed=5, progress=False).to_json())
        """
    )
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1]


# ---------------------------------------------------------------- figures against theory


def mm1(rate: float, mean: float, consumers: int = 1) -> kendall.Model:
    return kendall.Model.from_dict({
        "name": "mm",
        "source": [{"name": "in", "arrival": {"type": "poisson", "rate": rate}, "to": "q"}],
        "queue": [{"name": "q", "consumers": consumers,
                   "service": {"type": "exponential", "mean": mean}}],
    })


def test_mm1_figures_match_the_closed_forms():
    lam, mu = 80.0, 100.0
    q = mm1(lam, 1 / mu).solve().nodes["q"]
    rho = lam / mu
    assert q.W == pytest.approx(1 / (mu - lam), rel=1e-12)
    assert q.L == pytest.approx(rho / (1 - rho), rel=1e-12)
    assert q.utilisation == pytest.approx(rho, rel=1e-12)
    # Sojourn of M/M/1 is exponential with rate mu - lambda: p99 = ln(100) / (mu - lambda).
    assert q.p99 == pytest.approx(math.log(100) / (mu - lam), rel=1e-9)
    assert q.exactness == "exact"


def test_erlang_c_against_its_formula():
    # M/M/2, a = 1.6 Erlang: C(2, a) = a^2 / (2 - a) / (1 + a + a^2 / (2 - a)) * ... computed
    # from the definition with the sum written out.
    lam, mean, c = 160.0, 0.01, 2
    a = lam * mean
    top = a**c / math.factorial(c) * c / (c - a)
    pw = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    wq = pw / (c / mean - lam)
    q = mm1(lam, mean, c).solve().nodes["q"]
    assert q["P(wait)"] == pytest.approx(pw, rel=1e-12)
    assert q.Wq == pytest.approx(wq, rel=1e-12)


def test_simulated_interval_covers_the_exact_mean():
    sim = mm1(80.0, 0.01).simulate(horizon=400.0, warmup=20.0, replications=8, seed=1,
                                   progress=False)
    w = sim.nodes["q"].figure("W")
    assert w.lower < 1 / 20 < w.upper
    assert w.exactness == "estimate" and w.engine == "simulation"
    assert sim.replications == 8 and sim.seed == 1


# ---------------------------------------------------------------- views


def test_tidy_frame_and_views():
    pd = pytest.importorskip("pandas")
    c = kendall.load(ROOT / "examples" / "single_queue.toml").compare(**SHORT_KW, progress=False)
    df = c.to_pandas()
    assert list(df.columns) == [
        "node", "metric", "engine", "value", "lower", "upper", "method", "exactness", "note",
    ]
    assert set(df.engine) == {"analytic", "simulation"}
    w = df[(df.node == "payments") & (df.metric == "W")]
    assert len(w) == 2
    assert c.analytic["payments"].W == pytest.approx(w[w.engine == "analytic"].value.item())
    assert "payments" in str(c) and "\nnode,metric," in c.to_csv()
    sw = kendall.load(ROOT / "examples" / "single_queue.toml").sweep(values=[0.5, 0.9])
    frame = sw.to_pandas()
    assert sorted(frame.point.unique()) == [0.5, 0.9]
    assert isinstance(pd.DataFrame(), type(frame))
    assert sw.chart().svg.lstrip().startswith("<")


def test_model_round_trips_and_what_ifs():
    m = kendall.load(ROOT / "examples" / "payments.toml")
    again = kendall.Model.from_toml(m.to_toml())
    assert again.to_dict() == m.to_dict()
    assert kendall.Model.from_dict(m.to_dict()).to_dict() == m.to_dict()
    q = m.queues[0]
    more = m.with_parameter(f"queue.{q}.consumers", 50)
    assert more.to_dict()["queue"][0]["servers"] == 50
    d = m.diff(m.with_load(1.2))
    assert d.rows


def test_time_series_and_chart():
    sim = kendall.load(ROOT / "examples" / "peak_hour.toml").simulate(
        horizon=600.0, replications=2, time_series=60.0, progress=False
    )
    assert sim.chart().svg.lstrip().startswith("<")
    pytest.importorskip("pandas")
    ts = sim.time_series()
    assert set(ts.metric) == {"queue_length", "sojourn", "sojourn_p99", "latency", "latency_p99"}
    # One queue and one source: five rows per window.
    assert len(ts) == 5 * ts.start.nunique()
    assert (ts["lower"] <= ts["mean"]).all() and (ts["mean"] <= ts["upper"]).all()
    p99 = ts[ts.metric == "latency_p99"].set_index("start")["mean"]
    mean = ts[ts.metric == "latency"].set_index("start")["mean"]
    assert (p99 >= mean).all()


def test_schema_validates_the_json():
    jsonschema = pytest.importorskip("jsonschema")
    s = kendall.load(ROOT / "examples" / "single_queue.toml").solve()
    jsonschema.validate(s.to_dict(), json.loads(kendall.schema("solve")))
    jsonschema.validate(s.to_dict(), s.schema())


# ---------------------------------------------------------------- errors


def test_validation_error_names_the_field_and_the_fix():
    with pytest.raises(kendall.ValidationError) as e:
        mm1(-5.0, 0.01)
    assert isinstance(e.value, ValueError)
    assert any("rate" in path for path, _ in e.value.problems)
    with pytest.raises(kendall.ValidationError):
        kendall.Model.from_toml("[[queue]]\nname = 'q'\nconsumers = 'many'\n")
    with pytest.raises(kendall.ValidationError):
        kendall.parse_slo("end_to_end.p99 <")
    with pytest.raises(kendall.ValidationError) as e:
        mm1(1.0, 0.1).simulate(replications=0, progress=False)
    assert e.value.problems
    with pytest.raises(kendall.ValidationError):
        mm1(1.0, 0.1).with_parameter("queue.nope.consumers", 2)


def test_unreachable_slo_and_unstable_queue():
    m = mm1(80.0, 0.01)
    with pytest.raises(kendall.SloUnreachableError):
        m.size("end_to_end.p99 < 1ms", verify=False, progress=False)
    over = mm1(200.0, 0.01)
    assert "q" in over.solve().refused
    with pytest.raises(kendall.KendallError):
        over.simulate(horizon=1e6, replications=1, progress=False)


# ---------------------------------------------------------------- GIL, progress, Ctrl-C


def test_the_gil_is_released_while_simulating():
    m = mm1(80.0, 0.01)
    ticks = 0
    done = threading.Event()

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    started = time.monotonic()
    m.simulate(horizon=20_000.0, replications=2, progress=False)
    took = time.monotonic() - started
    done.set()
    t.join()
    # The counter ran during the simulation: at least a tick per 10 ms of it.
    assert ticks >= took / 0.01 * 0.5, (ticks, took)


def test_progress_callback_sees_every_replication():
    seen = []
    mm1(80.0, 0.01).simulate(horizon=2_000.0, replications=4,
                             progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (4, 4)


def test_ctrl_c_stops_a_long_simulation():
    code = textwrap.dedent(
        """
        import kendall, sys
        m = kendall.Model.from_dict({
            "source": [{"name": "in", "arrival": {"type": "poisson", "rate": 80}, "to": "q"}],
            "queue": [{"name": "q", "consumers": 1,
                       "service": {"type": "exponential", "mean": 0.01}}],
        })
        print("ready", flush=True)
        try:
            m.simulate(horizon=1e7, replications=2, progress=False)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(0)
        sys.exit(1)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 0 and "interrupted" in out
    assert time.monotonic() - sent < 5.0


def test_the_python_example_script_runs(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tour.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "simulated end-to-end p99" in r.stdout
    svg = (tmp_path / "tour_latency.svg").read_text()
    assert svg.lstrip().startswith("<") and "svg" in svg[:200]


def test_two_parameter_sweep_equals_cli_and_draws_a_heatmap():
    path = ROOT / "examples" / "payments.toml"
    m = kendall.load(path)
    sw = m.sweep(loads=[0.5, 1.1], parameter2="queue.payments.servers", values2=[9, 11])
    assert sw.to_dict() == run_cli(
        "sweep", str(path), "--values", "0.5,1.1", "--param2", "queue.payments.servers",
        "--values2", "9,11", "--format", "json",
    )
    assert sw.parameter2 == "queue.payments.servers"
    assert sw.values == [0.5, 0.5, 1.1, 1.1] and sw.values2 == [9, 11, 9, 11]
    df = sw.to_pandas() if _has_pandas() else None
    if df is not None:
        assert list(df.columns[:2]) == ["point", "point2"]
    chart = sw.chart(["end_to_end.p99 < 20ms"])
    svg = chart.svg
    assert "SLO not met (hatched)" in svg and "consumers at payments" in svg
    # Its repr names it by its title, the same on every run (no memory address).
    assert repr(chart).startswith("<kendall.Chart 'payments: p99 latency over offered load")
    # Another figure: the utilisation of payments, 800/s x load x 10 ms / consumers.
    svg = sw.chart(metric="payments.utilisation").svg
    assert "payments utilisation" in svg and "0.444" in svg  # load 0.5 on 9 consumers
    with pytest.raises(kendall.ValidationError, match="no known metric"):
        sw.chart(metric="payments.speed")
    # A tail threshold the sweep did not ask for: refused, with the way to ask.
    with pytest.raises(kendall.ValidationError, match="with_queries"):
        sw.chart(metric="payments.P(>20ms)")
    with pytest.raises(kendall.ValidationError):
        m.sweep(loads=[0.5], parameter2="queue.payments.servers")


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_tail_probabilities_and_other_levels_in_both_engines():
    lam, mu = 80.0, 100.0
    m = mm1(lam, 1 / mu).with_queries(percentiles=[99.95], at=["50ms"])
    q = m.solve().nodes["q"]
    # M/M/1: W ~ Exp(mu - lambda), Wq is 0 w.p. 1 - rho else Exp(mu - lambda).
    assert q["P(>50ms)"] == pytest.approx(math.exp(-(mu - lam) * 0.05), rel=1e-9)
    assert q["wait.P(>50ms)"] == pytest.approx(0.8 * math.exp(-(mu - lam) * 0.05), rel=1e-9)
    assert q["p9995"] == pytest.approx(math.log(2000) / (mu - lam), rel=1e-9)
    # Variances: Var(N) = rho / (1 - rho)^2, Var(W) = 1 / (mu - lambda)^2.
    assert q["Var(N)"] == pytest.approx(0.8 / 0.04, rel=1e-12)
    assert q["Var(W)"] == pytest.approx(1 / (mu - lam) ** 2, rel=1e-12)
    sim = m.simulate(horizon=2000, replications=8, seed=3).nodes["q"]
    f = sim.figure("P(>50ms)")
    assert f.lower <= math.exp(-(mu - lam) * 0.05) <= f.upper
    with pytest.raises(kendall.ValidationError):
        m.with_queries(percentiles=[100])
