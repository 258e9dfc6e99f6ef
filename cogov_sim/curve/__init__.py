"""`cogov curve`: the answer as a curve over load (or any numeric dial).

Modules, one job each: `inputs` (scenarios, dial and values, validated before any run),
`compute` (paired runs at each value and the tidy table), `verdict` (where B stops being
better than A), `figure` (the plot), `cli` (the command).
"""

from __future__ import annotations

from .compute import METRICS, Curve, curve, curve_table
from .verdict import Verdict, verdict

__all__ = ["METRICS", "Curve", "Verdict", "curve", "curve_table", "verdict"]
