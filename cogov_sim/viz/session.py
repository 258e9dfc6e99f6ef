"""The visualiser's controller: settings -> runs -> frames. No UI code, so it is testable and
measurable on its own, and the Solara page stays a thin layer of controls over it."""

from __future__ import annotations

import dataclasses
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cogov_sim.errors import InputError
from cogov_sim.model import CoGovModel
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, load
from cogov_sim.structures import registry
from cogov_sim.viz.draw import ChartsView, FlowView, NetworkView, Track
from cogov_sim.viz.i18n import structure_name
from cogov_sim.viz.layout import layout_for

# Sliders a student gets: (parameter, low, high, step). The table allows wider ranges (shown as
# help); these are the ranges where a 5,000-resident community stays meaningful and quick.
KEY_PARAMS: tuple[tuple[str, float, float, float], ...] = (
    ("issues.rate", 0.05, 2.0, 0.05),
    ("departments.staff", 2, 60, 1),
    ("mechanisms.pooled_fraction", 0.0, 0.8, 0.05),
    ("issues.multi_share", 0.0, 0.8, 0.05),
    ("residents.propensity", 0.02, 0.6, 0.01),
    ("residents.participation_cost", 0.0, 0.95, 0.05),
    ("supervision.deadline_days", 0.5, 20.0, 0.5),
    ("community.residents", 500, 20_000, 500),
)


def sliders(structure: str) -> list[tuple[str, float, float, float]]:
    """The general sliders, then the structure's own key parameters (`Structure.key_params`),
    over the table's range capped at four times the default."""
    out = list(KEY_PARAMS)
    for name in registry()[structure].key_params:
        p = table()[name]
        low = p.low if p.low is not None else 0.0
        high = p.high if p.high is not None else 4 * p.default
        if p.default and p.default > 0:
            high = min(high, max(4 * p.default, low + 1))
        step = 1 if p.kind == "int" else round((high - low) / 40, 3) or 0.001
        out.append((name, low, high, step))
    return out


MECHANISMS: tuple[str, ...] = tuple(
    n for n, p in table().items() if n.startswith("mechanisms.") and p.kind == "bool")
SEED_COMMENT = re.compile(r"^#.*--seed (\d+)", re.MULTILINE)


def parse_seed(text: str | int) -> int:
    """A typed seed (text fields deliver strings) as a non-negative int, or ValueError."""
    if isinstance(text, bool):
        raise ValueError(text)
    value = int(str(text).strip())
    if value < 0:
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run shown in the app."""

    base: Scenario
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    compare: str | None = None
    """The right-hand structure in side-by-side mode (None: one run)."""

    def spec(self) -> Scenario:
        return self.base.with_overrides(self.overrides, source="cogov viz") if self.overrides \
            else self.base

    def specs(self) -> list[Scenario]:
        """One scenario, or two that differ only in their structure."""
        sc = self.spec()
        if self.compare is None:
            return [sc]
        return [sc, sc.with_overrides({"structure": self.compare}, source="cogov viz")]

    def value(self, name: str) -> Any:
        return self.overrides.get(name, self.base.params[name])

    def set(self, name: str, value: Any) -> Settings:
        """A copy with one parameter changed (validated against the table)."""
        self.base.with_overrides({name: value}, source="cogov viz")
        return dataclasses.replace(self, overrides={**self.overrides, name: value})

    def to_toml(self) -> str:
        """The current settings as a self-contained scenario file, the seed in a comment."""
        sc = self.spec()
        head = (f"# Saved by `cogov viz` from scenario '{self.base.name}'.\n"
                f"# Replay: cogov run THIS_FILE.toml --seed {self.seed}\n")
        return head + sc.to_toml()


def settings_from_toml(text: str | bytes, filename: str = "scenario.toml") -> Settings:
    """Settings from a scenario file's content (validated like `cogov run`'s); a seed noted
    by `to_toml` is restored."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / Path(filename).name
        if path.suffix != ".toml":
            path = path.with_suffix(".toml")
        path.write_text(text, encoding="utf-8")
        sc = load(path)
    sc = dataclasses.replace(sc, source=Path(filename).name)
    m = SEED_COMMENT.search(text)
    return Settings(sc, seed=int(m.group(1)) if m else 1)


