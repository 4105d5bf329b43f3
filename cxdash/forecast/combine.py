"""The forecast a planner gets: the equal-weight mean of the 4-week average and the regression models,
with a guard per lead group that falls back to the 4-week average where the backtest shows the mean
clearly worse.

Picking the candidate with the lowest backtest WAPE lost to the 4-week average on real call arrivals:
the differences in a backtest are small, the pick is noisy out of sample, and a model fitted at the
backtest's first origin has less history than it will have for the forecast. Combining beats picking
(the M4 competition's main finding), and beyond two or three days a historical average is hard to
beat (Taylor 2008). So the forecast is, with fixed equal weights:

- the 4-week average (the benchmark: robust, knows the weekly shape, slow to follow a level change),
- and every regression candidate (`Candidate.combined`: log counts on the calendar with AR errors, at
  the grain itself and, for intervals, the daily regression split by the weekday's profile), which
  follow the level and holidays but can overshoot.

Equal weights are not estimated, so they cannot be overfitted; Holt-Winters and the same interval last
week stay out (on real series they were far behind). The guard: for each lead group (same day, day
ahead, later days), if the mean's backtest WAPE exceeds GUARD times the 4-week average's, that group
gets the 4-week average alone. bench/forecast_real.py measures the choice on real arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ANCHOR = "mean_4_weeks"
NAME = "combined"
LABEL = "Combined: the 4-week average and the regressions, equal weights"
LEAD_GROUPS = (("same day", 0, 0), ("day ahead", 1, 1), ("later days", 2, 10_000))
GUARD = 1.2  # a lead group whose combination ran 20% behind the 4-week average in the backtest takes it


@dataclass(frozen=True)
class Group:
    """One lead group (leads first..last, in days) and the candidates whose mean it forecasts with."""

    name: str
    first: int
    last: int
    models: tuple[str, ...]


@dataclass(frozen=True)
class Combination:
    groups: tuple[Group, ...]

    @property
    def models(self) -> tuple[str, ...]:
        """Every candidate the combination uses, the anchor first."""
        used = [ANCHOR]
        for group in self.groups:
            used += [name for name in group.models if name not in used]
        return tuple(used)

    def group_of(self, leads: np.ndarray) -> np.ndarray:
        """The index of each lead's group."""
        leads = np.asarray(leads)
        out = np.full(len(leads), len(self.groups) - 1)
        for index, group in enumerate(self.groups):
            out[(leads >= group.first) & (leads <= group.last)] = index
        return out

    def apply(self, predictions: dict[str, np.ndarray], leads: np.ndarray) -> np.ndarray:
        """The combined forecast from each candidate's forecast of the same positions and their leads
        (days): the mean of the group's candidates that have a value there (NaN where none has)."""
        size = len(leads)
        out = np.full(size, np.nan)
        which = self.group_of(leads)
        for index, group in enumerate(self.groups):
            chosen = which == index
            members = [np.asarray(predictions[name], dtype=float)[chosen]
                       for name in group.models if name in predictions]
            if not members or not chosen.any():
                continue
            stacked = np.vstack(members)
            counts = (~np.isnan(stacked)).sum(axis=0)
            sums = np.nansum(stacked, axis=0)
            out[chosen] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return out

    def to_dict(self) -> list[dict]:
        return [{"group": g.name, "first_lead": g.first, "last_lead": g.last, "models": list(g.models)}
                for g in self.groups]


def _wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    known = ~np.isnan(actual) & ~np.isnan(forecast)
    total = actual[known].sum()
    return float(np.abs(actual[known] - forecast[known]).sum() / total) if total > 0 else np.nan


def _wide(rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The backtest's rows side by side: a column per candidate, the actual and the lead of each row."""
    wide = rows.pivot_table(index=["ts", "as_of", "lead"], columns="model", values="yhat", aggfunc="first",
                            dropna=False)
    actual = rows.groupby(["ts", "as_of", "lead"])["actual"].first().reindex(wide.index).to_numpy(float)
    return wide, actual, wide.index.get_level_values("lead").to_numpy()


def fit(rows: pd.DataFrame, members: tuple[str, ...], guard: float = GUARD) -> Combination:
    """The combination of `members` (the anchor and the regressions that were backtested), with each
    lead group's guard decided on the backtest's long-form rows (ts, model, as_of, lead, yhat, actual)."""
    members = tuple(dict.fromkeys([ANCHOR, *members]))
    wide, actual, leads = _wide(rows)
    present = tuple(name for name in members if name in wide.columns)
    full = Combination(tuple(Group(name, first, last, present) for name, first, last in LEAD_GROUPS))
    if ANCHOR not in wide.columns:
        return full
    combined = full.apply({name: wide[name].to_numpy(float) for name in present}, leads)
    anchor = wide[ANCHOR].to_numpy(float)
    groups = []
    for group in full.groups:
        chosen = (leads >= group.first) & (leads <= group.last)
        ours, theirs = _wape(actual[chosen], combined[chosen]), _wape(actual[chosen], anchor[chosen])
        behind = chosen.any() and ours == ours and theirs == theirs and ours > guard * theirs
        groups.append(Group(group.name, group.first, group.last, (ANCHOR,) if behind else group.models))
    return Combination(tuple(groups))


def backtest_rows(combination: Combination, rows: pd.DataFrame) -> pd.DataFrame:
    """The combination's own long-form rows on the backtest (model = NAME), from its members' rows."""
    wide, actual, leads = _wide(rows)
    combined = combination.apply({name: wide[name].to_numpy(float) for name in wide.columns}, leads)
    out = wide.index.to_frame(index=False)
    out.insert(1, "model", NAME)
    out["yhat"] = combined
    out["actual"] = actual
    out = out[~np.isnan(combined) & ~np.isnan(actual)]
    return out[list(rows.columns)].reset_index(drop=True)
