"""Reference waiting- and sojourn-time tails of an M/M/c/K near rho = 1 at K = 10^9 and
10^13 (src/analytic/single/mmck.rs, `tail_integral_large_k_against_mpmath`): mpmath at 50
digits with its own incomplete gamma, from the closed forms (not the integral that kendall
evaluates there, nor Temme's expansion); the 50 digits absorb their cancellation (about
log10(1/|rho - 1|) digits, 12 at rho = 1 - 1e-12). With y = c mu t, m = K - c,
Q(n, x) = P(Poisson(x) < n), P = 1 - Q, s = c/(c - 1), sigma = rho s, z = y/s:

  P(Wq > t) = C0/(rho - 1) [rho^m Q(m, y) - e^{y(rho-1)} Q(m, rho y)],
  P(W > t)  = (1 - P(wait)) e^{-mu t} + P(Wq > t)
              + C0 s/(sigma - 1) [e^{y(rho-1)} Q(m, rho y) + e^{-mu t} sigma^m P(m, z) - e^{-mu t}]

(c >= 2), C0 = pi_c/(1 - pi_K) = 1/(head + sum_{j<m} rho^j), head = sum_{n<c} a^n/n! / (a^c/c!)
= e^a Q(c, a) c!/a^c, 1 - P(wait) = head C0. Both forms are first checked against the
brute-force sums over the waits (each an Erlang(j + 1, c mu), plus an independent Exp(mu)
for the sojourn) at small K, to 1e-40, on both sides of rho = 1.

The model is kendall's: rho = e^x with x = ln(lambda/(c mu)) rounded as kendall rounds it
(float division, then log: the same IEEE operations in Python), a = c rho; y is the double
r*t that kendall forms (r = c mu = 10^7 and 2 exact). Printed: (t, wait tail, sojourn
tail) with 20 digits, for the Rust test to paste.

Run: python3 tests/reference/mmck_tail_near_critical_large_k.py  (about 20 minutes: each
incomplete gamma at m = 10^13 takes mpmath about 15 s)
"""
import math
import sys

import mpmath as mp

mp.mp.dps = 50


def lower_series(n, x):
    """P(n, x) = pois(n; x) M(1, n + 1, x) (DLMF 8.5.1), mpmath's hypergeometric sum with
    as many terms as x near n needs (positive terms; 4 s at n = 10^13, x = n - 32 sqrt n)."""
    pois = mp.exp(-x + n * mp.log(x) - mp.loggamma(n + 1))
    return pois * mp.hyp1f1(1, n + 1, x, maxterms=10**9)


def Q(n, x):
    """mpmath's upper incomplete gamma, or 1 - P from the lower series well below the
    mean, where mpmath's own route is slow at n = 10^13."""
    if x < n - 15 * mp.sqrt(n):
        return 1 - lower_series(n, x)
    return mp.gammainc(n, x, mp.inf, regularized=True)


def P(n, x):
    """The lower series well below the mean; near and above it 1 - Q at 30 more digits
    where that keeps 50, and the lower series where P is tiny."""
    if x < n - 15 * mp.sqrt(n):
        return lower_series(n, x)
    with mp.workdps(80):
        p = 1 - Q(n, x)
    if p > mp.mpf(10) ** -25:
        return +p
    return lower_series(n, x)


def model(lam, mu, c, K):
    x = math.log(lam / (c * mu))  # kendall's ln(rho), a double
    rho = mp.exp(mp.mpf(x))
    a = c * rho
    m = K - c
    head = mp.exp(a) * Q(c, a) * mp.factorial(c) / a**c
    c0 = 1 / (head + (rho**m - 1) / (rho - 1))
    return dict(mu=mp.mpf(mu), c=c, m=m, rho=rho, c0=c0, no_wait=head * c0)


def closed(d, y):
    c, m, rho, c0 = d["c"], d["m"], d["rho"], d["c0"]
    q1 = Q(m, y)
    shifted = mp.exp(y * (rho - 1)) * Q(m, rho * y)
    wait = c0 / (rho - 1) * (rho**m * q1 - shifted)
    s = mp.mpf(c) / (c - 1)
    sig = rho * s
    e = mp.exp(-y / c)  # e^{-mu t}
    soj = d["no_wait"] * e + wait + c0 * s / (sig - 1) * (shifted + e * sig**m * P(m, y / s) - e)
    return wait, soj


def brute(d, y):
    c, m, rho, c0 = d["c"], d["m"], d["rho"], d["c0"]
    s = mp.mpf(c) / (c - 1)
    e = mp.exp(-y / c)
    wait = mp.fsum(c0 * rho**j * Q(j + 1, y) for j in range(m))
    # Erlang(j + 1, c mu) + Exp(mu) > t: Q(j + 1, y) + e^{-mu t} s^{j+1} P(j + 1, y/s).
    soj = d["no_wait"] * e + mp.fsum(
        c0 * rho**j * (Q(j + 1, y) + e * s ** (j + 1) * P(j + 1, y / s)) for j in range(m)
    )
    return wait, soj


for lam, mu, c, K in [(2 * (1 - 1e-3), 1, 2, 30), (2 * (1 + 1e-3), 1, 2, 30),
                      (3 * (1 - 1e-9), 1, 3, 40), (10 * (1 + 1e-6), 1, 10, 60),
                      (6 * 1.3, 2, 3, 45), (6 * 0.7, 2, 3, 45)]:
    d = model(lam, mu, c, K)
    for y in [0.5, 5, 20, 60, 150]:
        y = mp.mpf(y)
        for b, f in zip(brute(d, y), closed(d, y)):
            assert abs(b - f) <= mp.mpf(10) ** -40 * b, (lam, c, K, y, b, f)
print("closed forms = brute force (small K)", flush=True)

r2 = lambda v: float(f"{v:.12g}")  # t with 12 significant digits, a short literal
for lam, mu, c in [(9999999.99999, 100.0, 100_000), (1.999999999998, 1.0, 2),
                   (9999999.9, 100.0, 100_000), (1.99999998, 1.0, 2),
                   (10000010.0, 100.0, 100_000), (2.000002, 1.0, 2)]:
    r = c * mu
    for K in [10**9, 10**13]:
        d = model(lam, mu, c, K)
        m, rho = d["m"], d["rho"]
        sd = math.sqrt(m)
        delta = float(rho - 1)
        if delta * m < -100:  # a geometric wait, on 1/|delta| phases
            ys = [k / -delta for k in [0.1, 1, 5, 20, 60]]
        elif delta * m > 100:  # the waits pile up at m, on max(1/delta, sqrt m) phases
            w = max(1 / delta, sd)
            ys = [m - 3 * w, m - w, m, m + 3 * sd, m + 10 * sd]
        else:  # about uniform on [0, m]
            ys = [0.5 * m, 0.999 * m, m - 2 * sd, m, m + 3 * sd, m + 10 * sd]
        print(f"lambda {lam!r} mu {mu!r} c {c} K {K}", flush=True)
        for yt in ys:
            t = r2(yt / r)
            y = mp.mpf(r * t)  # the double y = c mu t that kendall evaluates
            wait, soj = closed(d, y)
            print(f"    ({t!r}, {mp.nstr(wait, 20)}, {mp.nstr(soj, 20)}),", flush=True)
