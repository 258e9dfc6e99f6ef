"""Scenario discovery: where in a sweep's design does the committee *not* help?

PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional data") over the design and a
yes/no outcome per design point, as EMA Workbench implements it (Kwakkel 2017); boxes are
chosen as Bryant & Lempert (2010) advise: the box with the highest coverage among those whose
density reaches a threshold, then the next box on the points the first did not cover.
PRIM's peeling restricts many dials on its way to that box, most of them by chance; each box
is then pruned to the dials that matter, as Bryant & Lempert (2010) read boxes: (1) a limit
stays only if its quasi-p-value in PRIM's box (EMA Workbench's `PrimBox.inspect`: the one-sided
binomial test of the box's density against that of the box without this one limit) is at most
`QP_MAX`; (2) a dial stays only if PRIM, rerun on `RESAMPLES` random halves of the points
(seeded), restricts it again in at least `MIN_REPRODUCED` of them; (3) at most `MAX_DIALS`
dials stay, the strongest; (4) in the pruned box the quasi-p-values are computed again, and
limits above `QP_MAX` there are dropped one at a time. Reported with coverage (share of all
cases inside the pruned box), density (share of its points that are cases) and points, all
counted on the design for the pruned box; each kept limit's quasi-p-value (in the pruned box)
and rerun rate; the dials dropped and why; and in words.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import binomtest

if TYPE_CHECKING:
    from ema_workbench.analysis.prim import PrimBox

MIN_DENSITY = 0.8
"""A box must hold at least this share of cases to be chosen on PRIM's trajectory (Bryant &
Lempert 2010); its pruned form is reported with the density it really has."""
QP_MAX = 0.05
"""A limit whose quasi-p-value is above this is dropped: the conventional 5% level, the cut EMA
Workbench's own `prim_util.is_significant` uses and Bryant & Lempert (2010) read boxes by."""
RESAMPLES = 20
"""PRIM reruns per box for the stability test (EMA Workbench's `resample` default is 10; 20
gives the rate in steps of 5%; each rerun costs about 1.5 s, at any size: PRIM's ~50 peels)."""
SUBSAMPLE = 0.5
"""Each rerun sees this share of the box search's points, drawn without replacement (EMA
Workbench's default)."""
MIN_REPRODUCED = 0.6
"""A dial stays only if the reruns restrict it at least this often (at the trajectory point of
the nearest coverage, EMA Workbench's 'reproduce coverage'). Assumption, between the 50% of a
coin toss and the 70% the stronger dials of the shipped advantage sweep sometimes miss: in its
solved-rate box the two dials that matter reproduce in 95-100% of reruns, the other eleven in
10-45%; in its time box (66 points, 11 dials) the reruns restrict most dials (50-100%), and
the quasi-p-values do the pruning."""
MAX_DIALS = 4
"""At most this many dials per box: beyond it, the strongest (smallest quasi-p-value, then the
largest share of the dial's range cut away) stay -- a box should be readable in one sentence."""
SEED = 20100101
"""Seed of the reruns' random halves (the same design and cases give the same boxes)."""
CAVEAT = (f"Each box is PRIM's (the highest coverage at density >= {MIN_DENSITY:.0%}) pruned to "
          "the dials that matter: a limit stays only if its quasi-p-value (Bryant & Lempert "
          f"2010, as EMA Workbench computes it) is at most {QP_MAX:g}, in PRIM's box and again "
          f"in the pruned one; a dial stays only if PRIM restricts it again in at least "
          f"{MIN_REPRODUCED:.0%} of {RESAMPLES} reruns on random halves of the points (seed "
          f"{SEED}); at most {MAX_DIALS} dials stay, the strongest. Coverage, density and "
          "points are counted for the pruned box, so its density can be below "
          f"{MIN_DENSITY:.0%}; `qp` and 'reruns' are each kept limit's quasi-p-value in the "
          "pruned box and the share of reruns restricting its dial.")
"""Printed with every set of boxes, in the report and on screen."""
MIN_CASES = 0.02
"""Fewer cases than this share of the design: nothing to discover."""

Limits = dict[str, tuple[float, float]]


