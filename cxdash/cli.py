"""The command line, for work users script or schedule: demo data, validation and KPI figures."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from cxdash.contract import CHANNELS
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
        "validate", help="check every file against the data contract; exit 1 if rows were set aside"))
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folder = data_dir(args.data)
    if args.command == "demo":
        return _demo(folder, args)
    if args.command == "validate":
        return _validate(folder, args)
    if args.command == "report":
        return _report(folder, args)
    return _kpis(folder, args)


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
    return 0 if report.clean and has_interactions else 1


def _kpis(folder: Path, args: argparse.Namespace) -> int:
    from cxdash.kpis import Filters, Period, kpi_values
    from cxdash.store import Store

    if args.end < args.start:
        print("--end is before --start", file=sys.stderr)
        return 2
    store = Store.open(folder)
    values = kpi_values(store, Period(args.start, args.end),
                        Filters(tuple(args.channel), tuple(args.queue), tuple(args.team)))
    if args.json:
        print(json.dumps(values))
    else:
        from cxdash.metrics import METRICS, format_value
        for name, value in values.items():
            print(f"{METRICS[name].label:<26} {format_value(name, value)}")
    return 0


def _report(folder: Path, args: argparse.Namespace) -> int:
    from cxdash import report
    from cxdash.store import Store

    with Store.open(folder) as store:
        if not store.has_interactions:
            print(f"{folder}: no interactions to report on", file=sys.stderr)
            return 1
        for line in store.report.messages():
            print(f"warning: {line}", file=sys.stderr)
        monthly = report.monthly_report(store, args.month)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report.to_html(monthly, folder.name), encoding="utf-8")
        if args.xlsx:
            args.xlsx.write_bytes(report.to_excel(monthly))
        if args.json:
            print(json.dumps(report.figures(monthly)))
        else:
            print(f"{args.out}: monthly report for {monthly.label}")
            for line in report.summary(monthly):
                print(f"  {line}")
    return 0
