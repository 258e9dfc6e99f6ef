"""Where chunks run: in this process, in local worker processes, or on a Dask cluster.

All three have one interface, ``imap(fn, items)``: call ``fn`` on each item and yield the
results as they finish (in any order). At most ``window`` tasks are in flight, so neither the
driver nor the cluster holds the whole batch. Dask does the distribution; nothing home-made.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from cogov_sim.errors import InputError


class Executor(Protocol):
    """Runs tasks somewhere and streams their results back as they finish."""

    workers: int
    label: str

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R],
                   split: Callable[[T], list[T]] | None = None,
                   died: Callable[[T, str], R] | None = None) -> Iterator[R]: ...

    def close(self) -> None: ...


class Serial:
    """In this process, one task after another (debugging, tiny batches, `--workers 1`)."""

    workers = 1
    label = "serial"

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R],
                   split: Callable[[T], list[T]] | None = None,
                   died: Callable[[T, str], R] | None = None) -> Iterator[R]:
        for it in items:
            yield fn(it)

    def close(self) -> None:
        pass


def _windowed[T, R](submit: Callable[[T], Any], wait_first: Callable[[set[Any]], set[Any]],
                    items: Iterable[T], window: Callable[[], int],
                    on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
    """Keep `window()` futures in flight; yield each result as it completes."""
    source = iter(items)
    pending: dict[Any, T] = {}
    failed: list[R] = []

    def add(it: T) -> None:
        try:
            pending[submit(it)] = it
        except Exception as e:  # e.g. a broken pool: the item cannot even be submitted
            failed.append(on_error(it, e))

    for it in source:
        add(it)
        if len(pending) >= window():
            break
    while pending or failed:
        while failed:
            yield failed.pop()
            if len(pending) < window() and (nxt := next(source, None)) is not None:
                add(nxt)
        if not pending:
            continue
        for fut in wait_first(set(pending)):
            item = pending.pop(fut)
            try:
                result = fut.result()
            except Exception as e:
                result = on_error(item, e)
            yield result
            while len(pending) < window() and (nxt := next(source, None)) is not None:
                add(nxt)


def _watch_parent(pid: int) -> None:
    """Worker initializer: leave Ctrl-C to the driver; exit when the driver is gone (kill -9)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def start_method() -> str:
    """'forkserver' (clean workers forked from a server that imported the model once), unless
    the main module is a script without an ``if __name__ == "__main__":`` guard: the workers
    of a forkserver (or spawn) pool import the main script again, so such a script would run
    once more in every worker. Then 'fork' (the workers are copies of this process)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None:  # interactive, a notebook, python -c: nothing to import again
        return "forkserver"
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "fork"
    return "forkserver" if GUARD.search(text) else "fork"


GUARD = re.compile(r"""__name__\s*==\s*['"]__main__['"]""")


def _exit_text(code: int | None) -> str:
    if code is None:
        return "died"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class Processes:
    """Local worker processes, forked from a server that has imported the model once.

    A worker that dies (a segfault, the OOM killer, SIGKILL) breaks the pool: it is started
    again, and the tasks that were in flight are run again one at a time (split into single
    items with `split`), so that the item that kills its worker is found; it is tried
    `retries` more times, then given up with `died(item, cause)`. Every other item runs."""

    label = "processes"

    def __init__(self, workers: int, retries: int = 2, method: str | None = None) -> None:
        self.workers, self.retries = workers, retries
        self.method = method or start_method()
        self.restarts = 0
        self.pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        if QUIET_TRACKER not in sys.warnoptions:
            # The resource tracker (started with this interpreter's -W options) frees a killed
            # driver's semaphores itself; its "leaked semaphore objects" warning only alarms
            sys.warnoptions.append(QUIET_TRACKER)
        ctx = multiprocessing.get_context(self.method)
        if self.method == "forkserver":
            ctx.set_forkserver_preload(["cogov_sim.api", "cogov_sim.batch.worker"])
        pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_watch_parent,
                                      initargs=(os.getpid(),))
        for _ in range(self.workers):  # start the workers now: their imports overlap planning
            pool.submit(os.getpid)
        return pool

    def _restart(self) -> str:
        """Start a new pool after a worker died; return how the dead worker ended."""
        procs = list(getattr(self.pool, "_processes", {}).values())
        self.pool.shutdown(wait=True, cancel_futures=True)
        codes = [p.exitcode for p in procs if p.exitcode not in (None, -signal.SIGTERM)]
        self.restarts += 1
        self.pool = self._start()
        return f"its worker process {_exit_text(codes[0] if codes else None)}"

    def _submit[T, R](self, fn: Callable[[T], R], item: T) -> cf.Future[R]:
        try:
            return self.pool.submit(fn, item)
        except BrokenProcessPool:  # an idle worker died since the last task finished
            self._restart()
            return self.pool.submit(fn, item)

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R],
                   split: Callable[[T], list[T]] | None = None,
                   died: Callable[[T, str], R] | None = None) -> Iterator[R]:
        source = iter(items)
        given_up = 0  # items given up since the last success: many in a row is not one bad run
        isolate: deque[tuple[T, int]] = deque()  # suspects of a worker's death, one at a time
        pending: dict[cf.Future[R], tuple[T, int]] = {}
        while True:
            if isolate:
                if not pending:
                    item, tries = isolate.popleft()
                    pending[self._submit(fn, item)] = (item, tries)
            else:
                while len(pending) < 2 * self.workers and (nxt := next(source, _END)) is not _END:
                    pending[self._submit(fn, nxt)] = (nxt, 0)
            if not pending:
                return
            alone = len(pending) == 1
            suspects: list[tuple[T, int]] = []
            for fut in cf.wait(pending, return_when=cf.FIRST_COMPLETED).done:
                item, tries = pending.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    suspects.append((item, tries))
                    continue
                except Exception as e:
                    result = on_error(item, e)
                given_up = 0
                yield result
            if not suspects:
                continue
            suspects += pending.values()  # the pool is broken: everything in flight fails
            pending.clear()
            cause = self._restart()
            for item, tries in suspects:
                pieces = split(item) if split is not None else [item]
                if len(pieces) > 1:
                    isolate.extend((p, tries) for p in pieces)
                elif not alone:
                    isolate.append((item, tries))
                elif tries < self.retries:
                    isolate.appendleft((item, tries + 1))
                else:
                    given_up += 1
                    if given_up >= 3:
                        raise InputError("local worker processes", f"keep dying ({cause}, with "
                                         "every run tried); the runs stored so far are safe: try "
                                         "--workers 1 to see why, then run the same command "
                                         "again to resume")
                    msg = f"{cause} while running it, {tries + 1} times"
                    yield died(item, msg) if died is not None else on_error(
                        item, BrokenProcessPool(msg))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


