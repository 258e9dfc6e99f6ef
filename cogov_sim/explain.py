"""`cogov explain A B`: where the difference between two scenarios comes from.

The dials in which scenario B differs from A -- the structure plug-in (with its own
parameters), each mechanism switch (with the parameters behind it, as the mechanism registry
lists them), each other differing parameter -- are switched from A's value to B's in every
combination. A metric's value v(S) for the set S of dials switched gives each dial its
**Shapley value**

    phi_i = sum_{S subset of N \\ {i}} |S|! (k - |S| - 1)! / k!  [v(S + i) - v(S)]

(Shorrocks 2013, J. Econ. Inequality 11:99--126): order-independent, and the contributions add
up to v(N) - v(empty) = B - A exactly (efficiency); dials that act the same get the same share
(symmetry); an interaction between two dials is split between them. Exact over the 2^k
combinations up to `EXACT_MAX` dials; above, estimated from random permutations (Castro, Gomez &
Tejada 2009; Song, Nelson & Staum 2016, SIAM/ASA JUQ 4:1060--1083), with the Monte Carlo
standard error stated. The pairwise **Shapley interaction index** (Grabisch 1997)

    I_ij = sum_{S subset of N \\ {i, j}} |S|! (k - |S| - 2)! / (k - 1)!  [v(S+ij) - v(S+i) - v(S+j) + v(S)]

says where two dials' effects are not additive.

Every combination runs the same seeded replications (common random numbers), so each
replication gives its own decomposition; the table reports their mean with a percentile
bootstrap 95% CI over replications (Efron & Tibshirani 1993). The runs go through the batch
engine (`cogov_sim.batch.evaluate`: local processes or Dask, the same seeds either way).

The estimators (`exact_shapley`, `sampled_shapley`, `interaction_index`, `bootstrap_ci`) are
pure functions of a table of v(S); `explain` runs the model and applies them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cogov_sim import api, metrics, shipped
from cogov_sim.errors import InputError, writable_folder
from cogov_sim.scenario import Scenario, load

EXACT_MAX = 8
"""Up to this many dials every combination runs (2^8 = 256); above, sampled permutations."""
BOOTSTRAP = 2000

# ---- pure estimators over v(S): S a bit mask of switched dials, v an array (any shape) --------


def _weights(k: int, size: int, pair: bool = False) -> float:
    if pair:
        return math.factorial(size) * math.factorial(k - size - 2) / math.factorial(k - 1)
    return math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)


def exact_shapley(values: Mapping[int, np.ndarray], k: int) -> np.ndarray:
    """Shapley values of k players from v over all 2^k coalitions (bit masks): an array of
    shape (k, *v.shape). Contributions sum to v(all) - v(none)."""
    full = (1 << k) - 1
    out = []
    for i in range(k):
        bit = 1 << i
        acc = 0.0
        for s in range(full + 1):
            if s & bit:
                continue
            acc = acc + _weights(k, s.bit_count()) * (np.asarray(values[s | bit], dtype=float)
                                                     - np.asarray(values[s], dtype=float))
        out.append(acc)
    return np.stack(out)


def permutation_masks(perms: Sequence[Sequence[int]]) -> list[int]:
    """The coalitions (bit masks) a set of permutations visits: every prefix of each."""
    need = {0}
    for p in perms:
        m = 0
        for i in p:
            m |= 1 << i
            need.add(m)
    return sorted(need)


def sampled_shapley(values: Mapping[int, np.ndarray], k: int,
                    perms: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values estimated from permutations (each player's mean marginal contribution
    along them) and the Monte Carlo standard error over permutations. Each permutation's
    contributions sum to v(all) - v(none), so the estimate stays efficient."""
    contrib = []
    for p in perms:
        row = [None] * k
        m = 0
        for i in p:
            row[i] = np.asarray(values[m | (1 << i)], dtype=float) - np.asarray(values[m],
                                                                                  dtype=float)
            m |= 1 << i
        contrib.append(np.stack(row))
    c = np.stack(contrib)  # (n_perm, k, ...)
    se = c.std(axis=0, ddof=1) / math.sqrt(len(perms)) if len(perms) > 1 else np.full(
        c.shape[1:], np.nan)
    return c.mean(axis=0), se