def batch_loader() -> Callable[[str, str], tuple[Scenario, int]] | None:
    """`cogov_sim.batch.load_run_spec` when that subsystem is installed, else None."""
    try:
        from cogov_sim.batch import load_run_spec
    except ImportError:
        return None
    return load_run_spec


@dataclass
class Frame:
    """What the page shows after a step: PNG images and counters."""

    day: int
    days: int
    images: dict[str, bytes]
    frame_ms: float
    step_ms: float
    running: bool


class Session:
    """The live run(s) for one set of settings, and their views (built once per language)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tracks: list[Track] = []
        for sc in settings.specs():
            model = CoGovModel(sc, rng=settings.seed)
            track = Track(structure_name(sc["structure"], "en"), model, [])
            track.record()
            self.tracks.append(track)
        self.layout = layout_for(self.tracks[0].model.net)
        self._views: dict[tuple[str, str], tuple[list[NetworkView], list[FlowView], ChartsView]] = {}
        self._lock = threading.Lock()
        self._step_ms = 0.0

    @property
    def models(self) -> list[CoGovModel]:
        return [tr.model for tr in self.tracks]

    @property
    def day(self) -> int:
        return int(round(self.tracks[0].model.time))

    @property
    def running(self) -> bool:
        return all(m.time < m.days for m in self.models)

    def step(self, days: int = 1) -> None:
        """Advance every run by `days` days (together), stopping at the horizon."""
        with self._lock:
            t0 = time.perf_counter()
            for _ in range(days):
                if not self.running:
                    break
                for tr in self.tracks:
                    tr.model.step()
                    tr.record()
            self._step_ms = (time.perf_counter() - t0) * 1000

    def _views_for(self, lang: str, colour_by: str):
        key = (lang, colour_by)
        if key not in self._views:
            nets = [NetworkView(self.layout, m, lang, colour_by) for m in self.models]
            flows = [FlowView(m, lang) for m in self.models]
            labels = [structure_name(m.structure.name, lang) for m in self.models]
            self._views[key] = (nets, flows, ChartsView(labels, lang))
        return self._views[key]

    def render(self, lang: str = "zh", colour_by: str = "propensity") -> Frame:
        """Draw every view for today. Frame time = the last step plus this drawing (views are
        built once per language and colouring, outside the timing)."""
        with self._lock:
            nets, flows, charts = self._views_for(lang, colour_by)
            for i, m in enumerate(self.models):  # a [[change]] switched structure mid-run
                if nets[i].structure != m.structure.name:
                    nets[i] = NetworkView(self.layout, m, lang, colour_by)
            t0 = time.perf_counter()
            images = {}
            for i, m in enumerate(self.models):
                images[f"network{i}"] = nets[i].update(m)
                images[f"flow{i}"] = flows[i].update(m)
            images["charts"] = charts.update(self.tracks)
            draw_ms = (time.perf_counter() - t0) * 1000
            m0 = self.models[0]
            return Frame(self.day, m0.days, images, self._step_ms + draw_ms, self._step_ms,
                         self.running)

    def advance(self, days: int = 1, lang: str = "zh", colour_by: str = "propensity") -> Frame:
        self.step(days)
        return self.render(lang, colour_by)


def initial_settings(scenario: str | Path = "fragmented", seed: int | None = None) -> Settings:
    """Settings for a scenario name or file (a seed noted in the file is used unless `seed` is
    given); InputError if it cannot be loaded."""
    sc = load(scenario)
    if seed is None:
        path = Path(scenario)
        text = path.read_text(encoding="utf-8") if path.suffix == ".toml" and path.is_file() else ""
        m = SEED_COMMENT.search(text)
        seed = int(m.group(1)) if m else 1
    return Settings(sc, seed=seed)


__all__ = ["KEY_PARAMS", "MECHANISMS", "sliders", "Frame", "InputError", "Session", "Settings",
           "batch_loader", "initial_settings", "parse_seed", "settings_from_toml"]
