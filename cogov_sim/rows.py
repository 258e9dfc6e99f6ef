"""A row of the parameter table: `Param`, its shorthand `P`, and the sources several rows
cite. Core, mechanisms and structures all declare their rows with these (`params.table()`
gathers them), so this module imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("int", "float", "bool", "choice")


@dataclass(frozen=True)
class Param:
    """One parameter: its type, default, unit, allowed range and bilingual description."""

    name: str
    kind: str
    default: Any
    unit: str
    en: str
    zh: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    live: bool = False
    """May change mid-run through a scenario's `[[change]]` timeline."""
    degenerate: Any = None
    """Value forced in the queueing (degenerate) mode; None leaves it alone."""
    source: str = ""

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0] if "." in self.name else ""

    def allowed(self) -> str:
        """The allowed values, in words, for messages and docs."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        return f"{'an integer' if self.kind == 'int' else 'a number'} in [{lo}, {hi}]"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def P(name: str, kind: str, default: Any, unit: str, en: str, zh: str, **kw: Any) -> Param:
    """Shorthand constructor used by the table below and by structure modules."""
    return Param(name, kind, default, unit, en, zh, **kw)


CALIBRATED = ("Calibrated by `cogov calibrate` (experiments/calibrate.toml, seed 2021; "
              "results/calibrate/calibration.json; docs/validation.md) to ")
CALIBRATED_PIPELINE = CALIBRATED + "Chengdu 12345's reply time and NYC 311's skew"
CALIBRATED_BEIJING = CALIBRATED + "Beijing's resolution rate, 53% -> 74% in nine months"
CALIBRATED_PARTICIPATION = CALIBRATED + "Jianyang's volunteers and self-organisations (seed 003)"
