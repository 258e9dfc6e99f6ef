"""The headline over a posterior: each scenario run at K posterior draws x R replications
(paired across arms by seed), beside the same R replications at the scenarios' own values;
per key metric the difference from the first scenario with a run-to-run interval and one
that includes parameter uncertainty (docs/posterior-headline.md).

Seeds: at the scenarios' own values, replication r has `cogov compare --seed S`'s seed; at
draw k, replication r has the seed `cogov compare --seed M_k` gives replication r, with
M_k = SeedSequence(S, spawn_key=(DRAW_KEY, k)). Every arm gets the same seed at the same
draw and replication (common random numbers); draws get independent seeds, so the spread of
per-draw means is parameter uncertainty plus independent run noise, which the bootstrap over
draws and the random-effects decomposition both assume.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import metrics
from cogov_sim.errors import InputError
from cogov_sim.inference import posterior as post
from cogov_sim.scenario import Scenario
from cogov_sim.stats import mean_ci, paired_diff_ci, replication_seeds

DEFAULT_DRAWS = 40
DEFAULT_REPLICATIONS = 5
"""Per draw. The posterior mean's variance is between/K + within/(K R): with K = 40 the run
noise is already averaged over 200 runs per arm, so runs buy more as extra draws than as
extra replications; R >= 2 is needed to measure the run-to-run variance."""
BOOTSTRAP = 2000
DRAW_KEY = 26
SEED_SCHEME = ("defaults: replication r seed = SeedSequence(S, spawn_key=(r,)) (as `cogov "
               "compare --seed S`); draw k: master M_k = SeedSequence(S, spawn_key=(26, k))"
               ".generate_state(1, uint32)[0], replication r seed = SeedSequence(M_k, "
               "spawn_key=(r,)); the same for every arm")
DEFAULTS = -1
MADE = ("git", "seed", "cogov_sim", "created", "scenarios")
"""The posterior.json fields copied into the provenance, when present."""
"""The `draw` of runs at the scenarios' own values."""


@dataclass(frozen=True)
class Draw:
    """One posterior draw: which particle, its weight in the averages, its seeds' master."""

    index: int
    particle: int
    weight: float
    seed: int
    values: dict[str, float]


def load(folder: str | Path) -> post.Posterior:
    """A posterior folder read and checked: a file that cannot be parsed, a value that is not a
    finite number, or weights that are negative or sum to zero are clear input errors."""
    from cogov_sim import shipped

    f = shipped.locate(folder, "results")  # the shipped results/posterior from any folder
    if not f.is_dir():
        raise InputError(str(folder), "is not a folder; give a posterior folder (posterior.csv + "
                         "posterior.json, made by `cogov infer`)", key="--posterior")
    try:
        p = post.read(f)
    except json.JSONDecodeError as e:
        raise InputError(str(f / post.META), f"is not valid JSON ({e}): the folder is damaged; "
                         "run `cogov infer` again", key="--posterior") from None
    except (ValueError, UnicodeDecodeError) as e:  # pandas' ParserError, EmptyDataError
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(str(f / post.CSV), f"cannot be read as a table ({first}): the folder "
                         "is damaged; run `cogov infer` again", key="--posterior") from None
    if not isinstance(p.meta.get("parameters"), dict) or not p.meta["parameters"]:
        raise InputError(str(f / post.META), "names no calibrated parameters (a 'parameters' "
                         "table of name: {low, high, source})", key="parameters")
    csv = str(f / post.CSV)
    for col in ("particle", "weight", *p.parameters):
        x = pd.to_numeric(p.particles[col], errors="coerce").to_numpy(float)
        if not np.isfinite(x).all():
            row = int(np.flatnonzero(~np.isfinite(x))[0])
            raise InputError(csv, f"row {row + 1}: value {p.particles[col].iloc[row]!r} is not a "
                             "finite number; allowed: numbers (the folder is damaged)", key=col)
    w = p.particles["weight"].to_numpy(float)
    if (w < 0).any() or w.sum() <= 0:
        raise InputError(csv, "weights must be >= 0 with a positive sum", key="weight")
    return p


def choose_draws(p: post.Posterior, n: int | None, seed: int) -> list[Draw]:
    """`n` draws by weight, or every particle once (with its weight) when the posterior has
    no more than `n` particles or `n` is None and it has fewer than DEFAULT_DRAWS."""
    want = DEFAULT_DRAWS if n is None else n
    every = every_particle(p, n)
    rows = p.rows(None if every else want, seed)
    w = p.particles["weight"].to_numpy(float)
    weights = w[rows] / w[rows].sum() if every else np.full(len(rows), 1 / len(rows))
    ids = p.particles["particle"].to_numpy()
    values = p.draws(None if every else want, seed)
    return [Draw(k, int(ids[i]), float(weights[k]), draw_seed(seed, k), values[k])
            for k, i in enumerate(rows)]


