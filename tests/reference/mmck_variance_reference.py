"""Reference values for the M/M/c/K variances at large K (src/analytic/single/mmck.rs,
`variances_against_mpmath`), by raw moments at 60 digits (mpmath), not kendall's
central-moment closed forms: pi_n / pi_c = c! a^(n-c) / n! for n < c (summed term by
term), rho^j for j = n - c; the power sums sum_{j<=m} j^k rho^j in their textbook closed
forms (k = 0, 1, 2; m(m+1)/2 and m(m+1)(2m+1)/6 at rho = 1); then
Var(N) = E[N^2] - E[N]^2 and, for an admitted arrival that finds c + j (weight rho^j,
j < m) and waits Erlang(j + 1, c mu), E[Wq^2] = sum rho^j (j + 1)(j + 2) / (c mu)^2 /
sum_{n<K} pi_n / pi_c, Var(W) = Var(Wq) + 1/mu^2. The 60 digits absorb the cancellation.

Run: python3 tests/reference/mmck_variance_reference.py  (a few seconds)
"""
import mpmath as mp

mp.mp.dps = 60


def sums(rho, m):
    """sum_{j=0}^m j^k rho^j for k = 0, 1, 2."""
    if rho == 1:
        return m + 1, mp.mpf(m) * (m + 1) / 2, mp.mpf(m) * (m + 1) * (2 * m + 1) / 6
    r, M = rho, mp.mpf(m)
    s0 = (1 - r ** (M + 1)) / (1 - r)
    s1 = r * (1 - (M + 1) * r ** M + M * r ** (M + 1)) / (1 - r) ** 2
    s2 = r * (1 + r - (M + 1) ** 2 * r ** M + (2 * M * M + 2 * M - 1) * r ** (M + 1)
              - M * M * r ** (M + 2)) / (1 - r) ** 3
    return s0, s1, s2


def case(lam, mu, c, k):
    lam, mu = mp.mpf(lam), mp.mpf(mu)
    a = lam / mu
    rho = a / c
    m = k - c
    # Head: h_n = pi_n/pi_c, from n = c - 1 down.
    h0 = h1 = h2 = mp.mpf(0)
    h = mp.mpf(1)
    for n in range(c - 1, -1, -1):
        h = h * (n + 1) / a
        h0 += h; h1 += n * h; h2 += n * n * h
        if h < mp.mpf(10) ** -80 * h0:
            break
    t0, t1, t2 = sums(rho, m)
    z = h0 + t0
    en = (h1 + c * t0 + t1) / z
    en2 = (h2 + c * c * t0 + 2 * c * t1 + t2) / z
    var_n = en2 - en ** 2
    # Admitted arrivals: states 0..K-1.
    if m == 0:
        var_wq = mp.mpf(0)
    else:
        w0, w1, w2 = sums(rho, m - 1)
        adm = h0 + w0
        r = c * mu
        ewq = (w1 + w0) / adm / r
        ewq2 = (w2 + 3 * w1 + 2 * w0) / adm / r ** 2
        var_wq = ewq2 - ewq ** 2
    return var_n, var_wq, var_wq + 1 / mu ** 2


CASES = [
    (1.2e7, 100.0, 100_000, 1_000_000_000),
    (3.0, 1.0, 3, 100_000_000),
    (9.99e6, 100.0, 100_000, 1_000_000),
    (8.00000095367431640625, 1.0, 8, 10_000_000),  # rho = 1 + 2^-23, exact in doubles
    (2.4, 1.0, 2, 1_000_000_000),
    (50.0, 1.0, 100, 3_000_000),
]

if __name__ == "__main__":
    for lam, mu, c, k in CASES:
        v = case(lam, mu, c, k)
        print(f"            (({lam!r}, {mu!r}, {c}, {k}), [{', '.join(mp.nstr(x, 20) for x in v)}]),")
