"""`cogov structures` (the governance structures found, and where each came from) and
`cogov check FILE` (a scenario, experiment or sweep file validated without running it)."""

from __future__ import annotations

import argparse
from pathlib import Path


def structure_lines() -> list[str]:
    """One line per registered structure: name, title, parameters, origin."""
    from cogov_sim.structures import plugins, registry

    out = []
    for name, cls in registry().items():
        rows = ", ".join(p.name for p in cls.own_params()) or "no parameters of its own"
        out.append(f"{name:<12} {cls.title} ({cls.title_zh}); {rows}; from {plugins.where(cls)}")
    return out


def mechanism_lines() -> list[str]:
    """One line per registered mechanism, in hook order: name, switch, origin."""
    from cogov_sim.mechanisms import plugins, registry

    return [f"{name:<12} switch {cls.switch}; {len(cls.params)} parameters; "
            f"from {plugins.where(cls)}" for name, cls in registry().items()]


def check_file(path: str) -> str:
    """Validate a file as what it is (a `[sweep]` table: a sweep; `scenarios` or a grid: an
    experiment; otherwise a scenario) and say what it holds; InputError if it is bad."""
    from cogov_sim.scenario import read_toml

    f = Path(path)
    _, doc = read_toml(f)
    if "sweep" in doc:
        from cogov_sim.sensitivity.sweep import load_sweep

        sw = load_sweep(f)
        return (f"{path}: a valid sweep ({sw.name}: {sw.method.name}, {len(sw.bounds)} dials, "
                f"n = {sw.n})")
    if "scenarios" in doc or "grid" in doc or "model" in doc:
        from cogov_sim.batch.experiment import load_experiment

        exp = load_experiment(f)
        return f"{path}: a valid experiment ({exp.name}, {exp.replications} replications)"
    from cogov_sim.scenario import load

    sc = load(f)
    return (f"{path}: a valid scenario ({sc.name}: structure {sc['structure']}, "
            f"{len(sc.changes)} changes, hash {sc.hash})")


def cmd_structures(a: argparse.Namespace) -> int:
    print("\n".join(structure_lines()))
    return 0


def cmd_check(a: argparse.Namespace) -> int:
    for path in a.files:
        print(check_file(path))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `structures` and `check` to the `cogov` command."""
    s = sub.add_parser("structures", help="the governance structures found, and where from")
    s.set_defaults(func=cmd_structures)
    c = sub.add_parser("check", help="validate scenario, experiment or sweep files; run nothing")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.set_defaults(func=cmd_check)
