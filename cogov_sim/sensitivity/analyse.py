"""From a sweep's runs table to sensitivity indices, with replicates handled properly.

Seeds are not a parameter of the design: each design point is run R times, the indices are
computed on the replicate means, and the share of variance that is run-to-run noise is
reported beside them. Confidence intervals are SALib's bootstrap; convergence compares the
indices from the first half of the design with those from all of it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from cogov_sim.errors import InputError
from cogov_sim.sensitivity.sweep import Sweep, label_of, metric

if TYPE_CHECKING:
    from cogov_sim.sensitivity.emulator import Runs

CONVERGED = 0.05  # largest acceptable change of any index between half and full design
CI_WIDEST = 0.1  # largest acceptable 95% CI half-width of any index
NOISY = 0.2  # share of the variance of replicate means that may be noise
EMULATOR_Q2 = 0.8  # held-out predictivity an emulator needs before its indices are trusted
EMULATOR_COVERAGE = (0.85, 1.0)  # share of held-out means inside its 95% intervals
READ_TO = 0.005
"""Half the last digit the report prints an index to: a miss of [0, 1] smaller than this is
rounding, not an impossible index (an emulator's dial that does nothing has S1 -0.00005 with a
CI of 0.00004, both read as 0.00)."""


@dataclass
class OutputResult:
    """Indices for one output, and the diagnostics that say how far to trust them."""

    output: str
    indices: pd.DataFrame
    noise_share: float  # of replicate-level variance: within-point / total
    noise_in_means: float  # of the variance of replicate means
    half_change: float  # max |index(full) - index(half)| over every index, NaN if uncheckable
    warnings: list[str] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)
    """Parameters whose indices cannot be (outside [0, 1], or S1 above ST) beyond their CIs."""
    replicated: tuple[int, int, float] | None = None
    """With a second stage: how many points were replicated, to how many runs, and the share
    of the spread between their single runs that is run-to-run noise."""


def replicate_values(sweep: Sweep, runs: pd.DataFrame, output: str) -> pd.DataFrame:
    """Points x replications table of one output (the contrast's difference when set)."""
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        raise InputError(sweep.source, f"{len(failed)} of {len(runs)} runs failed (see the "
                         "runs table's error column); rerun the sweep to retry them")
    name, log = metric(output)
    if name not in runs.columns:
        raise InputError(sweep.source, f"no output '{name}' in the runs", key="outputs")
    runs = runs[["point", "replication", "scenario", name]].rename(columns={name: output})
    if log:
        bad = runs[output] <= 0
        if bad.any():
            raise InputError(sweep.source, f"value {float(runs.loc[bad, output].iloc[0])!r} of "
                             f"'{name}' cannot be logged (it must be > 0); allowed: '{name}' "
                             "without 'log:'", key="outputs")
        runs = runs.assign(**{output: np.log(runs[output])})
    if sweep.contrast:
        a, b = sweep.contrast
        wide = runs.pivot_table(index=["point", "replication"], columns="scenario",
                                values=output, dropna=False)
        vals = (wide[a] - wide[b]).rename(output).reset_index()
    else:
        vals = runs[["point", "replication", output]]
    return vals.pivot(index="point", columns="replication", values=output).sort_index()


def analyse(sweep: Sweep, X: np.ndarray, runs: pd.DataFrame,
            say: Callable[[str], None] | None = None) -> list[OutputResult]:
    """Indices for every output of interest, on replicate means; `say` hears each step (an
    emulator's analysis of one output takes minutes, so an emulator's outputs are analysed
    side by side, one process per core)."""
    outputs = list(enumerate(sweep.outputs, 1))
    tables = {o: replicate_values(sweep, runs, o) for _, o in outputs}
    for o, reps in tables.items():
        if len(reps) != len(X):
            raise InputError(sweep.source, f"the runs cover {len(reps)} of {len(X)} design "
                             f"points ({o}); rerun the sweep to finish it")
    cores = min(len(outputs), os.cpu_count() or 1)
    if sweep.method.name != "emulator" or cores < 2:
        return [_one(sweep, X, tables[o], i, say) for i, o in outputs]
    with ProcessPoolExecutor(cores, mp_context=get_context("spawn")) as pool:
        jobs = []
        for i, o in outputs:
            if say is not None:
                say(f"analysing output {i} of {len(outputs)}: {o} ({sweep.method.name} on "
                    f"{len(X)} design points; {cores} outputs at a time, one per core)")
            jobs.append(pool.submit(_one, sweep, X, tables[o], i, None, o))
        return [j.result() for j in jobs]


def point_runs(reps: pd.DataFrame) -> tuple[np.ndarray, Runs]:
    """Each design point's mean over its runs, and its count of runs and their sum of squares
    about that mean (from a points x replications table; a point may have fewer runs)."""
    from cogov_sim.sensitivity.emulator import Runs

    Y = reps.mean(axis=1).to_numpy()
    return Y, Runs.of(len(Y), reps.notna().sum(axis=1).to_numpy(),
                      reps.sub(Y, axis=0).pow(2).sum(axis=1).to_numpy())


def _one(sweep: Sweep, X: np.ndarray, reps: pd.DataFrame, i: int,
         say: Callable[[str], None] | None, label: str = "") -> OutputResult:
    """One output's indices and diagnostics, from its points x replications table; `label`
    names the output in the emulator's progress lines (outputs analysed side by side)."""
    from cogov_sim.sensitivity.emulator import speaking_for  # SciPy's QMC, loaded late

    output = sweep.outputs[i - 1]
    if say is not None:
        say(f"analysing output {i} of {len(sweep.outputs)}: {output} ({sweep.method.name}"
            f" on {len(X)} design points)")
    problem = sweep.problem
    Y, runs = point_runs(reps)
    counts, within = runs.n, runs.ss
    uneven = bool((counts != counts[0]).any())
    # an emulator reads the noise's level off the points' own runs wherever there are two
    extra = {"runs": runs} if uneven or sweep.method.name == "emulator" else {}
    # one BLAS thread: SALib's delta method took 13x longer with two while other work kept the
    # two cores busy (OpenBLAS's threads spin for each other)
    with speaking_for(label), threadpool_limits(1):
        idx = sweep.method.analyze(problem, X, Y, sweep.seed, **extra)
        half = _half_change(sweep, X, Y, idx, extra.get("runs"))
    if uneven:  # run-to-run noise where it was measured: at the replicated points only
        rep = counts > 1
        within_var = float(np.mean(within[rep] / (counts[rep] - 1)))
        total = float(np.nanvar(reps.to_numpy()[rep], ddof=1))
        res = OutputResult(output, idx, np.nan, np.nan, half)
        res.replicated = (int(rep.sum()), int(counts.max()),
                          within_var / total if total > 0 else np.nan)
    else:
        within_var = float(np.nanmean(reps.var(axis=1, ddof=1))) if reps.shape[1] > 1 else np.nan
        total = float(np.nanvar(reps.to_numpy(), ddof=1))
        var_means = float(np.var(Y, ddof=1))
        res = OutputResult(output, idx,
                           within_var / total if total > 0 else np.nan,
                           (within_var / reps.shape[1]) / var_means if var_means > 0 else np.nan,
                           half)
    res.impossible = impossible(idx)
    res.warnings = _warnings(sweep, res)
    return res


INDEX_COLUMNS = ("S1", "ST", "delta")


def _half_change(sweep: Sweep, X: np.ndarray, Y: np.ndarray, idx: pd.DataFrame,
                 runs: Runs | None = None) -> float:
    """Largest change of any index (S1, ST, delta; Morris: mu* relative to the largest) between
    the analysis of the first half of the design and of all of it. An emulator is refitted
    on the first half from scratch (its `point`), and its indices are read on the same
    Saltelli sample of the emulator as the full fit's (whose S1, ST are `idx`'s)."""
    m = sweep.method
    rows = m.half(sweep.problem, X, sweep.n)
    if len(rows) < 4:
        return float("nan")
    full = idx
    if hasattr(m, "point"):  # an emulator: refit on the half only, no bootstrap needed
        half = m.point(sweep.problem, X[rows], Y[rows], sweep.seed,
                       **({"runs": runs.take(rows)} if runs is not None else {}))
    else:
        half = m.analyze(sweep.problem, X[rows], Y[rows], sweep.seed)
    if m.main == "mu_star":  # not bounded by 1: compare relative to the largest effect
        return float((full["mu_star"] - half["mu_star"]).abs().max()
                     / max(full["mu_star"].abs().max(), 1e-12))
    cols = [c for c in INDEX_COLUMNS if c in full.columns]
    return float(max((full[c] - half[c]).abs().max() for c in cols))


def widest_ci(idx: pd.DataFrame) -> float:
    """The largest 95% CI half-width of any index (S1, ST, delta); NaN without CIs."""
    cols = [f"{c}_conf" for c in INDEX_COLUMNS if f"{c}_conf" in idx.columns]
    return float(max(idx[c].max() for c in cols)) if cols else float("nan")


def impossible(idx: pd.DataFrame) -> list[str]:
    """Parameters whose Sobol' indices cannot be, beyond their confidence intervals and by
    more than READ_TO: S1 or ST outside [0, 1], or S1 above ST (a main effect larger than the
    total). A sign that the sample is too small or noise dominates (Saltelli et al. 2010)."""
    bad = []
    for name, row in idx.iterrows():
        for col in ("S1", "ST"):
            if col in idx.columns:
                half = float(row.get(f"{col}_conf", 0.0) or 0.0) + READ_TO
                if row[col] - half > 1.0 or row[col] + half < 0.0:
                    bad.append(str(name))
        if "S1" in idx.columns and "ST" in idx.columns and (
                row["S1"] - float(row.get("S1_conf", 0.0) or 0.0)
                > row["ST"] + float(row.get("ST_conf", 0.0) or 0.0) + READ_TO):
            bad.append(str(name))
    return list(dict.fromkeys(bad))


def _warnings(sweep: Sweep, r: OutputResult) -> list[str]:
    w = []
    name = r.output
    if r.impossible:
        w.append(f"{name}: indices that cannot be (outside [0, 1], or a main effect above the "
                 f"total, beyond their CIs) for " + ", ".join(f"`{p}`" for p in r.impossible)
                 + f" -- the estimates are not trustworthy at n = {sweep.n}; raise `n` and "
                 "`replications`.")
    if r.half_change == r.half_change and r.half_change >= CONVERGED:
        w.append(f"{name}: the indices moved by up to {r.half_change:.2f} between half the "
                 f"sample and all of it (converged means < {CONVERGED}) -- the sample is too "
                 f"small to trust the values; double `n` (now {sweep.n}).")
    widest = widest_ci(r.indices)
    if widest == widest and widest > CI_WIDEST:
        w.append(f"{name}: some confidence intervals are as wide as ±{widest:.2f} (converged "
                 f"means ≤ ±{CI_WIDEST}); a larger `n` would narrow them.")
    em = r.indices.attrs.get("emulator")
    if em and (em["q2"] < EMULATOR_Q2 or not EMULATOR_COVERAGE[0] <= em["coverage"]
               <= EMULATOR_COVERAGE[1]):
        w.append(f"{name}: the emulator validates weakly (held-out Q² {em['q2']:.2f}, 95% "
                 f"intervals hold {em['coverage']:.0%} of held-out means): the indices describe "
                 "the emulator more than the model; add design points or replications.")
    if r.noise_in_means == r.noise_in_means and r.noise_in_means > NOISY:
        w.append(f"{name}: {r.noise_in_means:.0%} of the variation between design points is "
                 f"still run-to-run noise after averaging {sweep.replications} replications; "
                 "raise `replications`.")
    return w


def ranked(r: OutputResult, main: str) -> pd.DataFrame:
    return r.indices.sort_values(main, ascending=False)


def plain_summary(sweep: Sweep, results: list[OutputResult], top: int = 3) -> str:
    """What a non-specialist needs: which dials matter most, how much they explain, how
    much is noise, and whether the sample was big enough."""
    main = sweep.method.main
    lines = []
    for r in results:
        order = ranked(r, main)
        names = list(order.index[:top])
        label = label_of(r.output)
        if sweep.contrast:
            label = f"the difference in {label} ({sweep.contrast[0]} minus {sweep.contrast[1]})"
        s = f"For {label}, the {len(names)} parameters that matter most are " + ", ".join(
            f"`{n}` ({main} {order.loc[n, main]:.2f})" for n in names)
        if "S1" in order.columns and not r.impossible:
            explained = float(np.clip(order["S1"].clip(lower=0).loc[names].sum(), 0, 1))
            s += f"; on their own they explain about {explained:.0%} of the variance"
            inter = float(np.clip((order["ST"] - order["S1"]).clip(lower=0).max(), 0, 1)) \
                if "ST" in order.columns else 0.0
            if inter > 0.1:
                s += (f", and interactions add more (up to {inter:.0%} for one parameter): the "
                      "effect of one dial depends on the others")
        s += "."
        least = [n for n in order.index if n not in names
                 and order.loc[n, main] < 0.05 * max(order[main].max(), 1e-12)]
        if least:
            s += " Hardly matters: " + ", ".join(f"`{n}`" for n in least) + "."
        if r.noise_share == r.noise_share:
            s += (f" Run-to-run noise is {r.noise_share:.0%} of the spread between single runs; "
                  f"averaging {sweep.replications} replications leaves "
                  f"{r.noise_in_means:.0%} in the design-point means.")
        if r.replicated:
            k, upto, share = r.replicated
            s += (f" A second stage ran the {k} points where a run was noisiest {upto} times "
                  f"each: there, run-to-run noise is {share:.0%} of the spread between single "
                  "runs.")
        em = r.indices.attrs.get("emulator")
        if em:
            s += (f" The indices come from a Gaussian-process emulator of the {em['points']} "
                  f"design-point means: held-out Q² {em['q2']:.2f}, its 95% intervals hold "
                  f"{em['coverage']:.0%} of held-out means; it puts {em['noise']:.0%} of the "
                  "means' variance down to run-to-run noise.")
        lines.append(s)
        lines += [f"Warning: {w}" for w in r.warnings]
    checked = all(r.half_change == r.half_change for r in results)
    conv = convergence_table(results)
    if not checked:
        lines.append("Convergence could not be checked (the design cannot be halved or is too "
                     "small): treat the ranking as provisional.")
    elif conv["converged"].all():
        lines.append(f"Converged for every output: no index moves by {CONVERGED} or more between "
                     f"half the design and all of it (largest {conv['max_half_change'].max():.3f})"
                     f" and no 95% CI is wider than ±{CI_WIDEST} (widest "
                     f"±{conv['max_ci_halfwidth'].max():.3f}).")
    else:
        bad = conv.loc[~conv["converged"], "output"]
        lines.append("NOT converged for " + ", ".join(f"`{o}`" for o in bad) + f" (an index "
                     f"moved by {CONVERGED} or more between half and all of the design, a CI is "
                     f"wider than ±{CI_WIDEST}, or an index cannot be): treat those indices as "
                     "provisional.")
    return "\n\n".join(lines)


def convergence_table(results: list[OutputResult]) -> pd.DataFrame:
    """Per output: the largest change of any index between half and all of the design, the
    widest CI, the emulator's validation (when there is one), the noise left in the means, and
    whether it meets the convergence criteria (change < CONVERGED, CI ≤ CI_WIDEST, no index
    that cannot be)."""
    rows = []
    for r in results:
        em = r.indices.attrs.get("emulator") or {}
        ci = widest_ci(r.indices)
        rows.append({"output": r.output, "max_half_change": r.half_change,
                     "max_ci_halfwidth": ci, "q2": em.get("q2", np.nan),
                     "coverage": em.get("coverage", np.nan),
                     "emulator_noise": em.get("noise", np.nan), "noise_in_means": r.noise_in_means,
                     "converged": bool(r.half_change == r.half_change
                                       and r.half_change < CONVERGED
                                       and (ci != ci or ci <= CI_WIDEST) and not r.impossible)})
    return pd.DataFrame(rows)


def indices_table(results: list[OutputResult]) -> pd.DataFrame:
    """All indices in one long table: output, parameter, index columns, diagnostics."""
    frames = []
    for r in results:
        df = r.indices.reset_index()
        df.insert(0, "output", r.output)
        df["noise_share"] = r.noise_share
        df["noise_in_means"] = r.noise_in_means
        df["half_change"] = r.half_change
        em = r.indices.attrs.get("emulator")
        if em:
            df["q2"], df["coverage"] = em["q2"], em["coverage"]
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
