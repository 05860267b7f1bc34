"""The Python front door: the payment flow of examples/payments.toml solved, simulated,
compared, sized and swept, with kendall's chart saved as SVG.

    pip install ./python pandas
    python examples/tour.py [OUT_DIR]
"""

import sys
import tempfile
from pathlib import Path

import kendall

here = Path(__file__).resolve().parent
out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir())

m = kendall.load(here / "payments.toml")
print(m)

# Analytic: each queue by its most exact method, labelled.
sol = m.solve()
for name, node in sol.nodes.items():
    print(f"{name:<22} p99 {node.p99 * 1e3:7.2f} ms   {node.method} [{node.exactness}]")

# Simulated: the scenario's own settings (10 replications, seeded), intervals included.
sim = m.simulate(progress=False)
p99 = sim.nodes["end_to_end:checkout"].figure("p99")
print(f"simulated end-to-end p99 {p99.value * 1e3:.2f} ms "
      f"(95% interval {p99.lower * 1e3:.2f} - {p99.upper * 1e3:.2f} ms)")

# Side by side, as a tidy frame (needs pandas).
c = m.compare(progress=False)
print(f"compare: {len(c.rows)} figures, {len(c.flagged)} flagged approximations")

# The cheapest deployment meeting the scenario's SLO, verified by simulation.
sz = m.size(progress=False)
print("sized:", sz.deployment, "all met:", sz.all_met)

# Load sweep and kendall's chart.
sw = kendall.sweep(m, loads=[0.5, 0.7, 0.9, 1.0, 1.1], simulate=True, horizon=30.0,
                   replications=4, progress=False)
path = out_dir / "tour_latency.svg"
sw.chart().save(path)
print(f"wrote {path}")
