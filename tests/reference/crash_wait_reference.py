"""Reference values for the wait of a queue with consumer crashes (prefetch 1):
src/analytic/single/breakdown.rs and the simulator's wait (src/sim/consumer.rs).

Run: python3 tests/reference/crash_wait_reference.py   (numpy, scipy)

Model: Poisson arrivals (lam), exponential service (mu), c consumers each up Exp(phi),
down Exp(r). Documented discipline: a crash returns THAT consumer's message to the head
of the queue (fresh service when redelivered); the other consumers keep theirs.

Wait = sojourn - total time in service over all attempts (time not being served).

The stationary law of (n, u) is the chain truncated at N (tail mass printed). The
tagged message follows the exact chain of the documented discipline (written
independently of kendall): waiting states (k ahead of it in the queue, u up -- all
busy --, n in the system), in-service states (u, n); n is needed because after its own
crash the message restarts at once iff an up consumer is idle. Truncated at n = NT.
Sojourn tail: expm_multiply. Wait: the time spent in the waiting states of this
absorbing chain is phase-type on the censored chain (service states eliminated):
  T_c = T_ww + T_ws (-T_ss)^-1 T_sw,  a_c = a_w + a_s (-T_ss)^-1 T_sw,
with an atom 1 - sum(a_c) at zero. Quantiles by Brent.
For comparison the same censoring is applied to kendall's (position, consumers up)
chain ("positional"), which puts the first min(p, u) positions in service.
"""
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from scipy.optimize import brentq


def stationary(lam, mu, c, phi, r, N):
    idx = lambda n, u: n * (c + 1) + u
    R, C, V = [], [], []
    for n in range(N + 1):
        for u in range(c + 1):
            s = idx(n, u)
            if n < N:
                R.append(s); C.append(idx(n + 1, u)); V.append(lam)
            b = min(n, u)
            if b > 0:
                R.append(s); C.append(idx(n - 1, u)); V.append(b * mu)
            if u > 0:
                R.append(s); C.append(idx(n, u - 1)); V.append(u * phi)
            if u < c:
                R.append(s); C.append(idx(n, u + 1)); V.append((c - u) * r)
    S = (N + 1) * (c + 1)
    Q = sp.csr_matrix((V, (R, C)), shape=(S, S))
    Q = Q - sp.diags(np.asarray(Q.sum(1)).ravel())
    QT = Q.T.tocsc()
    x = sla.spsolve(QT[1:, 1:].tocsc(), -QT[1:, 0].toarray().ravel())
    pi = np.concatenate([[1.0], x])
    return (pi / pi.sum()).reshape(N + 1, c + 1)


def tagged_exact(lam, mu, c, phi, r, pi, NT):
    """(T, out, a0, is_service) of the documented discipline."""
    st = {}
    def sid(key):
        if key not in st:
            st[key] = len(st)
        return st[key]
    for n in range(1, NT + 1):
        for u in range(1, c + 1):
            sid(('s', u, n))
        for u in range(0, c + 1):
            for k in range(0, n - u):
                sid(('w', k, u, n))
    S = len(st); R, Cc, V = [], [], []; out = np.zeros(S)
    def add(a, b, rate):
        if rate > 0:
            R.append(a); Cc.append(b); V.append(rate)
    for key, s in list(st.items()):
        if key[0] == 's':
            _, u, n = key
            out[s] += mu
            if n < NT: add(s, st[('s', u, n + 1)], lam)
            b = min(n, u)
            if b - 1 > 0: add(s, st[('s', u, n - 1)], (b - 1) * mu)
            # its own consumer crashes: an idle up consumer takes it at once, else it
            # waits at the head
            if n - 1 < u - 1: add(s, st[('s', u - 1, n)], phi)
            else: add(s, st[('w', 0, u - 1, n)], phi)
            if u - 1 > 0: add(s, st[('s', u - 1, n)], (u - 1) * phi)
            if u < c: add(s, st[('s', u + 1, n)], (c - u) * r)
        else:
            _, k, u, n = key
            if n < NT: add(s, st[('w', k, u, n + 1)], lam)
            if u > 0:
                add(s, st[('w', k - 1, u, n - 1) if k > 0 else ('s', u, n - 1)], u * mu)
                add(s, st[('w', k + 1, u - 1, n)], u * phi)
            if u < c:
                add(s, st[('w', k - 1, u + 1, n) if k > 0 else ('s', u + 1, n)], (c - u) * r)
    T = sp.csr_matrix((V, (R, Cc)), shape=(S, S))
    T = (T - sp.diags(np.asarray(T.sum(1)).ravel() + out)).tocsr()
    a0 = np.zeros(S)
    N = pi.shape[0] - 1
    for n in range(min(N, NT - 1) + 1):
        for u in range(c + 1):
            if n < u: a0[st[('s', u, n + 1)]] += pi[n, u]
            else: a0[st[('w', n - u, u, n + 1)]] += pi[n, u]
    svc = np.array([key[0] == 's' for key in st])
    return T, a0, svc


