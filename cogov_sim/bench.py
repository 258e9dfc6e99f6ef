"""`cogov bench`: speed figures, each as a ratio to a reference measured in the same process.

Machines here are shared and noisy, so absolute times are printed but the ratios are what to
compare across runs (each with the CPU it ran on):
1. residents' daily dynamics against a minimal kernel doing the same neighbour reads on the same
   network with the same counting product (the practical floor);
2. the issue pipeline (queueing mode, M/M/c) against the same M/M/c model written with SimPy;
3. one default run end to end, split by phase, and as a multiple of the floor kernel's time;
4. scaling with residents: time, peak memory (a fresh process per size), growth exponent;
5. a 200-run batch through the batch engine, serially and on every core: the speed-up;
6. (full, or --district) a whole district, `cogov run committee --set
   community.residents=1000000`, in a fresh process: wall time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cogov_sim import api
from cogov_sim.model import CoGovModel
from cogov_sim.network import Community
from cogov_sim.population import expit
from cogov_sim.scenario import Scenario, from_dict, load


def sparse_floor(net: Community, days: int, seed: int = 0) -> None:
    """The minimal daily kernel: neighbours' active share, a logit update, a Bernoulli draw."""
    rng = np.random.default_rng(seed)
    inv = 1.0 / np.maximum(net.degree, 1)
    logit = np.full(net.n, -2.0)
    active = rng.random(net.n) < 0.1
    for _ in range(days):
        share = net.count_neighbours(active) * inv
        logit += 0.05 * (-2.0 + 2.0 * (share - 0.15) - logit)
        active = rng.random(net.n) < expit(logit)


def simpy_mmc(lam: float, mu: float, servers: int, days: float, seed: int) -> int:
    """M/M/c in SimPy; returns the number of customers served."""
    import simpy

    rnd = random.Random(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    served = [0]

    def customer():
        with desk.request() as req:
            yield req
            yield env.timeout(rnd.expovariate(mu))
            served[0] += 1

    def source():
        while True:
            yield env.timeout(rnd.expovariate(lam))
            env.process(customer())

    env.process(source())
    env.run(until=days)
    return served[0]


def mmc_scenario(lam: float, servers: int, days: int) -> Scenario:
    """The committee's fully pooled team in queueing mode: an M/M/c queue, mu = 1/day."""
    return from_dict({
        "mode.queueing": True, "structure": "committee", "mechanisms.pooled_fraction": 1.0,
        "issues.categories": 10, "issues.category_skew": 0.0, "departments.staff_per_10000": servers * 10,
        "issues.service_days": 1.0, "community.residents": 1000, "issues.rate": lam * 365 / 1000,
        "run.days": days, "run.warmup_days": 0,
    })


def interleaved(timers: dict[str, Callable[[], float]], repeat: int) -> dict[str, float]:
    """The shortest of `repeat` times of each timer (a call returning the seconds it measured),
    taken in turns -- ours, the reference, ours, ... -- so that a change in the machine's other
    load falls on both sides of a ratio alike."""
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer())
    return best


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def residents_figures(repeat: int) -> dict[str, float]:
    sc = load("committee")
    m = CoGovModel(sc, rng=1).run()
    best = interleaved({"ours": lambda: CoGovModel(sc, rng=1).run().timings["residents"],
                        "floor": lambda: _timed(lambda: sparse_floor(m.net, m.days))},
                       repeat + 1)
    ours, floor = best["ours"], best["floor"]
    return {"resident_days_per_s": m.net.n * m.days / ours, "residents_s": ours,
            "floor_s": floor, "ratio_to_floor": ours / floor}


def pipeline_figures(repeat: int, quick: bool) -> dict[str, float]:
    servers, lam = 50, 40.0  # load 0.8; many issues a day, so the daily step is a small share
    days = 200 if quick else 600
    sc = mmc_scenario(lam, servers, days)
    runs: list[CoGovModel] = []

    def ours() -> float:
        runs.append(CoGovModel(sc, rng=1).run())
        return runs[-1].timings["issues"]

    timers = {"ours": ours}
    try:
        import simpy  # noqa: F401 -- a dev extra: without it, say so rather than a NaN ratio

        timers["simpy"] = lambda: _timed(lambda: simpy_mmc(lam, 1.0, servers, days, 1))
    except ImportError:
        pass
    best = interleaved(timers, repeat + 1)
    ours_t, simpy_t = best["ours"], best.get("simpy", float("nan"))
    whole = min(r.timings["issues"] + r.timings["collect"] + r.timings["residents"] for r in runs)
    n = runs[0].ledger.n
    return {"issues": n, "issues_per_s": n / ours_t, "pipeline_s": ours_t, "whole_run_s": whole,
            "simpy_s": simpy_t, "ratio_to_simpy": ours_t / simpy_t}


