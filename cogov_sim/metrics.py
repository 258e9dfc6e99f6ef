"""Summary metrics: pure functions of a run's tables (issues, daily series, stations,
residents). Tested on small hand-made tables.

Resolution times come two ways. The censoring-aware ones (`survival.resolution_summary`: restricted
mean, Kaplan--Meier median and p90, Aalen--Johansen cumulative incidence of resolution and of
abandonment) count every issue -- those still open at the run's end censored there, abandoned ones
as never resolved -- and lead the headline. `resolution_mean_days`, `_median_days`, `_p90_days`,
the stage split and the per-department means are over **closed (resolved) issues only**: they
drop issues still open at the horizon (so they grow with the run's length) and abandoned ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cogov_sim import survival

STAGES = ("discovery", "routing", "waiting", "coordination", "service")
FOUND_BY = ("resident", "neighbour", "grid", "self_org", "structure")
CHANNELS = ("departments", "self_org", "sanshe", "enterprise", "council")

# the headline outcomes, in the order tables show them: censoring-aware times first (every
# issue counts), then the closed-issues-only figures under labels that say so (render.LABELS).
# (`resolution_km_p90_days` is in every summary but not here: in short runs 90% of issues are
# often not resolved within the follow-up, and the quantile is then undefined, NaN.)
KEY_METRICS = (
    "resolution_rmst_days",
    "resolution_km_median_days",
    "cif_resolved_30d",
    "cif_abandoned_90d",
    "resolution_mean_days",
    "resolution_p90_days",
    "resolution_rate",
    "solved_rate",
    "reported_solved_rate",
    "participation_mean",
    "transfers_per_issue",
    *(f"stage_{s}_days" for s in STAGES),
    "resolution_mean_days_1dept",
    "resolution_mean_days_multidept",
)


def _mean(x: pd.Series | np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else float("nan")


def _share(mask: pd.Series, of: pd.Series | None = None) -> float:
    base = mask if of is None else mask[of]
    return float(base.mean()) if len(base) else float("nan")


def ledger_counts(issues: pd.DataFrame) -> dict[str, int]:
    """created = resolved + abandoned + open, over every issue of the run."""
    st = issues["status"]  # categorical or text: == compares labels either way
    return {
        "created": len(issues),
        "resolved": int((st == "resolved").sum()),
        "abandoned": int((st == "abandoned").sum()),
        "open": int((st == "open").sum()),
    }


def _is(col: pd.Series, label: str) -> np.ndarray:
    """Where a label column (categorical or text) equals `label`, as a numpy mask."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        if label not in cats:
            return np.zeros(len(col), dtype=bool)
        return col.cat.codes.to_numpy() == cats.get_loc(label)
    return col.to_numpy() == label


def _frac(mask: np.ndarray) -> float:
    """A mask's share of True (NaN if empty): the mean of a boolean column."""
    return float(mask.mean()) if len(mask) else float("nan")