def every_particle(p: post.Posterior, n: int | None) -> bool:
    """Whether `choose_draws` takes every particle once (no more particles than draws asked)."""
    return len(p.particles) <= (DEFAULT_DRAWS if n is None else n)


def sampling(p: post.Posterior, n: int | None, seed: int) -> str:
    """How the draws were chosen, in words (for the provenance)."""
    if every_particle(p, n):
        return f"every particle once, each weighted by its weight ({len(p.particles)} particles)"
    return (f"{n or DEFAULT_DRAWS} draws by weight (systematic resampling, seed {seed}) from "
            f"{len(p.particles)} particles, equally weighted")


def draw_seed(seed: int, k: int) -> int:
    """The master seed of draw k's replications (see SEED_SCHEME)."""
    ss = np.random.SeedSequence(seed, spawn_key=(DRAW_KEY, k))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def structures_in_force(sc: Scenario) -> set[str]:
    """The structures a run of `sc` uses: at the start and after any [[change]]."""
    return {sc.params["structure"],
            *(c.values["structure"] for c in sc.changes if "structure" in c.values)}


def reads(sc: Scenario, key: str) -> bool:
    """Whether a run of `sc` reads `key`: a structure's own row (`committee.rush_loss`) is read
    only by that structure and the structures built on it, when in force; every other row is
    read by every structure."""
    from cogov_sim.structures import registry

    reg = registry()
    owner = key.split(".", 1)[0]
    if owner not in reg:
        return True
    return any(owner == k.__dict__.get("name") and "params" in k.__dict__
               for s in structures_in_force(sc) if s in reg for k in reg[s].__mro__)


def arm_values(sc: Scenario, values: dict[str, float]) -> dict[str, Any]:
    """A draw's values that apply in arm `sc`: plain keys it reads, and "ARM:key" ones for it."""
    from cogov_sim.batch.models import for_scenario

    return {k: v for k, v in for_scenario(values, sc.name).items() if reads(sc, k)}


def coverage(scs: Sequence[Scenario], keys: Sequence[str]) -> dict[str, list[str]]:
    """Posterior key -> the arms whose runs it sets (the others do not read it)."""
    return {k: [sc.name for sc in scs if arm_values(sc, {k: 0.0})] for k in keys}


@dataclass
class Headline:
    """Runs at the scenarios' own values and over posterior draws, and the table of differences."""

    runs: pd.DataFrame
    table: pd.DataFrame
    scenarios: list[Scenario]
    draws: list[Draw]
    posterior: post.Posterior
    seed: int
    replications: int
    coverage: dict[str, list[str]]
    sampling: str

    def provenance(self) -> dict[str, Any]:
        """Where the posterior came from (its posterior.json's git, seed, code version), the
        baseline, which arms each parameter was set in, and the draws used."""
        meta = self.posterior.meta
        folder = self.posterior.folder
        return {
            "folder": str(folder),
            "csv_sha256": hashlib.sha256((folder / post.CSV).read_bytes()).hexdigest(),
            "made": {k: meta[k] for k in MADE if k in meta},
            "particles": len(self.posterior.particles),
            "sampling": self.sampling,
            "parameters": self.posterior.parameters,
            "base": self.scenarios[0].name,
            "applies_to": self.coverage,
            "draws": [{"draw": d.index, "particle": d.particle, "weight": d.weight,
                       "seed": d.seed, "values": d.values} for d in self.draws],
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: settings, scenarios, the posterior's provenance, the table."""
        rows = self.table.reset_index().to_dict(orient="records")
        return {
            "mode": "posterior",
            "seed": self.seed,
            "replications": self.replications,
            "draws": len(self.draws),
            "seed_scheme": SEED_SCHEME,
            "scenarios": [{"name": s.name, "file": s.source, "hash": s.hash,
                           "overrides": s.overrides} for s in self.scenarios],
            "posterior": self.provenance(),
            "table": [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                       for k, v in r.items()} for r in rows],
        }


