"""Retry fixed points of a Poisson source retrying into an M/M/c queue, for
tests/integration/retry.rs.  Independent of kendall: a different sojourn CDF (numerical
convolution of the wait and the service, with Erlang C from the state sums), a
different root finder (Illinois/anderson via mpmath.findroot on brackets from a
coarse scan) and E[T | T <= tau] by quadrature of t f(t).

Run: python3 tests/reference/retry_reference.py   (needs mpmath; 20 digits; about a minute)

Model: requests at rate lam, timeout tau, R retries; attempts at rate L offered to
M/M/c (service rate mu each); p(L) = P(T > tau) for the sojourn T at load L;
fixed points L = lam * sum_{k=0..R} p(L)^k on [lam, c mu).  Stable when
F(L) - L goes from + to -.  Mean latency of successful requests:
sum_k p^k (1-p) [ sum_{j=1..k} (tau + E b_j) + E[T | T <= tau] ] / (1 - p^(R+1)),
E b_j = mean jittered backoff (full: b/2, equal: 3b/4, none: b),
b_j = min(backoff * mult^(j-1), max_backoff).
"""
import mpmath as mp

mp.mp.dps = 20


def erlang_c(c, a):
    # From the stationary distribution of M/M/c: P(N >= c).
    head = mp.fsum(a**n / mp.factorial(n) for n in range(c))
    tail = a**c / mp.factorial(c) * c / (c - a)
    return tail / (head + tail)


def sojourn_tail(lam, mu, c, t):
    C = erlang_c(c, lam / mu)
    theta = c * mu - lam
    # P(Wq + S > t | wait), Wq | wait ~ Exp(theta), S ~ Exp(mu):
    # P(W > t) + int_0^t theta e^{-theta w} P(S > t - w) dw
    conv = mp.quad(lambda w: theta * mp.e ** (-theta * w) * mp.e ** (-mu * (t - w)), [0, t]) + mp.e ** (-theta * t)
    return (1 - C) * mp.e ** (-mu * t) + C * conv


def sojourn_density(lam, mu, c, t):
    # (1 - C) mu e^{-mu t} + C (theta e^{-theta .} * mu e^{-mu .})(t), the convolution
    # as a closed integral evaluated by quadrature.
    C = erlang_c(c, lam / mu)
    theta = c * mu - lam
    conv = mp.quad(lambda w: theta * mp.e ** (-theta * w) * mu * mp.e ** (-mu * (t - w)), [0, t])
    return (1 - C) * mu * mp.e ** (-mu * t) + C * conv


def mean_backoff(j, backoff, mult, cap, jitter):
    b = backoff * mp.mpf(mult) ** (j - 1)
    if cap is not None:
        b = min(b, cap)
    return {"full": b / 2, "equal": 3 * b / 4, "none": b}[jitter]


def analyse(name, lam, mu, c, tau, R, backoff=0, mult=2, cap=None, jitter="full"):
    lam, mu, tau = mp.mpf(lam), mp.mpf(mu), mp.mpf(tau)
    capacity = c * mu
    F = lambda L: lam * mp.fsum(sojourn_tail(L, mu, c, tau) ** k for k in range(R + 1))
    g = lambda L: F(L) - L
    n = 400
    xs = [lam + (capacity - lam) * (1 - mp.mpf(10) ** (-mp.mpf(9) * i / n)) for i in range(n)]
    xs = sorted(set(xs + [lam + (capacity - lam) * i / n for i in range(n)]))
    roots = []
    gs = [g(x) for x in xs]
    for (a, ga), (b, gb) in zip(zip(xs, gs), zip(xs[1:], gs[1:])):
        if ga == 0:
            roots.append((a, True))
        elif (ga > 0) != (gb > 0) and gb != 0:
            r = mp.findroot(g, (a, b), solver="illinois")
            roots.append((r, ga > 0))
    print(f"== {name}: lam={lam} mu={mu} c={c} tau={tau} R={R}; overload state: {lam * (R + 1) >= capacity}")
    for L, stable in roots:
        p = sojourn_tail(L, mu, c, tau)
        Fcdf = 1 - p
        cond = mp.quad(lambda t: t * sojourn_density(L, mu, c, t), [0, tau]) / Fcdf
        succ = 1 - p ** (R + 1)
        tot, before = 0, 0
        for k in range(R + 1):
            if k > 0:
                before += tau + mean_backoff(k, backoff, mult, cap, jitter)
            tot += p**k * (1 - p) * (before + cond)
        lat = tot / succ
        print(f"  L={mp.nstr(L, 17)} stable={stable} p={mp.nstr(p, 17)} amp={mp.nstr(L / lam, 17)} "
              f"success={mp.nstr(succ, 17)} E[T|T<=tau]={mp.nstr(cond, 17)} latency={mp.nstr(lat, 17)}")


analyse("A metastable M/M/1", 3, 10, 1, 0.5, 3, backoff=0.1, jitter="full")
analyse("B healthy M/M/4", 15, 10, 4, 0.3, 1, backoff=0.05, jitter="equal")
analyse("C storm M/M/1", 7, 10, 1, 0.5, 3, backoff=0.1)
analyse("D metastable M/M/8, capped backoff", 30, 5, 8, 0.6, 2, backoff=0.2, mult=3, cap=0.5, jitter="none")
