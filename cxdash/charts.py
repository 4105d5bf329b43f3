"""Plotly figure builders: pure functions from tidy frames to figures, one template for all."""

from __future__ import annotations

import functools

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from cxdash.calendar import WEEKDAY_NAMES
from cxdash.safe import html_labels

CHANNEL_COLORS = {
    "phone": "#1f5f8b", "chat": "#3a9ad9", "email": "#7bb661", "social": "#e0a100",
    "sms": "#c8553d", "self_service": "#8e7cc3",
}
TEMPLATE = "plotly_white"


def data_labels(builder):
    """A figure builder whose frames reach it with every text cell HTML-escaped (`safe.html_labels`):
    Plotly renders <a href>, <b>, <br> and other tags in tick labels, legend entries, hover text and
    annotations, and names in the data (queues, teams, agents, QA items, special days) are text.
    Every builder below has it."""
    @functools.wraps(builder)
    def build(*args, **kwargs):
        args = [html_labels(value) if isinstance(value, pd.DataFrame) else value for value in args]
        kwargs = {key: html_labels(value) if isinstance(value, pd.DataFrame) else value
                  for key, value in kwargs.items()}
        return builder(*args, **kwargs)
    build.escapes_data_labels = True
    return build


def _layout(figure: go.Figure, title: str | None = None) -> go.Figure:
    figure.update_layout(template=TEMPLATE, title=title, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                         legend_title_text="", hovermode="x unified")
    return figure


@data_labels
def contacts_by_channel(frame: pd.DataFrame) -> go.Figure:
    """Stacked daily contacts by channel."""
    figure = px.bar(frame, x="day", y="contacts", color="channel", color_discrete_map=CHANNEL_COLORS,
                    labels={"day": "", "contacts": "Contacts", "channel": "Channel"})
    figure.update_layout(bargap=0.1)
    return _layout(figure)


@data_labels
def channel_share(frame: pd.DataFrame) -> go.Figure:
    """Share of contacts by channel for the period, as a donut."""
    totals = frame.groupby("channel", as_index=False)["contacts"].sum()
    figure = px.pie(totals, names="channel", values="contacts", hole=0.55, color="channel",
                    color_discrete_map=CHANNEL_COLORS)
    figure.update_traces(textinfo="percent+label", sort=False)
    figure.update_layout(showlegend=False)
    return _layout(figure)


# --- quality ---------------------------------------------------------------------------------------

SIGNAL_COLORS = {"in control": "#1f5f8b", "too few ratings": "#b8c2cc", "below limit": "#c0392b",
                 "above limit": "#2e8b57", "run below": "#e08e0b", "run above": "#7bb661"}
SURVEY_LABELS = {"nps": "NPS", "ces": "CES (1-7)", "fcr_pct": "FCR %"}


def _status(units: pd.DataFrame) -> pd.Series:
    status = units["signal"].where(units["signal"] != "", "in control")
    return status.where(units["judged"] | (units["signal"] != ""), "too few ratings")


