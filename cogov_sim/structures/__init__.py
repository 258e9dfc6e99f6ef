"""Governance structures as plug-ins: every module in this package that defines a
`Structure` subclass with a `name` is registered. Adding a structure is one new file."""

from __future__ import annotations

import importlib
import pkgutil

from cogov_sim.structures.base import Route, Structure
from cogov_sim.structures.base import registry as _registry

_loaded = False


def registry() -> dict[str, type[Structure]]:
    """Structure name -> class, importing every module of this package once."""
    global _loaded
    if not _loaded:
        for mod in pkgutil.iter_modules(__path__):
            if mod.name != "base":
                importlib.import_module(f"{__name__}.{mod.name}")
        _loaded = True
    return _registry()


def make(name: str, params: dict) -> Structure:
    return registry()[name](params)


__all__ = ["Route", "Structure", "make", "registry"]
