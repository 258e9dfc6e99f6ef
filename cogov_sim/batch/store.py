"""A batch's results folder: written as runs finish, crash-safe, resumable, refusing mix-ups.

Layout::

    manifest.json        provenance: experiment text and hash, plan hash, seed tree, scenarios,
                         package versions, git commit, machine, sessions with start/end times
    experiment.toml      the experiment file as run
    plan.parquet         every planned run: run_id, scenario, point, replication, seed, overrides
    scenarios/NAME.toml  each scenario as run (every value explicit)
    runs/part-*.parquet  the journal: one part per finished chunk, written atomically (every
                         128 parts are merged into one; a row may briefly be in both: the
                         latest wins, and they are identical)
    runs.parquet         the runs table: the journal compacted, one row per run, in plan order
    issues/scenario=NAME/RUN_ID.parquet, daily/scenario=NAME/RUN_ID.parquet  (if kept)

Every file is written to a temporary name, synced to disk, and moved into place with
`os.replace`, so a kill or a power cut at any moment leaves either the old file or the new
one, never half of one. A run counts as
done once its row is in a journal part; its tables are written before that row, under names
fixed by the run id, so a rerun overwrites rather than duplicates them.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import socket
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cogov_sim.errors import InputError, did_you_mean
from cogov_sim.scenario import Change, Scenario

from .experiment import Experiment
from .plan import Plan
from .worker import LOST, Record

FORMAT = 1
PACKAGES = ("cogov-sim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "dask",
            "distributed")
VOLATILE = ("wall_s", "worker")  # differ between identical batches: timing and placement
MERGE_AT = 128  # journal parts merged into one once this many small ones exist
SETUP = ("experiment.toml", "scenarios", "plan.parquet", "runs")  # written before the manifest


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Any) -> None:
    """Write via a synced temporary sibling and `os.replace`: complete or absent after any crash."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_frame(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape results."""
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def scenario_dict(sc: Scenario) -> dict[str, Any]:
    """A scenario as JSON, complete enough to rebuild it exactly (`scenario_from_dict`)."""
    return {"name": sc.name, "description": sc.description, "source": sc.source, "hash": sc.hash,
            "overrides": sc.overrides, "params": sc.params,
            "changes": [[c.day, c.values] for c in sc.changes]}


def scenario_from_dict(d: dict[str, Any]) -> Scenario:
    """Rebuild a scenario recorded by `scenario_dict`, checking its hash."""
    sc = Scenario(d["name"], d["description"], d["params"],
                  tuple(Change(day, vals) for day, vals in d["changes"]), d["source"], d["overrides"])
    if sc.hash != d["hash"]:
        raise ValueError(f"scenario '{sc.name}' does not rebuild to its recorded hash")
    return sc


