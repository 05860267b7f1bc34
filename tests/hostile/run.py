#!/usr/bin/env python3
"""Hostile-input corpus for kendall (issue 9): hand-made extreme scenarios and seeded
mutations of the examples, run through the CLI binary and classified.

    python3 tests/hostile/run.py target/release/kendall [--mutations N] [--timeout S] [--seed N]

Outcome of each run:
  clean     a result with sane figures, or the refusal/error/warning the case expects
  panic     exit 101 or "panicked" on stderr
  abort     killed by a signal (out-of-memory abort, SIGABRT, SIGKILL)
  hang      still running after --timeout seconds
  wrong     exit 0 with a figure kendall should not stand behind: NaN/inf, a probability
            outside [0, 1], a negative time or count, or a result where the case expects a
            refusal or warning
Prints one line per case and a table per category (inputs, clean, panics, hangs, aborts, wrong).
"""
import json, math, os, random, re, subprocess, sys, tempfile, time, argparse

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.environ.get("KENDALL_EXAMPLES", os.path.join(HERE, "..", "..", "examples"))

def q(name, consumers, mean="10ms", extra="", service=None):
    service = service or f'{{ type = "exponential", mean = "{mean}" }}'
    return f'[[queue]]\nname = "{name}"\nconsumers = {consumers}\nservice = {service}\n{extra}\n'

def src(rate=100.0, to="q", arrival=None):
    arrival = arrival or f'{{ type = "poisson", rate = {rate} }}'
    return f'[[source]]\nname = "s"\narrival = {arrival}\nto = "{to}"\n'

SIM = '[simulation]\nhorizon = "20s"\nwarmup = "2s"\nreplications = 2\nseed = 1\n'

def scen(*parts, sim=SIM, head='name = "hostile"\n'):
    return head + "".join(parts) + sim

def chain(n, rate=10.0):
    s = 'name = "chain"\n' + src(rate, "q0")
    for i in range(n):
        s += q(f"q{i}", 1, extra=f'route = "q{i+1}"' if i < n - 1 else "")
    return s

# (category, name, scenario text or None, args (SCEN is replaced by the file), expect)
# expect: "ok" (a sane result), "error" (a clean non-zero exit), "warn" (a result that
# warns: non-zero exit or a warning word in the output), "fast" (ok within 5 s)
CASES = []
def case(cat, name, text, args, expect):
    CASES.append((cat, name, text, args, expect))

S, SIMU, SOLVE = ["solve", "SCEN", "--format", "json"], ["simulate", "SCEN", "--format", "json"], None
SOLVE = S
# validation and malformed input
for nm, body in [
    ("negative rate", scen(src(-5.0), q("q", 2))),
    ("zero rate", scen(src(0.0), q("q", 2))),
    ("nan rate", scen(src("nan"), q("q", 2))),
    ("inf rate", scen(src("inf"), q("q", 2))),
    ("unknown target", scen(src(5.0, "nowhere"), q("q", 2))),
    ("unknown route", scen(src(5.0), q("q", 2, extra='route = "nowhere"'))),
    ("cycle without exit", scen(src(5.0, "a"), q("a", 2, extra='route = "b"'), q("b", 2, extra='route = "a"'))),
    ("duplicate names", scen(src(5.0), q("q", 2), q("q", 3))),
    ("zero consumers", scen(src(5.0), q("q", 0))),
    ("zero partitions", scen(src(5.0), q("q", 2, extra="partitions = 0"))),
    ("partitions 1e9", scen(src(5.0), q("q", 2, extra="partitions = 1000000000"))),
    ("zipf exponent 0", scen(src(5.0), q("q", 2, extra='partitions = 4\nkeys = { type = "zipf", keys = 10, exponent = 0 }'))),
    ("zipf keys 1e12", scen(src(5.0), q("q", 2, extra='partitions = 4\nkeys = { type = "zipf", keys = 1000000000000, exponent = 1.1 }'))),
    ("keys without partitions", scen(src(5.0), q("q", 2, extra='keys = { type = "uniform", keys = 10 }'))),
    ("partitions with capacity", scen(src(5.0), q("q", 2, extra="partitions = 4\ncapacity = 10"))),
    ("consumers 1e12", scen(src(5.0), q("q", 1000000000000))),
    ("consumers u64 max", scen(src(5.0), q("q", 18446744073709551615))),
    ("bad duration", scen(src(5.0), q("q", 2, mean="12parsecs"))),
    ("negative duration", scen(src(5.0), q("q", 2, mean="-3ms"))),
    ("capacity below consumers", scen(src(5.0), q("q", 4, extra="capacity = 2"))),
    ("failure probability 1.5", scen(src(5.0), q("q", 2, extra="failure_probability = 1.5"))),
    ("confidence 1.5", scen(src(5.0), q("q", 2), sim=SIM + "confidence = 1.5\n")),
    ("replications 0", scen(src(5.0), q("q", 2), sim='[simulation]\nhorizon = "10s"\nreplications = 0\n')),
    ("warmup after horizon", scen(src(5.0), q("q", 2), sim='[simulation]\nhorizon = "-10s"\nwarmup = "20s"\n')),
    ("empty file", ""),
    ("garbage", "\x00\x01\x02 not toml [[[["),
    ("topic with unknown subscriber", scen(src(5.0, "t"), '[[topic]]\nname = "t"\nsubscribers = ["x"]\n', q("q", 2))),
    ("uniform min > max", scen(src(5.0), q("q", 2, service='{ type = "uniform", min = "5ms", max = "1ms" }'))),
    ("empirical empty", scen(src(5.0), q("q", 2, service='{ type = "empirical", values = [] }'))),
    ("ragged mmpp", scen(src(arrival='{ type = "mmpp", rates = [1.0, 2.0], generator = [[-1.0, 1.0], [1.0]] }'), q("q", 2))),
    ("mmpp rows not zero", scen(src(arrival='{ type = "mmpp", rates = [1.0, 2.0], generator = [[-1.0, 2.0], [1.0, -1.0]] }'), q("q", 2))),
]:
    case("validation", nm, body, SOLVE, "error")
    case("validation", nm + " (simulate)", body, SIMU, "error")

