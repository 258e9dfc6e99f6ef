"""An issue's life: the ledger of timestamps (arrays) and the small object that holds an open
issue's parts while the model's events move it along."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd


class Status(IntEnum):
    OPEN = 0
    RESOLVED = 1
    ABANDONED = 2


class Stage(IntEnum):
    """Where an issue is now (or was when the run ended / it was abandoned)."""

    UNDISCOVERED = 0
    ROUTING = 1
    WAITING = 2
    SERVICE = 3
    COORDINATION = 4
    CLOSED = 5


class Discoverer(IntEnum):
    NONE = 0
    RESIDENT = 1
    NEIGHBOUR = 2
    GRID = 3
    SELF_ORG = 4
    STRUCTURE = 5
    """The structure's own people (e.g. in-service party members of member units)."""


class Channel(IntEnum):
    """Who works on the issue: the built-in channels. A structure's own stations add channels
    named after their kind, coded from 6 on (`Ledger.channel_names`)."""

    NONE = 0
    DEPARTMENTS = 1
    SELF_ORG = 2
    SANSHE = 3
    ENTERPRISE = 4
    COUNCIL = 5
    """Taken out of a department's queue by a neighbourhood council and co-produced."""


FIELDS: dict[str, type] = {
    "t_occur": np.float64,
    "t_known": np.float64,
    "t_routed": np.float64,
    "t_first_start": np.float64,
    "t_closed": np.float64,
    "category": np.int16,
    "n_departments": np.int8,
    "resident": np.int32,
    "neighbourhood": np.int32,
    "rural": np.bool_,
    "visible": np.bool_,
    "public": np.bool_,
    "community": np.bool_,
    "paid_service": np.bool_,
    "discovered_by": np.int8,
    "channel": np.int8,
    "structure": np.int8,
    "transfers": np.int16,
    "bounces": np.int16,
    "escalations": np.int16,
    "pooled_parts": np.int8,
    "borrowed_parts": np.int8,
    "wait": np.float64,
    "service": np.float64,
    "status": np.int8,
    "stage": np.int8,
    "solved": np.bool_,
    "reported": np.bool_,
}
NAN_FIELDS = ("t_known", "t_routed", "t_first_start", "t_closed")


class Ledger:
    """Struct-of-arrays record of every issue, grown by doubling."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {}
        self._alloc(max(capacity, 16))
        self.structure_names: list[str] = ["none"]
        """Names behind the `structure` codes (0: not routed by a structure)."""
        self.channel_names: list[str] = [c.name.lower() for c in Channel]
        """Names behind the `channel` codes (built-in first, then structures' stations)."""

    def code(self, names: list[str], name: str) -> int:
        """The code of `name` in a name list, appending it the first time."""
        if name not in names:
            names.append(name)
        return names.index(name)

    def _alloc(self, capacity: int) -> None:
        for name, dtype in FIELDS.items():
            new = np.zeros(capacity, dtype=dtype)
            if name in NAN_FIELDS:
                new[:] = np.nan
            old = self.cols.get(name)
            if old is not None:
                new[: self.n] = old[: self.n]
            self.cols[name] = new
            setattr(self, name, new)

    def add(self, k: int) -> slice:
        """Reserve k new rows and return their slice."""
        cap = len(self.t_occur)
        if self.n + k > cap:
            self._alloc(max(2 * cap, self.n + k))
        s = slice(self.n, self.n + k)
        self.n += k
        return s

    def frame(self) -> pd.DataFrame:
        """The ledger as a tidy table, one row per issue, with stage durations."""
        df = pd.DataFrame({k: v[: self.n] for k, v in self.cols.items()})
        df.insert(0, "issue", np.arange(self.n))
        for col, enum in (("status", Status), ("stage", Stage), ("discovered_by", Discoverer)):
            df[col] = pd.Categorical.from_codes(df[col], [e.name.lower() for e in enum])
        for col, names in (("channel", self.channel_names), ("structure", self.structure_names)):
            df[col] = pd.Categorical.from_codes(df[col].astype(np.int64), list(names))
        resolved = df["status"] == "resolved"
        df["resolution_days"] = np.where(resolved, df["t_closed"] - df["t_occur"], np.nan)
        df["discovery_days"] = df["t_known"] - df["t_occur"]
        df["routing_days"] = df["t_routed"] - df["t_known"]
        post = df["t_closed"] - df["t_routed"]
        df["waiting_days"] = np.where(resolved, df["wait"], np.nan)
        df["service_days"] = np.where(resolved, df["service"], np.nan)
        df["coordination_days"] = np.where(
            resolved, np.maximum(post - df["wait"] - df["service"], 0.0), np.nan)
        return df.drop(columns=["wait", "service"])


class Issue:
    """The live part of an issue while it is open: where its parts are, and a copy of its
    fixed ledger fields that the per-issue path reads (a Python attribute is cheaper than an
    array element). The model's events carry it (events.py)."""

    __slots__ = ("i", "category", "n_departments", "neighbourhood", "rural", "public", "live",
                 "routed", "structure", "depts", "parts_left", "jobs", "started", "homes", "joint",
                 "outcomes", "cats", "intakes")

    def __init__(self, i: int, category: int, n_departments: int, neighbourhood: int,
                 rural: bool, public: bool) -> None:
        self.i = i
        self.category, self.n_departments = category, n_departments
        self.neighbourhood, self.rural, self.public = neighbourhood, rural, public
        self.live = True
        """Still open (the ledger's status is OPEN)."""
        self.routed = False
        """Its routing has ended once (the ledger's t_routed is set)."""
        self.structure: Any = None
        """The structure that routed it (its hand-offs and coordination), or None."""
        self.depts: Sequence[Any] = ()
        """Stations still to receive a part (sequential work); set when routed."""
        self.parts_left = 0
        self.jobs: list[Any] = []
        self.started = False
        self.joint = True
        """Its stations work at once (else one after another)."""
        self.homes: Sequence[Any] = ()
        """Every station the issue's parts were sent to, in order (who answers for them)."""
        self.cats: list[int] = []
        """The departments it needs, owner first (drawn when it became known)."""
        self.intakes = 0
        """Intake jobs done (a structure's intake station: `Route.via`)."""
        self.outcomes: list[tuple[Any, bool, bool]] = []
        """Each finished part: (station answering for it, solved, reported solved)."""
