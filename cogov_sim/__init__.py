"""cogov-sim: agent-based simulation of multi-actor community co-governance."""

from cogov_sim.api import Comparison, RunResult, __version__, compare, load_scenario, run
from cogov_sim.model import CoGovModel
from cogov_sim.scenario import Scenario

__all__ = ["CoGovModel", "Comparison", "RunResult", "Scenario", "__version__", "compare",
           "load_scenario", "run"]


def __getattr__(name: str):  # noqa: ANN202 -- module-level lazy attribute
    """`cogov_sim.batch` without importing it first (the README's API example); loaded on
    first use, so `import cogov_sim` stays light."""
    if name == "batch":
        import importlib

        return importlib.import_module("cogov_sim.batch")
    raise AttributeError(f"module 'cogov_sim' has no attribute '{name}'")
