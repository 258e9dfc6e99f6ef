"""A posterior results folder: ``posterior.csv`` (one row per particle: ``particle``,
``weight`` summing to 1, then one column per calibrated parameter, dotted keys) and
``posterior.json`` (the parameters with their prior ranges and sources, the targets, the
waves and generations that led there, seeds, code version, scenarios' hashes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim.errors import InputError

CSV, META = "posterior.csv", "posterior.json"


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter sets and where they came from."""

    particles: pd.DataFrame
    meta: dict[str, Any]
    folder: Path

    @property
    def parameters(self) -> list[str]:
        return list(self.meta["parameters"])

    def rows(self, n: int | None, seed: int) -> np.ndarray:
        """The table's row numbers that `draws` picks (to record which particles were used)."""
        p = self.particles
        if n is None:
            return np.arange(len(p))
        w = p["weight"].to_numpy(float)
        u = (np.random.default_rng(seed).random() + np.arange(n)) / n
        return np.minimum(np.searchsorted(np.cumsum(w / w.sum()), u), len(p) - 1)

    def draws(self, n: int | None, seed: int) -> list[dict[str, float]]:
        """`n` parameter sets drawn by weight (systematic resampling: each particle appears
        in proportion to its weight, with little extra noise), or every particle once when
        `n` is None."""
        p = self.particles
        return [{k: float(p[k].iloc[i]) for k in self.parameters} for i in self.rows(n, seed)]


def write(folder: Path, particles: pd.DataFrame, meta: dict[str, Any]) -> None:
    """Write a posterior folder (the table first: the metadata marks it complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    particles.to_csv(folder / CSV, index=False, float_format="%.10g")
    (folder / META).write_text(json.dumps(meta, indent=2, default=float) + "\n")


def read(folder: str | Path) -> Posterior:
    """Read a posterior folder; a missing or incomplete one is a clear input error."""
    f = Path(folder)
    for name in (META, CSV):
        if not (f / name).is_file():
            raise InputError(str(f), f"no {name} here: not a posterior folder (make one with "
                             "`cogov infer`)", key="--posterior")
    meta = json.loads((f / META).read_text())
    parts = pd.read_csv(f / CSV)
    missing = [k for k in ("particle", "weight", *meta.get("parameters", {})) if k not in parts]
    if missing or not len(parts):
        raise InputError(str(f / CSV), f"columns {missing} missing or no rows: the folder is "
                         "damaged; run `cogov infer` again", key="--posterior")
    return Posterior(parts, meta, f)
