"""Governance structures as plug-ins: every `Structure` subclass with a `name` is registered.

Found in three places, in this order: the modules of this package; the entry-point group
`cogov_sim.structures` of installed distributions; and the `.py` files of the folders in
`$COGOV_STRUCTURE_PATH` (separated like PATH). Adding a structure is one new file.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

from cogov_sim.structures.base import (
    Context,
    IssueInfo,
    Route,
    Structure,
    exp,
)
from cogov_sim.structures.base import registry as _registry

ENTRY_POINTS = "cogov_sim.structures"
PATH_VAR = "COGOV_STRUCTURE_PATH"
_loaded: set[str] = set()


def _load_package() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINTS):
        if f"ep:{ep.value}" not in _loaded:
            _loaded.add(f"ep:{ep.value}")
            ep.load()


def _load_path() -> None:
    for folder in filter(None, os.environ.get(PATH_VAR, "").split(os.pathsep)):
        for f in sorted(Path(folder).glob("*.py")):
            key = f"file:{f.resolve()}"
            if key in _loaded:
                continue
            _loaded.add(key)
            name = f"cogov_sim_plugin_{f.stem}"
            spec = importlib.util.spec_from_file_location(name, f)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)


_seen_path: list[str | None] = [None]


def registry() -> dict[str, type[Structure]]:
    """Structure name -> class, loading the package and entry points once and the path
    folders whenever the variable changes (each file once)."""
    if "package" not in _loaded:
        _load_package()
        _load_entry_points()
        _loaded.add("package")
    path = os.environ.get(PATH_VAR, "")
    if path != _seen_path[0]:
        _seen_path[0] = path
        _load_path()
    return _registry()


def make(name: str, params: dict) -> Structure:
    return registry()[name](params)


__all__ = ["Context", "IssueInfo", "Route", "Structure", "exp", "make", "registry"]