@data_labels
def csat_control_chart(units: pd.DataFrame, grain: str, value_label: str = "CSAT %") -> go.Figure:
    """CSAT per unit with the center line, control limits and 7-day rolling value; points carry
    their unit's first day (customdata[0]) so a selection names the unit."""
    frame = units[units["n"] > 0].copy()
    frame["status"] = _status(frame)
    frame["unit"] = frame["start"].astype(str)
    frame["wilson"] = frame.apply(lambda r: f"{r['wilson_low']:.1f}–{r['wilson_high']:.1f}"
                                  if pd.notna(r["wilson_low"]) else "–", axis=1)
    figure = px.scatter(
        frame, x="start", y="value", color="status", color_discrete_map=SIGNAL_COLORS,
        category_orders={"status": list(SIGNAL_COLORS)},
        custom_data=["unit", "n", "wilson", "lcl", "ucl"],
        labels={"start": "", "value": value_label, "status": ""})
    figure.update_traces(
        marker=dict(size=9, line=dict(width=1, color="white")),
        hovertemplate="%{x|%a %d %b %Y}<br>" + value_label + " %{y:.1f} from %{customdata[1]:,} "
                      "ratings<br>95% interval %{customdata[2]}<br>limits %{customdata[3]:.1f}–"
                      "%{customdata[4]:.1f}<extra>%{fullData.name}</extra>")
    figure.update_traces(selector=dict(name="too few ratings"),
                         marker=dict(symbol="circle-open", color=SIGNAL_COLORS["too few ratings"]))
    shape = "hvh" if grain == "day" else "hv"
    every = units.dropna(subset=["lcl"])
    figure.add_scatter(x=every["start"], y=every["ucl"], mode="lines", line_shape=shape,
                       line=dict(color="rgba(120,130,140,0.6)", width=1, dash="dot"),
                       name="control limits", hoverinfo="skip", legendgroup="limits")
    figure.add_scatter(x=every["start"], y=every["lcl"], mode="lines", line_shape=shape,
                       line=dict(color="rgba(120,130,140,0.6)", width=1, dash="dot"),
                       fill="tonexty", fillcolor="rgba(120,130,140,0.08)", name="control limits",
                       hoverinfo="skip", legendgroup="limits", showlegend=False)
    if len(every):
        figure.add_scatter(x=every["start"], y=every["center"], mode="lines",
                           line=dict(color="rgba(60,60,60,0.8)", width=1, dash="dash"),
                           name="center (baseline)", hoverinfo="skip")
    if units["rolling"].notna().any():
        figure.add_scatter(x=units["start"], y=units["rolling"], mode="lines",
                           line=dict(color="#3a9ad9", width=2), name="7-day rolling",
                           hovertemplate="7-day rolling %{y:.1f}<extra></extra>")
    figure.update_layout(legend=dict(orientation="h", y=-0.15), clickmode="event+select")
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def csat_compare(frame: pd.DataFrame, value_label: str = "CSAT %") -> go.Figure:
    """This period against the previous period and last year, on the current period's axis."""
    frame = frame.assign(date=frame["start"].astype(str))
    figure = px.line(frame, x="x", y="value", color="series", custom_data=["date", "ratings"],
                     color_discrete_map={"This period": "#1f5f8b", "Previous period": "#9aa5b1",
                                         "Last year": "#e0a100"},
                     labels={"x": "", "value": value_label, "series": ""})
    figure.update_traces(hovertemplate="%{customdata[0]}: %{y:.1f} (%{customdata[1]:,} ratings)"
                                       "<extra>%{fullData.name}</extra>")
    return _layout(figure)


@data_labels
def survey_trends(frame: pd.DataFrame, grain: str) -> go.Figure:
    """NPS, CES and FCR on the same units, one panel each with its own scale."""
    frame = frame.assign(label=frame["metric"].map(SURVEY_LABELS),
                         shown=frame["rolling"] if grain == "day" else frame["value"])
    figure = px.line(frame, x="start", y="shown", facet_row="label", markers=grain != "day",
                     labels={"start": "", "shown": "", "label": ""}, height=420,
                     category_orders={"label": list(SURVEY_LABELS.values())})
    figure.update_yaxes(matches=None)
    figure.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _layout(figure)


@data_labels
def score_distribution(frame: pd.DataFrame) -> go.Figure:
    figure = px.bar(frame, x="score", y="share_pct", color="series", barmode="group",
                    color_discrete_map={"This period": "#1f5f8b", "Baseline": "#b8c2cc"},
                    labels={"score": "CSAT score", "share_pct": "% of ratings", "series": ""})
    return _layout(figure).update_layout(hovermode="x unified")


@data_labels
def tier_shares(trend: pd.DataFrame) -> go.Figure:
    figure = px.bar(trend, x="start", y="share_pct", color="tier",
                    color_discrete_map={"tier 1": "#1f5f8b", "tier 2": "#e0a100", "tier 3": "#c8553d"},
                    labels={"start": "", "share_pct": "% of contacts with a tier", "tier": ""})
    return _layout(figure)


