"""The `cogov` command: parse, call the API, print. Bad input exits 2 with one line."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from cogov_sim import api, metrics, render, shipped, survival
from cogov_sim.errors import (
    InputError,
    did_you_mean,
    one_line,
    os_error_line,
    writable_folder,
)
from cogov_sim.flags import git_commit, int_at_least, json_safe, set_values  # noqa: F401
from cogov_sim.params import table
from cogov_sim.scenario import Scenario, load, origins


class Parser(argparse.ArgumentParser):
    """argparse with the project's error format: one line `cogov: error: ...`, exit code 2
    (the usage is one `--help` away, not printed with every mistake)."""

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument command: ", "", message)
        message = re.sub(r"^argument (--?[\w-]+)(?:/--?[\w-]+)*: (\1: |\1 )", r"\2", message)
        if m := re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message):
            options = re.findall(r"'?([\w.-]+)'?", m.group(2))
            message = f"{message}{did_you_mean(m.group(1), options)}"
        sys.stderr.write(one_line(f"cogov: error: {message}; `{self.prog} --help` shows the usage")
                         + "\n")
        sys.exit(2)


def warn_late_changes(sc: Scenario) -> None:
    """Say on stderr when part of a scenario's timeline falls after the run ends."""
    late = sc.late_changes()
    if late:
        days = ", ".join(map(str, late))
        print(f"cogov: warning: {sc.source or sc.name}: [[change]] on day {days} comes at or "
              f"after the end of the run (run.days = {sc.params['run.days']}) and never takes "
              "effect", file=sys.stderr)


def output_folder(out: str) -> Path:
    """--out of `run` and `compare`: writable, and not a batch's results folder (whose
    runs.parquet it would overwrite)."""
    path = writable_folder(out)
    if (path / "manifest.json").exists() or (path / "manifest.backup.json").exists():
        raise InputError(f"--out {path}", "is a batch results folder (it has a manifest.json); "
                         "its runs.parquet would be overwritten: give another folder")
    return path


def cmd_run(a: argparse.Namespace) -> int:
    sc = load(a.scenario, set_values(a.set) or None)
    if a.days is not None:
        sc = sc.with_overrides({"run.days": a.days}, source="--days")
    warn_late_changes(sc)
    if a.out:
        output_folder(a.out)  # before the run: a bad --out costs nothing
    res = api.run(sc, seed=a.seed)
    prov = {**res.provenance, "git": git_commit()}
    # printed before anything is written: if writing fails, the results are still on screen
    if a.json:
        print(json.dumps(json_safe({"provenance": prov, "summary": res.summary})), flush=True)
    else:
        warm = float(sc.params["run.warmup_days"])
        print(render.summary_text(res.summary, prov,
                                  metrics.plugin_shares(res.issues, res.stations, warm)),
              flush=True)
    if a.out:
        write_run(Path(a.out), res, prov)
        if not a.json:
            print(f"\nwrote issue ledger, daily series and stations to {a.out}/")
    return 0


def write_run(out: Path, res: api.RunResult, prov: dict[str, Any]) -> None:
    """Issue ledger, daily series, stations as Parquet; summary and scenario beside them.
    Each file is written whole or not at all, and a failed write (a full disk) names it."""
    from cogov_sim.batch.store import write_frame, write_text

    out.mkdir(parents=True, exist_ok=True)
    write_frame(out / "issues.parquet", res.issues)
    write_frame(out / "daily.parquet", res.daily)
    write_frame(out / "stations.parquet", res.stations)
    warm = float(res.scenario["run.warmup_days"])
    for col in ("category", "n_departments", "rural"):  # closed-only and censoring-aware
        closed = metrics.by_group(res.issues, col, warm)
        timed = survival.by_group(res.issues, col, float(res.days), warm)
        write_frame(out / f"by_{col}.parquet", closed.join(timed, how="outer").reset_index())
    write_text(out / "summary.json", json.dumps(json_safe(
        {"provenance": prov, "summary": res.summary}), indent=2))
    write_text(out / "scenario.toml", res.scenario.to_toml())


