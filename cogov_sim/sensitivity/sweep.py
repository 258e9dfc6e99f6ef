"""Sweep files: a sensitivity problem over the parameter table, run through the batch engine.

A sweep file (experiments/*.toml with a ``[sweep]`` table) names a base scenario (or a model
function such as the Ishigami test), the parameters that vary with their bounds, the method,
the base sample size, the replications per design point and the outputs of interest. The
design is sampled with SALib, turned into a batch experiment of explicit points (so it runs
in parallel, resumably, and on Dask), and analysed with SALib on replicate means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cogov_sim import shipped
from cogov_sim.batch import models
from cogov_sim.batch.experiment import (
    MAX_SEED,
    MOST_RUNS,
    Experiment,
    check_arms,
    check_overrides,
    int_key,
    string_key,
    table_key,
)
from cogov_sim.errors import InputError, did_you_mean, safe_name, show
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, check_box, find, flatten, load, read_toml, validate_value
from cogov_sim.sensitivity.methods import METHODS, Method, make

KEYS = ("name", "description", "model", "scenario", "contrast", "days", "replications",
        "seed", "outputs", "set", "sweep", "parameters")
SWEEP_KEYS = ("method", "n", "second_order", "replicate_share", "replicate_to")
# The smallest base size each method's analysis (and its half-design convergence check) works
# with: found by running each on the Ishigami function.
MIN_N = {"sobol": 4, "morris": 4, "fast": 65, "delta": 64, "emulator": 16}
WHY_N = {"sobol": "a power of 2", "morris": "trajectories",
         "fast": "eFAST needs n > 4 M^2 = 64 for its M = 4 harmonics",
         "delta": "Latin hypercube points; SALib's delta estimator bins the outputs, at least 10 "
                  "points a bin, and the convergence check analyses half the design",
         "emulator": "design points; the emulator's 5-fold cross-validation and its refit on "
                     "half the design need at least 16"}


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the SALib problem, the method, and how to run each design point."""

    name: str
    description: str
    model: str
    scenarios: dict[str, Scenario | None]
    contrast: tuple[str, str] | None
    bounds: dict[str, tuple[float, float]]
    ints: frozenset[str]
    method: Method
    n: int
    replications: int
    seed: int
    outputs: tuple[str, ...]
    fixed: dict[str, Any]
    source: str
    text: str
    replicate_share: float = 0.0
    """A second stage (emulator only): this share of the design points, the noisiest after
    the first stage, run again up to `replicate_to` replications each."""
    replicate_to: int = 0

    @property
    def problem(self) -> dict[str, Any]:
        names = list(self.bounds)
        return {"num_vars": len(names), "names": names,
                "bounds": [list(self.bounds[k]) for k in names]}

    def design(self) -> np.ndarray:
        """The SALib sample, as numbers (integer parameters rounded when run)."""
        return self.method.sample(self.problem, self.n, self.seed)

    def points(self, X: np.ndarray) -> list[dict[str, Any]]:
        names = self.problem["names"]
        return [{k: (int(round(x)) if k in self.ints else float(x))
                 for k, x in zip(names, row, strict=True)} for row in X]

    def experiment(self, X: np.ndarray) -> Experiment:
        """The batch experiment that evaluates the design: every point x replication x scenario."""
        keep = ("summary",)
        return Experiment(self.name, self.description, self.model, self.scenarios,
                          self.replications, self.seed, self.fixed, keep,
                          points=tuple(self.points(X)), source=self.source, text=self.text)

    def replicated(self) -> int:
        """How many design points the second stage runs again (0 without one)."""
        return int(round(self.replicate_share * self.n))

    def stage_two(self, X: np.ndarray, chosen: np.ndarray) -> Experiment:
        """The second stage: the chosen points' replications `replications` to
        `replicate_to - 1`, seeded as in a design of `replicate_to` replications throughout."""
        keep = ("summary",)
        return Experiment(f"{self.name}-replicate", f"{self.description} (second stage: the "
                          f"noisiest {len(chosen)} points to {self.replicate_to} replications)",
                          self.model, self.scenarios, self.replicate_to, self.seed, self.fixed,
                          keep, points=tuple(self.points(X[chosen])), source=self.source,
                          text=self.text, first=self.replications)

    def stage_runs(self) -> tuple[int, int]:
        """How many model runs each stage needs (the second 0 without one)."""
        S = len(self.scenarios)
        return (self.method.runs(len(self.bounds), self.n) * self.replications * S,
                self.replicated() * max(self.replicate_to - self.replications, 0) * S)

    def runs(self) -> int:
        """How many model runs the sweep needs (both stages)."""
        return sum(self.stage_runs())


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file."""
    p = shipped.locate(path, "experiments")
    text, doc = read_toml(p)
    return parse(doc, str(p), text, p.parent)


def _need(doc: dict, key: str, src: str, kind: type, what: str) -> Any:
    if key not in doc:
        raise InputError(src, f"missing; {what}", key=key)
    v = doc[key]
    if isinstance(v, bool) or not isinstance(v, kind):
        raise InputError(src, f"value {show(v)} has the wrong type; allowed: {what}", key=key)
    return v


def parse(doc: dict[str, Any], src: str, text: str = "", base: Path | None = None) -> Sweep:
    """Validate a sweep given as a TOML document."""
    for k in doc:
        if k not in KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, KEYS)}; allowed: {', '.join(KEYS)}",
                             key=k)
    sw = _need(doc, "sweep", src, dict, "a [sweep] table with method and n")
    for k in sw:
        if k not in SWEEP_KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, SWEEP_KEYS)}; allowed: "
                             f"{', '.join(SWEEP_KEYS)}", key=f"sweep.{k}")
    method_name = _need(sw, "method", src, str, "one of " + ", ".join(METHODS))
    if method_name not in METHODS:
        raise InputError(src, f"value {show(method_name)} is not a method"
                         f"{did_you_mean(method_name, METHODS)}; allowed: " + ", ".join(METHODS),
                         key="sweep.method")
    low = MIN_N[method_name]
    n = _need(sw, "n", src, int, f"an integer from {low} to {MOST_RUNS:,} (base sample size)")
    if not low <= n <= MOST_RUNS:
        raise InputError(src, f"value {n} is not allowed for method '{method_name}'; allowed: "
                         f"an integer from {low} to {MOST_RUNS:,} ({WHY_N[method_name]})",
                         key="sweep.n")
    if method_name in ("sobol", "emulator") and n & (n - 1):
        raise InputError(src, f"value {n} is not a power of 2, which Sobol' sampling needs; "
                         f"allowed: e.g. {1 << (n - 1).bit_length()}", key="sweep.n")
    second = sw.get("second_order", False)
    if not isinstance(second, bool):
        raise InputError(src, f"value {show(second)} has the wrong type; allowed: true or false",
                         key="sweep.second_order")
    if second and method_name != "sobol":
        raise InputError(src, f"applies to method 'sobol' only (this sweep's method is "
                         f"'{method_name}'); remove it, or use method = \"sobol\"",
                         key="sweep.second_order")
    model = doc.get("model", "cogov")
    share, upto = _stage_two(sw, src, method_name)
    if share and round(share * n) < 1:
        raise InputError(src, f"value {share} of n = {n} is no design point; allowed: at least "
                         f"{1 / n:.3g}", key="sweep.replicate_share")
    if not isinstance(model, str):
        raise InputError(src, f"value {show(model)} is not a model name", key="model")
    try:
        fn = models.model_fn(model)
    except (ImportError, AttributeError, ValueError, KeyError):
        raise InputError(src, f"value {show(model)} is not a model: use 'cogov', 'ishigami' or "
                         "'package.module:function'", key="model") from None
    cogov = models.is_cogov(model)
    if not cogov:
        for k in ("scenario", "contrast", "days"):
            if k in doc:
                raise InputError(src, f"applies to the cogov model only (this sweep's model is "
                                 f"'{model}'); set the model's own parameters under [set]", key=k)
    name = string_key(doc, "name", src, Path(src).stem)
    if "name" in doc:  # the default (the file's stem) is checked where it becomes a folder
        safe_name(name, src)
    description = string_key(doc, "description", src, "")
    replications = int_key(doc, "replications", src, 1 if not cogov else 3, low=1)
    seed = int_key(doc, "seed", src, 0, low=0, high=MAX_SEED)
    params = _need(doc, "parameters", src, dict,
                   'a [parameters] table: name = [low, high], e.g. "issues.rate" = [0.2, 0.4]')
    if len(params) < 2:
        raise InputError(src, "needs at least two parameters to vary", key="parameters")
    bounds, ints = _bounds(params, src, cogov, fn)
    fixed = check_overrides(model, flatten(table_key(doc, "set", src)), src, "set")
    if "days" in doc:
        fixed["run.days"] = validate_value("run.days", int_key(doc, "days", src, 0, low=1), src)
    scenarios: dict[str, Scenario | None]
    contrast = None
    if cogov and "contrast" in doc and "scenario" in doc:
        raise InputError(src, "a sweep has either one scenario or a contrast of two, not both; "
                         "remove 'scenario' or 'contrast'", key="contrast")
    if cogov:
        names = doc["contrast"] if "contrast" in doc else [doc.get("scenario", "committee")]
        if "contrast" in doc and (not isinstance(names, list) or len(names) != 2
                                  or not all(isinstance(x, str) for x in names)):
            raise InputError(src, "must name two scenarios, e.g. contrast = "
                             '["fragmented", "committee"] (output: first minus second)',
                             key="contrast")
        if not isinstance(names[0], str):
            raise InputError(src, f"value {show(names[0])} is not a scenario name; allowed: a "
                             "name from `cogov scenarios` or a .toml path", key="scenario")
        scenarios = {}
        for nm in names:
            try:
                sc = load(find(nm, relative_to=base))
            except InputError as e:
                raise InputError(src, e.message if e.key is None else str(e),
                                 key="contrast" if "contrast" in doc else "scenario") from None
            if sc.name in scenarios:
                raise InputError(src, f"value {show(names)} names scenario '{sc.name}' twice; a "
                                 "contrast compares two different scenarios, e.g. "
                                 '["fragmented", "committee"]', key="contrast")
            scenarios[sc.name] = sc.with_overrides(fixed, source=src) if fixed else sc
        if "contrast" in doc:
            contrast = tuple(scenarios)  # type: ignore[assignment]
        check_arms(bounds, scenarios, src, "parameters")
        ends = {full: [int(round(b)) if full in ints else b for b in lo_hi]
                for full, lo_hi in bounds.items()}
        for arm, sc in scenarios.items():
            check_box(sc, models.for_scenario(ends, arm), src, "parameters")
    else:
        scenarios = {name: None}
    method = make(method_name, second)
    if upto and upto <= replications:
        raise InputError(src, f"value {upto} is not above the sweep's {replications} "
                         f"replications; allowed: an integer from {replications + 1} to 100",
                         key="sweep.replicate_to")
    total = (method.runs(len(bounds), n) * replications
             + int(round(share * n)) * max(upto - replications, 0)) * len(scenarios)
    if total > MOST_RUNS:
        raise InputError(src, f"asks for {total:,} runs ({method_name}, n = {n}, "
                         f"{len(bounds)} parameters, {replications} replications, "
                         f"{len(scenarios)} scenario(s)); allowed: at most {MOST_RUNS:,}: "
                         "give a smaller n or fewer replications", key="sweep.n")
    outputs = doc.get("outputs", ["resolution_mean_days"] if cogov else ["y"])
    if isinstance(outputs, str):
        outputs = [outputs]
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        raise InputError(src, f"value {show(outputs)} is not allowed; allowed: a list of output "
                         'names, e.g. ["resolution_mean_days"]', key="outputs")
    known = _output_names(fn, cogov, next(iter(scenarios.values())))
    for o in outputs:
        key, _ = metric(o)
        if known and key not in known:
            raise InputError(src, f"value {show(o)} is not an output{did_you_mean(key, known)}"
                             " ('log:NAME' gives an output's logarithm); the model gives: "
                             f"{', '.join(sorted(known))}", key="outputs")
    if len(set(outputs)) != len(outputs):
        raise InputError(src, f"value {show(outputs)} names an output twice", key="outputs")
    return Sweep(name, description, model, scenarios, contrast, bounds,
                 frozenset(ints), method, n, replications, seed,
                 tuple(outputs), fixed if not cogov else {}, src, text, share, upto)


def _stage_two(sw: dict[str, Any], src: str, method: str) -> tuple[float, int]:
    """`replicate_share` and `replicate_to`, together and for the emulator only."""
    has = [k for k in ("replicate_share", "replicate_to") if k in sw]
    if not has:
        return 0.0, 0
    if method != "emulator":
        raise InputError(src, f"applies to method 'emulator' only (this sweep's method is "
                         f"'{method}'); remove it, or use method = \"emulator\"",
                         key=f"sweep.{has[0]}")
    if len(has) == 1:
        other = "replicate_to" if has[0] == "replicate_share" else "replicate_share"
        raise InputError(src, f"missing; a second stage needs both replicate_share and "
                         f"replicate_to (only {has[0]} is set)", key=f"sweep.{other}")
    share = sw["replicate_share"]
    if (isinstance(share, bool) or not isinstance(share, (int, float))
            or not 0 < share <= 1):
        raise InputError(src, f"value {show(share)} is not allowed; allowed: a number above 0 "
                         "and at most 1 (the share of design points run again)",
                         key="sweep.replicate_share")
    upto = sw["replicate_to"]
    if isinstance(upto, bool) or not isinstance(upto, int) or not 2 <= upto <= 100:
        raise InputError(src, f"value {show(upto)} is not allowed; allowed: an integer from 2 "
                         "to 100 (replications at each of those points)",
                         key="sweep.replicate_to")
    return float(share), upto


def metric(output: str) -> tuple[str, bool]:
    """An output of a sweep file: a summary key, or 'log:KEY' for its natural logarithm (with a
    contrast, log(first) - log(second): the log of the ratio, e.g. how many times longer)."""
    return (output[4:], True) if output.startswith("log:") else (output, False)


def label_of(output: str) -> str:
    """An output in words, as `cogov compare` labels it: 'log:resolution_rmst_days' -> 'log
    of resolution time, restricted mean to 180 d (days)'; an unlabelled key with spaces."""
    from cogov_sim.render import LABELS

    name, log = metric(output)
    words = LABELS.get(name, name.replace("_", " ")).strip()
    return ("log of " if log else "") + words


