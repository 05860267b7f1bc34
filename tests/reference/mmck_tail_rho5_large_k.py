"""Reference waiting- and sojourn-time tails of an M/M/c/K at rho = 5, K = 10^9,
c = 10^5, mu = 100 (src/analytic/single/mmck.rs, `tails_rho5_large_k_against_mpmath`),
where the second incomplete gamma Q(m, rho y) is beyond Temme's table (rho y/m ~ 5):
mpmath at 50 digits with its own incomplete gamma, the same closed forms as
tests/reference/mmck_wait_tail_large_k.py and mmck_sojourn_tail_large_k.py (the latter
checks its closed form against the brute-force sum over the waits at small K; the
wait's is its wait part). y is the double c mu t that kendall forms (c mu = 10^7 exact).

Run: python3 tests/reference/mmck_tail_rho5_large_k.py
"""
import mpmath as mp

mp.mp.dps = 50
Q = lambda n, x: mp.gammainc(n, x, mp.inf, regularized=True)


def P(n, x):
    with mp.workdps(80):
        p = 1 - Q(n, x)
    if p > mp.mpf(10) ** -25:
        return +p
    return mp.gammainc(n, 0, x, regularized=True)


lam, mu, c, K = mp.mpf(5e7), mp.mpf(100), 100_000, 1_000_000_000
a = lam / mu
rho = a / c
m = K - c
head = mp.exp(a) * Q(c, a) * mp.factorial(c) / a**c  # sum_{n<c} pi_n / pi_c
geo = (rho ** (m + 1) - 1) / (rho - 1)
pi_c = 1 / (head + geo)
admit = 1 - pi_c * rho**m
c0, no_wait = pi_c / admit, head * pi_c / admit
s = mp.mpf(c) / (c - 1)
sigma = rho * s


def wait(y):
    return c0 / (rho - 1) * (rho**m * Q(m, y) - mp.exp(y * (rho - 1)) * Q(m, rho * y))


def sojourn(y):
    e = mp.exp(-y / c)
    g2 = mp.exp(y * (rho - 1)) * Q(m, rho * y)
    serv = c0 * s / (sigma - 1) * (g2 + e * sigma**m * P(m, y / s) - e)
    return no_wait * e + wait(y) + serv


print("wait")
for t in [99.98, 99.985, 99.99, 99.995, 100.0, 100.01]:
    print(f"            ({t!r}, {mp.nstr(wait(mp.mpf(1e7 * t)), 20)}),")
print("sojourn")
for t in [99.99, 100.0, 100.02, 100.06, 100.2, 101.0]:
    print(f"            ({t!r}, {mp.nstr(sojourn(mp.mpf(1e7 * t)), 20)}),")
