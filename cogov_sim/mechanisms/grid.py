"""Grid discovery (网格化, 未诉先办): grid workers patrol and report visible issues before
residents complain, at a hazard set by their staffing and the structure's grid efficiency."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cogov_sim.agents import StreetOffice
from cogov_sim.issues import Discoverer, Issue
from cogov_sim.mechanisms.base import Mechanism
from cogov_sim.rows import P

SWITCH = "mechanisms.grid_discovery"
GRID = int(Discoverer.GRID)


class GridDiscovery(Mechanism):
    """The street office's grid workers as a competing hazard of finding an issue (ODD 7.6)."""

    name = "grid"
    title, title_zh = "grid discovery (未诉先办) off", "关闭网格发现（未诉先办）"
    switch, off, order = SWITCH, {SWITCH: False}, 20
    params = [
        P("mechanisms.grid_discovery", "bool", False, "",
          "Grid workers patrol and report issues before residents complain (未诉先办)",
          "网格员巡查，未诉先办", live=True, degenerate=False, source="assumption"),
        P("grid.residents_per_worker", "float", 740.0, "person",
          "Residents per grid worker", "每名网格员服务居民数", low=10.0, high=100_000.0,
          source="Pidu before its reform: 1,460 grid workers for 1.08 M residents (issue 7)"),
        P("grid.discovery_days", "float", 4.0, "day",
          "Mean days for the grid, at the reference staffing, to find a visible issue",
          "在参照配置下网格发现可见事项的平均天数", low=0.05, high=365.0, source="assumption"),
        P("grid.reference_residents_per_worker", "float", 740.0, "person",
          "The staffing at which grid.discovery_days is stated: more residents per worker, "
          "proportionally slower discovery", "网格发现天数所对应的参照配置（每名网格员服务居民数）",
          low=10.0, high=100_000.0, source="Pidu's staffing (issue 7), as for grid.residents_per_worker"),
    ]

    def attach(self) -> None:
        m = self.model
        self.street = StreetOffice(m, math.ceil(m.net.n / self.p["grid.residents_per_worker"]))
        self.hazard = 0.0

    def apply(self) -> None:
        p = self.p
        self.hazard = (self.model.structure.grid_efficiency()
                       * p["grid.reference_residents_per_worker"]
                       / p["grid.residents_per_worker"] / p["grid.discovery_days"]
                       ) if self.on else 0.0

    def discovery_hazards(self, neighbourhood: np.ndarray, visible: np.ndarray
                          ) -> Sequence[tuple[int, np.ndarray]]:
        return ((GRID, np.where(visible, self.hazard, 0.0)),)

    def issue_known(self, issue: Issue, found_by: int) -> None:
        if found_by == GRID:
            self.street.discovered += 1
