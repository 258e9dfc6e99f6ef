"""Scenario files: load TOML, follow `extends`, apply overrides, validate against the table.

A scenario is a complete, validated set of parameter values plus an optional timeline of
mid-run changes (`[[change]]`, e.g. the reform switching structure at a given day).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogov_sim import shipped
from cogov_sim.errors import InputError, did_you_mean, safe_name, show
from cogov_sim.params import Param, defaults, table

META_KEYS = ("name", "description", "extends", "change")
DEFAULT_SCENARIO = "committee"
"""What `api.run` runs when no scenario is named."""


@dataclass(frozen=True)
class Change:
    """Parameter values that take effect at the start of a given day."""

    day: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: every parameter's value, where it came from, and its timeline."""

    name: str
    description: str
    params: dict[str, Any]
    changes: tuple[Change, ...] = ()
    source: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    @property
    def hash(self) -> str:
        """Content hash of the effective parameters and timeline (not of comments)."""
        blob = json.dumps(
            {"params": self.params, "changes": [[c.day, c.values] for c in self.changes]},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_overrides(self, values: dict[str, Any], source: str = "--set") -> Scenario:
        """A copy with some values replaced, validated like a file's."""
        checked = {k: validate_value(k, v, source) for k, v in values.items()}
        sc = Scenario(
            self.name,
            self.description,
            {**self.params, **checked},
            self.changes,
            self.source,
            {**self.overrides, **checked},
        )
        _check_consistency(sc, source)
        return sc

    def late_changes(self) -> list[int]:
        """Days of `[[change]]` blocks at or after the run's end: they never take effect."""
        return sorted({c.day for c in self.changes if c.day >= self.params["run.days"]})

    def effective(self) -> dict[str, Any]:
        """The parameters the model uses: in queueing mode, degenerate values are forced."""
        return effective_params(self.params)

    def to_toml(self) -> str:
        """The scenario as a self-contained TOML file (every value explicit)."""
        lines = [f"name = {_toml_value(self.name)}",
                 f"description = {_toml_value(self.description)}", ""]
        lines.append(f'structure = "{self.params["structure"]}"')
        section = None
        for key in sorted(k for k in self.params if "." in k):
            sec, leaf = key.split(".", 1)
            if sec != section:
                lines += ["", f"[{sec}]"]
                section = sec
            lines.append(f"{leaf} = {_toml_value(self.params[key])}")
        for c in self.changes:
            lines += ["", "[[change]]", f"day = {c.day}"]
            lines += [f'"{k}" = {_toml_value(v)}' for k, v in c.values.items()]
        return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return repr(v)


def effective_params(params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("mode.queueing"):
        return dict(params)
    tab = table()
    return {k: (tab[k].degenerate if tab[k].degenerate is not None else v)
            for k, v in params.items()}


# --- finding scenario files -----------------------------------------------------------------


def scenario_dirs() -> list[tuple[Path, str]]:
    """Where scenario names are looked up, first found wins, each with how `cogov scenarios`
    labels it: the folders on $COGOV_SCENARIO_PATH, then ./scenarios (e.g. made by `cogov
    init`), then the scenarios shipped in the package. A folder met twice counts once."""
    env = os.environ.get("COGOV_SCENARIO_PATH", "")
    dirs = [(Path(p), "$COGOV_SCENARIO_PATH") for p in env.split(os.pathsep) if p]
    dirs += [(Path.cwd() / "scenarios", "./scenarios"), (shipped.folder("scenarios"), "shipped")]
    by_place: dict[Path, tuple[Path, str]] = {}
    for d, label in dirs:
        if d.is_dir():
            by_place.setdefault(d.resolve(), (d, label))
    shipped_place = shipped.folder("scenarios").resolve()
    return [(d, "shipped" if place == shipped_place else label)
            for place, (d, label) in by_place.items()]


def origins() -> dict[str, tuple[Path, str]]:
    """Scenario name -> (file, where it was found), first found wins."""
    found: dict[str, tuple[Path, str]] = {}
    for d, label in scenario_dirs():
        for f in sorted(d.glob("*.toml")):
            found.setdefault(f.stem, (f, label))
    return found


def available() -> dict[str, Path]:
    """Scenario name -> file, first found wins."""
    return {name: f for name, (f, _) in origins().items()}


def find(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name or a path to a file, or raise InputError."""
    p = Path(name_or_path)
    candidates = []
    if relative_to is not None:
        candidates += [relative_to / p, relative_to / f"{p}.toml"]
    candidates += [p] if p.suffix == ".toml" or p.exists() else []
    for c in candidates:
        if c.is_file():
            return c
    names = available()
    if str(name_or_path) in names:
        return names[str(name_or_path)]
    if p.suffix == ".toml" or "/" in str(name_or_path):
        raise InputError(str(name_or_path), "file not found")
    listing = ", ".join(names) or "none found"
    raise InputError(
        "",
        f"no scenario named '{name_or_path}'{did_you_mean(str(name_or_path), names)}; "
        f"scenarios: {listing}",
    )


# --- loading and validation ------------------------------------------------------------------


def load(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a scenario by name or path, resolving `extends` chains, and validate it."""
    path = find(name_or_path)
    raw, changes, description = _load_chain(path, [])
    params = dict(defaults())
    params.update(raw)
    sc = Scenario(
        name=_name_of(path),
        description=description,
        params=params,
        changes=tuple(sorted(changes, key=lambda c: c.day)),
        source=str(path),
    )
    _check_consistency(sc, str(path))
    if overrides:
        sc = sc.with_overrides(overrides)
    return sc


SCENARIO_FILES = "files of a results folder (scenarios/NAME.toml, issues/scenario=NAME/)"


def scenario_name(name: Any, src: str) -> str:
    """A scenario's name, safe as the file and folder names a batch gives its results."""
    return safe_name(name, src, names=SCENARIO_FILES)


def _name_of(path: Path) -> str:
    """The `name` a scenario file gives, or its file name's stem (which holds no separator)."""
    doc = _read(path)
    if "name" in doc or path.stem.startswith("."):
        return scenario_name(doc.get("name", path.stem), str(path))
    return path.stem


def from_dict(values: dict[str, Any], name: str = "custom", source: str = "<dict>") -> Scenario:
    """A scenario from defaults plus dotted-key values (for notebooks and tests)."""
    scenario_name(name, source)
    checked = {k: validate_value(k, v, source) for k, v in values.items()}
    sc = Scenario(name, "", {**defaults(), **checked}, source=source)
    _check_consistency(sc, source)
    return sc


def read_toml(path: str | Path) -> tuple[str, dict[str, Any]]:
    """A TOML file's text and document; a missing, unreadable or malformed file is one
    InputError naming it. Shared by scenario, experiment, sweep and calibration files."""
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "file not found")
    try:
        text = p.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(str(p), f"cannot read file ({getattr(e, 'strerror', None) or e})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(str(p), f"not valid TOML: {e}") from None


def _read(path: Path) -> dict[str, Any]:
    return read_toml(path)[1]


def _load_chain(path: Path, seen: list[Path]) -> tuple[dict[str, Any], list[Change], str]:
    if path.resolve() in seen:
        chain = " -> ".join(str(p) for p in [*seen, path.resolve()])
        raise InputError(str(path), f"'extends' loops back on itself: {chain}", key="extends")
    doc = _read(path)
    src = str(path)
    base: dict[str, Any] = {}
    changes: list[Change] = []
    description = ""
    if "extends" in doc:
        parent = doc["extends"]
        if not isinstance(parent, str):
            raise InputError(src, f"value {show(parent)} is not a scenario name", key="extends")
        try:
            parent_path = find(parent, relative_to=path.parent)
        except InputError as e:
            raise InputError(src, e.message, key="extends") from None
        base, changes, description = _load_chain(parent_path, [*seen, path.resolve()])
    for key in doc:
        if key not in META_KEYS and not isinstance(doc[key], dict) and key not in table():
            _unknown(src, key)
    if "description" in doc:
        if not isinstance(doc["description"], str):
            raise InputError(src, "must be a string", key="description")
        description = doc["description"]
    if "name" in doc and not isinstance(doc["name"], str):
        raise InputError(src, f"value {show(doc['name'])} has the wrong type; allowed: a string",
                         key="name")
    own = {k: validate_value(k, v, src) for k, v in flatten(
        {k: v for k, v in doc.items() if k not in META_KEYS}).items()}
    if "change" in doc:
        changes = [_parse_change(c, src) for c in _as_list(doc["change"], src)]
    return {**base, **own}, changes, description


def _as_list(v: Any, src: str) -> list[dict[str, Any]]:
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise InputError(src, "must be an array of tables: write [[change]] blocks", key="change")
    return v


def _parse_change(entry: dict[str, Any], src: str) -> Change:
    if "day" not in entry:
        raise InputError(src, "a [[change]] block needs a 'day'", key="change.day")
    day = entry["day"]
    if isinstance(day, bool) or not isinstance(day, int) or day < 1:
        raise InputError(src, f"value {show(day)} is not allowed; expected an integer >= 1",
                         key="change.day")
    values = {}
    for k, v in flatten({k: v for k, v in entry.items() if k != "day"}).items():
        v = validate_value(k, v, src)
        if not table()[k].live:
            live = [n for n, p in table().items() if p.live]
            raise InputError(src, "cannot change mid-run; parameters a [[change]] may set: "
                             + ", ".join(live), key=f"change.{k}")
        values[k] = v
    return Change(day, values)


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables as dotted keys: {"a": {"b": 1}} -> {"a.b": 1}."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _unknown(src: str, key: str) -> None:
    raise InputError(src, f"unknown parameter{did_you_mean(key, table())}; "
                     "`cogov params` lists them all", key=key)


def validate_value(key: str, value: Any, src: str) -> Any:
    """Check one value against the table; return it normalised (ints as float where due)."""
    tab = table()
    if key not in tab:
        _unknown(src, key)
    p: Param = tab[key]
    given = value

    def bad(why: str) -> InputError:
        return InputError(src, f"value {show(given)} {why}; allowed: {p.allowed()}", key=key)

    if p.kind == "bool":
        if not isinstance(value, bool):
            raise bad("has the wrong type")
        return value
    if p.kind == "choice":
        if not isinstance(value, str):
            raise bad("has the wrong type")
        if value not in p.choices:
            raise InputError(src, f"value {show(value)} is not allowed{did_you_mean(value, p.choices)};"
                             f" allowed: {p.allowed()}", key=key)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad("has the wrong type")
    if p.kind == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise bad("is not an integer")
            value = int(value)
    else:
        value = float(value)
    if value != value or (p.low is not None and value < p.low) or (
        p.high is not None and value > p.high
    ):
        raise bad("is out of range")
    return value


def _check_consistency(sc: Scenario, src: str) -> None:
    """Cross-parameter rules the table's per-row ranges cannot express."""
    days = sc.params["run.days"]
    if sc.params["run.warmup_days"] >= days:
        warm = sc.params["run.warmup_days"]
        raise InputError(src, f"value {warm} must be below run.days ({days}): nothing after the "
                         f"warm-up would be measured; allowed: run longer than {warm} days (e.g. "
                         f"--days {int(warm) + 30}) or shorten the warm-up "
                         f"(--set run.warmup_days=N, N < {days})", key="run.warmup_days")


def check_box(sc: Scenario, box: dict[str, list[Any]], src: str, where: str = "") -> None:
    """Refuse a range (a sweep's bounds, EMA's parameters) under which the scenario becomes
    invalid somewhere, before any run: each parameter's extremes alone, then, for up to 10
    parameters (1,024 corners), every corner of the box (the cross-parameter rules are monotone
    in each parameter, so corners are where they break)."""
    def attempt(values: dict[str, Any], key: str | None) -> None:
        try:
            sc.with_overrides(values, source=src)
        except InputError as e:
            at = ", ".join(f"{k} = {show(v)}" for k, v in values.items())
            raise InputError(src, f"lets scenario '{sc.name}' become invalid at {at}: "
                             f"{e.message}; narrow the range", key=key) from None

    for k, values in box.items():
        for v in values:
            attempt({k: v}, f"{where}.{k}" if where else k)
    if 1 < len(box) <= 10:
        for corner in itertools.product(*box.values()):
            attempt(dict(zip(box, corner, strict=True)), None)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse one `--set key=value`; the value is read as TOML (so `true`, `3`, `"x"`)."""
    if "=" not in text:
        raise InputError("--set", f"'{text}' is not key=value")
    key, raw = (s.strip() for s in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value