def issue_metrics(issues: pd.DataFrame, warmup: float = 0.0) -> dict[str, float]:
    """Resolution times, stage split, rates, transfers, discovery and channels. (On numpy
    arrays of the columns: filtering the whole table three times cost more than the rest.)"""
    keep = issues["t_occur"].to_numpy() >= warmup

    def col(name: str) -> np.ndarray:
        return issues[name].to_numpy()[keep]

    resolved, abandoned = _is(issues["status"], "resolved")[keep], _is(
        issues["status"], "abandoned")[keep]
    days = col("resolution_days")[resolved]
    out: dict[str, float] = {
        "issues_created": float(keep.sum()),
        "issues_resolved": float(resolved.sum()),
        "issues_abandoned": float(abandoned.sum()),
        "issues_open": float(_is(issues["status"], "open")[keep].sum()),
        "resolution_rate": _frac(resolved),
        "solved_rate": _frac(resolved & col("solved").astype(bool)),
        "reported_solved_rate": _frac(resolved & col("reported").astype(bool))
        if "reported" in issues else np.nan,
        "abandonment_rate": _frac(abandoned),
        "resolution_mean_days": _mean(days),
        "resolution_median_days": float(np.median(days)) if len(days) else np.nan,
        "resolution_p90_days": float(np.quantile(days, 0.9)) if len(days) else np.nan,
        "response_mean_days": _mean((col("t_closed") - col("t_known"))[resolved]),
    }
    for s in STAGES:
        out[f"stage_{s}_days"] = _mean(col(f"{s}_days")[resolved])
    nd = col("n_departments")[resolved]
    out["resolution_mean_days_1dept"] = _mean(days[nd == 1])
    out["resolution_mean_days_multidept"] = _mean(days[nd > 1])
    for k in (2, 3):
        out[f"resolution_mean_days_{k}dept"] = _mean(days[nd == k])
    dep = _is(issues["channel"], "departments")[keep]
    out["transfers_per_issue"] = _mean(col("transfers")[dep])
    out["bounces_per_issue"] = _mean(col("bounces")[dep])
    out["escalated_share"] = _frac(col("escalations")[dep] > 0)
    parts = col("n_departments")[dep].sum()
    n_dep = int(dep.sum())
    out["pooled_part_share"] = float(col("pooled_parts")[dep].sum() / parts) if n_dep else np.nan
    out["borrowed_part_share"] = (float(col("borrowed_parts")[dep].sum() / parts)
                                  if n_dep and "borrowed_parts" in issues else np.nan)
    found = issues["discovered_by"]
    unfound = _is(found, "none")[keep]
    out["undiscovered_share"] = _frac(unfound)
    for f in FOUND_BY:
        out[f"found_by_{f}_share"] = _frac(_is(found, f)[keep])
    channel = issues["channel"]
    known = ~unfound
    builtin = np.zeros(len(issues), dtype=bool)
    for c in CHANNELS:
        is_c = _is(channel, c)
        builtin |= is_c
        out[f"channel_{c}_share"] = _frac(is_c[keep][known])
    other = ~(builtin | _is(channel, "none"))
    out["channel_structure_share"] = _frac(other[keep][known])
    return out


def plugin_shares(issues: pd.DataFrame, stations: pd.DataFrame,
                  warmup: float = 0.0) -> tuple[dict[str, float], dict[str, float]]:
    """Channels and stations a plug-in (a structure's or a mechanism's) brought: each channel's
    share of the issues found (as `channel_*_share`), and each station kind's utilisation."""
    keep = (issues["t_occur"].to_numpy() >= warmup) & ~_is(issues["discovered_by"], "none")
    channel = issues["channel"]
    names = [c for c in (channel.cat.categories if isinstance(channel.dtype, pd.CategoricalDtype)
                         else pd.unique(channel)) if c not in (*CHANNELS, "none")]
    shares = {c: _frac(_is(channel, c)[keep]) for c in names}
    builtin = {"department", "pooled team", "hub", "enterprise", "self-organisation", "council"}
    util = {}
    for kind, g in stations.groupby(stations["kind"].astype(str), sort=False):
        if kind not in builtin and g["server_area"].sum() > 0:
            util[kind] = float(g["busy_area"].sum() / g["server_area"].sum())
    return shares, util


def by_group(issues: pd.DataFrame, column: str, warmup: float = 0.0) -> pd.DataFrame:
    """Mean resolution time, resolution rate and count per value of `column`."""
    df = issues[issues["t_occur"] >= warmup]
    g = df.groupby(column, observed=True)
    return pd.DataFrame({
        "issues": g.size(),
        "resolution_rate": g["status"].apply(lambda s: float((s == "resolved").mean())),
        "solved_rate": g["solved"].mean().astype(float),
        "resolution_mean_days": g["resolution_days"].mean(),
    })


def series_metrics(daily: pd.DataFrame, warmup: float = 0.0) -> dict[str, float]:
    """Participation, trust and backlog over the measured period."""
    d = daily[daily["time"] >= max(warmup, 1)]
    last = daily.iloc[-1]
    out = {
        "participation_mean": _mean(d["participation"]),
        "participation_final": float(last["participation"]),
        "backlog_mean": _mean(d["backlog"]),
        "backlog_final": float(last["backlog"]),
        "trust_final": float(last["trust"]),
        "efficacy_final": float(last["efficacy"]),
        "propensity_final": float(last["propensity"]),
        "self_orgs_final": float(last["self_orgs"]),
    }
    for kind in ("report", "council", "volunteer", "selforg"):
        out[f"participation_{kind}_mean"] = _mean(d[f"participation_{kind}"])
    return out


