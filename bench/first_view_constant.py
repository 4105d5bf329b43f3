"""The overview's first view drawn from constants: the yardstick of bench/first_view.py.

The same 12 tiles as cxdash.ui.kpi_tiles draws them (bordered st.metric with value, delta, delta
colour and arrow, help text, a 31-day sparkline and the status caption under it) and the same two
Plotly charts as pages/overview.py (a stacked daily bar chart of contacts by channel, 31 days x 6
channels, beside a donut of the channel shares, in st.columns([3, 1]), width="stretch"), with the
figures of October 2026 in the 10-million-interaction demo written in as constants. No data, no
cxdash import, no pandas: what any Streamlit page showing this view has to pay, so the app's time
can be read as a multiple of it. Run from the repository root so that .streamlit/config.toml (the
theme) applies: `streamlit run bench/first_view_constant.py`.
"""

import math

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="cxdash", page_icon=":material/support_agent:", layout="wide",
                   initial_sidebar_state="expanded")

# label, value, delta, delta colour, delta arrow, help, caption: as kpi_tiles passes them to Streamlit
TILES = [
    ("Contacts", "289,904", "+6,977 (+2.5%)", "off", "auto",
     "Every customer contact that arrived\\, in all channels\\, self\\-service included\\.\n\nNo target set.",
     ":gray-badge[No target] · last year 273,182"),
    ("CSAT", "89.6%", "±0.0 pts", "off", "off",
     "CSAT \\(top\\-2\\-box\\)\\: ratings of 4 or 5 on the 1\\-5 scale \\/ all ratings\\. Read it beside "
     "the survey response rate\\.\n\nTarget ≥ 86\\.0\\%.",
     ":green-badge[On target] target ≥ 86\\.0\\% · last year 89.4%"),
    ("Survey response rate", "21.5%", "+0.1 pts", "normal", "auto",
     "Share of served contacts that left a CSAT rating\\.\n\nNo target set.",
     ":gray-badge[No target] · last year 21.5%"),
    ("NPS", "+51", "+0.50", "normal", "auto",
     "Net Promoter Score\\: \\% promoters \\(9\\-10\\) minus \\% detractors \\(0\\-6\\)\\, \\-100 to 100\\."
     "\n\nTarget ≥ \\+40.",
     ":green-badge[On target] target ≥ \\+40 · last year +50"),
    ("CES", "5.60", "-0.01", "normal", "auto",
     "Customer Effort Score\\: mean answer on the 1\\-7 \\'made it easy\\' scale \\(CES 2\\.0\\)\\.\n\n"
     "No target set.",
     ":gray-badge[No target] · last year 5.59"),
    ("FCR", "84.7%", "+0.1 pts", "normal", "auto",
     "First contact resolution\\: contacts resolved at first contact \\/ contacts with a known outcome\\. "
     "From the resolved\\_first\\_contact flag\\.\n\nTarget ≥ 78\\.0\\%.",
     ":green-badge[On target] target ≥ 78\\.0\\% · last year 84.6%"),
    ("AHT", "319 s", "-0.6 s (-0.2%)", "off", "auto",
     "Average handle time\\: \\(talk \\+ hold \\+ after\\-contact work\\) \\/ handled contacts\\. Handled "
     "\\= answered by an agent with handle time recorded\\; hold counts separately from talk\\.\n\n"
     "Target 240 s–420 s.",
     ":green-badge[On target] target 240 s–420 s · last year 319 s"),
    ("ASA", "17.6 s", "-0.1 s (-0.3%)", "inverse", "auto",
     "ASA\\: mean wait from queue entry to answer of answered phone\\, chat contacts\\.\n\n"
     "Target ≤ 30\\.0 s.",
     ":green-badge[On target] target ≤ 30\\.0 s · last year 18.0 s"),
    ("Abandon rate", "3.4%", "±0.0 pts", "off", "off",
     "Abandon rate\\: abandoned \\/ offered phone\\, chat contacts\\. Abandons within 5 s \\(short "
     "abandons\\) are left out of both counts\\.\n\nTarget ≤ 4\\.0\\%.",
     ":green-badge[On target] target ≤ 4\\.0\\% · last year 3.5%"),
    ("Service level", "80.3%", "-0.1 pts", "normal", "auto",
     "Service level\\: phone\\, chat contacts answered within 20 s \\/ offered \\(abandons count against "
     "it\\)\\. Abandons within 5 s \\(short abandons\\) are left out of both counts\\.\n\n"
     "Target ≥ 80\\.0\\%.",
     ":green-badge[On target] target ≥ 80\\.0\\% · last year 80.0%"),
    ("First response in target", "87.9%", "+0.1 pts", "normal", "auto",
     "First response in target\\: contacts of email\\, social\\, sms first answered within the "
     "channel\\'s target \\(email 2 h\\, sms 2 h\\, social 2 h\\)\\, calendar time\\, \\/ all those "
     "contacts\\; unanswered ones count as missed\\.\n\nTarget ≥ 90\\.0\\%.",
     ":orange-badge[Near target] target ≥ 90\\.0\\% · last year 87.7%"),
    ("Cost per contact", "$7.60", "-$0.02 (-0.3%)", "inverse", "auto",
     "Operating cost \\(one\\-time costs excluded\\) \\/ served contacts \\(answered or self\\-served\\)\\. "
     "Costs are monthly and spread evenly over the month\\'s days\\; only days with cost data "
     "count\\.\n\nTarget ≤ \\$8\\.00.",
     ":green-badge[On target] target ≤ \\$8\\.00 · last year $7.60"),
]
# each tile's daily values for its sparkline: (middle, half range) of October 2026
SPARKS = [(9440, 3684), (89.7, 1.8), (21.3, 1.1), (51.8, 5.9), (5.59, 0.07), (84.6, 1.2), (316.7, 9.3),
          (17.8, 6.4), (3.5, 1.4), (80.5, 5.8), (87.8, 1.4), (8.9, 3.4)]
