"""Taylor coefficients of Temme's c_k(eta) for the uniform asymptotic expansion of the
regularised incomplete gamma functions (DLMF 8.12.3-8.12.10), the table TEMME_C in
src/analytic/single/special.rs.

    Q(a, x) = erfc(eta sqrt(a/2))/2 + R_a(eta),
    R_a(eta) ~ exp(-a eta^2/2)/sqrt(2 pi a) * sum_k c_k(eta) a^-k,
    eta^2/2 = lam - 1 - ln lam, sign(eta) = sign(lam - 1), lam = x/a,
    c_0 = 1/(lam - 1) - 1/eta,
    c_k = (1/eta) dc_{k-1}/deta + (-1)^k g_k/(lam - 1)   (DLMF 8.12.9),
    g_k the Stirling coefficients of Gamma*(a) ~ sum g_k a^-k (DLMF 5.11.3).

Everything is exact rational arithmetic (fractions.Fraction); the printed doubles are the
correctly rounded values. u = lam - 1 = sum b_n eta^n follows from u u' = eta (1 + u)
(differentiate eta^2/2 = u - ln(1 + u)), i.e. u^2 = eta^2 + 2 int eta u:
    b_1 = 1, b_n = (2 b_{n-1}/(n + 1) - sum_{i=2}^{n-1} b_i b_{n+1-i}) / 2.
1/u = (1/eta) / (u/eta); each step of the recursion loses two orders, and the 1/eta
terms cancel exactly (checked). Spot checks: c_0(0) = -1/3, c_1(0) = -1/540,
c_2(0) = 25/6048.

Run: python3 tests/reference/temme_coefficients.py  (prints the Rust table; < 1 s)
"""
from fractions import Fraction as F
from math import comb

K = 6          # c_0 .. c_6
NT = 40        # Taylor terms kept per c_k
N = NT + 2 * K + 4

# u = lam - 1 as a series in eta.
b = [F(0), F(1)]
for n in range(2, N + 2):
    s = sum(b[i] * b[n + 1 - i] for i in range(2, n))
    b.append((F(2) * b[n - 1] / (n + 1) - s) / 2)

# v = u/eta, inv = 1/v.
v = b[1:N + 2]
inv = [F(1) / v[0]]
for n in range(1, len(v)):
    inv.append(-sum(v[i] * inv[n - i] for i in range(1, n + 1)) / v[0])

# Bernoulli numbers and the Stirling coefficients g_k of Gamma*(a).
def bernoulli(n):
    B = [F(1)]
    for m in range(1, n + 1):
        B.append(-sum(comb(m + 1, j) * B[j] for j in range(m)) / (m + 1))
    return B

Bn = bernoulli(2 * K + 4)
# ln Gamma*(a) = sum_{n>=1} B_{2n} / (2n (2n - 1)) a^{1-2n}: a series in z = 1/a.
L = [F(0)] * (K + 2)
for n in range(1, K + 2):
    if 2 * n - 1 <= K + 1:
        L[2 * n - 1] = Bn[2 * n] / (2 * n * (2 * n - 1))
# exp of the series: E' = L' E.
E = [F(1)] + [F(0)] * (K + 1)
for n in range(1, K + 2):
    E[n] = sum(j * L[j] * E[n - j] for j in range(1, n + 1)) / n
g = E
assert g[1] == F(1, 12) and g[2] == F(1, 288) and g[3] == F(-139, 51840)

c = [[inv[n + 1] for n in range(len(inv) - 1)]]   # c_0 = (inv - 1)/eta
for k in range(1, K + 1):
    prev = c[-1]
    sk = (-1) ** k * g[k]
    # (1/eta) prev' has 1/eta coefficient prev[1]; sk/u has sk * inv[0] = sk.
    assert prev[1] + sk == 0, k
    c.append([(n + 2) * prev[n + 2] + sk * inv[n + 1]
              for n in range(min(len(prev) - 2, len(inv) - 1))])
assert c[0][0] == F(-1, 3) and c[1][0] == F(-1, 540) and c[2][0] == F(25, 6048)

if __name__ == "__main__":
    print(f"// {K + 1} x {NT}: TEMME_C[k][n] = coefficient of eta^n in c_k(eta).")
    print(f"const TEMME_C: [[f64; {NT}]; {K + 1}] = [")
    for k in range(K + 1):
        print("    [")
        for n in range(NT):
            print(f"        {float(c[k][n])!r},")
        print("    ],")
    print("];")
    import sys
    for k in range(K + 1):
        print(f"c_{k}: |coef| at n = 0, 10, 20, 30, 39:",
              [f"{abs(float(c[k][n])):.2e}" for n in (0, 10, 20, 30, 39)], file=sys.stderr)
