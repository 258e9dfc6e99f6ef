"""Every shipped scenario x 2 seeds gives the same tables to the last bit as recorded in
tests/snapshot.json (scripts/snapshot.py --update rewrites it, on purpose only)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "snapshot", Path(__file__).resolve().parent.parent / "scripts" / "snapshot.py")
snap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snap)
WANT = json.loads(snap.SNAPSHOT.read_text())


@pytest.mark.parametrize("path", snap.scenario_files(), ids=lambda p: p.stem)
def test_every_scenario_gives_the_recorded_tables(path: Path) -> None:
    got = {f"{path.stem}/{s}": snap.snapshot_one(path, s) for s in snap.SEEDS}
    want = {k: v for k, v in WANT.items() if k.split("/")[0] == path.stem}
    assert snap.differences(want, got) == []
