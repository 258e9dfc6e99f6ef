"""The data behind the charts as CSV: one row per side and day (what "export CSV" saves)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cogov_sim.viz.session import Frame


def series_csv(frame: Frame, names: Sequence[str]) -> str:
    """Each side's daily series to today, long format (side, day, one column per series)."""
    parts = []
    for name, series in zip(names, frame.series, strict=True):
        df = pd.DataFrame(series)
        df.insert(0, "day", range(len(df)))
        df.insert(0, "side", name)
        parts.append(df)
    return pd.concat(parts, ignore_index=True).to_csv(index=False)
