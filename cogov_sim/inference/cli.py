"""`cogov infer`: history matching, then ABC, to a posterior folder; `--estimate` first."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from cogov_sim import shipped
from cogov_sim.batch import evaluate, executors
from cogov_sim.batch.cli import add_worker_options, output_folder
from cogov_sim.batch.progress import hms, load_average
from cogov_sim.cli import git_commit
from cogov_sim.errors import InputError

INFER = "experiments/infer.toml"  # ./experiments first, else the shipped file


def say(message: str) -> None:
    print(f"cogov infer: {message}", file=sys.stderr, flush=True)


def estimate(spec, executor: executors.Executor) -> dict[str, float]:
    """A pilot of the pattern runs at points spread over the prior box, in every scenario,
    through the same executor (one warm-up run per worker first); the planned runs at that
    pace, plus the emulators' fitting measured on a stand-in of the waves' size."""
    from . import history, pipeline

    b = pipeline.box(spec)
    workers = executor.workers
    take = max(4 * workers, 8)
    U = history.qmc.LatinHypercube(len(b.keys), rng=np.random.default_rng(spec.seed)).random(take)
    pts = b.points(b.scale(U))
    scs = list(spec.scenarios.values())
    t0 = time.perf_counter()
    evaluate(pipeline.MODEL, pts[:workers], seed=spec.seed, scenario=scs[0], executor=executor,
             chunk=1)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for sc in scs:
        evaluate(pipeline.MODEL, pts, seed=spec.seed, scenario=sc, executor=executor, chunk=1)
    rate = take * len(scs) / (time.perf_counter() - t0)
    runs = spec.runs()
    fit = fit_seconds(spec) if spec.waves else 0.0
    total_runs = sum(runs.values())
    return {"runs": runs, "total_runs": total_runs, "runs_per_s": rate, "fit_s": fit,
            "startup_s": warm, "seconds": total_runs / rate + fit + warm}


def fit_seconds(spec) -> float:
    """One target's emulator fitted and used on a stand-in of a wave's size, times the
    targets and the waves."""
    from . import history

    d = len(spec.keys)
    rng = np.random.default_rng(spec.seed)
    U = rng.random((spec.points, d))
    y = np.sin(3 * U @ rng.normal(size=d) / np.sqrt(d)) + rng.normal(0, 0.3, len(U))
    t0 = time.perf_counter()
    em = history.fit_target(spec.targets[0], U, y, spec.seed)
    fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    if em is not None:
        em.implausibility(rng.random((history.CANDIDATES, d)))
    use = time.perf_counter() - t0
    n = len(spec.targets)
    # each wave: fit every target; sample the region: a few rounds of candidates through
    # every earlier wave's emulators; ABC's proposals checked the same way
    return spec.waves * n * fit + (spec.waves * (spec.waves + 1) / 2 * 2 + spec.generations) * n * use


def show(rec: dict) -> str:
    """A finished posterior in words: each parameter's posterior beside its prior, the
    posterior predictive counts, the headline with both intervals."""
    a = rec["abc"]
    lines = [f"posterior of {a['particles']} particles (ESS {a['ess']:.0f}, ε {a['epsilon']:.3f}), "
             f"from {rec['runs']:,} runs; git {rec.get('git') or 'n/a'}, seed {rec['seed']}, "
             f"file {rec['file']}:"]
    for row in rec["summary"]:
        lines.append(f"  {row['parameter']}: {row['median']:.4g} [{row['q05']:.4g}, "
                     f"{row['q95']:.4g}] (prior [{row['prior_low']:g}, {row['prior_high']:g}]; "
                     f"the 90% interval spans {row['width_share']:.0%} of it)")
    c = rec.get("predictive", {})
    for role, label in (("calibration", "calibration targets"), ("held-out", "held out")):
        if role not in c:
            continue
        miss = f" (misses: {', '.join(c[role]['misses'])})" if c[role]["misses"] else ""
        lines.append(f"posterior predictive, {label}: {c[role]['hold']} of {c[role]['of']} "
                     f"hold{miss}")
    h = rec.get("headline", {})
    for pair, r in h.get("differences", {}).items():
        lines.append(
            f"headline, {pair} ({h['metric']}, {h['draws']} draws x {h['replications']} "
            f"replications): at the table's values {r['defaults_diff']:+.1f} "
            f"[{r['defaults_ci_low']:+.1f}, {r['defaults_ci_high']:+.1f}] (run to run only); "
            f"over the posterior {r['posterior_diff']:+.1f}, 95% interval "
            f"[{r['interval_low']:+.1f}, {r['interval_high']:+.1f}] (parameters and runs; "
            f"{r['share_between']:.0%} of the variance between draws)")
    return "\n".join(lines)


def stale(meta: dict) -> list[str]:
    """Why a stored posterior no longer matches the scenarios it was made from, if it does not."""
    from cogov_sim.scenario import load

    out = []
    for name, rec in meta.get("scenarios", {}).items():
        try:
            now = load(name).hash
        except InputError:
            out.append(f"scenario '{name}' is gone")
            continue
        if now != rec.get("hash"):
            out.append(f"scenario '{name}' changed since (hash {rec.get('hash')} then, {now} now)")
    return out


def cmd_infer(a: argparse.Namespace) -> int:
    from .pipeline import infer
    from .spec import load_spec

    if a.show:
        from .posterior import read

        post = read(shipped.locate(a.show, "results"))
        print(show(post.meta))
        for w in stale(post.meta):
            print(f"cogov: warning: {a.show}: {w}; run `cogov infer` again", file=sys.stderr)
        return 0
    spec = load_spec(a.file)
    out = output_folder(a.out, spec.name, spec.source)
    ex = executors.make(a.workers, a.scheduler)
    try:
        if a.estimate:
            e = estimate(spec, ex)
            r = e["runs"]
            print(f"{spec.name}: {len(spec.keys)} parameters, {len(spec.targets)} targets in "
                  f"{len(spec.scenarios)} scenarios -> {e['total_runs']:,} runs (history "
                  f"matching {r['history']:,}, ABC {r['abc']:,}, predictive check {r['check']:,}, "
                  f"headline {r['headline']:,}). "
                  f"Pilot on {ex.label} ({ex.workers} workers): {e['runs_per_s'] * 60:.0f} "
                  f"runs/min; emulators {hms(e['fit_s'])}. Estimated time on this machine: "
                  f"{hms(e['seconds'])} (load average now {load_average()}; other work on "
                  "the machine slows it).")
            return 0
        t0 = time.perf_counter()
        rec = infer(spec, out, ex, git=git_commit(), say=say)
    finally:
        ex.close()
    print(f"{spec.name}: {rec['runs']:,} runs ({rec['ran_now']:,} now) in "
          f"{hms(time.perf_counter() - t0)}.")
    print(show(rec))
    print(f"results: {out}/ (posterior.csv, posterior.json, predictive.csv, headline/, stages/)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `infer` to the `cogov` command."""
    p = sub.add_parser("infer", help="history matching + ABC: a posterior of the parameters "
                       "the headline rests on")
    p.add_argument("file", nargs="?", default=INFER,
                   help="inference file (default: experiments/infer.toml)")
    add_worker_options(p)
    p.add_argument("--out", metavar="DIR", help="results folder (default: results/NAME)")
    p.add_argument("--estimate", action="store_true",
                   help="run a short pilot and print how long the whole pipeline would take")
    p.add_argument("--show", metavar="DIR", help="print a finished posterior folder (runs "
                   "nothing), e.g. the shipped results/posterior")
    p.set_defaults(func=cmd_infer)
