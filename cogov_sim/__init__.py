"""cogov-sim: agent-based simulation of multi-actor community co-governance."""

from cogov_sim.api import Comparison, RunResult, __version__, compare, load_scenario, run
from cogov_sim.model import CoGovModel
from cogov_sim.scenario import Scenario

__all__ = ["CoGovModel", "Comparison", "RunResult", "Scenario", "__version__", "compare",
           "load_scenario", "run"]
