"""The handle time a forecast's intervals can expect: what staffing multiplies the contacts by."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdash.forecast.grid import Grid
from cxdash.forecast.models import PROFILE_WEEKS


def aht_forecast(grid: Grid, origin: int, stop: int) -> np.ndarray:
    """Handle time per handled contact for each interval: the same interval of the week over the last
    four weeks (handle seconds over handled contacts), else the weekday's, else the four weeks'."""
    recent = np.arange(max(origin - PROFILE_WEEKS * grid.week, 0), origin)
    frame = pd.DataFrame({"key": grid.week_key[recent], "weekday": grid.week_key[recent] // grid.per_day,
                          "handled": grid.handled[recent], "seconds": grid.handle_seconds[recent]})
    by_key = frame.groupby("key")[["handled", "seconds"]].sum()
    by_weekday = frame.groupby("weekday")[["handled", "seconds"]].sum()
    overall = frame["seconds"].sum() / frame["handled"].sum() if frame["handled"].sum() else np.nan
    keys = grid.week_key[origin:stop]
    per_key = (by_key["seconds"] / by_key["handled"].where(by_key["handled"] > 0)).reindex(keys).to_numpy()
    per_day = (by_weekday["seconds"] / by_weekday["handled"].where(by_weekday["handled"] > 0)) \
        .reindex(keys // grid.per_day).to_numpy()
    return np.where(np.isnan(per_key), np.where(np.isnan(per_day), overall, per_day), per_key)
