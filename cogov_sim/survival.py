"""Censoring-aware resolution times: pure estimators over the issue ledger (lifelines).

An issue's *resolution time* is a time to event from `t_occur`. At the run's end (the horizon)
some issues are still open: their resolution time is only known to exceed `horizon - t_occur`,
so they are **right-censored** there -- dropping them, as the closed-only `resolution_*_days`
metrics do, biases the mean down, and more so the shorter the run. Abandonment (7.9 of
docs/ODD.md) is a **competing outcome**: an abandoned issue is never resolved. Every issue is
coded

    event 0 (censored at the horizon), 1 (resolved), 2 (abandoned).

Estimators (from `lifelines`; the per-run summary computes the same formulas in a few numpy
lines, checked against lifelines in tests/test_survival.py):

- **Cumulative incidence** of resolution and of abandonment, ``F_k(t) = P(T <= t, cause k)``, by
  the Aalen--Johansen estimator (Aalen & Johansen 1978; lifelines `AalenJohansenFitter`).
- **Time to resolution with abandonment as never-resolved**: ``S*(t) = 1 - F_1(t)``, the share of
  issues not (yet) resolved at age t, abandoned ones included. Because the only censoring here is
  administrative -- every issue's potential follow-up `horizon - t_occur` is known -- an abandoned
  issue can be kept at risk, unresolved, until its own censoring time, and the Kaplan--Meier
  estimator on those "censoring-complete" data estimates ``1 - F_1`` (Fine & Gray 1999, JASA
  94:496--509, section 3; Kaplan & Meier 1958). Its median and 90th percentile are the ages by
  which half and 90% of issues are resolved (NaN if that share is not reached by the horizon):
  abandoning issues cannot make them shorter.
- **Restricted mean** time to resolution up to ``tau`` (Royston & Parmar 2013, BMC Med Res
  Methodol 13:152): ``RMST(tau) = integral_0^tau S*(t) dt = E[min(T*, tau)]``, an abandoned issue
  counting ``tau``. ``tau`` is stated with every figure (default `TAU_DAYS`, see docs/time.md).

In queueing mode (no abandonment) ``S*`` is the survival function of the time in system, and the
RMST is ``E[min(T, tau)]`` of M/M/c theory (tests/test_survival.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lifelines import AalenJohansenFitter, KaplanMeierFitter

CENSORED, RESOLVED, ABANDONED = 0, 1, 2
TAU_DAYS = 180.0
"""Default horizon of the restricted mean: three times the default patience (60 days), so every
abandonment and nearly all field work falls inside it, and short enough that a 365-day run with
its 30-day warm-up still has about half of its issues under observation at age tau."""
CIF_RESOLVED_DAYS = (7, 30, 90)
CIF_ABANDONED_DAYS = (90,)
_TIE_NUDGE = 1e-9  # days; separates a resolution and an abandonment at the same age


def time_to_event(issues: pd.DataFrame, horizon: float, warmup: float = 0.0) -> pd.DataFrame:
    """One row per issue occurring from `warmup` on: `duration` (days from t_occur to closing,
    or to the horizon if still open), `event` (0 censored, 1 resolved, 2 abandoned) and
    `followup` (horizon - t_occur, the administrative censoring time). Other ledger columns
    (category, rural, n_departments, structure) are kept for grouping."""
    df = issues[issues["t_occur"] >= warmup]
    status = df["status"].astype(str).to_numpy()
    event = np.select([status == "resolved", status == "abandoned"], [RESOLVED, ABANDONED],
                      CENSORED)
    followup = float(horizon) - df["t_occur"].to_numpy(dtype=float)
    closed = event != CENSORED
    duration = np.where(closed, df["t_closed"].to_numpy(dtype=float)
                        - df["t_occur"].to_numpy(dtype=float), followup)
    keep = [c for c in ("category", "rural", "n_departments", "structure", "channel")
            if c in df.columns]
    out = df[keep].reset_index(drop=True).copy()
    out["duration"] = np.maximum(duration, 0.0)
    out["event"] = event.astype(np.int64)
    out["followup"] = np.maximum(followup, out["duration"].to_numpy())
    return out


def resolution_km(tte: pd.DataFrame) -> KaplanMeierFitter:
    """Kaplan--Meier of time to resolution, abandoned issues kept at risk (never resolved) until
    their administrative censoring time (Fine & Gray 1999): estimates ``1 - F_resolved(t)``."""
    from lifelines import KaplanMeierFitter  # imported when used: it takes a second to load

    ab = tte["event"].to_numpy() == ABANDONED
    durations = np.where(ab, tte["followup"], tte["duration"])
    return KaplanMeierFitter().fit(durations, tte["event"].to_numpy() == RESOLVED)


def _untied(tte: pd.DataFrame) -> np.ndarray:
    """Durations with an abandonment at the same age as a resolution nudged by 1e-9 d, so that
    the Aalen--Johansen fit needs no random jitter (lifelines' jitter reseeds numpy's global
    generator)."""
    d = tte["duration"].to_numpy(dtype=float).copy()
    ev = tte["event"].to_numpy()
    res_times = np.unique(d[ev == RESOLVED])
    clash = (ev == ABANDONED) & np.isin(d, res_times)
    d[clash] += _TIE_NUDGE
    return d


def cumulative_incidence(tte: pd.DataFrame, cause: int,
                         variance: bool = False) -> AalenJohansenFitter:
    """Aalen--Johansen cumulative incidence of `cause` (RESOLVED or ABANDONED), the other
    closing being the competing event and open issues censored."""
    from lifelines import AalenJohansenFitter

    aj = AalenJohansenFitter(calculate_variance=variance)
    if not (tte["event"] == cause).any():
        # lifelines needs one event of interest; the incidence is then 0 everywhere
        return aj
    return aj.fit(_untied(tte), tte["event"].to_numpy(), event_of_interest=cause)


def cif_at(aj: AalenJohansenFitter, times: np.ndarray | list[float]) -> np.ndarray:
    """The cumulative incidence (a right-continuous step function) at ages `times`; 0 where
    the cause never occurred."""
    times = np.asarray(times, dtype=float)
    if not hasattr(aj, "cumulative_density_"):
        return np.zeros(len(times))
    cdf = aj.cumulative_density_.iloc[:, 0]
    i = np.searchsorted(cdf.index.to_numpy(dtype=float), times, side="right") - 1
    return np.where(i >= 0, cdf.to_numpy(dtype=float)[np.maximum(i, 0)], 0.0)


def _finite(x: float) -> float:
    return float(x) if np.isfinite(x) else float("nan")


# --- the per-run estimators in plain numpy --------------------------------------------------
# A lifelines fit costs 10-25 ms (pandas tables), a tenth of a whole default run, and every run
# summarises itself. These compute the same Kaplan--Meier and Aalen--Johansen estimates as
# lifelines' fitters (same formulas; tests/test_survival.py checks them against lifelines on
# real ledgers to 1e-9); `curves` and the figures keep lifelines.

def _events(issues: pd.DataFrame, horizon: float, warmup: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`time_to_event`'s duration, event and followup columns as arrays, without the table."""
    t_occ = issues["t_occur"].to_numpy(dtype=float)
    keep = t_occ >= warmup
    status = issues["status"]
    if isinstance(status.dtype, pd.CategoricalDtype):
        names = np.asarray(status.cat.categories, dtype=str)
        status = names[status.cat.codes.to_numpy()[keep]]
    else:
        status = status.astype(str).to_numpy()[keep]
    t_occ = t_occ[keep]
    event = np.select([status == "resolved", status == "abandoned"], [RESOLVED, ABANDONED],
                      CENSORED)
    followup = float(horizon) - t_occ
    duration = np.where(event != CENSORED,
                        issues["t_closed"].to_numpy(dtype=float)[keep] - t_occ, followup)
    duration = np.maximum(duration, 0.0)
    return duration, event, np.maximum(followup, duration)


