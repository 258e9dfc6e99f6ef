"""Governance structures as plug-ins: every `Structure` subclass with a `name` is registered.

Found in three places, in this order: the modules of this package; the entry-point group
`cogov_sim.structures` of installed distributions; and the `.py` files of the folders in
`$COGOV_STRUCTURE_PATH` (separated like PATH). Adding a structure is one new file.
"""

from __future__ import annotations

from cogov_sim.plugins import Plugins
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
plugins = Plugins(__name__, __path__, ENTRY_POINTS, PATH_VAR)


def registry() -> dict[str, type[Structure]]:
    """Structure name -> class (built-ins, entry points, then files on the path variable)."""
    plugins.load()
    return _registry()


def make(name: str, params: dict) -> Structure:
    return registry()[name](params)


__all__ = ["Context", "IssueInfo", "Route", "Structure", "exp", "make", "plugins", "registry"]
