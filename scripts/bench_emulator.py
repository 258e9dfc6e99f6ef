"""Time the emulator's analysis and its validation on a finished sweep's stored runs.

    PYTHONPATH=. python scripts/bench_emulator.py results/sweep-advantage [--output NAME]

Loads the design, the design-point means and their counts of runs (both stages of a sweep with
a second stage) from the folder (nothing is run or written), then
for each output fits the emulator (`analyze`: fit, indices with bootstrap refits,
cross-validation) and the half-design refit, and prints held-out Q², coverage, the noise share
and the seconds taken (wall and CPU), with the load average before and after; with --estimate,
`fit_seconds` (what `cogov sweep --estimate` would predict) beside the measured total.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cogov_sim.sensitivity.analyse import point_runs, replicate_values
from cogov_sim.sensitivity.cli import stored_runs
from cogov_sim.sensitivity.emulator import Emulator
from cogov_sim.sensitivity.sweep import load_sweep


def main() -> int:
    """Print Q², coverage and fit time per output of a stored emulator sweep."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--output", action="append", help="only this output (repeatable)")
    ap.add_argument("--estimate", action="store_true", help="also time fit_seconds")
    a = ap.parse_args()
    sweep = load_sweep(a.folder / "experiment.toml")
    X, runs, em = sweep.design(), stored_runs(sweep, a.folder), Emulator()
    print(f"load average before: {os.getloadavg()}", flush=True)
    total, cpu0 = 0.0, time.process_time()
    for output in a.output or sweep.outputs:
        Y, counts = point_runs(replicate_values(sweep, runs, output))
        t0 = time.perf_counter()
        df = em.analyze(sweep.problem, X, Y, sweep.seed, runs=counts)
        t1 = time.perf_counter()
        half = em.half(sweep.problem, X, sweep.n)
        em.point(sweep.problem, X[half], Y[half], sweep.seed, runs=counts.take(half))
        t2 = time.perf_counter()
        total += t2 - t0
        e = df.attrs["emulator"]
        top = df.sort_values("ST", ascending=False).head(3)
        print(f"{output}: Q² {e['q2']:.3f}, coverage {e['coverage']:.3f}, noise {e['noise']:.3f}"
              f"; analyze {t1 - t0:.1f} s, half refit {t2 - t1:.1f} s; top ST: "
              + ", ".join(f"{k} {v:.2f}±{c:.2f}" for k, v, c in
                          zip(top.index, top["ST"], top["ST_conf"], strict=True)), flush=True)
    print(f"total {total:.1f} s wall, {time.process_time() - cpu0:.1f} s CPU (one BLAS thread: "
          f"about the wall time on an idle core); load average after: {os.getloadavg()}",
          flush=True)
    if a.estimate:
        t0 = time.perf_counter()
        guess = em.fit_seconds(sweep.problem, X, len(a.output or sweep.outputs), sweep.seed)
        print(f"fit_seconds: {guess:.1f} s (took {time.perf_counter() - t0:.1f} s); measured "
              f"{total:.1f} s: ratio {guess / total:.2f}; load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
