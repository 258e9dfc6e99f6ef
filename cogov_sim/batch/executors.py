"""Where chunks run: in this process, in local worker processes, or on a Dask cluster.

All three have one interface, ``imap(fn, items)``: call ``fn`` on each item and yield the
results as they finish (in any order). At most ``window`` tasks are in flight, so neither the
driver nor the cluster holds the whole batch. Dask does the distribution; nothing home-made.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from cogov_sim.errors import InputError


class Executor(Protocol):
    """Runs tasks somewhere and streams their results back as they finish."""

    workers: int
    label: str

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R]) -> Iterator[R]: ...

    def close(self) -> None: ...


class Serial:
    """In this process, one task after another (debugging, tiny batches, `--workers 1`)."""

    workers = 1
    label = "serial"

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
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


class Processes:
    """Local worker processes, forked from a server that has imported the model once."""

    label = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["cogov_sim.api", "cogov_sim.batch.worker"])
        self.pool = cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_watch_parent,
                                           initargs=(os.getpid(),))

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
        def first(fs: set[Any]) -> set[Any]:
            return cf.wait(fs, return_when=cf.FIRST_COMPLETED).done
        return _windowed(lambda it: self.pool.submit(fn, it), first, items,
                         lambda: 2 * self.workers, on_error)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class Dask:
    """A Dask cluster, by scheduler address or as a Client/cluster object: Dask distributes."""

    label = "dask"

    def __init__(self, address: Any) -> None:
        from distributed import Client

        self.client = address if isinstance(address, Client) else Client(address, timeout="10s")
        self._own = not isinstance(address, Client)
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.label = f"dask {self.client.scheduler.address}"

    def imap[T, R](self, fn: Callable[[T], R], items: Iterable[T],
                   on_error: Callable[[T, BaseException], R]) -> Iterator[R]:
        from distributed import wait

        def first(fs: set[Any]) -> set[Any]:
            return set(wait(list(fs), return_when="FIRST_COMPLETED").done)

        return _windowed(lambda it: self.client.submit(fn, it, pure=False), first, items,
                         lambda: 2 * self.threads(), on_error)

    def threads(self) -> int:
        """Worker threads now (a cluster may grow or shrink while it runs: dask-jobqueue)."""
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))
        return self.workers

    def close(self) -> None:
        if self._own:
            self.client.close()


def make(workers: int | None = None, scheduler: Any = None) -> Executor:
    """Dask if a scheduler is given, else `workers` local processes (all cores; 1: in-process)."""
    if scheduler is not None and workers is not None:
        raise InputError("--workers", f"value {workers} cannot be used with --scheduler: the Dask "
                         "cluster's own workers run the batch (start them with `dask worker "
                         "ADDRESS --nworkers N --nthreads 1`); give one of the two")
    if scheduler is not None:
        try:
            return Dask(scheduler)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError("--scheduler", f"cannot reach Dask scheduler {scheduler!r} ({e}); is "
                             "`dask scheduler` running there?") from None
    n = workers or os.cpu_count() or 1
    return Serial() if n == 1 else Processes(n)
