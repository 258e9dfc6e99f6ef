"""Mechanisms as plug-ins: every `Mechanism` subclass with a `name` is registered.

Found like structures (`cogov_sim.plugins`): the modules of this package; the entry-point
group `cogov_sim.mechanisms`; the `.py` files of the folders in `$COGOV_MECHANISM_PATH`.
Adding a mechanism is one new file (docs/mechanisms.md).
"""

from __future__ import annotations

from cogov_sim.mechanisms.base import HOOKS, Mechanism
from cogov_sim.mechanisms.base import registry as _registry
from cogov_sim.plugins import Plugins

ENTRY_POINTS = "cogov_sim.mechanisms"
PATH_VAR = "COGOV_MECHANISM_PATH"
plugins = Plugins(__name__, __path__, ENTRY_POINTS, PATH_VAR)


def registry() -> dict[str, type[Mechanism]]:
    """Mechanism name -> class, in the order the model calls their hooks."""
    plugins.load()
    return _registry()


__all__ = ["HOOKS", "Mechanism", "plugins", "registry"]
