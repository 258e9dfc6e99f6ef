"""Expand an experiment into a fixed, ordered list of runs, each with its id and seed.

A run's id and seed depend only on the experiment, never on which worker runs it or when.
Replication r gets the seed ``SeedSequence(master, spawn_key=(r,))`` -- the same in every
scenario and design point (common random numbers, so differences are paired) and the same as
``cogov compare --seed master`` gives replication r.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from cogov_sim.params import table
from cogov_sim.stats import replication_seeds

from . import models
from .experiment import Experiment, Sample

SEED_SCHEME = "SeedSequence(master, spawn_key=(replication,)).generate_state(1, uint32)[0]"
SEED_SCHEME_INDEPENDENT = ("SeedSequence(master, spawn_key=(point x replications + replication,))"
                           ".generate_state(1, uint32)[0]")


@dataclass(frozen=True)
class Run:
    """One planned run: which scenario, which parameter values, which seed."""

    run_id: str
    scenario: str
    point: int
    replication: int
    seed: int
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """Every run of an experiment, in a fixed order, and the hash that identifies the batch."""

    runs: tuple[Run, ...]
    varied: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    seeds: tuple[int, ...]
    hash: str
    independent: bool = False

    def seed_tree(self, master: int) -> dict[str, Any]:
        """The seeds as the manifest records them."""
        if self.independent:
            return {"master": master, "scheme": SEED_SCHEME_INDEPENDENT,
                    "runs": {str(i): s for i, s in enumerate(self.seeds)}}
        return {"master": master, "scheme": SEED_SCHEME,
                "replications": {str(r): s for r, s in enumerate(self.seeds)}}


def design_points(exp: Experiment) -> list[dict[str, Any]]:
    """The experiment's parameter points: the grid's product, the listed points, or a sample."""
    if exp.grid:
        keys = list(exp.grid)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*exp.grid.values())]
    if exp.points:
        return [dict(p) for p in exp.points]
    if exp.sample:
        return sample_points(exp.sample, models.is_cogov(exp.model))
    return [{}]


def sample_points(s: Sample, cogov: bool) -> list[dict[str, Any]]:
    """n points in the box, scaled from the unit cube; integer parameters rounded."""
    from scipy.stats import qmc  # only sampled designs need it (workers start faster)

    d = len(s.ranges)
    rng = np.random.default_rng(s.seed)
    if s.method == "lhs":
        u = qmc.LatinHypercube(d=d, rng=rng).random(s.n)
    elif s.method == "sobol":
        u = qmc.Sobol(d=d, scramble=True, rng=rng).random(s.n)
    else:
        u = rng.random((s.n, d))
    tab = table() if cogov else {}
    out = []
    for row in u:
        pt: dict[str, Any] = {}
        for x, (k, (lo, hi)) in zip(row, s.ranges.items(), strict=True):
            if k in tab and tab[k].kind == "int":
                pt[k] = int(min(hi, lo + np.floor(x * (hi - lo + 1))))
            else:
                pt[k] = float(lo + x * (hi - lo))
        out.append(pt)
    return out


def expand(exp: Experiment) -> Plan:
    """The experiment's runs: for each replication, each scenario, each design point."""
    points = design_points(exp)
    cogov = models.is_cogov(exp.model)
    for i, pt in enumerate(points):
        exp.check_point(pt, f"points[{i}]")
        for sc in exp.scenarios.values():
            if sc is not None:
                sc.with_overrides(models.for_scenario(pt, sc.name), source=exp.source)
    R = exp.replications
    seeds = replication_seeds(exp.seed, len(points) * R if exp.independent else R)

    def seed(p: int, r: int) -> int:
        return seeds[p * R + r] if exp.independent else seeds[r]

    wp, wr = len(str(len(points) - 1)), max(3, len(str(R - 1)))
    runs = tuple(
        Run(f"{name}.p{p:0{wp}d}.r{r:0{wr}d}", name, p, r, seed(p, r),
            dict(pt) if cogov else {**exp.fixed, **pt})
        for r in range(exp.first, R) for name in exp.scenarios for p, pt in enumerate(points)
    )
    varied = tuple(dict.fromkeys(k for pt in points for k in pt))
    ident = {
        "model": exp.model if isinstance(exp.model, str)
        else f"{exp.model.__module__}:{exp.model.__qualname__}",
        "scenarios": {n: (sc.hash if sc else None) for n, sc in exp.scenarios.items()},
        "fixed": exp.fixed,
        "keep": exp.keep,
        "runs": [[r.run_id, r.seed, r.overrides] for r in runs],
    }
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()
    return Plan(runs, varied, tuple(points), tuple(seeds), digest, exp.independent)
