# Usage: python3 tests/reference/mmck_overload.py (about a minute).
# Independent reference for the M/M/c/K sojourn CDF above saturation (mpmath, 30 digits).
# An admitted arrival that finds c + j present (j = 0..m-1, weight ∝ ρ^j; the states
# below c carry weight < 1e-1000 here) waits J = j + 1 Erlang phases of rate r = cμ;
# the sojourn adds S ~ Exp(μ) independent, and
#   P(E_J + S > t) = P(E_J > t) + e^{-μt} (r/(r-μ))^J P(Gamma(J, r-μ) <= t),
# with P(Gamma(J, s) <= t) = P(Poisson(st) >= J), summed from Poisson pmfs in mpmath.
# Only the 600 largest weights are kept (the rest total < ρ^-600 = 1e-47).
import mpmath as mp
mp.mp.dps = 30

def poisson_upper(x, lo, hi):
    """{J: P(Poisson(x) >= J)} for J in [lo, hi], x >> 1, summing pmfs within x ± 60√x."""
    x = mp.mpf(x)
    a = int(x - 60 * mp.sqrt(x)); b = int(x + 60 * mp.sqrt(x))
    a = max(0, min(a, lo)); b = max(b, hi)
    pm = {}
    i0 = int(x)
    p = mp.exp(-x + i0 * mp.log(x) - mp.loggamma(i0 + 1))
    pm[i0] = p
    q = p
    for i in range(i0 + 1, b + 1):
        q = q * x / i; pm[i] = q
    q = p
    for i in range(i0, a, -1):
        q = q * i / x; pm[i - 1] = q
    out = {}; acc = mp.mpf(0)
    for i in range(b, a - 1, -1):
        acc += pm[i]
        if lo <= i <= hi:
            out[i] = acc
    return out

def tail(lam, mu, c, K, t, terms=600):
    lam, mu, t = mp.mpf(lam), mp.mpf(mu), mp.mpf(t)
    rho = lam / (c * mu); r = c * mu; m = K - c
    norm = (1 - 1 / rho) / (1 - rho ** (-m))  # weight of j = m-1 (J = m)
    lo, hi = m - terms + 1, m
    pe = poisson_upper(r * t, lo, hi)          # P(E_J <= t)
    ps = poisson_upper((r - mu) * t, lo, hi)   # P(Gamma(J, r-mu) <= t)
    soj = mp.mpf(0); wait = mp.mpf(0)
    for k in range(terms):
        J = m - k
        w = norm * rho ** (-k)
        wait += w * (1 - pe[J])
        soj += w * ((1 - pe[J]) + mp.exp(-mu * t + J * mp.log(r / (r - mu))) * ps[J])
    return wait, soj

if __name__ == "__main__":
    # c = 10^5, K = 10^7, ρ = 1.2 (the case): t, P(Wq <= t), P(T <= t).
    for t in ["0.9895", "0.99", "0.9905", "0.995", "1.0", "1.01", "1.03"]:
        w, s = tail(1.2e7, 100, 100000, 10_000_000, t)
        print(f"({t}, {mp.nstr(1 - w, 17)}, {mp.nstr(1 - s, 17)}),")