def cmd_compare(a: argparse.Namespace) -> int:
    if a.draws is not None and a.posterior is None:
        raise InputError("--draws", "applies with --posterior DIR only (draws from a posterior)")
    overrides = set_values(a.set)
    scs = [load(name, overrides or None) for name in a.scenarios]  # validate all first
    api.check_distinct(a.scenarios, scs)
    if a.days is not None:
        scs = [s.with_overrides({"run.days": a.days}, source="--days") for s in scs]
    for s in scs:
        warn_late_changes(s)
    if a.out:
        output_folder(a.out)
    if a.posterior is not None:
        return compare_posterior(a, scs, overrides)
    a.replications = a.replications or 10
    total = len(scs) * a.replications
    done = [0]

    def progress(name: str, r: int) -> None:
        done[0] += 1
        if sys.stderr.isatty():
            print(f"\r{done[0]}/{total} runs ({name})", end="", file=sys.stderr, flush=True)

    from cogov_sim.batch.executors import make

    executor = None if a.workers == 1 and not a.scheduler else make(a.workers, a.scheduler)
    try:
        cmp = api.compare(scs, replications=a.replications, seed=a.seed, progress=progress,
                          executor=executor)
    finally:
        if executor is not None:
            executor.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    # printed before anything is written: if writing fails, the results are still on screen
    if a.json:
        print(json.dumps(json_safe({**cmp.to_dict(), "git": git_commit()})), flush=True)
    else:
        print(render.comparison_text(cmp.table, a.replications, a.seed))
        print(f"\ncogov-sim {api.__version__}, git {git_commit() or 'n/a'}; scenarios: " +
              ", ".join(f"{s.name} ({s.source}, hash {s.hash})" for s in scs), flush=True)
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        cmp.runs.to_parquet(out / "runs.parquet", index=False)
        cmp.table.reset_index().to_parquet(out / "comparison.parquet", index=False)
    return 0


def compare_posterior(a: argparse.Namespace, scs: list[Scenario], overrides: dict[str, Any]) -> int:
    """`cogov compare A B --posterior DIR`: the difference over posterior draws and at the
    scenarios' own values, both intervals side by side."""
    from cogov_sim.batch.executors import make
    from cogov_sim.batch.progress import Progress
    from cogov_sim.inference import headline

    p = headline.load(a.posterior)
    fixed = [k for k in overrides if k in p.parameters]
    if fixed:
        raise InputError("--set", f"{', '.join(fixed)} is calibrated by the posterior "
                         f"{a.posterior}: each draw sets it; drop --set {fixed[0]}", key=fixed[0])
    reps = a.replications or headline.DEFAULT_REPLICATIONS
    headline.check(scs, p, a.draws, reps, a.seed)  # before any worker starts
    executor = make(a.workers, a.scheduler)
    progress = Progress(0, bar=True) if sys.stderr.isatty() else None
    try:
        h = headline.run(scs, p, draws=a.draws, replications=reps, seed=a.seed,
                         executor=executor, progress=progress)
    finally:
        executor.close()
        if progress is not None:
            progress.close()
    git = git_commit()
    # printed before anything is written: if writing fails, the results are still on screen
    if a.json:
        print(json.dumps(json_safe({**h.to_dict(), "cogov_sim": api.__version__, "git": git})),
              flush=True)
    else:
        print(render.posterior_headline_text(h.table, h.provenance(), reps, a.seed))
        print(f"\ncogov-sim {api.__version__}, git {git or 'n/a'}; scenarios: " +
              ", ".join(f"{s.name} ({s.source}, hash {s.hash})" for s in scs), flush=True)
    if a.out:
        headline.write(Path(a.out), h, git)
        if not a.json:
            print(f"\nwrote runs.parquet, headline.parquet and headline.json to {a.out}/")
    return 0


def cmd_scenarios(a: argparse.Namespace) -> int:
    for name, (path, origin) in origins().items():
        try:
            desc = load(path).description
        except InputError as e:
            desc = f"(invalid: {e})"
        print(f"{name:<20} {origin:<12} {desc}")
    return 0


