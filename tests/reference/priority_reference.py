"""Reference values for src/analytic/priority.rs, computed independently of kendall.

Run: python3 tests/reference/priority_reference.py   (needs numpy and scipy)

Each priority queue with exponential service is a continuous-time Markov chain. We
build its generator on a truncated state space (arrivals that would exceed the
truncation level N are dropped; at these loads the lost mass is below 1e-15), solve
pi Q = 0, sum pi = 1 with a sparse direct solver, and report per-class mean numbers
waiting (Lq_k) and in system (L_k).  No priority formula is used.

1. M/M/1, two classes, non-preemptive (head of the line):
   lam = (0.3, 0.15), mu = (1.0, 0.5).  State (q1, q2, s): waiting counts, class in
   service (0 = idle).
2. Same rates, preemptive-resume.  State (n1, n2): numbers in system; the server
   works on class 1 whenever n1 > 0.
3. M/M/3, two classes, non-preemptive, common mu = 1, lam = (1.2, 0.9).
   State: b busy servers (b < 3, nobody waiting) or (q1, q2) with all 3 busy.
"""
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def solve(index, transitions, n):
    rows, cols, vals = [], [], []
    for (i, j, r) in transitions:
        rows.append(i); cols.append(j); vals.append(r)
        rows.append(i); cols.append(i); vals.append(-r)
    q = sp.csr_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
    a = q.transpose().tolil()
    a[0, :] = np.ones(n)
    b = np.zeros(n); b[0] = 1.0
    pi = spla.spsolve(a.tocsc(), b)
    return pi


def mm1_nonpreemptive(l1, l2, m1, m2, N=120):
    states = [(0, 0, 0)] + [(a, b, s) for s in (1, 2) for a in range(N + 1) for b in range(N + 1)]
    idx = {st: i for i, st in enumerate(states)}
    tr = []
    for (a, b, s) in states:
        i = idx[(a, b, s)]
        if s == 0:
            tr.append((i, idx[(0, 0, 1)], l1))
            tr.append((i, idx[(0, 0, 2)], l2))
            continue
        if a < N:
            tr.append((i, idx[(a + 1, b, s)], l1))
        if b < N:
            tr.append((i, idx[(a, b + 1, s)], l2))
        mu = m1 if s == 1 else m2
        if a > 0:
            nxt = (a - 1, b, 1)
        elif b > 0:
            nxt = (a, b - 1, 2)
        else:
            nxt = (0, 0, 0)
        tr.append((i, idx[nxt], mu))
    pi = solve(idx, tr, len(states))
    lq1 = sum(pi[idx[st]] * st[0] for st in states)
    lq2 = sum(pi[idx[st]] * st[1] for st in states)
    ps1 = sum(pi[idx[st]] for st in states if st[2] == 1)
    ps2 = sum(pi[idx[st]] for st in states if st[2] == 2)
    return lq1, lq2, lq1 + ps1, lq2 + ps2


def mm1_preemptive(l1, l2, m1, m2, N=120):
    states = [(a, b) for a in range(N + 1) for b in range(N + 1)]
    idx = {st: i for i, st in enumerate(states)}
    tr = []
    for (a, b) in states:
        i = idx[(a, b)]
        if a < N:
            tr.append((i, idx[(a + 1, b)], l1))
        if b < N:
            tr.append((i, idx[(a, b + 1)], l2))
        if a > 0:
            tr.append((i, idx[(a - 1, b)], m1))
        elif b > 0:
            tr.append((i, idx[(a, b - 1)], m2))
    pi = solve(idx, tr, len(states))
    l1_ = sum(pi[idx[st]] * st[0] for st in states)
    l2_ = sum(pi[idx[st]] * st[1] for st in states)
    return l1_, l2_


def mmc_nonpreemptive(l1, l2, mu, c, N=120):
    states = [("b", k) for k in range(c)] + [(a, b) for a in range(N + 1) for b in range(N + 1)]
    idx = {st: i for i, st in enumerate(states)}
    tr = []
    for st in states:
        i = idx[st]
        if st[0] == "b":
            k = st[1]
            up = ("b", k + 1) if k + 1 < c else (0, 0)
            tr.append((i, idx[up], l1 + l2))
            if k > 0:
                tr.append((i, idx[("b", k - 1)], k * mu))
            continue
        a, b = st
        if a < N:
            tr.append((i, idx[(a + 1, b)], l1))
        if b < N:
            tr.append((i, idx[(a, b + 1)], l2))
        if a > 0:
            nxt = (a - 1, b)
        elif b > 0:
            nxt = (a, b - 1)
        else:
            nxt = ("b", c - 1)
        tr.append((i, idx[nxt], c * mu))
    pi = solve(idx, tr, len(states))
    lq1 = sum(pi[idx[st]] * st[0] for st in states if st[0] != "b")
    lq2 = sum(pi[idx[st]] * st[1] for st in states if st[0] != "b")
    return lq1, lq2


if __name__ == "__main__":
    print("M/M/1 non-preemptive Lq1, Lq2, L1, L2:", ["%.17g" % x for x in mm1_nonpreemptive(0.3, 0.15, 1.0, 0.5)])
    print("M/M/1 preemptive-resume L1, L2:", ["%.17g" % x for x in mm1_preemptive(0.3, 0.15, 1.0, 0.5)])
    print("M/M/3 non-preemptive Lq1, Lq2:", ["%.17g" % x for x in mmc_nonpreemptive(1.2, 0.9, 1.0, 3)])