def _km(durations: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan--Meier: the distinct times (0 first, as lifelines' timeline) and S just after
    each, computed as lifelines does (exp of the summed log factors)."""
    times, inv = np.unique(durations, return_inverse=True)
    removed = np.bincount(inv, minlength=len(times)).astype(float)
    deaths = np.bincount(inv, weights=observed.astype(float), minlength=len(times))
    at_risk = len(durations) - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    with np.errstate(divide="ignore"):
        surv = np.exp(np.cumsum(np.log(at_risk - deaths) - np.log(at_risk)))
    if times[0] > 0:
        times, surv = np.concatenate([[0.0], times]), np.concatenate([[1.0], surv])
    return times, surv


def _rmst(times: np.ndarray, surv: np.ndarray, tau: float) -> float:
    """The integral of the right-continuous step function S from 0 to tau."""
    inside = times <= tau  # a time at tau adds a zero-width step, as in lifelines' sum
    knots = np.concatenate([times[inside], [tau]])
    return float(np.sum(np.concatenate([np.diff(knots) * surv[inside], [0.0]])))


def _quantile(times: np.ndarray, surv: np.ndarray, q: float) -> float:
    """The smallest time with S <= q; NaN if S stays above q (lifelines' qth_survival_time)."""
    hit = np.nonzero(surv <= q)[0]
    return float(times[hit[0]]) if len(hit) else float("nan")


def _cif_at(durations: np.ndarray, events: np.ndarray, cause: int,
            ages: tuple[int, ...]) -> np.ndarray:
    """Aalen--Johansen cumulative incidence of `cause` at `ages`: the sum over event times of
    S(t-) x d_cause(t) / n(t), S the all-cause Kaplan--Meier (ties between causes share one
    time, which the Aalen--Johansen formula allows)."""
    times, inv = np.unique(durations, return_inverse=True)
    removed = np.bincount(inv, minlength=len(times)).astype(float)
    d_all = np.bincount(inv, weights=(events != CENSORED).astype(float), minlength=len(times))
    d_k = np.bincount(inv, weights=(events == cause).astype(float), minlength=len(times))
    at_risk = len(durations) - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    with np.errstate(divide="ignore"):
        surv = np.exp(np.cumsum(np.log(at_risk - d_all) - np.log(at_risk)))
    before = np.concatenate([[1.0], surv[:-1]])
    cif = np.cumsum(d_k / at_risk * before)
    i = np.searchsorted(times, np.asarray(ages, dtype=float), side="right") - 1
    return np.where(i >= 0, cif[np.maximum(i, 0)], 0.0)


def resolution_summary(issues: pd.DataFrame, horizon: float, warmup: float = 0.0,
                       tau: float = TAU_DAYS) -> dict[str, float]:
    """The censoring-aware resolution metrics of one run.

    `resolution_rmst_days` (restricted mean to `tau`, abandoned counting tau),
    `resolution_km_median_days`, `resolution_km_p90_days` (ages by which 50% / 90% of issues are
    resolved; NaN if not reached), `cif_resolved_{7,30,90}d`, `cif_abandoned_90d`
    (Aalen--Johansen), `resolution_censored_share` (issues still open at the horizon) and
    `resolution_tau_days` (the tau used). NaN everywhere when no issue occurred."""
    duration, event, followup = _events(issues, horizon, warmup)
    keys = ["resolution_rmst_days", "resolution_km_median_days", "resolution_km_p90_days",
            *(f"cif_resolved_{t}d" for t in CIF_RESOLVED_DAYS),
            *(f"cif_abandoned_{t}d" for t in CIF_ABANDONED_DAYS), "resolution_censored_share"]
    out = dict.fromkeys(keys, float("nan"))
    out["resolution_tau_days"] = float(tau)
    if len(duration) == 0:
        return out
    # abandoned issues stay at risk, never resolved, until their censoring time (Fine & Gray)
    times, surv = _km(np.where(event == ABANDONED, followup, duration), event == RESOLVED)
    out["resolution_rmst_days"] = _rmst(times, surv, tau)
    out["resolution_km_median_days"] = _quantile(times, surv, 0.5)
    out["resolution_km_p90_days"] = _quantile(times, surv, 0.1)
    for t, v in zip(CIF_RESOLVED_DAYS, _cif_at(duration, event, RESOLVED, CIF_RESOLVED_DAYS),
                    strict=True):
        out[f"cif_resolved_{t}d"] = float(v)
    for t, v in zip(CIF_ABANDONED_DAYS,
                    _cif_at(duration, event, ABANDONED, CIF_ABANDONED_DAYS), strict=True):
        out[f"cif_abandoned_{t}d"] = float(v)
    out["resolution_censored_share"] = float((event == CENSORED).mean())
    return out


def restricted_mean(issues: pd.DataFrame, horizon: float, warmup: float = 0.0,
                    tau: float = TAU_DAYS) -> float:
    """Only `resolution_rmst_days` (NaN without issues): for subgroups such as rural/urban."""
    duration, event, followup = _events(issues, horizon, warmup)
    if len(duration) == 0:
        return float("nan")
    times, surv = _km(np.where(event == ABANDONED, followup, duration), event == RESOLVED)
    return _rmst(times, surv, tau)


def by_group(issues: pd.DataFrame, column: str, horizon: float, warmup: float = 0.0,
             tau: float = TAU_DAYS) -> pd.DataFrame:
    """`resolution_summary` per value of a ledger column (category, n_departments, rural,
    structure): one row per group."""
    df = issues[issues["t_occur"] >= warmup]
    rows = {k: resolution_summary(g, horizon, warmup, tau)
            for k, g in df.groupby(column, observed=True)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = column
    return out


def curves(issues: pd.DataFrame, horizon: float, warmup: float = 0.0,
           grid: np.ndarray | None = None) -> pd.DataFrame:
    """On a grid of ages (default 0..`TAU_DAYS` by day): the Aalen--Johansen cumulative
    incidence of resolution and of abandonment and the share still unresolved
    (``1 - F_resolved``, KM on censoring-complete data) -- what report figures draw. NaN at
    ages beyond the longest follow-up (horizon - warmup)."""
    grid = np.arange(0.0, TAU_DAYS + 1.0) if grid is None else np.asarray(grid, dtype=float)
    tte = time_to_event(issues, horizon, warmup)
    if len(tte) == 0:
        return pd.DataFrame({"age_days": grid, "unresolved": np.nan, "cif_resolved": np.nan,
                             "cif_abandoned": np.nan})
    km = resolution_km(tte)
    res = cumulative_incidence(tte, RESOLVED)
    ab = cumulative_incidence(tte, ABANDONED)
    out = pd.DataFrame({
        "age_days": grid,
        "unresolved": km.survival_function_at_times(grid).to_numpy(),
        "cif_resolved": cif_at(res, grid),
        "cif_abandoned": cif_at(ab, grid),
    })
    # nothing is observed beyond the longest follow-up: no estimate there
    out.loc[grid > tte["followup"].max(), ["unresolved", "cif_resolved", "cif_abandoned"]] = np.nan
    return out
