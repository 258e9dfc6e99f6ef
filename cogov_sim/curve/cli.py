"""`cogov curve A B --over issues.rate`: the difference B - A with its CI across a dial, each
point's load shown; printed, and with `--out` written as CSV, JSON and a figure."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cogov_sim import api, metrics
from cogov_sim.curve.compute import METRICS, Curve, curve
from cogov_sim.curve.inputs import MAX_POINTS, MAX_REPLICATIONS, grid, parse_values, prepare
from cogov_sim.curve.verdict import Verdict, verdict
from cogov_sim.errors import InputError
from cogov_sim.scenario import Scenario


def check_metrics(text: str | None, sc: Scenario) -> tuple[str, ...]:
    """`--metrics a,b` as names a run's summary has (the headline ones without running)."""
    if not text:
        return METRICS
    from cogov_sim.render import LABELS

    names = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    known = {*METRICS, *metrics.KEY_METRICS, *LABELS}
    if all(n in known for n in names) and names:
        return names
    # what a run's summary holds, from the shortest valid run
    keys = list(api.run(sc, seed=1, days=int(sc.params["run.warmup_days"]) + 1).summary)
    for n in names or ("",):
        if n not in keys:
            from cogov_sim.errors import did_you_mean

            raise InputError("--metrics", f"'{n}' is not a summary metric{did_you_mean(n, keys)};"
                             " allowed: comma-separated summary keys (`cogov run SCENARIO "
                             "--json` lists them), e.g. " + ",".join(METRICS))
    return names


def _f(x: float | None, metric: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.2f}" if metric.endswith("_days") else f"{x:.3f}"


def _ci(r: Any, prefix: str, metric: str, sign: bool = False) -> str:
    mid = r[prefix if prefix == "diff" else f"{prefix}_mean"]
    lo, hi = r[f"{prefix}_ci_low"], r[f"{prefix}_ci_high"]
    head = ("+" if sign and mid is not None and mid >= 0 else "") + _f(mid, metric)
    return f"{head} [{_f(lo, metric)}, {_f(hi, metric)}]"


def text(c: Curve, verdicts: dict[str, Verdict]) -> str:
    """The curve as readable tables, one per metric, each followed by its verdict."""
    from cogov_sim.render import LABELS

    a, b = c.a.name, c.b.name
    out = []
    for m in c.metrics:
        t = c.table[c.table["metric"] == m].sort_values("value")
        rows = [[f"{r['value']:g}", _f(r["a_util"], "u"), _f(r["b_util"], "u"),
                 _f(r["a_intake_util"], "u"), _f(r["b_intake_util"], "u"), _ci(r, "a", m),
                 _ci(r, "b", m), _ci(r, "diff", m, sign=True), _f(r["a_open"], "u"),
                 _f(r["b_open"], "u")] for _, r in t.iterrows()]
        head = [c.over, f"util {a}", f"util {b}", f"door {a}", f"door {b}", a, b,
                f"{b} - {a} [95% CI]", f"open {a}", f"open {b}"]
        w = [max(len(x[i]) for x in [head, *rows]) for i in range(len(head))]
        out.append(f"{LABELS.get(m, m).strip()}: mean [95% CI]")
        out += ["  ".join(x.rjust(w[i]) for i, x in enumerate(line)) for line in [head, *rows]]
        out += [verdicts[m].sentence, ""]
    out.append(f"{c.replications} replications per point (master seed {c.seed}, the same seeds "
               f"at every point and in both arms: differences paired by seed); util = "
               "departments' utilisation (busy / staffed), door = the intake doors' (one door's centre, "
               "or each department's own door), open = share of issues still open at "
               f"the run's end; {c.a.params['run.days']} days.")
    return "\n".join(out)


def verdicts_of(c: Curve) -> dict[str, Verdict]:
    """Each metric's verdict: where B stops being better than A."""
    return {m: verdict(c.table[c.table["metric"] == m], m, c.a.name, c.b.name, c.over)
            for m in c.metrics}


