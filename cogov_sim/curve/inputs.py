"""A curve's inputs, checked before any run: the two scenarios, the dial and its values.

Bad input raises `InputError` naming the flag or file, the key, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cogov_sim.errors import InputError, did_you_mean, show
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, load

LOAD_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2)
"""`issues.rate` (issues per resident per year) from light load to past saturation: 0.1 steps
around the reported 0.22 and the scenarios' 0.30 (where the answer is read), wider steps
towards saturation."""

DEFAULT_GRIDS = {"issues.rate": LOAD_GRID}
MAX_POINTS = 60
MAX_REPLICATIONS = 1000


def dial(over: str) -> str:
    """`over` if it names a numeric parameter; else an InputError with what is allowed."""
    rows = table()
    if over not in rows:
        numeric = [k for k, p in rows.items() if p.kind in ("int", "float")]
        raise InputError("--over", f"unknown parameter{did_you_mean(over, numeric)}; allowed: "
                         "a numeric parameter (`cogov params` lists them)", key=over)
    p = rows[over]
    if p.kind not in ("int", "float"):
        raise InputError("--over", f"is a {p.kind} parameter ({p.allowed()}); allowed: a "
                         "numeric (int or float) parameter", key=over)
    return over


def parse_values(text: str) -> list[float]:
    """`--values 0.1,0.2,0.4` as numbers."""
    out = []
    for item in (s.strip() for s in text.split(",")):
        try:
            x = float(item)
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            raise InputError("--values", f"'{item}' is not a number; allowed: finite numbers "
                             "separated by commas, e.g. 0.1,0.2,0.4")
        out.append(int(x) if x.is_integer() and "." not in item and "e" not in item.lower()
                   else x)
    return out


def grid(low: float, high: float, points: int) -> list[float]:
    """`--from/--to/--points`: evenly spaced values, ends included (rounded to 10 digits)."""
    if not high > low:
        raise InputError("--to", f"value {show(high)} is not above --from ({show(low)}); "
                         "allowed: --from < --to")
    return [round(float(x), 10) for x in np.linspace(low, high, points)]


def default_values(over: str) -> list[float]:
    """The default grid of a dial, or an InputError asking for values."""
    if over not in DEFAULT_GRIDS:
        raise InputError("--over", f"has no default grid; allowed: give --values (e.g. "
                         "--values 1,2,4) or --from, --to and --points; default grids exist "
                         f"for {', '.join(DEFAULT_GRIDS)}", key=over)
    return list(DEFAULT_GRIDS[over])


def check_values(values: Sequence[float], source: str = "--values") -> list[float]:
    """The values sorted; an InputError for too few, too many or repeated ones."""
    if not 2 <= len(values) <= MAX_POINTS:
        raise InputError(source, f"{len(values)} value(s) given; allowed: 2 to {MAX_POINTS} "
                         "values")
    repeated = sorted({v for v in values if list(values).count(v) > 1})
    if repeated:
        raise InputError(source, f"value {show(repeated[0])} is given more than once; allowed: "
                         "distinct values")
    return sorted(values)


def point_scenarios(sc: Scenario, over: str, values: Sequence[float],
                    source: str = "--values") -> list[Scenario]:
    """`sc` with the dial at each value, validated like `--set`: an InputError names the value,
    and the scenario and point when another parameter objects to it."""
    out = []
    for v in values:
        try:
            out.append(sc.with_overrides({over: v}, source=source))
        except InputError as e:
            if e.key == over:
                raise
            raise InputError(f"{source} ({over} = {v} in scenario '{sc.name}')", e.message,
                             key=e.key) from None
    return out


def prepare(a: str | Path | Scenario, b: str | Path | Scenario, over: str,
            values: Sequence[float] | None = None, overrides: dict[str, Any] | None = None,
            days: int | None = None) -> tuple[Scenario, Scenario, list[float]]:
    """Both scenarios (with `--set` and `--days`), the dial and its values, all validated, and
    every point of both arms checked (a value out of range, too few staff): nothing has run."""
    over = dial(over)
    if over in (overrides or {}):
        raise InputError("--set", f"is also the curve's dial (--over {over}); allowed: set it "
                         "with --values, or curve over another parameter", key=over)
    sa = a if isinstance(a, Scenario) else load(a, overrides or None)
    sb = b if isinstance(b, Scenario) else load(b, overrides or None)
    if days is not None:
        sa, sb = (s.with_overrides({"run.days": days}, source="--days") for s in (sa, sb))
    if sa.name == sb.name:
        raise InputError("curve", f"scenario '{sa.name}' is given as both A and B; allowed: two "
                         "different scenarios (e.g. fragmented committee)")
    if sa.hash == sb.hash:
        raise InputError(sb.source or sb.name, f"scenarios '{sa.name}' and '{sb.name}' have the "
                         "same parameters and timeline: their difference is 0 by construction; "
                         "allowed: two scenarios that differ")
    for s in (sa, sb):
        days_changed = [c.day for c in s.changes if over in c.values]
        if days_changed:
            raise InputError(s.source or s.name, f"scenario '{s.name}' changes it on day "
                             f"{days_changed[0]} ([[change]]), so a curve could not hold it at "
                             "each value; allowed: a dial the scenario's timeline leaves alone",
                             key=over)
    vals = check_values(list(values) if values is not None else default_values(over))
    for s in (sa, sb):
        vals = [p.params[over] for p in point_scenarios(s, over, vals)]
    return sa, sb, vals
