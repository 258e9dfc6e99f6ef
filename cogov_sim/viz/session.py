"""The page's controller: settings -> two runs in lockstep -> frames. No UI code, so it is
testable and measurable on its own, and the Solara page stays a thin layer over it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from cogov_sim.issues import Status
from cogov_sim.model import CoGovModel
from cogov_sim.params import table
from cogov_sim.structures import registry
from cogov_sim.viz.layout import layout_for
from cogov_sim.viz.raster import NetworkRaster
from cogov_sim.viz.readouts import readouts_now
from cogov_sim.viz.sides import COMMON, Settings

SERIES = ("resolution_30d", "backlog", "participation", "trust")
"""The model's own daily series the page shows; `Session` adds `transfers` and `solved_share`."""
DERIVED = ("transfers", "solved_share")


def sliders(structure: str) -> list[tuple[str, float, float, float]]:
    """The sliders common to both sides, then the structure's own key parameters
    (`Structure.key_params`) over the table's range capped at four times the default."""
    out = list(COMMON)
    for name in registry()[structure].key_params:
        p = table()[name]
        low = p.low if p.low is not None else 0.0
        high = p.high if p.high is not None else 4 * p.default
        if p.default and p.default > 0:
            high = min(high, max(4 * p.default, low + 1))
        step = 1 if p.kind == "int" else round((high - low) / 40, 3) or 0.001
        out.append((name, low, high, step))
    return out


def sliders_for(settings: Settings) -> list[tuple[str, float, float, float]]:
    """The page's sliders: common ones and each side's structure's key parameters, once."""
    return _union(side.spec(settings.common)["structure"] for side in settings.sides)


def all_sliders() -> list[tuple[str, float, float, float]]:
    """Every slider any structure can show (the page keeps them all mounted, hiding those the
    current sides do not use: a slider widget closed while shown makes the browser log errors)."""
    return _union(registry())


def _union(structures: Iterable[str]) -> list[tuple[str, float, float, float]]:
    seen: dict[str, tuple[str, float, float, float]] = {}
    for name in structures:
        for row in sliders(name):
            seen.setdefault(row[0], row)
    return list(seen.values())


@dataclass
class Frame:
    """What the page shows for one day: counters, each side's readouts and daily series."""

    day: int
    days: int
    running: bool
    readouts: list[dict[str, float]]
    series: list[dict[str, np.ndarray]]
    reference: dict[str, float] | None = None
    """The reference run's readouts (the lesson's 九龙治水), when there is one."""


class Session:
    """The live run of each side (same seed, so the same community), stepped together."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models = [CoGovModel(sc, rng=settings.seed) for sc in settings.specs()]
        ref = settings.reference_spec()
        self.reference = None if ref is None else CoGovModel(ref, rng=settings.seed)
        self.derived: list[dict[str, list[float]]] = [{k: [] for k in DERIVED}
                                                      for _ in self.models]
        for i in range(len(self.models)):
            self._record(i)
        self._rasters: dict[int, NetworkRaster] = {}
        self._lock = threading.Lock()

    @property
    def day(self) -> int:
        return int(round(self.models[0].time))

    @property
    def days(self) -> int:
        return min(m.days for m in self.models)

    @property
    def running(self) -> bool:
        return bool(self.models) and all(m.time < self.days for m in self.models)

    def close(self) -> None:
        """Drop the runs (the tab is gone): memory is freed even if something outside still
        holds this object (solara keeps a closed kernel's last task reachable for a while)."""
        with self._lock:
            self.models = []
            self.reference = None
            self.derived = []
            self._rasters = {}

    def _record(self, i: int) -> None:
        """Today's transfers per issue sent to departments in the last 30 days, and the share
        really solved so far: the table's `solved_rate` (issues since the warm-up, open and
        abandoned ones counting as not solved), so the chart's last point is the table's."""
        m = self.models[i]
        L, now = m.ledger, m.time
        n = L.n
        known = L.t_known[:n]
        recent = (L.channel[:n] == 1) & (known > now - 30) & (known <= now)
        out = self.derived[i]
        out["transfers"].append(float(L.transfers[:n][recent].mean()) if recent.any()
                                else np.nan)
        occur = L.t_occur[:n]
        counted = (occur >= m.p["run.warmup_days"]) & (occur <= now)
        ok = (L.status[:n] == Status.RESOLVED) & L.solved[:n].astype(bool)
        out["solved_share"].append(float(ok[counted].mean()) if counted.any() else np.nan)

    def step(self, days: int = 1) -> None:
        """Advance every side by `days` days together, stopping at the (shorter) horizon."""
        with self._lock:
            for _ in range(days):
                if not self.running:
                    break
                for i, m in enumerate(self.models):
                    m.step()
                    self._record(i)
                if self.reference is not None:
                    self.reference.step()

    def frame(self) -> Frame:
        """Today's readouts (the numbers `cogov run --days <today>` prints) and series."""
        with self._lock:
            if not self.models:
                return Frame(0, 0, False, [], [])
            day = self.day
            series = []
            for i, m in enumerate(self.models):
                s = {k: m.series[k][: day + 1].copy() for k in SERIES}
                s.update({k: np.asarray(v[: day + 1]) for k, v in self.derived[i].items()})
                series.append(s)
            ref = None if self.reference is None else readouts_now(self.reference)
            return Frame(day, self.days, self.running, [readouts_now(m) for m in self.models],
                         series, ref)

    def advance(self, days: int = 1) -> Frame:
        self.step(days)
        return self.frame()

    def network_png(self, i: int, colour_by: str = "activity") -> bytes:
        """Side i's community today (the layout is shared: same seed, same community)."""
        with self._lock:
            m = self.models[i]
            if i not in self._rasters:
                lay = layout_for(m.net)
                same = [r for r in self._rasters.values() if r.layout is lay]
                self._rasters[i] = same[0] if same else NetworkRaster(lay)
            return self._rasters[i].png(m, colour_by)

    def timed_step(self, days: int = 1) -> float:
        """Milliseconds for one step and frame (the benchmark's server-side figure)."""
        t0 = time.perf_counter()
        self.advance(days)
        return (time.perf_counter() - t0) * 1000