def provenance(c: Curve, seconds: float, workers: str) -> dict[str, Any]:
    """What made the curve: scenarios (files, hashes, overrides), dial, seeds, code version."""
    from cogov_sim.cli import git_commit
    from cogov_sim.params import table

    return {
        "a": {"name": c.a.name, "file": c.a.source, "hash": c.a.hash, "overrides": c.a.overrides},
        "b": {"name": c.b.name, "file": c.b.source, "hash": c.b.hash, "overrides": c.b.overrides},
        "over": c.over, "unit": table()[c.over].unit, "values": c.values,
        "replications": c.replications, "seed": c.seed,
        "replication_seeds": api.replication_seeds(c.seed, c.replications),
        "days": c.a.params["run.days"], "warmup_days": c.a.params["run.warmup_days"],
        "metrics": list(c.metrics), "cogov_sim": api.__version__, "git": git_commit(),
        "seconds": round(seconds, 1), "ran_on": workers,
    }


def to_dict(c: Curve, verdicts: dict[str, Verdict], prov: dict[str, Any]) -> dict[str, Any]:
    """The curve as JSON: provenance, the tidy table and each metric's verdict."""
    from cogov_sim.cli import json_safe

    return json_safe({
        "provenance": prov,
        "table": c.table.to_dict(orient="records"),
        "verdicts": {m: {"first_not_better": v.first_not_better, "holds_on": v.holds_on,
                         "first_worse": v.first_worse, "states": list(v.states),
                         "sentence": v.sentence} for m, v in verdicts.items()},
    })


def write(c: Curve, data: dict[str, Any], out: Path) -> list[Path]:
    """curve.csv (tidy), runs.parquet (per run), curve.json and the figure (PNG, SVG)."""
    from cogov_sim.curve.figure import draw

    out.mkdir(parents=True, exist_ok=True)
    c.table.to_csv(out / "curve.csv", index=False)
    c.runs.to_parquet(out / "runs.parquet", index=False)
    (out / "curve.json").write_text(json.dumps(data, indent=1, ensure_ascii=False),
                                    encoding="utf-8")
    own = {s.params[c.over] for s in (c.a, c.b)}
    marks = {float(v): f"scenarios' value: {v:g}" for v in own} if len(own) == 1 else {}
    figs = draw(c.table, c.metrics[0], c.a.name, c.b.name, c.over,
                data["provenance"]["unit"], c.replications, out, marks)
    return [out / "curve.csv", out / "runs.parquet", out / "curve.json", *figs]


def values_given(a: argparse.Namespace) -> Sequence[float] | None:
    """--values, or --from/--to/--points, or None (the dial's default grid)."""
    span = (a.start, a.stop, a.points)
    if a.values is not None and any(x is not None for x in span):
        raise InputError("--values", "is given with --from/--to/--points; allowed: one of the two")
    if a.values is not None:
        return parse_values(a.values)
    if any(x is not None for x in span):
        missing = [f for f, x in zip(("--from", "--to", "--points"), span, strict=True)
                   if x is None]
        if missing:
            raise InputError(missing[0], "is missing; allowed: --from, --to and --points "
                             "together (e.g. --from 0.1 --to 1.2 --points 12)")
        return grid(a.start, a.stop, a.points)
    return None