def _qp_text(q: float) -> str:
    """A quasi-p-value for reading: two digits, or '< 0.001'."""
    return "< 0.001" if q < 0.001 else f"{q:.2g}"


@dataclass(frozen=True)
class Box:
    """A region of the design: bounds on the dials that matter, how good it is, and why."""

    limits: Limits
    """Kept dials: (low, high), -inf or inf on an unrestricted side."""
    coverage: float
    density: float
    mass: float
    points: int
    qp: dict[str, tuple[float, float]]
    """Each kept dial's quasi-p-values in the pruned box: (low side, high side), nan if open."""
    reproduced: dict[str, float]
    """Each kept dial: the share of PRIM's reruns on random halves that restrict it."""
    prim_dials: int
    """How many dials PRIM's own box restricted."""
    dropped: dict[str, str]
    """Dials PRIM restricted that were dropped, and why."""

    def words(self) -> str:
        """The box's conditions in words, e.g. '`issues.rate` >= 0.31 (qp < 0.001, in 100% of
        reruns) and ...'."""
        parts = []
        for k, (lo, hi) in self.limits.items():
            if np.isfinite(lo) and np.isfinite(hi):
                cond = f"`{k}` between {lo:.3g} and {hi:.3g}"
            elif np.isfinite(lo):
                cond = f"`{k}` >= {lo:.3g}"
            else:
                cond = f"`{k}` <= {hi:.3g}"
            qs = " and ".join(_qp_text(q) for q in self.qp[k] if np.isfinite(q))
            parts.append(f"{cond} (qp {qs}, in {self.reproduced[k]:.0%} of reruns)")
        return " and ".join(parts)

    def pruning(self) -> str:
        """How PRIM's box was pruned to this one, in words."""
        dials = f"{self.prim_dials} dial{'s' if self.prim_dials != 1 else ''}"
        if not self.dropped:
            return f"PRIM's box restricted these {dials} only"
        gone = "; ".join(f"`{k}` ({why})" for k, why in self.dropped.items())
        return f"PRIM's box restricted {dials}; {len(self.dropped)} dropped: {gone}"


def _inside(x: dict[str, np.ndarray], limits: Limits, n: int) -> np.ndarray:
    """Which points lie in the box (closed limits, as PRIM's)."""
    inside = np.ones(n, dtype=bool)
    for c, (lo, hi) in limits.items():
        inside &= (x[c] >= lo) & (x[c] <= hi)
    return inside


def quasi_p(x: dict[str, np.ndarray], cases: np.ndarray, limits: Limits, dial: str,
            side: int) -> float:
    """Bryant & Lempert's (2010) quasi-p-value of one limit (side 0 low, 1 high), as EMA
    Workbench's `_calculate_quasip`: the one-sided binomial probability of the box's cases
    among its points were the density that of the box without this limit."""
    n = len(cases)
    inside = _inside(x, limits, n)
    relaxed = dict(limits)
    lo, hi = relaxed.pop(dial)
    if side == 0 and np.isfinite(hi):
        relaxed[dial] = (-np.inf, hi)
    elif side == 1 and np.isfinite(lo):
        relaxed[dial] = (lo, np.inf)
    wider = _inside(x, relaxed, n)
    p = cases[wider].sum() / wider.sum()
    return float(binomtest(int(cases[inside].sum()), int(inside.sum()), p,
                           alternative="greater").pvalue)


def _qps(x: dict[str, np.ndarray], cases: np.ndarray, limits: Limits
         ) -> dict[str, tuple[float, float]]:
    """Every limit's quasi-p-value: (low side, high side), nan on an open side."""
    return {k: tuple(quasi_p(x, cases, limits, k, s) if np.isfinite(limits[k][s]) else math.nan
                     for s in (0, 1)) for k in limits}


def _prim_qps(box: PrimBox, i: int) -> dict[str, tuple[float, float]]:
    """EMA Workbench's quasi-p-values of PRIM's box `i` (`PrimBox.inspect(i, style="data")`):
    (low side, high side) per restricted dial, nan on an unrestricted side."""
    _, table = box.inspect(i, style="data")[0]
    return {c: (float(table.loc[c].iloc[2]), float(table.loc[c].iloc[3])) for c in table.index}


