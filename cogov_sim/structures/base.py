"""The protocol every governance structure follows.

A structure decides where an issue goes once it is known (how long it takes to reach the
right department(s), with how many transfers and bounces), whether the departments an issue
needs work one after another or jointly, and what joint work costs. Everything else --
queues, staff, discovery channels, residents -- belongs to the model, so a structure stays
one small file.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from cogov_sim.params import Param

_REGISTRY: dict[str, type[Structure]] = {}


@dataclass(frozen=True, slots=True)
class Route:
    """An issue's journey from being known to reaching the right department(s)."""

    delay: float
    transfers: int = 0
    bounces: int = 0


def exp(rnd: random.Random, mean: float) -> float:
    """An exponential delay with the given mean; a zero mean is no delay."""
    return rnd.expovariate(1.0 / mean) if mean > 0 else 0.0


class Structure(ABC):
    """Base class; subclasses register themselves under `name`."""

    name: ClassVar[str]
    title_zh: ClassVar[str]
    summary: ClassVar[str]
    params: ClassVar[list[Param]] = []
    parallel: ClassVar[bool]
    """True: all departments an issue needs are dispatched at once and work jointly."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def __init__(self, p: dict[str, Any]) -> None:
        self.p = {k.split(".", 1)[1]: v for k, v in p.items() if k.startswith(self.name + ".")}

    @abstractmethod
    def route(self, multi: bool, rnd: random.Random) -> Route:
        """Sample the journey of a newly known issue (`multi`: it needs several departments)."""

    def handoff(self, rnd: random.Random) -> float:
        """Delay between one department finishing and the next receiving (sequential only)."""
        return 0.0

    def coordination(self, rnd: random.Random) -> float:
        """Overhead of joint work after the last department finishes (multi-department only)."""
        return 0.0

    def report_deadline(self) -> float | None:
        """Days within which summoned departments must start, else escalated; None: no rule."""
        return None

    def grid_efficiency(self) -> float:
        """How much of the grid's patrol hazard turns into reported issues."""
        return 1.0


def registry() -> dict[str, type[Structure]]:
    return dict(_REGISTRY)
