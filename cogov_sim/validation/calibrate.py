"""Calibration of the few parameters that set magnitudes, against the patterns at once.

The parameters come in blocks that move (nearly) disjoint sets of patterns -- the issue
pipeline's magnitudes set volume, resolution and closing times; volunteering and group founding
set the participation levels -- so each block is fitted to its own patterns, in file order,
with the earlier blocks' best values held. Per block (``[[block]]`` in
``experiments/calibrate.toml``):

1. *Search*: a Latin hypercube of ``n`` points over ``ranges``, crossed with every combination
   of ``choices`` (e.g. the working-time distribution); each point run ``replications`` times
   (common seeds) through the batch engine.
2. *Refine*: ``refine`` more points in a box around the best point, ``shrink`` times the
   original widths, its choices held.
3. *Race*: the ``finalists`` best points so far are run again with ``confirm_replications``
   fresh seeds and the best of them by those runs wins. Closing times are heavy-tailed, so
   with a few replications per point noise alone can pick the search's winner along a flat
   ridge (the winner's curse); fresh, longer runs settle it.

Then *confirm*: the final parameter set run ``confirm_replications`` times; every pattern's
mean with its 95% CI is the result, and the full distance over all calibrated patterns is
reported.

A point's score is `patterns.distance` of its replication means over the block's patterns:
the root mean squared miss outside each band in units of the pattern's ``scale``, plus a
tie-breaking pull toward the centres of two-sided bands (`patterns.CENTRE_WEIGHT`), equally
weighted: a point where every band holds beats one that misses any.
Everything is written to the output folder with its provenance.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from cogov_sim import shipped
from cogov_sim.batch.executors import Executor
from cogov_sim.errors import InputError, did_you_mean, show
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, find, flatten, load, read_toml, validate_value
from cogov_sim.stats import mean_ci

from . import patterns as pat
from .runs import simulate

KEYS = ("name", "description", "scenarios", "replications", "seed", "confirm_replications",
        "start", "block")
BLOCK_KEYS = ("name", "patterns", "n", "ranges", "choices", "refine", "shrink", "finalists")


@dataclass(frozen=True)
class Block:
    """Parameters fitted together to the patterns they move."""

    name: str
    patterns: tuple[pat.Pattern, ...]
    n: int
    ranges: dict[str, tuple[float, float]]
    choices: dict[str, list[Any]] = field(default_factory=dict)
    refine: int = 0
    shrink: float = 0.3
    finalists: int = 0

    @property
    def keys(self) -> list[str]:
        return [*self.ranges, *self.choices]


@dataclass(frozen=True)
class Calibration:
    """A validated calibration file."""

    name: str
    scenarios: dict[str, Scenario]
    replications: int
    seed: int
    blocks: tuple[Block, ...]
    confirm_replications: int = 20
    source: str = ""
    text: str = ""
    start: dict[str, Any] = field(default_factory=dict)
    """Values the blocks' parameters take until their own block fits them, so the result
    depends on this file alone, not on the table's defaults (which carry the result)."""

    def patterns(self) -> tuple[pat.Pattern, ...]:
        """Every calibrated pattern, in block order."""
        return tuple(p for b in self.blocks for p in b.patterns)


def _int(doc: dict[str, Any], key: str, src: str, default: int, where: str = "",
         low: int = 1) -> int:
    v = doc.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise InputError(src, f"value {show(v)} is not allowed; allowed: an integer >= {low}",
                         key=where + key)
    return v


def _ranges(raw: Any, src: str, where: str) -> dict[str, tuple[float, float]]:
    if not isinstance(raw, dict) or not raw:
        raise InputError(src, "missing or empty: give each calibrated parameter [low, high]",
                         key=where)
    tab = table()
    out: dict[str, tuple[float, float]] = {}
    for k, v in flatten(raw).items():
        key = f"{where}.{k}"
        if k not in tab:
            raise InputError(src, f"unknown parameter{did_you_mean(k, tab)}", key=key)
        if tab[k].kind not in ("int", "float"):
            raise InputError(src, "is not numeric: list its values under choices", key=key)
        out[k] = bounds(k, v, src, key)
    return out