# overload
over = scen(src(800.0), q("q", 1))
case("overload", "solve rho=8", over, SOLVE, "error")
case("overload", "simulate rho=8", over, SIMU, "warn")
case("overload", "simulate rho=1.02", scen(src(102.0), q("q", 1)), SIMU, "warn")
hot = scen(src(1500.0), q("q", 12, mean="4ms", extra='partitions = 24\nkeys = { type = "zipf", keys = 100000, exponent = 1.1 }'))
case("overload", "solve hot partition (group load 0.5)", hot, SOLVE, "error")
case("overload", "simulate hot partition (group load 0.5)", hot, SIMU, "warn")
case("overload", "simulate 1e9/s into one consumer", scen(src(1e9), q("q", 1), sim='[simulation]\nhorizon = "100s"\nreplications = 1\n'), SIMU, "warn")
case("overload", "fan-out with one overloaded listener (simulate)",
     scen(src(100.0, "t"), '[[topic]]\nname = "t"\nsubscribers = ["a", "b"]\n', q("a", 2), q("b", 1, mean="20ms")), SIMU, "warn")
case("overload", "short horizon at rho=0.99", scen(src(99.0), q("q", 1), sim='[simulation]\nhorizon = "2s"\nreplications = 2\nseed = 3\n'), SIMU, "warn")

# extreme sizes
case("extreme sizes", "M/M/c c=100000", scen(src(9e6), q("q", 100000, mean="10ms")), SOLVE, "fast")
case("extreme sizes", "M/M/c/K c=1e5 K=1e6 rho=.999", scen(src(9.99e6), q("q", 100000, extra="capacity = 1000000")), SOLVE, "fast")
case("extreme sizes", "M/M/c/K c=1e5 K=1e7 load 1.2", scen(src(1.2e7), q("q", 100000, extra="capacity = 10000000")), SOLVE, "fast")
case("extreme sizes", "chain of 400 queues", chain(400), SOLVE, "fast")
case("extreme sizes", "chain of 1000 queues", chain(1000), SOLVE, "fast")
case("extreme sizes", "initial_backlog 1e10", scen(src(5.0), q("q", 2, extra="initial_backlog = 10000000000")), SIMU, "error")
case("extreme sizes", "initial_backlog near u64 max", scen(src(5.0), q("q", 2, extra="initial_backlog = 18446744073709551000")), SIMU, "error")
case("extreme sizes", "time series step 1e-6 over 100 s", scen(src(5.0), q("q", 2), sim='[simulation]\nhorizon = "100s"\nreplications = 1\ntime_series = 1e-6\n'), SIMU, "error")
case("extreme sizes", "sweep --steps 1e9", scen(src(5.0), q("q", 2)), ["sweep", "SCEN", "--steps", "1000000000"], "error")
case("extreme sizes", "sweep --steps u64 max", scen(src(5.0), q("q", 2)), ["sweep", "SCEN", "--steps", "18446744073709551615"], "error")
big_tandem = open(os.path.join(EXAMPLES, "tandem_blocking.toml")).read().replace("capacity = 8", "capacity = 1000").replace("capacity = 3", "capacity = 1000")
case("extreme sizes", "blocking tandem capacities 1000 (10^6 states)", big_tandem, SOLVE, "ok")
huge_tandem = big_tandem.replace("capacity = 1000", "capacity = 1000000")
case("extreme sizes", "blocking tandem capacities 1e6 (10^12 states)", huge_tandem, SOLVE, "error")

