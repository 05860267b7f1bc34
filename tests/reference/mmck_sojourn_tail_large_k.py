"""Reference sojourn-time tails of an M/M/c/K above saturation at K = 10^9
(src/analytic/single/mmck.rs, `sojourn_tail_large_k_against_mpmath`): mpmath at 50
digits with its own incomplete gamma (not Temme's expansion).

An admitted arrival waits J phases of rate r = c mu (J = 0 with probability 1 - P(wait),
J = j + 1 with probability C0 rho^j, j < m = K - c) and is then served, Exp(mu). With
y = r t, s = c/(c - 1), sigma = rho s, z = y/s, Q(n, x) = P(Poisson(x) < n), P = 1 - Q:

  P(Erlang(n, r) + Exp(mu) > t) = Q(n, y) + e^{-mu t} s^n P(n, z)          (c >= 2)

(checked below by numerical integration), and summed over J (the sum is swapped as in
the module docs):

  P(W > t) = (1 - P(wait)) e^{-mu t} + C0 rho^m/(rho - 1) [Q(m, y) - rho^{-m} e^{y(rho-1)} Q(m, rho y)]
             + C0 s/(sigma - 1) [e^{y(rho-1)} Q(m, rho y) + e^{-mu t} sigma^m P(m, z) - e^{-mu t}].

For c = 1 (r = mu) the service is one more phase: P(W > t) = sum_{j<=m} C0 rho^{j-1} Q(j+1, y).
The script first checks the closed form against the brute-force sum over J for small K
(several c, rho, t; to 1e-40), then prints the K = 10^9 values. The states below c are
included exactly (sum_{n<c} a^n/n! = e^a Q(c, a)). The 50 digits absorb the cancellation
of the terms. y is formed from the same rounded double as kendall (r t in double
precision; r = 10^7 and 2 are exact).

Run: python3 tests/reference/mmck_sojourn_tail_large_k.py  (about a minute)
"""
import mpmath as mp

mp.mp.dps = 50
Q = lambda n, x: mp.gammainc(n, x, mp.inf, regularized=True)


def P(n, x):
    """1 - Q at 30 more digits where that keeps 50 (mpmath's lower series is slow for
    x near n ~ 10^9), the lower series where P is tiny (x well below n, fast there)."""
    with mp.workdps(80):
        p = 1 - Q(n, x)
    if p > mp.mpf(10) ** -25:
        return +p
    return mp.gammainc(n, 0, x, regularized=True)


def model(lam, mu, c, K):
    lam, mu = mp.mpf(lam), mp.mpf(mu)
    a = lam / mu
    rho = a / c
    m = K - c
    head = mp.exp(a) * Q(c, a) * mp.factorial(c) / a**c  # sum_{n<c} pi_n / pi_c
    geo = (rho ** (m + 1) - 1) / (rho - 1)  # sum_{j<=m} rho^j
    pi_c = 1 / (head + geo)
    admit = 1 - pi_c * rho**m
    return dict(mu=mu, c=c, m=m, rho=rho, c0=pi_c / admit, no_wait=head * pi_c / admit)


def brute(d, y):
    mu, c, m, rho, c0 = d["mu"], d["c"], d["m"], d["rho"], d["c0"]
    if c == 1:
        return mp.fsum(c0 * rho ** (j - 1) * Q(j + 1, y) for j in range(m + 1))
    s = mp.mpf(c) / (c - 1)
    e = mp.exp(-y / c)
    w = mp.fsum(c0 * rho**j * (Q(j + 1, y) + e * s ** (j + 1) * P(j + 1, y / s)) for j in range(m))
    return d["no_wait"] * e + w


def closed(d, y):
    mu, c, m, rho, c0 = d["mu"], d["c"], d["m"], d["rho"], d["c0"]
    if c == 1:
        n = m + 1
        return c0 * rho**m / (rho - 1) * (Q(n, y) - rho ** (-n) * mp.exp(y * (rho - 1)) * Q(n, rho * y))
    s = mp.mpf(c) / (c - 1)
    sigma = rho * s
    e = mp.exp(-y / c)
    g2 = mp.exp(y * (rho - 1)) * Q(m, rho * y)
    wait = c0 / (rho - 1) * (rho**m * Q(m, y) - g2)
    serv = c0 * s / (sigma - 1) * (g2 + e * sigma**m * P(m, y / s) - e)
    return d["no_wait"] * e + wait + serv


# One Erlang + exponential against numerical integration of the Erlang density.
n, r, mu, t = 3, mp.mpf(2), mp.mpf("0.7"), mp.mpf("1.9")
direct = Q(n, r * t) + mp.quad(lambda x: r**n * x ** (n - 1) * mp.exp(-r * x) / mp.factorial(n - 1) * mp.exp(-mu * (t - x)), [0, t])
assert abs(direct - (Q(n, r * t) + mp.exp(-mu * t) * (r / (r - mu)) ** n * P(n, (r - mu) * t))) < mp.mpf(10) ** -40

for lam, mu, c, K in [(2.4, 1, 2, 40), (6, 1, 2, 25), (12, 1, 10, 60), (3.3, 1, 3, 30), (1.5, 1, 1, 30), (0.8, 1, 2, 20)]:
    d = model(lam, mu, c, K)
    for y in [0.5, 5, 20, 60, 150]:
        b, f = brute(d, mp.mpf(y)), closed(d, mp.mpf(y))
        assert abs(b - f) <= mp.mpf(10) ** -40 * b, (lam, c, K, y, b, f)
print("closed form = brute force (small K)")

for lam, mu, c, ts in [
    (1.2e7, 100.0, 100_000, [99.985, 99.99, 99.995, 99.9974, 100.0, 100.02, 100.06, 100.2, 101.0, 105.75]),
    (2.4, 1.0, 2, [5e8 - 3e4, 5e8 - 1e4, 5e8, 5e8 + 1e4, 5e8 + 3e4, 5e8 + 1e5, 5e8 + 3e5, 5e8 + 5.3e5]),
]:
    d = model(lam, mu, c, 1_000_000_000)
    r = c * mu  # a double, exact here
    print(f"c = {c}")
    for t in ts:
        y = mp.mpf(r * t)  # the double y = c mu t that kendall evaluates
        print(f"            ({t!r}, {mp.nstr(closed(d, y), 20)}),")
