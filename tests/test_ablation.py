"""`cogov mechanisms`: one variant per mechanism, and the table written between ODD's markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from cogov_sim import ablation
from cogov_sim.errors import InputError
from cogov_sim.scenario import load

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"


def test_each_variant_switches_exactly_its_mechanism() -> None:
    base = load("committee")
    for m, sc in zip(ablation.switches(), ablation.variants(base), strict=True):
        differ = {k for k in base.params if base.params[k] != sc.params[k]}
        assert differ == set(m.change), (m.key, differ)
        assert sc.name == f"committee:{m.key}"


def test_the_table_is_written_between_the_markers(tmp_path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"before\n{ablation.BEGIN}\nold\n{ablation.END}\nafter\n")
    ablation.write_into(doc, "| new |\n")
    assert doc.read_text() == f"before\n{ablation.BEGIN}\n| new |\n{ablation.END}\nafter\n"
    bare = tmp_path / "bare.md"
    bare.write_text("no markers\n")
    with pytest.raises(InputError, match="markers"):
        ablation.write_into(bare, "x")


def test_odd_carries_a_row_for_every_mechanism() -> None:
    text = ODD.read_text(encoding="utf-8")
    block = text[text.index(ablation.BEGIN):text.index(ablation.END)]
    for m in ablation.switches():
        assert f"| {m.title} |" in block, m.key
    assert "cogov mechanisms --replications" in block


def test_effects_table_from_a_small_run() -> None:
    cmp = ablation.effects("committee", replications=2, seed=3, days=60)
    md = ablation.table_markdown(cmp)
    assert md.count("\n") == 3 + len(ablation.switches())
    assert "[" in md.splitlines()[3]  # differences come with CIs