class Store:
    """One batch folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.parts = self.folder / "runs"
        self.manifest_path = self.folder / "manifest.json"
        self._lock: Any = None

    def lock(self) -> None:
        """Hold the folder for this process (released at exit, even on kill -9)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.folder / ".lock", "a+")  # noqa: SIM115 -- held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise InputError(str(self.folder), "another `cogov batch` is writing to this folder "
                             "right now; wait for it, or give another --out") from None
        for stale in self.folder.rglob(".*.tmp"):  # left by a process killed mid-write
            stale.unlink(missing_ok=True)

    def close(self) -> None:
        """Let go of the folder."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # --- opening ---------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The folder's manifest."""
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def open(self, exp: Experiment, plan: Plan, git: str | None) -> dict[str, Any]:
        """Create the folder (the manifest last: it commits the start) or reopen it to resume."""
        if self.manifest_path.exists():
            old = self.manifest()
            if old["plan"]["hash"] != plan.hash:
                raise InputError(
                    str(self.folder),
                    f"holds the results of a different experiment ('{old['experiment']['name']}' "
                    f"from {old['experiment']['file']}, plan {old['plan']['hash'][:12]}; this is "
                    f"'{exp.name}' from {exp.source}, plan {plan.hash[:12]}); give another --out, "
                    "or delete the folder to start over")
        elif self.folder.exists() and any(not p.name.startswith(".") and p.name not in SETUP
                                          for p in self.folder.iterdir()):
            raise InputError(str(self.folder), "exists and is not a batch folder (no manifest.json); "
                             "give another --out")
        self.lock()
        if self.manifest_path.exists():
            return self.manifest()
        self.parts.mkdir(parents=True, exist_ok=True)
        write_text(self.folder / "experiment.toml", exp.text)
        scen = self.folder / "scenarios"
        scen.mkdir(exist_ok=True)
        for name, sc in exp.scenarios.items():
            if sc is not None:
                write_text(scen / f"{name}.toml", sc.to_toml())
        write_frame(self.folder / "plan.parquet", pd.DataFrame([
            {"run_id": r.run_id, "scenario": r.scenario, "point": r.point,
             "replication": r.replication, "seed": r.seed,
             "overrides": json.dumps(r.overrides, sort_keys=True)} for r in plan.runs]))
        manifest = {
            "format": FORMAT,
            "experiment": {"name": exp.name, "description": exp.description, "file": exp.source,
                           "sha256": exp.sha256, "model": exp.model if isinstance(exp.model, str)
                           else repr(exp.model), "text": exp.text},
            "plan": {"hash": plan.hash, "runs": len(plan.runs), "scenarios": list(exp.scenarios),
                     "varied": list(plan.varied), "points": len(plan.points),
                     "replications": exp.replications, "fixed": exp.fixed, "keep": list(exp.keep)},
            "seeds": plan.seed_tree(exp.seed),
            "scenarios": {n: scenario_dict(sc) for n, sc in exp.scenarios.items() if sc is not None},
            "software": versions(),
            "git": git,
            "machine": {"hostname": socket.gethostname(), "platform": platform.platform(),
                        "processor": platform.processor() or platform.machine(),
                        "cpus": os.cpu_count()},
            "started": now(),
            "finished": None,
            "sessions": [],
            "counts": {"planned": len(plan.runs), "ok": 0, "failed": 0},
        }
        self.save_manifest(manifest)
        return manifest

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        write_text(self.manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False, default=str))

    # --- the journal -----------------------------------------------------------------------

    def part_files(self) -> list[Path]:
        """Journal parts, oldest first."""
        return sorted(self.parts.glob("part-*.parquet"))

    def statuses(self) -> dict[str, str]:
        """run_id -> status of every run in the journal (the latest attempt wins)."""
        out: dict[str, str] = {}
        for f in self.part_files():
            t = pq.read_table(f, columns=["run_id", "status"])
            out.update(zip(t["run_id"].to_pylist(), t["status"].to_pylist(), strict=True))
        return out

    def write(self, records: Iterable[Record], varied: tuple[str, ...]) -> None:
        """Store finished runs: their tables first, then their rows as one journal part."""
        rows = []
        for rec in records:
            if rec.status == LOST:
                continue
            r = rec.run
            for name, df in rec.tables.items():
                d = self.folder / name / f"scenario={r.scenario}"
                d.mkdir(parents=True, exist_ok=True)
                write_frame(d / f"{r.run_id}.parquet", df.assign(run_id=r.run_id))
            rows.append({"run_id": r.run_id, "scenario": r.scenario, "point": r.point,
                         "replication": r.replication, "seed": r.seed,
                         **{k: r.overrides.get(k) for k in varied}, **rec.summary,
                         "status": rec.status, "error": rec.error, "wall_s": rec.wall_s,
                         "worker": rec.worker})
        if rows:
            name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
            write_frame(self.parts / name, pd.DataFrame(rows))
            small = [f for f in self.part_files() if not f.stem.endswith("-m")]
            if len(small) >= MERGE_AT:
                self.merge(small)

    def merge(self, parts: list[Path]) -> None:
        """Merge journal parts into one (named after the newest), so long batches keep few files."""
        table = pa.concat_tables([pq.read_table(f) for f in parts], promote_options="permissive")
        atomic_write(self.parts / f"{parts[-1].stem}-m.parquet", lambda p: pq.write_table(table, p))
        for f in parts:
            f.unlink()

    def compact(self, order: list[str]) -> pd.DataFrame | None:
        """Merge the journal into runs.parquet: one row per run (latest attempt), plan order."""
        files = self.part_files()
        if not files:
            return None
        table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
        df = table.to_pandas().drop_duplicates("run_id", keep="last")
        rank = {rid: i for i, rid in enumerate(order)}
        df = df.assign(_rank=df["run_id"].map(rank)).sort_values("_rank").drop(columns="_rank")
        cols = [c for c in df.columns if c not in ("status", "error", *VOLATILE)]
        df = df[[*cols, "status", "error", *VOLATILE]].reset_index(drop=True)
        write_frame(self.folder / "runs.parquet", df)
        return df


def read_runs(folder: str | Path) -> pd.DataFrame:
    """The runs table of a batch folder."""
    path = Path(folder) / "runs.parquet"
    if not path.exists():
        raise InputError(str(folder), "has no runs.parquet: not a finished batch folder "
                         "(run `cogov batch` on it again to finish and compact it)")
    return pd.read_parquet(path)


def load_run_spec(folder: str | Path, run_id: str) -> tuple[Scenario, int]:
    """The exact scenario and seed of run `run_id` of a batch, to replay it (e.g. in the viewer)."""
    store = Store(folder)
    if not store.manifest_path.exists():
        raise InputError(str(folder), "is not a batch folder (no manifest.json)")
    plan = pd.read_parquet(Path(folder) / "plan.parquet")
    row = plan[plan["run_id"] == run_id]
    if row.empty:
        raise InputError(str(folder), f"no run '{run_id}'{did_you_mean(run_id, plan['run_id'])}",
                         key="run_id")
    rec = row.iloc[0]
    scenarios = store.manifest()["scenarios"]
    if rec["scenario"] not in scenarios:
        raise InputError(str(folder), "this batch ran a model without scenarios", key="run_id")
    sc = scenario_from_dict(scenarios[rec["scenario"]])
    overrides = json.loads(rec["overrides"])
    if overrides:
        sc = sc.with_overrides(overrides, source=f"{folder} run {run_id}")
    return sc, int(rec["seed"])
