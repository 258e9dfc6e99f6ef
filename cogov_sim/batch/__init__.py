"""Scenario batches: many seeded runs, on local processes or a Dask cluster, into a
crash-safe, resumable results folder (see docs/batch.md).

Modules, one job each: `experiment` (read and validate ``experiments/*.toml``), `plan` (the
fixed, ordered list of runs with their ids and seeds), `worker` (run a chunk of runs),
`executors` (serial, local processes, Dask), `store` (the results folder), `runner` (tie
them together), `report` (tables and plots from a folder), `cli` (``cogov batch``,
``cogov report``).

**Any model function.** The engine runs ``fn(overrides: dict, seed: int, **context)``
returning ``dict[str, float]`` (or an `Outcome` with tables as well); cogov's own model
(`models.cogov`, wrapping `cogov_sim.api.run`) is the default. ``context`` holds
``scenario`` and ``keep``; a plain function ignores it with ``**_``. A function may declare
its inputs as ``fn.params = {name: (low, high)}`` so experiments naming it are validated.
Name it in an experiment file as ``model = "package.module:function"``, or pass it to
`evaluate` directly. A sensitivity analysis with SALib, on the Ishigami function::

    from SALib.sample import saltelli
    from SALib.analyze import sobol
    from cogov_sim.batch import evaluate, executors
    from cogov_sim.batch.models import ishigami

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-3.14159, 3.14159]] * 3}
    X = saltelli.sample(problem, 1024)
    df = evaluate(ishigami, [dict(zip(problem["names"], x)) for x in X],
                  executor=executors.make(workers=2))
    Si = sobol.analyze(problem, df["y"].to_numpy())

The same with cogov's model: ``evaluate("cogov", points, scenario="committee",
replications=5)``; rows come back ordered by point, then replication.
"""

from __future__ import annotations

from .experiment import Experiment, load_experiment
from .models import Outcome, ishigami
from .plan import Plan, Run, expand
from .runner import BatchResult, evaluate, require_ok, run_batch
from .store import load_run_spec, read_runs

__all__ = ["BatchResult", "Experiment", "Outcome", "Plan", "Run", "evaluate", "expand", "ishigami",
           "load_experiment", "load_run_spec", "read_runs", "require_ok", "run_batch"]