def interaction_index(values: Mapping[int, np.ndarray], k: int, i: int, j: int) -> np.ndarray:
    """The Shapley interaction index of players i and j (Grabisch 1997): 0 when their effects
    add up in every context; needs every coalition."""
    bi, bj = 1 << i, 1 << j
    acc = 0.0
    for s in range(1 << k):
        if s & (bi | bj):
            continue
        d = (np.asarray(values[s | bi | bj], dtype=float) - np.asarray(values[s | bi], dtype=float)
             - np.asarray(values[s | bj], dtype=float) + np.asarray(values[s], dtype=float))
        acc = acc + _weights(k, s.bit_count(), pair=True) * d
    return np.asarray(acc)


def bootstrap_ci(per_rep: np.ndarray, rng: np.random.Generator, n: int = BOOTSTRAP,
                 level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replications (axis -2 of `per_rep`, shape (..., R, M)) with a percentile
    bootstrap CI, resampling replications (pairs stay together: one seed, every combination)."""
    r = per_rep.shape[-2]
    with warnings.catch_warnings():  # a metric undefined in every replication stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(per_rep, axis=-2)
        if r < 2:
            return mean, np.full(mean.shape, np.nan), np.full(mean.shape, np.nan)
        idx = rng.integers(0, r, size=(n, r))
        boot = np.stack([np.nanmean(per_rep[..., ix, :], axis=-2) for ix in idx])
        a = (1 - level) / 2
        return mean, np.nanquantile(boot, a, axis=0), np.nanquantile(boot, 1 - a, axis=0)


# ---- the dials between two scenarios -------------------------------------------------------


@dataclass(frozen=True)
class Dial:
    """One thing B changes relative to A: its name and the values B gives it."""

    key: str
    change: dict[str, Any]


def _mechanism_groups() -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(name, switch key, parameter sections, single keys) for each mechanism."""
    from cogov_sim.mechanisms import registry

    return [(name, cls.switch, (), cls.param_names()) for name, cls in registry().items()]


def dials(a: Scenario, b: Scenario) -> list[Dial]:
    """The dials in which B differs from A: the structure with its own section's parameters,
    each mechanism switch with the parameters behind it, then each other differing parameter.
    (A parameter behind a mechanism whose switch does not differ is a dial of its own.)"""
    diff = [k for k in b.params if a.params.get(k) != b.params[k]]
    left = list(diff)
    out: list[Dial] = []

    def take(name: str, keys: list[str]) -> None:
        if keys:
            out.append(Dial(name, {k: b.params[k] for k in keys}))
            for k in keys:
                left.remove(k)

    if "structure" in diff:
        sections = {a.params["structure"], b.params["structure"]}
        take("structure", [k for k in left if k == "structure" or k.split(".")[0] in sections])
    for name, switch, sections, keys in _mechanism_groups():
        if switch in left:
            take(name, [k for k in left if k == switch or k.split(".")[0] in sections
                        or k in keys])
    for k in list(left):
        take(k, [k])
    return out


def mask_overrides(ds: Sequence[Dial], mask: int) -> dict[str, Any]:
    """The parameter values of the dials switched in `mask`."""
    out: dict[str, Any] = {}
    for i, d in enumerate(ds):
        if mask >> i & 1:
            out.update(d.change)
    return out


# ---- running it -----------------------------------------------------------------------------


@dataclass
class Explanation:
    """Shapley contributions of each dial to B - A, per headline metric, with CIs."""

    a: Scenario
    b: Scenario
    dials: list[Dial]
    metrics: tuple[str, ...]
    table: pd.DataFrame
    """One row per (metric, dial): contribution, ci_low, ci_high (+ mc_se when sampled);
    dial '(total)' is B - A, '(A)' and '(B)' the two means."""
    interactions: pd.DataFrame
    runs: pd.DataFrame
    replications: int
    seed: int
    exact: bool
    seconds: float = 0.0
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def clean(x: Any) -> Any:
            return None if isinstance(x, float) and math.isnan(x) else x

        return {
            "a": {"name": self.a.name, "file": self.a.source, "hash": self.a.hash},
            "b": {"name": self.b.name, "file": self.b.source, "hash": self.b.hash},
            "dials": [{"key": d.key, "change": d.change} for d in self.dials],
            "method": "exact Shapley over 2^k combinations" if self.exact
            else "Shapley from sampled permutations (mc_se: Monte Carlo standard error)",
            "replications": self.replications, "seed": self.seed,
            "seconds": round(self.seconds, 1), **self.provenance,
            "contributions": [{k: clean(v) for k, v in r.items()}
                              for r in self.table.reset_index().to_dict("records")],
            "interactions": [{k: clean(v) for k, v in r.items()}
                             for r in self.interactions.reset_index().to_dict("records")],
        }


def n_runs(k: int, replications: int, permutations: int | None = None,
           rng: np.random.Generator | None = None) -> int:
    """How many runs an explanation needs: 2^k combinations (or the prefixes of the sampled
    permutations) times replications."""
    if k <= EXACT_MAX and permutations is None:
        return (1 << k) * replications
    perms = _perms(k, permutations or 64, rng or np.random.default_rng(0))
    return len(permutation_masks(perms)) * replications


def _perms(k: int, n: int, rng: np.random.Generator) -> list[list[int]]:
    return [list(rng.permutation(k)) for _ in range(n)]


def prepare(a: str | Path | Scenario, b: str | Path | Scenario,
            overrides: dict[str, Any] | None = None,
            days: int | None = None) -> tuple[Scenario, Scenario, list[Dial]]:
    """Load both scenarios (with --set / --days on both) and find the dials; bad input raises
    InputError naming the scenario."""
    sa = a if isinstance(a, Scenario) else load(a, overrides or None)
    sb = b if isinstance(b, Scenario) else load(b, overrides or None)
    if days is not None:
        sa = sa.with_overrides({"run.days": days}, source="--days")
        sb = sb.with_overrides({"run.days": days}, source="--days")
    for s in (sa, sb):
        if s.changes:
            raise InputError(s.source or s.name, f"scenario '{s.name}' has [[change]] blocks; "
                             "explain compares scenarios without a timeline (allowed: scenarios "
                             "whose parameters stay fixed during the run)")
    ds = dials(sa, sb)
    if not ds:
        raise InputError(sb.source or sb.name, f"scenarios '{sa.name}' and '{sb.name}' do not "
                         "differ in any parameter: nothing to explain")
    return sa, sb, ds


def resumable(folder: Path) -> Callable[..., pd.DataFrame]:
    """An `evaluate` that stores runs in a batch folder (`cogov_sim.batch.run_batch`): killed
    and started again with the same arguments, it runs only what is missing."""
    from cogov_sim.batch import executors, run_batch
    from cogov_sim.batch.experiment import Experiment

    def ev(model: str, points: list[dict[str, Any]], *, seed: int, replications: int,
           scenario: Scenario, executor: Any = None) -> pd.DataFrame:
        exp = Experiment("explain", f"cogov explain: combinations of dials on {scenario.name}",
                         model, {scenario.name: scenario}, replications, seed, {}, ("summary",),
                         points=tuple(dict(p) for p in points))
        res = run_batch(exp, folder, executor or executors.Serial())
        runs = res.runs if res.runs is not None else pd.DataFrame(
            columns=["point", "replication", "status", "error"])
        if "error" not in runs:
            runs = runs.assign(error=None)
        return runs.sort_values(["point", "replication"]).reset_index(drop=True)

    return ev


def explain(a: str | Path | Scenario, b: str | Path | Scenario, replications: int = 10,
            seed: int = 1, days: int | None = None, overrides: dict[str, Any] | None = None,
            metric_names: tuple[str, ...] = metrics.KEY_METRICS, executor: Any = None,
            permutations: int | None = None,
            evaluate: Callable[..., pd.DataFrame] | None = None) -> Explanation:
    """Run every combination of the dials (paired seeds) and decompose B - A in each metric.
    `evaluate` defaults to `cogov_sim.batch.evaluate` (in memory); `resumable(folder)` stores
    the runs in a batch folder instead."""
    from cogov_sim.batch import evaluate as batch_evaluate
    from cogov_sim.batch import require_ok

    t0 = time.perf_counter()
    sa, sb, ds = prepare(a, b, overrides, days)
    k = len(ds)
    rng = np.random.default_rng(seed)
    exact = k <= EXACT_MAX and permutations is None
    perms = None if exact else _perms(k, permutations or 64, rng)
    masks = list(range(1 << k)) if exact else permutation_masks(perms)
    points = [mask_overrides(ds, m) for m in masks]
    run_points = evaluate or batch_evaluate
    df = require_ok(run_points("cogov", points, seed=seed, replications=replications,
                               scenario=sa, executor=executor), f"{sa.name} -> {sb.name}")
    df["mask"] = [masks[p] for p in df["point"]]
    mets = tuple(m for m in metric_names if m in df.columns)
    values = {m: df[df["mask"] == m].sort_values("replication")[list(mets)].to_numpy(dtype=float)
              for m in masks}  # each (R, M)
    full = (1 << k) - 1
    if exact:
        phi = exact_shapley(values, k)  # (k, R, M)
        se = None
    else:
        phi, _ = sampled_shapley(values, k, perms)
        # Monte Carlo error of the replication mean: over permutations of the averaged v
        _, se = sampled_shapley({s: v.mean(axis=0) for s, v in values.items()}, k, perms)
    total = values[full] - values[0]
    boot = np.random.default_rng([seed, 11])
    rows = []
    for label, arr in (("(A)", values[0]), ("(B)", values[full]), ("(total)", total)):
        m, lo, hi = bootstrap_ci(arr, boot)
        rows += [{"metric": me, "dial": label, "contribution": m[j], "ci_low": lo[j],
                  "ci_high": hi[j]} for j, me in enumerate(mets)]
    m, lo, hi = bootstrap_ci(phi, boot)  # (k, M)
    mcse = se  # (k, M) or None
    for i, d in enumerate(ds):
        for j, me in enumerate(mets):
            rows.append({"metric": me, "dial": d.key, "contribution": m[i, j],
                         "ci_low": lo[i, j], "ci_high": hi[i, j],
                         **({} if mcse is None else {"mc_se": mcse[i, j]})})
    table = pd.DataFrame(rows).set_index(["metric", "dial"])
    inter = []
    if exact and k >= 2:
        for i, j in itertools.combinations(range(k), 2):
            im, ilo, ihi = bootstrap_ci(interaction_index(values, k, i, j), boot)
            for q, me in enumerate(mets):
                inter.append({"metric": me, "dials": f"{ds[i].key} x {ds[j].key}",
                              "interaction": im[q], "ci_low": ilo[q], "ci_high": ihi[q]})
    inter_df = (pd.DataFrame(inter).set_index(["metric", "dials"]) if inter else
                pd.DataFrame(columns=["metric", "dials", "interaction", "ci_low", "ci_high"])
                .set_index(["metric", "dials"]))
    return Explanation(sa, sb, ds, mets, table, inter_df, df, replications, seed, exact,
                       time.perf_counter() - t0)


def mattering_interactions(ex: Explanation, metric: str, share: float = 0.1) -> pd.DataFrame:
    """Interactions whose 95% CI excludes 0 and whose size is at least `share` of |B - A|."""
    if metric not in ex.interactions.index.get_level_values(0):
        return ex.interactions.iloc[:0]
    it = ex.interactions.loc[metric]
    tot = abs(float(ex.table.loc[(metric, "(total)"), "contribution"]))
    keep = ((it["ci_low"] > 0) | (it["ci_high"] < 0)) & (it["interaction"].abs() >= share * tot)
    return it[keep].sort_values("interaction", key=np.abs, ascending=False)


# ---- text, figure, CLI ----------------------------------------------------------------------


def _f(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:+.3f}" if abs(x) < 1 else f"{x:+.2f}"


def text(ex: Explanation, metric_names: Sequence[str] | None = None, top: int | None = None) -> str:
    """Per metric: A, B, B - A, then each dial's contribution [95% CI], largest first, and the
    interactions that matter."""
    from cogov_sim.render import LABELS

    lines = [f"Where '{ex.b.name}' differs from '{ex.a.name}': {len(ex.dials)} dials ("
             + ", ".join(d.key for d in ex.dials) + "); "
             + ("exact Shapley values over all combinations" if ex.exact else
                "Shapley values from sampled permutations (± Monte Carlo s.e.)")
             + f", {ex.replications} paired replications, seed {ex.seed}; "
             "mean [bootstrap 95% CI]; contributions add up to the difference"]
    for me in metric_names or ex.metrics:
        t = ex.table.loc[me]
        lines += ["", f"{LABELS.get(me, me).strip()}: {ex.a.name} {t.loc['(A)', 'contribution']:.3g}"
                  f" -> {ex.b.name} {t.loc['(B)', 'contribution']:.3g}, difference "
                  f"{_f(t.loc['(total)', 'contribution'])} [{_f(t.loc['(total)', 'ci_low'])}, "
                  f"{_f(t.loc['(total)', 'ci_high'])}]"]
        parts = t.drop(index=["(A)", "(B)", "(total)"])
        parts = parts.reindex(parts["contribution"].abs().sort_values(ascending=False).index)
        for dial, r in parts.head(top).iterrows() if top else parts.iterrows():
            se = f" ± {r['mc_se']:.2g}" if "mc_se" in r and not math.isnan(r["mc_se"]) else ""
            lines.append(f"  {dial:<28} {_f(r['contribution']):>8}{se} [{_f(r['ci_low'])}, "
                         f"{_f(r['ci_high'])}]")
        if top and len(parts) > top:
            rest = parts.iloc[top:]
            lines.append(f"  {len(rest)} other dials together    "
                         f"{_f(rest['contribution'].sum()):>8} (" + ", ".join(
                             f"{d} {_f(c)}" for d, c in rest["contribution"].items()) + ")")
        for pair, r in mattering_interactions(ex, me).iterrows():
            lines.append(f"  interaction {pair}: {_f(r['interaction'])} [{_f(r['ci_low'])}, "
                         f"{_f(r['ci_high'])}] (split equally between the two)")
    return "\n".join(lines)


def waterfall(ex: Explanation, metric: str, out: Path) -> list[Path]:
    """A waterfall from A's mean through each dial's contribution (with its 95% CI) to B's
    mean, as PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cogov_sim.render import LABELS

    t = ex.table.loc[metric]
    parts = t.drop(index=["(A)", "(B)", "(total)"])
    parts = parts.reindex(parts["contribution"].abs().sort_values(ascending=False).index)
    start = float(t.loc["(A)", "contribution"])
    fig, ax = plt.subplots(figsize=(1.1 * (len(parts) + 2) + 2, 4.2))
    ax.bar(0, start, color="0.6")
    level = start
    for x, (_, r) in enumerate(parts.iterrows(), start=1):
        c = float(r["contribution"])
        ax.bar(x, c, bottom=level, color="tab:green" if c < 0 else "tab:red")
        mid = level + c
        ax.errorbar(x, mid, yerr=[[mid - (level + r["ci_low"])], [(level + r["ci_high"]) - mid]],
                    color="k", capsize=3, lw=1)
        level = mid
    end = float(t.loc["(B)", "contribution"])
    ax.bar(len(parts) + 1, end, color="0.3")
    ax.set_xticks(range(len(parts) + 2),
                  [ex.a.name, *[str(d) for d in parts.index], ex.b.name], rotation=30, ha="right")
    ax.set_ylabel(LABELS.get(metric, metric).strip())
    ax.set_title(f"{ex.a.name} -> {ex.b.name}: Shapley contributions, 95% bootstrap CI "
                 f"({ex.replications} paired replications)", fontsize=9)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        p = out / f"waterfall-{metric}.{ext}"
        fig.savefig(p, dpi=150, bbox_inches="tight")
        paths.append(p)
    plt.close(fig)
    return paths


def load_result(path: Path) -> tuple[Explanation, list[str]]:
    """An explanation written by `cogov explain` (explain.json), and warnings: which of its
    scenarios no longer match the shipped files (content hash) or this code version."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        sa, sb = load(d["a"]["name"]), load(d["b"]["name"])
        table = pd.DataFrame(d["contributions"]).set_index(["metric", "dial"]).astype(
            {"contribution": float, "ci_low": float, "ci_high": float})
        inter = pd.DataFrame(d["interactions"])
        inter = (inter.set_index(["metric", "dials"]).astype(float) if len(inter) else
                 pd.DataFrame(columns=["metric", "dials", "interaction", "ci_low", "ci_high"])
                 .set_index(["metric", "dials"]))
        ds = [Dial(x["key"], x["change"]) for x in d["dials"]]
        ex = Explanation(sa, sb, ds, tuple(dict.fromkeys(table.index.get_level_values(0))),
                         table, inter, pd.DataFrame(), int(d["replications"]), int(d["seed"]),
                         d["method"].startswith("exact"), float(d.get("seconds", 0.0)),
                         {k: d.get(k) for k in ("cogov_sim", "git", "days", "overrides")})
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(str(path), f"not a result written by `cogov explain` ({e}); allowed: "
                         "an explain.json file") from None
    stale = [f"{s.name}: file changed since (hash {s.hash}, result made with "
             f"{d[w]['hash']})" for w, s in (("a", sa), ("b", sb)) if d[w]["hash"] != s.hash]
    return ex, stale


def estimate_seconds(a: Scenario, b: Scenario, runs: int, workers: int) -> tuple[float, float]:
    """A range for the time: one run of A and one of B timed in this process (the machine's
    pace now); the low end shares the runs perfectly among the workers at the faster pace, the
    high end at the slower pace on the cores other work leaves free (load average)."""
    times = []
    for sc in (a, b):
        t0 = time.perf_counter()
        api.run(sc, seed=1)
        times.append(time.perf_counter() - t0)
    cores = os.cpu_count() or 1
    try:
        busy = max(0.0, os.getloadavg()[0] - 1.0)  # other work than this process
    except OSError:
        busy = 0.0
    free = max(1.0, min(workers, cores - busy))
    return runs * min(times) / max(workers, 1), runs * max(times) / free


RUN_FLAGS = ("set", "days", "permutations", "estimate", "json", "out", "workers", "scheduler",
             "replications", "seed")
"""Flags that shape or write a new explanation: meaningless with --from (which prints one)."""


def cmd_explain(a: argparse.Namespace) -> int:
    from cogov_sim.batch.executors import make
    from cogov_sim.batch.progress import load_average
    from cogov_sim.cli import git_commit, json_safe, set_values

    if a.from_file:
        given = [f for f in RUN_FLAGS if getattr(a, f) not in (None, False)]
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise InputError(flag, f"cannot be used with --from: --from prints a result written "
                             f"before, it runs nothing; drop {flag}, or drop --from to compute "
                             "a new explanation")
    a.replications = 10 if a.replications is None else a.replications
    a.seed = 1 if a.seed is None else a.seed
    overrides = set_values(a.set)

    def bad_metric(allowed: Sequence[str]) -> InputError:
        return InputError("--metric", f"'{a.metric}' is not a summary metric here; allowed: "
                          "a headline metric (" + ", ".join(metrics.KEY_METRICS) + ")"
                          + (f" or another of the {len(allowed)} summary keys (`cogov run "
                             "SCENARIO --json`)" if len(allowed) > len(metrics.KEY_METRICS)
                             else ""))

    if a.from_file:
        src = shipped.locate(a.from_file, "results")
        ex, stale = load_result(src / "explain.json" if src.is_dir() else src)
        if a.metric is not None and a.metric not in ex.metrics:
            raise bad_metric(ex.metrics)
        if (ex.a.name, ex.b.name) != (Path(a.a).stem, Path(a.b).stem):
            raise InputError("--from", f"{a.from_file} explains '{ex.a.name}' -> '{ex.b.name}', "
                             f"not '{a.a}' -> '{a.b}'")
        print(f"Where {ex.b.name}'s difference from {ex.a.name} comes from (shipped result "
              f"{a.from_file}, cogov-sim {ex.provenance.get('cogov_sim')}, git "
              f"{ex.provenance.get('git')}; recompute: cogov explain {ex.a.name} {ex.b.name} "
              f"-r {ex.replications} --seed {ex.seed}):")
        print(text(ex, [a.metric] if a.metric else list(ex.metrics)[:1], top=a.top))
        for w in stale:
            print(f"cogov: warning: {a.from_file}: {w}; recompute it", file=sys.stderr)
        return 0
    sa, sb, ds = prepare(a.a, a.b, overrides, a.days)
    extra: tuple[str, ...] = ()
    if a.metric is not None and a.metric not in metrics.KEY_METRICS:
        # what a run's summary holds, from the shortest valid run
        keys = list(api.run(sa, seed=1, days=int(sa.params["run.warmup_days"]) + 1).summary)
        if a.metric not in keys:
            raise bad_metric(keys)
        extra = (a.metric,)
    perms = a.permutations
    total = n_runs(len(ds), a.replications, perms, np.random.default_rng(a.seed))
    if a.estimate:
        workers = a.workers or os.cpu_count() or 1
        low, high = estimate_seconds(sa, sb, total, workers)
        how = (f"all {1 << len(ds)} combinations" if len(ds) <= EXACT_MAX and perms is None
               else f"the prefixes of {perms or 64} sampled permutations")
        print(f"{len(ds)} dials ({', '.join(d.key for d in ds)}): {how} x {a.replications} "
              f"replications = {total} runs; about {low / 60:.1f} to {high / 60:.1f} min on "
              f"{workers} workers (one run of each scenario timed now; the high end counts "
              f"other work on the machine, load average {load_average()})")
        return 0
    out = writable_folder(a.out) if a.out else writable_folder(
        Path("results") / f"explain-{sa.name}-{sb.name}", "results folder")
    out.mkdir(parents=True, exist_ok=True)
    ex_ = None if a.workers == 1 and not a.scheduler else make(a.workers, a.scheduler)
    try:
        ex = explain(sa, sb, a.replications, a.seed, None, None, executor=ex_,
                     permutations=perms, evaluate=resumable(out / "batch"),
                     metric_names=(*metrics.KEY_METRICS, *extra))
    finally:
        if ex_ is not None:
            ex_.close()
    ex.provenance = {"cogov_sim": api.__version__, "git": git_commit(),
                     "overrides": overrides, "days": sa.params["run.days"]}
    ex.table.reset_index().to_parquet(out / "contributions.parquet", index=False)
    ex.interactions.reset_index().to_parquet(out / "interactions.parquet", index=False)
    ex.runs.drop(columns=["error"], errors="ignore").to_parquet(out / "runs.parquet", index=False)
    metric = a.metric or metrics.KEY_METRICS[0]
    figs = waterfall(ex, metric, out)
    (out / "explain.json").write_text(json.dumps(json_safe(ex.to_dict()), indent=1, default=str))
    if a.json:
        print(json.dumps(json_safe(ex.to_dict()), default=str))
    else:
        print(text(ex, [metric] if a.metric else None, top=a.top))
        print(f"\n{total} runs in {ex.seconds:.0f} s; wrote {out}/contributions.parquet, "
              f"interactions.parquet, runs.parquet, explain.json, {figs[0].name}, {figs[1].name}"
              f"\ncogov-sim {api.__version__}, git {git_commit() or 'n/a'}; {sa.name} "
              f"({sa.source}, hash {sa.hash}), {sb.name} ({sb.source}, hash {sb.hash})")
    if sys.stderr.isatty():
        print(f"explain: {total} runs in {ex.seconds:.0f} s", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `explain` to the `cogov` command."""
    from cogov_sim.batch.cli import add_worker_options
    from cogov_sim.cli import int_at_least

    e = sub.add_parser("explain", help="attribute the difference between two scenarios to the "
                       "dials they differ in (Shapley values, paired seeds, bootstrap CIs)")
    e.add_argument("a", help="the reference scenario (name or .toml)")
    e.add_argument("b", help="the scenario whose difference from A is explained")
    e.add_argument("-r", "--replications", type=int_at_least("--replications", 2),
                   help="replications (default 10)")
    e.add_argument("--seed", type=int_at_least("--seed", 0), help="master seed (default 1)")
    e.add_argument("--days", type=int_at_least("--days", 1))
    e.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter in both scenarios (repeatable)")
    e.add_argument("--metric", help="the metric to print and draw (default: every headline "
                   "metric printed, the first drawn); any summary key, e.g. "
                   "gap_resolution_rmst_rural_urban")
    e.add_argument("--permutations", type=int_at_least("--permutations", 2),
                   help=f"sample this many permutations instead of all 2^k combinations "
                   f"(default: exact up to {EXACT_MAX} dials, 64 permutations above)")
    e.add_argument("--top", type=int_at_least("--top", 1),
                   help="print only the N largest contributions per metric")
    e.add_argument("--from", dest="from_file", metavar="FILE",
                   help="print a result written before (explain.json or its folder; the shipped "
                   "results/explain-fragmented-committee works from any folder) instead of running")
    e.add_argument("--estimate", action="store_true", help="say how many runs and how long, "
                   "then stop")
    e.add_argument("--json", action="store_true", help="print the result as one JSON object")
    e.add_argument("--out", metavar="DIR", help="where to write Parquet, JSON and the waterfall "
                   "(default results/explain-A-B); its batch/ folder holds the runs: the same "
                   "command again resumes an interrupted explanation")
    add_worker_options(e)
    e.set_defaults(func=cmd_explain)
