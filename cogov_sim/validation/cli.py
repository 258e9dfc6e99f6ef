"""`cogov calibrate` and `cogov validate`: parse, run, print where the results are."""

from __future__ import annotations

import argparse
from pathlib import Path

from cogov_sim.batch import executors
from cogov_sim.batch.cli import add_worker_options, output_folder
from cogov_sim.cli import git_commit, int_at_least

CALIBRATE = "experiments/calibrate.toml"  # ./experiments first, else the shipped file
VALIDATION = "experiments/validation.toml"


def cmd_calibrate(a: argparse.Namespace) -> int:
    from .calibrate import calibrate, load_calibration

    cal = load_calibration(a.file)
    out = output_folder(a.out, cal.name, cal.source)  # before anything runs
    ex = executors.make(a.workers, a.scheduler)
    try:
        rec = calibrate(cal, out, ex, git=git_commit())
    finally:
        ex.close()
    print(f"{cal.name}: {rec['runs']} runs; distance {rec['distance_confirm']:.3f} over "
          f"{rec['confirm_replications']} replications at:")
    for k, v in rec["best"].items():
        print(f"  {k} = {v}")
    for name, r in rec["patterns"].items():
        ci = r["ci"]
        print(f"  {name}: {r['mean']:.4g} [{ci[0]:.4g}, {ci[1]:.4g}] band {r['band']}: "
              f"{'holds' if r['holds'] else 'does not hold'}")
    print(f"results: {out}/ (calibration.json, points.csv, design.parquet)")
    return 0


def cmd_validate(a: argparse.Namespace) -> int:
    from .report import summary, validate

    ex = executors.make(a.workers, a.scheduler)
    try:
        out, table = validate(a.file, Path(a.out) if a.out else None, ex, a.replications)
    finally:
        ex.close()
    held = int(table["holds"].sum())
    print(f"{held} of {len(table)} patterns hold. {summary(table)}; report: "
          f"{out / 'validation.md'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `calibrate` and `validate` to the `cogov` command."""
    c = sub.add_parser("calibrate", help="calibrate magnitudes to the published patterns")
    c.add_argument("file", nargs="?", default=CALIBRATE,
                   help="calibration file (default: experiments/calibrate.toml)")
    add_worker_options(c)
    c.add_argument("--out", metavar="DIR", help="results folder (default: results/calibrate)")
    c.set_defaults(func=cmd_calibrate)

    v = sub.add_parser("validate", help="run the validation patterns and write validation.md")
    v.add_argument("file", nargs="?", default=VALIDATION,
                   help="experiment file (default: experiments/validation.toml)")
    add_worker_options(v)
    v.add_argument("--out", metavar="DIR", help="where to write (default: results/validation)")
    v.add_argument("--replications", "-r", type=int_at_least("--replications", 1),
                   help="replications per scenario (default: the file's)")
    v.set_defaults(func=cmd_validate)