@data_labels
def qa_items(frame: pd.DataFrame) -> go.Figure:
    figure = px.bar(frame, x="qa_score_pct", y="item", orientation="h",
                    labels={"qa_score_pct": "QA score %", "item": ""},
                    height=max(260, 24 * len(frame)))
    figure.update_layout(yaxis=dict(autorange="reversed"))
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def qa_coverage(agents: pd.DataFrame, low: float, high: float) -> go.Figure:
    """Evaluations per week for each agent against the target band."""
    figure = px.bar(agents, x="agent", y="evaluations_per_week", color="team",
                    color_discrete_sequence=["#1f5f8b", "#3a9ad9", "#7bb661", "#e0a100", "#8e7cc3"],
                    labels={"agent": "", "evaluations_per_week": "Evaluations per week", "team": ""})
    figure.add_hrect(y0=low, y1=high, fillcolor="rgba(46,139,87,0.12)", line_width=0,
                     annotation_text=f"target {low:g}–{high:g}", annotation_position="top left")
    return _layout(figure).update_layout(hovermode="closest")


# --- monthly report -----------------------------------------------------------------------------------

@data_labels
def cost_trend(trend: pd.DataFrame) -> go.Figure:
    """Cost per contact by month for each channel, with the blended figure in black."""
    figure = px.line(trend, x="month", y="cost_per_contact_usd", color="channel", markers=True,
                     color_discrete_map={**CHANNEL_COLORS, "blended": "#222222"},
                     labels={"month": "", "cost_per_contact_usd": "Cost per contact ($)", "channel": ""})
    figure.update_traces(selector=dict(name="blended"), line=dict(width=3))
    return _layout(figure)


@data_labels
def cost_composition(composition: pd.DataFrame) -> go.Figure:
    figure = px.bar(composition, x="amount_usd", y="cost_type", orientation="h", text="share_pct",
                    labels={"amount_usd": "Operating cost ($)", "cost_type": ""})
    figure.update_traces(texttemplate="%{text:.0f}%", textposition="outside", marker_color="#1f5f8b",
                         cliponaxis=False)
    figure.update_layout(yaxis=dict(autorange="reversed"), xaxis=dict(range=[0, 1.15 * max(
        composition["amount_usd"].max() if len(composition) else 1, 1)]))
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def ltv_by_cohort(cohorts: pd.DataFrame) -> go.Figure:
    """12- and 24-month value per customer by first-order cohort; cohorts still maturing are absent."""
    frame = cohorts.melt(id_vars=["cohort_month", "customers"], value_vars=["ltv_12m_usd", "ltv_24m_usd"],
                         var_name="horizon", value_name="ltv_usd").dropna(subset=["ltv_usd"])
    frame["horizon"] = frame["horizon"].map({"ltv_12m_usd": "12 months", "ltv_24m_usd": "24 months"})
    figure = px.line(frame, x="cohort_month", y="ltv_usd", color="horizon", markers=True,
                     custom_data=["customers"],
                     color_discrete_map={"12 months": "#1f5f8b", "24 months": "#e0a100"},
                     labels={"cohort_month": "First-order month (cohort)",
                             "ltv_usd": "Value per customer ($)", "horizon": ""})
    figure.update_traces(hovertemplate="%{x|%b %Y} cohort: $%{y:,.2f} per customer "
                                       "(%{customdata[0]:,} customers)<extra>%{fullData.name}</extra>")
    early = cohorts.loc[cohorts["early_history"], "cohort_month"]
    if len(early) and len(frame):
        figure.add_vrect(x0=early.min(), x1=early.max(), fillcolor="rgba(120,130,140,0.12)", line_width=0,
                         annotation_text="first year of the order history: may include earlier customers",
                         annotation_position="top left", annotation_font_size=11)
    return _layout(figure).update_layout(hovermode="closest", legend=dict(orientation="h", y=-0.2))


