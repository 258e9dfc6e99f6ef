"""The protocol every governance structure follows (docs/structures.md).

A structure decides what the domain's structures differ in: where a known issue goes (how
long it takes, with how many transfers and bounces, and to whom: the departments it needs, or
stations of the structure's own), whether the departments it needs work one after another or
jointly (per issue), what joint work costs, when an unstarted part counts as overdue, what it
adds to discovery and to mobilisation, and the capacity it brings (stations or agents it
attaches to the model). It sees the model only through `Context`, a small documented surface;
queues, staff, residents and the mechanisms' switches belong to the model, so a structure stays
one small file.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple, Protocol

from cogov_sim.rows import Param

_REGISTRY: dict[str, type[Structure]] = {}


class IssueInfo(NamedTuple):
    """What a structure may know about an issue it routes (a named tuple: made once per issue,
    so it must be cheap)."""

    index: int
    category: int
    """The owning department's index."""
    categories: tuple[int, ...]
    """Every department it needs, owning one first."""
    neighbourhood: int
    rural: bool
    public: bool
    time: float
    intakes: int = 0
    """Intake jobs it has been through (`Route.via`)."""

    @property
    def multi(self) -> bool:
        return len(self.categories) > 1


class Route(NamedTuple):
    """An issue's journey from being known to whoever will serve it. `to` names the stations
    (from `Context.departments` or `Context.add_station`); None means the departments it
    needs."""

    delay: float
    transfers: int = 0
    bounces: int = 0
    to: Sequence[Any] | None = None
    via: Any = None
    """An intake station (`Context.add_station(..., intake=True)`): after `delay` the issue
    queues there for intake work (classification), then `route` is asked again with
    `IssueInfo.intakes` one higher. The routing stage includes that queue."""


class Context(Protocol):
    """The part of the model a structure may use (implemented by `model.StructureContext`)."""

    p: dict[str, Any]
    random: random.Random

    @property
    def time(self) -> float: ...
    @property
    def residents(self) -> int: ...
    @property
    def departments(self) -> Sequence[Any]: ...
    @property
    def category_shares(self) -> Sequence[float]: ...
    def add_station(self, kind: str, label: str, label_zh: str, servers: int,
                    mean_days: float, *, field_work: bool = True, liftable: bool = False,
                    seconded: float = 0.0, intake: bool = False) -> Any: ...
    @property
    def pool(self) -> Any: ...
    def add_agent(self, cls: type, *args: Any) -> Any: ...
    def waiting(self, station: Any) -> int: ...
    def free(self, station: Any) -> bool: ...


def exp(rnd: random.Random, mean: float) -> float:
    """An exponential delay with the given mean; a zero mean is no delay."""
    return rnd.expovariate(1.0 / mean) if mean > 0 else 0.0


OPERATORS_SOURCE = "Beijing 12345: about 1,700 operators for 21.8 M residents (issue 22)"
CALLS_PER_DAY_SOURCE = "Beijing 12345: 80-100 calls a day per operator (issue 22)"
CALLS_PER_ISSUE_SOURCE = ("Panjin 12345: 74.97% of calls answered directly at the hotline "
                          "(issue 22), so about 4 calls a work order")


def intake_capacity(p: dict[str, Any], residents: float, share: float = 1.0) -> float:
    """Issues a day that `share` of a structure's intake operators take in (its rows
    `operators_per_10000`, `calls_per_operator_day`, `calls_per_issue`; this community's share
    of a city's operators): the one formula behind every door; inf when intake takes no time
    (`calls_per_issue` 0)."""
    if p["calls_per_issue"] <= 0:
        return math.inf
    return (share * p["operators_per_10000"] * residents / 10_000
            * p["calls_per_operator_day"] / p["calls_per_issue"])


class Structure(ABC):
    """Base class; a subclass with its own `name` registers itself, and inherits its parents'
    parameters (its own rows win where a leaf name repeats)."""

    name: ClassVar[str]
    title: ClassVar[str]
    """English display name."""
    title_zh: ClassVar[str]
    summary: ClassVar[str]
    summary_zh: ClassVar[str] = ""
    params: ClassVar[list[Param]] = []
    """Its own rows of the parameter table, named `<name>.<leaf>`."""
    marker: ClassVar[str] = "*"
    """Matplotlib marker of its hub in the visualiser's network picture."""
    colour: ClassVar[str] = "#ff7f0e"
    key_params: ClassVar[tuple[str, ...]] = ()
    """Parameters the visualiser offers as sliders when this structure is chosen."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def __init__(self, p: dict[str, Any]) -> None:
        self.p: dict[str, Any] = {}
        for klass in reversed(type(self).__mro__):  # base classes first: own rows win
            if "params" in klass.__dict__ and "name" in klass.__dict__:
                prefix = klass.name + "."
                self.p.update({k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)})
        self.routed = 0
        """Issues this structure routed (its own tally: dispatches, summons ...)."""

    @classmethod
    def own_params(cls) -> list[Param]:
        """The rows this class declares itself (not inherited ones)."""
        return list(cls.__dict__.get("params", []))

    # --- capacity -------------------------------------------------------------------------

    def attach(self, ctx: Context) -> None:
        """Called once per model when the structure is first in force (at the start or at a
        mid-run switch): add the stations or agents it brings. Default: nothing."""
        return None

    # --- routing and joint work -----------------------------------------------------------

    @abstractmethod
    def route(self, issue: IssueInfo, rnd: random.Random, ctx: Context) -> Route:
        """Sample the journey of a newly known issue that needs departments."""

    def parallel(self, issue: IssueInfo, rnd: random.Random) -> bool:
        """For an issue sent to several stations: True, they work on it at once (jointly);
        False, one after another. Default: jointly with the chance the structure's row
        `<name>.joint_share` gives; a structure without that row works one after another."""
        return "joint_share" in self.p and rnd.random() < self.p["joint_share"]

    def handoff(self, rnd: random.Random) -> float:
        """Delay between one department finishing and the next receiving (sequential only)."""
        return 0.0

    def coordination(self, rnd: random.Random, n_departments: int) -> float:
        """Overhead of joint work after the last of `n_departments` (> 1) finishes."""
        return 0.0

    def report_deadline(self) -> float | None:
        """Days within which a summoned part must start, else it is lifted; None: no rule."""
        return None

    # --- discovery and mobilisation ---------------------------------------------------------

    def grid_efficiency(self) -> float:
        """How much of the grid's patrol hazard turns into reported issues."""
        return 1.0

    def discovery_hazard(self, ctx: Context) -> float:
        """Extra hazard (1/day) with which the structure's own people find a visible issue."""
        return 0.0

    def mobilisation(self, ctx: Context) -> float:
        """Extra mobilising push every resident receives from the structure (as party.* 's)."""
        return 0.0


def registry() -> dict[str, type[Structure]]:
    """Registered structures by name, in name order (whichever module was imported first)."""
    return dict(sorted(_REGISTRY.items()))
