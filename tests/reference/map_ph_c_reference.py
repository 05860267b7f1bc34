"""Reference values for the MAP/PH/c solver (tests/integration/map_ph_c.rs), computed
here without the matrix-geometric R or G and without uniformisation:

- the stationary law of the CTMC truncated at N messages (arrivals refused there; the
  mass beyond is far below 1e-20), its states (n, arrival phase, service phase of each
  busy consumer counted per phase) enumerated from the queue's own rules, solved by
  block Gaussian elimination from the top level down, in mpmath with 40 digits;
- the wait and sojourn tails from their Laplace transforms: an arrival that finds
  c + j messages (weighted by the arrival rate of its phase) waits for j + 1
  completions, E[e^{-sWq}] = P(no wait) + sum_j z_j ((sI - S0)^{-1} S1)^{j+1} 1, the
  sojourn adding its own service alpha (sI - T)^{-1} t; inverted by Talbot's method
  (mpmath.invertlaplace); E[Wq^2] from the transform's second derivative at 0.

Run: python3 tests/reference/map_ph_c_reference.py   (about a minute)
"""
from itertools import product

from mpmath import mp, mpf, matrix, inverse, zeros, eye, invertlaplace, diff, findroot

mp.dps = 40


def compositions(n, m):
    """Tuples of m non-negative integers summing to n."""
    return [k for k in product(range(n + 1), repeat=m) if sum(k) == n]


def solve(D0, D1, alpha, T, c, N):
    ma, ms = D0.rows, T.rows
    t = [-sum(T[j, x] for x in range(ms)) for j in range(ms)]
    levels = []  # states per level: (a, config)
    for n in range(N + 1):
        configs = compositions(min(n, c), ms)
        levels.append([(a, k) for a in range(ma) for k in configs])
    index = [{s: i for i, s in enumerate(lv)} for lv in levels]

    def rates(n, state):
        """(target level, target state, rate) leaving `state` at level n."""
        a, k = state
        out = []
        for a2 in range(ma):
            if a2 != a and D0[a, a2] != 0:
                out.append((n, (a2, k), D0[a, a2]))
            if D1[a, a2] != 0 and n < N:
                if n < c:
                    for j in range(ms):
                        if alpha[j] != 0:
                            k2 = list(k); k2[j] += 1
                            out.append((n + 1, (a2, tuple(k2)), D1[a, a2] * alpha[j]))
                else:
                    out.append((n + 1, (a2, k), D1[a, a2]))
        for j in range(ms):
            if k[j] == 0:
                continue
            for j2 in range(ms):
                if j2 != j and T[j, j2] != 0:
                    k2 = list(k); k2[j] -= 1; k2[j2] += 1
                    out.append((n, (a, tuple(k2)), k[j] * T[j, j2]))
            if t[j] != 0:
                k2 = list(k); k2[j] -= 1
                if n > c:
                    for j2 in range(ms):
                        if alpha[j2] != 0:
                            k3 = list(k2); k3[j2] += 1
                            out.append((n - 1, (a, tuple(k3)), k[j] * t[j] * alpha[j2]))
                else:
                    out.append((n - 1, (a, tuple(k2)), k[j] * t[j]))
        return out

    U, L, D = [], [], []
    for n in range(N + 1):
        size = len(levels[n])
        Ln = zeros(size, size)
        Un = zeros(size, len(levels[n + 1])) if n < N else None
        Dn = zeros(size, len(levels[n - 1])) if n > 0 else None
        for i, s in enumerate(levels[n]):
            for (n2, s2, r) in rates(n, s):
                if n2 == n:
                    Ln[i, index[n][s2]] += r
                elif n2 == n + 1:
                    Un[i, index[n + 1][s2]] += r
                else:
                    Dn[i, index[n - 1][s2]] += r
                Ln[i, i] -= r
        U.append(Un); L.append(Ln); D.append(Dn)
    # Block elimination from the top: S_N = L_N, S_n = L_n + U_n (-S_{n+1})^{-1} D_{n+1}.
    S = [None] * (N + 1)
    S[N] = L[N]
    inv = [None] * (N + 1)
    for n in range(N - 1, -1, -1):
        inv[n + 1] = inverse(-S[n + 1])
        S[n] = L[n] + U[n] * inv[n + 1] * D[n + 1]
    # pi_0 S_0 = 0: replace the last equation by the normalisation (rescaled later).
    A = S[0].T
    size0 = A.rows
    for j in range(size0):
        A[size0 - 1, j] = 1
    b = zeros(size0, 1); b[size0 - 1] = 1
    pi = [mp.lu_solve(A, b).T]
    for n in range(N):
        pi.append(pi[n] * U[n] * inv[n + 1])
    total = sum(sum(p) for p in pi)
    pi = [p / total for p in pi]
    # Arrival rate per arrival phase and the mean rate.
    out_rate = [sum(D1[a, x] for x in range(ma)) for a in range(ma)]
    lam = sum(sum(pi[n][i] * out_rate[levels[n][i][0]] for i in range(len(levels[n])))
              for n in range(N + 1))
    P = [sum(p) for p in pi]
    L_ = sum(n * P[n] for n in range(N + 1))
    Lq = sum((n - c) * P[n] for n in range(c, N + 1))
    EN2 = sum(n * n * P[n] for n in range(N + 1))
    # What an arrival finds: z_j by configuration at level c + j.
    configs_c = compositions(c, ms)
    cidx = {k: i for i, k in enumerate(configs_c)}
    K = len(configs_c)
    z = []
    for n in range(c, N):
        row = [mpf(0)] * K
        for i, (a, k) in enumerate(levels[n]):
            row[cidx[k]] += pi[n][i] * out_rate[a] / lam
        z.append(row)
    pwait = sum(sum(r) for r in z)
    # The c busy consumers' configuration chain: S0 within, S1 completion + restart.
    S0 = zeros(K, K); S1 = zeros(K, K)
    for i, k in enumerate(configs_c):
        for j in range(ms):
            if k[j] == 0:
                continue
            S0[i, i] += k[j] * T[j, j]
            for j2 in range(ms):
                if j2 != j and T[j, j2] != 0:
                    k2 = list(k); k2[j] -= 1; k2[j2] += 1
                    S0[i, cidx[tuple(k2)]] += k[j] * T[j, j2]
            for j2 in range(ms):
                if alpha[j2] != 0 and t[j] != 0:
                    k2 = list(k); k2[j] -= 1; k2[j2] += 1
                    S1[i, cidx[tuple(k2)]] += k[j] * t[j] * alpha[j2]
    ones = matrix([1] * K)
    tcol = matrix(t)
    arow = matrix(1, ms)
    for j in range(ms):
        arow[0, j] = alpha[j]

    def wait_lst(s):
        M = inverse(s * eye(K) - S0) * S1
        v = M * ones  # M^{j+1} 1 for j = 0
        acc = 1 - pwait
        for j in range(len(z)):
            acc += sum(z[j][i] * v[i] for i in range(K))
            v = M * v
        return acc

    def service_lst(s):
        return (arow * inverse(s * eye(ms) - T) * tcol)[0, 0]

    def wait_tail(x):
        return invertlaplace(lambda s: (1 - wait_lst(s)) / s, x, method="talbot")

    def sojourn_tail(x):
        return invertlaplace(lambda s: (1 - wait_lst(s) * service_lst(s)) / s, x, method="talbot")

    ew2 = diff(wait_lst, mpf("1e-30"), 2)
    es = diff(service_lst, mpf("1e-30"), 1)
    es2 = diff(service_lst, mpf("1e-30"), 2)
    return dict(VarS=es2 - es ** 2, lam=lam, P0=P[0], L=L_, Lq=Lq, VarN=EN2 - L_ ** 2, Pwait=pwait,
                W=L_ / lam, Wq=Lq / lam, EWq2=ew2, wait_tail=wait_tail,
                sojourn_tail=sojourn_tail, tail_mass=P[N])


