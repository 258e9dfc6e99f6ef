"""`cogov report`: tables, PNG and SVG figures, report.md; and reading a results folder with
pandas and DuckDB in one line each, exactly as docs/batch.md shows."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cogov_sim.batch import executors, load_experiment, run_batch
from cogov_sim.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs" / "batch.md"
EXP = """
name = "report"
description = "a small batch to draw"
scenarios = ["fragmented", "committee", "whistle"]
replications = 4
seed = 9
days = 50
keep = ["summary", "issues", "daily"]
[set]
"community.residents" = 400
"run.warmup_days" = 5
"""
FIGURES = ("resolution_ecdf", "time_by_stage", "participation", "resolution_by_departments")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("report")
    (d / "exp.toml").write_text(EXP)
    run_batch(load_experiment(d / "exp.toml"), d / "out", executors.Serial())
    return d / "out"


def test_report_writes_tables_figures_and_markdown(folder: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(folder)]) == 0
    assert "report.md" in capsys.readouterr().out
    rep = folder / "report"
    for name in FIGURES:
        assert (rep / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in (rep / "figures" / f"{name}.svg").read_text()[:2000]
    md = (rep / "report.md").read_text()
    for name in FIGURES:
        assert f"(figures/{name}.png)" in md and f"(figures/{name}.svg)" in md
    assert "| mean resolution time, closed issues only (days) | committee |" in md
    assert "Cohen's d" in md and "plan hash" in md and "master 9" in md
    table = pd.read_csv(rep / "tables" / "comparison.csv")
    row = table[(table["group"] == "committee") & (table["metric"] == "resolution_mean_days")].iloc[0]
    runs = pd.read_parquet(folder / "runs.parquet")
    assert row["mean"] == pytest.approx(runs.loc[runs["scenario"] == "committee",
                                                 "resolution_mean_days"].mean())
    assert row["ci_low"] < row["mean"] < row["ci_high"] and row["cohens_d"] == row["cohens_d"]


def test_report_without_ledgers_or_cogov(tmp_path: Path) -> None:
    (tmp_path / "exp.toml").write_text('model = "ishigami"\nreplications = 3\n'
                                       '[grid]\nx1 = [0.0, 1.0]\nx2 = [0.5]\n')
    assert main(["batch", str(tmp_path / "exp.toml"), "--out", str(tmp_path / "out"),
                 "--workers", "1"]) == 0
    assert main(["report", str(tmp_path / "out")]) == 0
    md = (tmp_path / "out" / "report" / "report.md").read_text()
    assert "Not drawn: needs the issue ledgers" in md and "| y | ishigami [x1=1, x2=0.5] |" in md


def test_report_of_a_folder_that_is_not_a_batch(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_reading_results_one_line_each_as_documented(folder: Path) -> None:
    text = DOCS.read_text()
    lines = [ln.strip() for ln in re.findall(r"^(?:runs|df) = .*$", text, flags=re.M)]
    pandas_line = next(ln for ln in lines if "pd.read_parquet" in ln)
    duckdb_line = next(ln for ln in lines if "duckdb.sql" in ln)
    env = {"pd": pd, "duckdb": duckdb}
    for line in (pandas_line, duckdb_line):
        exec(line.replace("results/headline", str(folder)), env)
    assert len(env["runs"]) == 12 and set(env["runs"]["scenario"]) == {"fragmented", "committee",
                                                                        "whistle"}
    assert list(env["df"]["scenario"]) == ["committee", "fragmented", "whistle"]
    assert env["df"].shape[0] == 3
