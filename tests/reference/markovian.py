"""Reference values for the Markovian solvers (src/analytic/{erlang,mmc,mmck,mminf,special}.rs
and tests/integration/markovian_identities.rs).

Everything is computed from the defining sums with mpmath at 50+ significant digits,
independently of the Rust code: Erlang B/C by direct summation of a^k/k!, M/M/c and
M/M/c/K state probabilities by summing the unnormalised birth-death weights, waiting-time
tails from Erlang tails (regularised incomplete gamma), sojourn-time tails by numerical
quadrature (M/M/c) or the Erlang-plus-exponential convolution in closed form (M/M/c/K),
and quantiles by root finding on those CDFs.

Run: python3 tests/reference/markovian.py   (mpmath 1.3)
"""
from mpmath import mp, mpf, exp, log, factorial, gammainc, quad, findroot, loggamma

mp.dps = 60


def ln_pois(i, y):
    return -mpf(y) + i * log(mpf(y)) - loggamma(i + 1)


def erlang_b(c, a):
    a = mpf(a)
    term, s = mpf(1), mpf(1)
    for k in range(1, c + 1):
        term = term * a / k
        s += term
    return term / s


def erlang_c(c, a):
    b = erlang_b(c, a)
    rho = mpf(a) / c
    return b / (1 - rho * (1 - b))


def ln_erlang_b(c, a):
    a = mpf(a)
    # ln(a^c/c!) - ln(sum a^k/k!)
    lt = c * log(a) - loggamma(c + 1)
    s = mp.fsum(exp(k * log(a) - loggamma(k + 1) - lt) for k in range(0, c + 1))
    return -log(s)


def mmc(lam, mu, c, ts, ps):
    lam, mu = mpf(lam), mpf(mu)
    a = lam / mu
    rho = a / c
    C = erlang_c(c, a)
    theta = c * mu - lam
    wq = C / theta
    out = dict(C=C, Wq=wq, W=wq + 1 / mu, Lq=lam * wq, L=lam * (wq + 1 / mu))
    # ln P0 from the direct sum
    lt = [k * log(a) - loggamma(k + 1) for k in range(c + 1)]
    m = max(lt)
    head = mp.fsum(exp(x - m) for x in lt[:-1])
    tail = exp(lt[-1] - m) / (1 - rho)
    out["lnP0"] = -(m + log(head + tail))

    def wcdf(t):
        return 1 - C * exp(-theta * t)

    def scdf(t):
        t = mpf(t)
        return quad(lambda s: mu * exp(-mu * s) * wcdf(t - s), [0, t])

    out["wcdf"] = [(t, wcdf(t)) for t in ts]
    out["scdf"] = [(t, scdf(t)) for t in ts]
    qs = []
    for p in ps:
        x0 = findroot(lambda t: scdf(t) - p, (mpf(0), mpf(50) / mu + 10 * wq), solver="illinois", tol=mpf(10) ** -40)
        qs.append((p, x0))
    out["squant"] = qs
    return out


def mmck(lam, mu, c, K, ts):
    lam, mu = mpf(lam), mpf(mu)
    a = lam / mu
    lw = []
    for n in range(K + 1):
        if n <= c:
            lw.append(n * log(a) - loggamma(n + 1))
        else:
            lw.append(lw[c] + (n - c) * log(a / c))
    m = max(lw)
    w = [exp(x - m) for x in lw]
    Z = mp.fsum(w)
    pi = [x / Z for x in w]
    pk = pi[K]
    X = lam * (1 - pk)
    L = mp.fsum(n * pi[n] for n in range(K + 1))
    Lq = mp.fsum((n - c) * pi[n] for n in range(c, K + 1))
    r = c * mu
    pw = mp.fsum(pi[n] for n in range(c, K)) / (1 - pk)

    def wtail(t):
        t = mpf(t)
        return mp.fsum(pi[n] / (1 - pk) * gammainc(n - c + 1, r * t, mp.inf, regularized=True)
                       for n in range(c, K))

    def stail(t):
        t = mpf(t)
        s = (1 - pw) * exp(-mu * t)
        for n in range(c, K):
            k = n - c + 1
            if c >= 2:
                tk = gammainc(k, r * t, mp.inf, regularized=True) + exp(-mu * t) * (r / (r - mu)) ** k * gammainc(k, 0, (r - mu) * t, regularized=True)
            else:
                tk = gammainc(k, r * t, mp.inf, regularized=True) + exp(-mu * t) * (r * t) ** k / factorial(k)
            s += pi[n] / (1 - pk) * tk
        return s

    return dict(pi=pi, P0=pi[0], PK=pk, X=X, L=L, Lq=Lq, W=L / X, Wq=Lq / X, Pw=pw,
                wtail=[(t, wtail(t)) for t in ts], stail=[(t, stail(t)) for t in ts])


