"""The 31-point Gauss-Kronrod rule and its embedded 15-point Gauss rule on [-1, 1]
(src/analytic/single/special.rs, GK31_X / GK31_WK / GK31_WG), computed here from their
definitions in mpmath at 60 digits, independently of any published table:

- Gauss: the zeros of the Legendre polynomial P_n (Newton), weights 2/((1 - x^2) P_n'(x)^2);
- Kronrod: the n + 1 added nodes are the zeros of the Stieltjes polynomial E_{n+1},
  orthogonal to every polynomial of degree <= n with the weight P_n (E_{n+1} solved for
  in the Legendre basis), found between consecutive Gauss nodes; the weights of all
  2n + 1 nodes integrate P_0..P_{2n} exactly.

Each rule is checked to integrate x^d exactly up to degree 3n + 1 (Kronrod), every weight
positive. The n = 15 table is printed (positive nodes, descending; the Gauss nodes are every
other one, x_1, x_3, ..., x_15 = 0).

Run: python3 tests/reference/gauss_kronrod.py  (a few seconds)
"""
import mpmath as mp
mp.mp.dps = 60

def legendre_all(n, x):
    """P_0..P_n at x (three-term recurrence)."""
    p = [mp.mpf(1), x]
    for k in range(1, n):
        p.append(((2 * k + 1) * x * p[k] - k * p[k - 1]) / (k + 1))
    return p[: n + 1]

def gauss(n):
    xs, ws = [], []
    for i in range(1, n + 1):
        x = mp.cos(mp.pi * (i - mp.mpf(1) / 4) / (n + mp.mpf(1) / 2))
        for _ in range(100):
            p = legendre_all(n, x)
            dp = n * (x * p[n] - p[n - 1]) / (x * x - 1)
            dx = p[n] / dp
            x -= dx
            if abs(dx) < mp.mpf(10) ** (-mp.mp.dps + 5):
                break
        p = legendre_all(n, x)
        dp = n * (x * p[n] - p[n - 1]) / (x * x - 1)
        xs.append(x)
        ws.append(2 / ((1 - x * x) * dp * dp))
    return xs, ws

def kronrod(n):
    gx, gw = gauss(n)
    big_x, big_w = gauss(3 * n + 4)  # exact for the products below
    J = [j for j in range(n + 2) if (j - (n + 1)) % 2 == 0]
    unknown = [j for j in J if j != n + 1]
    # Conditions: int P_n E P_k = 0, k = 0..n (only those not trivially zero).
    rows, rhs = [], []
    for k in range(n + 1):
        def integ(j):
            return mp.fsum(w * legendre_all(max(n, j, k), x)[n] * legendre_all(max(n, j, k), x)[j]
                           * legendre_all(max(n, j, k), x)[k] for x, w in zip(big_x, big_w))
        row = [integ(j) for j in unknown]
        r = -integ(n + 1)
        if max(abs(v) for v in row + [r]) > mp.mpf(10) ** -40:
            rows.append(row)
            rhs.append(r)
    A = mp.matrix(rows)
    b = mp.matrix(rhs)
    if A.rows > A.cols:
        a = mp.lu_solve(A.T * A, A.T * b)
    else:
        a = mp.lu_solve(A, b)
    coef = dict(zip(unknown, a))
    coef[n + 1] = mp.mpf(1)
    E = lambda x: mp.fsum(coef[j] * legendre_all(n + 1, x)[j] for j in J)
    pts = [mp.mpf(-1)] + sorted(gx) + [mp.mpf(1)]
    kx = []
    for lo, hi in zip(pts[:-1], pts[1:]):
        kx.append(mp.findroot(E, (lo + mp.mpf(10)**-30, hi - mp.mpf(10)**-30), solver="anderson"))
    nodes = sorted(gx + kx)
    N = len(nodes)
    M = mp.matrix(N, N)
    for i, x in enumerate(nodes):
        p = legendre_all(N - 1, x)
        for k in range(N):
            M[k, i] = p[k]
    r = mp.matrix([2 if k == 0 else 0 for k in range(N)])
    w = mp.lu_solve(M, r)
    # exactness check up to degree 3n + 1
    for d in range(3 * n + 2):
        exact = mp.mpf(2) / (d + 1) if d % 2 == 0 else 0
        got = mp.fsum(w[i] * nodes[i] ** d for i in range(N))
        assert abs(got - exact) < mp.mpf(10) ** -45, (n, d, got - exact)
    d = 3 * n + 2 + (1 if (3 * n + 2) % 2 else 0)
    exact = mp.mpf(2) / (d + 1)
    got = mp.fsum(w[i] * nodes[i] ** d for i in range(N))
    assert abs(got - exact) > mp.mpf(10) ** -30  # not exact beyond
    for i in range(N):
        assert w[i] > 0
    return gx, gw, nodes, w


# Rust table for n = 15: K31 nodes x_0 > x_1 > ... > x_15 = 0 on [0, 1]; the Gauss
# nodes are x_1, x_3, ..., x_15.
gx, gw, kx, kw = kronrod(15)
pos = [(x, kw[i]) for i, x in enumerate(kx) if x >= 0]
pos.sort(key=lambda p: -p[0])
gpos = sorted([(x, w) for x, w in zip(gx, gw) if x >= 0], key=lambda p: -p[0])
for j, (x, w) in enumerate(gpos):
    assert abs(pos[2 * j + 1][0] - x) < mp.mpf(10) ** -50
for name, values in [("GK31_X", [x for x, _ in pos]), ("GK31_WK", [w for _, w in pos]),
                     ("GK31_WG", [w for _, w in gpos])]:
    print(f"{name}:")
    for v in values:
        print(f"    {mp.nstr(v, 20, min_fixed=-30, max_fixed=30) if abs(v) > mp.mpf(10)**-40 else '0.0'},")
