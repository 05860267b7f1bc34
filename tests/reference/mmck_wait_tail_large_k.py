"""Reference waiting-time tails of an M/M/c/K far above saturation at K = 10^9
(src/analytic/single/mmck.rs, `wait_tail_large_k_against_mpmath`): mpmath at 50 digits
with its own incomplete gamma (not Temme's expansion), from
    P(Wq > t) = C0 [e^{y(rho-1)} Q(m, rho y) - rho^m Q(m, y)] / (1 - rho),  y = c mu t,
C0 = pi_c/(1 - pi_K) (the states below c carry < 10^-10^7 of the mass and are left
out: C0 = 1/sum_{j<m} rho^j). The 50 digits absorb the cancellation of the two terms.

Run: python3 tests/reference/mmck_wait_tail_large_k.py  (a few seconds)
"""
import mpmath as mp

mp.mp.dps = 50
lam, mu, c, K = mp.mpf(1.2e7), mp.mpf(100), 100_000, 1_000_000_000
rho = lam / (c * mu)
m = K - c
c0 = (rho - 1) / (rho ** m - 1)
Q = lambda a, x: mp.gammainc(a, x, mp.inf, regularized=True)
for t in [99.98, 99.985, 99.99, 99.9905, 99.995, 100.0, 100.01]:
    y = mp.mpf(1e7 * t)  # the double y = cμ·t that kendall evaluates (rounded like it)
    v = c0 * (mp.exp(y * (rho - 1)) * Q(m, rho * y) - rho ** m * Q(m, y)) / (1 - rho)
    print(f"            ({t!r}, {mp.nstr(v, 20)}),")
