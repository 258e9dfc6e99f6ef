"""Where along the dial B stops being better than A: a pure reading of a curve's table.

At each value the paired difference's 95% CI says B is better (the CI lies wholly on B's good
side), worse (wholly on the other side) or not clearly different (the CI includes 0). The
verdict names the first value where B is no longer better and whether that holds from there on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cogov_sim.sensitivity.discovery import lower_is_better

BETTER, UNCLEAR, WORSE = "better", "unclear", "worse"


def state(lo: float, hi: float, lower_better: bool) -> str:
    """One point's state from the CI of B - A (NaN: not known, counted as unclear)."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return UNCLEAR
    if (hi < 0) if lower_better else (lo > 0):
        return BETTER
    if (lo > 0) if lower_better else (hi < 0):
        return WORSE
    return UNCLEAR


@dataclass(frozen=True)
class Verdict:
    """The states along the dial and the sentence saying where B stops being better."""

    metric: str
    values: tuple[float, ...]
    states: tuple[str, ...]
    first_not_better: float | None
    """The first value where B is not better (CI includes 0 or B is worse); None if none."""
    holds_on: bool
    """B is not better at any value from `first_not_better` on."""
    first_worse: float | None
    sentence: str


def _num(x: float) -> str:
    return f"{x:g}"


def _span(vs: list[float]) -> str:
    return _num(vs[0]) if len(vs) == 1 else f"{_num(vs[0])}-{_num(vs[-1])}"


def verdict(rows: pd.DataFrame, metric: str, a: str, b: str, over: str) -> Verdict:
    """Read one metric's rows of a curve table (columns value, diff_ci_low, diff_ci_high)."""
    rows = rows.sort_values("value")
    lower = lower_is_better(metric)
    values = [float(v) for v in rows["value"]]
    states = [state(lo, hi, lower) for lo, hi in zip(rows["diff_ci_low"], rows["diff_ci_high"],
                                                       strict=True)]
    good, none, bad = (("faster", "no faster", "slower") if metric.endswith("_days")
                       else ("better", "no better", "worse"))
    on = "" if metric.endswith("_days") else f" on {metric}"
    word = {BETTER: good, UNCLEAR: "not clearly different (95% CI includes 0)", WORSE: bad}
    segments, i = [], 0
    while i < len(states):
        j = i
        while j + 1 < len(states) and states[j + 1] == states[i]:
            j += 1
        segments.append(f"{word[states[i]]} at {_span(values[i:j + 1])}")
        i = j + 1
    first = next((k for k, s in enumerate(states) if s != BETTER), None)
    holds = first is not None and BETTER not in states[first:]
    worse_at = [k for k, s in enumerate(states) if s == WORSE]
    rng = f"from {over} {_num(values[0])} to {_num(values[-1])}"
    if first is None:
        head = f"{b} is {good} than {a}{on} at every value {rng}"
    elif first == 0 and holds:
        head = f"{b} is {none} than {a}{on} anywhere {rng}"
    elif holds:
        head = f"{b} is {none} than {a}{on} from {over} = {_num(values[first])} on"
    else:
        again = [values[k] for k in range(first, len(states)) if states[k] == BETTER]
        head = (f"{b} is first {none} than {a}{on} at {over} = {_num(values[first])}, but "
                f"{good} again at {', '.join(map(_num, again))}")
    if worse_at and worse_at == list(range(worse_at[0], len(states))):
        head += f" ({bad} from {_num(values[worse_at[0]])} on)"
    sentence = f"{head}." + (f" By point: {'; '.join(segments)}." if len(segments) > 1 else "")
    return Verdict(metric, tuple(values), tuple(states),
                   None if first is None else values[first], holds,
                   values[worse_at[0]] if worse_at else None, sentence)
