"""Scenario discovery: where in a sweep's design does the committee *not* help?

PRIM (Friedman & Fisher 1999, "Bump hunting in high-dimensional data") over the design and a
yes/no outcome per design point, as EMA Workbench implements it (Kwakkel 2017); boxes are
chosen as Bryant & Lempert (2010) advise: the box with the highest coverage among those whose
density reaches a threshold, then the next box on the points the first did not cover.
Reported with coverage (share of all cases inside the box), density (share of the box's
points that are cases) and in plain words.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_DENSITY = 0.8
"""A box must hold at least this share of cases to be reported (Bryant & Lempert 2010)."""
CAVEAT = ("PRIM's peeling also restricts dials on its way to a box, and no test of those "
          "restrictions' significance (EMA Workbench's quasi-p-values) is run: read a box's "
          "strong limits (those that cut much of a dial's range) as findings, and its weak "
          "ones (near the ends of the range) as the peeling's by-products.")
"""Printed with every set of boxes, in the report and on screen."""
MIN_CASES = 0.02
"""Fewer cases than this share of the design: nothing to discover."""


@dataclass(frozen=True)
class Box:
    """A region of the design: bounds on the restricted parameters, and how good it is."""

    limits: dict[str, tuple[float, float]]
    """Restricted parameters: (low, high), -inf or inf on an unrestricted side."""
    coverage: float
    density: float
    mass: float
    points: int

    def words(self) -> str:
        """The box's conditions in words, e.g. 'issues.rate >= 0.31 and departments.staff_per_10000 <= 22'."""
        parts = []
        for k, (lo, hi) in self.limits.items():
            if np.isfinite(lo) and np.isfinite(hi):
                parts.append(f"`{k}` between {lo:.3g} and {hi:.3g}")
            elif np.isfinite(lo):
                parts.append(f"`{k}` >= {lo:.3g}")
            else:
                parts.append(f"`{k}` <= {hi:.3g}")
        return " and ".join(parts)


def find_boxes(x: pd.DataFrame, cases: np.ndarray, max_boxes: int = 3,
               min_density: float = MIN_DENSITY) -> list[Box]:
    """Up to `max_boxes` PRIM boxes covering the design points where `cases` is true; each
    later box is searched on the points the earlier ones left out."""
    with warnings.catch_warnings():  # heavy import, only when a sweep is analysed; it warns
        warnings.simplefilter("ignore")  # about optional parallel back ends we do not use
        from ema_workbench.analysis import prim

    cases = np.asarray(cases, dtype=bool)
    total = int(cases.sum())
    if total < max(2, MIN_CASES * len(cases)):
        return []
    boxes: list[Box] = []
    keep = np.ones(len(x), dtype=bool)
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    for _ in range(max_boxes):
        xs, ys = x[keep].reset_index(drop=True), cases[keep]
        if ys.sum() < 2:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = prim.Prim(xs, ys).find_box()
        if box is None:
            break
        traj = box.peeling_trajectory
        good = traj[traj["density"] >= min_density]
        if good.empty:
            break
        i = int(good.sort_values(["coverage", "density"], ascending=False).index[0])
        lims = box.box_lims[i]
        restricted = {}
        for c in x.columns:
            lo, hi = float(lims.loc[0, c]), float(lims.loc[1, c])
            if lo > full[c][0] or hi < full[c][1]:
                restricted[c] = (lo if lo > full[c][0] else -np.inf,
                                 hi if hi < full[c][1] else np.inf)
        if not restricted:
            break
        inside = np.ones(len(x), dtype=bool)
        for c, (lo, hi) in restricted.items():
            inside &= (x[c].to_numpy() >= lo) & (x[c].to_numpy() <= hi)
        inside &= keep
        n_in = int(inside.sum())
        hits = int((inside & cases).sum())
        boxes.append(Box(restricted, hits / total, hits / n_in if n_in else float("nan"),
                         n_in / len(x), n_in))
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
        return head + f"; no box of density >= {MIN_DENSITY:.0%} describes where."
    lines = [head + ":"]
    for j, box in enumerate(boxes, 1):
        lines.append(f"  {j}. when {box.words()} -- covers {box.coverage:.0%} of those "
                     f"points; {box.density:.0%} of the {box.points} points in this box are "
                     "such points")
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
                f"but no box of density >= {MIN_DENSITY:.0%} describes where.")
    verb = (f"does not shorten {what} compared with `{a}`" if output.endswith("_days") else
            f"does no better than `{a}` on {what}")
    lines = [f"`{b}` {verb} at {cases} of {points} design points:"]
    for j, box in enumerate(boxes, 1):
        lines.append(f"  {j}. when {box.words()} -- covers {box.coverage:.0%} of those "
                     f"points; {box.density:.0%} of the {box.points} points in this box are "
                     "such points")
    return "\n".join(lines)


def boxes_table(output: str, boxes: list[Box], cases: str = "no advantage") -> pd.DataFrame:
    """One row per restricted parameter of each box; `cases` says which points the boxes
    describe ('no advantage', or 'smallest 25%' of the advantage)."""
    rows = [{"output": output, "box": j, "parameter": k, "low": lo, "high": hi,
             "coverage": box.coverage, "density": box.density, "mass": box.mass, "cases": cases}
            for j, box in enumerate(boxes, 1) for k, (lo, hi) in box.limits.items()]
    return pd.DataFrame(rows, columns=["output", "box", "parameter", "low", "high", "coverage",
                                       "density", "mass", "cases"])
