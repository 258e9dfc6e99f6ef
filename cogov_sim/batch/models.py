"""Model functions the batch engine can run: cogov's own model and the Ishigami test function.

A model function is ``fn(overrides: dict, seed: int, **context) -> dict[str, float] | Outcome``.
``context`` carries ``scenario`` (a validated `Scenario`, or None for models without scenarios)
and ``keep`` (the table names to return); plain functions accept ``**_`` and ignore it.
An optional ``fn.params = {name: (low, high)}`` declares its inputs, so experiments can be
validated and sampled.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cogov_sim.scenario import Scenario

ModelFn = Callable[..., "Mapping[str, float] | Outcome"]


@dataclass
class Outcome:
    """What a model returns when it has tables (issue ledger, daily series) besides its summary."""

    summary: Mapping[str, float]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def for_scenario(overrides: dict[str, Any], name: str) -> dict[str, Any]:
    """The overrides that apply in scenario `name`: plain keys, and "name:key" ones."""
    out = {}
    for k, v in overrides.items():
        arm, _, key = k.rpartition(":")
        if not arm or arm == name:
            out[key] = v
    return out


def cogov(overrides: dict[str, Any], seed: int, *, scenario: Scenario,
          keep: frozenset[str] = frozenset(), **_: Any) -> Outcome:
    """One run of the co-governance model (`cogov_sim.api.run`) with the tables asked for. An
    override named "ARM:key" applies only when the scenario is named ARM (a sweep's per-arm
    parameter); plain keys apply to every scenario."""
    from cogov_sim import single

    res = single.run(scenario, seed=seed, overrides=for_scenario(overrides, scenario.name))
    tables = {"issues": res.issues, "daily": res.daily}
    return Outcome(res.summary, {k: v for k, v in tables.items() if k in keep})


cogov.tables = ("issues", "daily")  # type: ignore[attr-defined]


def ishigami(overrides: dict[str, Any], seed: int, a: float = 7.0, b: float = 0.1,
             **_: Any) -> dict[str, float]:
    """Ishigami & Homma (1990): sin x1 + a sin^2 x2 + b x3^4 sin x1, known Sobol indices."""
    x1, x2, x3 = (float(overrides.get(k, 0.0)) for k in ("x1", "x2", "x3"))
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)}


ishigami.params = {k: (-math.pi, math.pi) for k in ("x1", "x2", "x3")}  # type: ignore[attr-defined]
ishigami.outputs = ("y",)  # type: ignore[attr-defined]

BUILTIN = {"cogov": "cogov_sim.batch.models:cogov", "ishigami": "cogov_sim.batch.models:ishigami"}


@functools.cache
def resolve(ref: str) -> ModelFn:
    """A model function from a built-in name or ``package.module:function`` (imported once)."""
    target = BUILTIN.get(ref, ref)
    module, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"'{ref}' is neither a built-in model ({', '.join(BUILTIN)}) "
                         "nor 'package.module:function'")
    fn = getattr(importlib.import_module(module), attr, None)
    if not callable(fn):
        raise ValueError(f"'{module}' has no function '{attr}'")
    return fn


def model_fn(model: str | ModelFn) -> ModelFn:
    """The callable behind a model reference (a name, a 'module:function', or a function)."""
    return resolve(model) if isinstance(model, str) else model


def is_cogov(model: str | ModelFn) -> bool:
    """Whether the model is cogov's own (parameters checked against the table, scenarios)."""
    return model_fn(model) is cogov
