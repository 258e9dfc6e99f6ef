"""What the two sides of the page run: any scenario (or a file), a structure change alone, or
a scenario with some switches turned; one seed for both, and settings common to both.

Pure data and words, no UI: the page, the tests and the lesson build `Settings`; this module
says in words what differs between the sides (grouped as `cogov explain` groups its dials),
writes either side as a scenario file and both as `cogov run` commands.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import shlex
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogov_sim.errors import InputError, did_you_mean
from cogov_sim.explain import dials
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, load
from cogov_sim.viz.i18n import dial_name, fmt_value, param_label, scenario_title, short_label, t

SEED_COMMENT = re.compile(r"^#.*--seed (\d+)", re.MULTILINE)

COMMON: tuple[tuple[str, float, float, float], ...] = (
    ("issues.rate", 0.05, 2.0, 0.05),
    ("departments.staff_per_10000", 4, 120, 2),
    ("issues.multi_share", 0.0, 0.8, 0.05),
    ("residents.propensity", 0.02, 0.6, 0.01),
    ("residents.participation_cost", 0.0, 0.95, 0.05),
    ("community.residents", 500, 20_000, 500),
)
"""Sliders common to both sides: (parameter, low, high, step). The ranges are the slider's own
(narrower than the table's), where a community stays meaningful and quick to draw."""

SIDE_SLIDERS: tuple[tuple[str, float, float, float], ...] = (
    ("mechanisms.pooled_fraction", 0.0, 0.8, 0.05),
)
"""Mechanism strengths set per side (like the switches below): (parameter, low, high, step)."""


def mechanism_switches() -> tuple[str, ...]:
    """The registered mechanisms' on/off switches (plug-ins included), in hook order; a
    mechanism whose dial is a share (the pooled team) has a slider instead (SIDE_SLIDERS)."""
    from cogov_sim.mechanisms import registry

    rows = table()
    return tuple(cls.switch for cls in registry().values() if rows[cls.switch].kind == "bool")


@dataclass(frozen=True)
class Side:
    """One side: a scenario and the values changed on top of it."""

    base: Scenario
    overrides: dict[str, Any] = field(default_factory=dict)
    label: tuple[str, str] | None = None
    """Its name (中文, English) when it has one of its own (the lesson's steps)."""

    @classmethod
    def of(cls, name: str | Path, label: tuple[str, str] | None = None, **overrides: Any) -> Side:
        """A shipped scenario by name (or a file), with dotted-key overrides."""
        return cls(load(name), dict(overrides), label)

    def spec(self, common: dict[str, Any] | None = None) -> Scenario:
        """The scenario this side runs: its own overrides, then those common to both sides."""
        values = {**self.overrides, **(common or {})}
        return self.base.with_overrides(values, source="cogov viz") if values else self.base

    def value(self, name: str) -> Any:
        return self.overrides.get(name, self.base.params[name])

    def set(self, name: str, value: Any) -> Side:
        """A copy with one parameter changed (validated against the table now); a named side
        changed by hand is custom, so it loses its name."""
        self.base.with_overrides({name: value}, source="cogov viz")
        return dataclasses.replace(self, overrides={**self.overrides, name: value}, label=None)

    def title(self, lang: str) -> str:
        """Its own name, else the scenario's title, and a structure-only change in words."""
        if self.label:
            return self.label[0] if lang == "zh" else self.label[1]
        base = scenario_title(self.base.name, lang)
        if set(self.overrides) == {"structure"} and self.overrides["structure"] != \
                self.base.params["structure"]:
            return t("structure_only", lang, base=base,
                     structure=fmt_value(self.overrides["structure"], lang))
        return base if not self.overrides else f"{base}（{t('custom_side', lang)}）" \
            if lang == "zh" else f"{base} ({t('custom_side', lang)})"


@dataclass(frozen=True)
class Settings:
    """Everything that defines the two runs on the page."""

    left: Side
    right: Side | None
    """None: one run only (no comparison)."""
    seed: int = 1
    common: dict[str, Any] = field(default_factory=dict)
    reference: Side | None = None
    """Run alongside but not shown as a side: the lesson's 九龙治水, for its running total."""

    @property
    def sides(self) -> list[Side]:
        return [self.left] if self.right is None else [self.left, self.right]

    def specs(self) -> list[Scenario]:
        return [side.spec(self.common) for side in self.sides]

    def reference_spec(self) -> Scenario | None:
        return None if self.reference is None else self.reference.spec(self.common)

    def common_value(self, name: str) -> Any:
        return self.common.get(name, self.left.base.params[name])

    def set_common(self, name: str, value: Any) -> Settings:
        self.left.base.with_overrides({name: value}, source="cogov viz")
        return dataclasses.replace(self, common={**self.common, name: value})

    def with_side(self, i: int, side: Side | None) -> Settings:
        return dataclasses.replace(self, **{"left" if i == 0 else "right": side})

    def side(self, i: int) -> Side:
        return self.sides[i]

    def commands(self) -> list[str]:
        """`cogov run` command lines that reproduce each side."""
        return [command(side, self.seed, self.common) for side in self.sides]


def default_settings(seed: int = 1) -> Settings:
    """九龙治水 (left) against the full reform, 社治委 (right): the page's first view."""
    return Settings(Side.of("fragmented"), Side.of("committee"), seed=seed)


def _toml_value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def command(side: Side, seed: int, common: dict[str, Any] | None = None) -> str:
    """`cogov run SCENARIO --seed S [--set key=value ...]` for one side."""
    values = {**side.overrides, **(common or {})}
    name = side.base.name if side.base.name in _shipped() else (side.base.source or side.base.name)
    parts = ["cogov", "run", name, "--seed", str(seed)]
    for k, v in values.items():
        parts += ["--set", f"{k}={_toml_value(v)}"]
    return shlex.join(parts)


def _shipped() -> set[str]:
    from cogov_sim.scenario import available

    return set(available())


def to_toml(side: Side, seed: int, common: dict[str, Any] | None = None) -> str:
    """A side as a self-contained scenario file, the seed noted in a comment."""
    head = (f"# Saved by `cogov viz` from scenario '{side.base.name}'.\n"
            f"# Replay: cogov run THIS_FILE.toml --seed {seed}\n")
    return head + side.spec(common).to_toml()


def side_from_toml(data: str | bytes, filename: str) -> tuple[Side, int | None]:
    """A side from a scenario file's content, validated like `cogov run`'s, and the seed a
    saved file notes (None when it notes none). Errors name `filename`, not a temporary path."""
    name = Path(filename).name or "scenario.toml"
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(name, "not a UTF-8 text file; allowed: a scenario file (.toml)") \
                from None
    _only_shipped_parent(data, name)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / (name if name.endswith(".toml") else name + ".toml")
        path.write_text(data, encoding="utf-8")
        try:
            sc = load(path)
        except InputError as e:
            raise InputError(name, e.message, e.key) from None
    sc = dataclasses.replace(sc, name=name, source=name)
    m = SEED_COMMENT.search(data)
    return Side(sc), (int(m.group(1)) if m else None)


def bad_parent(text: str) -> str | None:
    """The `extends` of a file's text when it is not a shipped scenario's name (a path, say),
    else None. A loaded file is data only: on a classroom server a path would read the
    server's files."""
    try:
        parent = tomllib.loads(text).get("extends")
    except tomllib.TOMLDecodeError:
        return None  # `load` reports the syntax error with its line
    return None if parent is None or (isinstance(parent, str) and parent in _shipped()) \
        else str(parent)


def _only_shipped_parent(text: str, name: str) -> None:
    parent = bad_parent(text)
    if parent is not None:
        shipped = _shipped()
        raise InputError(name, f"value '{parent}' is not a shipped scenario"
                         f"{did_you_mean(parent, shipped)}; allowed: {', '.join(sorted(shipped))}"
                         " (a loaded file may not name a path)", key="extends")


def side_from_batch(folder: str, run_id: str) -> tuple[Side, int]:
    """Run `run_id` of a batch folder (written by `cogov batch`) as a side, with its seed."""
    from cogov_sim.batch import load_run_spec

    sc, seed = load_run_spec(folder.strip(), run_id.strip())
    return Side(sc), int(seed)


def batch_problem(folder: str, run_id: str) -> tuple[str, dict[str, str]] | None:
    """What is wrong with a batch folder and run id a student typed, as an `i18n` key and its
    fields (so the page says it in its own language, naming the folder or run), or None."""
    folder, run_id = folder.strip(), run_id.strip()
    if not folder:
        return "batch_need_folder", {}
    path = Path(folder)
    if not path.is_dir():
        return "batch_no_folder", {"folder": folder}
    if not (path / "manifest.json").is_file() or not (path / "plan.parquet").is_file():
        return "batch_not_batch", {"folder": folder, "files": "manifest.json / plan.parquet"}
    if not run_id:
        return "batch_need_run", {"folder": folder}
    import pandas as pd

    runs = [str(r) for r in pd.read_parquet(path / "plan.parquet", columns=["run_id"])["run_id"]]
    if run_id not in runs:
        close = difflib.get_close_matches(run_id, runs, n=1) or runs[:1]
        return "batch_no_run", {"folder": folder, "run": run_id, "hint": close[0] if close else ""}
    return None


def parse_seed(text: str | int) -> int:
    """A typed seed (text fields deliver strings) as a non-negative int, or ValueError."""
    if isinstance(text, bool):
        raise ValueError(text)
    value = int(str(text).strip())
    if value < 0:
        raise ValueError(text)
    return value


def differences(settings: Settings, lang: str, limit: int = 12) -> list[str]:
    """What the right side changes relative to the left, in words, grouped as `cogov explain`
    groups its dials (the structure, each mechanism with the parameters behind it, then each
    other parameter); plus a different schedule of [[change]] blocks. Empty with one side."""
    if settings.right is None:
        return []
    a, b = settings.specs()
    out = []
    for d in dials(a, b):
        if d.key == "structure":
            out.append(f"{dial_name('structure', lang)}：{fmt_value(a.params['structure'], lang)}"
                       f" → {fmt_value(b.params['structure'], lang)}" if lang == "zh" else
                       f"{dial_name('structure', lang)}: {fmt_value(a.params['structure'], lang)}"
                       f" → {fmt_value(b.params['structure'], lang)}")
            continue
        switch, *rest = d.change
        sep = "：" if lang == "zh" else ": "
        name = dial_name(d.key, lang) if d.key in _dial_keys() else param_label(switch, lang)
        behind = [f"{short_label(k, lang)} {fmt_value(a.params[k], lang)} → "
                  f"{fmt_value(b.params[k], lang)}" for k in rest]
        extra = (f"（{'，'.join(behind)}）" if lang == "zh" else f" ({', '.join(behind)})") \
            if behind else ""
        out.append(f"{name}{sep}{fmt_value(a.params[switch], lang)} → "
                   f"{fmt_value(b.params[switch], lang)}{extra}")
    if [(c.day, c.values) for c in a.changes] != [(c.day, c.values) for c in b.changes]:
        days = sorted({c.day for c in (*a.changes, *b.changes)})
        out.append(("按日程变更：第 " + "、".join(map(str, days)) + " 天") if lang == "zh" else
                   "scheduled changes on day " + ", ".join(map(str, days)))
    if len(out) > limit:
        out = out[:limit] + [t("diff_more", lang, n=len(out) - limit)]
    return out


def _dial_keys() -> set[str]:
    from cogov_sim.viz.i18n import DIALS

    return set(DIALS)