def phase_figures(repeat: int, floor_s: float) -> dict[str, float]:
    """The fastest of `repeat` default runs (committee), by phase, and its total as a multiple
    of the floor kernel's time on the same community (`floor_s`)."""
    sc = load("committee")
    best: dict[str, float] | None = None
    for _ in range(repeat):
        t = time.perf_counter()
        res = api.run(sc, seed=1, keep_model=True)
        total = time.perf_counter() - t
        tm = {**res.model.timings, "summaries": 0.0, "total": total}
        tm["summaries"] = total - sum(res.model.timings.values())
        if best is None or total < best["total"]:
            best = tm
    return {**best, "floor_s": floor_s, "ratio_to_floor": best["total"] / floor_s}


_PEAK = """
import resource, sys, time
from cogov_sim import api
from cogov_sim.scenario import load
sc = load("committee").with_overrides({"community.residents": int(sys.argv[1])})
t = time.perf_counter(); api.run(sc, seed=1); t = time.perf_counter() - t
print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def scaling_figures(sizes: list[int]) -> list[dict[str, float]]:
    rows = []
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", _PEAK, str(n)], capture_output=True,
                             text=True, check=True).stdout.split()
        first_t, peak = float(out[0]), float(out[1])
        sc = load("committee").with_overrides({"community.residents": n})
        t = min(first_t, *(_timed(lambda sc=sc: api.run(sc, seed=1)) for _ in range(2)))
        rows.append({"residents": n, "seconds": t, "peak_mb": peak})
    return rows


def growth_exponent(rows: list[dict[str, float]]) -> float:
    """Slope of log time against log residents."""
    x = np.log([r["residents"] for r in rows])
    y = np.log([r["seconds"] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def batch_figures(quick: bool) -> dict[str, float] | None:
    """`BATCH_RUNS` default runs through the batch engine (results folder and all), serially
    and on every core: runs per minute from before the workers are started until they are shut
    down, the machinery's time as a share of model time, and the speed-up."""
    import os
    import tempfile

    try:
        from cogov_sim.batch import executors, run_batch
        from cogov_sim.batch.experiment import Experiment
    except ImportError:
        return None
    sc = load("committee")
    exp = Experiment("bench", "", "cogov", {sc.name: sc}, BATCH_RUNS, 1, {}, ("summary",))
    out: dict[str, float] = {"runs": BATCH_RUNS, "workers": os.cpu_count() or 1}
    for label, workers in (("serial", 1), ("all_cores", os.cpu_count() or 1)):
        t = time.perf_counter()
        ex = executors.make(workers)
        try:
            with tempfile.TemporaryDirectory() as d:
                res = run_batch(exp, d, ex)
        finally:
            ex.close()
        out[f"{label}_runs_per_min"] = res.ok / (time.perf_counter() - t) * 60
        out[f"{label}_overhead_pct"] = 100 * res.overhead
    out["speedup"] = out["all_cores_runs_per_min"] / out["serial_runs_per_min"]
    return out


BATCH_RUNS = 200
DISTRICT = 1_000_000
_DISTRICT = """
import resource, sys
from cogov_sim.cli import main
rc = main(sys.argv[1:])
print("BENCH-PEAK-MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)
sys.exit(rc)
"""


def district_figures(residents: int = DISTRICT) -> dict[str, float]:
    """`cogov run committee --set community.residents=N` in a fresh process, as a user types
    it: wall time (imports included) and the process's peak memory."""
    cmd = [sys.executable, "-c", _DISTRICT, "run", "committee", "--set",
           f"community.residents={residents}"]
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    peak = next(float(line.split()[1]) for line in done.stderr.splitlines()
                if line.startswith("BENCH-PEAK-MB"))
    return {"residents": residents, "seconds": wall, "peak_mb": peak}


def cpu_name() -> str:
    """The processor's model name (Linux), else what the platform module says."""
    import platform

    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def measure(quick: bool = False, district: bool | None = None) -> dict[str, Any]:
    """Every figure; the district-scale run in full mode (or when `district` says so)."""
    import os

    repeat = 2 if quick else 4
    sizes = [1000, 10_000, 30_000] if quick else [1000, 10_000, 100_000]
    residents = residents_figures(repeat)
    scaling = scaling_figures(sizes)
    return {
        "residents": residents,
        "pipeline": pipeline_figures(repeat, quick),
        "default_run": phase_figures(repeat, residents["floor_s"]),
        "scaling": scaling,
        "growth_exponent": growth_exponent(scaling),
        "batch": batch_figures(quick),
        "district": district_figures() if (not quick if district is None else district) else None,
        "quick": quick,
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "cogov_sim": api.__version__,
    }


