"""Reference values for the distribution queries (tests/integration/queries.rs):
tail probabilities P(Wq > t), P(W > t) and percentiles at other levels, computed
here from the textbook laws with mpmath (40 digits), independently of kendall's code.

M/M/c (Kleinrock 1975, §3.5; Gross et al. 2008, §2.3): an arrival waits with the
Erlang C probability C, and given that it waits, Wq ~ Exp(theta), theta = c*mu - lam.
The sojourn W = Wq + S, S ~ Exp(mu) independent, so P(W > t) is computed here by
numerical integration of the convolution (not by the closed form):
    P(W > t) = (1 - C) e^{-mu t} + C * int_0^inf theta e^{-theta s} P(S > t - s) ds.
Erlang C from its defining sums (exact rationals in mpmath, no recursion).

Tandem of two M/M/1 (Reich 1957): T = Exp(r1) + Exp(r2); P(T > t) by numerical
integration of the convolution.

Run: python3 tests/reference/tail_reference.py
"""
from mpmath import mp, mpf, exp, quad, factorial

mp.dps = 40


def erlang_c(c, a):
    top = a**c / factorial(c) * c / (c - a)
    return top / (sum(a**k / factorial(k) for k in range(c)) + top)


def mmc(c, lam, mu):
    a = lam / mu
    C = erlang_c(c, a)
    theta = c * mu - lam
    wait_tail = lambda t: C * exp(-theta * t)

    def soj_tail(t):
        # P(S > t - s) = 1 for s >= t.
        inner = quad(lambda s: theta * exp(-theta * s) * exp(-mu * (t - s)), [0, t])
        inner += exp(-theta * t)
        return (1 - C) * exp(-mu * t) + C * inner

    return C, wait_tail, soj_tail


def quantile(tail, p, hi):
    # Bisection on [0, hi] (tail decreasing), to 1e-30.
    lo = mpf(0)
    hi = mpf(hi)
    for _ in range(120):
        mid = (lo + hi) / 2
        if tail(mid) > 1 - p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


c, lam, mu = 10, mpf(800), mpf(100)
C, wt, st = mmc(c, lam, mu)
print("M/M/10, lambda = 800/s, mean service 10 ms; Erlang C =", mp.nstr(C, 20))
for t in [mpf("0.05"), mpf("0.1")]:
    print(f"  t = {t}: P(Wq > t) = {mp.nstr(wt(t), 20)}  P(W > t) = {mp.nstr(st(t), 20)}")
for p in [mpf("0.9995"), mpf("0.9999")]:
    print(
        f"  p = {p}: wait quantile = {mp.nstr(quantile(wt, p, 1), 20)}"
        f"  sojourn quantile = {mp.nstr(quantile(st, p, 1), 20)}"
    )

r1, r2 = mpf(2), mpf(3)  # two M/M/1: mu - lambda = 2 and 3 per second
tail2 = lambda t: quad(lambda s: r1 * exp(-r1 * s) * exp(-r2 * (t - s)), [0, t]) + exp(-r1 * t)
print("Exp(2) + Exp(3):")
for t in [mpf(1), mpf(3)]:
    print(f"  t = {t}: P(T > t) = {mp.nstr(tail2(t), 20)}")
print(f"  p9995 = {mp.nstr(quantile(tail2, mpf('0.9995'), 20), 20)}")

# log10 P(N = n) of M/M/1000 at a = 900 (P0 ~ 1e-391, below the smallest double):
# from the defining sums, exact in mpmath.
c, a = 1000, mpf(900)
norm = sum(a**n / factorial(n) for n in range(c)) + a**c / factorial(c) / (1 - a / c)
print("M/M/1000, a = 900: log10 P(N = n), n = 0..3:",
      [mp.nstr(mp.log10(a**n / factorial(n) / norm), 20) for n in range(4)])
