"""The protocol every mechanism follows (docs/mechanisms.md).

A mechanism is one thing the governance of a street may or may not do -- grid patrols, a
pooled team, supervision's rhythm, party councils, service centres, self-organisations,
三社联动, social enterprises -- with its parameters (its own rows of the table), what it
attaches to the model (stations, agents) and the hooks it acts on. The model makes one
instance of every registered mechanism per run and calls the hooks in a fixed, documented
order (`HOOKS`); it knows no mechanism by name. A mechanism reads its switch itself, since
switches may change mid-run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from cogov_sim.rows import Param

if TYPE_CHECKING:
    from cogov_sim.issues import Issue
    from cogov_sim.model import CoGovModel
    from cogov_sim.service import Station

_REGISTRY: dict[str, type[Mechanism]] = {}

HOOKS = (
    ("attach", "once, at setup, after the departments exist and before the structure attaches"),
    ("seconded", "when parameters are applied: staff it takes from the departments' total"),
    ("apply", "when parameters are applied (setup and every [[change]]), after staffing"),
    ("deadline", "when parameters are applied: days after which a waiting part is lifted"),
    ("participation_cost", "when parameters are applied: residents' cost of taking part"),
    ("mobilisation", "when parameters are applied: the mobilising push on each resident"),
    ("activities", "each day, inside residents' step: draws of who takes part in what"),
    ("after_residents", "each day, after residents' step (councils meet)"),
    ("month_activity", "each month: organisations take stock"),
    ("organisation_month", "each month, for every self-organisation still there"),
    ("month_projects", "each month, after stock-taking: projects recruit"),
    ("month_growth", "each month, last: organisations are founded and grow"),
    ("day_begins", "each day, after the day's [[change]]s, before its issues occur"),
    ("discovery_hazards", "for each day's new issues: hazards of finding them"),
    ("issue_known", "an issue becomes known (who found it is set)"),
    ("take", "a known issue, before the structure routes it: True if taken here"),
    ("reported", "a part finished unsolved: True if its station reports it solved all the same"),
    ("closed", "an issue is closed, its parts' outcomes final (callbacks are made)"),
    ("observe", "each day: the mechanism's columns of the daily series"),
)
"""Every hook in the order the model calls them within a day (docs/mechanisms.md)."""


class Mechanism:
    """Base class: a subclass with its own `name` registers itself. Every hook is optional."""

    name: ClassVar[str]
    """Its key (`cogov mechanisms`, `cogov explain`'s dials)."""
    title: ClassVar[str]
    title_zh: ClassVar[str] = ""
    switch: ClassVar[str]
    """The parameter that switches it (a bool, or a dial whose zero is off)."""
    off: ClassVar[dict[str, Any]]
    """What `cogov mechanisms` changes to switch it (off, or on where scenarios leave it off)."""
    params: ClassVar[list[Param]] = []
    """Its own rows of the parameter table (the switch among them)."""
    parts: ClassVar[dict[str, tuple[str, dict[str, Any]]]] = {}
    """Parts that can be switched off alone (`cogov mechanisms` gives each a row): key ->
    (title, change)."""
    order: ClassVar[int] = 100
    """Its place among mechanisms: hooks run in this order (then by name)."""
    series: ClassVar[tuple[str, ...]] = ()
    """Its columns of the daily series, in the order `observe` returns them."""
    station_kinds: ClassVar[tuple[str, ...]] = ()
    """Kinds of the stations it brings (the channels `cogov run` lists)."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def __init__(self, model: CoGovModel) -> None:
        self.model = model
        self.p = model.p  # the model's live parameter dict (updated in place on [[change]]s)

    @property
    def on(self) -> bool:
        """Its switch, now."""
        return bool(self.p[self.switch])

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """The parameters behind it."""
        return tuple(p.name for p in cls.params)

    # --- setup and parameters --------------------------------------------------------------

    def attach(self) -> None:
        """Add the stations and agents it brings."""

    def stations(self) -> Sequence[Station]:
        """Its stations (for accounting, the stations table and re-staffing)."""
        return ()

    def staffed(self) -> Sequence[Station]:
        """Its stations whose staff parameters set: after each change their free servers
        take waiting work (in mechanism order, after the departments)."""
        return ()

    def seconded(self, total: int) -> int:
        """Staff taken from the departments' `total` (e.g. the pooled team's)."""
        return 0

    def apply(self) -> None:
        """Derive what depends on parameters (at setup and at every [[change]])."""

    def deadline(self) -> float | None:
        """Days after which a department part still waiting is lifted; None: no rule."""
        return None

    def participation_cost(self, cost: np.ndarray) -> np.ndarray:
        """Residents' cost of taking part, given the cost so far."""
        return cost

    def mobilisation(self) -> np.ndarray | None:
        """The mobilising push it gives each resident (added up), or None."""
        return None

    # --- days and months -------------------------------------------------------------------

    def activities(self, day: int) -> Sequence[Callable[[np.ndarray, int], None]]:
        """Draws of who takes part today, each `f(propensity, day)` (residents' step)."""
        return ()

    def after_residents(self, day: int) -> None:
        """After residents' step of the day before `day`."""

    def month_activity(self, day: int) -> None:
        """Monthly: organisations take stock."""

    def organisation_month(self, org: Any) -> None:
        """Monthly, for every self-organisation that did not fade."""

    def month_projects(self, day: int) -> None:
        """Monthly, after stock-taking."""

    def month_growth(self, day: int) -> None:
        """Monthly, last."""

    def day_begins(self, day: int) -> None:
        """After the day's parameter changes, before the day's issues occur."""

    # --- issues ----------------------------------------------------------------------------

    def discovery_hazards(self, neighbourhood: np.ndarray, visible: np.ndarray
                          ) -> Sequence[tuple[int, np.ndarray]]:
        """(discoverer code, hazard per new issue in 1/day) for each way it finds issues."""
        return ()

    def issue_known(self, issue: Issue, found_by: int) -> None:
        """An issue became known."""

    def take(self, issue: Issue) -> bool:
        """Take a known issue before the structure routes it; True if taken."""
        return False

    def reported(self, job: Any) -> bool:
        """A part finished unsolved: True if it is reported solved (closed informally)."""
        return False

    def closed(self, issue: Issue, resolved: bool) -> None:
        """An issue was closed (`resolved`: its parts all finished); `issue.outcomes` holds
        (station, solved, reported) for each finished part."""

    def observe(self) -> tuple[float, ...]:
        """Today's values of its `series`."""
        return ()


class Hooks:
    """For each hook of `HOOKS`, the bound methods of the mechanisms that define it, in
    mechanism order (`hooks.take` is a list): the model calls only what acts."""

    def __init__(self, mechanisms: Sequence[Mechanism]) -> None:
        self.mechanisms = list(mechanisms)
        for hook, _ in HOOKS:
            setattr(self, hook, [getattr(m, hook) for m in self.mechanisms
                                 if getattr(type(m), hook) is not getattr(Mechanism, hook)])

    def stations(self) -> list[Station]:
        return [st for m in self.mechanisms for st in m.stations()]

    def staffed(self) -> list[Station]:
        return [st for m in self.mechanisms for st in m.staffed()]


def registry() -> dict[str, type[Mechanism]]:
    """Registered mechanisms by name, in hook order."""
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))