@data_labels
def experience_differences(experience: pd.DataFrame) -> go.Figure:
    """Each service-experience comparison's difference in 12-month value, with its 95% interval."""
    frame = experience.dropna(subset=["ltv_difference_usd"]).copy()
    frame["label"] = frame["group_a"] + "<br>vs " + frame["group_b"]
    figure = go.Figure(go.Scatter(
        x=frame["ltv_difference_usd"], y=frame["label"], mode="markers",
        marker=dict(size=11, color="#1f5f8b"),
        error_x=dict(type="data", symmetric=False,
                     array=frame["ltv_difference_high_usd"] - frame["ltv_difference_usd"],
                     arrayminus=frame["ltv_difference_usd"] - frame["ltv_difference_low_usd"]),
        customdata=frame[["customers_a", "customers_b", "ltv_difference_low_usd",
                          "ltv_difference_high_usd"]],
        hovertemplate="%{x:+$,.2f} per customer (95% interval %{customdata[2]:$,.2f} to "
                      "%{customdata[3]:$,.2f})<br>%{customdata[0]:,} vs %{customdata[1]:,} "
                      "customers<extra></extra>"))
    figure.add_vline(x=0, line=dict(color="#9aa5b1", dash="dash"))
    figure.update_layout(xaxis_title="Difference in 12-month value per customer ($)",
                         yaxis=dict(autorange="reversed"), height=80 + 70 * max(len(frame), 1))
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def order_rates(orders: pd.DataFrame) -> go.Figure:
    """Monthly return and warranty-claim rates of orders."""
    frame = orders.melt(id_vars=["month", "orders"], value_vars=["return_rate_pct", "warranty_rate_pct"],
                        var_name="rate", value_name="pct")
    frame["rate"] = frame["rate"].map({"return_rate_pct": "Returned", "warranty_rate_pct": "Warranty claim"})
    figure = px.line(frame, x="month", y="pct", color="rate", markers=True, custom_data=["orders"],
                     color_discrete_map={"Returned": "#c8553d", "Warranty claim": "#8e7cc3"},
                     labels={"month": "", "pct": "% of orders", "rate": ""})
    figure.update_traces(hovertemplate="%{x|%b %Y}: %{y:.1f}% of %{customdata[0]:,} orders"
                                       "<extra>%{fullData.name}</extra>")
    return _layout(figure).update_yaxes(rangemode="tozero")


# --- seasonality: intraday and weekly shape (weekdays numbered as cxdash.calendar numbers them) -----

