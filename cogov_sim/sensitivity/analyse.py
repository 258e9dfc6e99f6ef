"""From a sweep's runs table to sensitivity indices, with replicates handled properly.

Seeds are not a parameter of the design: each design point is run R times, the indices are
computed on the replicate means, and the share of variance that is run-to-run noise is
reported beside them. Confidence intervals are SALib's bootstrap; convergence compares the
indices from the first half of the design with those from all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cogov_sim.errors import InputError
from cogov_sim.sensitivity.sweep import Sweep

CONVERGED = 0.1  # largest acceptable change of an index between half and full design
NOISY = 0.2  # share of the variance of replicate means that may be noise
EMULATOR_Q2 = 0.8  # held-out predictivity an emulator needs before its indices are trusted
EMULATOR_COVERAGE = (0.85, 1.0)  # share of held-out means inside its 95% intervals


@dataclass
class OutputResult:
    """Indices for one output, and the diagnostics that say how far to trust them."""

    output: str
    indices: pd.DataFrame
    noise_share: float  # of replicate-level variance: within-point / total
    noise_in_means: float  # of the variance of replicate means
    half_change: float  # max |index(full) - index(half)|, NaN when not checkable
    warnings: list[str] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)
    """Parameters whose indices cannot be (outside [0, 1], or S1 above ST) beyond their CIs."""


def replicate_values(sweep: Sweep, runs: pd.DataFrame, output: str) -> pd.DataFrame:
    """Points x replications table of one output (the contrast's difference when set)."""
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        raise InputError(sweep.source, f"{len(failed)} of {len(runs)} runs failed (see the "
                         "runs table's error column); rerun the sweep to retry them")
    if output not in runs.columns:
        raise InputError(sweep.source, f"no output '{output}' in the runs", key="outputs")
    if sweep.contrast:
        a, b = sweep.contrast
        wide = runs.pivot_table(index=["point", "replication"], columns="scenario",
                                values=output)
        vals = (wide[a] - wide[b]).rename(output).reset_index()
    else:
        vals = runs[["point", "replication", output]]
    return vals.pivot(index="point", columns="replication", values=output).sort_index()


def analyse(sweep: Sweep, X: np.ndarray, runs: pd.DataFrame) -> list[OutputResult]:
    """Indices for every output of interest, on replicate means."""
    out = []
    problem = sweep.problem
    for output in sweep.outputs:
        reps = replicate_values(sweep, runs, output)
        if len(reps) != len(X):
            raise InputError(sweep.source, f"the runs cover {len(reps)} of {len(X)} design "
                             "points; rerun the sweep to finish it")
        Y = reps.mean(axis=1).to_numpy()
        within = float(np.nanmean(reps.var(axis=1, ddof=1))) if reps.shape[1] > 1 else np.nan
        total = float(np.nanvar(reps.to_numpy(), ddof=1))
        var_means = float(np.var(Y, ddof=1))
        idx = sweep.method.analyze(problem, X, Y, sweep.seed)
        res = OutputResult(output, idx,
                           within / total if total > 0 else np.nan,
                           (within / reps.shape[1]) / var_means if var_means > 0 else np.nan,
                           _half_change(sweep, X, Y, idx))
        res.impossible = impossible(idx)
        res.warnings = _warnings(sweep, res)
        out.append(res)
    return out


def _half_change(sweep: Sweep, X: np.ndarray, Y: np.ndarray, idx: pd.DataFrame) -> float:
    rows = sweep.method.half(sweep.problem, X, sweep.n)
    if len(rows) < 4:
        return float("nan")
    half = sweep.method.analyze(sweep.problem, X[rows], Y[rows], sweep.seed)
    main = sweep.method.main
    diff = (idx[main] - half[main]).abs().max()
    if main == "mu_star":  # not bounded by 1: compare relative to the largest effect
        diff = diff / max(idx[main].abs().max(), 1e-12)
    return float(diff)


def impossible(idx: pd.DataFrame) -> list[str]:
    """Parameters whose Sobol' indices cannot be, beyond their confidence intervals: S1 or ST
    outside [0, 1], or S1 above ST (a main effect larger than the total). A sign that the
    sample is too small or noise dominates (Saltelli et al. 2010)."""
    bad = []
    for name, row in idx.iterrows():
        for col in ("S1", "ST"):
            if col in idx.columns:
                half = float(row.get(f"{col}_conf", 0.0) or 0.0)
                if row[col] - half > 1.0 or row[col] + half < 0.0:
                    bad.append(str(name))
        if "S1" in idx.columns and "ST" in idx.columns and (
                row["S1"] - float(row.get("S1_conf", 0.0) or 0.0)
                > row["ST"] + float(row.get("ST_conf", 0.0) or 0.0)):
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
    if r.half_change == r.half_change and r.half_change > CONVERGED:
        w.append(f"{name}: the indices moved by up to {r.half_change:.2f} between half the "
                 f"sample and all of it -- the sample is too small to trust the ranking; "
                 f"double `n` (now {sweep.n}).")
    conf = [c for c in r.indices.columns if c.endswith("_conf")]
    main = sweep.method.main
    if conf and main in ("ST", "delta"):
        widest = float(r.indices[f"{main}_conf"].max())
        if widest > CONVERGED:
            w.append(f"{name}: some confidence intervals are wider than ±{widest:.2f}; a larger "
                     "`n` would narrow them.")
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
        label = r.output.replace("_", " ")
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
        least = [n for n in order.index if order.loc[n, main] < 0.05 * max(order[main].max(), 1e-12)]
        if least:
            s += " Hardly matters: " + ", ".join(f"`{n}`" for n in least) + "."
        if r.noise_share == r.noise_share:
            s += (f" Run-to-run noise is {r.noise_share:.0%} of the spread between single runs; "
                  f"averaging {sweep.replications} replications leaves "
                  f"{r.noise_in_means:.0%} in the design-point means.")
        em = r.indices.attrs.get("emulator")
        if em:
            s += (f" The indices come from a Gaussian-process emulator of the {em['points']} "
                  f"design-point means: held-out Q² {em['q2']:.2f}, its 95% intervals hold "
                  f"{em['coverage']:.0%} of held-out means.")
        lines.append(s)
        lines += [f"Warning: {w}" for w in r.warnings]
    checked = all(r.half_change == r.half_change for r in results)
    if not any(r.warnings for r in results) and checked:
        lines.append("The indices from half the sample agree with those from all of it: the "
                     "sample is large enough for this ranking.")
    elif not checked:
        lines.append("Convergence could not be checked (the design cannot be halved or is too "
                     "small): treat the ranking as provisional.")
    return "\n\n".join(lines)


def indices_table(results: list[OutputResult]) -> pd.DataFrame:
    """All indices in one long table: output, parameter, index columns, diagnostics."""
    frames = []
    for r in results:
        df = r.indices.reset_index()
        df.insert(0, "output", r.output)
        df["noise_share"] = r.noise_share
        df["noise_in_means"] = r.noise_in_means
        df["half_change"] = r.half_change
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