def plan(scs: Sequence[Scenario], draws: Sequence[Draw], replications: int,
         seed: int) -> list[Any]:
    """Every run, as the batch engine's `Run`s: the defaults' replications, then each draw's,
    each for every arm with the same seed."""
    from cogov_sim.batch.plan import Run

    runs = []
    for name_k, k, s_k, values in [("def", DEFAULTS, seed, {}),
                                   *((f"d{d.index:03d}", d.index, d.seed, d.values)
                                     for d in draws)]:
        for r, s in enumerate(replication_seeds(s_k, replications)):
            runs += [Run(f"{sc.name}.{name_k}.r{r:03d}", sc.name, k, r, s, arm_values(sc, values))
                     for sc in scs]
    return runs


def check(scs: Sequence[Scenario], posterior: post.Posterior, draws: int | None,
          replications: int, seed: int) -> list[Draw]:
    """The draws, once the settings and every draw's values in every arm are found valid
    (before any executor starts or any run)."""
    if len(scs) < 2:
        raise InputError("--posterior", "compares at least two scenarios (the first is the "
                         "baseline); give two or more", key="scenarios")
    if replications < 2:
        raise InputError("--replications", f"value {replications} is not allowed with "
                         "--posterior; allowed: 2 or more (the run-to-run variance within a "
                         "draw needs two runs)")
    chosen = choose_draws(posterior, draws, seed)
    csv = str(posterior.folder / post.CSV)
    for d in chosen:
        for sc in scs:
            sc.with_overrides(arm_values(sc, d.values), source=f"{csv} (particle {d.particle})")
    return chosen


def run(scenarios: Sequence[Scenario], posterior: post.Posterior, draws: int | None = None,
        replications: int = DEFAULT_REPLICATIONS, seed: int = 1, executor: Any = None,
        progress: Any = None, metric_names: tuple[str, ...] = metrics.KEY_METRICS) -> Headline:
    """Run every arm at the scenarios' own values and at each draw (R replications each, seeds
    paired across arms) through the batch engine; `progress` is a `batch.progress.Progress`."""
    from cogov_sim.batch import executors
    from cogov_sim.batch.experiment import Experiment
    from cogov_sim.batch.runner import _execute

    scs = list(scenarios)
    chosen = check(scs, posterior, draws, replications, seed)
    runs = plan(scs, chosen, replications, seed)
    exp = Experiment("headline", "", "cogov", {sc.name: sc for sc in scs}, replications, seed,
                     {}, ("summary",))
    ex = executor or executors.Serial()
    if progress is not None:
        progress.start(len(runs), 0)
    records = []
    for batch in _execute(exp, runs, ex, None):
        records += batch
        if progress is not None:
            ok = sum(r.status == "ok" for r in batch)
            progress.update(ok, len(batch) - ok)
    bad = [r for r in records if r.status != "ok"]
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(records)} runs failed; first ({bad[0].run.run_id})"
                           f":\n{bad[0].error}")
    weight = {d.index: d.weight for d in chosen}
    particle = {d.index: d.particle for d in chosen}
    rows = [{"scenario": r.run.scenario, "draw": r.run.point,
             "particle": particle.get(r.run.point, DEFAULTS),
             "weight": weight.get(r.run.point, math.nan), "replication": r.run.replication,
             "seed": r.run.seed, **{k: r.run.overrides.get(k, math.nan)
                                    for k in posterior.parameters}, **r.summary}
            for r in records]
    df = pd.DataFrame(rows).sort_values(["draw", "scenario", "replication"], kind="stable")
    df = df.reset_index(drop=True)
    table = headline_table(df, [sc.name for sc in scs], metric_names, seed)
    return Headline(df, table, scs, chosen, posterior, seed, replications,
                    coverage(scs, posterior.parameters), sampling(posterior, draws, seed))


