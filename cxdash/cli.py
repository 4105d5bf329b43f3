"""The command line, for work users script or schedule: demo data, validation and KPI figures."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from cxdash.contract import CHANNELS
from cxdash.oserrors import disk_error_text
from cxdash.settings import data_dir


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-05-31") from error


def _month(text: str) -> date:
    try:
        return date.fromisoformat(text + "-01")
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month like 2026-10") from error


class _Sources:
    """The choices of `import`: the names of cxdash.importers.SOURCES, read only when an import's
    arguments are checked or its help is shown, so that the other commands start without loading the
    importers."""

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())

    @staticmethod
    def _names() -> list[str]:
        from cxdash.importers import SOURCES

        return list(SOURCES)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cxdash", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def with_data(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--data", metavar="DIR",
                         help="data folder (default: $CXDASH_DATA, else data/ beside the app)")
        return sub

    demo = with_data(commands.add_parser("demo", help="write the Living Well demo operation"))
    demo.add_argument("--end", type=_date, help="last day of the demo (default: yesterday)")
    demo.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--if-missing", action="store_true",
                      help="do nothing when the folder already holds interactions")

    validate = with_data(commands.add_parser(
        "validate", help="check every file against the data contract and the settings (cxdash.toml); "
                         "exit 1 if rows were set aside or a setting is not used"))
    validate.add_argument("--json", action="store_true", help="print the report as JSON")

    kpis = with_data(commands.add_parser("kpis", help="the overview's KPI figures for a period"))
    kpis.add_argument("--start", type=_date, required=True, help="first day (inclusive, local)")
    kpis.add_argument("--end", type=_date, required=True, help="last day (inclusive, local)")
    kpis.add_argument("--channel", action="append", default=[], choices=CHANNELS)
    kpis.add_argument("--queue", action="append", default=[])
    kpis.add_argument("--team", action="append", default=[])
    kpis.add_argument("--json", action="store_true", help="print one JSON object")

    report = with_data(commands.add_parser(
        "report", help="write the monthly report as one self-contained HTML file"))
    report.add_argument("--month", type=_month, required=True, help="local calendar month, YYYY-MM")
    report.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="where to write it")
    report.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help="also write the tables as Excel")
    report.add_argument("--json", action="store_true", help="print the headline figures as JSON")

    forecast = with_data(commands.add_parser(
        "forecast", help="forecast contacts by day or interval, chosen by a backtest; kept in the record"))
    forecast.add_argument("--grain", choices=("day", "30min", "15min"), required=True)
    forecast.add_argument("--horizon", type=int, required=True, metavar="DAYS",
                          help="calendar days after the as-of date (the as-of day itself is forecast too)")
    forecast.add_argument("--channel", action="append", default=[], choices=CHANNELS,
                          help="channel to forecast (repeat for several; default all)")
    forecast.add_argument("--queue", action="append", default=[],
                          help="queue to forecast (repeat for several; default all)")
    forecast.add_argument("--as-of", type=_date, metavar="DATE",
                          help="forecast as if on this local date, from contacts before it (default today)")
    forecast.add_argument("--out", type=Path, metavar="FILE",
                          help="write the rows (ts, yhat, yhat_lower, yhat_upper, model) as .csv or .parquet")
    forecast.add_argument("--json", action="store_true",
                          help="print the backtest accuracy of every candidate and the chosen model")

    importer = with_data(commands.add_parser(
        "import", help="import a platform's export into the data folder (idempotent, incremental)"))
    importer.add_argument("source", choices=_Sources(), metavar="SOURCE",
                          help="where the export comes from: %(choices)s")
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="export files")
    importer.add_argument("--mapping", type=Path, metavar="FILE",
                          help="mapping file (TOML): which column is which, for csv (and overrides)")
    importer.add_argument("--preview", action="store_true",
                          help="say what would be imported and set aside; write nothing")
    importer.add_argument("--json", action="store_true", help="print the summary as JSON")

    def number(low: float, high: float | None = None, low_in: bool = False, high_in: bool = False):
        """An argparse type: a finite number in a range, else a plain error (never a traceback)."""
        shown = f"{'>=' if low_in else '>'} {low:g}" if high is None else \
            f"in {'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"

        def parse(text: str) -> float:
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and (value >= low if low_in else value > low)
                    and (high is None or (value <= high if high_in else value < high))):
                raise argparse.ArgumentTypeError(f"{text!r} is not a number {shown}")
            return value
        return parse

    staffing = commands.add_parser(
        "staffing", help="agents needed for one interval: Erlang C, or Erlang A with --patience-seconds")
    staffing.add_argument("--contacts", type=number(0, low_in=True), required=True,
                          help="contacts offered in the interval")
    staffing.add_argument("--interval-minutes", type=number(0), required=True, help="interval length")
    staffing.add_argument("--aht-seconds", type=number(0), required=True, help="average handle time")
    staffing.add_argument("--service-level", type=number(0, 1), default=0.8,
                          help="share to answer within the target time (default 0.8)")
    staffing.add_argument("--target-seconds", type=number(0, low_in=True), default=20.0,
                          help="service-level target time (default 20)")
    staffing.add_argument("--max-occupancy", type=number(0, 1, high_in=True), default=0.85,
                          help="highest occupancy allowed (default 0.85)")
    staffing.add_argument("--shrinkage", type=number(0, 1, low_in=True), default=0.3,
                          help="share of paid time off the phones (default 0.3)")
    staffing.add_argument("--patience-seconds", type=number(0),
                          help="mean caller patience: switches to Erlang A, which adds abandonment")
    staffing.add_argument("--json", action="store_true", help="print one JSON object")

    schedule = with_data(commands.add_parser(
        "schedule", help="a week's shifts, breaks and roster from a stored interval forecast (CP-SAT); "
                         "kept in DATA/schedules/"))
    schedule.add_argument("--forecast", required=True, metavar="RUN", help="a run id of the forecast record")
    schedule.add_argument("--week", type=_date, required=True, metavar="DATE",
                          help="the first of the seven local days to schedule")
    team = schedule.add_mutually_exclusive_group()
    team.add_argument("--agents", type=int, metavar="N",
                      help="headcount, all full time (default: [schedule] agents in cxdash.toml)")
    team.add_argument("--roster", type=Path, metavar="FILE",
                      help="CSV of agent, contract_hours, days, earliest, latest")
    schedule.add_argument("--safety", type=int, metavar="PCT",
                          help="plan each interval for the contacts it stays under with this chance, 50-99 "
                               "(default 50: the forecast)")
    schedule.add_argument("--share", type=int, metavar="PCT",
                          help="the share of intervals with contacts planned with that safety, 50-100; below "
                               "100 the costliest others may be left short (default: [schedule] "
                               "safety_share_pct)")
    schedule.add_argument("--time-limit", type=number(0), metavar="SECONDS",
                          help="the solver's time limit (default: [schedule] time_limit_seconds, 10)")
    schedule.add_argument("--erlang-a", action="store_true",
                          help="Erlang A with the customers' patience the data shows, instead of Erlang C")
    schedule.add_argument("--out", type=Path, metavar="FILE",
                          help="write the shifts (agent, date, start, end, paid hours, breaks) as .csv "
                               "or .xlsx")
    schedule.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folder = data_dir(args.data) if hasattr(args, "data") else None
    try:
        return _run(args, folder)
    except Exception as error:
        # a read-only folder, a full disk, a permission refused: one line naming the path, not a
        # traceback (which $CXDASH_DEBUG adds); any other error is a bug and keeps its traceback
        text = disk_error_text(error, fallback=folder)
        if text is None:
            raise
        if os.environ.get("CXDASH_DEBUG"):
            traceback.print_exc()
        print(f"cxdash: {text}", file=sys.stderr)
        return 1


@contextmanager
def _naming(path: Path):
    """An OSError while writing `path` names it (a write that fills the disk, or pyarrow's, does not)."""
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(path)
        raise


def _run(args: argparse.Namespace, folder: Path | None) -> int:
    if args.command == "staffing":
        return _staffing(args)
    if args.command == "demo":
        return _demo(folder, args)
    if args.command == "validate":
        return _validate(folder, args)
    if args.command == "report":
        return _report(folder, args)
    if args.command == "forecast":
        return _forecast(folder, args)
    if args.command == "import":
        return _import(folder, args)
    if args.command == "schedule":
        return _schedule(folder, args)
    return _kpis(folder, args)


def _warn_settings(settings, report=None) -> None:
    """Each thing cxdash.toml gets wrong, on stderr: the command goes on with the defaults; and what
    preparing the store did beyond the usual (a repair, a store kept elsewhere)."""
    for line in settings.problems:
        print(f"warning: settings: {line}", file=sys.stderr)
    for line in (report.notes if report is not None else ()):
        print(f"note: {line}", file=sys.stderr)


def _demo(folder: Path, args: argparse.Namespace) -> int:
    from cxdash.demo import write_demo
    from cxdash.ingest import TABLES, source_files

    if args.if_missing and source_files(folder, TABLES["interactions"]):
        print(f"{folder}: interactions present; demo not written")
        return 0
    summary = write_demo(folder, end=args.end, scale=args.scale, seed=args.seed)
    print(f"{folder}: demo written: {summary.interactions:,} interactions "
          f"({summary.start} to {summary.end}), {summary.orders:,} orders, {summary.qa_rows:,} QA rows")
    return 0


def _validate(folder: Path, args: argparse.Namespace) -> int:
    from cxdash.ingest import prepare
    from cxdash.settings import load_settings

    settings = load_settings(folder)
    report = prepare(folder, settings)
    has_interactions = bool(report.for_table("interactions"))
    if args.json:
        document = report.to_dict()
        document["settings_problems"] = list(settings.problems)
        if not has_interactions:
            document["messages"].insert(0, f"{folder}: no interaction files in interactions/")
        print(json.dumps(document, indent=2, default=str))
    else:
        for line in settings.problems:
            print(f"settings: {line}")
        for line in report.notes:
            print(f"note: {line}")
        if not has_interactions:
            print(f"{folder}: no interaction files in interactions/ (run `python -m cxdash demo`)")
        for table in ("interactions", "costs", "orders", "qa"):
            files = report.for_table(table)
            if not files:
                continue
            read = sum(f.rows_read for f in files)
            used = sum(f.rows_used for f in files)
            aside = sum(f.rows_set_aside for f in files)
            broken = sum(1 for f in files if f.unreadable)
            print(f"{table}: {len(files)} file(s), {read:,} rows read = {used:,} used + "
                  f"{aside:,} set aside" + (f"; {broken} unreadable file(s)" if broken else ""))
        for line in report.messages():
            print(f"  {line}")
        if report.clean and has_interactions:
            print("All files pass the data contract.")
        if settings.problems:
            print(f"{len(settings.problems)} setting problem(s) in {folder / 'cxdash.toml'}: "
                  "the defaults are used instead (see `settings:` above)")
    return 0 if report.clean and has_interactions and not settings.problems else 1


def _kpis(folder: Path, args: argparse.Namespace) -> int:
    from cxdash.kpis import Filters, Period, kpi_values
    from cxdash.store import Store

    if args.end < args.start:
        print("--end is before --start", file=sys.stderr)
        return 2
    # a query or two: the daily rollup read from disk for the period, not loaded whole into memory
    store = Store.open(folder, resident=False)
    _warn_settings(store.settings, store.report)
    values = kpi_values(store, Period(args.start, args.end),
                        Filters(tuple(args.channel), tuple(args.queue), tuple(args.team)))
    if args.json:
        print(json.dumps(values))
    else:
        from cxdash.metrics import METRICS, format_value
        for name, value in values.items():
            print(f"{METRICS[name].label:<26} {format_value(name, value, store.settings)}")
    return 0


def _report(folder: Path, args: argparse.Namespace) -> int:
    from cxdash import report
    from cxdash.store import Store

    with Store.open(folder) as store:
        _warn_settings(store.settings, store.report)
        if not store.has_interactions:
            print(f"{folder}: no interactions to report on", file=sys.stderr)
            return 1
        for line in store.report.messages():
            print(f"warning: {line}", file=sys.stderr)
        monthly = report.monthly_report(store, args.month)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with _naming(args.out):
            args.out.write_text(report.to_html(monthly, folder.name), encoding="utf-8")
        if args.xlsx:
            with _naming(args.xlsx):
                args.xlsx.write_bytes(report.to_excel(monthly))
        if args.json:
            print(json.dumps(report.figures(monthly)))
        else:
            print(f"{args.out}: monthly report for {monthly.label}")
            for line in report.summary(monthly):
                print(f"  {line}")
    return 0


def _staffing(args: argparse.Namespace) -> int:
    from cxdash.staffing import erlang_a_staffing, erlang_c_staffing

    interval = args.interval_minutes * 60
    targets = {"service_level": args.service_level, "target_seconds": args.target_seconds,
               "max_occupancy": args.max_occupancy, "shrinkage": args.shrinkage}
    if args.patience_seconds is None:
        result = erlang_c_staffing(args.contacts, interval, args.aht_seconds, **targets)
    else:
        result = erlang_a_staffing(args.contacts, interval, args.aht_seconds, args.patience_seconds,
                                   **targets)
    figures = {"agents": result.agents, "service_level": result.service_level,
               "asa_seconds": result.asa_seconds, "occupancy": result.occupancy,
               "scheduled_agents": result.scheduled_agents}
    if args.patience_seconds is not None:
        figures["abandon_rate"] = result.abandon_rate
    if args.json:
        print(json.dumps(figures))
        return 0
    model = "Erlang C" if args.patience_seconds is None else \
        f"Erlang A (mean patience {args.patience_seconds:g} s)"
    print(f"{model}: {args.contacts:g} contacts in {args.interval_minutes:g} minutes at "
          f"{args.aht_seconds:g} s AHT = {args.contacts * args.aht_seconds / interval:.2f} Erlangs")
    print(f"Agents on the phones   {result.agents}")
    print(f"Service level          {100 * result.service_level:.1f}% answered within "
          f"{args.target_seconds:g} s (target {100 * args.service_level:g}%)")
    print(f"ASA                    {result.asa_seconds:.1f} s")
    print(f"Occupancy              {100 * result.occupancy:.1f}% (cap {100 * args.max_occupancy:g}%)")
    if result.abandon_rate is not None:
        print(f"Abandon rate           {100 * result.abandon_rate:.1f}%")
    print(f"Scheduled agents       {result.scheduled_agents} (with {100 * args.shrinkage:g}% shrinkage)")
    return 0


def _forecast(folder: Path, args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cxdash import accuracy, record
    from cxdash.forecast import LEVEL, ForecastError, Request, make_forecast
    from cxdash.safe import csv_bytes
    from cxdash.store import Store

    if args.out is not None and args.out.suffix.lower() not in (".csv", ".parquet"):
        print("--out must end in .csv or .parquet", file=sys.stderr)
        return 2
    with Store.open(folder) as store:
        _warn_settings(store.settings, store.report)
        as_of = args.as_of or datetime.now(ZoneInfo(store.settings.timezone)).date()
        try:
            request = Request(args.grain, as_of, args.horizon, tuple(args.channel), tuple(args.queue))
            result = make_forecast(store, request)
        except ForecastError as error:
            print(f"{folder}: {error}", file=sys.stderr)
            return 1
        run_id = record.save(folder, result)
    rows = result.rows[["ts", "yhat", "yhat_lower", "yhat_upper", "model"]]
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with _naming(args.out):
            if args.out.suffix.lower() == ".csv":
                args.out.write_bytes(csv_bytes(rows))  # text cells neutralised: never a formula
            else:
                rows.to_parquet(args.out, index=False)
    table = result.accuracy_table()
    chosen = table[table["chosen"]].iloc[0]
    backtest_actuals = result.backtest.rows
    floor = accuracy.poisson_floor(result.rows["yhat"])
    if args.json:
        def clean(value):
            return None if isinstance(value, float) and value != value else value
        candidates = [{key: clean(value) for key, value in row.items()}
                      for row in json.loads(table.to_json(orient="records"))]
        print(json.dumps({
            "run_id": run_id, "as_of": as_of.isoformat(), "grain": args.grain,
            "horizon_days": args.horizon, "channels": args.channel, "queues": args.queue,
            "chosen": result.model, "interval_level": LEVEL, "interval_source": result.interval_source,
            "backtest_origins": int(backtest_actuals["as_of"].nunique()),
            "backtest_lead_days": result.backtest.lead_days,
            "poisson_floor": floor, "target_mape": accuracy.TARGET_MAPE,
            "rows": len(rows), "candidates": candidates, "failed": result.backtest.failed}))
        return 0
    print(f"{request.label()}, by {args.grain}, as of {as_of}, {args.horizon} days ahead: "
          f"{len(rows):,} open intervals forecast with {chosen['label']} (run {run_id})")
    print(f"Backtest over {backtest_actuals['as_of'].nunique()} origins, leads "
          f"0-{result.backtest.lead_days} days (WAPE / MAPE / bias):")
    for row in table.itertuples():
        mark = "*" if row.chosen else " "
        print(f" {mark} {row.label:<68} {100 * row.wape:6.1f}% {100 * row.mape:6.1f}% "
              f"{100 * row.bias:+6.1f}%")
    for name, reason in result.backtest.failed.items():
        print(f"   left out: {name} ({reason})")
    print(f"Poisson floor at the forecast's volumes: WAPE {100 * floor['wape']:.1f}%, "
          f"MAPE {100 * floor['mape']:.1f}% (target MAPE {100 * accuracy.TARGET_MAPE:g}%)")
    if args.out is not None:
        print(f"{args.out}: {len(rows):,} rows")
    return 0


def _schedule(folder: Path, args: argparse.Namespace) -> int:
    """A week's schedule from a stored forecast, kept in the record; the figures as text or JSON."""
    from cxdash import record
    from cxdash.forecast import GRAINS
    from cxdash.safe import csv_bytes, excel_writer, neutralise_formulas
    from cxdash.schedule import Plan, RulesError, keep, make_schedule
    from cxdash.schedule.roster import read_roster
    from cxdash.schedule.rules import rules_from
    from cxdash.settings import load_settings

    if args.out is not None and args.out.suffix.lower() not in (".csv", ".xlsx"):
        print("--out must end in .csv or .xlsx", file=sys.stderr)
        return 2
    if args.safety is not None and not 50 <= args.safety <= 99:
        print("--safety must be a whole percent from 50 to 99", file=sys.stderr)
        return 2
    if args.share is not None and not 50 <= args.share <= 100:
        print("--share must be a whole percent from 50 to 100", file=sys.stderr)
        return 2
    if args.agents is not None and not 1 <= args.agents <= 5000:
        print("--agents must be from 1 to 5000", file=sys.stderr)
        return 2
    settings = load_settings(folder)
    _warn_settings(settings)
    try:
        meta = record.metadata(folder, args.forecast)
    except (OSError, ValueError):
        print(f"{folder}: no forecast run {args.forecast!r} in the record (see the Forecast page or "
              "`python -m cxdash forecast`)", file=sys.stderr)
        return 1
    if meta.get("grain") not in GRAINS or meta["grain"] == "day":
        print(f"{args.forecast}: a schedule needs a 15- or 30-minute forecast, not one by day",
              file=sys.stderr)
        return 1
    roster = None
    try:
        rules = rules_from(settings.schedule)
        if args.roster is not None:
            roster, problems, _ = read_roster(args.roster.read_bytes(), args.roster.name, rules)
            for line in problems:
                print(f"warning: {line}", file=sys.stderr)
        patience = None
        if args.erlang_a:
            from cxdash import staffing
            from cxdash.store import Store

            request = record.request_of(meta)
            with Store.open(folder) as store:
                patience = staffing.patience_seconds(store, request.channels, request.queues, request.as_of)
            if patience is None:
                print("warning: too few abandons to tell the customers' patience: Erlang C used",
                      file=sys.stderr)
        plan = Plan(args.week, agents=args.agents, roster=None if roster is None else tuple(roster),
                    safety_pct=args.safety, share_pct=args.share, time_limit=args.time_limit,
                    erlang_a=patience is not None)
        rows = record.rows(folder, args.forecast, settings.timezone)
        made = make_schedule(rows, args.forecast, GRAINS[meta["grain"]], plan, settings, patience)
    except RulesError as error:
        print(f"{folder}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        if args.roster is not None and error.filename == str(args.roster):
            print(f"{args.roster}: the roster could not be read ({error.strerror})", file=sys.stderr)
            return 2
        raise
    schedule_id = keep.save(folder, made)
    if made.shifts is not None and args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with _naming(args.out):
            if args.out.suffix.lower() == ".csv":
                args.out.write_bytes(csv_bytes(made.shifts))
            else:
                with excel_writer(args.out) as writer:
                    neutralise_formulas(made.roster).to_excel(writer, sheet_name="Roster", index=False)
                    neutralise_formulas(made.shifts).to_excel(writer, sheet_name="Shifts", index=False)
    document = {"schedule_id": schedule_id, **keep.summary(made)}
    if args.json:
        print(json.dumps(document, default=str))
        return 0 if made.shifts is not None else 1
    for line in made.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if made.shifts is None:
        print(f"{folder}: {made.solution.message}", file=sys.stderr)
        return 1
    _print_schedule(document, args)
    return 0


def _print_schedule(document: dict, args: argparse.Namespace) -> None:
    solver, week, inputs = document["solver"], document["week"], document["inputs"]
    print(f"Schedule {document['schedule_id']}: week from {inputs['week']}, {inputs['agents']} agents, "
          f"forecast {inputs['forecast_run']} at {inputs['safety_pct']}% safety")
    print(f"Solver (CP-SAT)        {document['status']} in {solver['seconds']:.1f} s; shortfall "
          f"{solver['shortfall_contacts']:,.1f} contacts (gap {100 * solver['shortfall_gap']:.1f}%), "
          f"paid hours gap {100 * solver['gap']:.1f}%")
    asa = "overloaded" if week["asa_seconds"] is None else f"{week['asa_seconds']:.1f} s"
    print(f"Service level          {100 * week['service_level']:.1f}% within {inputs['target_seconds']:g} s "
          f"(target {inputs['service_level_pct']}%)")
    print(f"ASA                    {asa}")
    print(f"Occupancy              {100 * week['occupancy']:.1f}%")
    print(f"Abandon rate           {100 * week['abandon_rate']:.1f}%")
    print(f"Paid hours             {week['paid_hours']:,.1f} (${week['cost_usd']:,.0f} at "
          f"${inputs['loaded_hourly_rate_usd']:g}/h)")
    print(f"Understaffed           {week['intervals_under']} of {week['intervals']} intervals "
          f"({week['understaffed_agent_intervals']:.1f} agent-intervals)")
    for line in document["understaffed"]:
        print(f"  {line}")
    print(f"Overstaffed            {week['intervals_over']} intervals "
          f"({week['overstaffed_agent_intervals']:.1f} agent-intervals)")
    for line in document["overstaffed"]:
        print(f"  {line}")
    if args.out is not None:
        print(f"{args.out}: the shifts")


@contextmanager
def _import_stages(source: str, stream=None, after: float = 1.0):
    """A progress hook that prints the import's stages to `stream` (stderr) once it has run `after`
    seconds, when that is a terminal (a script reading the output sees no such line): the stage at that
    moment, then each new one. Yields None when nothing is to be printed."""
    import threading
    import time

    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        yield None
        return
    started = time.monotonic()
    lock = threading.Lock()
    state = {"stage": "", "fraction": 0.0, "shown": False}

    def line() -> None:
        print(f"{source}: {state['fraction']:4.0%} {state['stage']} ({time.monotonic() - started:.1f} s)",
              file=stream, flush=True)

    def tell(stage: str, fraction: float) -> None:
        with lock:
            state.update(stage=stage, fraction=fraction)
            if state["shown"]:
                line()

    def late() -> None:
        with lock:
            state["shown"] = True
            if state["stage"]:
                line()

    timer = threading.Timer(after, late)
    timer.daemon = True
    timer.start()
    try:
        yield tell
    finally:
        timer.cancel()


def _audit_import(folder: Path, args: argparse.Namespace, summary) -> None:
    """The import in the audit trail, under the account that ran the command; a trail that cannot be
    written is said on stderr, the import stands."""
    import getpass

    from cxdash import audit

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = f"uid {os.getuid()}"
    try:
        audit.record(folder, user, "command line", "import", page="command line",
                     target=", ".join(path.name for path in args.paths),
                     details={"source": args.source, "records_read": summary.records_read,
                              "new": summary.new, "updated": summary.updated,
                              "set_aside": summary.set_aside, "deleted": summary.deleted})
    except OSError as error:  # AuditError is one: its text is a sentence without a path
        print(f"{args.source}: imported, but {error}", file=sys.stderr)


def _import(folder: Path, args: argparse.Namespace) -> int:
    import tomllib

    from cxdash.importers import import_files
    from cxdash.settings import load_settings

    missing = [str(path) for path in args.paths if not path.is_file()]
    if missing:
        print(f"not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    mapping = None
    if args.mapping is not None:
        try:
            mapping = tomllib.loads(args.mapping.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            print(f"{args.mapping}: the mapping could not be read ({error})", file=sys.stderr)
            return 2
    settings = load_settings(folder)
    _warn_settings(settings)
    try:
        # the stages on a terminal when the import takes a while
        with _import_stages(args.source) as stages:
            summary = import_files(folder, args.source, args.paths, settings, mapping, preview=args.preview,
                                   on_wait=lambda text: print(f"{args.source}: {text}", file=sys.stderr,
                                                              flush=True), progress=stages)
    except ValueError as error:  # a mapping or export that cannot be used at all, a month file that
        print(f"{args.source}: {error}", file=sys.stderr)  # cannot be read, another import still running
        return 1
    if not args.preview:  # who imported what, in the audit trail: on the command line, the account
        _audit_import(folder, args, summary)
    if args.json:
        print(json.dumps(summary.to_dict(), default=str))
    else:
        for line in summary.lines():
            print(line)
    return 0