@data_labels
def hour_weekday_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Contacts per real clock hour by local weekday (rows, Monday on top) and hour (columns), from
    intraday.heatmap; the hover gives the average, the contacts and the hours behind it."""
    cells = frame.sort_values(["weekday", "hour"])
    per_hour = cells.pivot(index="weekday", columns="hour", values="contacts_per_hour")
    details = cells.pivot(index="weekday", columns="hour", values="contacts").reindex_like(per_hour)
    hours = cells.pivot(index="weekday", columns="hour", values="hours").reindex_like(per_hour)
    figure = go.Figure(go.Heatmap(
        z=per_hour.to_numpy(), x=list(per_hour.columns),
        y=[WEEKDAY_NAMES[weekday] for weekday in per_hour.index],
        customdata=[list(zip(row_contacts, row_hours, strict=True))
                    for row_contacts, row_hours in zip(details.to_numpy(), hours.to_numpy(), strict=True)],
        colorscale="Blues", colorbar=dict(title="per hour"), xgap=1, ygap=1, hoverongaps=False,
        hovertemplate="%{y} %{x}:00–%{x}:59<br>%{z:,.1f} contacts per hour<br>"
                      "%{customdata[0]:,} contacts in %{customdata[1]:,.4~g} hours<extra></extra>"))
    figure.update_xaxes(title="Hour of day (local)", tickmode="linear", dtick=1)
    figure.update_yaxes(autorange="reversed", title="")
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def channel_shapes(hourly_shares: pd.DataFrame) -> go.Figure:
    """One line per channel: the share of its contacts in each local hour of the day, from the
    hourly frame of intraday.shapes_by_channel."""
    figure = px.line(hourly_shares, x="hour", y="share_pct", color="channel", markers=True,
                     color_discrete_map=CHANNEL_COLORS,
                     labels={"hour": "Hour of day (local)", "share_pct": "% of the channel's contacts",
                             "channel": "Channel"})
    figure.update_traces(hovertemplate="%{y:.1f}%<extra>%{fullData.name}</extra>")
    figure.update_xaxes(tickmode="linear", dtick=1, range=[-0.5, 23.5])
    return _layout(figure).update_yaxes(rangemode="tozero")


@data_labels
def channel_weekday_index(weekly: pd.DataFrame) -> go.Figure:
    """One line per channel: its average contacts on each weekday against its average day (100), from
    the weekly frame of intraday.shapes_by_channel."""
    frame = weekly.assign(day=weekly["weekday"].map(dict(enumerate(WEEKDAY_NAMES))))
    figure = px.line(frame, x="day", y="weekday_index", color="channel", markers=True,
                     color_discrete_map=CHANNEL_COLORS, category_orders={"day": list(WEEKDAY_NAMES)},
                     labels={"day": "", "weekday_index": "Index (100 = an average day)",
                             "channel": "Channel"})
    figure.update_traces(hovertemplate="%{y:.0f}<extra>%{fullData.name}</extra>")
    figure.add_hline(y=100, line=dict(color="#9aa5b1", dash="dash"))
    return _layout(figure)


# --- seasonality: years, holidays, decomposition --------------------------------------------------------

YEAR_COLORS = ["#b8c2cc", "#9aa5b1", "#e0a100", "#3a9ad9", "#1f5f8b"]  # older years paler, latest darkest


@data_labels
def year_overlay(units: pd.DataFrame, value_label: str, grain: str) -> go.Figure:
    """A KPI per aligned position, one line per year, so a planner reads this year against the last."""
    frame = units.assign(year=units["year"].astype(str))
    years = sorted(frame["year"].unique())
    colors = dict(zip(years, YEAR_COLORS[-len(years):] if len(years) <= len(YEAR_COLORS) else
                      px.colors.sequential.Blues[-len(years):], strict=False))
    figure = px.line(frame, x="position", y="value", color="year", color_discrete_map=colors,
                     custom_data=["label", "last_year", "change_pct"], markers=grain in ("month", "quarter"),
                     labels={"position": "", "value": value_label, "year": ""})
    figure.update_traces(hovertemplate="%{customdata[0]}: %{y:,.2f} (a year earlier %{customdata[1]:,.2f},"
                                       " %{customdata[2]:+.1f}%)<extra>%{fullData.name}</extra>")
    ticks = frame.drop_duplicates("position").sort_values("position")
    if grain == "day":
        ticks = ticks[ticks["label"].str.endswith("Mon") & (((ticks["position"] - 1) // 7) % 4 == 0)]
    elif grain == "week":
        ticks = ticks[(ticks["position"] - 1) % 4 == 0]
    figure.update_xaxes(tickvals=ticks["position"], ticktext=ticks["label"].str.replace(" Mon", ""))
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def year_change_bars(latest: pd.DataFrame) -> go.Figure:
    """The latest year's change on a year earlier at each aligned position, rises and falls coloured."""
    frame = latest.dropna(subset=["change_pct"]).assign(
        direction=lambda f: f["change_pct"].map(lambda v: "higher" if v >= 0 else "lower"))
    figure = px.bar(frame, x="position", y="change_pct", color="direction", custom_data=["label"],
                    color_discrete_map={"higher": "#1f5f8b", "lower": "#e0a100"}, height=220,
                    labels={"position": "", "change_pct": f"{int(frame['year'].max())} on a year earlier (%)",
                            "direction": ""})
    figure.update_traces(hovertemplate="%{customdata[0]}: %{y:+.1f}%<extra></extra>")
    ticks = frame.drop_duplicates("position")
    if len(ticks) > 20:
        ticks = ticks.iloc[::max(len(ticks) // 12, 1)]
    figure.update_xaxes(tickvals=ticks["position"], ticktext=ticks["label"])
    return _layout(figure).update_layout(hovermode="closest", showlegend=False)


@data_labels
def uplift_bars(uplift: pd.DataFrame, low: float = 45, high: float = 80) -> go.Figure:
    """Each holiday's and special day's uplift on comparable normal days, a bar per year."""
    frame = uplift.assign(year=uplift["year"].astype(str),
                          dates=uplift["start"].astype(str) + " – " + uplift["end"].astype(str))
    figure = px.bar(frame, x="name", y="uplift_pct", color="year", barmode="group",
                    custom_data=["dates", "contacts_per_day", "baseline_per_day"],
                    color_discrete_sequence=YEAR_COLORS[::-1][:max(frame["year"].nunique(), 1)][::-1],
                    labels={"name": "", "uplift_pct": "Uplift on normal days (%)", "year": ""})
    figure.update_traces(hovertemplate="%{x} (%{customdata[0]}): %{y:+.0f}%<br>%{customdata[1]:,.0f} "
                                       "contacts a day against %{customdata[2]:,.0f}<extra>%{fullData.name}"
                                       "</extra>")
    figure.add_hrect(y0=low, y1=high, fillcolor="rgba(224,161,0,0.10)", line_width=0,
                     annotation_text=f"seed: holiday seasons +{low:g}–{high:g}%",
                     annotation_position="top left")
    figure.add_hline(y=0, line=dict(color="#9aa5b1", width=1))
    return _layout(figure).update_layout(hovermode="closest")


@data_labels
def decomposition_chart(components: pd.DataFrame, spikes: pd.DataFrame, value_label: str) -> go.Figure:
    """The observed series with its trend, the weekly and yearly parts and the residual, with the
    days the pattern does not explain marked."""
    from plotly.subplots import make_subplots

    rows = ["Observed and trend", "Weekly part", "Yearly part", "Residual"]
    has_yearly = components["yearly"].notna().any()
    if not has_yearly:
        rows.remove("Yearly part")
    figure = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, subplot_titles=rows,
                           vertical_spacing=0.06)
    line = dict(width=1.2)
    figure.add_scatter(x=components["day"], y=components["observed"], name=value_label, row=1, col=1,
                       line=dict(color="#9aa5b1", width=1))
    figure.add_scatter(x=components["day"], y=components["trend"], name="trend", row=1, col=1,
                       line=dict(color="#1f5f8b", width=2))
    parts = [("weekly", "#3a9ad9")] + ([("yearly", "#e0a100")] if has_yearly else []) + \
        [("residual", "#7b8794")]
    for number, (part, color) in enumerate(parts, start=2):
        figure.add_scatter(x=components["day"], y=components[part], name=part, row=number, col=1,
                           line={**line, "color": color})
    if len(spikes):
        figure.add_scatter(x=spikes["day"], y=spikes["residual"], mode="markers", name="spike",
                           marker=dict(color="#c0392b", size=8), row=len(rows), col=1,
                           customdata=spikes[["calendar"]],
                           hovertemplate="%{x|%a %d %b %Y}: %{y:+,.0f} %{customdata[0]}<extra>spike</extra>")
    figure.update_layout(height=170 * len(rows) + 60, showlegend=False)
    return _layout(figure).update_layout(hovermode="x unified")


# --- forecasting and staffing ----------------------------------------------------------------------

FORECAST_COLOR, ACTUAL_COLOR, BAND_COLOR = "#1f5f8b", "#444444", "rgba(31, 95, 139, 0.18)"


def _with_gaps(frame: pd.DataFrame, step: pd.Timedelta) -> pd.DataFrame:
    """A row of blanks wherever the next interval is more than one step later, so lines break over
    closed hours instead of drawing straight across them."""
    frame = frame.sort_values("ts").reset_index(drop=True)
    # a local day is 23 or 25 hours long when the clocks change
    gaps = frame["ts"].diff() > step + (pd.Timedelta(hours=1) if step >= pd.Timedelta(days=1) else
                                        pd.Timedelta(0))
    if not gaps.any():
        return frame
    blanks = frame.loc[gaps].copy()
    blanks["ts"] = blanks["ts"] - step
    for column in blanks.columns.drop("ts"):
        blanks[column] = None
    return pd.concat([frame, blanks]).sort_values("ts", kind="stable").reset_index(drop=True)


ONE_DAY = pd.Timedelta(days=1)


def _zeros_within_days(actuals: pd.DataFrame, step: pd.Timedelta) -> pd.DataFrame:
    """Intervals without arrivals between a local day's first and last arrival, as zeros (a quiet
    half hour is a real zero; the hours before the first and after the last stay blank)."""
    if step >= ONE_DAY:
        return actuals
    filled = []
    for _, day in actuals.groupby(actuals["ts"].dt.date):
        grid = pd.date_range(day["ts"].min(), day["ts"].max(), freq=step)
        filled.append(day.set_index("ts")["actual"].reindex(grid, fill_value=0).rename_axis("ts")
                      .reset_index())
    return pd.concat(filled, ignore_index=True)


@data_labels
def forecast_chart(actuals: pd.DataFrame, rows: pd.DataFrame, level: float,
                   step: pd.Timedelta = ONE_DAY) -> go.Figure:
    """Actual contacts (ts, actual) and the forecast (ts, yhat, yhat_lower, yhat_upper) with its
    interval as a band; lines break where intervals are closed (no row for more than one step)."""
    figure = go.Figure()
    actuals = _with_gaps(_zeros_within_days(actuals, step), step) if not actuals.empty else actuals
    if not rows.empty:
        band = _with_gaps(rows[["ts", "yhat", "yhat_lower", "yhat_upper"]], step)
        # the interval as one closed shape per run of open intervals (a fill across a gap would
        # smear over the closed hours)
        segment = band["yhat"].isna().cumsum()
        for number, (_, part) in enumerate(band.dropna(subset=["yhat"]).groupby(segment)):
            figure.add_trace(go.Scatter(
                x=pd.concat([part["ts"], part["ts"][::-1]]),
                y=pd.concat([part["yhat_upper"], part["yhat_lower"][::-1]]),
                mode="lines", fill="toself", fillcolor=BAND_COLOR, line=dict(width=0), hoverinfo="skip",
                name=f"{level:.0%} interval", legendgroup="interval", showlegend=number == 0))
        figure.add_trace(go.Scatter(x=band["ts"], y=band["yhat"], mode="lines", name="Forecast",
                                    line=dict(color=FORECAST_COLOR, width=2), hovertemplate="%{y:,.1f}"))
    if not actuals.empty:
        figure.add_trace(go.Scatter(x=actuals["ts"], y=actuals["actual"], mode="lines", name="Actual",
                                    line=dict(color=ACTUAL_COLOR, width=1.2), hovertemplate="%{y:,.0f}"))
    figure.update_yaxes(title_text="Contacts", rangemode="tozero")
    return _layout(figure)


@data_labels
def accuracy_over_time(points: pd.DataFrame, target: float, floor: float | None) -> go.Figure:
    """WAPE (%) by as-of date: stored runs and backtest origins (as_of, wape_pct, source), against
    the target and the Poisson floor."""
    figure = px.line(points, x="as_of", y="wape_pct", color="source", markers=True,
                     color_discrete_map={"Stored forecast": FORECAST_COLOR, "Backtest": "#9aa5b1"},
                     labels={"as_of": "Forecast as of", "wape_pct": "WAPE %", "source": ""})
    figure.add_hline(y=100 * target, line_dash="dash", line_color="#2e8b57",
                     annotation_text=f"target {100 * target:g}%", annotation_position="top left")
    if floor is not None and floor == floor:
        figure.add_hline(y=100 * floor, line_dash="dot", line_color="#c0392b",
                         annotation_text=f"Poisson floor {100 * floor:.1f}%",
                         annotation_position="bottom left")
    figure.update_yaxes(rangemode="tozero")
    return _layout(figure)


@data_labels
def coverage_over_time(points: pd.DataFrame, level: float) -> go.Figure:
    """The share of actuals inside each stored run's interval (as_of, coverage_pct), against the level
    it should hold and the 75-85% band around it."""
    figure = px.line(points.sort_values("as_of"), x="as_of", y="coverage_pct", markers=True,
                     labels={"as_of": "Forecast as of",
                             "coverage_pct": f"Inside the {level:.0%} interval, %"})
    figure.update_traces(line_color=FORECAST_COLOR)
    figure.add_hrect(y0=100 * level - 5, y1=100 * level + 5, fillcolor="#2e8b57", opacity=0.08, line_width=0)
    figure.add_hline(y=100 * level, line_dash="dash", line_color="#2e8b57",
                     annotation_text=f"{level:.0%}", annotation_position="top left")
    figure.update_yaxes(range=[0, 100])
    return _layout(figure)


@data_labels
def accuracy_by_lead(frame: pd.DataFrame, target: float) -> go.Figure:
    """WAPE (%) by lead in days (lead, wape_pct, source)."""
    figure = px.line(frame, x="lead", y="wape_pct", color="source", markers=True,
                     color_discrete_map={"Stored forecasts": FORECAST_COLOR, "Backtest": "#9aa5b1"},
                     labels={"lead": "Days after the as-of date (0 = same day)", "wape_pct": "WAPE %",
                             "source": ""})
    figure.add_hline(y=100 * target, line_dash="dash", line_color="#2e8b57")
    figure.update_yaxes(rangemode="tozero")
    return _layout(figure)


@data_labels
def staffing_chart(frame: pd.DataFrame, schedule: pd.DataFrame | None = None,
                   step: pd.Timedelta = ONE_DAY) -> go.Figure:
    """Agents per interval: Erlang's on-phone requirement, the simple formula's, scheduled headcount
    with shrinkage, and the user's schedule when given (ts, agents, simple_agents, scheduled_agents);
    lines break over closed hours."""
    figure = go.Figure()
    frame = _with_gaps(frame[["ts", "agents", "simple_agents", "scheduled_agents"]], step)
    figure.add_trace(go.Scatter(x=frame["ts"], y=frame["agents"], name="Required on the phones (Erlang)",
                                mode="lines", line=dict(color=FORECAST_COLOR, width=2, shape="hv")))
    figure.add_trace(go.Scatter(x=frame["ts"], y=frame["simple_agents"], name="Simple formula",
                                mode="lines", line=dict(color="#e0a100", width=1.5, dash="dot", shape="hv")))
    figure.add_trace(go.Scatter(x=frame["ts"], y=frame["scheduled_agents"], name="Scheduled (with shrinkage)",
                                mode="lines", line=dict(color="#9aa5b1", width=1.2, shape="hv")))
    if schedule is not None and not schedule.empty:
        planned = _with_gaps(schedule[["ts", "agents"]], step)
        figure.add_trace(go.Scatter(x=planned["ts"], y=planned["agents"], name="Your schedule",
                                    mode="lines+markers", marker=dict(size=4),
                                    line=dict(color="#c0392b", width=1.5, shape="hv")))
    figure.update_yaxes(title_text="Agents", rangemode="tozero")
    return _layout(figure)
