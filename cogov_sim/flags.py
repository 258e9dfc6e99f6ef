"""Small pieces every `cogov` subcommand shares: the source tree's commit for provenance, JSON
that survives NaN, `--set` values, and integer flags with the project's limits. Their own module,
so a subsystem's command-line module needs no import of `cli` (which imports them back)."""

from __future__ import annotations

import argparse
import math
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cogov_sim.errors import MAX_SEED, MOST_RUNS
from cogov_sim.scenario import parse_assignment


def git_commit() -> str | None:
    """The source tree's commit, when the package runs from a git checkout."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                "cogov_sim"], capture_output=True, text=True,
                               timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() + ("+dirty" if dirty else "")) if out.returncode == 0 else None


def json_safe(x: Any) -> Any:
    """JSON-safe: NaN becomes null."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_safe(v) for v in x]
    return x


def set_values(items: list[str] | None) -> dict[str, Any]:
    """The `--set KEY=VALUE` options as a dict (values read as TOML)."""
    return dict(parse_assignment(s) for s in items or [])


def int_at_least(name: str, low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from low to high, with a message naming the option. The
    default high is the project's one limit on counts (MOST_RUNS; MAX_SEED for --seed)."""
    high = high if high is not None else MAX_SEED if name == "--seed" else MOST_RUNS
    allowed = f"an integer from {low} to {high:,}" if high >= 10**6 else \
        f"an integer from {low} to {high}"

    def check(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: value '{text}' is not an integer; "
                                             f"allowed: {allowed}") from None
        if not low <= v <= high:
            raise argparse.ArgumentTypeError(f"{name}: value {v} is out of range; allowed: {allowed}")
        return v
    return check
