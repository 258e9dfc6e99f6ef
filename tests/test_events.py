"""The lean event queue keeps Mesa's order: time, then priority, then scheduling order; the
day's step before that day's other events; timers set in order in a lane, merged exactly."""

from __future__ import annotations

import mesa
import pytest
from mesa.time import Priority

from cogov_sim.events import LeanEvents


class Clocked(LeanEvents, mesa.Model):
    def __init__(self) -> None:
        super().__init__(rng=1)
        self._init_events()
        self.log: list[tuple[float, str]] = []

    def step(self) -> None:
        self.log.append((self.now, "step"))

    def note(self, what: str) -> None:
        self.log.append((self.now, what))


def test_order_is_time_priority_then_scheduling() -> None:
    m = Clocked()
    m.at(0.5, m.note, "b")
    m.schedule_event(lambda: m.note("low"), at=0.5, priority=Priority.LOW)
    m.at(0.25, m.note, "a")
    m.schedule_event(lambda: m.note("high"), at=0.5, priority=Priority.HIGH)
    m.at(0.5, m.note, "c")
    m.after(1.0, m.note, "day-one")  # at t = 1: after the step of day 1
    m.at_in_order(0.75, m.note, "lane-1")
    m.at_in_order(0.75, m.note, "lane-2")
    m.at_in_order(0.6, m.note, "out-of-order")  # earlier than the lane's tail: heap
    m.step()
    assert m.log == [(0.25, "a"), (0.5, "high"), (0.5, "b"), (0.5, "c"), (0.5, "low"),
                     (0.6, "out-of-order"), (0.75, "lane-1"), (0.75, "lane-2"),
                     (1.0, "step"), (1.0, "day-one")]
    assert m.time == 1.0 and m.steps == 1


def test_run_for_steps_whole_days_and_stops_between() -> None:
    m = Clocked()
    m.at(1.5, m.note, "x")
    m.run_for(2.25)
    assert [w for _, w in m.log] == ["step", "x", "step"]
    assert m.time == m.now == 2.25
    m.run_for(0.75)
    assert m.log[-1] == (3.0, "step")


def test_scheduling_rules_are_mesa_s() -> None:
    m = Clocked()
    m.step()
    with pytest.raises(ValueError, match="exactly one"):
        m.schedule_event(print, at=2.0, after=1.0)
    with pytest.raises(ValueError, match="past"):
        m.schedule_event(print, at=0.5)
