"""Reference values for src/analytic/mg1.rs, computed independently of kendall.

Run: python3 tests/reference/mg1_reference.py   (needs mpmath; 60-digit arithmetic)

1. M/D/1 waiting-time CDF by Erlang's (1909) alternating formula
   P(Wq <= t) = (1-rho) sum_{k=0}^{floor(t/D)} [lam(kD-t)]^k/k! e^{-lam(kD-t)},
   evaluated with mp.dps = 60 so the cancellation is harmless.  D = 1, lam = rho.
2. M/D/1 state probabilities by the classical closed form (Gross & Harris, 3rd ed.,
   sect. 5.1): p0 = 1-rho, p1 = (1-rho)(e^rho - 1),
   p_n = (1-rho) sum_{k=1}^{n} (-1)^{n-k} e^{k rho} [ (k rho)^{n-k}/(n-k)!
                                                  + (k rho)^{n-k-1}/(n-k-1)! ]  (n >= 2;
   the second term is absent for k = n).
3. M/G/1 waiting and sojourn CDFs for Erlang-2 and a 2-branch hyperexponential service
   by numerical Laplace inversion (Talbot) of the Pollaczek-Khinchine transform
   W*(s) = (1-rho) s / (s - lam + lam B*(s)); CDF = L^{-1}[W*(s)/s].
"""
import mpmath as mp

mp.mp.dps = 60


def erlang_md1_cdf(rho, t, D=1):
    lam = mp.mpf(rho) / D
    t = mp.mpf(t)
    s = mp.mpf(0)
    for k in range(int(mp.floor(t / D)) + 1):
        x = lam * (k * D - t)
        s += x**k / mp.factorial(k) * mp.exp(-x)
    return (1 - mp.mpf(rho)) * s


def md1_pn(rho, n):
    rho = mp.mpf(rho)
    if n == 0:
        return 1 - rho
    if n == 1:
        return (1 - rho) * (mp.e**rho - 1)
    s = mp.mpf(0)
    for k in range(1, n + 1):
        term = (k * rho) ** (n - k) / mp.factorial(n - k)
        if n - k - 1 >= 0:
            term += (k * rho) ** (n - k - 1) / mp.factorial(n - k - 1)
        s += (-1) ** (n - k) * mp.e ** (k * rho) * term
    return (1 - rho) * s


def pk_cdfs(lam, bstar, t):
    lam = mp.mpf(lam)
    rho_s = None
    def wq(s):
        return (1 - RHO) * s / (s - lam + lam * bstar(s))
    w = mp.invertlaplace(lambda s: wq(s) / s, t, method="talbot")
    soj = mp.invertlaplace(lambda s: wq(s) * bstar(s) / s, t, method="talbot")
    return w, soj


if __name__ == "__main__":
    print("# M/D/1 wait CDF, D = 1: (rho, t, P(Wq <= t))")
    for rho in ["0.5", "0.9"]:
        for t in ["0", "0.3", "1", "2.5", "7.25", "20", "40.5", "80"]:
            print(f"({rho}, {t}, {mp.nstr(erlang_md1_cdf(mp.mpf(rho), mp.mpf(t)), 20)}),")
    print("# M/D/1 P(N = n): (rho, n, p_n)")
    for rho in ["0.5", "0.9"]:
        for n in [0, 1, 2, 5, 10, 30]:
            print(f"({rho}, {n}, {mp.nstr(md1_pn(mp.mpf(rho), n), 20)}),")
    # Erlang-2, mean 1, lam = 0.9;  B*(s) = (2/(2+s))^2
    RHO = mp.mpf("0.9")
    print("# M/E2/1, E[S] = 1, lam = 0.9: (t, P(Wq<=t), P(W<=t))")
    for t in ["0.5", "2", "10", "40"]:
        w, s = pk_cdfs("0.9", lambda s: (2 / (2 + s)) ** 2, mp.mpf(t))
        print(f"({t}, {mp.nstr(w, 20)}, {mp.nstr(s, 20)}),")
    # H2: p = 0.9 mean 0.5, p = 0.1 mean 5.5 -> E[S] = 1; lam = 0.5
    RHO = mp.mpf("0.5")
    b = lambda s: mp.mpf("0.9") / (1 + mp.mpf("0.5") * s) + mp.mpf("0.1") / (1 + mp.mpf("5.5") * s)
    print("# M/H2/1, E[S] = 1, lam = 0.5: (t, P(Wq<=t), P(W<=t))")
    for t in ["0.5", "2", "10", "40"]:
        w, s = pk_cdfs("0.5", b, mp.mpf(t))
        print(f"({t}, {mp.nstr(w, 20)}, {mp.nstr(s, 20)}),")