DAYS = [f"2026-10-{day:02d}" for day in range(1, 32)]
# mean contacts a day of each channel in October 2026, and the weekly shape around it
CHANNELS = {"chat": (2370, "#3a9ad9"), "email": (1673, "#7bb661"), "phone": (3267, "#1f5f8b"),
            "self_service": (1295, "#8e7cc3"), "sms": (280, "#c8553d"), "social": (468, "#e0a100")}
WEEK = [1.0, 1.03, 0.71, 0.71, 1.39, 1.22, 1.07]  # Thursday 1 October first


def spark(middle: float, half: float) -> list[float]:
    return [round(middle + half * math.sin(day * 0.9) * WEEK[day % 7] / 1.39, 3) for day in range(31)]


def layout(figure: go.Figure) -> go.Figure:
    """As cxdash.charts._layout."""
    return figure.update_layout(template="plotly_white", title=None, margin=dict(l=10, r=10, t=10, b=10),
                                legend_title_text="", hovermode="x unified")


def contacts_by_channel() -> go.Figure:
    """As cxdash.charts.contacts_by_channel draws it with plotly.express: one bar trace a channel."""
    figure = go.Figure()
    for name, (mean, color) in CHANNELS.items():
        figure.add_bar(x=DAYS, y=[round(mean * WEEK[day % 7]) for day in range(31)], name=name,
                       marker=dict(color=color, pattern=dict(shape="")), legendgroup=name,
                       orientation="v", showlegend=True, textposition="auto", xaxis="x", yaxis="y",
                       hovertemplate="Channel=" + name + "<br>=%{x}<br>Contacts=%{y}<extra></extra>")
    figure.update_layout(barmode="relative", bargap=0.1, xaxis=dict(title=dict(text="")),
                         yaxis=dict(title=dict(text="Contacts")), legend=dict(tracegroupgap=0))
    return layout(figure)


def channel_share() -> go.Figure:
    """As cxdash.charts.channel_share draws it with plotly.express: a donut, no legend."""
    names = list(CHANNELS)
    figure = go.Figure(go.Pie(labels=names, values=[CHANNELS[name][0] * 31 for name in names],
                              hole=0.55, marker=dict(colors=[CHANNELS[name][1] for name in names]),
                              textinfo="percent+label", sort=False, showlegend=True,
                              domain=dict(x=[0.0, 1.0], y=[0.0, 1.0]),
                              hovertemplate="channel=%{label}<br>contacts=%{value}<extra></extra>"))
    figure.update_layout(showlegend=False, legend=dict(tracegroupgap=0))
    return layout(figure)


st.title("Overview")
st.caption("**October 2026** (all contacts) · compared with September 2026 and, a year earlier, October "
           "2025 · times in America/Los_Angeles")
for first in range(0, len(TILES), 4):
    for cell, tile, sparkline in zip(st.columns(4), TILES[first:first + 4], SPARKS[first:first + 4],
                                     strict=True):
        label, value, delta, color, arrow, help_text, caption = tile
        with cell, st.container(border=True):
            st.metric(label, value, delta=delta, delta_color=color, delta_arrow=arrow, help=help_text,
                      chart_data=spark(*sparkline), delta_description="vs previous period")
            st.caption(caption)
st.subheader("Contacts by channel")
left, right = st.columns([3, 1])
left.plotly_chart(contacts_by_channel(), width="stretch")
right.plotly_chart(channel_share(), width="stretch")
