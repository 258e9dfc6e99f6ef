"""Mesa's clock with a lean one-off event queue: a heap of plain tuples.

Mesa 3.5's `schedule_event` costs about 8 µs an event (a weak reference, an `Event` object, a
heap push) and every `model.time` write is a signal-watched property; an issue has several
events, so that was most of the pipeline's time. `LeanEvents` keeps Mesa's API and order --
`model.step()` still advances one day, the day's step runs at t = d before other events at d
(Mesa's `Priority.HIGH`), ties go by priority then scheduling order -- but holds events as
`(time, priority, sequence, callback, argument)` tuples (the model's own events pass the
issue or part they move as the argument: no wrapper call per event) and keeps the running
clock in `model.now`; `model.time` (Mesa's observable) moves at day boundaries and at the end
of an advance.

Timers whose delay is the same for every event (residents' patience) come due in the order
they were set: `at_in_order` keeps them in a first-in-first-out lane beside the heap, which
then holds only the few events in flight (in a district of a million residents it would
otherwise hold every open issue's patience timer).

Callbacks are held strongly (Mesa holds weak references): every callback here checks its
issue's or part's state before acting, so a stale event does nothing either way.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

from mesa.time import Priority

DEFAULT = int(Priority.DEFAULT)


def _call(function: Callable[[], None]) -> None:
    function()


class LeanEvents:
    """Mixin for a `mesa.Model` subclass (listed before it): call `_init_events()` right after
    `mesa.Model.__init__`."""

    now: float
    """The event clock (days): the time of the event being run, or of the last advance."""

    def _init_events(self) -> None:
        self._default_schedule.stop()  # days are stepped by _advance_time below
        self.now = float(self.time)
        self._heap: list[tuple[float, int, int, Callable[[Any], None], Any]] = []
        self._lane: deque[tuple[float, int, int, Callable[[Any], None], Any]] = deque()
        self._seq = count()

    def schedule_event(self, function: Callable[[], None], *, at: float | None = None,
                       after: float | None = None,
                       priority: Priority = Priority.DEFAULT) -> None:
        """Mesa's `schedule_event` (exactly one of `at` / `after`; never in the past), without
        an `Event` to cancel: a callback that finds nothing to do simply returns."""
        if (at is None) == (after is None):
            raise ValueError("Specify exactly one of 'at' or 'after'")
        t = at if at is not None else self.now + after
        if t < self.now:
            raise ValueError(f"Cannot schedule event in the past. Scheduled time is {t}, "
                             f"but current time is {self.now}")
        heappush(self._heap, (t, int(priority), next(self._seq), _call, function))

    def at(self, t: float, function: Callable[[Any], None], arg: Any) -> None:
        """Call `function(arg)` at time `t` (>= now; the hot path: no checks)."""
        heappush(self._heap, (t, DEFAULT, next(self._seq), function, arg))

    def after(self, delay: float, function: Callable[[Any], None], arg: Any) -> None:
        """Call `function(arg)` `delay` days from now (>= 0; the hot path: no checks)."""
        heappush(self._heap, (self.now + delay, DEFAULT, next(self._seq), function, arg))

    def at_in_order(self, t: float, function: Callable[[Any], None], arg: Any) -> None:
        """`at` for timers set in the order they come due (a fixed delay from now); one set
        out of order goes to the heap instead, so the order of events is never wrong."""
        ev = (t, DEFAULT, next(self._seq), function, arg)
        lane = self._lane
        if lane and t < lane[-1][0]:
            heappush(self._heap, ev)
        else:
            lane.append(ev)

    def _run_events(self, until: float, inclusive: bool) -> None:
        """Run every event before `until` (and at it, if `inclusive`) in (time, priority,
        sequence) order, from the heap and the lane merged."""
        heap, lane = self._heap, self._lane
        while True:
            if lane and (not heap or lane[0] < heap[0]):
                ev = lane[0]
                if ev[0] > until or (ev[0] == until and not inclusive):
                    return
                lane.popleft()
            elif heap:
                ev = heap[0]
                if ev[0] > until or (ev[0] == until and not inclusive):
                    return
                heappop(heap)
            else:
                return
            self.now = ev[0]
            ev[3](ev[4])

    def _advance_time(self, until: float) -> None:
        """Mesa's advance (what `step()`, `run_for` and `run_until` call): run events in time
        order, and at each whole day the model's step before that day's other events."""
        while self.now < until:
            day = math.floor(self.now) + 1.0
            stop = min(day, until)
            self._run_events(stop, inclusive=False)
            self.now = stop
            if stop == day:
                self.time = stop
                self._do_step()
            self._run_events(stop, inclusive=True)
        self.time = until
