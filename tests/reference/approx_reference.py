"""Exact GI/M/1 mean waits used to measure the G/G/1 approximations in
src/analytic/approx.rs.  Independent of kendall.

Run: python3 tests/reference/approx_reference.py   (needs mpmath; 40 digits)

GI/M/1 (Kleinrock 1975, Vol. 1, sect. 6.4; Gross & Harris sect. 6.3): with service rate mu
and inter-arrival Laplace-Stieltjes transform A*(s), let sigma in (0,1) solve
sigma = A*(mu (1 - sigma)).  Then Wq = sigma / (mu (1 - sigma)).
Mean service 1 (mu = 1), arrival rate lam = rho.
  D/M/1:  A*(s) = exp(-s/lam)                     (ca^2 = 0)
  E2/M/1: A*(s) = (2 lam / (2 lam + s))^2         (ca^2 = 1/2)
  H2/M/1: balanced means, ca^2 = 4: p1 = (1 + sqrt(3/5))/2, rates 2 p_i lam
"""
import mpmath as mp

mp.mp.dps = 40


def wq(astar, mu=1):
    sigma = mp.findroot(lambda x: x - astar(mu * (1 - x)), mp.mpf("0.5"))
    # make sure we got the root inside (0, 1)
    assert 0 < sigma < 1, sigma
    return sigma / (mu * (1 - sigma))


def h2(lam, scv):
    p1 = (1 + mp.sqrt((scv - 1) / (scv + 1))) / 2
    p2 = 1 - p1
    r1, r2 = 2 * p1 * lam, 2 * p2 * lam
    return lambda s: p1 * r1 / (r1 + s) + p2 * r2 / (r2 + s)


if __name__ == "__main__":
    for rho in ["0.5", "0.9"]:
        lam = mp.mpf(rho)
        print(f"rho={rho} D/M/1  Wq = {mp.nstr(wq(lambda s: mp.exp(-s / lam)), 20)}")
        print(f"rho={rho} E2/M/1 Wq = {mp.nstr(wq(lambda s: (2 * lam / (2 * lam + s)) ** 2), 20)}")
        print(f"rho={rho} H2/M/1 Wq = {mp.nstr(wq(h2(lam, mp.mpf(4))), 20)}")
