"""Results folders verify themselves (issue 15): truncate any one file of a results folder, run
the same batch command again, and get the same runs table as an untouched batch; `cogov
report` refuses a damaged folder in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cogov_sim import cli
from cogov_sim.batch.store import VOLATILE

EXP = """
name = "integrity"
scenarios = ["fragmented", "committee"]
replications = 3
seed = 5
days = 40
keep = ["summary", "issues", "daily"]
[set]
"community.residents" = 300
"run.warmup_days" = 5
"""


@pytest.fixture(autouse=True)
def _no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "git_commit", lambda: None)


def stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=list(VOLATILE)).sort_values("run_id").reset_index(drop=True)


def batch(exp: Path, out: Path, *extra: str) -> int:
    return cli.main(["batch", str(exp), "--out", str(out), "--workers", "1", *extra])


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cogov: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("ref")
    (d / "exp.toml").write_text(EXP)
    assert cli.main(["batch", str(d / "exp.toml"), "--out", str(d / "out"), "--workers", "1",
                     "--chunk", "2"]) == 0
    return d / "exp.toml", d / "out"


def files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != ".lock")


def test_the_manifest_records_every_file_with_size_and_sha256(reference: tuple[Path, Path]) -> None:
    _, out = reference
    recorded = json.loads((out / "manifest.json").read_text())["files"]
    assert set(recorded) == set(files_of(out)) - {"manifest.json", "manifest.backup.json"}
    assert all(len(v) == 2 and len(v[1]) == 64 for v in recorded.values())


def test_truncating_any_one_file_then_rerunning_gives_the_same_runs(
        reference: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exp, ref = reference
    want = stable(pd.read_parquet(ref / "runs.parquet"))
    names = files_of(ref)
    assert len(names) > 20  # parts, ledgers, series, plan, scenarios, manifest and its backup
    for i, rel in enumerate(names):
        out = tmp_path / f"copy{i}"
        shutil.copytree(ref, out)
        size = (out / rel).stat().st_size
        with open(out / rel, "r+b") as f:
            f.truncate(min(2000, size // 2))
        assert batch(exp, out) == 0, rel
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if not rel.startswith("manifest.backup"):  # the backup is rewritten on the next save
            assert "set aside 1 damaged or foreign file(s)" in err and rel.split("/")[-1] in err, (rel, err)
            assert (next((out / "damaged").iterdir()) / rel).exists(), rel
        pd.testing.assert_frame_equal(stable(pd.read_parquet(out / "runs.parquet")), want,
                                      obj=rel)
        # rebuilt (a journal part's rows are in a new part instead; the manifest grows: it
        # records one more session)
        if not rel.startswith(("manifest", "runs/")):
            assert (out / rel).stat().st_size == size, f"{rel} was not rebuilt"
        # and the repaired folder reports
        assert cli.main(["report", str(out)]) == 0, rel
        capsys.readouterr()


def test_report_refuses_a_damaged_folder_in_one_line(
        reference: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, ref = reference
    for rel in ("issues/scenario=committee/committee.p0.r001.parquet", "runs.parquet",
                "manifest.json"):
        out = tmp_path / rel.replace("/", "_")
        shutil.copytree(ref, out)
        (out / rel).write_bytes((out / rel).read_bytes()[:100])
        before = {f: (out / f).read_bytes() for f in files_of(out)}
        assert cli.main(["report", str(out)]) == 2
        line = one_error_line(capsys)
        assert str(out) in line and "damaged" in line and "cogov batch" in line
        assert {f: (out / f).read_bytes() for f in files_of(out)} == before, "report changed it"


def test_a_damaged_manifest_without_a_backup_is_one_line(
        reference: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exp, ref = reference
    out = tmp_path / "out"
    shutil.copytree(ref, out)
    (out / "manifest.json").write_text("{not json")
    (out / "manifest.backup.json").unlink()
    assert batch(exp, out) == 2
    line = one_error_line(capsys)
    assert "manifest.json is damaged" in line and "runs/*.parquet" in line
    assert cli.main(["report", str(out)]) == 2
    assert "manifest.json is damaged" in one_error_line(capsys)
