"""Reference sojourn-time tails of an M/M/c/K at rho = 1 exactly and K = 10^9
(src/analytic/single/mmck.rs, `sojourn_tail_critical_large_k_against_mpmath`): mpmath
at 50 digits with its own incomplete gamma (not Temme's expansion), from

  P(W > t) = (1 - P(wait)) e^{-mu t} + C0 [(m - y) Q(m, y) + m pois(m; y)]
             + C0 c [Q(m, y) + e^{-mu t} s^m P(m, y/s) - e^{-mu t}]      (c >= 2),
  P(W > t) = C0 [(n - y) Q(n, y) + n pois(n; y)], n = m + 1              (c = 1),

y = c mu t, s = c/(c - 1), m = K - c, Q(n, x) = P(Poisson(x) < n), P = 1 - Q,
C0 = pi_c/(1 - pi_K) with the states below c included exactly
(sum_{n<c} a^n/n! = e^a Q(c, a)). The closed form is first checked against the
brute-force sum over the waits (each an Erlang plus an independent Exp(mu)) at small K
(to 1e-40). y is formed from the same rounded double as kendall (r t in double
precision; r = 10^7 and 2 are exact).

Run: python3 tests/reference/mmck_sojourn_tail_rho1_large_k.py  (about a minute)
"""
import mpmath as mp

mp.mp.dps = 50
Q = lambda n, x: mp.gammainc(n, x, mp.inf, regularized=True)


def pois(n, y):
    return mp.exp(-y + n * mp.log(y) - mp.loggamma(n + 1))


def P(n, x):
    # Near and above the mean, 1 - Q (P is not small there: > 1e-16). Below it the
    # series P(n, x) = pois(n; x) sum_k x^k/((n + 1)...(n + k)) (positive terms, ratio
    # below x/n; about 120 n/(n - x) terms for 50 digits).
    if x >= n - 8 * mp.sqrt(n):
        return 1 - Q(n, x)
    term, total, k = mp.mpf(1), mp.mpf(1), 0
    while term > mp.mpf(10) ** -55 * total:
        k += 1
        term *= x / (n + k)
        total += term
    return pois(n, x) * total


def model(lam, mu, c, K):
    mu, a = mp.mpf(mu), mp.mpf(lam) / mp.mpf(mu)
    assert a == c  # rho = 1
    head = mp.exp(a) * Q(c, a) * mp.factorial(c) / a**c  # sum_{n<c} pi_n / pi_c
    pi_c = 1 / (head + (K - c + 1))
    admit = 1 - pi_c  # pi_K = pi_c at rho = 1
    return dict(mu=mu, c=c, m=K - c, c0=pi_c / admit, no_wait=head * pi_c / admit)


def closed(d, y):
    c, m, c0 = d["c"], d["m"], d["c0"]
    if c == 1:
        n = m + 1
        return c0 * ((n - y) * Q(n, y) + n * pois(n, y))
    s = mp.mpf(c) / (c - 1)
    e = mp.exp(-y / c)  # e^{-mu t}
    wait = c0 * ((m - y) * Q(m, y) + m * pois(m, y))
    return d["no_wait"] * e + wait + c0 * c * (Q(m, y) + e * s**m * P(m, y / s) - e)


def brute(d, y):
    c, m, c0 = d["c"], d["m"], d["c0"]
    if c == 1:
        return mp.fsum(c0 * Q(j + 1, y) for j in range(m + 1))
    s = mp.mpf(c) / (c - 1)
    e = mp.exp(-y / c)
    # Erlang(j + 1, c mu) + Exp(mu) > t: Q(j + 1, y) + e^{-mu t} s^{j+1} P(j + 1, y/s).
    return d["no_wait"] * e + mp.fsum(
        c0 * (Q(j + 1, y) + e * s ** (j + 1) * P(j + 1, y / s)) for j in range(m)
    )


for lam, mu, c, K in [(1, 1, 1, 30), (2, 1, 2, 25), (3, 1, 3, 30), (10, 1, 10, 60), (6, 2, 3, 45)]:
    d = model(lam, mu, c, K)
    for y in [0.5, 5, 20, 60, 150]:
        y = mp.mpf(y)
        b = brute(d, y)
        assert abs(b - closed(d, y)) <= mp.mpf(10) ** -40 * b, (c, K, y)
print("closed form = brute force (small K)")

for lam, mu, c, ts in [
    (1e7, 100.0, 100_000, [0.001, 50.0, 99.9, 99.98, 99.99, 99.995, 100.0, 100.01, 100.03,
                           100.1, 100.5, 101.0, 105.0]),
    (2.0, 1.0, 2, [1e3, 2.5e8, 4.9997e8, 4.9999e8, 5e8, 5.0001e8, 5.0003e8, 5.001e8,
                   5.003e8, 5.004e8]),
]:
    K = 1_000_000_000
    d = model(lam, mu, c, K)
    r = c * mu  # a double, exact here
    print(f"c = {c}")
    for t in ts:
        y = mp.mpf(r * t)  # the double y = c mu t that kendall evaluates
        print(f"            ({t!r}, {mp.nstr(closed(d, y), 20)}),")
