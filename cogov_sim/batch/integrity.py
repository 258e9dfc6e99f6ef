"""Results folders that verify themselves: each file's size and sha256 in the manifest.

`Store` records every file it writes (`Checksums.record`); on resume `check` compares each
file with its record -- or, for a Parquet file written after the last manifest save (a
crash), reads it through -- and `set_aside` moves what is damaged into ``damaged/STAMP/``
(same relative path), where no reader of the folder looks, so that its runs are run again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

# Files a batch writes and can rebuild or redo; anything else (report/, damaged/, .lock) is
# not checked.
CHECKED_DIRS = ("runs", "issues", "daily", "scenarios")
CHECKED_FILES = ("experiment.toml", "plan.parquet", "runs.parquet")
SET_ASIDE = "damaged"


def digest(path: Path) -> list[int | str]:
    """[size, sha256] of a file."""
    with open(path, "rb") as f:
        return [os.fstat(f.fileno()).st_size, hashlib.file_digest(f, "sha256").hexdigest()]


@dataclass(frozen=True)
class Damage:
    """A file that is not what was written: its path relative to the folder, and why."""

    rel: str
    reason: str


def checked_files(folder: Path) -> list[str]:
    """Relative paths of the files a batch wrote and a resume verifies."""
    out = [f for f in CHECKED_FILES if (folder / f).is_file()]
    for d in CHECKED_DIRS:
        if (folder / d).is_dir():
            out += sorted(p.relative_to(folder).as_posix() for p in (folder / d).rglob("*")
                          if p.is_file() and not p.name.startswith("."))
    return out


def _parquet_reason(path: Path) -> str | None:
    try:
        pq.read_table(path)
    except Exception as e:  # noqa: BLE001 -- pyarrow raises several kinds for a damaged file
        return f"unreadable Parquet: {str(e).splitlines()[0][:120]}"
    return None


def check(folder: Path, recorded: dict[str, list[int | str]]) -> list[Damage]:
    """The damaged files of a batch folder. A recorded file must have its recorded size and
    sha256; an unrecorded Parquet file must read. A recorded file that is gone is not damage
    (merged journal parts are removed): what it held is run again if it is missing."""
    out = []
    for rel in checked_files(folder):
        path = folder / rel
        want = recorded.get(rel)
        if want is not None:
            have = digest(path)
            if have[0] != want[0]:
                out.append(Damage(rel, f"size {have[0]} bytes, written as {want[0]}"))
            elif have[1] != want[1]:
                out.append(Damage(rel, "content differs from what was written (sha256)"))
        elif rel.endswith(".parquet") and (reason := _parquet_reason(path)):
            out.append(Damage(rel, reason))
    return out


def set_aside(folder: Path, damaged: list[Damage]) -> Path:
    """Move damaged files to FOLDER/damaged/STAMP/REL; return that folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = folder / SET_ASIDE / stamp
    for d in damaged:
        target = dest / d.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder / d.rel, target)
    return dest


def describe(damaged: list[Damage]) -> str:
    """The damaged files in a few words: the first one and how many more."""
    first = f"{damaged[0].rel} ({damaged[0].reason})"
    return first + (f" and {len(damaged) - 1} more" if len(damaged) > 1 else "")
