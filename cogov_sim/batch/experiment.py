"""Experiment files (``experiments/*.toml``): load and validate, with the scenario files' errors.

An experiment says which model and scenarios to run, which parameters vary (a ``[grid]``, a
list of ``[[points]]``, or a ``[sample]``), fixed overrides (``[set]``), replications, the
master seed, days, and which outputs to keep. Every problem is one `InputError` naming the
file, the key, the value and what is allowed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogov_sim import shipped
from cogov_sim.errors import MAX_SEED, MOST_RUNS, InputError, did_you_mean, safe_name, show
from cogov_sim.scenario import Scenario, find, flatten, load, read_toml, validate_value

from . import models

KEYS = ("name", "description", "model", "scenarios", "replications", "seed", "days", "keep",
        "set", "grid", "points", "sample")
DESIGNS = ("grid", "points", "sample")
SAMPLE_KEYS = ("n", "method", "seed", "ranges")
SAMPLE_METHODS = ("lhs", "sobol", "random")
KEEP_ALIASES = {"ledger": "issues", "ledgers": "issues", "series": "daily", "timeseries": "daily"}


@dataclass(frozen=True)
class Sample:
    """A sampled design: n points in the box `ranges`, by Latin hypercube, Sobol' or random."""

    n: int
    method: str
    seed: int
    ranges: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: everything that fixes a batch's runs and their results."""

    name: str
    description: str
    model: str
    scenarios: dict[str, Scenario | None]
    replications: int
    seed: int
    fixed: dict[str, Any]
    keep: tuple[str, ...]
    grid: dict[str, list[Any]] = field(default_factory=dict)
    points: tuple[dict[str, Any], ...] = ()
    sample: Sample | None = None
    source: str = ""
    text: str = ""
    independent: bool = False
    """Every design point gets its own seeds (no common random numbers across points): for
    ABC, where one shared seed would condition the posterior on a single draw of the noise."""
    first: int = 0
    """Replications below this one ran elsewhere (a sweep's first stage): only `first` to
    `replications - 1` run here, with the seeds they have in the full design."""

    @property
    def sha256(self) -> str:
        """Hash of the experiment file's text, as the manifest records it."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    def check_point(self, values: dict[str, Any], key: str) -> dict[str, Any]:
        """Validate one run's overrides for this model; return them normalised."""
        return check_overrides(self.model, values, self.source, key)


def check_arms(keys: Iterable[str], scenarios: Iterable[str], src: str, where: str) -> None:
    """Every "ARM:name" key names a scenario of the file (a dial for no scenario is a typo)."""
    scenarios = list(scenarios)
    for full in keys:
        if ":" not in full:
            continue
        arm = full.rpartition(":")[0]
        if arm not in scenarios:
            what = "names no scenario" if not arm else f"'{arm}' is not a scenario of this file"
            raise InputError(src, f"{what}{did_you_mean(arm, scenarios)}; allowed: a plain "
                             "parameter name (every scenario) or "
                             + ", ".join(f"'{n}:NAME'" for n in scenarios) + " (that one only)",
                             key=f"{where}.{full}")


