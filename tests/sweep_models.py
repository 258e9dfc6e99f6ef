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
    a stochastic model whose mean has known Sobol' indices."""
    y = ishigami(overrides, seed)["y"]
    return {"y": y + np.random.default_rng(seed).normal(0.0, 1.0)}


noisy_ishigami.params = ishigami.params  # type: ignore[attr-defined]
noisy_ishigami.outputs = ("y",)  # type: ignore[attr-defined]
