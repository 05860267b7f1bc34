"""Reference values for MMPP/PH/1 (tests/integration/mmpp.rs), computed here without
the matrix-geometric R: the CTMC truncated at 1 500 messages (arrivals refused there; the
mass beyond is far below 1e-15) is solved exactly by block Gaussian elimination from the
top level down (linear level reduction), in mpmath with 30 digits.

The queue: MMPP(2) with rates (0.5, 1.2) per second, phase switches 0.1 and 0.2 per
second; one consumer; Erlang-2 service of mean 1 s (two phases of rate 2).

Run: python3 tests/reference/mmpp_ph1_reference.py   (about a minute)
"""
from mpmath import mp, mpf, matrix, inverse, zeros, eye

mp.dps = 30
N = 1500
lam = [mpf("0.5"), mpf("1.2")]
sw = [[0, mpf("0.1")], [mpf("0.2"), 0]]
k, rate = 2, mpf(2)
ma, ms = 2, 2
m = ma * ms


def idx(i, j):
    return i * ms + j


# Service: phase j -> j + 1 at rate 2, phase 1 -> done at rate 2; start in phase 0.
T = matrix([[-rate, rate], [0, -rate]])
t = [0, rate]
A0 = zeros(m, m)
A1 = zeros(m, m)
A2 = zeros(m, m)
for i in range(ma):
    for j in range(ms):
        A0[idx(i, j), idx(i, j)] = lam[i]
        for i2 in range(ma):
            if i2 != i:
                A1[idx(i, j), idx(i2, j)] = sw[i][i2]
        for j2 in range(ms):
            if j2 != j:
                A1[idx(i, j), idx(i, j2)] = T[j, j2]
        A2[idx(i, j), idx(i, 0)] = t[j]
for r in range(m):
    A1[r, r] = -(sum(A0[r, c] for c in range(m)) + sum(A1[r, c] for c in range(m) if c != r)
                 + sum(A2[r, c] for c in range(m)))
# Level 0 (phase i) and the boundary blocks.
B00 = zeros(ma, ma)
B01 = zeros(ma, m)
B10 = zeros(m, ma)
for i in range(ma):
    for i2 in range(ma):
        if i2 != i:
            B00[i, i2] = sw[i][i2]
    B01[i, idx(i, 0)] = lam[i]
    B00[i, i] = -(sum(sw[i]) + lam[i])
for i in range(ma):
    for j in range(ms):
        B10[idx(i, j), i] = t[j]
# Top level: no arrivals (their rate moved to the diagonal).
Atop = A1.copy()
for r in range(m):
    Atop[r, r] += A0[r, r]
# Downward reduction: U_N = Atop, U_n = A1 + A0 (-U_{n+1})^{-1} A2.
U = [None] * (N + 1)
U[N] = Atop
for n in range(N - 1, 0, -1):
    U[n] = A1 + A0 * inverse(-U[n + 1]) * A2
U0 = B00 + B01 * inverse(-U[1]) * B10
# pi0 U0 = 0: two phases, so pi0 ∝ (U0[1,0], U0[0,1]).
pi0 = matrix([[U0[1, 0], U0[0, 1]]])
levels = [pi0]
v = pi0 * B01 * inverse(-U[1])
levels.append(v)
for n in range(2, N + 1):
    v = v * A0 * inverse(-U[n])
    levels.append(v)
total = sum(sum(x) for x in levels)
levels = [x / total for x in levels]
P0 = sum(levels[0])
L = sum(n * sum(x) for n, x in enumerate(levels))
EN2 = sum(n * n * sum(x) for n, x in enumerate(levels))
theta = [sw[1][0] / (sw[0][1] + sw[1][0]), sw[0][1] / (sw[0][1] + sw[1][0])]
lbar = sum(th * l for th, l in zip(theta, lam))
pwait = 1 - sum(levels[0][i] * lam[i] for i in range(ma)) / lbar
print("lambda bar =", mp.nstr(lbar, 20))
print("P0 =", mp.nstr(P0, 20), " L =", mp.nstr(L, 20), " Var(N) =", mp.nstr(EN2 - L * L, 20))
print("W =", mp.nstr(L / lbar, 20), " P(wait) =", mp.nstr(pwait, 20))
print("mass at the top level:", mp.nstr(sum(levels[N]), 5))