def check_overrides(model: str, values: dict[str, Any], src: str, where: str) -> dict[str, Any]:
    """Validate parameter values for a model: cogov's table, or the function's `params`."""
    if models.is_cogov(model):  # "ARM:key" sets key in the scenario named ARM only
        return {k: validate_value(k.rsplit(":", 1)[-1], v, src) for k, v in values.items()}
    declared = getattr(models.model_fn(model), "params", None)
    if declared is None:
        return dict(values)
    for k, v in values.items():
        if k not in declared:
            raise InputError(src, f"unknown parameter of model '{model}'{did_you_mean(k, declared)};"
                             f" parameters: {', '.join(declared)}", key=f"{where}.{k}")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(src, f"value {show(v)} has the wrong type; allowed: a number",
                             key=f"{where}.{k}")
    return {k: float(v) for k, v in values.items()}


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file."""
    p = shipped.locate(path, "experiments")
    text, doc = read_toml(p)
    return parse(doc, str(p), text, p.parent)


def parse(doc: dict[str, Any], src: str, text: str = "", base: Path | None = None) -> Experiment:
    """Validate an experiment given as a TOML document (a dict)."""
    if "sweep" in doc:
        raise InputError(src, "is a sensitivity sweep, not a batch experiment: run it with `cogov sweep`")
    for k in doc:
        if k not in KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, KEYS)}; allowed: {', '.join(KEYS)}",
                             key=k)
    model = _model(doc.get("model", "cogov"), src)
    cogov = models.is_cogov(model)
    name = string_key(doc, "name", src, Path(src).stem)
    if "name" in doc:  # the default (the file's stem) is checked where it becomes a folder
        safe_name(name, src)
    description = string_key(doc, "description", src, "")
    replications = int_key(doc, "replications", src, 1, low=1)
    seed = int_key(doc, "seed", src, 0, low=0, high=MAX_SEED)
    fixed = check_overrides(model, flatten(table_key(doc, "set", src)), src, "set")
    if "days" in doc:
        if not cogov:
            raise InputError(src, "applies to the cogov model only; set the model's own "
                             "parameters under [set]", key="days")
        fixed["run.days"] = validate_value("run.days", int_key(doc, "days", src, 0, low=1), src)
    keep = _keep(doc, src, model)
    scenarios = _scenarios(doc, src, base, cogov, fixed, model)
    designs = [d for d in DESIGNS if d in doc]
    if len(designs) > 1:
        raise InputError(src, f"give one design, not {' and '.join(designs)}; allowed: a [grid], "
                         "a list of [[points]], or a [sample]", key=designs[1])
    grid = _grid(doc, src, model) if "grid" in doc else {}
    points = _points(doc, src, model) if "points" in doc else ()
    sample = _sample(doc, src, model, seed) if "sample" in doc else None
    points_n = math.prod(map(len, grid.values())) if grid else len(points) or (
        sample.n if sample else 1)
    if (total := points_n * replications * len(scenarios)) > MOST_RUNS:
        raise InputError(src, f"asks for {total:,} runs ({points_n:,} design points x "
                         f"{replications:,} replications x {len(scenarios)} scenario(s)); "
                         f"allowed: at most {MOST_RUNS:,}", key=designs[0] if designs else
                         "replications")
    if cogov:
        check_arms(grid, scenarios, src, "grid")
        for i, pt in enumerate(points):
            check_arms(pt, scenarios, src, f"points[{i}]")
        check_arms(sample.ranges if sample else (), scenarios, src, "sample.ranges")
    return Experiment(name, description, model, scenarios, replications, seed, fixed, keep,
                      grid, points, sample, src, text)


def _model(ref: Any, src: str) -> str:
    if not isinstance(ref, str):
        raise InputError(src, f"value {show(ref)} is not a model name", key="model")
    try:
        models.resolve(ref)
    except (ImportError, ValueError) as e:
        hint = did_you_mean(ref, models.BUILTIN) if ":" not in ref else ""
        raise InputError(src, f"value {show(ref)}: {e}{hint}; allowed: "
                         f"{', '.join(models.BUILTIN)} or 'package.module:function'",
                         key="model") from None
    return ref


def string_key(doc: dict[str, Any], key: str, src: str, default: str) -> str:
    v = doc.get(key, default)
    if not isinstance(v, str):
        raise InputError(src, f"value {show(v)} has the wrong type; allowed: a string", key=key)
    return v




def int_key(doc: dict[str, Any], key: str, src: str, default: int, low: int,
         high: int = MOST_RUNS) -> int:
    v = doc.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise InputError(src, f"value {show(v)} is not allowed; allowed: an integer from {low} "
                         f"to {high:,}", key=key)
    return v


def table_key(doc: dict[str, Any], key: str, src: str) -> dict[str, Any]:
    v = doc.get(key, {})
    if not isinstance(v, dict):
        raise InputError(src, f"must be a table: write [{key}] with one 'name = value' per line",
                         key=key)
    return v


def _keep(doc: dict[str, Any], src: str, model: str) -> tuple[str, ...]:
    allowed = ("summary", *getattr(models.model_fn(model), "tables", ()))
    v = doc.get("keep", ["summary"])
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        raise InputError(src, f"value {show(v)} is not a list; allowed: a list of {', '.join(allowed)}",
                         key="keep")
    for x in v:
        if x not in allowed:
            hint = did_you_mean(x, allowed) if isinstance(x, str) else ""
            if not hint and isinstance(x, str) and x in KEEP_ALIASES:
                hint = f" (did you mean '{KEEP_ALIASES[x]}'?)"
            raise InputError(src, f"value {show(x)} is not allowed{hint}; allowed: {', '.join(allowed)}",
                             key="keep")
    return tuple(t for t in allowed if t == "summary" or t in v)


def _scenarios(doc: dict[str, Any], src: str, base: Path | None, cogov: bool,
               fixed: dict[str, Any], model: str) -> dict[str, Scenario | None]:
    if not cogov:
        if "scenarios" in doc:
            raise InputError(src, "applies to the cogov model only", key="scenarios")
        return {model.rsplit(":", 1)[-1]: None}
    names = doc.get("scenarios")
    if names is None:
        raise InputError(src, "missing; list the scenarios to run, e.g. scenarios = "
                         '["fragmented", "committee"] (`cogov scenarios` lists them)', key="scenarios")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InputError(src, f"value {show(names)} is not allowed; allowed: a non-empty list of "
                         "scenario names or .toml paths", key="scenarios")
    out: dict[str, Scenario | None] = {}
    for n in names:
        try:
            sc = load(find(n, relative_to=base))
        except InputError as e:
            msg = e.message if not e.source or e.source == n else f"{e.source}: {e}"
            raise InputError(src, msg if e.key is None else str(e), key="scenarios") from None
        if sc.name in out:
            raise InputError(src, f"scenario '{sc.name}' is listed twice", key="scenarios")
        out[sc.name] = sc.with_overrides(fixed, source=src) if fixed else sc
    return out


def _values(v: Any, src: str, key: str) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise InputError(src, f"value {show(v)} is not allowed; allowed: a non-empty list of values, "
                         "e.g. [0.3, 0.5]", key=key)
    return v


def _grid(doc: dict[str, Any], src: str, model: str) -> dict[str, list[Any]]:
    grid = flatten(table_key(doc, "grid", src))
    if not grid:
        raise InputError(src, "is empty; give each varied parameter a list of values", key="grid")
    out = {}
    for k, v in grid.items():
        vals = [check_overrides(model, {k: x}, src, "grid")[k] for x in _values(v, src, f"grid.{k}")]
        if len(set(map(repr, vals))) < len(vals):
            raise InputError(src, f"value {show(v)} repeats a value", key=f"grid.{k}")
        out[k] = vals
    return out


def _points(doc: dict[str, Any], src: str, model: str) -> tuple[dict[str, Any], ...]:
    pts = doc["points"]
    if not isinstance(pts, list) or not pts or not all(isinstance(p, dict) for p in pts):
        raise InputError(src, "must be an array of tables: write one [[points]] block per point",
                         key="points")
    return tuple(check_overrides(model, flatten(p), src, f"points[{i}]") for i, p in enumerate(pts))


def _sample(doc: dict[str, Any], src: str, model: str, seed: int) -> Sample:
    s = table_key(doc, "sample", src)
    for k in s:
        if k not in SAMPLE_KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, SAMPLE_KEYS)}; allowed: "
                             f"{', '.join(SAMPLE_KEYS)}", key=f"sample.{k}")
    n = int_key(s, "n", src, 0, low=1) if "n" in s else None
    if n is None:
        raise InputError(src, "missing: how many points to sample", key="sample.n")
    method = s.get("method", "lhs")
    if method not in SAMPLE_METHODS:
        hint = did_you_mean(str(method), SAMPLE_METHODS)
        raise InputError(src, f"value {show(method)} is not allowed{hint}; allowed: "
                         f"{', '.join(SAMPLE_METHODS)}", key="sample.method")
    sseed = int_key(s, "seed", src, seed, low=0, high=MAX_SEED)
    ranges = flatten(s.get("ranges", {})) if isinstance(s.get("ranges", {}), dict) else None
    if not ranges:
        raise InputError(src, "missing or empty: give each sampled parameter [low, high]",
                         key="sample.ranges")
    out = {}
    for k, v in ranges.items():
        key = f"sample.ranges.{k}"
        if not isinstance(v, list) or len(v) != 2:
            raise InputError(src, f"value {show(v)} is not allowed; allowed: [low, high]", key=key)
        lo, hi = (check_overrides(model, {k: x}, src, "sample.ranges")[k] for x in v)
        if isinstance(lo, (bool, str)) or not lo < hi or not math.isfinite(hi - lo):
            raise InputError(src, f"value {show(v)} is not allowed; allowed: [low, high] with "
                             "numbers, low < high", key=key)
        out[k] = (lo, hi)
    return Sample(n, method, sseed, out)
