"""Speed of one run, split by phase, and how it grows with residents.

Usage: .venv/bin/python scripts/bench.py [--quick]

Absolute times on a shared machine are noisy, so each figure is also given as a ratio to a
reference measured in the same process: a minimal scipy.sparse kernel doing one neighbour
mat-vec per day on the same network (the practical floor for residents' dynamics).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from cogov_sim import api, network
from cogov_sim.scenario import load


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reference_kernel(net: network.Community, days: int) -> None:
    x = np.random.default_rng(0).random(net.n)
    inv = 1.0 / np.maximum(net.degree, 1)
    for _ in range(days):
        x = 0.9 * x + 0.1 * (net.adj @ x) * inv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    repeat = 2 if a.quick else 5
    sc = load("committee")
    days = sc["run.days"]
    net = network.build(sc.effective(), np.random.default_rng(1))
    ref = best(lambda: reference_kernel(net, days), repeat)
    run_t = best(lambda: api.run(sc, seed=1), repeat)
    print(f"default run (committee, {net.n} residents, {days} days): {run_t:.3f} s "
          f"= {run_t / ref:.1f}x the sparse-kernel reference ({ref * 1000:.1f} ms)")
    for name in ("fragmented", "whistle", "committee-sanshe"):
        t = best(lambda n=name: api.run(n, seed=1), repeat)
        print(f"  {name:<18} {t:.3f} s")
    sizes = [1000, 5000, 20000] if a.quick else [1000, 5000, 10000, 20000, 50000, 100000]
    print("\nresidents   run s   ref s   ratio  peak MB (traced)  issues")
    rows = []
    for n in sizes:
        s = sc.with_overrides({"community.residents": n})
        nt = network.build(s.effective(), np.random.default_rng(1))
        r = best(lambda nt=nt: reference_kernel(nt, days), max(1, repeat // 2))
        t = best(lambda s=s: api.run(s, seed=1), max(1, repeat // 2))
        tracemalloc.start()
        res = api.run(s, seed=1)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rows.append((n, t))
        print(f"{n:>9} {t:>7.3f} {r:>7.3f} {t / r:>7.1f} {peak:>17.0f} {len(res.issues):>7}")
    n_arr, t_arr = np.log([r[0] for r in rows]), np.log([r[1] for r in rows])
    slope = np.polyfit(n_arr, t_arr, 1)[0]
    print(f"\ngrowth exponent (log time vs log residents): {slope:.2f}")


if __name__ == "__main__":
    main()
