"""Residents as arrays, and their daily dynamics in bulk.

Each resident has a participation propensity (kept on the logit scale), trust in
institutions, a sense of efficacy, an optional self-organisation membership, and the last
day they took part in each kind of participation. One day's update is a handful of array
operations and one sparse matrix-vector product, whatever the number of residents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cogov_sim.network import Community
from cogov_sim.params import core

KINDS = ("report", "council", "volunteer", "selforg")
WINDOW = 30
"""Days a resident counts as active after taking part (the observation window)."""
NEVER = -(10**6)
TRUST_MIN, TRUST_MAX = 0.01, 0.99
"""Trust is kept off 0 and 1 so that its logit (in the reporting hazard) stays finite."""


MAX_COST = core()["residents.participation_cost"].high
"""The table's upper bound of a cost: taking part is never impossible."""


def _unique_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(x, return_inverse=True)` for a short 1-d integer array, without its
    general-purpose overhead (the same two arrays)."""
    order = x.argsort()
    ranked = x[order]
    new = np.empty(len(x), dtype=bool)
    new[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=new[1:])
    inv = np.empty(len(x), dtype=np.intp)
    inv[order] = np.cumsum(new) - 1
    return ranked[new], inv


def logit(x: np.ndarray | float) -> np.ndarray | float:
    x = np.clip(x, 1e-6, 1 - 1e-6)
    return np.log(x / (1 - x))


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Population:
    """Residents' state and the bulk rules that move it."""

    def __init__(self, net: Community, p: dict[str, Any], rng: np.random.Generator,
                 horizon: int = 36500) -> None:
        n = net.n
        self.net = net
        self.rng = rng
        self.base = logit(p["residents.propensity"]) + rng.normal(
            0.0, p["residents.propensity_spread"], n)
        self.L = self.base.copy()
        self.trust = np.clip(rng.normal(p["residents.trust"], p["residents.trust_spread"], n),
                             TRUST_MIN, TRUST_MAX)
        self.efficacy = np.full(n, p["residents.efficacy"])
        self.member = np.full(n, -1, dtype=np.int32)
        self.last = {k: np.full(n, NEVER, dtype=np.int32) for k in KINDS}
        self.last_any = np.full(n, NEVER, dtype=np.int32)
        # residents by the day they last took part (per kind and any): window counts in O(30)
        self._hist2d = np.zeros((len(KINDS) + 1, horizon + 2), dtype=np.int64)
        self._hist = dict(zip(("any", *KINDS), self._hist2d, strict=True))  # rows, as views
        deg = net.degree.astype(float)
        self.inv_deg = np.where(deg > 0, 1.0 / np.maximum(deg, 1.0), 0.0)
        party_nb = net.adj @ net.party.astype(float)
        self.party_neighbour = np.minimum(party_nb, 1.0)
        self._told_by: list[int] = []  # the day's issue outcomes: whose, and how it ended
        self._told: list[float] = []
        self._pi: np.ndarray | None = None
        self.set_params(p)

    def base_cost(self, p: dict[str, Any]) -> np.ndarray:
        """Each resident's cost of taking part before any mechanism lowers it (rural ones
        pay more)."""
        rural = np.where(self.net.rural, p["residents.rural_cost_factor"], 1.0)
        return p["residents.participation_cost"] * rural

    def set_params(self, p: dict[str, Any], cost: np.ndarray | None = None,
                   mobilisation: np.ndarray | None = None) -> None:
        """(Re)derive what depends on parameters that may change mid-run, with residents'
        cost of taking part and the mobilising push on each (the model gathers both from the
        mechanisms and the structure: `CoGovModel.apply_params`)."""
        self.p = p
        self.cost = np.clip(self.base_cost(p) if cost is None else cost, 0.0, MAX_COST)
        self.mobilisation = np.zeros(self.net.n) if mobilisation is None else mobilisation
        self.ref_L = logit(p["residents.propensity"])
        self.ref_trust = logit(p["residents.trust"])
        self._willing_logit = logit(p["residents.report_willingness"])
        # the daily target's terms that move only with parameters, or for a few residents a
        # day (efficacy and trust: `_apply_outcomes` refreshes those residents' entries)
        self.free = 1.0 - self.cost
        self._cost_term = p["residents.cost_weight"] * self.cost
        self._mob_term = p["party.mobilisation_weight"] * self.mobilisation
        self._eff_term = p["residents.efficacy_weight"] * (self.efficacy - p["residents.efficacy"])
        self._trust_term = p["residents.trust_weight"] * (self.trust - p["residents.trust"])
        self._settled = self.base + self._eff_term  # (base + efficacy) + trust, in that order
        self._settled += self._trust_term
        self.memberships_changed()

    @property
    def members(self) -> np.ndarray:
        """Residents who belong to a self-organisation."""
        return self._members

    def memberships_changed(self) -> None:
        """Call after writing `member` (organisations founded or faded): the daily step
        keeps who is a member and the membership term of the target."""
        members = self.member >= 0
        self._members = np.nonzero(members)[0]
        self._member_term = self.p["residents.member_weight"] * members

    def _refresh_terms(self, who: np.ndarray) -> None:
        p = self.p
        self._eff_term[who] = p["residents.efficacy_weight"] * (self.efficacy[who]
                                                                - p["residents.efficacy"])
        self._trust_term[who] = p["residents.trust_weight"] * (self.trust[who]
                                                               - p["residents.trust"])
        self._settled[who] = self.base[who] + self._eff_term[who]
        self._settled[who] += self._trust_term[who]

    @property
    def propensity(self) -> np.ndarray:
        """Each resident's chance scale of taking part (expit of L; computed once a day)."""
        if self._pi is None:  # expit(L), in one buffer
            pi = np.negative(self.L)
            np.exp(pi, out=pi)
            pi += 1.0
            self._pi = np.divide(1.0, pi, out=pi)
        return self._pi

    def report_hazard(self, who: np.ndarray | None = None) -> np.ndarray:
        """Per resident (of `who`, or everyone), the rate (1/day) of reporting an issue that
        affects them."""
        days = self.p["residents.report_days"]
        at = slice(None) if who is None else who
        if days <= 0:
            return np.full(self.net.n if who is None else len(who), np.inf)
        trust = self.trust[at]  # within [TRUST_MIN, TRUST_MAX]: logit needs no clipping
        willing = expit(self._willing_logit + (self.L[at] - self.ref_L)
                        + (np.log(trust / (1 - trust)) - self.ref_trust))
        return willing * self.free[at] / days

    def note(self, kind: str, who: int, day: int) -> None:
        """One resident took part in `kind` today (days never go backwards)."""
        for key, arr in ((kind, self.last[kind]), ("any", self.last_any)):
            old = arr[who]
            if old >= 0:
                self._hist[key][old] -= 1
            self._hist[key][day] += 1
            arr[who] = day

    def record_outcome(self, resident: int, outcome: float) -> None:
        """Queue an issue outcome (1 = instant fix, 0 = abandoned) for the next daily update."""
        self._told_by.append(resident)
        self._told.append(outcome)

    def active(self, day: int, kind: str | None = None) -> np.ndarray:
        """Who took part (in `kind`, or in any kind) within the last WINDOW days."""
        since = day - WINDOW + 1
        if kind is not None:
            return self.last[kind] >= since
        return self.last_any >= since

    def daily(self, day: int, activities: Sequence[Callable[[np.ndarray, int], None]] = ()
              ) -> None:
        """One day of participation and propensity dynamics, in bulk: volunteering, then the
        mechanisms' `activities` (each `f(propensity, day)` draws and `mark`s who took part),
        then outcomes heard, neighbours' influence and the move towards the target."""
        p, rng, n = self.p, self.rng, self.net.n
        pi = self.propensity
        vol = p["residents.volunteer_rate"]
        u = rng.random(n)
        chance = vol * pi
        chance *= self.free
        self.mark("volunteer", np.nonzero(u < chance)[0], day)
        for activity in activities:
            activity(pi, day)
        self._apply_outcomes()
        share = self.net.count_neighbours(self.last_any >= day - WINDOW + 1) * self.inv_deg
        share -= p["residents.influence_reference"]
        share *= p["residents.influence_weight"]
        target = self._settled + share  # summed in the order of the ODD's formula
        target += self._member_term
        target += self._mob_term
        target -= self._cost_term
        target -= self.L
        target *= p["residents.adapt_rate"]
        self.L += target
        self._pi = None

    def recruit(self, pool: np.ndarray, k: int, day: int) -> int:
        """A project engages up to k residents of `pool` as volunteers today, drawn without
        replacement in proportion to propensity x (1 - cost). Returns how many."""
        if k <= 0 or len(pool) == 0:
            return 0
        w = self.propensity[pool] * self.free[pool]
        k = min(k, int(np.count_nonzero(w)))
        if k == 0:
            return 0
        who = self.rng.choice(pool, k, replace=False, p=w / w.sum())
        self.mark("volunteer", who, day)
        return k

    def mark(self, kind: str, who: np.ndarray, day: int) -> None:
        """Bulk `note` for today (day is never older than what is recorded)."""
        for key, arr in ((kind, self.last[kind]), ("any", self.last_any)):
            old = arr[who]
            h = self._hist[key]
            np.subtract.at(h, old[old >= 0], 1)
            h[day] += len(who)
            arr[who] = day

    def active_shares(self, day: int) -> list[float]:
        """Share of residents who took part within the last WINDOW days: in any kind, then in
        each of KINDS."""
        counts = self._hist2d[:, max(0, day - WINDOW + 1): day + 1].sum(axis=1)
        return (counts / self.net.n).tolist()

    def _apply_outcomes(self) -> None:
        if not self._told_by:
            return
        lr, wom = self.p["residents.learning_rate"], self.p["residents.word_of_mouth"]
        lt = self.p["residents.trust_learning_rate"]
        for w, x in zip(self._told_by, self._told, strict=True):  # a few a day, in order
            self.efficacy[w] += lr * (x - self.efficacy[w])
            self.trust[w] += lt * (x - self.trust[w])
        who, o = np.array(self._told_by, dtype=np.int64), np.array(self._told)
        self._told_by.clear()
        self._told.clear()
        # word of mouth touches only the tellers' neighbours: gather their rows, not a mat-vec
        hearers, lens = self.net.neighbours(who)
        heard_o = np.repeat(o, lens)
        uniq, inv = _unique_inverse(hearers)
        count = np.bincount(inv, minlength=len(uniq)).astype(float)
        mean_o = np.bincount(inv, weights=heard_o, minlength=len(uniq)) / np.maximum(count, 1.0)
        w = 1.0 - (1.0 - wom) ** count
        t = self.trust[uniq]
        # np.minimum(np.maximum(...)) is np.clip without its Python-level overhead
        self.trust[uniq] = np.minimum(np.maximum(t + w * (mean_o - t), TRUST_MIN), TRUST_MAX)
        self.trust[who] = np.minimum(np.maximum(self.trust[who], TRUST_MIN), TRUST_MAX)
        self._refresh_terms(np.concatenate([who, uniq]))
