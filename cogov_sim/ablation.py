"""`cogov mechanisms`: what each mechanism of the committee scenario contributes. Switch one
off at a time (or, for those the committee leaves off, on) and compare with the full
scenario, paired by seed. The mechanisms are the registry's (`cogov_sim.mechanisms`), plug-ins
included.

`cogov mechanisms` prints the table; `--write docs/ODD.md` puts it between the markers in
ODD's section 7.16, so the document shows what the code does now.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cogov_sim import api
from cogov_sim.mechanisms import registry as mechanism_registry
from cogov_sim.scenario import Scenario, load

BEGIN, END = "<!-- mechanisms:begin -->", "<!-- mechanisms:end -->"
METRICS = (("resolution_rmst_days", "resolution time, restricted mean to 180 d (d)", 2),
           ("resolution_mean_days", "mean resolution time, closed issues only (d)", 2),
           ("stage_waiting_days", "waiting, closed issues (d)", 2),
           ("solved_rate", "solved rate", 3),
           ("reported_solved_rate", "solved rate as reported", 3),
           ("participation_mean", "participation", 3))


@dataclass(frozen=True)
class Switch:
    """One dial of a scenario: how to switch it, and the parameters behind it."""

    key: str
    title: str
    change: dict[str, Any]
    params: tuple[str, ...]
    """The parameters behind it: whole sections as "section.*", or single names."""

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(p[:-2] for p in self.params if p.endswith(".*"))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p for p in self.params if not p.endswith(".*"))


def switches() -> tuple[Switch, ...]:
    """The structure (committee -> fragmented), then every registered mechanism (built-in or
    plug-in) with the change that switches it and the parameters it declares."""
    return (
        Switch("structure", "one door, joint dispatch (committee structure -> fragmented)",
               {"structure": "fragmented"}, ("committee.*",)),
        *(s for name, cls in mechanism_registry().items() for s in (
            Switch(name, cls.title, dict(cls.off), _behind(cls.switch, cls.param_names())),
            *(Switch(f"{name}.{part}", title, dict(change), tuple(change))
              for part, (title, change) in cls.parts.items()))),
    )


def _behind(switch: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The parameters behind a switch, a section written "section.*" where the mechanism
    declares all of it (the switch itself when nothing else is behind it)."""
    from cogov_sim.params import table

    rows, rest = table(), [n for n in names if n != switch]
    out: list[str] = []
    for n in rest:
        sec = n.split(".")[0]
        whole = all(k in rest for k in rows if k.split(".")[0] == sec)
        item = f"{sec}.*" if whole else n
        if item not in out:
            out.append(item)
    return tuple(out) or (switch,)


def variants(base: Scenario) -> list[Scenario]:
    """The base scenario with each mechanism switched, named for the mechanism."""
    out = []
    for m in switches():
        sc = base.with_overrides(m.change, source=f"mechanism {m.key}")
        out.append(dataclasses.replace(sc, name=f"{base.name}:{m.key}"))
    return out


def effects(base: str = "committee", replications: int = 10, seed: int = 1,
            days: int | None = None, executor: Any = None) -> api.Comparison:
    """Replicated runs of the base scenario and every switched variant (common seeds)."""
    sc = load(base)
    if days is not None:
        sc = sc.with_overrides({"run.days": days}, source="--days")
    return api.compare([sc, *variants(sc)], replications=replications, seed=seed,
                       metric_names=tuple(k for k, _, _ in METRICS), executor=executor)


def table_markdown(cmp: api.Comparison) -> str:
    """The effect of each switch as a Markdown table: difference from the base, 95% CI."""
    base = cmp.scenarios[0].name
    head = f"| mechanism (switched in `{base}`) | parameters | " + " | ".join(
        t for _, t, _ in METRICS) + " |"
    lines = [head, "|" + "---|" * (2 + len(METRICS))]
    t = cmp.table
    lines.append(f"| `{base}` as it is (mean) | | " + " | ".join(
        _num(t.loc[(base, k), "mean"], d) for k, _, d in METRICS) + " |")
    for m, sc in zip(switches(), cmp.scenarios[1:], strict=True):
        cells = []
        for k, _, d in METRICS:
            r = t.loc[(sc.name, k)]
            cells.append(f"{_num(r['diff'], d, sign=True)} [{_num(r['diff_ci_low'], d)}, "
                         f"{_num(r['diff_ci_high'], d)}]")
        params = ", ".join(f"`{p}`" for p in m.params)
        lines.append(f"| {m.title} | {params} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _num(x: float, digits: int, sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "n/a"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def write_into(doc: Path, block: str) -> None:
    """Replace the text between the markers in `doc` with `block`."""
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        from cogov_sim.errors import InputError

        raise InputError(str(doc), f"no '{BEGIN}' ... '{END}' markers to write between")
    doc.write_text(pattern.sub(lambda _: f"{BEGIN}\n{block}{END}", text), encoding="utf-8")


def cmd_mechanisms(a: argparse.Namespace) -> int:
    if a.list:
        from cogov_sim.catalogue import mechanism_lines

        print("\n".join(mechanism_lines()))
        return 0
    from cogov_sim.batch.executors import make
    from cogov_sim.cli import git_commit

    ex = None if a.workers == 1 and not a.scheduler else make(a.workers, a.scheduler)
    try:
        cmp = effects(a.base, a.replications, a.seed, a.days, ex)
    finally:
        if ex is not None:
            ex.close()
    md = table_markdown(cmp)
    days = cmp.scenarios[0].params["run.days"]
    note = (f"\n{a.replications} replications, master seed {a.seed}, {days} days; difference "
            f"from `{a.base}` paired by seed [95% CI]. `cogov mechanisms --replications "
            f"{a.replications} --seed {a.seed} --write docs/ODD.md`, cogov-sim "
            f"{api.__version__}, git {git_commit() or 'n/a'}.\n")
    if a.write:
        write_into(Path(a.write), md + note)
        print(f"wrote the table into {a.write}")
    else:
        print(md + note, end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `mechanisms` to the `cogov` command."""
    from cogov_sim.batch.cli import add_worker_options
    from cogov_sim.cli import int_at_least

    m = sub.add_parser("mechanisms", help="each mechanism's effect, switched off in a scenario")
    m.add_argument("base", nargs="?", default="committee", help="scenario (default committee)")
    m.add_argument("-r", "--replications", type=int_at_least("--replications", 2), default=10)
    m.add_argument("--seed", type=int_at_least("--seed", 0), default=1)
    m.add_argument("--days", type=int_at_least("--days", 1), default=None)
    m.add_argument("--write", metavar="FILE", help="write the table between the markers in FILE")
    m.add_argument("--list", action="store_true",
                   help="list the mechanisms found (in hook order) and where each came from")
    add_worker_options(m)
    m.set_defaults(func=cmd_mechanisms)