def paired(runs: pd.DataFrame, base: str, arm: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Draw x replication matrices of `metric` for `base` and `arm` (posterior draws only),
    rows in draw order, paired by (draw, replication)."""
    p = runs[runs["draw"] != DEFAULTS]
    a = p[p["scenario"] == base].pivot(index="draw", columns="replication", values=metric)
    b = p[p["scenario"] == arm].pivot(index="draw", columns="replication", values=metric)
    return a.to_numpy(float), b.loc[a.index, a.columns].to_numpy(float)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (each point at the middle of its weight's step; with
    equal weights, the Hazen rule)."""
    o = np.argsort(x)
    x, w = x[o], w[o] / w.sum()
    return np.interp(q, np.cumsum(w) - w / 2, x)


def over_draws(d: np.ndarray, w: np.ndarray, rng: np.random.Generator,
               boot: int = BOOTSTRAP) -> dict[str, float]:
    """Differences d[draw, replication] summarised over weighted draws: the mean, the 95%
    interval of per-draw means, a bootstrap 95% CI for the mean (draws resampled by weight),
    and a one-way random-effects split of the variance: between draws (parameters) and
    within (run to run)."""
    n = (~np.isnan(d)).sum(1)
    keep = n > 0
    d, w, n = d[keep], w[keep], n[keep]
    nan = math.nan
    out = {"posterior_diff": nan, "interval_low": nan, "interval_high": nan, "ci_low": nan,
           "ci_high": nan, "sd_between": nan, "sd_within": nan, "share_between": nan}
    if not len(d):
        return out
    w = w / w.sum()
    m = np.nanmean(d, axis=1)
    mean = float(w @ m)
    out["posterior_diff"] = mean
    if len(m) < 2:
        return out
    out["interval_low"], out["interval_high"] = map(float, weighted_quantile(m, w, [0.025, 0.975]))
    means = m[rng.choice(len(m), size=(boot, len(m)), p=w)].mean(axis=1)
    out["ci_low"], out["ci_high"] = map(float, np.quantile(means, [0.025, 0.975]))
    two = n >= 2
    if not two.any():
        return out
    s2 = np.array([np.nanvar(row, ddof=1) if k else nan for row, k in zip(d, two, strict=True)])
    within = float(w[two] @ s2[two] / w[two].sum())
    spread = float(w @ (m - mean) ** 2 / (1 - w @ w))
    between = max(0.0, spread - float(w @ (within / n)))
    out["sd_between"], out["sd_within"] = math.sqrt(between), math.sqrt(within)
    if between + within > 0:
        out["share_between"] = between / (between + within)
    return out


def headline_table(runs: pd.DataFrame, order: list[str], metric_names: Sequence[str],
                   seed: int) -> pd.DataFrame:
    """One row per (scenario, metric) for every scenario but the first: its difference from
    the first at the scenarios' own values (run-to-run 95% CI, as `cogov compare`) and over
    the posterior (`over_draws`), with both arms' means."""
    base = order[0]
    at = runs[runs["draw"] == DEFAULTS]
    w = runs[runs["draw"] != DEFAULTS].groupby("draw")["weight"].first().to_numpy(float)
    out = []
    for i, arm in enumerate(order[1:]):
        a0 = at[at["scenario"] == base].sort_values("replication")
        b0 = at[at["scenario"] == arm].sort_values("replication")
        for j, m in enumerate(metric_names):
            diff, lo, hi = paired_diff_ci(a0[m].to_numpy(), b0[m].to_numpy())
            a, b = paired(runs, base, arm, m)
            rng = np.random.default_rng([seed, DRAW_KEY, i, j])
            ma, mb = np.nanmean(a, axis=1), np.nanmean(b, axis=1)
            out.append({
                "scenario": arm, "metric": m,
                "base_defaults": mean_ci(a0[m].to_numpy())[0],
                "arm_defaults": mean_ci(b0[m].to_numpy())[0],
                "defaults_diff": diff, "defaults_ci_low": lo, "defaults_ci_high": hi,
                "base_posterior": _wmean(ma, w), "arm_posterior": _wmean(mb, w),
                **over_draws(b - a, w, rng),
            })
    return pd.DataFrame(out).set_index(["scenario", "metric"])


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x)
    return float(w[ok] @ x[ok] / w[ok].sum()) if ok.any() else math.nan


def write(out: Path, h: Headline, git: str | None) -> None:
    """The headline's files: every run, the table, and the JSON form with provenance."""
    from cogov_sim import __version__
    from cogov_sim.batch.store import write_text
    from cogov_sim.flags import json_safe

    out.mkdir(parents=True, exist_ok=True)
    h.runs.to_parquet(out / "runs.parquet", index=False)
    h.table.reset_index().to_parquet(out / "headline.parquet", index=False)
    write_text(out / "headline.json", json.dumps(json_safe(
        {**h.to_dict(), "cogov_sim": __version__, "git": git}), indent=2))


def brief(h: Headline, metric: str = "resolution_rmst_days") -> dict[str, Any]:
    """The headline metric's two intervals, for a posterior's record and the README."""
    rows = {}
    for arm in dict.fromkeys(h.table.index.get_level_values(0)):
        r = h.table.loc[(arm, metric)]
        rows[f"{arm} - {h.scenarios[0].name}"] = {k: float(r[k]) for k in (
            "defaults_diff", "defaults_ci_low", "defaults_ci_high", "posterior_diff",
            "interval_low", "interval_high", "ci_low", "ci_high", "share_between")}
    return {"metric": metric, "draws": len(h.draws), "replications": h.replications,
            "seed": h.seed, "differences": rows}
