"""The "why is it faster" view's data: the Shapley decomposition `cogov explain` wrote for a
pair of scenarios (results/explain-A-B/explain.json), when one exists for the two sides."""

from __future__ import annotations

from functools import cache

from cogov_sim import shipped
from cogov_sim.errors import InputError
from cogov_sim.explain import Explanation, load_result
from cogov_sim.viz.sides import Settings

METRIC = "resolution_rmst_days"
"""The waterfall's measure: README's headline, the restricted mean over every issue."""


def pair(settings: Settings) -> tuple[str, str] | None:
    """The two scenario names when both sides run a scenario as shipped, else None."""
    if settings.right is None or settings.left.overrides or settings.right.overrides \
            or settings.common:
        return None
    return settings.left.base.name, settings.right.base.name


@cache
def explanation(a: str, b: str) -> Explanation | None:
    """The stored decomposition from scenario a to b, or None when there is none."""
    path = shipped.locate(f"results/explain-{a}-{b}/explain.json", "results")  # ./ or shipped
    if not path.is_file():
        return None
    try:
        ex, _stale = load_result(path)
    except InputError:
        return None
    return ex if METRIC in ex.metrics else None


def command(a: str, b: str) -> str:
    """The command that makes the decomposition for a pair."""
    return f"cogov explain {a} {b} --out results/explain-{a}-{b}"
