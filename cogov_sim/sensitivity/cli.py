"""`cogov sweep`: sample with SALib, evaluate through the batch engine, analyse, report."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cogov_sim.batch import evaluate, executors, read_runs, run_batch
from cogov_sim.batch.cli import add_executor_options, output_folder, say_set_aside
from cogov_sim.batch.progress import Progress
from cogov_sim.cli import git_commit
from cogov_sim.sensitivity.analyse import analyse, indices_table, plain_summary
from cogov_sim.sensitivity.plots import plot_results
from cogov_sim.sensitivity.sweep import Sweep, load_sweep


def estimate(sweep: Sweep, X: np.ndarray, executor: executors.Executor,
             per_scenario: int = 12) -> dict[str, float]:
    """A short pilot through the same executor on design points drawn at random (run time
    varies across the design: loaded points are slower), in every scenario; then the sweep's
    total time. One warm-up run per worker first, so start-up is not counted as throughput."""
    workers = executor.workers
    points = sweep.points(X)
    rng = np.random.default_rng(sweep.seed)
    take = min(len(points), max(per_scenario, 2 * workers))
    chosen = [points[i] for i in rng.choice(len(points), take, replace=False)]
    scenarios = list(sweep.scenarios.values())
    start = time.perf_counter()
    evaluate(sweep.model, chosen[:workers], seed=sweep.seed, scenario=scenarios[0],
             executor=executor, chunk=1)
    warm = time.perf_counter() - start
    t0 = time.perf_counter()
    for sc in scenarios:
        evaluate(sweep.model, chosen, seed=sweep.seed, scenario=sc, executor=executor, chunk=1)
    rate = take * len(scenarios) / (time.perf_counter() - t0)
    runs = sweep.runs()
    return {"runs": runs, "runs_per_s": rate, "startup_s": warm, "seconds": runs / rate + warm}


def markdown(df: pd.DataFrame) -> str:
    """A plain Markdown table (numbers to 3 decimals)."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in df.itertuples(index=False)]
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "---|" * len(df.columns)
    return "\n".join([head, rule, *("| " + " | ".join(r) + " |" for r in cells)])


def discover(sweep: Sweep, X: np.ndarray, runs: pd.DataFrame, sens: Path) -> str:
    """For a contrast sweep: PRIM boxes of the design where the second scenario does no
    better, per output; written to boxes.csv; returned in words."""
    if not sweep.contrast:
        return ""
    from cogov_sim.sensitivity import discovery
    from cogov_sim.sensitivity.analyse import replicate_values

    x = pd.DataFrame(X, columns=sweep.problem["names"])
    texts, tables = [], []
    for output in sweep.outputs:
        y = replicate_values(sweep, runs, output).mean(axis=1).to_numpy()
        cases = discovery.no_advantage(output, y)
        boxes = discovery.find_boxes(x, cases)
        texts.append(discovery.describe(output, sweep.contrast, boxes, int(cases.sum()), len(y)))
        tables.append(discovery.boxes_table(output, boxes))
    pd.concat(tables, ignore_index=True).to_csv(sens / "boxes.csv", index=False)
    return "\n\n".join(texts)


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h {s % 3600 // 60:02d}m {s % 60:02d}s" if s >= 3600 else \
        f"{s // 60}m {s % 60:02d}s"


def cmd_sweep(a: argparse.Namespace) -> int:
    sweep = load_sweep(a.experiment)
    out = output_folder(a.out, sweep.name, sweep.source)  # before sampling or running anything
    X = sweep.design()
    executor = executors.make(a.workers, a.scheduler)
    try:
        if a.estimate:
            e = estimate(sweep, X, executor)
            print(f"{sweep.name}: {sweep.method.name} with n = {sweep.n}, {len(sweep.bounds)} "
                  f"parameters, {sweep.replications} replications, {len(sweep.scenarios)} "
                  f"scenario(s) -> {e['runs']} runs. Pilot on {executor.label} "
                  f"({executor.workers} workers): {e['runs_per_s'] * 60:.0f} runs/min. "
                  f"Estimated time on this machine: {_hms(e['seconds'])}.")
            return 0
        exp = sweep.experiment(X)
        progress = Progress(sweep.runs(), interval=a.interval)
        try:
            res = run_batch(exp, out, executor, git=git_commit(), progress=progress)
        finally:
            progress.close()
        say_set_aside(res)
    finally:
        executor.close()
    runs = res.runs if res.runs is not None else read_runs(out)
    results = analyse(sweep, X, runs)
    sens = out / "sensitivity"
    sens.mkdir(parents=True, exist_ok=True)
    table = indices_table(results)
    table.to_parquet(sens / "indices.parquet", index=False)
    table.to_csv(sens / "indices.csv", index=False)
    pd.DataFrame(X, columns=sweep.problem["names"]).to_parquet(sens / "design.parquet")
    figures = plot_results(sweep, results, sens)
    text = plain_summary(sweep, results)
    found = discover(sweep, X, runs, sens)
    if found:
        text += "\n\nWhen does it not help? (PRIM over the design)\n\n" + found
    manifest = json.loads((out / "manifest.json").read_text())
    md = [f"# Sensitivity: {sweep.name}", "", sweep.description, "", "## In plain words", "", text,
          "", "## Indices", "", markdown(table), "",
          *(f"![{f.stem}]({f.name})" for f in figures if f.suffix == ".png"), "",
          "## Provenance", "",
          f"- sweep file: `{sweep.source}` (sha256 {manifest['experiment'].get('sha256', '')})",
          f"- method: {sweep.method.name}, n = {sweep.n}, {sweep.replications} replications, "
          f"seed {sweep.seed}, {sweep.runs()} runs",
          f"- git: {manifest.get('git')}; software: " + ", ".join(
              f"{k} {v}" for k, v in manifest.get("software", {}).items()),
          f"- results: `{out}` (runs.parquet, manifest.json)"]
    (sens / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print(text)
    print(f"\nwrote {sens}/ (indices.parquet/.csv, report.md, plots) in {res.wall_s:.1f} s")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `sweep` to the `cogov` command."""
    s = sub.add_parser("sweep", help="sensitivity analysis (Sobol, Morris, FAST, delta) with SALib")
    s.add_argument("experiment", help="sweep file, e.g. experiments/sweep-advantage.toml")
    add_executor_options(s)
    s.add_argument("--estimate", action="store_true",
                   help="run a short pilot and print how long the sweep would take")
    s.set_defaults(func=cmd_sweep)
