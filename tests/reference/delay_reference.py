"""Reference values for delay stations (tests/integration/delay.rs), computed here
independently of kendall's code with mpmath (40 digits).

1. A closed loop with think time: a windowed source of 20 messages (the source is a
   single-server station of rate 1000/s, mean 1 ms), a delay station of mean 2 s
   (think time; any law: BCMP insensitivity) and an M/M/2 station of mean 100 ms.
   Exact MVA (Reiser & Lavenberg 1980) with the load-dependent recursion of the
   marginal queue-length probabilities for the two-server station.
2. M/G/inf with Poisson input: N ~ Poisson(lambda E[S]).

Run: python3 tests/reference/delay_reference.py
"""
from mpmath import mp, mpf, exp, factorial

mp.dps = 40


def mva(population, stations):
    """stations: list of (kind, servers, mean service); kind 'queue' or 'delay'."""
    q = [mpf(0)] * len(stations)
    # p[k][j]: P(j at station k) for the load-dependent stations.
    p = [[mpf(1)] + [mpf(0)] * population for _ in stations]
    x = None
    for n in range(1, population + 1):
        r = []
        for k, (kind, c, s) in enumerate(stations):
            if kind == "delay":
                r.append(s)
            elif c == 1:
                r.append(s * (1 + q[k]))
            else:
                r.append(sum(j * s / min(j, c) * p[k][j - 1] for j in range(1, n + 1)))
        x = n / sum(r)
        for k, (kind, c, s) in enumerate(stations):
            q[k] = x * r[k]
            if kind == "queue" and c > 1:
                new = [mpf(0)] * (population + 1)
                for j in range(1, n + 1):
                    new[j] = x * s / min(j, c) * p[k][j - 1]
                new[0] = 1 - sum(new[1:])
                p[k] = new
    return x, q


x, q = mva(20, [("queue", 1, mpf("0.001")), ("delay", None, mpf(2)), ("queue", 2, mpf("0.1"))])
print("closed loop, 20 messages: throughput", mp.nstr(x, 20))
print("  L: producer", mp.nstr(q[0], 20), "think", mp.nstr(q[1], 20), "api", mp.nstr(q[2], 20))
print("  api W:", mp.nstr(q[2] / x, 20), " think + api:", mp.nstr((q[1] + q[2]) / x, 20), " cycle:", mp.nstr(20 / x, 20))

a = mpf(200) * mpf("0.005")
print("M/D/inf, lambda 200/s, 5 ms: P(N = n), n = 0..3:",
      [mp.nstr(exp(-a) * a**n / factorial(n), 20) for n in range(4)])