def _first_pass(raw: Limits, qps: dict[str, tuple[float, float]], dropped: dict[str, str]
                ) -> Limits:
    """PRIM's limits whose quasi-p-value in PRIM's box is at most QP_MAX."""
    limits = {}
    for c, (lo, hi) in raw.items():
        lo = lo if np.isfinite(lo) and qps[c][0] <= QP_MAX else -np.inf
        hi = hi if np.isfinite(hi) and qps[c][1] <= QP_MAX else np.inf
        if np.isfinite(lo) or np.isfinite(hi):
            limits[c] = (lo, hi)
        else:
            dropped[c] = f"qp {_qp_text(float(np.nanmin(qps[c])))} in PRIM's box"
    return limits


def _significant(x: dict[str, np.ndarray], cases: np.ndarray, limits: Limits,
                 dropped: dict[str, str]) -> Limits:
    """Backward elimination in the pruned box: while some limit's quasi-p-value is above
    QP_MAX, open the side with the largest and recompute the rest (they depend on each
    other)."""
    limits = dict(limits)
    while limits:
        qps = _qps(x, cases, limits)
        k, s, q = max(((k, s, q) for k, pair in qps.items() for s, q in enumerate(pair)
                       if np.isfinite(q)), key=lambda t: t[2])
        if q <= QP_MAX:
            break
        lo, hi = limits[k]
        lo, hi = (-np.inf, hi) if s == 0 else (lo, np.inf)
        if np.isfinite(lo) or np.isfinite(hi):
            limits[k] = (lo, hi)
        else:
            del limits[k]
            dropped[k] = f"qp {_qp_text(q)} once the others were dropped"
    return limits


def _strongest(limits: Limits, qps: dict[str, tuple[float, float]],
               full: dict[str, tuple[float, float]], dropped: dict[str, str]) -> Limits:
    """The MAX_DIALS strongest limits: smallest quasi-p-value, then largest share of the range
    cut away."""
    def cut(k: str) -> float:
        lo, hi = limits[k]
        a, b = full[k]
        return 1.0 - (min(hi, b) - max(lo, a)) / (b - a) if b > a else 0.0

    order = sorted(limits, key=lambda k: (np.nanmin(qps[k]), -cut(k)))
    for k in order[MAX_DIALS:]:
        dropped[k] = f"beyond the {MAX_DIALS} strongest"
    return {k: limits[k] for k in limits if k in order[:MAX_DIALS]}


def _run_prim(x: pd.DataFrame, cases: np.ndarray) -> PrimBox | None:
    """EMA Workbench's PRIM box (peeled and pasted) with its trajectory; None if no points."""
    with warnings.catch_warnings():  # heavy import, only when a sweep is analysed; it warns
        warnings.simplefilter("ignore")  # about optional parallel back ends we do not use
        from ema_workbench.analysis import prim

        return prim.Prim(x, cases).find_box()


def _restricted(box: PrimBox, i: int) -> Limits:
    """The limits of trajectory point `i` that differ from PRIM's initial box."""
    lims, init = box.box_lims[i], box.box_lims[0]
    out = {}
    for c in lims.columns:
        lo, hi = float(lims.loc[0, c]), float(lims.loc[1, c])
        a, b = float(init.loc[0, c]), float(init.loc[1, c])
        if lo > a or hi < b:
            out[c] = (lo if lo > a else -np.inf, hi if hi < b else np.inf)
    return out


