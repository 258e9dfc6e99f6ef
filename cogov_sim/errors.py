"""Input errors with one clear message: which file, which key, which value, what is allowed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


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