def simpy_text(pipe: dict[str, float]) -> str:
    """The SimPy comparison, or what is missing for it (SimPy is a dev extra)."""
    if pipe["simpy_s"] != pipe["simpy_s"]:  # NaN: SimPy could not be imported
        return ("no SimPy reference: SimPy is not installed (`pip install simpy`, or "
                "`pip install -e '.[dev]'`), so there is no ratio to SimPy's time")
    return (f"SimPy {pipe['simpy_s']:.3f} s  ->  {pipe['ratio_to_simpy']:.2f}x SimPy's time "
            "(target <= 1x)")


def render(r: dict[str, Any]) -> str:
    res, pipe, run = r["residents"], r["pipeline"], r["default_run"]
    lines = [
        f"cogov bench ({'quick' if r['quick'] else 'full'}), cogov-sim {r['cogov_sim']}, "
        f"Python {r['python']}, {r['cpu']} ({r['cores']} cores)",
        "",
        "1. residents' daily dynamics (committee, 5,000 residents, 365 days)",
        f"   {res['resident_days_per_s'] / 1e6:.1f} M resident-days/s ({res['residents_s']:.3f} s);"
        f" sparse-kernel floor {res['floor_s']:.3f} s  ->  {res['ratio_to_floor']:.2f}x the floor"
        f"  (target <= 3x)",
        "2. issue pipeline (queueing mode, M/M/50 at load 0.8)",
        f"   {pipe['issues_per_s']:,.0f} issues/s ({pipe['issues']} issues in "
        f"{pipe['pipeline_s']:.3f} s; whole run {pipe['whole_run_s']:.3f} s); " + simpy_text(pipe),
        "3. one default run (committee), by phase",
        "   " + ", ".join(f"{k} {run[k]:.3f} s" for k in
                         ("setup", "residents", "issues", "collect", "summaries"))
        + f"; total {run['total']:.3f} s  ->  {run['ratio_to_floor']:.1f}x the floor kernel's "
        f"{run['floor_s']:.3f} s (target <= 8x)",
        "4. scaling with residents (fresh process per size for peak memory)",
        *(f"   {row['residents']:>7,} residents: {row['seconds']:.3f} s, peak {row['peak_mb']:.0f} MB"
          for row in r["scaling"]),
        f"   growth exponent {r['growth_exponent']:.2f} (target <= 1.1)",
    ]
    b = r["batch"]
    if b is None:
        lines.append("5. batch overhead: batch engine not available")
    else:
        lines += [
            f"5. batch engine, {b['runs']} default runs (committee) into a results folder",
            f"   serial: {b['serial_runs_per_min']:.0f} runs/min, overhead "
            f"{b['serial_overhead_pct']:.1f}% of model time; {b['workers']} workers: "
            f"{b['all_cores_runs_per_min']:.0f} runs/min, overhead {b['all_cores_overhead_pct']:.1f}%"
            f" (starting the workers included)  ->  {b['speedup']:.2f}x serial "
            f"(target >= {0.9 * b['workers']:.1f}x)",
        ]
    d = r["district"]
    lines.append("6. a whole district: `cogov run committee --set community.residents="
                 f"{DISTRICT}` in a fresh process" if d is None else
                 f"6. a whole district, {d['residents']:,} residents x 365 days (`cogov run`, fresh "
                 f"process): {d['seconds']:.1f} s, peak {d['peak_mb']:.0f} MB "
                 "(target <= 45 s, <= 1,536 MB)")
    if d is None:
        lines[-1] += ": not run (quick; add --district)"
    return "\n".join(lines)


def cmd_bench(a: argparse.Namespace) -> int:
    r = measure(quick=a.quick, district=True if a.district else None)
    if a.json and r["pipeline"]["simpy_s"] != r["pipeline"]["simpy_s"]:  # no SimPy: null, and why
        r["pipeline"].update(simpy_s=None, ratio_to_simpy=None, simpy="not installed")
    print(json.dumps(r) if a.json else render(r))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("bench", help="speed figures, as ratios to references run alongside")
    b.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes")
    b.add_argument("--district", action="store_true",
                   help=f"also in quick mode, the {DISTRICT:,}-resident run (about a minute)")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)
