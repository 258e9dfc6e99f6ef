"""The numbers beside each side: the same summary `cogov run --days D` prints, computed on a
live model at day D without disturbing it.

`api.run` finishes a model (`CoGovModel._finalise`) and hands its tables to
`metrics.summarise`. A live model at day D holds the same history, plus what it has already
drawn for later: issues occurring after D and discoveries due after D. `snapshot_tables` builds
the tables as `_finalise` would leave them (those future draws undone, stations accounted to
D) on copies, then calls the same `metrics.summarise`, so at day D the readouts equal
`cogov run SCENARIO --seed S --days D` exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cogov_sim import metrics, survival
from cogov_sim.issues import Discoverer
from cogov_sim.single import stations_frame

if TYPE_CHECKING:
    from cogov_sim.model import CoGovModel

STAGE_KEYS = ("discovery", "routing", "waiting", "coordination", "service")
"""The time-by-stage bar's parts, in an issue's order (summary keys `stage_<key>_days`)."""


@dataclass(frozen=True)
class Readout:
    """One number shown per side: its summary key, how to print it, which way is better, and
    whether the page may call a difference better or worse (not for closed-issues-only times:
    they drop the issues a slow side leaves open, so they can point the wrong way)."""

    key: str
    digits: int
    lower_is_better: bool
    share: bool = False
    judged: bool = True


READOUTS: tuple[Readout, ...] = (
    Readout("resolution_rmst_days", 1, True),
    Readout("resolution_censored_share", 1, True, share=True),
    Readout("solved_rate", 1, False, share=True),
    Readout("reported_solved_rate", 1, False, share=True, judged=False),
    Readout("resolution_mean_days", 1, True, judged=False),
    Readout("backlog_final", 0, True),
    Readout("transfers_per_issue", 2, True),
    Readout("participation_final", 1, False, share=True),
)
"""The headline first: the restricted mean resolution time to 180 days over every issue (open
ones censored today, abandoned ones counting 180), as README and `cogov run` lead with, and
beside it the share still open; the solved rate as the books say (informal closures too) under
the true one, not judged (more of it is no better: above the truth it flatters); the closed-only
mean after them, labelled and not judged."""


def snapshot_tables(model: CoGovModel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                 pd.DataFrame]:
    """Issues, daily series, stations and residents as `api.run` would have them had the run
    ended today (copies; the model is untouched)."""
    now = float(model.time)
    day = int(round(now))
    L = model.ledger
    n = int(np.searchsorted(L.t_occur[: L.n], now, side="right"))
    saved = {k: L.cols[k] for k in ("t_known", "discovered_by")}
    later = np.nonzero(L.t_known[:n] > now)[0]
    try:  # the ledger's own `frame()` on arrays patched as `_finalise` would, then restored
        for k in saved:
            L.cols[k] = saved[k].copy()
        L.cols["t_known"][later] = np.nan
        L.cols["discovered_by"][later] = Discoverer.NONE
        full_n, L.n = L.n, n
        issues = L.frame()
    finally:
        L.n = full_n
        L.cols.update(saved)
    daily = pd.DataFrame({k: v[: day + 1] for k, v in model.series.items()})
    daily.insert(0, "time", np.arange(len(daily), dtype=float))
    stations = stations_frame(model, now)
    net, pop = model.net, model.pop
    residents = pd.DataFrame({
        "neighbourhood": net.neighbourhood, "rural": net.rural, "party": net.party,
        "member": pop.member >= 0, "active": pop.active(max(day - 1, 0)),
        "propensity": pop.propensity, "trust": pop.trust, "efficacy": pop.efficacy,
    })
    return issues, daily, stations, residents


def summary_now(model: CoGovModel) -> dict[str, float]:
    """`metrics.summarise` of the run so far (what `cogov run --days <today>` reports)."""
    issues, daily, stations, residents = snapshot_tables(model)
    return metrics.summarise(issues, daily, stations, residents,
                             float(model.p["run.warmup_days"]))


def readouts_now(model: CoGovModel) -> dict[str, float]:
    """The readouts and the time-by-stage bar for today: the parts of `metrics.summarise` they
    come from (`issue_metrics`, `survival.resolution_summary`, `series_metrics`), on the same
    tables, so each number is the one `summary_now` (and `cogov run --days <today>`) gives, at
    a fraction of the cost (no subgroup gaps or station tables)."""
    issues, daily, _, _ = snapshot_tables(model)
    warm = float(model.p["run.warmup_days"])
    return {**metrics.issue_metrics(issues, warm),
            **survival.resolution_summary(issues, float(daily["time"].iloc[-1]), warm),
            **metrics.series_metrics(daily, warm)}


def difference(left: float, right: float) -> float:
    """Right minus left (NaN when either is missing)."""
    if left is None or right is None or math.isnan(left) or math.isnan(right):
        return math.nan
    return right - left


def fmt(value: float, r: Readout, signed: bool = False) -> str:
    """A readout as text: shares in per cent, '—' when not yet defined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = value * 100 if r.share else value
    digits = r.digits
    text = f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"
    return text + ("%" if r.share else "")