# distributions at the edge of validation
for nm, svc in [
    ("erlang k=10 mean 5e-324", '{ type = "erlang", k = 10, mean = 5e-324 }'),
    ("gamma shape 1e300 mean 1e-300", '{ type = "gamma", shape = 1e300, mean = 1e-300 }'),
    ("lognormal scv 1e300", '{ type = "lognormal", mean = "10ms", scv = 1e300 }'),
    ("lognormal mean 1e300", '{ type = "lognormal", mean = 1e300, scv = 1.0 }'),
    ("exponential mean 1e-300", '{ type = "exponential", mean = 1e-300 }'),
    ("deterministic 0", '{ type = "deterministic", value = 0.0 }'),
    ("erlang k=1e9", '{ type = "erlang", k = 1000000000, mean = "10ms" }'),
]:
    body = scen(src(5.0), q("q", 2, service=svc))
    case("distributions", nm, body, SOLVE, "ok-or-error")
    case("distributions", nm + " (simulate)", body, SIMU, "ok-or-error")

# retries
def retry(p, m, routed=True):
    return scen(src(5.0, "a"), q("a", 2, extra=f"failure_probability = {p}\nmax_attempts = {m}\n" + ('route = "b"' if routed else "")), q("b", 2))
case("retries", "p=0.5 max_attempts=4294967295 routed", retry(0.5, 4294967295), SOLVE, "ok")
case("retries", "p=0 max_attempts=2147483649", retry(0.0, 2147483649), SOLVE, "ok")
case("retries", "p=0.3 max_attempts=1e8", retry(0.3, 100000000), SOLVE, "ok")
case("retries", 'max_attempts = "unlimited"', retry(0.3, '"unlimited"'), SOLVE, "ok")
case("retries", 'p=1 max_attempts = "unlimited"', retry(1.0, '"unlimited"'), SOLVE, "error")
case("retries", "p=0.5 max_attempts=4294967295 (simulate)", retry(0.5, 4294967295), SIMU, "ok")

# sizing
ex = lambda f: open(os.path.join(EXAMPLES, f)).read()
case("sizing", "bursty end_to_end.p99 < 50ms (infeasible)", ex("bursty.toml"), ["size", "SCEN", "--slo", "end_to_end.p99 < 50ms", "--format", "json"], "error")
case("sizing", "kafka p99 < 20ms (hot partition, consumers capped at the partition count)", ex("kafka_hot_keys.toml"), ["size", "SCEN", "--slo", "end_to_end.p99 < 20ms", "--format", "json"], "error")
case("sizing", "payments W < 5ms (below service mean)", ex("single_queue.toml"), ["size", "SCEN", "--slo", "payments.W < 5ms", "--no-verify", "--format", "json"], "error")
case("sizing", "utilisation < 0.002", ex("single_queue.toml"), ["size", "SCEN", "--slo", "payments.utilisation < 0.002", "--no-verify", "--format", "json"], "fast")
case("sizing", "utilisation < 1e-4", ex("single_queue.toml"), ["size", "SCEN", "--slo", "payments.utilisation < 0.0001", "--no-verify", "--format", "json"], "fast")

