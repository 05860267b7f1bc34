"""Reference values for tests/integration/partitions.rs, computed outside kendall with mpmath
(50 digits): Zipf partition shares under the SplitMix64-finaliser hash, the Range
assignment, and the M/M/1 mixture (W, p99) of a partitioned consumer group.

Run: python3 tests/reference/partitions_reference.py
"""
from mpmath import mp, mpf, exp

mp.dps = 50
M = (1 << 64) - 1


def fin(z):
    """SplitMix64 finaliser (Steele, Lea & Flood 2014)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


def shares(n_keys, s, parts):
    w = [mpf(0)] * parts
    for k in range(1, n_keys + 1):
        w[fin(k) % parts] += mpf(k) ** (-mpf(s))
    t = sum(w)
    return [x / t for x in w]


def range_owner(p, parts, c):
    base, extra = divmod(parts, c)
    big = extra * (base + 1)
    return p // (base + 1) if p < big else extra + (p - big) // base


# Case 1: 1000 keys, s = 1.1, 7 partitions.
ps = shares(1000, 1.1, 7)
print("zipf(1000, 1.1) over 7 partitions:")
print([mp.nstr(x, 17) for x in ps])

# Case 2: the analytic group: 2000 keys, s = 0.9, 6 partitions, 4 consumers (range),
# lambda = 300/s, mean service 5 ms (mu = 200/s).
ps = shares(2000, 0.9, 6)
c = 4
cs = [mpf(0)] * c
for p, x in enumerate(ps):
    cs[range_owner(p, 6, c)] += x
lam, mu = mpf(300), mpf(200)
rates = [lam * x for x in cs]
W = sum(x / (mu - r) for x, r in zip(cs, rates))
cdf = lambda t: sum(x * (1 - exp(-(mu - r) * t)) for x, r in zip(cs, rates))


def bisect(f, lo, hi):
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


p99 = bisect(lambda t: cdf(t) - mpf("0.99"), mpf(0), mpf(10))
hot = max(range(c), key=lambda k: cs[k])
print("zipf(2000, 0.9), 6 partitions, 4 consumers, range:")
print("consumer shares", [mp.nstr(x, 17) for x in cs])
print("W", mp.nstr(W, 17), "p99", mp.nstr(p99, 17))
print("hottest", hot, "W_hot", mp.nstr(1 / (mu - rates[hot]), 17),
      "p99_hot", mp.nstr(mp.log(100) / (mu - rates[hot]), 17))
