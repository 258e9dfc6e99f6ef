"""What the package ships beside its code: scenarios, experiments and the `explain` result that
`make run` prints, as package data (`cogov_sim/data/`) found with `importlib.resources`, so a
wheel installed anywhere has them. A clone keeps `scenarios/`, `experiments/` and
`results/explain-fragmented-committee/explain.json` as links to the same files.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from cogov_sim.errors import InputError, did_you_mean

KINDS = ("scenarios", "experiments")
"""The folders `cogov init` copies and names are looked up in (./KIND first, then shipped)."""


def data_dir() -> Path:
    """The package's data folder (installed wheels are unpacked, so it is a real folder)."""
    return Path(str(files("cogov_sim") / "data"))


def folder(kind: str) -> Path:
    """The shipped folder of one kind: `scenarios` or `experiments`."""
    return data_dir() / kind


def locate(given: str | Path, kind: str) -> Path:
    """A file named on the command line: the path itself if it exists; else, from any folder,
    a file by name in ./KIND or shipped (`headline`) or by its path in a clone (`experiments/headline.toml`,
    `results/explain-fragmented-committee/explain.json`, or its folder); else the path as given, so that
    reading it fails naming what the user typed."""
    p = Path(given)
    if p.exists() or p.is_absolute():
        return p
    candidates = [data_dir() / p]
    if "/" not in str(given):
        name = p.name if p.suffix == ".toml" else f"{p.name}.toml"
        candidates = [Path(kind) / name, folder(kind) / name, *candidates]
    found = next((c for c in candidates if c.exists()), None)
    if found is None and kind in KINDS and "/" not in str(given) and p.suffix != ".toml":
        names = sorted({f.stem for d in (Path(kind), folder(kind)) for f in d.glob("*.toml")})
        raise InputError(str(given), f"no file and no {kind[:-1]} of that name"
                         f"{did_you_mean(str(given), names)}; {kind}: {', '.join(names)}")
    return found or p


def init(dest: str | Path) -> list[Path]:
    """Copy the shipped scenarios and experiments into DEST/scenarios and DEST/experiments, to
    edit; never overwrites (every target is checked before anything is copied)."""
    root = Path(dest)
    pairs = [(f, root / kind / f.name) for kind in KINDS for f in sorted(folder(kind).glob("*.toml"))]
    taken = [str(t) for _, t in pairs if t.exists()]
    if taken:
        raise InputError(str(root), f"{len(taken)} file(s) already there (first: {taken[0]}); "
                         "`cogov init` never overwrites: give a new or empty folder")
    if root.exists() and not root.is_dir():
        raise InputError(str(root), "is a file, not a folder; give a new or empty folder")
    for src, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
    return [t for _, t in pairs]