# command line
case("command line", "compare --threshold NaN", ex("single_queue.toml"), ["compare", "SCEN", "--threshold", "NaN", "--horizon", "5"], "error")
case("command line", "sweep simulation.horizon honoured", ex("single_queue.toml"), ["sweep", "SCEN", "--param", "simulation.horizon", "--values", "1,50", "--simulate", "--replications", "2", "--format", "json"], "horizon")
case("command line", "solve > /dev/full", ex("single_queue.toml"), ["solve", "SCEN", "--format", "json", ">FULL"], "error")
case("command line", "solve | true (broken pipe)", ex("payments.toml"), ["solve", "SCEN", "--format", "json", "|TRUE"], "ok-or-error")

# numerical edge cases
case("numerics", "M/M/6/20 at 1e-65/s", scen(src(1e-65), q("q", 6, extra="capacity = 20")), SOLVE, "ok")
case("numerics", "tandem_blocking ledger capacity 1", ex("tandem_blocking.toml").replace("capacity = 3", "capacity = 1"), SOLVE, "ok")
case("numerics", "M/M/1 at rho = 1 - 1e-12", scen(src(100.0 * (1 - 1e-12)), q("q", 1)), SOLVE, "ok")
case("numerics", "rate 1e300", scen(src(1e300), q("q", 2)), SOLVE, "ok-or-error")
case("numerics", "rate 1e-300", scen(src(1e-300), q("q", 2)), SOLVE, "ok")

PROB = re.compile(r"^(p_wait|p_block|p_reject|p0|utilisation|exhausted|p_full|probability)$")
TIME = re.compile(r"^(w|wq|l|lq|throughput|arrival_rate|message_rate|p50|p95|p99|p999|mean|lower|upper|dead_letter)$")

def bad_figures(js, path=""):
    """Figures kendall should not print: NaN/inf, probabilities outside [0,1], negative values."""
    out = []
    def walk(v, key, p):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "half_width":
                    continue
                walk(x, k if k not in ("mean", "lower", "upper") else key, p + "." + k)
                if k in ("lower", "upper", "mean") and isinstance(x, (int, float)):
                    check(x, key, p + "." + k)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, key, f"{p}[{i}]")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            check(v, key, p)
        elif v is None and ".end_to_end" not in p and key in ("throughput", "l", "lq", "w", "wq", "utilisation", "arrival_rate"):
            out.append(f"{p} = null (NaN)")
    def check(x, key, p):
        if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
            out.append(f"{p} = {x}")
        elif PROB.match(key or "") and not (0 <= x <= 1):
            out.append(f"{p} = {x} (probability)")
        elif (TIME.match(key or "") or (key or "").startswith("state_prob")) and x < 0:
            out.append(f"{p} = {x} (negative)")
    walk(js, "", path)
    return out

WARN = re.compile(r"warn|not stationary|non-stationary|unstable|overload|unsettled|short", re.I)

def run(binary, text, args, timeout):
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "s.toml")
        with open(f, "w") as fh:
            fh.write(text)
        argv = [binary] + [f if a == "SCEN" else a for a in args if a not in (">FULL", "|TRUE")]
        t0 = time.time()
        try:
            if ">FULL" in args:
                with open("/dev/full", "w") as full:
                    p = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, timeout=timeout)
                out = b""
            elif "|TRUE" in args:
                p1 = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                p1.stdout.close()
                err = p1.stderr.read()
                rc = p1.wait(timeout=timeout)
                return rc, "", err.decode(errors="replace"), time.time() - t0
            else:
                p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
                out = p.stdout
        except subprocess.TimeoutExpired:
            return None, "", "", time.time() - t0
        return p.returncode, out.decode(errors="replace"), p.stderr.decode(errors="replace"), time.time() - t0