def cmd_init(a: argparse.Namespace) -> int:
    copied = shipped.init(a.folder)
    print(f"copied {len(copied)} files into {a.folder}/scenarios and {a.folder}/experiments; "
          f"from {a.folder}, `cogov run NAME` and `cogov batch NAME` use these copies first")
    return 0


def cmd_params(a: argparse.Namespace) -> int:
    rows = list(table().values())
    if a.markdown:
        print(render.params_markdown(rows), end="")
    elif a.json:
        print(json.dumps([{**p.__dict__, "choices": list(p.choices)} for p in rows],
                         ensure_ascii=False))
    else:
        print(render.params_text(rows, chinese=a.zh))
    return 0


# Subcommands that live with their subsystem: each module has `register(subparsers)`.
EXTENSIONS = (
    "cogov_sim.batch.cli",  # batch, report
    "cogov_sim.sensitivity.cli",  # sweep
    "cogov_sim.viz.cli",  # viz
    "cogov_sim.bench",  # bench
    "cogov_sim.validation.cli",  # validate, calibrate
    "cogov_sim.ablation",  # mechanisms
    "cogov_sim.explain",  # explain
    "cogov_sim.catalogue",  # structures, check
    "cogov_sim.curve.cli",  # curve
    "cogov_sim.inference.cli",  # infer
)


def _register_extensions(sub: argparse._SubParsersAction) -> None:
    for name in EXTENSIONS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name is not None and name.startswith(e.name):
                continue  # that subsystem is not built yet
            raise
        mod.register(sub)


def parser() -> argparse.ArgumentParser:
    from cogov_sim.batch.cli import add_worker_options  # imports this module: not at the top

    ap = Parser(
        prog="cogov", description="Simulate community co-governance: 九龙治水 vs 社治委.")
    ap.add_argument("--version", action="version", version=f"cogov-sim {api.__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="one run of a scenario")
    r.add_argument("scenario", help="scenario name (see `cogov scenarios`) or .toml path")
    r.add_argument("--seed", type=int_at_least("--seed", 0), default=1)
    r.add_argument("--days", type=int_at_least("--days", 1))
    r.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter, e.g. --set issues.rate=0.4 (repeatable)")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    r.add_argument("--out", metavar="DIR", help="write issue ledger and daily series (Parquet)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="replicated runs of several scenarios, with 95%% CIs")
    c.add_argument("scenarios", nargs="+")
    c.add_argument("--replications", "-r", type=int_at_least("--replications", 1),
                   help="per scenario (default 10); with --posterior, per draw (default 5)")
    c.add_argument("--seed", type=int_at_least("--seed", 0), default=1)
    c.add_argument("--days", type=int_at_least("--days", 1))
    c.add_argument("--set", action="append", metavar="KEY=VALUE")
    c.add_argument("--json", action="store_true")
    c.add_argument("--out", metavar="DIR", help="write per-run rows and the table (Parquet)")
    c.add_argument("--posterior", metavar="DIR",
                   help="also run over draws from this posterior folder (`cogov infer`): the "
                        "difference with parameter uncertainty (docs/posterior-headline.md)")
    c.add_argument("--draws", type=int_at_least("--draws", 1),
                   help="posterior draws (default 40; every particle once if fewer)")
    add_worker_options(c)
    c.set_defaults(func=cmd_compare)

    s = sub.add_parser("scenarios", help="list the scenarios and where each was found")
    s.set_defaults(func=cmd_scenarios)
    i = sub.add_parser("init", help="copy the shipped scenarios and experiments into a folder")
    i.add_argument("folder", help="a new or empty folder")
    i.set_defaults(func=cmd_init)

    p = sub.add_parser("params", help="the parameter table")
    form = p.add_mutually_exclusive_group()  # one output form: no flag silently ignored
    form.add_argument("--zh", action="store_true", help="descriptions in Chinese (the text table)")
    form.add_argument("--markdown", action="store_true", help="the docs reference page")
    form.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_params)
    _register_extensions(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        print(one_line(f"cogov: error: {e}"), file=sys.stderr)
        return 2
    except OSError as e:  # a file or folder the command could not read or write
        if isinstance(e, BrokenPipeError):
            return 0
        print(one_line(f"cogov: error: {os_error_line(e)}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cogov: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
