"""Run a planned experiment through an executor into a results folder, or into memory."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cogov_sim.scenario import Scenario, load

from . import executors, models
from .experiment import Experiment
from .integrity import Damage
from .plan import Plan, Run, expand
from .progress import Progress
from .store import Store, now
from .worker import LOST, Chunk, Record, died, lost, run_chunk, split


@dataclass
class BatchResult:
    """What a batch did: counts, timings, and where its results are."""

    folder: Path | None
    planned: int
    skipped: int
    ok: int
    failed: int
    wall_s: float
    model_s: float
    workers: int
    runs: pd.DataFrame | None = None
    lost: list[Record] = field(default_factory=list)
    startup_s: float = 0.0
    set_aside: tuple[Path, list[Damage]] | None = None  # damaged files found on resume
    restored: list[str] = field(default_factory=list)  # deleted setup files written again

    @property
    def overhead(self) -> float:
        """Machinery time as a share of model time: wall x workers / sum of run times - 1."""
        return self.wall_s * self.workers / self.model_s - 1 if self.model_s > 0 else math.nan

    @property
    def overhead_per_run(self) -> float:
        """The same without the one-off start-up (workers importing the model)."""
        wall = self.wall_s - self.startup_s
        return wall * self.workers / self.model_s - 1 if self.model_s > 0 else math.nan


class Sizer:
    """Runs per task: ~`target` s of model time (amortises task costs), fewer near the end (balance)."""

    def __init__(self, workers: int, fixed: int | None = None, target: float = 1.0,
                 largest: int = 1000) -> None:
        self.workers, self.fixed, self.target, self.largest = workers, fixed, target, largest
        self.runs, self.seconds = 0, 0.0

    def observe(self, records: list[Record]) -> None:
        """Learn the model's run time from finished runs."""
        times = [r.wall_s for r in records if not math.isnan(r.wall_s)]
        self.runs += len(times)
        self.seconds += sum(times)

    def __call__(self, remaining: int) -> int:
        if self.fixed:
            return self.fixed
        if not self.runs:
            return 1
        per_run = self.seconds / self.runs
        size = self.largest if per_run <= 0 else max(1, round(self.target / per_run))
        return max(1, min(size, self.largest, math.ceil(remaining / (2 * self.workers))))


def chunks(exp: Experiment, runs: Sequence[Run], size: Callable[[int], int]) -> Iterator[Chunk]:
    """The pending runs cut into tasks, each carrying only the scenarios it needs."""
    i = 0
    while i < len(runs):
        part = tuple(runs[i:i + size(len(runs) - i)])
        i += len(part)
        needed = {r.scenario for r in part}
        yield Chunk(exp.model, {n: s for n, s in exp.scenarios.items() if n in needed},
                    exp.keep, part)


def _execute(exp: Experiment, runs: Sequence[Run], executor: executors.Executor,
             chunk: int | None) -> Iterator[list[Record]]:
    sizer = Sizer(executor.workers, chunk)
    for records in executor.imap(run_chunk, chunks(exp, runs, sizer), lost, split=split, died=died):
        sizer.observe(records)
        yield records


def run_batch(exp: Experiment, out: str | Path, executor: executors.Executor,
              chunk: int | None = None, retry_failed: bool = False, git: str | None = None,
              progress: Progress | None = None,
              on_records: Callable[[list[Record]], None] | None = None,
              store: Store | None = None) -> BatchResult:
    """Run every run of `exp` not yet in `out`, storing each chunk as it finishes (into
    `store`, when the caller already holds the folder)."""
    plan = expand(exp)
    store = store or Store(out)
    manifest = store.open(exp, plan, git)
    stored = store.statuses()
    pending = [r for r in plan.runs
               if stored.get(r.run_id) is None or r.run_id in store.redo
               or (retry_failed and stored[r.run_id] != "ok")]
    session = {"started": now(), "executor": executor.label, "workers": executor.workers,
               "runs": len(pending), "finished": None}
    manifest["sessions"].append(session)
    store.save_manifest(manifest)
    if progress is not None:
        progress.start(len(plan.runs), len(plan.runs) - len(pending))
    t0, model_s, ok, failed, missing, startup = time.perf_counter(), 0.0, 0, 0, [], 0.0
    workers = executor.workers
    try:
        for records in _execute(exp, pending, executor, chunk):
            if not startup:
                startup = max(0.0, time.perf_counter() - t0 - sum(r.wall_s for r in records
                                                                  if not math.isnan(r.wall_s)))
            store.write(records, plan.varied)
            gone = [r for r in records if r.status == LOST]
            n_ok = sum(r.status == "ok" for r in records)
            missing += gone
            ok, failed = ok + n_ok, failed + len(records) - n_ok - len(gone)
            model_s += sum(r.wall_s for r in records if not math.isnan(r.wall_s))
            workers = max(workers, executor.workers)  # a cluster may shrink: count its peak
            if progress is not None:
                progress.update(n_ok, len(records) - n_ok - len(gone), len(gone))
            if on_records is not None:
                on_records(records)
    finally:
        wall = time.perf_counter() - t0
        rank = {n: i for i, n in enumerate(exp.scenarios)}
        order = sorted(plan.runs, key=lambda r: (rank[r.scenario], r.point, r.replication))
        runs = store.compact([r.run_id for r in order])
        session["finished"] = now()
        counts = runs["status"].value_counts().to_dict() if runs is not None else {}
        manifest["counts"] = {"planned": len(plan.runs), "ok": int(counts.get("ok", 0)),
                              "failed": int(len(runs) - counts.get("ok", 0)) if runs is not None else 0}
        if runs is not None and len(runs) == len(plan.runs):
            manifest["finished"] = session["finished"]
        store.save_manifest(manifest)
        store.close()
    return BatchResult(store.folder, len(plan.runs), len(plan.runs) - len(pending), ok, failed,
                       wall, model_s, workers, runs, missing, startup, store.set_aside,
                       store.restored)


def require_ok(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """`evaluate`'s rows, or a RuntimeError naming how many runs of `name` failed and the first
    error: for callers that need every run."""
    failed = df[df["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"{len(failed)} runs of '{name}' failed; first error:\n"
                           f"{failed['error'].iloc[0]}")
    return df


def evaluate(model: str | models.ModelFn, points: Iterable[dict[str, Any]], *, seed: int = 0,
             replications: int = 1, scenario: Scenario | str | None = None,
             executor: executors.Executor | None = None, chunk: int | None = None) -> pd.DataFrame:
    """Evaluate a model at points in memory, rows by point then replication (for SALib designs)."""
    if isinstance(scenario, str):
        scenario = load(scenario)
    if scenario is None and models.is_cogov(model):
        raise ValueError("the cogov model needs a scenario")
    name = scenario.name if scenario is not None else "run"
    exp = Experiment("evaluate", "", model, {name: scenario}, replications, seed, {}, ("summary",),
                     points=tuple(dict(p) for p in points))
    plan: Plan = expand(exp)
    ex = executor or executors.Serial()
    rows = [{"run_id": r.run.run_id, "point": r.run.point, "replication": r.run.replication,
             "seed": r.run.seed, **r.run.overrides, **r.summary, "status": r.status, "error": r.error}
            for records in _execute(exp, plan.runs, ex, chunk) for r in records]
    return pd.DataFrame(rows).sort_values(["point", "replication"]).reset_index(drop=True)