def reproduced(x: pd.DataFrame, cases: np.ndarray, coverage: float, resamples: int,
               rng: np.random.Generator) -> dict[str, float]:
    """Per dial, the share of `resamples` PRIM reruns on random halves of the points (drawn
    without replacement) that restrict it at the trajectory point of the nearest coverage,
    the denser on a tie: EMA Workbench's 'reproduce coverage' (`PrimBox.resample`), except
    that on a plateau of equal coverage EMA's takes the first, least restricted point (a
    box of 100% coverage then scores 0% on every dial)."""
    counts = dict.fromkeys(x.columns, 0)
    size = int(len(x) * SUBSAMPLE)
    for _ in range(resamples):
        take = np.sort(rng.choice(len(x), size=size, replace=False))
        box = _run_prim(x.iloc[take].reset_index(drop=True), cases[take])
        if box is None:
            continue
        traj = box.peeling_trajectory.assign(gap=lambda t: (t["coverage"] - coverage).abs())
        i = int(traj.sort_values(["gap", "density"], ascending=[True, False]).index[0])
        for c in _restricted(box, i):
            counts[c] += 1
    return {c: n / resamples for c, n in counts.items()}


def find_boxes(x: pd.DataFrame, cases: np.ndarray, max_boxes: int = 3,
               min_density: float = MIN_DENSITY, seed: int = SEED,
               resamples: int = RESAMPLES) -> list[Box]:
    """Up to `max_boxes` pruned PRIM boxes covering the design points where `cases` is true;
    each later box is searched on the points the earlier ones left out. (`resamples`: fewer
    reruns make a quick test, not a report.)"""
    cases = np.asarray(cases, dtype=bool)
    total = int(cases.sum())
    if total < max(2, MIN_CASES * len(cases)):
        return []
    boxes: list[Box] = []
    keep = np.ones(len(x), dtype=bool)
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    cols = {c: x[c].to_numpy() for c in x.columns}
    for j in range(max_boxes):
        xs, ys = x[keep].reset_index(drop=True), cases[keep]
        if ys.sum() < 2:
            break
        box = _run_prim(xs, ys)
        if box is None:
            break
        traj = box.peeling_trajectory
        good = traj[traj["density"] >= min_density]
        if good.empty:
            break
        i = int(good.sort_values(["coverage", "density"], ascending=False).index[0])
        raw = _restricted(box, i)
        if not raw:
            break
        dropped: dict[str, str] = {}
        limits = _first_pass(raw, _prim_qps(box, i), dropped)
        if not limits:
            break
        rate = reproduced(xs, ys, float(traj.loc[i, "coverage"]), resamples,
                          np.random.default_rng((seed, j)))
        xk = {c: v[keep] for c, v in cols.items()}
        for c in [c for c in limits if rate[c] < MIN_REPRODUCED]:
            del limits[c]
            dropped[c] = f"in {rate[c]:.0%} of reruns"
        if len(limits) > MAX_DIALS:
            limits = _strongest(limits, _qps(xk, ys, limits), full, dropped)
        limits = _significant(xk, ys, limits, dropped)
        if not limits:
            break
        inside = _inside(cols, limits, len(x)) & keep
        n_in = int(inside.sum())
        hits = int((inside & cases).sum())
        boxes.append(Box(limits, hits / total, hits / n_in, n_in / len(x), n_in,
                         _qps(xk, ys, limits), {c: rate[c] for c in limits}, len(raw),
                         {c: dropped[c] for c in raw if c in dropped}))
        keep &= ~inside
    return boxes


def lower_is_better(output: str) -> bool:
    """Times (`*_days`, and their logs), abandonment, issues left open, transfers: less is
    better. Rates and shares of resolved or solved issues: more is better."""
    name = output.removeprefix("log:")
    return name.endswith("_days") or any(w in name for w in ("abandon", "censored",
                                                              "transfers"))


def no_advantage(output: str, contrast: np.ndarray) -> np.ndarray:
    """Design points where the second scenario (the committee) does no better than the first:
    where less is better (times, abandonment) a contrast (first minus second) <= 0; where
    more is better (resolved, solved) a contrast >= 0."""
    return contrast <= 0 if lower_is_better(output) else contrast >= 0


SMALL_SHARE = 0.25
"""Where the committee helps everywhere: the design points whose advantage is in this lowest
share are the 'small advantage' cases."""


def advantage(output: str, contrast: np.ndarray) -> np.ndarray:
    """The second scenario's (the committee's) advantage, larger = better for it."""
    return contrast if lower_is_better(output) else -contrast