def cmd_curve(a: argparse.Namespace) -> int:
    from cogov_sim.batch.executors import make
    from cogov_sim.batch.progress import Progress
    from cogov_sim.cli import output_folder, set_values, warn_late_changes

    sa, sb, values = prepare(a.a, a.b, a.over, values_given(a), set_values(a.set), a.days)
    names = check_metrics(a.metrics, sa)
    for s in (sa, sb):
        warn_late_changes(s)
    if a.out:
        output_folder(a.out)  # before the runs: a bad --out costs nothing
    total, done = 2 * len(values) * a.replications, [0]

    def progress(name: str, v: float, r: int) -> None:
        done[0] += 1
        if sys.stderr.isatty():
            print(f"\r{done[0]}/{total} runs ({name}, {a.over} = {v:g})", end="",
                  file=sys.stderr, flush=True)

    ex = None if a.workers == 1 and not a.scheduler else make(a.workers, a.scheduler)
    monitor = Progress(0) if a.out and sys.stderr.isatty() else None
    t0 = time.perf_counter()
    try:
        c = curve(sa, sb, a.over, values, a.replications, a.seed, metrics=names, executor=ex,
                  progress=progress, store=Path(a.out) / "batch" if a.out else None,
                  monitor=monitor)
    finally:
        label = "in-process" if ex is None else f"{ex.label} ({ex.workers} workers)"
        if monitor is not None:
            monitor.close()
        if ex is not None:
            ex.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    vs = verdicts_of(c)
    data = to_dict(c, vs, provenance(c, time.perf_counter() - t0, label))
    # printed before anything is written: if writing fails, the results are still on screen
    if a.json:
        print(json.dumps(data, ensure_ascii=False), flush=True)
    else:
        p = data["provenance"]
        print(text(c, vs))
        print(f"{total} runs in {p['seconds']:.0f} s ({label}); cogov-sim {p['cogov_sim']}, git "
              f"{p['git'] or 'n/a'}; {sa.name} ({sa.source}, hash {sa.hash}), {sb.name} "
              f"({sb.source}, hash {sb.hash})", flush=True)
    if a.out:
        paths = write(c, data, Path(a.out))
        if not a.json:
            print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def number(flag: str) -> Callable[[str], float]:
    """An argparse type: a finite number, with a message naming the flag."""
    def check(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            raise argparse.ArgumentTypeError(f"{flag}: value '{text}' is not a number; allowed: "
                                             "a finite number")
        return x
    return check


def register(sub: argparse._SubParsersAction) -> None:
    """Add `curve` to the `cogov` command."""
    from cogov_sim.batch.cli import add_worker_options
    from cogov_sim.cli import int_at_least

    c = sub.add_parser("curve", help="B - A with 95%% CIs across a dial (default: load, "
                       "issues.rate), each point's utilisation shown")
    c.add_argument("a", help="the reference scenario (name or .toml), e.g. fragmented")
    c.add_argument("b", help="the scenario compared with it, e.g. committee")
    c.add_argument("--over", default="issues.rate", metavar="PARAM",
                   help="the numeric parameter along the curve (default issues.rate)")
    c.add_argument("--values", metavar="V1,V2,...", help="the dial's values (default for "
                   "issues.rate: 0.1,0.2,0.3,0.4,0.5,0.6,0.8,1.0,1.2)")
    c.add_argument("--from", dest="start", type=number("--from"), metavar="LOW",
                   help="with --to and --points: evenly spaced values")
    c.add_argument("--to", dest="stop", type=number("--to"), metavar="HIGH")
    c.add_argument("--points", type=int_at_least("--points", 2, MAX_POINTS))
    c.add_argument("-r", "--replications", type=int_at_least("--replications", 2,
                                                             MAX_REPLICATIONS), default=10)
    c.add_argument("--seed", type=int_at_least("--seed", 0), default=1)
    c.add_argument("--days", type=int_at_least("--days", 1))
    c.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter in both scenarios (repeatable)")
    c.add_argument("--metrics", metavar="M1,M2,...", help="summary metrics (default "
                   f"{','.join(METRICS)}; the first is drawn)")
    c.add_argument("--json", action="store_true", help="print the result as one JSON object")
    c.add_argument("--out", metavar="DIR", help="write curve.csv, runs.parquet, curve.json, "
                   "curve.png and curve.svg; its batch/ folder keeps the runs as they finish: "
                   "the same command again resumes an interrupted curve")
    add_worker_options(c)
    c.set_defaults(func=cmd_curve)