def _output_names(fn: Any, cogov: bool, scenario: Scenario | None) -> list[str]:
    """The outputs a model gives, known before the sweep runs: cogov's summary keys (from a
    two-day probe of a 50-resident community of the sweep's scenario), or a function's
    declared `outputs`; empty when a function declares none."""
    if not cogov:
        return list(getattr(fn, "outputs", ()) or ())
    from cogov_sim.api import run

    probe = scenario.with_overrides({"community.residents": 50, "run.days": 2,
                                     "run.warmup_days": 0}, source="output check")
    return list(run(probe, seed=0).summary)


def _bounds(params: dict[str, Any], src: str, cogov: bool, fn: Any
            ) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """Bounds by parameter. With cogov, "ARM:name" varies a parameter in one scenario of the
    contrast only (e.g. a committee-only dial), plain names in every scenario."""
    tab = table() if cogov else {}
    declared = getattr(fn, "params", None) or {}
    bounds, ints = {}, set()
    for full, v in params.items():
        key = f"parameters.{full}"
        k = full.rpartition(":")[2] if cogov else full
        if cogov and k not in tab:
            raise InputError(src, f"unknown parameter{did_you_mean(k, tab)}; `cogov params` lists "
                             "them all", key=key)
        if not cogov and declared and k not in declared:
            raise InputError(src, f"unknown parameter{did_you_mean(k, declared)}", key=key)
        ok = (isinstance(v, list) and len(v) == 2
              and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                      and math.isfinite(x) for x in v)
              and v[0] < v[1] and math.isfinite(v[1] - v[0]))
        if not ok:
            raise InputError(src, f"value {show(v)} is not allowed; allowed: [low, high] with "
                             "finite numbers, low < high", key=key)
        lo, hi = float(v[0]), float(v[1])
        if cogov:
            p = tab[k]
            if p.kind not in ("int", "float"):
                raise InputError(src, f"is a {p.kind} parameter; a sweep varies numbers only",
                                 key=key)
            if (p.low is not None and lo < p.low) or (p.high is not None and hi > p.high):
                raise InputError(src, f"bounds {show(v)} fall outside the allowed range; allowed: "
                                 f"{p.allowed()}", key=key)
            if p.kind == "int":
                ints.add(full)
        bounds[full] = (lo, hi)
    return bounds, ints