def small_advantage(output: str, contrast: np.ndarray, share: float = SMALL_SHARE
                    ) -> tuple[np.ndarray, float]:
    """Design points whose advantage is in the lowest `share` of the design, and the
    contrast at that threshold."""
    adv = advantage(output, contrast)
    cut = float(np.quantile(adv, share))
    return adv <= cut, cut if lower_is_better(output) else -cut


NO_BOX = (f"no PRIM box of density >= {MIN_DENSITY:.0%} with a limit that passes the "
          "significance and rerun tests")
"""What the words say when there is no box."""


def _line(j: int, box: Box) -> str:
    """One numbered box in words: its limits, coverage, density, and the dials dropped."""
    return (f"  {j}. when {box.words()} -- covers {box.coverage:.0%} of those points; "
            f"{box.density:.0%} of the {box.points} points in this box are such points "
            f"({box.pruning()})")


def describe_small(output: str, contrast: tuple[str, str], boxes: list[Box], threshold: float,
                   points: int, share: float = SMALL_SHARE) -> str:
    """Plain words for the boxes of the smallest advantage."""
    from cogov_sim.sensitivity.sweep import label_of

    a, b = contrast
    what = label_of(output)
    ratio = (f" (`{a}` takes at most {np.exp(threshold):.2f} times as long)"
             if output.startswith("log:") and output.endswith("_days") else "")
    head = (f"`{b}`'s advantage on {what} is in its smallest {share:.0%} ({a} minus {b} "
            f"{'<=' if lower_is_better(output) else '>='} {threshold:.3g}{ratio}) at "
            f"{int(round(share * points))} of {points} design points")
    if not boxes:
        return head + f"; {NO_BOX} describes where."
    lines = [head + ":"]
    lines += [_line(j, box) for j, box in enumerate(boxes, 1)]
    return "\n".join(lines)


def describe(output: str, contrast: tuple[str, str], boxes: list[Box], cases: int,
             points: int) -> str:
    """Plain words for one output's boxes."""
    from cogov_sim.sensitivity.sweep import label_of

    a, b = contrast
    what = label_of(output)
    if not boxes:
        if cases == 0:
            return (f"`{b}` does at least as well as `{a}` on {what} everywhere in this design "
                    f"(at all {points} design points): no region to describe.")
        if cases < max(2, MIN_CASES * points):
            return (f"`{b}` does at least as well as `{a}` on {what} almost everywhere in this "
                    f"design ({cases} of {points} design points are exceptions): no region to "
                    "describe.")
        return (f"`{b}` does no better than `{a}` on {what} at {cases} of {points} design points, "
                f"but {NO_BOX} describes where.")
    verb = (f"does not shorten {what} compared with `{a}`" if output.endswith("_days") else
            f"does no better than `{a}` on {what}")
    lines = [f"`{b}` {verb} at {cases} of {points} design points:"]
    lines += [_line(j, box) for j, box in enumerate(boxes, 1)]
    return "\n".join(lines)


BOX_COLUMNS = ["output", "box", "parameter", "low", "high", "qp_low", "qp_high", "reproduced",
               "coverage", "density", "mass", "points", "prim_dials", "dropped", "cases"]
"""The columns of boxes.csv."""


def boxes_table(output: str, boxes: list[Box], cases: str = "no advantage") -> pd.DataFrame:
    """One row per kept dial of each box, with its quasi-p-values and rerun rate, the pruned
    box's numbers and the dials dropped from PRIM's box; `cases` says which points the boxes
    describe ('no advantage', or 'smallest 25%' of the advantage)."""
    rows = [{"output": output, "box": j, "parameter": k, "low": lo, "high": hi,
             "qp_low": box.qp[k][0], "qp_high": box.qp[k][1], "reproduced": box.reproduced[k],
             "coverage": box.coverage, "density": box.density, "mass": box.mass,
             "points": box.points, "prim_dials": box.prim_dials,
             "dropped": "; ".join(f"{d} ({why})" for d, why in box.dropped.items()),
             "cases": cases}
            for j, box in enumerate(boxes, 1) for k, (lo, hi) in box.limits.items()]
    return pd.DataFrame(rows, columns=BOX_COLUMNS)

