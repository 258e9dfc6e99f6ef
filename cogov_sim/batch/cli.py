"""`cogov batch` and `cogov report`: parse, call the batch engine, print one summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cogov_sim.errors import InputError, safe_name, show, writable_folder
from cogov_sim.flags import git_commit, int_at_least

from . import executors
from .experiment import load_experiment
from .integrity import describe
from .progress import Progress
from .runner import BatchResult, run_batch
from .store import Store


def output_folder(out: str | None, name: object, source: str) -> Path:
    """--out, or results/NAME: checked before anything runs (a file in the way, no permission,
    a name that would lead outside results/)."""
    if out:
        return writable_folder(out)
    if not isinstance(name, str):
        raise InputError(source, f"value {show(name)} has the wrong type; allowed: a string",
                         key="name")
    return writable_folder(Path("results") / safe_name(name, source), "results folder")


def cmd_batch(a: argparse.Namespace) -> int:
    """Run (or resume) an experiment into its folder; exit 1 if any run failed."""
    exp = load_experiment(a.experiment)
    out = output_folder(a.out, exp.name, exp.source)
    executors.check(a.workers, a.scheduler)
    store = Store(out).hold()  # before starting workers: a second driver is refused at once
    try:
        executor = executors.make(a.workers, a.scheduler)
        try:
            progress = Progress(0, interval=a.interval)
            try:
                res = run_batch(exp, out, executor, chunk=a.chunk, retry_failed=a.retry_failed,
                                git=git_commit(), progress=progress, store=store)
            finally:
                progress.close()
        finally:
            executor.close()
    finally:
        store.close()
    say_set_aside(res)
    done = res.ok + res.failed
    print(f"{exp.name}: {res.planned} runs planned, {res.skipped} already stored, {done} run now "
          f"in {res.wall_s:.1f} s on {executor.label} ({res.workers} "
          f"worker{'s' if res.workers != 1 else ''}): "
          f"{res.ok} ok, {res.failed} failed")
    if res.model_s >= 10:
        print(f"model time {res.model_s:.1f} s over {done} runs; batch overhead {res.overhead:+.1%} "
              f"(wall time x workers vs model time), {res.overhead_per_run:+.1%} without the "
              f"{res.startup_s:.1f} s start-up")
    if res.lost:
        print(f"{len(res.lost)} runs did not run: their worker was lost ({res.lost[0].error}); "
              "run the same command again to run them", file=sys.stderr)
    failed_total = 0 if res.runs is None else int((res.runs["status"] != "ok").sum())
    if failed_total:
        first = str(res.runs.loc[res.runs["status"] != "ok", "error"].iloc[0]).splitlines()[0]
        print(f"{failed_total} runs failed in all (first: {first}): see the 'status' and 'error' "
              f"columns of {out / 'runs.parquet'}; `cogov batch {a.experiment} --out {out} "
              "--retry-failed` "
              "runs them again", file=sys.stderr)
    print(f"results: {out}/ (runs.parquet, manifest.json); `cogov report {out}` for tables and plots")
    return 1 if failed_total or res.lost else 0


def say_set_aside(res: BatchResult) -> None:
    """A line on stderr when a resume set damaged or foreign files aside, or restored deleted ones."""
    if res.set_aside:
        dest, damaged = res.set_aside
        print(f"cogov batch: set aside {len(damaged)} damaged or foreign file(s) in {dest}/: "
              f"{describe(damaged)}; rebuilt them or ran their runs again", file=sys.stderr)
    if res.restored:
        print(f"cogov batch: {len(res.restored)} file(s) of the folder were deleted: "
              f"{', '.join(res.restored)}; wrote them again from the manifest", file=sys.stderr)


def cmd_report(a: argparse.Namespace) -> int:
    """Write the report of a batch folder."""
    from .report import report

    path = report(Path(a.folder), writable_folder(a.out) if a.out else None)
    print(f"wrote {path} with its tables and figures")
    return 0


def add_worker_options(p: argparse.ArgumentParser) -> None:
    """--workers and --scheduler: where runs go (local processes or a Dask cluster)."""
    p.add_argument("--workers", type=int_at_least("--workers", 1),
                   help="local worker processes (default: all cores; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """--out, --workers, --scheduler (and a hidden --interval): shared by every command that
    runs through the batch engine into a results folder."""
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/NAME)")
    add_worker_options(p)
    p.add_argument("--interval", type=float, default=10.0, help=argparse.SUPPRESS)


def register(sub: argparse._SubParsersAction) -> None:
    """Add `batch` and `report` to the `cogov` command."""
    b = sub.add_parser("batch", help="run an experiment's runs into a results folder (resumable)")
    b.add_argument("experiment", help="experiment file, e.g. experiments/headline.toml")
    add_executor_options(b)
    b.add_argument("--chunk", type=int_at_least("--chunk", 1),
                   help="runs per task (default: about 1 s of model time, smaller near the end)")
    b.add_argument("--retry-failed", action="store_true", help="run failed runs again")
    b.set_defaults(func=cmd_batch)

    r = sub.add_parser("report", help="tables and plots (PNG, SVG) and report.md from a batch folder")
    r.add_argument("folder", help="a folder written by `cogov batch`")
    r.add_argument("--out", metavar="DIR", help="where to write (default: FOLDER/report)")
    r.set_defaults(func=cmd_report)
