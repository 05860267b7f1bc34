"""Reference values for M/G/1 with Poisson server interruptions
(src/analytic/single/interruption.rs), by a method independent of its transforms.

Run: python3 tests/reference/interruption_reference.py

With exponential service (rate mu) and exponential interruptions (rate nu, length
Exp(rate theta)), no replays, the queue is a two-class preemptive-priority M/M/1: a
CTMC on (i interruptions, n messages). Here the chain is truncated (i <= I, n <= N,
probabilities at the edges below 1e-15) and solved by Gauss-Seidel in floating point;
the mean sojourn is E[n]/lambda (Little). The sojourn distribution of a message follows
its own absorbing chain from the state it finds (PASTA): (i, j) with j the messages up
to and including it (later arrivals do not delay it), i -> i + 1 at nu, i -> i - 1 at
theta when i > 0, j -> j - 1 at mu when i = 0, done at j = 0. P(T > t) by
uniformisation.
"""
import math


def solve(lam, mu, nu, theta, I=40, N=400, sweeps=20000, tol=1e-15):
    idx = lambda i, n: i * (N + 1) + n
    p = [1.0 / ((I + 1) * (N + 1))] * ((I + 1) * (N + 1))
    for sweep in range(sweeps):
        delta = 0.0
        for i in range(I + 1):
            for n in range(N + 1):
                out = (lam if n < N else 0) + (nu if i < I else 0) + (theta if i > 0 else 0) + (
                    mu if (i == 0 and n > 0) else 0)
                inflow = 0.0
                if n > 0:
                    inflow += p[idx(i, n - 1)] * lam
                if i > 0:
                    inflow += p[idx(i - 1, n)] * nu
                if i < I:
                    inflow += p[idx(i + 1, n)] * theta
                if i == 0 and n < N:
                    inflow += p[idx(0, n + 1)] * mu
                new = inflow / out
                delta = max(delta, abs(new - p[idx(i, n)]))
                p[idx(i, n)] = new
        s = sum(p)
        p = [x / s for x in p]
        if delta < tol:
            break
    else:
        raise RuntimeError(f"Gauss-Seidel did not converge: last change {delta}")
    edge = max(sum(p[idx(I, n)] for n in range(N + 1)), sum(p[idx(i, N)] for i in range(I + 1)))
    en = sum(p[idx(i, n)] * n for i in range(I + 1) for n in range(N + 1))
    return p, en / lam, edge, idx


def sojourn_tail(p, idx, lam, mu, nu, theta, I, N, t):
    # Tagged message: start (i, n + 1) with probability p(i, n) (PASTA).
    rate = nu + theta + mu
    J = N + 1
    v = {}
    for i in range(I + 1):
        for n in range(N + 1):
            if p[idx(i, n)] > 0:
                v[(i, n + 1)] = v.get((i, n + 1), 0.0) + p[idx(i, n)]
    y = rate * t
    k = 0
    weight = math.exp(-y)
    tail = weight * sum(v.values())
    kmax = int(y + 12 * math.sqrt(y) + 50)
    for k in range(1, kmax):
        w = {}
        for (i, j), x in v.items():
            stay = rate
            if i < I:
                w[(i + 1, j)] = w.get((i + 1, j), 0.0) + x * nu / rate
                stay -= nu
            if i > 0:
                w[(i - 1, j)] = w.get((i - 1, j), 0.0) + x * theta / rate
                stay -= theta
            elif j > 1:
                w[(0, j - 1)] = w.get((0, j - 1), 0.0) + x * mu / rate
                stay -= mu
            else:
                stay -= mu  # absorbed
            w[(i, j)] = w.get((i, j), 0.0) + x * stay / rate
        v = {key: x for key, x in w.items() if x > 1e-300}
        weight *= y / k
        tail += weight * sum(v.values())
    return tail


if __name__ == "__main__":
    lam, mu, nu, theta = 0.5, 1.0, 0.05, 0.25
    I, N = 30, 260
    p, w, edge, idx = solve(lam, mu, nu, theta, I, N)
    print(f"lam={lam} mu={mu} nu={nu} theta={theta}: W = {w!r} (edge mass {edge:.2e})")
    for t in [1.0, 5.0, 20.0, 60.0]:
        print(f"P(T > {t}) = {sojourn_tail(p, idx, lam, mu, nu, theta, I, N, t)!r}")
