"""The worker side: run a chunk of runs with one model function, catching each run's errors.

Shipped to local processes or Dask workers as one task per chunk, so a worker imports the
model once and pays the task overhead once per chunk, not per run.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from cogov_sim.scenario import Scenario

from . import models
from .plan import Run

LOST = "lost"


@dataclass(frozen=True)
class Chunk:
    """A task: several runs of one model, with the base scenarios they refer to."""

    model: str | models.ModelFn
    scenarios: dict[str, Scenario | None]
    keep: tuple[str, ...]
    runs: tuple[Run, ...]


@dataclass
class Record:
    """One finished run: its summary (empty if it failed), tables, status and timing."""

    run: Run
    summary: dict[str, float]
    status: str = "ok"
    error: str = ""
    wall_s: float = 0.0
    worker: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _numbers(out: Mapping[str, Any]) -> dict[str, float]:
    summary = {}
    for k, v in out.items():
        try:
            summary[str(k)] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"model output '{k}' is not a number: {v!r}") from None
    return summary


def run_one(fn: models.ModelFn, run: Run, scenario: Scenario | None,
            keep: tuple[str, ...]) -> Record:
    """Run one model evaluation; an exception becomes a failed record with its traceback."""
    t0 = time.perf_counter()
    try:
        out = fn(dict(run.overrides), run.seed, scenario=scenario, keep=frozenset(keep))
        if isinstance(out, models.Outcome):
            rec = Record(run, _numbers(out.summary), tables=dict(out.tables))
        else:
            rec = Record(run, _numbers(out))
    except Exception as e:
        tb = traceback.format_exc(limit=-3)
        rec = Record(run, {}, "failed", f"{type(e).__name__}: {e}\n{tb}")
    rec.wall_s = time.perf_counter() - t0
    rec.worker = f"{socket.gethostname()}:{os.getpid()}"
    return rec


def run_chunk(chunk: Chunk) -> list[Record]:
    """Run every run of a chunk, in order."""
    fn = models.model_fn(chunk.model)
    return [run_one(fn, r, chunk.scenarios[r.scenario], chunk.keep) for r in chunk.runs]


def lost(chunk: Chunk, error: BaseException) -> list[Record]:
    """Records for a chunk whose worker died: not stored, so the next invocation runs them."""
    msg = f"{type(error).__name__}: {error}"
    return [Record(r, {}, LOST, msg, math.nan) for r in chunk.runs]


def split(chunk: Chunk) -> list[Chunk]:
    """A chunk as one chunk per run (to find the run that kills its worker)."""
    return [replace(chunk, runs=(r,)) for r in chunk.runs] if len(chunk.runs) > 1 else [chunk]


def died(chunk: Chunk, cause: str) -> list[Record]:
    """Failed records for runs that kill their worker process every time they are tried."""
    return [Record(r, {}, "failed", f"WorkerDied: {cause}", math.nan) for r in chunk.runs]
