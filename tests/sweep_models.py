"""Model functions used by the sweep tests (importable as `sweep_models:NAME`)."""

from __future__ import annotations

import time

import numpy as np

from cogov_sim.batch.models import ishigami


def slow_ishigami(overrides: dict, seed: int, **_: object) -> dict[str, float]:
    """Ishigami, taking long enough per run that a batch can be killed midway."""
    time.sleep(0.01)
    return ishigami(overrides, seed)


slow_ishigami.params = ishigami.params  # type: ignore[attr-defined]


def noisy_linear(overrides: dict, seed: int, **_: object) -> dict[str, float]:
    """y = 2 a + b + noise(seed): a known split between parameters and noise."""
    noise = np.random.default_rng(seed).normal(0.0, 0.5)
    return {"y": 2.0 * overrides["a"] + overrides["b"] + noise}


noisy_linear.params = {"a": (0.0, 1.0), "b": (0.0, 1.0)}  # type: ignore[attr-defined]


def noisy_ishigami(overrides: dict, seed: int, **_: object) -> dict[str, float]:
    """Ishigami plus Gaussian run-to-run noise (sd 1; the function's variance is about 13.8):
    a stochastic model whose mean has known Sobol' indices. The noise is drawn from the seed
    and the point together, as a simulation's differs from point to point under one seed: from
    the seed alone it would shift every point of a replication alike, and the means would carry
    no noise at all."""
    y = ishigami(overrides, seed)["y"]
    point = np.array([overrides[k] for k in sorted(overrides)], dtype=float).view(np.uint64)
    return {"y": y + np.random.default_rng([seed, *point.tolist()]).normal(0.0, 1.0)}


noisy_ishigami.params = ishigami.params  # type: ignore[attr-defined]
noisy_ishigami.outputs = ("y",)  # type: ignore[attr-defined]


def tipping(overrides: dict, seed: int, **_: object) -> dict[str, float]:
    """A smooth mean, two outputs; past a = 0.7 a run ends in one of two states (a tipping
    point's bistability, as the committee's door shows under load): noise sd 1.5 there, 0.05
    elsewhere, and the mean unchanged by it. The noise differs from point to point under one
    seed, as a simulation's does: a sweep's common seeds do not make it a smooth offset."""
    a, b, c = overrides["a"], overrides["b"], overrides["c"]
    rng = np.random.default_rng([seed, *(int(v * 2**32) for v in (a, b, c))])
    mean = np.sin(2 * np.pi * b) + a * c
    jump = 1.5 * (1 if rng.random() < 0.5 else -1) if a > 0.7 else 0.0
    return {"y": float(mean + jump + rng.normal(0.0, 0.05)), "z": float(b + rng.normal(0.0, 0.05))}


tipping.params = {"a": (0.0, 1.0), "b": (0.0, 1.0), "c": (0.0, 1.0)}  # type: ignore[attr-defined]
tipping.outputs = ("y", "z")  # type: ignore[attr-defined]
