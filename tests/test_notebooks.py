"""The notebooks in docs/notebooks/ run as stored, from a temporary folder, and are stored
without outputs (issue 24)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "docs" / "notebooks").glob("*.ipynb"))


def test_the_three_users_have_notebooks():
    assert [p.stem for p in NOTEBOOKS] == ["live-model", "policy-sweep", "researcher-batch"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_from_a_temporary_folder(path, tmp_path, monkeypatch):
    monkeypatch.delenv("COGOV_SCENARIO_PATH", raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert any(o.output_type in ("display_data", "execute_result")
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)
