"""`cogov sweep`: sample with SALib, evaluate through the batch engine, analyse, report."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cogov_sim.batch import evaluate, executors, read_runs, run_batch
from cogov_sim.batch.cli import add_executor_options, output_folder, say_set_aside
from cogov_sim.batch.progress import Progress, hms, load_average
from cogov_sim.batch.store import Store, write_text
from cogov_sim.cli import git_commit
from cogov_sim.errors import InputError
from cogov_sim.sensitivity.analyse import (
    CI_WIDEST,
    CONVERGED,
    analyse,
    convergence_table,
    indices_table,
    plain_summary,
)
from cogov_sim.sensitivity.discovery import CAVEAT, RESAMPLES
from cogov_sim.sensitivity.plots import plot_results
from cogov_sim.sensitivity.sweep import Sweep, load_sweep


def estimate(sweep: Sweep, X: np.ndarray, executor: executors.Executor,
             per_scenario: int = 16) -> dict[str, float]:
    """A short pilot through the same executor on design points spread evenly through the
    design (run time varies across it: loaded points are slower, and a random dozen can miss
    them), in every scenario; then the sweep's total time, plus the emulator's fitting when
    the method has one. One warm-up run per worker first, so start-up is not counted as
    throughput. Other work on the machine changes the answer: the load average is printed."""
    workers = executor.workers
    points = sweep.points(X)
    take = min(len(points), max(per_scenario, 2 * workers))
    spread = np.unique(np.linspace(0, len(points) - 1, take).round().astype(int))
    chosen = [points[i] for i in spread]
    take = len(chosen)
    scenarios = list(sweep.scenarios.values())
    start = time.perf_counter()
    evaluate(sweep.model, chosen[:workers], seed=sweep.seed, scenario=scenarios[0],
             executor=executor, chunk=1)
    warm = time.perf_counter() - start
    halves = []  # every other pilot point: each half spans the design; their paces differ by
    # what the machine's other work did meanwhile
    for half in (chosen[0::2], chosen[1::2]):
        t0 = time.perf_counter()
        for sc in scenarios:
            evaluate(sweep.model, half, seed=sweep.seed, scenario=sc, executor=executor, chunk=1)
        halves.append((len(half) * len(scenarios), time.perf_counter() - t0))
    rate = sum(n for n, _ in halves) / sum(t for _, t in halves)
    paces = [n / t for n, t in halves if n and t > 0] or [rate]
    runs = sweep.runs()
    fitting = (sweep.method.fit_seconds(sweep.problem, X, len(sweep.outputs), sweep.seed,
                                        sweep.replicate_share)
               if hasattr(sweep.method, "fit_seconds") else 0.0)
    return {"runs": runs, "runs_per_s": rate, "startup_s": warm, "fit_s": fitting,
            "seconds": runs / rate + warm + fitting,
            "low_s": runs / max(paces) + warm + fitting, "high_s": runs / min(paces) + warm + fitting}


def scenario_provenance(name: str, rec: dict) -> str:
    """A scenario as the report names it: its file's hash as `cogov compare FILE` prints it
    (so provenance can be checked by eye), and the hash as run when the sweep's [set] or days
    changed it."""
    from cogov_sim.scenario import load

    source, ran = rec.get("source", "?"), rec.get("hash", "?")
    try:
        own = load(source).hash
    except InputError:
        return f"`{name}` ({source}, as run: hash {ran}; the file is gone or changed)"
    if own == ran:
        return f"`{name}` ({source}, hash {own})"
    return f"`{name}` ({source}, hash {own}; as run with the sweep's settings: {ran})"


def markdown(df: pd.DataFrame) -> str:
    """A plain Markdown table (numbers to 3 decimals)."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in df.itertuples(index=False)]
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "---|" * len(df.columns)
    return "\n".join([head, rule, *("| " + " | ".join(r) + " |" for r in cells)])


def discover(sweep: Sweep, X: np.ndarray, runs: pd.DataFrame, sens: Path) -> str:
    """For a contrast sweep: PRIM boxes of the design where the second scenario does no
    better, per output -- and, where it does better almost everywhere, where its advantage is
    in its smallest quarter; written to boxes.csv; returned in words."""
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
        if cases.sum() < discovery.MIN_CASES * len(y):  # helps almost everywhere: where least?
            small, cut = discovery.small_advantage(output, y)
            boxes = discovery.find_boxes(x, small)
            texts.append(discovery.describe_small(output, sweep.contrast, boxes, cut, len(y)))
            tables.append(discovery.boxes_table(
                output, boxes, f"smallest {discovery.SMALL_SHARE:.0%}"))
    full = [t for t in tables if len(t)]  # concat of empty frames warns (pandas 2.x)
    (pd.concat(full, ignore_index=True) if full else tables[0]).to_csv(sens / "boxes.csv",
                                                                      index=False)
    return "\n\n".join(texts)