def bounds(name: str, value: Any, src: str, key: str) -> tuple[Any, Any]:
    """A parameter's [low, high], each checked against the table, low < high."""
    if not isinstance(value, list) or len(value) != 2:
        raise InputError(src, f"value {show(value)} is not allowed; allowed: [low, high]", key=key)
    lo, hi = (validate_value(name, x, src) for x in value)
    if not lo < hi:
        raise InputError(src, f"value {show(value)} is not allowed; allowed: low < high", key=key)
    return lo, hi


def _block(b: Any, i: int, src: str, scenarios: dict[str, Scenario]) -> Block:
    where = f"block[{i}]"
    if not isinstance(b, dict):
        raise InputError(src, "must be an array of tables: write one [[block]] per block", key=where)
    for k in b:
        if k not in BLOCK_KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, BLOCK_KEYS)}; allowed: "
                             f"{', '.join(BLOCK_KEYS)}", key=f"{where}.{k}")
    known = pat.by_name()
    names = b.get("patterns")
    if not isinstance(names, list) or not names:
        raise InputError(src, "missing: list the patterns this block is fitted to",
                         key=f"{where}.patterns")
    pats = []
    for n in names:
        if n not in known:
            raise InputError(src, f"unknown pattern {show(n)}{did_you_mean(str(n), known)}; "
                             f"patterns: {', '.join(known)}", key=f"{where}.patterns")
        if known[n].role != "calibration":
            raise InputError(src, f"pattern '{n}' is {known[n].role} (patterns.py): no "
                             "calibration may fit it; calibration targets: "
                             f"{', '.join(t.name for t in pat.targets())}",
                             key=f"{where}.patterns")
        if known[n].scenario not in scenarios:
            raise InputError(src, f"pattern '{n}' needs scenario '{known[n].scenario}': add it "
                             "to scenarios", key=f"{where}.patterns")
        pats.append(known[n])
    choices = {}
    raw_choices = b.get("choices", {})
    if not isinstance(raw_choices, dict):
        raise InputError(src, "must be a table", key=f"{where}.choices")
    for k, v in flatten(raw_choices).items():
        if not isinstance(v, list) or not v:
            raise InputError(src, f"value {show(v)} is not allowed; allowed: a list of values",
                             key=f"{where}.choices.{k}")
        choices[k] = [validate_value(k, x, src) for x in v]
    shrink = b.get("shrink", 0.3)
    if isinstance(shrink, bool) or not isinstance(shrink, (int, float)) or not 0 < shrink <= 1:
        raise InputError(src, f"value {show(shrink)} is not allowed; allowed: a number in (0, 1]",
                         key=f"{where}.shrink")
    return Block(str(b.get("name", f"block{i}")), tuple(pats), _int(b, "n", src, 16, where + "."),
                 _ranges(b.get("ranges"), src, f"{where}.ranges"), choices,
                 _int(b, "refine", src, 0, where + ".", low=0), float(shrink),
                 _int(b, "finalists", src, 0, where + ".", low=0))


def load_calibration(path: str | Path) -> Calibration:
    """Read and validate a calibration file; every problem is one InputError."""
    p = shipped.locate(path, "experiments")
    src = str(p)
    text, doc = read_toml(p)
    for k in doc:
        if k not in KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, KEYS)}; allowed: {', '.join(KEYS)}",
                             key=k)
    names = doc.get("scenarios", ["committee"])
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InputError(src, f"value {show(names)} is not allowed; allowed: a list of scenario "
                         "names", key="scenarios")
    scs: dict[str, Scenario] = {}
    for n in names:
        sc = load(find(n, relative_to=p.parent))
        scs[sc.name] = sc
    raw = doc.get("block")
    if not isinstance(raw, list) or not raw:
        raise InputError(src, "missing: give at least one [[block]] of parameters", key="block")
    blocks = tuple(_block(b, i, src, scs) for i, b in enumerate(raw))
    seen: set[str] = set()
    for b in blocks:
        if seen & set(b.keys):
            raise InputError(src, f"parameter {sorted(seen & set(b.keys))[0]!r} is in two blocks",
                             key="block")
        seen |= set(b.keys)
    start = _start(doc.get("start", {}), src, seen)
    return Calibration(
        name=str(doc.get("name", p.stem)), scenarios=scs,
        replications=_int(doc, "replications", src, 3), seed=_int(doc, "seed", src, 0, low=0),
        blocks=blocks, confirm_replications=_int(doc, "confirm_replications", src, 20),
        source=src, text=text, start=start)


