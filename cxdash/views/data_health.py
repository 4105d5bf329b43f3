"""What the Data health page shows: every file checked against the contract, freshness, the settings'
problems, the rows set aside and the definitions in effect."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cxdash import costs, health, lifetime
from cxdash.metrics import METRICS, definition
from cxdash.safe import code, plain
from cxdash.store import Store
from cxdash.views import Tile

ALL_FILES = "All files"  # the first option of the set-aside rows' file picker


@dataclass(frozen=True)
class DataHealthPage:
    """Everything the Data health page shows but the set-aside rows of the file picked."""

    caption: str  # the data folder and how long preparing it took
    tiles: tuple[Tile, ...]  # files, rows read, used and set aside, the last day with contacts
    clean: bool  # every file passes the data contract
    messages: tuple[str, ...]  # what each file breaks, as Markdown
    settings_notice: str | None  # the notice on the settings file; None when it has no problems
    settings_problems: str  # its problems as plain text, a line each: they quote the file's own keys
    files: pd.DataFrame
    problems: pd.DataFrame
    files_with_rows_set_aside: list[str]  # the file picker's options after ALL_FILES
    definitions_caption: str
    definitions: pd.DataFrame  # every KPI's definition in effect, lifetime value's and the cost source


def data_health_page(store: Store) -> DataHealthPage:
    report = store.report
    fresh = health.freshness(store)
    read, aside = report.rows_read, report.rows_set_aside
    settings_file = code(store.folder / "cxdash.toml")
    problems = store.settings.problems
    return DataHealthPage(
        caption=f"Data folder: {code(store.folder)} · prepared in {report.seconds:.2f} s · "
                "rows read = rows used + rows set aside, for every file",
        tiles=(
            Tile("Files", f"{len(report.files):,}"),
            Tile("Rows read", f"{read:,}"),
            Tile("Rows used", f"{read - aside:,}"),
            Tile("Rows set aside", f"{aside:,}",
                 help="Rows that break the data contract. They are kept, not dropped: see below."),
            Tile("Last day with contacts", f"{fresh['last_day']:%d %b %Y}" if fresh["last_day"] else "–",
                 help=f"Newest file changed at {fresh['newest_file_at']:%Y-%m-%d %H:%M} UTC"
                 if fresh["newest_file_at"] else None),
        ),
        clean=report.clean, messages=tuple(plain(line) for line in report.messages()),
        settings_notice=f"{len(problems)} problem(s) in {settings_file}: each setting named below is "
                        "not used, and its default is in effect until the file is fixed."
        if problems else None,
        settings_problems="\n".join(problems),
        files=health.files_frame(report), problems=health.problems_frame(report),
        files_with_rows_set_aside=[f.path for f in report.files if f.rows_set_aside],
        definitions_caption=f"From {settings_file} where present, else the seed documents' defaults.",
        definitions=pd.DataFrame(
            [{"KPI": METRICS[n].label, "definition": definition(n, store.settings).text} for n in METRICS]
            + [{"KPI": label, "definition": text} for label, text in lifetime.definitions(store.settings)]
            + [{"KPI": "Source of costs", "definition": costs.source_text(store)}]))


def set_aside_rows(store: Store, chosen: str = ALL_FILES) -> pd.DataFrame:
    """The rows set aside of the file chosen in the picker (ALL_FILES: of every file)."""
    return health.set_aside_rows(store, "" if chosen == ALL_FILES else chosen)
