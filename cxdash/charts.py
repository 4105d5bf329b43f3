"""Plotly figure builders: pure functions from tidy frames to figures, one template for all."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

CHANNEL_COLORS = {
    "phone": "#1f5f8b", "chat": "#3a9ad9", "email": "#7bb661", "social": "#e0a100",
    "sms": "#c8553d", "self_service": "#8e7cc3",
}
TEMPLATE = "plotly_white"


def _layout(figure: go.Figure, title: str | None = None) -> go.Figure:
    figure.update_layout(template=TEMPLATE, title=title, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                         legend_title_text="", hovermode="x unified")
    return figure


def contacts_by_channel(frame: pd.DataFrame) -> go.Figure:
    """Stacked daily contacts by channel."""
    figure = px.bar(frame, x="day", y="contacts", color="channel", color_discrete_map=CHANNEL_COLORS,
                    labels={"day": "", "contacts": "Contacts", "channel": "Channel"})
    figure.update_layout(bargap=0.1)
    return _layout(figure)


def channel_share(frame: pd.DataFrame) -> go.Figure:
    """Share of contacts by channel for the period, as a donut."""
    totals = frame.groupby("channel", as_index=False)["contacts"].sum()
    figure = px.pie(totals, names="channel", values="contacts", hole=0.55, color="channel",
                    color_discrete_map=CHANNEL_COLORS)
    figure.update_traces(textinfo="percent+label", sort=False)
    figure.update_layout(showlegend=False)
    return _layout(figure)