def erlang(k, mean):
    r = mpf(k) / mean
    T = zeros(k, k)
    for i in range(k):
        T[i, i] = -r
        if i + 1 < k:
            T[i, i + 1] = r
    alpha = [mpf(1)] + [mpf(0)] * (k - 1)
    return alpha, T


def hyper(branches):
    n = len(branches)
    T = zeros(n, n)
    for i, (p, m) in enumerate(branches):
        T[i, i] = -1 / mpf(m)
    return [mpf(p) for p, _ in branches], T


def report(name, r, times, p99_guess):
    print(f"== {name}  (mass at the truncation level {mp.nstr(r['tail_mass'], 3)})")
    for key in ["lam", "P0", "L", "Lq", "W", "Wq", "Pwait", "VarN"]:
        print(f"  {key:6} {mp.nstr(r[key], 17)}")
    varwq = r["EWq2"] - r["Wq"] ** 2
    print(f"  VarWq  {mp.nstr(varwq, 17)}")
    print(f"  VarW   {mp.nstr(varwq + r['VarS'], 17)}")
    for x in times:
        print(f"  P(Wq > {x}) {mp.nstr(r['wait_tail'](mpf(x)), 15)}")
        print(f"  P(W > {x})  {mp.nstr(r['sojourn_tail'](mpf(x)), 15)}")
    p99 = findroot(lambda x: r["sojourn_tail"](x) - mpf("0.01"), mpf(p99_guess))
    print(f"  p99 of W {mp.nstr(p99, 15)}")


if __name__ == "__main__":
    # M/E2/3: Poisson 2.1/s, Erlang-2 service of mean 1 s, three consumers (load 0.7).
    alpha, T = erlang(2, mpf(1))
    D0 = matrix([[-mpf("2.1")]]); D1 = matrix([[mpf("2.1")]])
    report("M/E2/3", solve(D0, D1, alpha, T, 3, 160), ["0.5", "2"], "3")
    # E2/H2/1: Erlang-2 gaps of mean 1 s; service H2 (0.4 of mean 0.3 s, 0.6 of 1.1 s).
    a_alpha, a_T = erlang(2, mpf(1))
    exit_ = [-sum(a_T[i, j] for j in range(2)) for i in range(2)]
    D0 = a_T
    D1 = matrix([[exit_[i] * a_alpha[j] for j in range(2)] for i in range(2)])
    alpha, T = hyper([("0.4", "0.3"), ("0.6", "1.1")])
    report("E2/H2/1", solve(D0, D1, alpha, T, 1, 450), ["1", "5"], "8")
    # MMPP(2)/E2/2: rates (1, 3), switches 0.2 and 0.3 per second; E2 of mean 0.8 s.
    D1 = matrix([[1, 0], [0, 3]])
    D0 = matrix([[-mpf("1.2"), mpf("0.2")], [mpf("0.3"), -mpf("3.3")]])
    alpha, T = erlang(2, mpf("0.8"))
    report("MMPP(2)/E2/2", solve(D0, D1, alpha, T, 2, 700), ["1", "4"], "6")
    # MMPP(2)/M/2, the same arrivals, exponential service of mean 0.8 s.
    report("MMPP(2)/M/2", solve(D0, D1, [mpf(1)], matrix([[-1 / mpf("0.8")]]), 2, 700),
           ["1", "4"], "6")
