"""Reference values for Var(N), Var(W), Var(Wq) (tests/integration/variance.rs),
computed here with mpmath (40 digits) by methods other than kendall's closed forms:

- M/M/10, lambda = 800/s, mean service 10 ms: Var(N) by summing n^2 pi_n over the
  stationary law itself (pi_n from its definition, the sum to n = 3000); Var(Wq) and
  Var(W) by numerical integration of t^2 against the laws (W = Wq + S, the density of
  the convolution integrated numerically).
- M/G/1 (Poisson 0.6/s, Erlang-3 service of mean 1 s): E[Wq] and E[Wq^2] by numerical
  differentiation of the Pollaczek-Khinchine transform of the wait,
  W*(s) = (1 - rho) s / (s - lambda (1 - B*(s))), B*(s) = (k mu / (k mu + s))^k,
  then Var(W) = Var(Wq) + Var(S) and Var(N) by differentiating the P-K transform of N
  (the number of Poisson arrivals during a sojourn): N(z) = W*(lambda (1 - z)) B*(lambda (1 - z)).

Run: python3 tests/reference/variance_reference.py
"""
from mpmath import mp, mpf, exp, quad, factorial, diff, inf

mp.dps = 40

# --- M/M/10 -------------------------------------------------------------------
c, lam, mu = 10, mpf(800), mpf(100)
a = lam / mu
rho = a / c
w = [a**n / factorial(n) for n in range(c)] + [a**c / factorial(c) * rho**k for k in range(3000)]
norm = sum(w)
pi = [x / norm for x in w]
EN = sum(n * p for n, p in enumerate(pi))
EN2 = sum(n * n * p for n, p in enumerate(pi))
print("M/M/10: L =", mp.nstr(EN, 20), " Var(N) =", mp.nstr(EN2 - EN**2, 20))
C = sum(pi[c:])
theta = c * mu - lam
# Wq: atom 1 - C at 0, density C theta e^{-theta t}.
EWq = quad(lambda t: t * C * theta * exp(-theta * t), [0, inf])
EWq2 = quad(lambda t: t * t * C * theta * exp(-theta * t), [0, inf])
print("  Var(Wq) =", mp.nstr(EWq2 - EWq**2, 20))
# W = Wq + S: density (1 - C) mu e^{-mu t} + C (theta mu / (mu - theta)) (e^{-theta t} - e^{-mu t}).
fW = lambda t: (1 - C) * mu * exp(-mu * t) + C * theta * mu / (mu - theta) * (exp(-theta * t) - exp(-mu * t))
EW = quad(lambda t: t * fW(t), [0, inf])
EW2 = quad(lambda t: t * t * fW(t), [0, inf])
print("  Var(W) =", mp.nstr(EW2 - EW**2, 20), " (E[W] =", mp.nstr(EW, 20), ")")

# --- M/E3/1 ---------------------------------------------------------------------
lam, k, mean = mpf("0.6"), 3, mpf(1)
rate = k / mean
rho = lam * mean
B = lambda s: (rate / (rate + s)) ** k
Wq = lambda s: (1 - rho) * s / (s - lam * (1 - B(s)))
m1 = -diff(Wq, mpf("1e-30"), 1)
m2 = diff(Wq, mpf("1e-30"), 2)
print("M/E3/1: E[Wq] =", mp.nstr(m1, 20), " Var(Wq) =", mp.nstr(m2 - m1**2, 20))
var_s = mean**2 / k
print("  Var(W) =", mp.nstr(m2 - m1**2 + var_s, 20))
Nz = lambda z: Wq(lam * (1 - z)) * B(lam * (1 - z))
n1 = diff(Nz, mpf(1) - mpf("1e-30"), 1)
n2 = diff(Nz, mpf(1) - mpf("1e-30"), 2)
print("  L =", mp.nstr(n1, 20), " Var(N) =", mp.nstr(n2 + n1 - n1**2, 20))

# --- M/M/3/10 (finite buffer) and M/M/2/40 above saturation -------------------------
# The stationary law from the balance equations (birth-death products), normalised;
# an admitted arrival finding n >= c waits Erlang(n - c + 1, c mu): its LST is
# (c mu / (c mu + s))^(n - c + 1), and E[Wq^2] is the transform's second derivative.
for lam, mu, c, K in [(mpf("2.5"), mpf(1), 3, 10), (mpf("3"), mpf(1), 2, 40)]:
    w = [mpf(1)]
    for n in range(1, K + 1):
        w.append(w[-1] * lam / (min(n, c) * mu))
    Z = sum(w)
    pi = [x / Z for x in w]
    EN = sum(n * p for n, p in enumerate(pi))
    VN = sum((n - EN) ** 2 * p for n, p in enumerate(pi))
    admit = 1 - pi[K]
    Wq = lambda s: sum(pi[n] / admit * ((c * mu / (c * mu + s)) ** (n - c + 1) if n >= c else 1)
                       for n in range(K))
    m1 = -diff(Wq, mpf(0), 1)
    m2 = diff(Wq, mpf(0), 2)
    print(f"M/M/{c}/{K} lambda {lam}: L =", mp.nstr(EN, 20), " Var(N) =", mp.nstr(VN, 20))
    print("  Wq =", mp.nstr(m1, 20), " Var(Wq) =", mp.nstr(m2 - m1**2, 20),
          " Var(W) =", mp.nstr(m2 - m1**2 + 1 / mu**2, 20))
