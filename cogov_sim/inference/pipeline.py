"""`cogov infer`'s pipeline: history matching, then ABC-SMC, then the posterior folder.

Every stage (a wave, a generation) is a batch of the pattern runs
(`cogov_sim.validation.runs.pattern_run`, one run per scenario and parameter set, each with
its own seed) stored under ``DIR/stages/NAME/`` by the batch engine. Designs and proposals
are fixed by the file's seed and the earlier stages' stored results, so a killed pipeline
run again with the same file replays the finished stages from disk and resumes the
unfinished one where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import __version__
from cogov_sim.batch import Experiment, read_runs, run_batch
from cogov_sim.batch.executors import Executor
from cogov_sim.batch.progress import Progress
from cogov_sim.validation import patterns as pat

from . import abc, headline, history, posterior, predictive
from .spec import Spec

MODEL = "cogov_sim.validation.runs:pattern_run"
ABC_STAGE = 100
"""Stage numbers of ABC generations start here (seeds differ from the waves')."""
CHECK_STAGE = 900


def box(spec: Spec) -> history.Box:
    """The prior box of the spec's parameters."""
    return history.Box(spec.keys, np.array([p.low for p in spec.priors.values()]),
                       np.array([p.high for p in spec.priors.values()]))


def stage_seed(master: int, stage: int) -> int:
    """A stage's master seed, independent of every other stage's."""
    return int(np.random.SeedSequence([master, stage]).generate_state(1, dtype=np.uint32)[0])


def target_values(runs: pd.DataFrame, targets: tuple[pat.Pattern, ...], points: int
                  ) -> pd.DataFrame:
    """One row per point, one column per target: the pattern's measure in its scenario's run,
    averaged over replications (NaN where every run failed)."""
    out = pd.DataFrame(index=pd.RangeIndex(points, name="point"))
    ok = runs[runs["status"] == "ok"]
    for p in targets:
        rows = ok[ok["scenario"] == p.scenario].groupby("point")[p.measure].mean()
        out[p.name] = rows.reindex(out.index).to_numpy(float)
    return out


class Stages:
    """Runs the pipeline's stages through the batch engine into ``DIR/stages/``."""

    def __init__(self, spec: Spec, out: Path, executor: Executor, git: str | None,
                 say: Callable[[str], None], interval: float = 10.0) -> None:
        self.spec, self.out, self.executor, self.git, self.say = spec, out, executor, git, say
        self.interval = interval
        self.runs = 0
        self.ran = 0

    def run(self, stage: str, number: int, points: list[dict[str, float]],
            scenarios: dict[str, Any], replications: int = 1) -> pd.DataFrame:
        """Every run of a stage (each point, scenario and replication with its own seed)."""
        exp = Experiment(f"{self.spec.name}-{stage}", f"{self.spec.description} ({stage})",
                         MODEL, dict(scenarios), replications, stage_seed(self.spec.seed, number),
                         {}, ("summary",), points=tuple(points), source=self.spec.source,
                         text=self.spec.text, independent=True)
        n = len(points) * len(scenarios) * replications
        progress = Progress(n, interval=self.interval)
        try:
            res = run_batch(exp, self.out / "stages" / stage, self.executor, git=self.git,
                            progress=progress)
        finally:
            progress.close()
        self.runs += n
        self.ran += res.ok + res.failed
        if res.failed:
            self.say(f"{stage}: {res.failed} of {n} runs failed (their measures count as missing)")
        runs = res.runs if res.runs is not None else read_runs(self.out / "stages" / stage)
        return runs[runs["status"] == "ok"]

    def __call__(self, stage: str, number: int, points: list[dict[str, float]]) -> pd.DataFrame:
        """The targets' values at `points` (one run per scenario each)."""
        runs = self.run(stage, number, points, self.spec.scenarios)
        return target_values(runs, self.spec.targets, len(points))


def infer(spec: Spec, out: Path, executor: Executor, git: str | None = None,
          say: Callable[[str], None] = print) -> dict[str, Any]:
    """History matching, then ABC-SMC; writes the posterior folder and returns its record."""
    t0 = time.perf_counter()
    b = box(spec)
    d = len(b.keys)
    stages = Stages(spec, out, executor, git, say)
    out.mkdir(parents=True, exist_ok=True)
    before = json.loads((out / posterior.META).read_text()) if (out / posterior.META).exists() \
        else {}
    number = iter(range(1, 10_000))

    def simulate(stage: str, points: list[dict[str, float]]) -> pd.DataFrame:
        return stages(stage, next(number), points)

    waves, hm_log = history.match(b, spec.targets, simulate, spec.waves, spec.points, spec.cut,
                                  spec.rank, spec.seed, say)
    t_hm = time.perf_counter() - t0
    rng = np.random.default_rng(stage_seed(spec.seed, ABC_STAGE - 1))
    start, share = history.sample_region(waves, d, spec.proposals, rng, spread=False)
    number = iter(range(ABC_STAGE, ABC_STAGE + 10_000))

    def distances(stage: str, U: np.ndarray) -> np.ndarray:
        Y = simulate(stage, b.points(b.scale(U)))
        return np.array([pat.distance(row, spec.targets) for row in Y.to_dict("records")])

    last, abc_log = abc.smc(d, distances, lambda U: history.not_implausible(waves, U), start,
                            spec.particles, spec.proposals, spec.generations,
                            stage_seed(spec.seed, ABC_STAGE - 2), say)
    X = b.scale(last.U)
    particles = pd.DataFrame({"particle": range(len(X)), "weight": last.weights,
                              **{k: X[:, j] for j, k in enumerate(b.keys)},
                              "distance": last.distances})
    table = abc.summary(last.U, last.weights, b.keys, b.low, b.high)
    wall = time.perf_counter() - t0
    meta = {
        "name": spec.name, "description": spec.description, "cogov_sim": __version__,
        "file": spec.source, "file_sha256": hashlib.sha256(spec.text.encode()).hexdigest(),
        "git": git, "seed": spec.seed,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {k: {"low": p.low, "high": p.high, "source": p.source}
                       for k, p in spec.priors.items()},
        "targets": {p.name: {"band": [p.low, p.high], "scale": p.scale, "scenario": p.scenario,
                             "measure": p.measure} for p in spec.targets},
        "scenarios": {n: {"file": sc.source, "hash": sc.hash} for n, sc in spec.scenarios.items()},
        "set": spec.fixed,
        "history": {"waves": hm_log, "cut": spec.cut, "rank": spec.rank,
                    "region": share},
        "abc": {"generations": abc_log, "particles": spec.particles,
                "proposals": spec.proposals, "ess": last.ess, "epsilon": last.epsilon},
        "summary": table.to_dict("records"),
        "runs": stages.runs, "ran_now": stages.ran,
        "timing": {"history_s": round(t_hm, 1), "abc_s": round(wall - t_hm, 1)},
    }
    posterior.write(out, particles, meta)
    t1 = time.perf_counter()
    post = posterior.read(out)  # the CSV's values, as `cogov compare --posterior` reads them
    if spec.check_draws:
        check = predictive.check(post, stages, spec.check_draws, spec.check_replications,
                                 stage_seed(spec.seed, CHECK_STAGE), spec.scenario)
        check.to_csv(out / predictive.CSV, index=False, float_format="%.6g")
        meta["predictive"] = predictive.counts(check, predictive.GROUPS)
        say("posterior predictive: " + predictive.summary(check))
    t2 = time.perf_counter()
    key = {"posterior_sha256": hashlib.sha256((out / posterior.CSV).read_bytes()).hexdigest(),
           "arms": list(spec.arms), "draws": spec.draws, "replications": spec.replications,
           "seed": spec.seed, "set": spec.fixed}
    cached = (before.get("headline", {}).get("key") == key
              and (out / "headline" / "headline.json").exists())
    if spec.draws and cached:
        meta["headline"] = before["headline"]
        say("headline over the posterior: already in headline/ for this posterior")
    elif spec.draws:
        say(f"headline over the posterior: {spec.arms[1]} - {spec.arms[0]}, {spec.draws} draws x "
            f"{spec.replications} replications, and as many at the scenarios' own values")
        h = headline.run([spec.scenario(a) for a in spec.arms], post, draws=spec.draws,
                         replications=spec.replications, seed=spec.seed, executor=executor,
                         progress=Progress(0, interval=10.0))
        headline.write(out / "headline", h, git)
        stages.ran += len(h.runs)
        meta["headline"] = {**headline.brief(h), "key": key}
    t3 = time.perf_counter()
    meta["runs"] = stages.runs + spec.runs()["headline"]
    meta["ran_now"] = stages.ran
    meta["timing"].update(check_s=round(t2 - t1, 1), headline_s=round(t3 - t2, 1),
                          total_s=round(t3 - t0, 1))
    posterior.write(out, particles, meta)
    return meta
