"""ln Q(a, x) at x = a*lam beyond Temme's table (lam >= 3), 50 digits (mpmath).

Reference for special.rs `gamma_upper_series_against_mpmath`. Run: python3 this.py
"""
import mpmath as mp

mp.mp.dps = 50
for a in (10**3, 10**6, 10**9):
    for lam in ("3", "3.33", "5", "10", "100"):
        # x as the double a*lam (the code receives u = lam - 1 and forms a*(1 + u)).
        x = mp.mpf(float(a) * float(lam))
        q = mp.gammainc(a, x, mp.inf, regularized=True)
        print(f"({float(a):e}, {lam}, {mp.nstr(mp.log(q), 25)}),")