def tagged_positional(lam, mu, c, phi, r, pi, P):
    idx = lambda p, u: (p - 1) * (c + 1) + u
    S = P * (c + 1); R, Cc, V = [], [], []; out = np.zeros(S)
    for p in range(1, P + 1):
        for u in range(c + 1):
            s = idx(p, u)
            ahead = min(p, u) - (1 if p <= u else 0)
            if ahead > 0: R.append(s); Cc.append(idx(p - 1, u)); V.append(ahead * mu)
            if p <= u: out[s] += mu
            if u > 0: R.append(s); Cc.append(idx(p, u - 1)); V.append(u * phi)
            if u < c: R.append(s); Cc.append(idx(p, u + 1)); V.append((c - u) * r)
    T = sp.csr_matrix((V, (R, Cc)), shape=(S, S))
    T = (T - sp.diags(np.asarray(T.sum(1)).ravel() + out)).tocsr()
    a0 = np.zeros(S)
    for n in range(min(pi.shape[0], P)):
        for u in range(c + 1):
            a0[idx(n + 1, u)] += pi[n, u]
    svc = np.array([p <= u for p in range(1, P + 1) for u in range(c + 1)])
    return T, a0, svc


def censor(T, a0, svc):
    w = np.where(~svc)[0]; s = np.where(svc)[0]
    Tww = T[w][:, w]; Tws = T[w][:, s]; Tss = T[s][:, s].tocsc(); Tsw = T[s][:, w]
    X = sla.spsolve(-Tss, Tsw.toarray())  # (-T_ss)^-1 T_sw
    Tc = Tww.toarray() + Tws @ X
    ac = a0[w] + a0[s] @ X
    return sp.csr_matrix(Tc), ac


def surv(T, a, t):
    return sla.expm_multiply(T.T * t, a).sum() if t > 0 else a.sum()


def quantile(T, a, q, hi):
    if 1 - q >= a.sum():
        return 0.0
    return brentq(lambda t: surv(T, a, t) - (1 - q), 0, hi, xtol=1e-13, rtol=1e-12)


def mean(T, a):
    return sla.spsolve(T.T.tocsc(), -a).sum()


QS = (0.5, 0.95, 0.99, 0.999)
for name, lam, mu, c, phi, r, N, NT in [
    ("c1", 0.5, 1.0, 1, 0.1, 1.0, 400, 200),
    ("crash_c3_fast", 1.5, 1.0, 3, 0.5, 1.0, 600, 120),
]:
    pi = stationary(lam, mu, c, phi, r, N)
    n = np.arange(N + 1)[:, None]; u = np.arange(c + 1)[None, :]
    L = (pi * n).sum(); busy = (pi * np.minimum(n, u)).sum()
    W = L / lam
    print(f"{name}: lam={lam} mu={mu} c={c} phi={phi} r={r}; tail mass {pi[int(.9*N):].sum():.1e}")
    print(f"  L={L!r} Lq={L-busy!r} W={W!r} W-1/mu={W-1/mu!r} lam*(W-1/mu)={lam*(W-1/mu)!r} busy={busy!r} lam/mu={lam/mu!r}")
    print(f"  P(arrival finds n >= u) = {(pi*(n>=u)).sum()!r}")
    for label, (T, a0, svc) in [("exact", tagged_exact(lam, mu, c, phi, r, pi, NT)),
                                ("positional", tagged_positional(lam, mu, c, phi, r, pi, NT))]:
        hi = 400.0
        print(f"  [{label}] states {len(a0)} mass {a0.sum()!r} E[sojourn]={mean(T, a0)!r}")
        print("   sojourn " + " ".join(f"p{q}={quantile(T, a0, q, hi)!r}" for q in QS))
        Tc, ac = censor(T, a0, svc)
        print(f"   wait: P(wait>0)={ac.sum()!r} E[wait]={mean(Tc, ac)!r}")
        print("   wait " + " ".join(f"p{q}={quantile(Tc, ac, q, hi)!r}" for q in QS))
        print("   P(wait<=t) " + " ".join(f"t={t}:{1-surv(Tc, ac, t)!r}" for t in (0.3, 2.0, 8.0, 30.0)))
