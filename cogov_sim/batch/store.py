"""A batch's results folder: written as runs finish, crash-safe, resumable, refusing mix-ups.

Layout::

    manifest.json        provenance: experiment text and hash, plan hash, seed tree, scenarios,
                         package versions, git commit, machine, sessions with start/end times,
                         and every file's size and sha256 (`integrity`)
    manifest.backup.json the same (a damaged manifest is restored from it on resume)
    experiment.toml      the experiment file as run
    plan.parquet         every planned run: run_id, scenario, point, replication, seed, overrides
    scenarios/NAME.toml  each scenario as run (every value explicit)
    runs/part-*.parquet  the journal: one part per finished chunk, written atomically (every
                         128 parts are merged into one; a row may briefly be in both: the
                         latest wins, and they are identical)
    runs.parquet         the runs table: the journal compacted, one row per run, in plan order
    issues/scenario=NAME/RUN_ID.parquet, daily/scenario=NAME/RUN_ID.parquet  (if kept)
    damaged/STAMP/...    files a resume found damaged, set aside; their runs were run again

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
import re
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

from . import integrity, models
from .experiment import Experiment
from .plan import Plan
from .worker import LOST, Record

FORMAT = 1
PACKAGES = ("cogov-sim", "mesa", "numpy", "scipy", "pandas", "pyarrow", "networkx", "dask",
            "distributed")
VOLATILE = ("wall_s", "worker")  # differ between identical batches: timing and placement
MERGE_AT = 128  # journal parts merged into one once this many small ones exist
SETUP = ("experiment.toml", "scenarios", "plan.parquet", "runs")  # written before the manifest
CHECKPOINT_S = 2.0  # the manifest (with the files' checksums) is saved at most this often
PLAN_KEY = b"cogov_plan"  # a journal part's Parquet metadata: the plan hash of its batch
MANIFEST_KEYS = ("format", "experiment", "plan", "seeds", "scenarios", "sessions", "counts")


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
    except OSError as e:
        if e.filename is not None:
            raise
        raise named_os_error(e, path) from e
    finally:
        tmp.unlink(missing_ok=True)


def named_os_error(err: OSError, path: Path) -> OSError:
    """`err` naming `path`: pyarrow's write errors (a full disk) name no file."""
    code = err.errno or next((int(m) for m in re.findall(r"errno (\d+)", str(err))), None)
    return OSError(code, os.strerror(code) if code else str(err), str(path))


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
        self.backup_path = self.folder / "manifest.backup.json"
        self._lock: Any = None
        self._manifest: dict[str, Any] | None = None
        self._saved, self._save_s = 0.0, 0.0
        self.files: dict[str, list[int | str]] = {}  # relative path -> [size, sha256]
        self.redo: set[str] = set()  # runs whose stored files were damaged: run them again
        self.set_aside: tuple[Path, list[integrity.Damage]] | None = None
        self.restored: list[str] = []  # setup files found deleted on resume and written again
        self.plan_hash = ""  # marks every journal part: a part of another batch is told apart

    def hold(self) -> Store:
        """Refuse a folder that is not a batch's, then lock it: called before slow setup (a
        sweep's sampling, starting workers), so a second driver is refused at once."""
        if not self.is_batch() and self.folder.exists() and any(
                not p.name.startswith(".") and p.name not in SETUP for p in self.folder.iterdir()):
            raise InputError(str(self.folder), "exists and is not a batch folder (no manifest.json); "
                             "give another --out")
        self.lock()
        return self

    def lock(self) -> None:
        """Hold the folder for this process (released at exit, even on kill -9)."""
        if self._lock is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.folder / ".lock", "a+")  # noqa: SIM115 -- held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.close()
            raise InputError(str(self.folder), "another `cogov batch` or `cogov sweep` is writing "
                             "to this folder right now; wait for it, or give another --out"
                             ) from None
        for stale in self.folder.rglob(".*.tmp"):  # left by a process killed mid-write
            stale.unlink(missing_ok=True)

    def close(self) -> None:
        """Let go of the folder."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # --- opening ---------------------------------------------------------------------------

    def is_batch(self) -> bool:
        """Whether the folder holds a batch (a manifest or its backup)."""
        return self.manifest_path.exists() or self.backup_path.exists()

    def _read_manifest(self, path: Path) -> tuple[dict[str, Any] | None, str]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, "missing"
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            return None, f"not valid JSON: {e}"
        if not isinstance(doc, dict) or not all(k in doc for k in MANIFEST_KEYS):
            return None, "not a batch manifest (keys missing)"
        return doc, ""

    def manifest(self, repair: bool = False) -> dict[str, Any]:
        """The folder's manifest; its backup when it is damaged. With `repair`, a damaged
        manifest is set aside (and rewritten at the next save); without, it is an error."""
        doc, why = self._read_manifest(self.manifest_path)
        if doc is not None:
            return doc
        backup, why_backup = self._read_manifest(self.backup_path)
        if backup is None or not repair:
            fix = ("run the same `cogov batch` command again to repair it from its backup"
                   if backup is not None else
                   f"its backup is {why_backup} too, so the folder cannot be resumed; the runs "
                   "stored so far are in runs/*.parquet")
            raise InputError(str(self.folder), f"manifest.json is damaged ({why}); {fix}")
        if self.manifest_path.exists():
            self.set_aside = (integrity.set_aside(
                self.folder, [integrity.Damage("manifest.json", why)]),
                [integrity.Damage("manifest.json", why)])
        return backup

    def damaged(self) -> list[integrity.Damage]:
        """The folder's damaged files (`cogov report` refuses such a folder)."""
        doc, why = self._read_manifest(self.manifest_path)
        if doc is None:
            return [integrity.Damage("manifest.json", why)]
        return integrity.check(self.folder, doc.get("files", {}))

    def open(self, exp: Experiment, plan: Plan, git: str | None) -> dict[str, Any]:
        """Create the folder (the manifest last: it commits the start) or reopen it to resume,
        setting damaged files aside (their runs are then run again)."""
        if self._lock is None:
            self.hold()
        self.plan_hash = plan.hash
        if self.is_batch():
            try:
                return self._reopen(exp, plan)
            except BaseException:
                self.close()
                raise
        self.parts.mkdir(parents=True, exist_ok=True)
        self._write_setup(exp, plan, exp.text, ("experiment.toml", "scenarios", "plan.parquet"))
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

    def _write_setup(self, exp: Experiment, plan: Plan, text: str, which: Iterable[str]) -> None:
        """Write (or rewrite) the experiment file, the scenario files and the plan."""
        which = set(which)
        if "experiment.toml" in which:
            self._put_text("experiment.toml", text)
        for name, sc in exp.scenarios.items():
            if sc is not None and ("scenarios" in which or f"scenarios/{name}.toml" in which):
                (self.folder / "scenarios").mkdir(exist_ok=True)
                self._put_text(f"scenarios/{name}.toml", sc.to_toml())
        if "plan.parquet" in which:
            self._put_frame("plan.parquet", pd.DataFrame([
                {"run_id": r.run_id, "scenario": r.scenario, "point": r.point,
                 "replication": r.replication, "seed": r.seed,
                 "overrides": json.dumps(r.overrides, sort_keys=True)} for r in plan.runs]))

    def _reopen(self, exp: Experiment, plan: Plan) -> dict[str, Any]:
        """Resume: the same experiment only; damaged files set aside, rebuilt or their runs redone."""
        old = self.manifest(repair=True)
        if old["plan"]["hash"] != plan.hash:
            raise InputError(
                str(self.folder),
                f"holds the results of a different experiment ('{old['experiment']['name']}' "
                f"from {old['experiment']['file']}, plan {old['plan']['hash'][:12]}; this is "
                f"'{exp.name}' from {exp.source}, plan {plan.hash[:12]}); give another --out, "
                "or delete the folder to start over")
        self._manifest = old
        self.files = {}
        for rel, rec in old.get("files", {}).items():
            if (self.folder / rel).exists():
                self.files[rel] = rec
            elif rel.startswith(("issues/", "daily/")):  # a stored run's table is gone: redo it
                self.redo.add(Path(rel).stem)
            elif rel.startswith("scenarios/") or rel in ("experiment.toml", "plan.parquet"):
                self.restored.append(rel)
        if self.restored:
            self._write_setup(exp, plan, old["experiment"]["text"], self.restored)
        damaged = integrity.check(self.folder, self.files)
        damaged += self.foreign_parts(plan, {d.rel for d in damaged})
        if damaged:
            dest = integrity.set_aside(self.folder, damaged)
            earlier = self.set_aside[1] if self.set_aside else []
            self.set_aside = (dest, earlier + damaged)
            for d in damaged:
                self.files.pop(d.rel, None)
                if d.rel.startswith(("issues/", "daily/")):
                    self.redo.add(Path(d.rel).stem)
            self._write_setup(exp, plan, old["experiment"]["text"], [d.rel for d in damaged])
        self.parts.mkdir(parents=True, exist_ok=True)
        if self.set_aside or self.restored or not self.backup_path.exists():
            self.save_manifest(old)
        return old

    def _record(self, rel: str) -> None:
        self.files[rel] = integrity.digest(self.folder / rel)

    def _put_text(self, rel: str, text: str) -> None:
        write_text(self.folder / rel, text)
        self._record(rel)

    def _put_part(self, rel: str, table: pa.Table) -> None:
        """A journal part, marked with the plan's hash (`foreign_parts` reads the mark)."""
        meta = {**(table.schema.metadata or {}), PLAN_KEY: self.plan_hash.encode()}
        atomic_write(self.folder / rel, lambda p: pq.write_table(
            table.replace_schema_metadata(meta), p))
        self._record(rel)

    def _put_frame(self, rel: str, df: pd.DataFrame) -> None:
        write_frame(self.folder / rel, df)
        self._record(rel)

    def save_manifest(self, manifest: dict[str, Any]) -> None:
        """Save the manifest, with every file's size and sha256, and its backup beside it."""
        self._manifest = manifest
        manifest["files"] = dict(sorted(self.files.items()))
        text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
        t = time.monotonic()
        write_text(self.manifest_path, text)
        write_text(self.backup_path, text)
        self._saved = time.monotonic()
        self._save_s = self._saved - t

    def checkpoint(self) -> None:
        """Save the manifest if the last save is a while ago (it records the new files): every
        2 s, or less often when saving takes long (a folder of many files), so that saving
        stays under ~2% of the time."""
        wait = max(CHECKPOINT_S, 50 * self._save_s)
        if self._manifest is not None and time.monotonic() - self._saved >= wait:
            self.save_manifest(self._manifest)

    # --- the journal -----------------------------------------------------------------------

    def part_files(self) -> list[Path]:
        """Journal parts, oldest first."""
        return sorted(self.parts.glob("part-*.parquet"))

    def foreign_parts(self, plan: Plan, skip: set[str]) -> list[integrity.Damage]:
        """Journal parts that do not belong to this batch: marked with another plan's hash, or
        (unmarked, older parts) holding a row whose scenario or seed is not the plan's. Only
        parts the manifest does not record are read: a recorded part's checksum vouches."""
        want = {r.run_id: (r.scenario, r.seed) for r in plan.runs}
        out = []
        for f in self.part_files():
            rel = f"runs/{f.name}"
            if rel in self.files or rel in skip:
                continue
            mark = (pq.read_schema(f).metadata or {}).get(PLAN_KEY)
            if mark is not None and mark.decode() != plan.hash:
                out.append(integrity.Damage(rel, f"written by another batch: plan "
                                            f"{mark.decode()[:12]}, this one is {plan.hash[:12]}"))
                continue
            t = pq.read_table(f, columns=["run_id", "scenario", "seed"]).to_pylist()
            bad = next((r for r in t if want.get(r["run_id"]) != (r["scenario"], r["seed"])), None)
            if bad is not None:
                planned = want.get(bad["run_id"])
                why = ("is not a run of this batch" if planned is None else
                       f"has seed {bad['seed']}, this batch's is {planned[1]}")
                out.append(integrity.Damage(rel, f"from another batch: run {bad['run_id']} {why}"))
        return out

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
                (self.folder / name / f"scenario={r.scenario}").mkdir(parents=True, exist_ok=True)
                self._put_frame(f"{name}/scenario={r.scenario}/{r.run_id}.parquet",
                                df.assign(run_id=r.run_id))
            rows.append({"run_id": r.run_id, "scenario": r.scenario, "point": r.point,
                         "replication": r.replication, "seed": r.seed,
                         **{k: r.overrides.get(k) for k in varied}, **rec.summary,
                         "status": rec.status, "error": rec.error, "wall_s": rec.wall_s,
                         "worker": rec.worker})
        if rows:
            name = f"part-{time.time_ns():020d}-{os.getpid()}.parquet"
            self._put_part(f"runs/{name}", pa.Table.from_pandas(pd.DataFrame(rows),
                                                                preserve_index=False))
            small = [f for f in self.part_files() if not f.stem.endswith("-m")]
            if len(small) >= MERGE_AT:
                self.merge(small)
        self.checkpoint()

    def merge(self, parts: list[Path]) -> None:
        """Merge journal parts into one (named after the newest), so long batches keep few files."""
        table = pa.concat_tables([pq.read_table(f) for f in parts], promote_options="permissive")
        merged = self.parts / f"{parts[-1].stem}-m.parquet"
        self._put_part(f"runs/{merged.name}", table)
        for f in parts:
            f.unlink()
            self.files.pop(f"runs/{f.name}", None)

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
        self._put_frame("runs.parquet", df)
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
    overrides = models.for_scenario(json.loads(rec["overrides"]), sc.name)
    if overrides:
        sc = sc.with_overrides(overrides, source=f"{folder} run {run_id}")
    return sc, int(rec["seed"])
