"""Replicated runs for validation and calibration, through the batch engine.

`pattern_run` is a batch model function (``fn(overrides, seed, *, scenario)``): one run of the
model, returning the summary metrics plus every pattern measure and the monthly
resolution-rate series (``month_00``, ``month_01``, ...), so that only numbers cross process
boundaries and nothing is written to disk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from cogov_sim.batch import evaluate, require_ok
from cogov_sim.batch.executors import Executor
from cogov_sim.scenario import Scenario

from . import measures

SUMMARY_KEYS = ("resolution_rate", "solved_rate", "reported_solved_rate", "resolution_mean_days",
                "resolution_median_days", "response_mean_days", "participation_mean",
                "participation_volunteer_mean", "abandonment_rate", "utilisation_departments")


def switch_month(scenario: Scenario) -> int | None:
    """The 30-day month in which the scenario's structure first changes, if it does."""
    for c in scenario.changes:
        if "structure" in c.values:
            return c.day // measures.MONTH_DAYS
    return None


LATE_DAYS = 180.0
"""The window at the end of a reform run compared with the months before the switch."""
LATE_FROM = 6
"""Months after the switch from which the late slope of the resolution rate is taken."""
COMPLEX_DAYS = 14.0
"""10 working days in calendar days: the deadline for complex summoned issues (吹哨报到)."""


def _mean(x: Any) -> float:
    x = [v for v in x if not math.isnan(v)]
    return float(sum(x) / len(x)) if x else math.nan


def _after_before(issues: pd.DataFrame, switch: int | None, warm: float, days: float) -> float:
    """Reports per day in the run's last LATE_DAYS over those between the warm-up and the
    switch (NaN without a switch, or when the windows overlap or the first is empty)."""
    if switch is None:
        return math.nan
    at = switch * measures.MONTH_DAYS
    if not warm < at <= days - LATE_DAYS:
        return math.nan
    before = measures.reports_per_day(issues, warm, at)
    return measures.reports_per_day(issues, days - LATE_DAYS, days) / before if before > 0 else math.nan


def measure_run(issues: pd.DataFrame, daily: pd.DataFrame, summary: dict[str, float],
                params: dict[str, Any], switch: int | None) -> dict[str, float]:
    """Every pattern measure of one run (see `patterns.PATTERNS` for what each stands for)."""
    days = float(len(daily) - 1)
    warm = float(params["run.warmup_days"])
    n = int(params["community.residents"])
    resp = measures.response_days(issues, warm)
    monthly = measures.monthly_resolution_rate(issues, days)
    ramp = (measures.ramp_stats(monthly, switch) if switch is not None
            else {k: math.nan for k in ("before", "after", "rise", "first_share", "after9")})
    sat = params["residents.satisfied_days"]
    out = {k: float(summary[k]) for k in SUMMARY_KEYS}
    m = measures.MONTH_DAYS
    windows = {"satisfied_share": (warm, math.inf)}
    if switch is not None:
        windows.update(satisfied_before=((switch - 3) * m, switch * m),
                       satisfied_after9=((switch + 9) * m, (switch + 10) * m))
    for name in ("satisfied_share", "satisfied_before", "satisfied_after9"):
        for suffix, books in (("", False), ("_reported", True)):  # true, then as the books say
            out[name + suffix] = (measures.satisfied_share(issues, sat, *windows[name], books)
                                  if name in windows else math.nan)
    whistled = issues[issues["structure"].astype(str) == "whistle"]
    complex_ = whistled[whistled["n_departments"] >= 2]
    out.update({
        "reports_per_capita": measures.reports_per_capita(issues, n, days, warm),
        "response_mean_median_ratio": measures.mean_median_ratio(resp),
        "response_within_7d": measures.share_within(resp, 7.0),
        "response_q1_median_ratio": measures.quantile_median_ratio(resp, 0.25),
        "response_q3_median_ratio": measures.quantile_median_ratio(resp, 0.75),
        "reports_after_before": _after_before(issues, switch, warm, days),
        "ramp_late_slope": (measures.slope_from(monthly, switch + LATE_FROM)
                            if switch is not None else math.nan),
        "found_by_grid_share": measures.share_found_by(issues, "grid", warm),
        "whistle_mean_days": _mean(measures.response_days(whistled, warm)),
        "whistle_complex_within_14d": measures.closed_within(complex_, COMPLEX_DAYS, days, warm),
        "self_orgs_per_1000": float(summary["self_orgs_final"]) / n * 1000.0,
        "residents_per_grid_worker": n / math.ceil(n / params["grid.residents_per_worker"]),
        **{f"ramp_{k}": float(v) for k, v in ramp.items() if k != "months_to_90"},
    })
    out.update({f"month_{int(m):02d}": float(v) for m, v in monthly.items()})
    return out


def pattern_run(overrides: dict[str, Any], seed: int, *, scenario: Scenario,
                **_: Any) -> dict[str, float]:
    """One run of `scenario` with `overrides`: summary metrics and every pattern measure."""
    from cogov_sim import api

    res = api.run(scenario, seed=seed, overrides=overrides)
    sc = scenario.with_overrides(overrides) if overrides else scenario
    return measure_run(res.issues, res.daily, res.summary, sc.params, switch_month(sc))


def simulate(scenarios: dict[str, Scenario], replications: int, seed: int,
             executor: Executor | None = None,
             points: Iterable[dict[str, Any]] = ({},)) -> pd.DataFrame:
    """Replicated pattern runs of each scenario at each point (same seeds everywhere: common
    random numbers). One row per run, with a ``scenario`` column."""
    pts = [dict(p) for p in points]
    frames = []
    for name, sc in scenarios.items():
        df = evaluate(pattern_run, pts, seed=seed, replications=replications, scenario=sc,
                      executor=executor)
        frames.append(require_ok(df, name).assign(scenario=name))
    return pd.concat(frames, ignore_index=True)