def show(name, v):
    print(f"{name} = {mp.nstr(v, 20)}")


if __name__ == "__main__":
    print("# ln Poisson pmf")
    for i, y in [(3, 2.5), (10, 1.0), (1000, 1000.0), (99900, 100000.0), (20, 1e4)]:
        show(f"ln_pois({i}, {y})", ln_pois(i, y))
    print("# Erlang B and C")
    for c, a in [(10, 5.0), (1, 0.5), (2, 1.0), (50, 45.0), (1000, 950.0), (1000, 999.0), (1000, 1200.0)]:
        show(f"B({c}, {a})", erlang_b(c, a))
        if a < c:
            show(f"C({c}, {a})", erlang_c(c, a))
    show("lnB(1000, 1)", ln_erlang_b(1000, 1.0))
    show("lnB(10000, 10)", ln_erlang_b(10000, 10.0))
    mp.dps = 40
    show("B(100000, 99900)", erlang_b(100000, 99900.0))
    show("C(100000, 99900)", erlang_c(100000, 99900.0))
    mp.dps = 60
    print("# M/M/c")
    for lam, mu, c, ts in [(9.0, 1.0, 10, [0.5, 2.0, 10.0]), (2.0, 1.0, 3, [0.3, 1.5, 6.0]), (9.5, 1.0, 10, [1.0, 5.0])]:
        o = mmc(lam, mu, c, ts, [0.5, 0.99])
        print(f"-- lam={lam} mu={mu} c={c}")
        for k in ["C", "Wq", "W", "Lq", "L", "lnP0"]:
            show(k, o[k])
        for t, v in o["wcdf"]:
            show(f"wait_cdf({t})", v)
        for t, v in o["scdf"]:
            show(f"sojourn_cdf({t})", v)
        for p, v in o["squant"]:
            show(f"sojourn_quantile({p})", v)
    mp.dps = 40
    o = mmc(99900.0, 1.0, 100000, [0.001, 0.01, 2.0], [0.99])
    print("-- lam=99900 mu=1 c=100000")
    for k in ["C", "Wq", "W", "lnP0"]:
        show(k, o[k])
    for t, v in o["scdf"]:
        show(f"sojourn_cdf({t})", v)
    for p, v in o["squant"]:
        show(f"sojourn_quantile({p})", v)
    mp.dps = 50
    print("# M/M/c/K")
    for lam, mu, c, K, ts in [(5.0, 1.0, 3, 10, [0.2, 1.0, 3.0]), (3.0, 1.0, 1, 5, [0.5, 2.0]),
                              (1.0, 1.0, 1, 10, [1.0, 5.0]), (2.0, 1.0, 2, 6, [0.5, 2.0]),
                              (40.0, 2.0, 20, 60, [0.1, 1.0]), (3.0, 1.0, 5, 8, [0.1, 1.0]),
                              (150.0, 1.0, 100, 130, [0.05, 0.2])]:
        o = mmck(lam, mu, c, K, ts)
        print(f"-- lam={lam} mu={mu} c={c} K={K}")
        for k in ["P0", "PK", "X", "L", "Lq", "W", "Wq", "Pw"]:
            show(k, o[k])
        show("pi[c]", o["pi"][c])
        for t, v in o["wtail"]:
            show(f"wait_tail({t})", v)
        for t, v in o["stail"]:
            show(f"sojourn_tail({t})", v)