def cmd_sweep(a: argparse.Namespace) -> int:
    wall0, load0 = time.perf_counter(), load_average()
    sweep = load_sweep(a.experiment)
    out = output_folder(a.out, sweep.name, sweep.source)  # before sampling or running anything
    executors.check(a.workers, a.scheduler)
    store = None if a.estimate else Store(out).hold()  # a second driver is refused at once
    try:
        return _sweep(a, sweep, out, store, wall0, load0)
    finally:
        if store is not None:
            store.close()


def say(message: str) -> None:
    """One progress line on stderr (a sweep's analysis runs for minutes after its runs)."""
    print(f"cogov sweep: {message}", file=sys.stderr, flush=True)


def runs_seconds(manifest: dict) -> float:
    """Wall time of every session that ran the sweep's runs (a resumed sweep has several)."""
    total = 0.0
    for s in manifest.get("sessions", []):
        if s.get("started") and s.get("finished") and s.get("runs"):
            total += (datetime.fromisoformat(s["finished"])
                      - datetime.fromisoformat(s["started"])).total_seconds()
    return total


def stored_runs(sweep: Sweep, out: Path) -> pd.DataFrame:
    """The runs a finished sweep folder holds (both stages), for `--reanalyse`: refused when
    the folder holds another experiment's runs."""
    folders = [out] + ([out / REPLICATE] if sweep.replicated() else [])
    for folder in folders:
        path = folder / "manifest.json"
        if not path.exists():
            raise InputError(str(folder), "is not a sweep's folder (no manifest.json); allowed: "
                             "a folder a finished `cogov sweep` wrote")
        held = json.loads(path.read_text())["experiment"].get("text")
        if held != sweep.text:
            raise InputError(str(folder), "holds the runs of another experiment than "
                             f"{sweep.source} (its experiment.toml differs); allowed: the folder "
                             "this sweep wrote")
    runs = read_runs(out)
    if not sweep.replicated():
        return runs
    return both_stages(runs, read_runs(out / REPLICATE), chosen_points(out))


REPLICATE = "replicate"  # the second stage's batch folder, inside the sweep's
CHOSEN = "replicate.csv"  # its design points (indices into the first stage's) and their
# noise, beside the first stage's runs: written before the second stage's folder exists


def chosen_points(out: Path) -> np.ndarray:
    """The design points the second stage runs again, as the first stage numbers them."""
    return pd.read_csv(out / CHOSEN)["point"].to_numpy()


