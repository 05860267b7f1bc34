"""Reference waiting-time tails of an M/M/c/K at rho = 1 exactly and K = 10^9
(src/analytic/single/mmck.rs, `wait_tail_critical_large_k_against_mpmath`): mpmath at
50 digits with its own incomplete gamma (not Temme's expansion), from

  P(Wq > t) = C0 sum_{j<m} Q(j + 1, y) = C0 [(m - y) Q(m, y) + m pois(m; y)],  y = c mu t,

m = K - c, Q(n, x) = P(Poisson(x) < n), C0 = pi_c/(1 - pi_K) with the states below c
included exactly (sum_{n<c} a^n/n! = e^a Q(c, a)). The closed form is first checked
against the brute-force sum over j at small K (to 1e-40). y is formed from the same
rounded double as kendall (r t in double precision; r = 10^7 and 1 are exact).

Run: python3 tests/reference/mmck_wait_tail_rho1_large_k.py  (a few seconds)
"""
import mpmath as mp

mp.mp.dps = 50
Q = lambda n, x: mp.gammainc(n, x, mp.inf, regularized=True)


def c0(lam, mu, c, K):
    a = mp.mpf(lam) / mp.mpf(mu)
    assert a == c  # rho = 1
    head = mp.exp(a) * Q(c, a) * mp.factorial(c) / a**c  # sum_{n<c} pi_n / pi_c
    pi_c = 1 / (head + (K - c + 1))
    return pi_c / (1 - pi_c)  # pi_K = pi_c at rho = 1


def closed(C0, m, y):
    return C0 * ((m - y) * Q(m, y) + m * mp.exp(-y) * y**m / mp.factorial(m))


for lam, mu, c, K in [(1, 1, 1, 30), (3, 1, 3, 40), (10, 2, 5, 60)]:
    C0, m = c0(lam, mu, c, K), K - c
    for y in [0.5, 5, 20, 40, 80]:
        y = mp.mpf(y)
        brute = C0 * mp.fsum(Q(j + 1, y) for j in range(m))
        assert abs(brute - closed(C0, m, y)) <= mp.mpf(10) ** -40 * brute
print("closed form = brute force (small K)")

for lam, mu, c, ts in [
    (1e7, 100.0, 100_000, [0.001, 50.0, 99.98, 99.99, 99.995, 100.0, 100.01, 100.03, 100.06]),
    (1.0, 1.0, 1, [1e3, 5e8, 9.9999e8, 1e9, 1.0001e9, 1.0002e9, 1.0004e9]),
]:
    K = 1_000_000_000
    C0, m = c0(lam, mu, c, K), K - c
    r = c * mu  # a double, exact here
    print(f"c = {c}")
    for t in ts:
        y = mp.mpf(r * t)  # the double y = c mu t that kendall evaluates
        print(f"            ({t!r}, {mp.nstr(closed(C0, m, y), 20)}),")
