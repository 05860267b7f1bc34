"""Reference values for the consumer-breakdown CTMC (src/analytic/single/breakdown.rs).

Run: python3 tests/reference/breakdown_reference.py

M/M/c with independent consumer breakdowns: Poisson arrivals (rate lam), exponential
service (rate mu), each of c consumers up for Exp(phi) and down for Exp(r); busy =
min(n, u). kendall truncates the chain at a level N and solves it with its sparse
solver. Here the same chain is solved WITHOUT truncation, as a quasi-birth-death
process with level n (messages) and phase u (consumers up): the matrix-geometric
solution pi_{c+k} = pi_c R^k (Neuts 1981), R from G by logarithmic reduction (Latouche
& Ramaswami 1993), boundary levels 0..c by a direct solve, all in mpmath at 40 digits.
"""
from mpmath import mp, mpf, matrix, eye, inverse, lu_solve, fsum

mp.dps = 40


def solve(c, lam, mu, phi, r):
    m = c + 1  # phases u = 0..c

    def T():
        t = matrix(m, m)
        for u in range(m):
            if u > 0:
                t[u, u - 1] = u * phi
            if u < c:
                t[u, u + 1] = (c - u) * r
        return t

    t = T()
    out = [fsum(t[u, v] for v in range(m)) for u in range(m)]

    def down(n):
        d = matrix(m, m)
        for u in range(m):
            d[u, u] = mu * min(n, u)
        return d

    def local(n):
        b = matrix(m, m)
        for u in range(m):
            for v in range(m):
                b[u, v] = t[u, v]
            b[u, u] = -out[u] - lam - mu * min(n, u)
        return b

    A0 = lam * eye(m)
    A2 = down(c)
    A1 = local(c)
    # G: minimal solution of A2 + A1 G + A0 G^2 = 0 by logarithmic reduction.
    inv = inverse(-A1)
    B0 = inv * A0
    B2 = inv * A2
    G = B2.copy()
    Tm = B0.copy()
    I = eye(m)
    for _ in range(200):
        U = B0 * B2 + B2 * B0
        W = inverse(I - U)
        B0n = W * (B0 * B0)
        B2n = W * (B2 * B2)
        G = G + Tm * B2n
        Tm = Tm * B0n
        B0, B2 = B0n, B2n
        if max(abs(1 - fsum(G[u, v] for v in range(m))) for u in range(m)) < mpf(10) ** -35:
            break
    R = A0 * inverse(-(A1 + A0 * G))
    # Boundary levels 0..c: unknowns x = (pi_0, ..., pi_c), row vectors of size m.
    nlev = c + 1
    N = nlev * m
    M = matrix(N, N)  # equations as columns: x M = 0  ->  M^T x^T = 0

    def put(i_lev, j_lev, blk):
        for a in range(m):
            for b in range(m):
                M[i_lev * m + a, j_lev * m + b] += blk[a, b]

    for n in range(nlev):
        if n < c:
            put(n, n, local(n))
            put(n, n + 1, A0)
        else:
            put(n, n, A1 + R * A2)
        if n > 0:
            put(n, n - 1, down(n))
    IR = inverse(I - R)
    ones = matrix(m, 1)
    for a in range(m):
        ones[a] = 1
    norm_c = IR * ones
    # Replace the last equation by the normalisation.
    Mt = M.T
    for j in range(N):
        Mt[N - 1, j] = 0
    for n in range(c):
        for a in range(m):
            Mt[N - 1, n * m + a] = 1
    for a in range(m):
        Mt[N - 1, c * m + a] = norm_c[a]
    rhs = matrix(N, 1)
    rhs[N - 1] = 1
    x = lu_solve(Mt, rhs)
    pi = [[x[n * m + a] for a in range(m)] for n in range(nlev)]
    pic = matrix(1, m)
    for a in range(m):
        pic[0, a] = pi[c][a]
    # L = sum_{n<c} n |pi_n| + pi_c [c (I-R)^-1 + R (I-R)^-2] 1
    L = fsum(n * fsum(pi[n]) for n in range(c))
    L += (pic * (c * IR + R * IR * IR) * ones)[0, 0]
    busy = fsum(min(n, u) * pi[n][u] for n in range(c) for u in range(m))
    tail = pic * IR  # sum_{n>=c} pi_n
    busy += fsum(u * tail[0, u] for u in range(m))
    avail = (fsum(u * fsum(pi[n][u] for n in range(c)) for u in range(m)) + fsum(u * tail[0, u] for u in range(m))) / c
    # P(wait) by PASTA: P(n >= u).
    pwait = fsum(pi[n][u] for n in range(c) for u in range(m) if n >= u) + fsum(tail[0, u] for u in range(m))
    W = L / lam
    Wq = W - 1 / mu
    Lq = L - busy
    eta = max(abs(e) for e in mp.eig(R)[0])
    return dict(L=L, Lq=Lq, W=W, Wq=Wq, util=busy / c, avail=avail, pwait=pwait, eta=eta)


for name, args in [
    ("example c=4 lam=150 mu=50 phi=1/120 r=1/10", (4, mpf(150), mpf(50), 1 / mpf(120), 1 / mpf(10))),
    ("single c=1 lam=0.5 mu=1 phi=0.1 r=1", (1, mpf("0.5"), mpf(1), mpf("0.1"), mpf(1))),
    ("pair c=2 lam=1 mu=1 phi=0.05 r=0.5", (2, mpf(1), mpf(1), mpf("0.05"), mpf("0.5"))),
]:
    s = solve(*args)
    print(name)
    for k in ("L", "Lq", "W", "Wq", "util", "avail", "pwait", "eta"):
        print(f"  {k} = {mp.nstr(s[k], 17)}")
