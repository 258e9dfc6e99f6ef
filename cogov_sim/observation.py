"""The daily series: one row of a table a day, written once (the core's columns, then each
mechanism's `series` in mechanism order), and Mesa's DataCollector over it."""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from cogov_sim.issues import Stage, Status
from cogov_sim.population import KINDS

if TYPE_CHECKING:
    from cogov_sim.model import CoGovModel

MONTH = 30
"""Days in a month (the calendar unit of monthly rates and the monthly update)."""
RESOLVED, ABANDONED = int(Status.RESOLVED), int(Status.ABANDONED)
_OPEN_STAGES = [int(s) for s in Stage if s != Stage.CLOSED]
CORE_SERIES = (
    "created", "resolved", "abandoned", "backlog",
    *(f"stage_{s.name.lower()}" for s in Stage if s != Stage.CLOSED),
    "participation", *(f"participation_{k}" for k in KINDS), "propensity", "trust",
    "efficacy", "resolution_30d", "solved_30d", "solve_share",
)


class Observer:
    """Writes each day's row of the daily series from the ledger, the population, the model
    and the mechanisms (`observe`); keeps the last month's closed issues for the rolling
    figures."""

    def __init__(self, model: CoGovModel) -> None:
        self.model = model
        self.names = (*CORE_SERIES, *(s for m in model.hooks.mechanisms for s in m.series))
        self.rows = np.zeros((model.days + 1, len(self.names)))
        self.series = {name: self.rows[:, j] for j, name in enumerate(self.names)}
        """The daily series by name (columns of one table, written once a day)."""
        self.today = 0
        self.drawn_before_today = 0
        self._first_open = 0
        # issues resolved in the last month: when, in how many days, whether solved
        self._recent_t: deque[float] = deque()
        self._recent_days: deque[float] = deque()
        self._recent_ok: deque[bool] = deque()
        self._frozen_means: tuple[float, float, float] | None = None

    def closed(self, t: float, days: float, solved: bool) -> None:
        """An issue was resolved at `t` after `days`, solved or not."""
        self._recent_t.append(t)
        self._recent_days.append(days)
        self._recent_ok.append(solved)

    def _population_means(self) -> tuple[float, float, float]:
        """Mean propensity, trust, efficacy; frozen in queueing mode (behaviour is off)."""
        m = self.model
        if m.queueing and self._frozen_means is not None:
            return self._frozen_means
        n, add = m.net.n, np.add.reduce  # = ndarray.mean, without its Python wrapper
        means = (float(add(m.pop.propensity)) / n, float(add(m.pop.trust)) / n,
                 float(add(m.pop.efficacy)) / n)
        self._frozen_means = means
        return means

    def _open_stages(self, t: int) -> tuple[int, int, list[int]]:
        """Issues occurred by t, still open, and open ones by stage. Only the ledger's
        still-open tail is scanned: issues close roughly in the order they occur, so the
        cost per day stays near the backlog size, not the run's issue count."""
        L = self.model.ledger
        start = self.drawn_before_today  # today's issues occur after t (earlier ones did)
        n = start + int(np.searchsorted(L.t_occur[start: L.n], t, side="right"))
        lo = self._first_open
        openm = L.status[lo:n] == Status.OPEN
        first = int(openm.argmax()) if openm.any() else n - lo  # skip the closed head
        lo += first
        openm = openm[first:]
        self._first_open = lo
        stage_counts = np.bincount(L.stage[lo:n][openm], minlength=len(Stage))
        return n, int(openm.sum()), stage_counts[_OPEN_STAGES].tolist()

    def _recent(self, t: int) -> tuple[float, float]:
        """Mean days to resolution and solved share of the issues resolved in the last month."""
        recent_t, recent_days, recent_ok = self._recent_t, self._recent_days, self._recent_ok
        while recent_t and recent_t[0] <= t - MONTH:
            recent_t.popleft()
            recent_days.popleft()
            recent_ok.popleft()
        n_recent = len(recent_t)
        if not n_recent:
            return math.nan, math.nan
        return (float(np.fromiter(recent_days, float, n_recent).mean()),
                sum(recent_ok) / n_recent)  # = the mean: exact counts

    def observe(self) -> None:
        """Record today's row (in the order of `names`) and note the day in the collector."""
        m = self.model
        t = int(round(m.now))
        n, backlog, stages = self._open_stages(t)
        day = t - 1 if t > 0 else 0
        participation = m.pop.active_shares(day) if t > 0 else [0.0] * (1 + len(KINDS))
        extra = [v for f in m.hooks.observe for v in f()]
        self.rows[t] = (
            n, m.counts[RESOLVED], m.counts[ABANDONED], backlog, *stages, *participation,
            *self._population_means(), *self._recent(t), m.solve_share(), *extra,
        )
        self.today = t
        m.datacollector.collect(m)

    @property
    def observed(self) -> dict[str, float]:
        """The values observed last (today's row of the daily series), by name."""
        return dict(zip(self.names, self.rows[self.today].tolist(), strict=True))


class SeriesCollector(mesa.DataCollector):
    """Mesa's DataCollector over the model's daily series: the observer writes each day's
    values once, into `model.series`; `collect` notes the time as Mesa's does
    (`_collection_steps`, which `mesa.batch_run` reads) and `model_vars` reads the collected days
    from those arrays (Mesa's collector would call and deep-copy 35 reporters a day)."""

    def __init__(self, series: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.series = series

    @property
    def days(self) -> list[int]:
        """The collected days."""
        return [int(round(t)) for t in self._collection_steps]

    @property
    def model_vars(self) -> dict[str, list[float]]:
        """Mesa's layout: each series as a list, one value per collection."""
        return {k: v[self.days].tolist() for k, v in self.series.items()}

    @model_vars.setter
    def model_vars(self, _: dict[str, list[Any]]) -> None:
        """Mesa's __init__ sets it empty; it is always read from the series."""

    def collect(self, model: mesa.Model) -> None:
        self._collection_steps.append(model.time)

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """One row per collected day, one column per series."""
        return pd.DataFrame({k: v[self.days] for k, v in self.series.items()})