def both_stages(first: pd.DataFrame, second: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """One runs table: the second stage's points renumbered as the first stage's."""
    return pd.concat([first, second.assign(point=chosen[second["point"].to_numpy()])],
                     ignore_index=True)


def _second_stage(a: argparse.Namespace, sweep: Sweep, X: np.ndarray, out: Path,
                  runs: pd.DataFrame, executor: executors.Executor) -> pd.DataFrame:
    """Choose the points where a run is noisiest after the first stage (`emulator.noisiest`),
    run them up to `replicate_to` replications in out/replicate/ (resumable: the choice is
    stored in out/replicate.csv before any run), and return both stages' runs."""
    from cogov_sim.sensitivity.analyse import replicate_values
    from cogov_sim.sensitivity.emulator import noisiest

    folder = out / REPLICATE
    if (out / CHOSEN).exists():
        chosen = chosen_points(out)
        say(f"second stage: the {len(chosen)} points chosen earlier ({out / CHOSEN})")
    else:
        Ys = [replicate_values(sweep, runs, o).mean(axis=1).to_numpy() for o in sweep.outputs]
        chosen, R = noisiest(sweep.problem, X, Ys, sweep.replicate_share, sweep.seed)
        table = pd.DataFrame({"point": chosen, **{f"noise:{o}": R[chosen, i]
                                                  for i, o in enumerate(sweep.outputs)}})
        write_text(out / CHOSEN, table.to_csv(index=False))
    say(f"second stage: {len(chosen)} noisiest points to {sweep.replicate_to} replications "
        f"({sweep.stage_runs()[1]} runs) in {folder}/")
    store = Store(folder).hold()
    progress = Progress(sweep.stage_runs()[1], interval=a.interval)
    try:
        res = run_batch(sweep.stage_two(X, chosen), folder, executor, git=git_commit(),
                        progress=progress, store=store)
    finally:
        progress.close()
        store.close()
    say_set_aside(res)
    second = res.runs if res.runs is not None else read_runs(folder)
    return both_stages(runs, second, chosen)


def _run(a: argparse.Namespace, sweep: Sweep, X: np.ndarray, out: Path, store: Store | None
         ) -> tuple[pd.DataFrame, str, int] | None:
    """Run (or resume) the sweep's runs, or with --estimate print the estimate (None)."""
    executor = executors.make(a.workers, a.scheduler)
    try:
        if a.estimate:
            e = estimate(sweep, X, executor)
            second = (f" + a second stage of {sweep.replicated()} points to "
                      f"{sweep.replicate_to} replications" if sweep.replicated() else "")
            print(f"{sweep.name}: {sweep.method.name} with n = {sweep.n}, {len(sweep.bounds)} "
                  f"parameters, {sweep.replications} replications{second}, "
                  f"{len(sweep.scenarios)} scenario(s) -> {e['runs']} runs. Pilot on "
                  f"{executor.label} "
                  f"({executor.workers} workers): {e['runs_per_s'] * 60:.0f} runs/min. "
                  + (f"Emulator fitting (bootstrap refits, cross-validation, half-design "
                     f"refit; {len(sweep.outputs)} outputs): {hms(e['fit_s'])}. "
                     if e["fit_s"] else "")
                  + f"Estimated time on this machine: {hms(e['seconds'])}, between "
                  f"{hms(e['low_s'])} and {hms(e['high_s'])} at the paces of the pilot's two "
                  f"halves (load average now {load_average()}; other work on the machine "
                  "slows it).")
            return None
        exp = sweep.experiment(X)
        progress = Progress(sweep.stage_runs()[0], interval=a.interval)
        try:
            res = run_batch(exp, out, executor, git=git_commit(), progress=progress, store=store)
        finally:
            progress.close()
        say_set_aside(res)
        if res.skipped:
            say(f"{res.skipped} of {res.planned} runs were already stored in {out}/ (an earlier "
                f"session); ran {res.ok + res.failed} now")
        runs = res.runs if res.runs is not None else read_runs(out)
        if sweep.replicated():
            runs = _second_stage(a, sweep, X, out, runs, executor)
    finally:
        executor.close()
    return runs, executor.label, executor.workers


def _sweep(a: argparse.Namespace, sweep: Sweep, out: Path, store: Store | None, wall0: float,
           load0: str) -> int:
    X = sweep.design()
    if a.reanalyse:
        runs, label, workers = stored_runs(sweep, out), "no runs (--reanalyse)", 0
        say(f"analysing the {len(runs)} runs stored in {out}/ again (none run)")
    else:
        ran = _run(a, sweep, X, out, store)
        if ran is None:
            return 0
        runs, label, workers = ran
    t_fit = time.perf_counter()
    load_fit = load_average()
    results = analyse(sweep, X, runs, say)
    indices_s = time.perf_counter() - t_fit  # what --estimate's fitting estimates
    load_fit += f" -> {load_average()}"
    sens = out / "sensitivity"
    sens.mkdir(parents=True, exist_ok=True)
    table = indices_table(results)
    table.to_parquet(sens / "indices.parquet", index=False)
    table.to_csv(sens / "indices.csv", index=False)
    conv = convergence_table(results)
    conv.to_csv(sens / "convergence.csv", index=False)
    pd.DataFrame(X, columns=sweep.problem["names"]).to_parquet(sens / "design.parquet")
    say(f"writing tables and plots to {sens}/")
    figures = plot_results(sweep, results, sens)
    text = plain_summary(sweep, results)
    if sweep.contrast:
        say("looking for where the second scenario does not help (PRIM boxes, each pruned "
            f"with {RESAMPLES} PRIM reruns: a minute or two)")
    found = discover(sweep, X, runs, sens)
    fit_s = time.perf_counter() - t_fit
    wall = time.perf_counter() - wall0
    manifest = json.loads((out / "manifest.json").read_text())
    second = (json.loads((out / REPLICATE / "manifest.json").read_text())
              if sweep.replicated() else {})
    runs_s = runs_seconds(manifest) + runs_seconds(second)
    timing = {"wall_s": round(wall, 1), "runs_s": round(runs_s, 1),
              "analysis_s": round(fit_s, 1), "indices_s": round(indices_s, 1),
              "load_indices": load_fit, "load_start": load0, "load_end": load_average(),
              "finished": datetime.now(UTC).isoformat(timespec="seconds"),
              "workers": workers, "runs": sweep.runs()}
    (sens / "timing.json").write_text(json.dumps(timing, indent=1) + "\n", encoding="utf-8")
    scen = manifest.get("scenarios", {})
    md = [f"# Sensitivity: {sweep.name}", "", sweep.description, "", "## In plain words", "", text,
          "", "## Convergence", "",
          f"Converged means: every index (S1 and ST) moves by less than {CONVERGED} between the "
          f"analysis of the first half of the design and of all of it"
          + (" (the emulator refitted from scratch on the first half)" if hasattr(
              sweep.method, "point") else "")
          + f", every 95% CI half-width is at most {CI_WIDEST}, and no index is impossible.", "",
          markdown(conv)]
    if any(r.indices.attrs.get("emulator") for r in results):
        md += ["", "## Emulator validation", "",
               "5-fold cross-validation of the Gaussian process on the design-point means: Q² = "
               "1 - held-out squared error / variance of the means (the held-out R²), and the "
               "share of held-out means inside the emulator's 95% predictive interval (noise "
               "included). The held-out means carry run-to-run noise the emulator cannot "
               "predict, so Q² cannot exceed about 1 - `noise_in_means`.", "",
               "When validation is weak (Q² below 0.8, or coverage outside 85-100%) the indices "
               "describe the emulator's smooth mean, not the model: the share of variance a "
               "parameter explains *of what the emulator could learn*. The ranking of the large "
               "indices is still informative; small indices and the S1/ST split are not, and "
               "the variance the emulator put into noise is attributed to no parameter."]
    if found:
        md += ["", "## When does the committee not help? (PRIM boxes)", "", found, "",
               "Boxes in `boxes.csv` (one row per kept parameter of each pruned box: its limits, "
               "`qp_low`/`qp_high` its quasi-p-values in the pruned box, `reproduced` the share "
               "of reruns restricting it; coverage = share of the described design points "
               "inside the box, density = share of the box's points that are such points, "
               "`points` how many; `prim_dials` how many dials PRIM's own box restricted, "
               f"`dropped` which were dropped and why). {CAVEAT}"]
    md += ["", "## Indices", "", markdown(table), "",
           *(f"![{f.stem}]({f.name})" for f in figures if f.suffix == ".png"), "",
           "## Provenance", "",
           f"- sweep file: `{sweep.source}` (sha256 {manifest['experiment'].get('sha256', '')}); "
           "a copy in `../experiment.toml`",
           "- scenarios: " + ", ".join(scenario_provenance(k, v) for k, v in scen.items())
           + "; copies in `../scenarios/`",
           f"- method: {sweep.method.name}, n = {sweep.n}, {sweep.replications} replications, "
           f"seed {sweep.seed}, {sweep.runs()} runs"
           + (f"; second stage: the {sweep.replicated()} points where a run was noisiest after "
              f"the first (`{CHOSEN}`), run to {sweep.replicate_to} replications "
              f"each ({sweep.stage_runs()[1]} runs in `{REPLICATE}/`, git {second.get('git')})"
              if sweep.replicated() else ""),
           f"- git: {manifest.get('git')}; software: " + ", ".join(
               f"{k} {v}" for k, v in manifest.get("software", {}).items()),
           *([f"- analysed again with `--reanalyse` (no runs) at git {git_commit()}"]
             if a.reanalyse else []),
           f"- wall time: {hms(wall)} this session ({hms(runs_s)} of runs over "
          f"{len([s for m in (manifest, second) for s in m.get('sessions', []) if s.get('runs')])}"
          " session(s), "
          f"{hms(fit_s)} analysis, {hms(indices_s)} of it the indices and their checks, load "
          f"{load_fit}) on "
           f"{label} with {workers} workers, {manifest['machine'].get('cpus')} "
           f"CPUs; load average (1, 5, 15 min) {load0} at the start and {timing['load_end']} at "
           f"the end (`timing.json`), finished {timing['finished']}",
           f"- results: `{out}` (runs, manifest.json, plan.parquet)"]
    (sens / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    if found:
        text += "\n\nWhen does it not help? (PRIM over the design)\n\n" + found + "\n\n" + CAVEAT
    print(text)
    print(f"\nwrote {sens}/ (indices, convergence, report.md, plots) in {hms(wall)} "
          f"({hms(fit_s)} of it analysis; load average {load0} -> {timing['load_end']})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `sweep` to the `cogov` command."""
    s = sub.add_parser("sweep", help="sensitivity analysis (Sobol, Morris, FAST, delta) with SALib")
    s.add_argument("experiment", help="sweep file, e.g. experiments/sweep-advantage.toml")
    add_executor_options(s)
    s.add_argument("--estimate", action="store_true",
                   help="run a short pilot and print how long the sweep would take")
    s.add_argument("--reanalyse", action="store_true",
                   help="run nothing: analyse the runs stored in --out again (after a change "
                        "to the analysis; a committed folder keeps runs.parquet, not the "
                        "journal a resumed sweep skips from)")
    s.set_defaults(func=cmd_sweep)
