"""Every bundled example's JSON output validates against the published JSON Schemas
(``kendall schema <verb>``, src/report/schemas/). The Rust suite checks that the published
files are the ones generated from the types (tests/integration/schema.rs); this module
checks that what kendall prints matches them, with the reference validator (Python
``jsonschema``, Draft 2020-12), on every output kind: solve, simulate (with a time
series), compare, diff, sweep (one and two parameters, analytic and simulated) and size
(with and without verification)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # python/requirements-test.txt: a missing validator is a failure, not a skip
import pytest

import kendall

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
# Short runs: the shapes matter here, not the precision.
QUICK = {"horizon": 20, "warmup": 2, "replications": 2}


def check(verb: str, what: str, instance: dict[str, Any]) -> None:
    schema = json.loads(kendall.schema(verb))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{e.message} at /{'/'.join(map(str, e.absolute_path))}"
        for e in validator.iter_errors(instance)
    ][:5]
    assert not errors, f"{what} does not match the {verb} schema:\n" + "\n".join(errors)
    assert isinstance(instance["schema_version"], int), what


def test_the_bundled_examples_are_all_here():
    assert len(EXAMPLES) >= 9


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_solves_simulates_compares_and_diffs_to_the_schema(path: Path):
    m = kendall.load(path)
    check("solve", path.stem, m.solve().to_dict())
    check("simulate", path.stem, m.simulate(**QUICK, time_series=5, progress=False).to_dict())
    check("compare", path.stem, m.compare(**QUICK, progress=False).to_dict())
    try:
        busier = m.with_load(1.5)
    except kendall.ValidationError as e:
        # A trace cannot be scaled: the refusal is the answer.
        assert "trace" in str(e), f"{path.stem}: {e}"
    else:
        check("diff", path.stem, m.diff(busier).to_dict())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_sweeps_to_the_schema(path: Path):
    m = kendall.load(path)
    try:
        s = m.sweep(
            loads=[0.5, 1.5], simulate=path.stem == "payments", progress=False,
            horizon=QUICK["horizon"], replications=QUICK["replications"],
        )
    except kendall.KendallError as e:
        assert "trace" in str(e), f"{path.stem}: {e}"
        return
    check("sweep", path.stem, s.to_dict())


def test_a_simulated_grid_and_sizing_to_the_schema():
    m = kendall.load(ROOT / "examples" / "payments.toml")
    grid = m.sweep(
        loads=[0.5, 1.2], parameter2="queue.payments.servers", values2=[9, 12],
        simulate=True, horizon=QUICK["horizon"], replications=QUICK["replications"],
        progress=False,
    ).to_dict()
    assert all(p["value2"] is not None for p in grid["points"])
    check("sweep", "payments (load x consumers)", grid)
    for verify in (False, True):
        r = m.size(
            "end_to_end.p99 < 200ms", verify=verify, horizon=QUICK["horizon"],
            replications=QUICK["replications"], progress=False,
        )
        check("size", f"payments (verify={verify})", r.to_dict())
