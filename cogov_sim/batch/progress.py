"""Batch progress: a tqdm bar on a terminal, plain periodic lines in logs and pipes."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

from tqdm import tqdm


class Progress:
    """Counts finished and failed runs; shows rate and ETA."""

    def __init__(self, total: int, done: int = 0, stream: TextIO | None = None,
                 interval: float = 10.0, bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.done, self.failed, self.lost = total, done, 0, 0
        self.start_time, self.done0 = time.monotonic(), done
        self.interval, self.last = interval, 0.0
        self.tty = self.stream.isatty() if bar is None else bar
        self.bar: tqdm | None = None
        if self.tty and total:
            self._open(total, done)

    def _open(self, total: int, done: int) -> None:
        self.bar = tqdm(total=total, initial=done, unit="run", file=self.stream, dynamic_ncols=True)

    def start(self, total: int, done: int) -> None:
        """Set the batch's size and the runs already stored (a resumed batch starts part-way)."""
        self.total, self.done, self.done0, self.failed, self.lost = total, done, done, 0, 0
        self.start_time = time.monotonic()
        if self.bar is not None:
            self.bar.reset(total=total)
            self.bar.update(done)
        elif self.tty:
            self._open(total, done)

    def update(self, ok: int, failed: int, lost: int = 0) -> None:
        """Record finished runs, failed runs, and runs that did not run (their worker was lost:
        not stored, the next invocation runs them)."""
        self.done += ok + failed + lost
        self.failed += failed
        self.lost += lost
        if self.bar is not None:
            extra = {"did_not_run": self.lost} if self.lost else {}
            self.bar.set_postfix(failed=self.failed, **extra, refresh=False)
            self.bar.update(ok + failed + lost)
            return
        t = time.monotonic()
        if t - self.last >= self.interval or self.done == self.total:
            self.last = t
            print(self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        """One plain progress line: counts, failures, rate, ETA."""
        elapsed = time.monotonic() - self.start_time
        rate = (self.done - self.done0) / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done
        eta = time.strftime("%H:%M:%S", time.gmtime(left / rate)) if rate > 0 else "?"
        lost = f", {self.lost} did not run" if self.lost else ""
        return (f"cogov batch: {self.done}/{self.total} runs, {self.failed} failed{lost}, "
                f"{rate * 60:.1f} runs/min, ETA {eta}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (other work on the machine slows runs)."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # not on every platform
        return "unknown"


def hms(s: float) -> str:
    """A duration for people: "4m 05s", or "1h 02m 03s" past an hour."""
    s = int(round(s))
    return f"{s // 3600}h {s % 3600 // 60:02d}m {s % 60:02d}s" if s >= 3600 else \
        f"{s // 60}m {s % 60:02d}s"
