"""Reference values for src/analytic/ctmc tests, computed with mpmath at 50 digits.

Run: python3 tests/reference/ctmc_reference.py
Each value is computed from the textbook closed form by exact summation in
high precision, independently of kendall's code.
"""
from mpmath import mp, mpf, factorial, exp

mp.dps = 50

# Erlang B(c = 10, a = 5) = (a^c / c!) / sum_{k<=c} a^k / k!  (Erlang loss formula)
a, c = mpf(5), 10
print("erlang_b(10, 5) =", (a**c / factorial(c)) / sum(a**k / factorial(k) for k in range(c + 1)))

# M/M/c/K with c = 10, lambda = 9.5, mu = 1, K = 999_999 (10^6 states):
# pi_0 = 1 / (sum_{n<c} a^n/n! + a^c/c! * sum_{j=0}^{K-c} rho^j), rho = a/c.
a, c, K = mpf("9.5"), 10, 999_999
rho = a / c
geo = (1 - rho ** (K - c + 1)) / (1 - rho)
p0 = 1 / (sum(a**n / factorial(n) for n in range(c)) + a**c / factorial(c) * geo)
print("mmck(9.5, 1, 10, 999999) pi_0 =", p0)
print("mmck(9.5, 1, 10, 999999) pi_10 =", p0 * a**c / factorial(c))
print("mmck(9.5, 1, 10, 999999) pi_100 =", p0 * a**c / factorial(c) * rho ** 90)
# Mean number in system L = sum n pi_n (tail beyond n = 20000 is below 1e-400).
L = sum(n * p0 * a**n / factorial(n) for n in range(c)) + sum(
    n * p0 * a**c / factorial(c) * rho ** (n - c) for n in range(c, 20000)
)
print("mmck(9.5, 1, 10, 999999) L =", L)

# Two-state chain a = 1 (0 -> 1), b = 3 (1 -> 0), start in 0, t = 0.5:
# p0(t) = b/(a+b) + (1 - b/(a+b)) exp(-(a+b) t)
print("two_state(1, 3, t=0.5) =", mpf(3) / 4 + mpf(1) / 4 * exp(-2))