def classify(rc, out, err, secs, expect):
    if rc is None:
        return "hang", f"> {secs:.0f} s"
    if rc == 101 or "panicked" in err:
        return "panic", err.strip().splitlines()[-1][:160] if err.strip() else "exit 101"
    if rc < 0 or rc >= 128:
        return "abort", f"exit {rc}"
    if rc != 0:
        msg = (err.strip().splitlines() or ["(no message)"])[0][:160]
        if expect in ("ok", "fast", "horizon"):
            return "wrong", f"refused a case with an answer: {msg}"
        return "clean", msg
    # exit 0
    try:
        js = json.loads(out) if out.strip().startswith("{") else None
    except ValueError:
        js = None
    refused = False
    if js is not None and isinstance(js.get("nodes"), list):
        kept = []
        for n in js["nodes"]:
            if n.get("status") in ("unstable", "no_method"):
                refused = True
            else:
                kept.append(n)
        js = dict(js, nodes=kept)
    if js is not None:
        bad = bad_figures(js)
        if bad:
            return "wrong", "; ".join(bad[:3])
    elif re.search(r"\bNaN\b|\binf\b", out):
        return "wrong", "NaN/inf in output"
    if expect == "error" and not refused:
        return "wrong", "accepted (expected a refusal)"
    if expect == "warn" and not WARN.search(out + err):
        return "wrong", "no warning"
    if expect == "fast" and secs > 5:
        return "wrong", f"slow: {secs:.1f} s"
    if expect == "horizon" and js is not None:
        pts = js.get("points") or []
        t = [(p.get("simulated") or {}).get("measured_time", {}).get("mean") for p in pts]
        if len(set(t)) < 2:
            return "wrong", f"swept horizon ignored: {t}"
    return "clean", f"{secs:.2f} s"

def mutate(text, rng):
    lines = text.splitlines()
    idx = [i for i, l in enumerate(lines) if re.search(r"=\s*[-\d\"\[]", l) and not l.lstrip().startswith("#")]
    for _ in range(rng.randint(1, 3)):
        if not idx:
            break
        i = rng.choice(idx)
        key, _, val = lines[i].partition("=")
        choice = rng.random()
        nums = re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", val)
        if nums and choice < 0.6:
            old = rng.choice(nums)
            new = rng.choice(["0", "-1", "1e300", "1e-300", "0.0", "-0.0", "nan", "inf", "18446744073709551615",
                              "4294967296", "2147483649", "1", "0.999999", "1.000001", str(float(old) * rng.choice([10, 0.1, 100, 1e6]))])
            val = val.replace(old, new, 1)
        elif choice < 0.7:
            val = ' "12ms"'
        elif choice < 0.8:
            val = ' "-5s"'
        elif choice < 0.9:
            lines[i] = "# removed " + lines[i]
            continue
        else:
            val = " []"
        lines[i] = key + "=" + val
    return "\n".join(lines) + "\n"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--mutations", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--only", default=None)
    ap.add_argument("--dump", default=None, help="write the scenario of every case that is not clean into this folder")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    cases = list(CASES)
    files = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".toml"))
    for k in range(a.mutations):
        base = rng.choice(files)
        text = mutate(open(os.path.join(EXAMPLES, base)).read(), rng)
        if k % 2 == 0:
            cases.append(("mutated examples (solve)", f"{base}#{k}", text, SOLVE, "any"))
        else:
            cases.append(("mutated examples (simulate)", f"{base}#{k}", text,
                          ["simulate", "SCEN", "--format", "json", "--horizon", "5", "--warmup", "1", "--replications", "2"], "any"))
    tally = {}
    for cat, name, text, args, expect in cases:
        if a.only and a.only not in cat:
            continue
        rc, out, err, secs = run(a.binary, text, args, a.timeout)
        kind, why = classify(rc, out, err, secs, expect)
        t = tally.setdefault(cat, {"inputs": 0, "clean": 0, "panic": 0, "hang": 0, "abort": 0, "wrong": 0})
        t["inputs"] += 1
        t[kind] += 1
        if kind != "clean" and a.dump:
            os.makedirs(a.dump, exist_ok=True)
            with open(os.path.join(a.dump, re.sub(r"[^A-Za-z0-9#._-]+", "_", f"{cat}-{name}") + ".toml"), "w") as fh:
                fh.write(text)
        if kind != "clean" or not cat.startswith("mutated"):
            print(f"{kind:6} {cat} / {name}: {why}", flush=True)
    print()
    print("| category | inputs | clean | panics | hangs | aborts | wrong figures |")
    print("|---|---|---|---|---|---|---|")
    total = {"inputs": 0, "clean": 0, "panic": 0, "hang": 0, "abort": 0, "wrong": 0}
    for cat, t in tally.items():
        print(f"| {cat} | {t['inputs']} | {t['clean']} | {t['panic']} | {t['hang']} | {t['abort']} | {t['wrong']} |")
        for k in total:
            total[k] += t[k]
    print(f"| **all** | {total['inputs']} | {total['clean']} | {total['panic']} | {total['hang']} | {total['abort']} | {total['wrong']} |")

if __name__ == "__main__":
    main()
