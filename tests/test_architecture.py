"""The layout keeps its promises: no import circles in the package, and the model's core
knows no mechanism (or structure) by name -- mechanisms and structures are plug-ins."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

from cogov_sim.issues import Channel, Discoverer
from cogov_sim.mechanisms import registry as mechanism_registry

PKG = Path(__file__).resolve().parents[1] / "cogov_sim"
CORE = ("model.py", "arrivals.py", "pipeline.py", "observation.py", "context.py", "service.py",
        "issues.py", "population.py", "network.py", "events.py", "agents.py", "single.py",
        "api.py", "metrics.py")
"""The model's core: wiring, time, issues, queues, residents, summaries."""
CORE_READS = {"party.mobilisation_weight": "residents' response to any mobilising push, a "
                                           "mechanism's or a structure's (population.py)"}
"""Rows a mechanism declares that the core reads, and why."""


def _module(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _runtime_imports(tree: ast.AST, package: str = "") -> list[str]:
    """Modules imported anywhere (functions included), except under `if TYPE_CHECKING:`;
    relative imports resolved against `package`."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, *([node.module] if node.module else [])]
                               if node.level else [node.module or ""])
            out += [module] + [f"{module}.{a.name}" for a in node.names]
    return out


def import_graph() -> nx.DiGraph:
    """Package module -> package modules it imports (a subpackage's `__init__` counts as
    imported by every module imported from it; the root package's does not: it only
    re-exports the public API)."""
    files = {_module(f): f for f in PKG.rglob("*.py")}
    g = nx.DiGraph()
    for name, f in files.items():
        g.add_node(name)
        package = name if f.name == "__init__.py" else name.rsplit(".", 1)[0]
        for target in _runtime_imports(ast.parse(f.read_text(encoding="utf-8")), package):
            if target not in files or target in (name, "cogov_sim") or name.startswith(
                    target + "."):  # `from . import x` inside a package: its init has run
                continue
            g.add_edge(name, target)
            parent = target.rsplit(".", 1)[0]
            if (parent != "cogov_sim" and parent in files and parent != name
                    and not name.startswith(parent + ".")):  # a package's own modules
                g.add_edge(name, parent)
    return g


def test_the_package_has_no_import_circles() -> None:
    cycles = sorted(sorted(c) for c in nx.simple_cycles(import_graph()))
    assert not cycles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_graph_sees_imports_inside_functions() -> None:
    """The check is not vacuous: a circle made by an import inside a function is found."""
    tree = ast.parse("def f():\n    from cogov_sim.model import CoGovModel\n")
    assert "cogov_sim.model" in _runtime_imports(tree)
    g = import_graph()
    assert g.has_edge("cogov_sim.cli", "cogov_sim.params")
    g.add_edge("cogov_sim.params", "cogov_sim.cli")
    assert list(nx.simple_cycles(g))


def test_the_core_knows_no_mechanism_by_name() -> None:
    reg = mechanism_registry()
    ledger_words = {e.name.lower() for e in (*Discoverer, *Channel)}  # e.g. found by "grid"
    names = "|".join(re.escape(n) for n in reg if n not in ledger_words)
    quoted = re.compile(rf'"({names})"(?!\s*:)|"mechanisms\.')  # not a table's column key
    modules = {cls.__module__ for cls in reg.values()}
    own_rows = {k: name for name, cls in reg.items() for k in cls.param_names()}
    for f in CORE:
        text = (PKG / f).read_text(encoding="utf-8")
        assert not quoted.search(text), (f, quoted.search(text).group(0))
        for mod in modules:
            assert mod not in text, (f, mod)
        for key in re.findall(r'p\["([a-z_]+\.[a-z_0-9]+)"\]', text):
            assert key not in own_rows or key in CORE_READS, (f, key, own_rows.get(key))
