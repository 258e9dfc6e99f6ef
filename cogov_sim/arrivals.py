"""Issues occur and become known: each day's issues drawn in bulk (Poisson arrivals with a
possible surge), their attributes, and the competing hazards of who finds each first -- the
resident, affected neighbours, the mechanisms' finders (`discovery_hazards`), the structure's
own people. A mixin of `CoGovModel`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from cogov_sim.issues import Discoverer, Issue, Status

if TYPE_CHECKING:
    from cogov_sim.model import CoGovModel

ABANDONED = int(Status.ABANDONED)
STRUCTURE = int(Discoverer.STRUCTURE)


class IssueArrivals:
    """Occurrence, discovery, and issues nobody found before their patience ran out."""

    def _init_arrivals(self: CoGovModel) -> None:
        k = int(self.p["issues.categories"])
        shares = (np.arange(1, k + 1, dtype=float)) ** -self.p["issues.category_skew"]
        self.category_share = shares / shares.sum()
        self._category_cdf = self.category_share.cumsum()
        self._category_cdf /= self._category_cdf[-1]
        self.created_counter = 0
        self._undiscovered: list[tuple[float, int]] = []
        self._undiscovered_next = 0

    def rate_multiplier(self: CoGovModel, t: float) -> float:
        """The epidemic-like burst: a smooth bump peaking `surge_days` after `surge_day`."""
        start = self.p["issues.surge_day"]
        if start <= 0 or t < start:
            return 1.0
        x = (t - start) / self.p["issues.surge_days"]
        return 1.0 + (self.p["issues.surge_peak"] - 1.0) * x * x * math.exp(2.0 * (1.0 - x))

    def _begin_day(self: CoGovModel, day: int) -> None:
        """Draw the day's issues in bulk and schedule their discovery and patience events."""
        p, rng, net = self.p, self.rng, self.net
        self.observer.drawn_before_today = self.ledger.n
        lam = p["issues.rate"] / 365.0 * net.n * self.rate_multiplier(day + 0.5)
        k = int(rng.poisson(lam))
        if k == 0:
            return
        self.created_counter += k
        s, t_occ, who, nb = self._draw_issues(day, k)
        L = self.ledger
        if self.queueing or p["residents.report_days"] <= 0:
            t_known = t_occ
            found_by = np.full(k, Discoverer.RESIDENT, dtype=np.int8)
        else:
            t_known, found_by = self._discovery(who, nb, L.visible[s], L.public[s], t_occ)
        patience = p["issues.patience_days"]
        t_out = t_occ + patience
        found = t_known < t_out
        if found.all():
            L.t_known[s] = t_known
            L.discovered_by[s] = found_by
        else:
            L.t_known[s][found] = t_known[found]
            L.discovered_by[s][found] = found_by[found]
        at, opened, on_known, on_patience = self.at, self.open, self.on_known, self.on_patience
        for idx, known, out, ok, cat, n_d, b, rur, pub in zip(
                range(s.start, s.stop), t_known.tolist(), t_out.tolist(), found.tolist(),
                L.category[s].tolist(), L.n_departments[s].tolist(), nb.tolist(),
                L.rural[s].tolist(), L.public[s].tolist(), strict=True):
            if ok:
                issue = Issue(idx, cat, n_d, b, rur, pub)
                opened[idx] = issue
                at(known, on_known, issue)
                if patience < 1e8:
                    self.at_in_order(out, on_patience, issue)
            else:
                self._undiscovered.append((out, idx))

    def _draw_issues(self: CoGovModel, day: int, k: int
                     ) -> tuple[slice, np.ndarray, np.ndarray, np.ndarray]:
        """k new ledger rows with their attributes: when, whose, which category, how many
        departments, visible, public, community-solvable, paid service."""
        p, rng, net, L = self.p, self.rng, self.net, self.ledger
        s = L.add(k)
        t_occ = day + np.sort(rng.random(k))
        who = rng.integers(0, net.n, k)
        nb = net.neighbourhood[who]
        L.t_occur[s] = t_occ
        L.resident[s] = who
        L.neighbourhood[s] = nb
        L.rural[s] = net.rural[who]
        # = rng.choice(categories, k, p=category_share), without re-checking p every day
        L.category[s] = self._category_cdf.searchsorted(rng.random(k), side="right")
        multi = rng.random(k) < p["issues.multi_share"]
        n_dep = np.where(multi, 2 + rng.integers(0, p["issues.max_departments"] - 1, k), 1)
        n_dep = np.minimum(n_dep, len(self.departments))
        L.n_departments[s] = n_dep
        single = n_dep == 1
        u = rng.random((3, k))  # the same draws as three of k
        community = single & (u[2] < p["issues.community_share"])
        L.visible[s] = u[0] < p["issues.visible_share"]
        L.public[s] = u[1] < p["issues.public_share"]
        L.community[s] = community
        L.paid_service[s] = single & ~community & (
            u[2] < p["issues.community_share"] + p["issues.service_share"])
        return s, t_occ, who, nb

    def _discovery(self: CoGovModel, who: np.ndarray, nb: np.ndarray, visible: np.ndarray,
                   public: np.ndarray, t_occ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Competing hazards: the resident, affected neighbours, the mechanisms' finders in
        the order of their discoverer codes, the structure's own people."""
        p, rng = self.p, self.rng
        k = len(who)
        pub = np.nonzero(public)[0]
        # public issues affect the neighbours too (most days none is public)
        nbrs, degree = self.net.neighbours(who[pub]) if len(pub) else (who[:0], pub)
        hz = self.pop.report_hazard(np.concatenate([who, nbrs]))  # only the residents needed
        h_res, hz_nb = hz[:k], hz[k:].tolist()
        h_nb = np.zeros(k)
        if len(pub):
            # each public issue's neighbours' hazards, summed in adjacency order (as a sparse
            # product would: the same figures to the last bit)
            sums, j = [], 0
            for n_nb in degree.tolist():
                acc = 0.0
                for v in hz_nb[j:j + n_nb]:
                    acc += v
                sums.append(acc)
                j += n_nb
            h_nb[pub] = p["residents.neighbour_report"] * np.array(sums)
        finders = sorted((pair for f in self.hooks.discovery_hazards for pair in f(nb, visible)),
                         key=lambda pair: pair[0])
        codes = [int(Discoverer.RESIDENT), int(Discoverer.NEIGHBOUR), *(c for c, _ in finders)]
        rows = [h_res, h_nb, *(row for _, row in finders)]
        if self.structure_hazard > 0:
            codes.append(STRUCTURE)
            rows.append(np.where(visible, self.structure_hazard, 0.0))
        h = np.array(rows)  # = np.stack, cheaper for a few short rows
        total = h.sum(axis=0)
        delay = rng.exponential(1.0, k)
        if total.all():
            delay /= total
        else:
            with np.errstate(divide="ignore"):  # nobody can find it: never found
                delay /= total
        pick = (rng.random(k) * total)[None, :] < np.cumsum(h, axis=0)
        found_by = np.array(codes, dtype=np.int8)[np.argmax(pick, axis=0)]
        return t_occ + delay, found_by

    def carried(self: CoGovModel) -> int:
        """Issues the model still holds: known ones in flight, plus undiscovered ones waiting
        for their patience to run out."""
        return len(self.open) + len(self._undiscovered) - self._undiscovered_next

    def _close_undiscovered(self: CoGovModel) -> None:
        """Issues nobody found before their patience ran out are abandoned (bulk, in order)."""
        q, i, now, L = self._undiscovered, self._undiscovered_next, self.now, self.ledger
        while i < len(q) and q[i][0] <= now:
            t, idx = q[i]
            L.t_closed[idx] = t
            L.status[idx] = ABANDONED
            self.counts[ABANDONED] += 1
            i += 1
        self._undiscovered_next = i
