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
    def add_station(self, kind: str, label: str, label_zh: str, servers: int,
                    mean_days: float, *, field_work: bool = True,
                    liftable: bool = False) -> Any: ...
    def add_agent(self, cls: type, *args: Any) -> Any: ...
    def waiting(self, station: Any) -> int: ...
    def free(self, station: Any) -> bool: ...


def exp(rnd: random.Random, mean: float) -> float:
    """An exponential delay with the given mean; a zero mean is no delay."""
    return rnd.expovariate(1.0 / mean) if mean > 0 else 0.0


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
    joint: ClassVar[bool]
    """Default for `parallel`: the departments an issue needs are dispatched at once."""
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

    def parallel(self, issue: IssueInfo) -> bool:
        """True: the stations an issue goes to work on it at once; False: one after another."""
        return self.joint

    def handoff(self, rnd: random.Random) -> float:
        """Delay between one department finishing and the next receiving (sequential only)."""
        return 0.0

    def coordination(self, rnd: random.Random) -> float:
        """Overhead of joint work after the last department finishes (multi-department only)."""
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
