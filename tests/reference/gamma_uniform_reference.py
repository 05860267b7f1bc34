"""Reference values for Temme's uniform expansion of the regularised incomplete gamma
functions (`gamma_uniform`, src/analytic/single/special.rs): mpmath's gammainc at 50
digits for the upper function (its own series / continued fractions, not Temme's
expansion), and the lower one from the series
    P(a, x) = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a + 1)...(a + k))
(mpmath's lower gammainc gives up at a = 10^6). For x/a >= 1 the upper function
Q(a, x) is printed, below 1 the lower P(a, x): the tail that is small; as its natural
log, since most underflow a double.

Run: python3 tests/reference/gamma_uniform_reference.py  (about a minute)
"""
import mpmath as mp

mp.mp.dps = 50

A = [1e3, 1e4, 1e5, 1e6, 1e8, 1e10]
R = [0.3, 0.5, 0.9, 0.99, 0.999, 1.0, 1.001, 1.01, 1.1, 1.5, 2.0, 3.0]

if __name__ == "__main__":
    for a in A:
        for r in R:
            am = mp.mpf(a)
            x = am * mp.mpf(r)
            if r >= 1:
                v = mp.gammainc(am, x, mp.inf, regularized=True)
            else:
                term = mp.mpf(1); tot = mp.mpf(0); k = 0
                while term > mp.mpf(10) ** -55 * tot or k == 0:
                    tot += term; k += 1; term *= x / (am + k)
                v = mp.exp(-x + am * mp.log(x) - mp.loggamma(am + 1)) * tot
            # ln of the value too (it underflows a double for large a).
            print(f"    ({a:e}, {r!r}, {mp.nstr(mp.log(v), 25)}),")
