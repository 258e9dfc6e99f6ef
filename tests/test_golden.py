"""Results for fixed seeds do not drift: speed work must leave them bit for bit the same.

If the model changes on purpose, regenerate with `python tests/test_golden.py --update` and
say why in the commit message."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cogov_sim import run

GOLDEN = Path(__file__).with_name("golden.json")
CASES = [("committee", 1, 120), ("fragmented", 2, 120), ("committee-sanshe", 3, 120),
         ("reform", 4, 240)]
KEYS = ("all_issues", "issues_resolved", "resolution_mean_days", "resolution_p90_days",
        "stage_waiting_days", "transfers_per_issue", "participation_mean", "trust_final",
        "efficacy_final", "utilisation_departments")


def _case(name: str, seed: int, days: int) -> dict[str, float]:
    s = run(name, seed=seed, days=days).summary
    return {k: s[k] for k in KEYS}


@pytest.mark.parametrize(("name", "seed", "days"), CASES)
def test_fixed_seed_results_unchanged(name: str, seed: int, days: int) -> None:
    want = json.loads(GOLDEN.read_text())[f"{name}/{seed}/{days}"]
    got = _case(name, seed, days)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


if __name__ == "__main__" and "--update" in sys.argv:
    GOLDEN.write_text(json.dumps({f"{n}/{s}/{d}": _case(n, s, d) for n, s, d in CASES},
                                 indent=1) + "\n")
    print(f"wrote {GOLDEN}")
