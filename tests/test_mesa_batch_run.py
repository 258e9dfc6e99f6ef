"""Mesa's own conventions: `mesa.batch_run` over CoGovModel and its DataCollector (issue 24)."""

from __future__ import annotations

import mesa
import pandas as pd
import pytest

from cogov_sim.model import CoGovModel

SMALL = {"run.days": 40, "run.warmup_days": 5, "community.residents": 400}


def stepped(seed: int, steps: int, **values: object) -> CoGovModel:
    m = CoGovModel(rng=seed, **{**SMALL, **values})
    for _ in range(steps):
        m.step()
    return m


def test_batch_run_returns_one_row_per_run_matching_a_model_stepped_by_hand():
    rows = mesa.batch_run(CoGovModel, parameters={"issues.rate": [0.2, 0.4], **SMALL},
                          rng=[1, 2], max_steps=20, number_processes=1, display_progress=False)
    assert len(rows) == 4
    got = pd.DataFrame(rows).set_index(["rng", "issues.rate"]).sort_index()
    assert (got["Step"] == 20.0).all()
    for (seed, rate), row in got.iterrows():
        last = stepped(seed, 20, **{"issues.rate": rate}).datacollector.get_model_vars_dataframe()
        pd.testing.assert_series_equal(row[last.columns].astype(float), last.iloc[-1],
                                       check_names=False)
    assert got.loc[(1, 0.2), "created"] != got.loc[(1, 0.4), "created"]


def test_batch_run_every_collection_and_a_run_to_its_end():
    rows = mesa.batch_run(CoGovModel, parameters=SMALL, rng=[3], max_steps=1000,
                          data_collection_period=1, number_processes=1, display_progress=False)
    assert [r["Step"] for r in rows] == [float(d) for d in range(SMALL["run.days"] + 1)]
    m = stepped(3, SMALL["run.days"])
    assert not m.running
    assert [r["resolved"] for r in rows] == m.series["resolved"].tolist()


def test_batch_run_in_two_processes_gives_the_serial_rows():
    kw = {"parameters": {"issues.rate": [0.3], **SMALL}, "rng": [1, 2], "max_steps": 10,
          "display_progress": False}
    serial = mesa.batch_run(CoGovModel, number_processes=1, **kw)
    parallel = mesa.batch_run(CoGovModel, number_processes=2, **kw)
    key = ["RunId"]
    pd.testing.assert_frame_equal(pd.DataFrame(serial).sort_values(key).reset_index(drop=True),
                                  pd.DataFrame(parallel).sort_values(key).reset_index(drop=True))


def test_datacollector_follows_mesa_layout():
    m = stepped(1, 5)
    dc = m.datacollector
    assert isinstance(dc, mesa.DataCollector)
    assert dc._collection_steps == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert set(dc.model_vars) == set(m.series)
    assert all(len(v) == 6 for v in dc.model_vars.values())
    df = dc.get_model_vars_dataframe()
    assert df.shape == (6, len(m.series))
    assert df["created"].tolist() == dc.model_vars["created"]


@pytest.mark.parametrize("steps", [0, 3])
def test_model_vars_reads_only_collected_days(steps):
    m = stepped(2, steps)
    assert len(m.datacollector.model_vars["backlog"]) == steps + 1
