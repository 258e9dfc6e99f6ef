"""Finding plug-ins (structures, mechanisms) the same way: the modules of a package, the
entry points of installed distributions, and the `.py` files of the folders on a path
variable. Each file and entry point is loaded once; where each plug-in came from is kept for
`cogov structures` and `cogov mechanisms --list`."""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from cogov_sim.errors import InputError


class Plugins:
    """One kind of plug-in: a package of built-ins, an entry-point group and a path variable."""

    def __init__(self, package: str, package_path: Iterable[str], group: str, var: str,
                 skip: tuple[str, ...] = ("base",)) -> None:
        self.package, self.package_path, self.group, self.var = package, package_path, group, var
        self.skip = skip
        self._loaded: set[str] = set()
        self._seen_path: str | None = None
        self.origin: dict[str, str] = {}
        """Module name -> where it came from ('package', 'entry point X', or a file path)."""

    def load(self) -> None:
        """Load what is not loaded yet: the package and entry points once, the path folders
        whenever the variable changes (each file once)."""
        if "package" not in self._loaded:
            self._loaded.add("package")
            for mod in pkgutil.iter_modules(list(self.package_path)):
                if mod.name not in self.skip:
                    name = f"{self.package}.{mod.name}"
                    importlib.import_module(name)
                    self.origin[name] = "package"
            for ep in entry_points(group=self.group):
                if f"ep:{ep.value}" not in self._loaded:
                    self._loaded.add(f"ep:{ep.value}")
                    self.origin[ep.value.split(":")[0]] = f"entry point {ep.name} ({ep.value})"
                    ep.load()
        path = os.environ.get(self.var, "")
        if path != self._seen_path:
            self._seen_path = path
            for folder in filter(None, path.split(os.pathsep)):
                for f in sorted(Path(folder).glob("*.py")):
                    self._load_file(f)

    def _load_file(self, f: Path) -> None:
        key = f"file:{f.resolve()}"
        if key in self._loaded:
            return
        self._loaded.add(key)
        name = f"cogov_sim_plugin_{f.stem}"
        spec = importlib.util.spec_from_file_location(name, f)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        self.origin[name] = str(f)
        try:
            spec.loader.exec_module(module)
        except SyntaxError as err:
            sys.modules.pop(name, None)
            raise InputError(f"{f}:{err.lineno}", f"a plug-in on ${self.var} does not parse: "
                             f"{err.msg}") from None
        except Exception as err:  # a plug-in's own bug: name the file, not a traceback
            sys.modules.pop(name, None)
            raise InputError(str(f), f"a plug-in on ${self.var} failed to load: "
                             f"{type(err).__name__}: {err}") from None

    def where(self, cls: type[Any]) -> str:
        """Where a plug-in class came from."""
        return self.origin.get(cls.__module__, cls.__module__)