def station_metrics(stations: pd.DataFrame) -> dict[str, float]:
    """Utilisation of departments (overall, most and least loaded), of the pooled team and of
    the doors that take issues in (the one door's centre, 九龙治水's departments' doors)."""
    dep = stations[stations["kind"] == "department"]
    intake = stations[stations["intake"]] if "intake" in stations else stations.iloc[:0]
    with np.errstate(invalid="ignore", divide="ignore"):
        util = dep["busy_area"] / dep["server_area"]
    pool = stations[stations["kind"] == "pooled team"]
    return {
        "utilisation_departments": float(dep["busy_area"].sum() / dep["server_area"].sum())
        if dep["server_area"].sum() > 0 else np.nan,
        "utilisation_max_department": float(util.max()) if util.notna().any() else np.nan,
        "utilisation_min_department": float(util.min()) if util.notna().any() else np.nan,
        "utilisation_pool": float(pool["busy_area"].sum() / pool["server_area"].sum())
        if len(pool) and pool["server_area"].sum() > 0 else np.nan,
        "utilisation_intake": float(intake["busy_area"].sum() / intake["server_area"].sum())
        if len(intake) and intake["server_area"].sum() > 0 else np.nan,
    }


def gap_metrics(issues: pd.DataFrame, residents: pd.DataFrame,
                warmup: float = 0.0) -> dict[str, float]:
    """Urban/rural gaps (rural minus urban; NaN unless both exist) and the spread of
    participation between neighbourhoods."""
    df = issues[(issues["t_occur"] >= warmup) & (issues["status"] == "resolved")]
    rural_res = df["resolution_days"][df["rural"]]
    urban_res = df["resolution_days"][~df["rural"]]
    both = residents["rural"].any() and (~residents["rural"]).any()
    nb = residents.groupby("neighbourhood")["active"].mean()
    return {
        "gap_resolution_rural_urban": _mean(rural_res) - _mean(urban_res) if both else np.nan,
        "gap_participation_rural_urban": float(
            residents["active"][residents["rural"]].mean()
            - residents["active"][~residents["rural"]].mean()) if both else np.nan,
        "participation_spread_neighbourhoods": float(nb.max() - nb.min()) if len(nb) else np.nan,
    }


def summarise(issues: pd.DataFrame, daily: pd.DataFrame, stations: pd.DataFrame,
              residents: pd.DataFrame, warmup: float = 0.0, horizon: float | None = None,
              tau: float = survival.TAU_DAYS) -> dict[str, float]:
    """Every summary metric of one run, as a flat dict of floats. (Whether the ledger balances
    needs the model's own counts too: `api.check_ledger` adds `ledger_balanced`.)

    `horizon` is the run's end (default: the daily series' last time), where issues still open
    are censored; `tau` the restricted mean's horizon (`survival.TAU_DAYS`)."""
    counts = ledger_counts(issues)
    if horizon is None:
        horizon = float(daily["time"].iloc[-1]) if len(daily) else float(
            np.nanmax(issues["t_closed"])) if len(issues) else 0.0
    both = bool(residents["rural"].any() and (~residents["rural"]).any())
    rural = issues["rural"].to_numpy(dtype=bool)
    gap_rmst = (survival.restricted_mean(issues[rural], horizon, warmup, tau)
                - survival.restricted_mean(issues[~rural], horizon, warmup, tau)
                if both else np.nan)
    return {
        **issue_metrics(issues, warmup),
        **survival.resolution_summary(issues, horizon, warmup, tau),
        "gap_resolution_rmst_rural_urban": gap_rmst,
        **series_metrics(daily, warmup),
        **station_metrics(stations),
        **gap_metrics(issues, residents, warmup),
        "all_issues": float(counts["created"]),
        "all_open": float(counts["open"]),
    }