_END = object()
QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"


class Dask:
    """A Dask cluster, by scheduler address or as a Client/cluster object: Dask distributes."""

    label = "dask"

    def __init__(self, address: Any) -> None:
        from distributed import Client

        # A lost scheduler is reported in one line (SchedulerLost), not by the client's
        # reconnect tracebacks, nor a CommClosedError's from its comms and batched streams
        # (distributed configures its loggers on import: so here).
        for name in QUIET:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self.client = address if isinstance(address, Client) else Client(address, timeout="10s")
        self._own = not isinstance(address, Client)
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.address = self.client.scheduler.address
        self.label = f"dask {self.address}"

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R],
                   split: Callable[[T], list[T]] | None = None,
                   died: Callable[[T, str], R] | None = None) -> Iterator[R]:
        """Dask re-runs a lost worker's tasks itself (`split` and `died` are not needed)."""
        from distributed import KilledWorker, wait

        def first(fs: set[Any]) -> set[Any]:
            return set(wait(list(fs), return_when="FIRST_COMPLETED").done)

        def failed(item: T, e: BaseException) -> R:
            if isinstance(e, KilledWorker) and died is not None:  # Dask gave up on the task:
                # it killed a worker every time it was tried; a failure with its cause
                return died(item, f"its Dask worker died each time it ran it ({e})")
            return on_error(item, e)

        try:
            yield from _windowed(lambda it: self.client.submit(fn, it, pure=False), first, items,
                                 lambda: 2 * self.threads(), failed)
        except (cf.CancelledError, OSError, TimeoutError, ValueError) as e:
            # cancelled futures, a closed comm, or "no clients" once the client gave up
            if self.client.status == "running" and "connection" not in str(e):
                raise
            raise SchedulerLost(
                "--scheduler", f"lost the Dask scheduler {self.address} mid-batch "
                f"({type(e).__name__}); every run finished so far is stored and safe: start the "
                "scheduler again and run the same command to resume") from None

    def threads(self) -> int:
        """Worker threads now (a cluster may grow or shrink while it runs: dask-jobqueue)."""
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        return self.workers

    def close(self) -> None:
        if self._own:
            with contextlib.suppress(OSError, TimeoutError, cf.CancelledError):
                self.client.close(timeout=5)  # the scheduler may be gone already


QUIET = ("distributed.client", "distributed.batched", "distributed.core", "distributed.comm",
         "distributed.utils", "tornado.application")
"""The driver's loggers that print tracebacks of a scheduler going away."""


class SchedulerLost(InputError):
    """The Dask scheduler went away mid-batch: what is stored is safe; resume by rerunning."""


def check(workers: int | None = None, scheduler: Any = None) -> None:
    """Refuse --workers with --scheduler, or far more local workers than cores: before anything
    is set up (`make` checks again)."""
    if scheduler is not None and workers is not None:
        raise InputError("--workers", f"value {workers} cannot be used with --scheduler: the Dask "
                         "cluster's own workers run the batch (start them with `dask worker "
                         "ADDRESS --nworkers N --nthreads 1`); give one of the two")
    cores = os.cpu_count() or 1
    if workers is not None and workers > PER_CORE * cores:
        raise InputError("--workers", f"value {workers} is more worker processes than this machine "
                         f"can use ({cores} cores); allowed: 1 to {PER_CORE * cores} ({PER_CORE} per "
                         "core); more only slow each other down")


def make(workers: int | None = None, scheduler: Any = None) -> Executor:
    """Dask if a scheduler is given, else `workers` local processes (all cores; 1: in-process)."""
    check(workers, scheduler)
    if scheduler is not None:
        try:
            return Dask(scheduler)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError("--scheduler", f"cannot reach Dask scheduler {scheduler!r} ({e}); is "
                             "`dask scheduler` running there?") from None
    n = workers or os.cpu_count() or 1
    return Serial() if n == 1 else Processes(n)


PER_CORE = 4  # local worker processes per core at most: beyond that they only compete