def _start(raw: Any, src: str, fitted: set[str]) -> dict[str, Any]:
    """The [start] table: values of fitted parameters, each checked against the table."""
    if not isinstance(raw, dict):
        raise InputError(src, "must be a table of parameter = value", key="start")
    out = {}
    for k, v in flatten(raw).items():
        if k not in fitted:
            raise InputError(src, f"is not fitted by any block{did_you_mean(k, fitted)}; "
                             f"allowed: {', '.join(sorted(fitted))}", key=f"start.{k}")
        out[k] = validate_value(k, v, src)
    return out


def lhs(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, Any]]:
    """n Latin-hypercube points in the box; integer parameters rounded."""
    tab = table()
    u = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(n)
    out = []
    for row in u:
        pt: dict[str, Any] = {}
        for x, (k, (lo, hi)) in zip(row, ranges.items(), strict=True):
            v = lo + x * (hi - lo)
            pt[k] = int(round(v)) if tab[k].kind == "int" else round(float(v), 4)
        out.append(pt)
    return out


def crossed(points: list[dict[str, Any]], choices: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every point with every combination of the categorical choices."""
    if not choices:
        return points
    combos = [dict(zip(choices, c, strict=True)) for c in itertools.product(*choices.values())]
    return [{**pt, **c} for c in combos for pt in points]


def score(runs: pd.DataFrame, keys: list[str], cal_patterns: tuple[pat.Pattern, ...]) -> pd.DataFrame:
    """Per design point: the replication mean of each pattern's measure and the distance,
    best first. `runs` has one row per (scenario, point, replication)."""
    rows = []
    for point, g in runs.groupby("point", sort=True):
        row: dict[str, Any] = {"point": int(point), **{k: g[k].iloc[0] for k in keys}}
        means = {}
        for p in cal_patterns:
            v = g.loc[g["scenario"] == p.scenario, p.measure]
            means[p.name] = float(v.mean()) if v.notna().any() else math.nan
        row.update(means)
        row["distance"] = pat.distance(means, cal_patterns)
        rows.append(row)
    return pd.DataFrame(rows).sort_values("distance", kind="stable").reset_index(drop=True)


def shrunk(best: dict[str, Any], block: Block) -> dict[str, tuple[float, float]]:
    """A box around the best point, `shrink` times the original widths, inside the original."""
    out = {}
    for k, (lo, hi) in block.ranges.items():
        half = block.shrink * (hi - lo) / 2
        a, b = max(lo, best[k] - half), min(hi, best[k] + half)
        out[k] = (a, b) if a < b else (lo, hi)
    return out


def _clean(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, (np.floating, float)):
        return None if math.isnan(float(x)) or math.isinf(float(x)) else float(x)
    return x


def fit_block(cal: Calibration, block: Block, held: dict[str, Any], seed: int, offset: int,
              executor: Executor | None) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Search and refine one block with `held` fixed, running only the scenarios its patterns
    need; its best values, runs and scores."""
    needed = {n: cal.scenarios[n] for n in pat.scenarios(block.patterns)}
    pts = crossed(lhs(block.ranges, block.n, seed), block.choices)
    runs = simulate(needed, cal.replications, cal.seed, executor,
                    [{**held, **p} for p in pts])
    runs = runs.assign(block=block.name, stage="search", point=runs["point"] + offset)
    scores = score(runs, block.keys, block.patterns).assign(block=block.name, stage="search")
    frames, tables = [runs], [scores]
    best = {k: _clean(scores.loc[0, k]) for k in block.keys}
    if block.refine > 0:
        box = shrunk(best, block)
        fixed = {k: best[k] for k in block.choices}
        pts2 = [{**p, **fixed} for p in lhs(box, block.refine, seed + 1)]
        runs2 = simulate(needed, cal.replications, cal.seed, executor,
                         [{**held, **p} for p in pts2])
        runs2 = runs2.assign(block=block.name, stage="refine",
                             point=runs2["point"] + offset + len(pts))
        sc2 = score(runs2, block.keys, block.patterns).assign(block=block.name, stage="refine")
        frames.append(runs2)
        tables.append(sc2)
    allscores = pd.concat(tables, ignore_index=True).sort_values("distance", kind="stable")
    if block.finalists > 1:
        top = allscores.head(block.finalists)
        pts3 = [{k: _clean(r[k]) for k in block.keys} for _, r in top.iterrows()]
        runs3 = simulate(needed, cal.confirm_replications, cal.seed + 500, executor,
                         [{**held, **p} for p in pts3])
        first = offset + len(pts) + block.refine
        runs3 = runs3.assign(block=block.name, stage="race", point=runs3["point"] + first)
        sc3 = score(runs3, block.keys, block.patterns).assign(block=block.name, stage="race")
        frames.append(runs3)
        allscores = pd.concat([sc3, allscores], ignore_index=True)  # the race's winner first
    best = {k: _clean(allscores.iloc[0][k]) for k in block.keys}
    return best, pd.concat(frames, ignore_index=True), allscores


def calibrate(cal: Calibration, out: Path, executor: Executor | None = None,
              git: str | None = None) -> dict[str, Any]:
    """Fit every block in order, confirm, write design.parquet, points.csv and
    calibration.json to `out`; return the calibration record."""
    from cogov_sim.api import __version__

    out.mkdir(parents=True, exist_ok=True)
    best: dict[str, Any] = dict(cal.start)
    frames, scores, blocks = [], [], []
    offset = 0
    for i, block in enumerate(cal.blocks):
        b, runs, sc = fit_block(cal, block, best, cal.seed + 10 * i, offset, executor)
        offset = int(runs["point"].max()) + 1
        best.update(b)
        frames.append(runs)
        scores.append(sc)
        blocks.append({"name": block.name, "patterns": [p.name for p in block.patterns],
                       "points": int(sc["point"].nunique()), "best": b,
                       "distance": _clean(sc["distance"].iloc[0]),
                       "best_stage": str(sc["stage"].iloc[0])})
    runs3 = simulate(cal.scenarios, cal.confirm_replications, cal.seed + 1000, executor, [best])
    frames.append(runs3.assign(block="all", stage="confirm", point=-1))
    results = {}
    for p in (q for q in pat.PATTERNS if q.scenario in cal.scenarios):
        m, lo, hi = mean_ci(runs3.loc[runs3["scenario"] == p.scenario, p.measure].to_numpy())
        results[p.name] = {"target": p.target, "band": [p.low, _clean(p.high)], "mean": _clean(m),
                           "ci": [_clean(lo), _clean(hi)], "holds": bool(p.holds(m)),
                           "calibrated": p in cal.patterns()}
    means = {k: v["mean"] if v["mean"] is not None else math.nan for k, v in results.items()}
    design = pd.concat(frames, ignore_index=True)
    record = {
        "name": cal.name,
        "file": cal.source,
        "file_sha256": sha256(cal.text.encode()).hexdigest(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "cogov_sim": __version__,
        "git": git,
        "scenarios": {n: s.hash for n, s in cal.scenarios.items()},
        "seed": cal.seed,
        "runs": len(design),
        "replications": cal.replications,
        "confirm_replications": cal.confirm_replications,
        "distance": f"RMS miss outside the bands + {pat.CENTRE_WEIGHT} x RMS offset from "
                    "two-sided bands' centres, in units of each pattern's scale, equal weights",
        "start": cal.start,
        "blocks": blocks,
        "best": best,
        "distance_confirm": _clean(pat.distance(means, cal.patterns())),
        "patterns": results,
    }
    design.to_parquet(out / "design.parquet", index=False)
    pd.concat(scores, ignore_index=True).to_csv(out / "points.csv", index=False)
    (out / "calibration.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return record
