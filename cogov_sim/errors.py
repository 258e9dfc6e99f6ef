"""Input errors with one clear message: which file, which key, which value, what is allowed."""

from __future__ import annotations

import difflib
import os
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MOST_RUNS = 10_000_000
"""The most runs, replications, sample points or workers any file or flag may ask for: more
is a typo, not a batch."""
MAX_SEED = 2**63 - 1


class InputError(Exception):
    """Bad user input. The CLI prints `str(err)` on one line and exits with code 2."""

    def __init__(self, source: str, message: str, key: str | None = None) -> None:
        self.source, self.key, self.message = source, key, message
        where = f"{source}: " if source else ""
        what = f"key '{key}': " if key else ""
        super().__init__(f"{where}{what}{message}")


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the nearest option, or '' when nothing is close."""
    options = list(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and "." in word:
        tail = word.rsplit(".", 1)[1]
        close = [o for o in options if o.rsplit(".", 1)[-1] == tail][:1]
        if not close:
            close = difflib.get_close_matches(
                tail, [o.rsplit(".", 1)[-1] for o in options], n=1, cutoff=0.75
            )
            close = [o for o in options if close and o.endswith("." + close[0])][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""


def show(value: Any) -> str:
    """A value as the user wrote it (TOML-ish)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def writable_folder(path: str | Path, flag: str = "--out") -> Path:
    """`path` as an output folder, or an InputError naming `flag`, the path and what is wrong
    (a file in the way, no permission, a read-only file system).

    Called before any computing, so a bad --out costs nothing. Creates nothing: it probes the
    folder, or the nearest existing folder above it, with a temporary file."""
    p = Path(path)
    where = f"{flag} {p}" if flag else str(p)
    if p.exists() and not p.is_dir():
        raise InputError(where, "is a file, not a folder; give a folder (it is created if missing)")
    base = next((q for q in (p, *p.parents) if q.exists()), Path("."))
    if not base.is_dir():
        raise InputError(where, f"cannot be created: '{base}' is a file, not a folder; give "
                         "another folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".cogov-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(where, f"cannot write in '{base}' ({e.strerror or e}); give a folder "
                         "you can write to") from None
    return p


def safe_name(name: str, source: str, key: str = "name",
              names: str = "the folder results/NAME") -> str:
    """A name that becomes a file or folder name: plain letters, digits, '.', '_' and '-'
    only, so that it can never point outside the folder it is written in."""
    if not isinstance(name, str) or not name or name in (".", "..") or name.startswith(".") \
            or not all(c.isalnum() or c in "._-" for c in name):
        raise InputError(source, f"value {show(name)} is not allowed: it names {names}; "
                         "allowed: letters, digits, '.', '_' and '-', not starting with '.' "
                         '(e.g. "headline-2")', key=key)
    return name


def os_error_line(err: OSError) -> str:
    """An OSError as one line naming the file: for failures that are not the user's input."""
    name = err.filename if err.filename is not None else ""
    return f"{name}: {err.strerror or err}" if name else str(err.strerror or err)


def one_line(message: str) -> str:
    """A message safe to print as one line: control characters (a newline in a value, a
    stray escape) shown escaped, as Python writes them."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in LINE_BREAKING
                   or unicodedata.category(c).startswith("C") else c for c in message)


LINE_BREAKING = ("Zl", "Zp")  # line and paragraph separators
