"""An inference file (``experiments/infer.toml``): the calibrated parameters with their prior
ranges and sources, the history-matching waves, the ABC-SMC generations and the headline's
arms. Every problem is one `InputError` naming the file and the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogov_sim import shipped
from cogov_sim.errors import InputError, did_you_mean, show
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, find, flatten, load, read_toml, validate_value
from cogov_sim.validation import patterns as pat
from cogov_sim.validation.calibrate import bounds

KEYS = ("name", "description", "seed", "targets", "parameters", "set", "history", "abc",
        "check", "headline")
HISTORY = {"waves": 3, "points": 240, "cut": 3.0, "rank": 2}
ABC = {"particles": 100, "proposals": 300, "generations": 4}
CHECK = {"draws": 30, "replications": 2}
HEADLINE = {"arms": ["fragmented", "committee"], "draws": 50, "replications": 6}


@dataclass(frozen=True)
class Prior:
    """A uniform prior on [low, high], with where the range comes from."""

    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Spec:
    """A validated inference file."""

    name: str
    description: str
    seed: int
    priors: dict[str, Prior]
    targets: tuple[pat.Pattern, ...]
    scenarios: dict[str, Scenario]
    waves: int
    points: int
    cut: float
    rank: int
    particles: int
    proposals: int
    generations: int
    arms: tuple[str, ...]
    draws: int
    replications: int
    check_draws: int = 30
    check_replications: int = 2
    fixed: dict[str, Any] = field(default_factory=dict)
    """Values set in every scenario the pipeline runs (``[set]``), e.g. a smaller community."""
    source: str = ""
    text: str = ""

    def scenario(self, name: str) -> Scenario:
        """A scenario by name (next to the file first), with ``[set]`` applied."""
        sc = load(find(name, relative_to=Path(self.source).parent if self.source else None))
        return sc.with_overrides(self.fixed, source=self.source) if self.fixed else sc

    @property
    def keys(self) -> list[str]:
        return list(self.priors)

    def runs(self) -> dict[str, int]:
        """Model runs per stage, as planned (a wave may run fewer if the region is small)."""
        s = len(self.scenarios)
        return {"history": self.waves * self.points * s,
                "abc": self.generations * self.proposals * s,
                "check": self.check_draws * self.check_replications * len(check_scenarios()),
                "headline": (self.draws + 1) * self.replications * len(self.arms) if self.draws
                else 0}


def check_scenarios() -> list[str]:
    """The scenarios of the posterior predictive check (every pattern but the inputs)."""
    return pat.scenarios(tuple(p for p in pat.PATTERNS if p.role != "input"))


def _number(doc: dict[str, Any], key: str, src: str, where: str, default: float, low: float,
            integer: bool) -> Any:
    v = doc.get(key, default)
    ok = (not isinstance(v, bool) and isinstance(v, int if integer else (int, float))
          and v >= low)
    if not ok:
        what = "an integer" if integer else "a number"
        raise InputError(src, f"value {show(v)} is not allowed; allowed: {what} >= {low:g}",
                         key=f"{where}.{key}" if where else key)
    return v if integer else float(v)


def _section(doc: dict[str, Any], name: str, defaults: dict[str, Any], src: str) -> dict[str, Any]:
    sec = doc.get(name, {})
    if not isinstance(sec, dict):
        raise InputError(src, "must be a table", key=name)
    for k in sec:
        if k not in defaults:
            raise InputError(src, f"unknown key{did_you_mean(k, defaults)}; allowed: "
                             f"{', '.join(defaults)}", key=f"{name}.{k}")
    return {**defaults, **sec}


def _priors(raw: Any, src: str) -> dict[str, Prior]:
    if not isinstance(raw, dict) or not raw:
        raise InputError(src, "missing or empty: give each calibrated parameter a table with "
                         "range = [low, high] and source = \"...\"", key="parameters")
    tab = table()
    out = {}
    for k, v in raw.items():
        key = f"parameters.{k}"
        if k not in tab:
            raise InputError(src, f"unknown parameter{did_you_mean(k, tab)}", key=key)
        if tab[k].kind not in ("int", "float"):
            raise InputError(src, "is not numeric: only numeric parameters can be calibrated",
                             key=key)
        if not isinstance(v, dict) or set(v) - {"range", "source"}:
            raise InputError(src, f"value {show(v)} is not allowed; allowed: a table with "
                             "range = [low, high] and source = \"...\"", key=key)
        lo, hi = bounds(k, v.get("range"), src, f"{key}.range")
        source = v.get("source")
        if not isinstance(source, str) or not source.strip():
            raise InputError(src, "missing: say where the range comes from (or \"assumption\")",
                             key=f"{key}.source")
        out[k] = Prior(float(lo), float(hi), source)
    return out


def _targets(raw: Any, src: str) -> tuple[pat.Pattern, ...]:
    allowed = {p.name: p for p in pat.targets()}
    if raw is None:
        return tuple(allowed.values())
    if not isinstance(raw, list) or not raw:
        raise InputError(src, f"value {show(raw)} is not allowed; allowed: a list of calibration "
                         f"patterns ({', '.join(allowed)})", key="targets")
    held = pat.by_name()
    for n in raw:
        if n not in allowed:
            why = ("is not a calibration target (held out or an input: it may not be fitted)"
                   if n in held else f"is not a pattern{did_you_mean(str(n), allowed)}")
            raise InputError(src, f"value {show(n)} {why}; allowed: {', '.join(allowed)}",
                             key="targets")
    return tuple(allowed[n] for n in raw)


def parse(doc: dict[str, Any], src: str, text: str = "", base: Path | None = None) -> Spec:
    """Validate a parsed inference file."""
    for k in doc:
        if k not in KEYS:
            raise InputError(src, f"unknown key{did_you_mean(k, KEYS)}; allowed: {', '.join(KEYS)}",
                             key=k)
    priors = _priors(doc.get("parameters"), src)
    targets = _targets(doc.get("targets"), src)
    raw = doc.get("set", {})
    if not isinstance(raw, dict):
        raise InputError(src, "must be a table of parameter values", key="set")
    fixed = {k: validate_value(k, v, src) for k, v in flatten(raw).items()}
    clash = [k for k in fixed if k in priors]
    if clash:
        raise InputError(src, "is calibrated ([parameters]) and cannot also be set",
                         key=f"set.{clash[0]}")
    scenarios = {}
    for n in pat.scenarios(targets):
        sc = load(find(n, relative_to=base))
        scenarios[n] = sc.with_overrides(fixed, source=src) if fixed else sc
    h = _section(doc, "history", HISTORY, src)
    a = _section(doc, "abc", ABC, src)
    hl = _section(doc, "headline", HEADLINE, src)
    ck = _section(doc, "check", CHECK, src)
    arms = hl["arms"]
    if not isinstance(arms, list) or len(arms) != 2 or not all(isinstance(x, str) for x in arms):
        raise InputError(src, f"value {show(arms)} is not allowed; allowed: two scenario names "
                         "[A, B] (the headline is B minus A)", key="headline.arms")
    for n in arms:
        load(find(n, relative_to=base))
    particles = _number(a, "particles", src, "abc", 100, 10, True)
    proposals = _number(a, "proposals", src, "abc", 300, 10, True)
    if proposals < particles:
        raise InputError(src, f"value {proposals} is not allowed; allowed: an integer >= "
                         f"abc.particles ({particles})", key="abc.proposals")
    seed = _number(doc, "seed", src, "", 1, 0, True)
    return Spec(str(doc.get("name", "posterior")), str(doc.get("description", "")), seed, priors,
                targets, scenarios, _number(h, "waves", src, "history", 3, 0, True),
                _number(h, "points", src, "history", 240, 2 * len(priors) + 2, True),
                _number(h, "cut", src, "history", 3.0, 0.5, False),
                min(_number(h, "rank", src, "history", 2, 1, True), len(targets)),
                particles, proposals, _number(a, "generations", src, "abc", 4, 1, True),
                tuple(arms), _number(hl, "draws", src, "headline", 50, 0, True),
                _number(hl, "replications", src, "headline", 6, 2, True),
                _number(ck, "draws", src, "check", 30, 0, True),
                _number(ck, "replications", src, "check", 2, 1, True), fixed, src, text)


def load_spec(path: str | Path) -> Spec:
    """Read and validate an inference file (./experiments first, else the shipped one)."""
    p = shipped.locate(path, "experiments")
    text, doc = read_toml(p)
    return parse(doc, str(p), text, p.parent)
