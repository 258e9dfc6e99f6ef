"""Hashes of every ledger column, daily series, station and resident column and summary value
for every shipped scenario x 2 seeds: a refactor that claims "results bit-for-bit unchanged"
proves it against tests/snapshot.json (`tests/test_snapshot.py` checks it).

    python scripts/snapshot.py            # print what differs from tests/snapshot.json
    python scripts/snapshot.py --update   # rewrite it (only when results change on purpose)
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshot.json"
SEEDS = (1, 2)
DAYS = 200


PLACES = 9


def _digest(values: np.ndarray) -> str:
    """Floats rounded to PLACES decimals first: numpy's SIMD exp and sums differ in the last
    bit between CPUs (AVX-512 or not), which is not a change of result."""
    if np.issubdtype(values.dtype, np.floating):
        values = np.round(values.astype(np.float64), PLACES) + 0.0
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:16]


def _frame(df: pd.DataFrame) -> dict[str, str]:
    out = {}
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
            out[c] = hashlib.sha256("\x1f".join(map(str, col.tolist())).encode()).hexdigest()[:16]
        else:
            out[c] = _digest(col.to_numpy())
    return out


def _rows_sorted(df: pd.DataFrame) -> pd.DataFrame:
    """The stations table's rows in a fixed order: which station is listed first is
    presentation, what each one did is a result."""
    keys = df.assign(kind=df["kind"].astype(str))
    return df.loc[keys.sort_values(list(keys.columns), kind="stable").index].reset_index(drop=True)


def scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.toml"))


def snapshot_one(path: Path, seed: int) -> dict[str, dict[str, str]]:
    """The hashes of one run of a scenario file."""
    from cogov_sim import api

    r = api.run(path, seed=seed, days=DAYS)
    summary = {k: repr(round(v, PLACES) + 0.0 if isinstance(v, float) else v)
               for k, v in sorted(r.summary.items()) if isinstance(v, int | float)}
    return {"issues": _frame(r.issues), "daily": _frame(r.daily),
            "stations": _frame(_rows_sorted(r.stations)), "residents": _frame(r.residents),
            "summary": {"all": hashlib.sha256(json.dumps(summary).encode()).hexdigest()[:16]}}


def snapshot() -> dict[str, dict]:
    return {f"{p.stem}/{s}": snapshot_one(p, s) for p in scenario_files() for s in SEEDS}


def differences(want: dict, got: dict) -> list[str]:
    """Every table column whose hash moved, as 'scenario/seed table.column'."""
    out = []
    for case in sorted(set(want) | set(got)):
        w, g = want.get(case, {}), got.get(case, {})
        for table in sorted(set(w) | set(g)):
            for col in sorted(set(w.get(table, {})) | set(g.get(table, {}))):
                if w.get(table, {}).get(col) != g.get(table, {}).get(col):
                    out.append(f"{case} {table}.{col}")
    return out


if __name__ == "__main__":
    got = snapshot()
    if "--update" in sys.argv:
        SNAPSHOT.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        print(f"wrote {SNAPSHOT}: {len(got)} runs")
    else:
        diff = differences(json.loads(SNAPSHOT.read_text()), got)
        print("\n".join(diff) if diff else f"identical: {len(got)} runs")
        sys.exit(1 if diff else 0)
