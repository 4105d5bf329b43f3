"""Plotly figures of a schedule: coverage against the requirement interval by interval, and the cost of
each step of safety. Pure functions from frames to figures, in cxdash.charts' template."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cxdash.charts import TEMPLATE

REQUIRED_COLOR, SCHEDULED_COLOR, SHORT_COLOR = "#1f5f8b", "#e0a100", "#c0392b"


def _layout(figure: go.Figure) -> go.Figure:
    figure.update_layout(template=TEMPLATE, margin=dict(l=10, r=10, t=10, b=10), legend_title_text="",
                         hovermode="x unified", legend=dict(orientation="h", y=1.08))
    return figure


def _breaks_between(frame: pd.DataFrame, step: pd.Timedelta) -> pd.DataFrame:
    """A blank row wherever the next interval is more than a step later: lines break over closed hours."""
    frame = frame.sort_values("ts").reset_index(drop=True)
    gaps = frame["ts"].diff() > step
    blanks = frame.loc[gaps].copy()
    blanks["ts"] = blanks["ts"] - step
    for column in blanks.columns.drop("ts"):
        blanks[column] = float("nan")
    return pd.concat([frame, blanks]).sort_values("ts", kind="stable").reset_index(drop=True)


def coverage_chart(intervals: pd.DataFrame, interval_minutes: int) -> go.Figure:
    """Agents on the phones the forecast needs (Erlang) against those the schedule puts there, each
    interval of the week (intervals: ts, required, on_phones, status)."""
    step = pd.Timedelta(minutes=interval_minutes)
    frame = _breaks_between(intervals[["ts", "required", "on_phones"]].astype({"required": "float64"})
                            .round({"on_phones": 2}), step)
    # each interval drawn from its start to its end
    frame = frame.assign(ts=frame["ts"].dt.tz_localize(None))
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=frame["ts"], y=frame["required"], name="Required on the phones",
                                mode="lines", line=dict(color=REQUIRED_COLOR, width=2, shape="hv")))
    figure.add_trace(go.Scatter(x=frame["ts"], y=frame["on_phones"], name="Scheduled on the phones",
                                mode="lines", line=dict(color=SCHEDULED_COLOR, width=2, shape="hv")))
    short = intervals[intervals["status"] == "under"]
    figure.add_trace(go.Scatter(x=short["ts"].dt.tz_localize(None), y=short["on_phones"].round(2),
                                name="Under-staffed", mode="markers",
                                marker=dict(color=SHORT_COLOR, size=5, symbol="x")))
    figure.update_yaxes(title_text="Agents", rangemode="tozero")
    return _layout(figure)


def cost_curve_chart(curve: pd.DataFrame) -> go.Figure:
    """Paid hours (and cost on hover) for each step of safety (safety_pct, paid_hours, cost_usd,
    share_meeting)."""
    shown = curve.dropna(subset=["paid_hours"])
    figure = go.Figure(go.Scatter(
        x=shown["safety_pct"], y=shown["paid_hours"], mode="lines+markers", name="Paid hours",
        line=dict(color=REQUIRED_COLOR, width=2),
        customdata=shown[["cost_usd", "share_meeting"]].to_numpy(),
        hovertemplate="%{x}% safety: %{y:,.0f} paid hours, $%{customdata[0]:,.0f}, "
                      "%{customdata[1]:.0%} of intervals meet the target with that chance<extra></extra>"))
    figure.update_xaxes(title_text="Chance each interval meets the target, %")
    figure.update_yaxes(title_text="Paid hours a week", rangemode="tozero")
    return _layout(figure)
