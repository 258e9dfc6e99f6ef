"""Pattern measures: pure functions of one run's tables (issue ledger, daily series, summary).

Each turns model output into the quantity a published figure describes -- reports per
resident-year, report-to-close times and their skew, a monthly resolution-rate series and the
shape of its ramp. Tested on small hand-made tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

MONTH_DAYS = 30
YEAR_DAYS = 365.0


def _resolved(issues: pd.DataFrame, warmup: float) -> pd.DataFrame:
    df = issues[issues["t_occur"] >= warmup]
    return df[df["status"].astype(str) == "resolved"]


def response_days(issues: pd.DataFrame, warmup: float = 0.0) -> np.ndarray:
    """Report-to-close time of each resolved issue that occurred after the warm-up: what a
    hotline's reply or closing time measures (the clock starts when the system knows)."""
    res = _resolved(issues, warmup)
    return (res["t_closed"] - res["t_known"]).to_numpy(dtype=float)


def mean_median_ratio(x: np.ndarray) -> float:
    """Mean over median: 1 for a symmetric distribution, larger the more right-skewed."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan
    med = float(np.median(x))
    return float(x.mean()) / med if med > 0 else math.nan


def share_within(x: np.ndarray, days: float) -> float:
    """Share of times at most `days`."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float((x <= days).mean()) if len(x) else math.nan


def reports_per_capita(issues: pd.DataFrame, residents: int, days: float,
                       warmup: float = 0.0) -> float:
    """Issues residents (or affected neighbours) reported, per resident per year, counting
    issues that occurred in the measured period [warmup, days): a hotline's request volume."""
    df = issues[issues["t_occur"] >= warmup]
    reported = df["discovered_by"].astype(str).isin(["resident", "neighbour"]).sum()
    years = (days - warmup) / YEAR_DAYS
    return float(reported) / residents / years if years > 0 and residents > 0 else math.nan


def satisfied_share(issues: pd.DataFrame, satisfied_days: float, warmup: float = 0.0,
                    until: float = math.inf, reported: bool = False) -> float:
    """Share of closed issues (resolved or abandoned) whose outcome score is at least one half,
    i.e. solved within `satisfied_days` of occurring (the model's outcome is 0.5 ** (t / s),
    0 if abandoned or handled without being solved): a proxy for the share of satisfied
    callers. Issues occurring in [warmup, until). With `reported`, solved as the books say
    (the ledger's ``reported``: informal closures count), i.e. satisfaction as a rating or a
    survey of the hotline's records counts it; without, solved in truth."""
    df = issues[(issues["t_occur"] >= warmup) & (issues["t_occur"] < until)]
    status = df["status"].astype(str)
    closed = status != "open"
    ok = ((status == "resolved") & df["reported" if reported else "solved"].astype(bool)
          & (df["resolution_days"] <= satisfied_days))
    return float(ok[closed].mean()) if closed.any() else math.nan


def monthly_resolution_rate(issues: pd.DataFrame, days: float, horizon: float = 30.0,
                            month_days: int = MONTH_DAYS) -> pd.Series:
    """By month of occurrence (30-day months from day 0): the share of that month's issues
    solved within `horizon` days of occurring (a hotline's 解决率: handled but not solved
    counts as unresolved). Only months whose every issue has had the full horizon before the
    run ended are kept, so the last months are not censored."""
    month = (issues["t_occur"] // month_days).astype(int)
    ok = ((issues["status"].astype(str) == "resolved") & issues["solved"]
          & (issues["resolution_days"] <= horizon))
    rate = ok.groupby(month).mean()
    complete = (rate.index + 1) * month_days + horizon <= days
    out = rate[complete].astype(float)
    out.index.name = "month"
    return out.rename("resolution_rate")


def ramp_stats(series: pd.Series, switch_month: int, before: int = 3,
               settle: int = 3) -> dict[str, float]:
    """Shape of a reform ramp in a monthly series switched at `switch_month`.

    ``before``: mean of the `before` full months just before the switch; ``after``: mean of the
    last `settle` months; ``rise`` = after - before; ``first_share``: how much of the rise the
    first month after the switch already shows (1 = an instant step, small = a gradual ramp);
    ``months_to_90``: months after the switch until the series first reaches 90% of the rise.
    """
    s = series.sort_index()
    pre = s[(s.index < switch_month) & (s.index >= switch_month - before)]
    post = s[s.index >= switch_month]
    nan = {"before": math.nan, "after": math.nan, "rise": math.nan, "first_share": math.nan,
           "months_to_90": math.nan, "after9": math.nan}
    if len(pre) == 0 or len(post) < settle + 1:
        return nan
    b = float(pre.mean())
    a = float(post.iloc[-settle:].mean())
    rise = a - b
    first = float(post.iloc[0]) - b
    reached = np.nonzero((post.to_numpy() - b) >= 0.9 * rise)[0] if rise > 0 else []
    nine = post[post.index <= switch_month + 9]
    return {
        "before": b,
        "after": a,
        "rise": rise,
        "first_share": first / rise if rise > 0 else math.nan,
        "months_to_90": float(reached[0]) if len(reached) else math.nan,
        "after9": float(nine.iloc[-1]) if len(nine) else math.nan,
    }


def quantile_median_ratio(x: np.ndarray, q: float) -> float:
    """The `q` quantile over the median: a shape that does not depend on the level."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan
    med = float(np.median(x))
    return float(np.quantile(x, q)) / med if med > 0 else math.nan


def reports_per_day(issues: pd.DataFrame, start: float, end: float) -> float:
    """Issues residents or affected neighbours reported per day in [start, end), by report time
    (``t_known``), so that issues occurring near the end are not lost to censoring."""
    if end <= start:
        return math.nan
    by = issues["discovered_by"].astype(str).isin(["resident", "neighbour"])
    t = issues["t_known"]
    return float((by & (t >= start) & (t < end)).sum()) / (end - start)


def slope_from(series: pd.Series, first_month: int) -> float:
    """Least-squares slope per month of a monthly series from `first_month` on (NaN with fewer
    than two months)."""
    s = series.sort_index()
    s = s[(s.index >= first_month) & s.notna()]
    if len(s) < 2:
        return math.nan
    return float(np.polyfit(s.index.to_numpy(dtype=float), s.to_numpy(dtype=float), 1)[0])


def share_found_by(issues: pd.DataFrame, who: str, warmup: float = 0.0) -> float:
    """Share of discovered issues occurring after the warm-up that `who` found (a
    ``discovered_by`` value: 'grid', 'resident', ...)."""
    found = issues.loc[issues["t_occur"] >= warmup, "discovered_by"].astype(str)
    found = found[found != "none"]
    return float((found == who).mean()) if len(found) else math.nan


def closed_within(issues: pd.DataFrame, days: float, end: float, warmup: float = 0.0) -> float:
    """Share of issues reported in [warmup, end - days) that were closed (resolved) within
    `days` of the report; abandoned or still open ones count against. Issues reported later are
    left out: the run ended before their time was up."""
    t = issues["t_known"]
    df = issues[(t >= warmup) & (t < end - days)]
    if len(df) == 0:
        return math.nan
    ok = (df["status"].astype(str) == "resolved") & (df["t_closed"] - df["t_known"] <= days)
    return float(ok.mean())
