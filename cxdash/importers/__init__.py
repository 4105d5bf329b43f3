"""Importers: the exports users have (Amazon Connect, Zendesk, Genesys Cloud, Talkdesk, Asterisk, any
CSV or Excel file with a mapping) turned into the data contract under DATA/interactions/<source>/.

Each importer module declares its source once, as `SOURCE = core.Source(...)`: its name, label,
accepted file types, the hint and mapping file the Import page shows, and its `parse(paths, settings,
mapping) -> core.Parsed`. SOURCES below lists them, in the order the app offers them; the command line,
the upload checks and the Import page read everything about a source there. `core.store` checks,
deduplicates and merges what a parse returns, so every source is idempotent and incremental the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxdash.importers import amazon_connect, asterisk, csv_mapping, genesys, talkdesk, zendesk
from cxdash.importers.core import PARSE_SHARE, ImportSummary, Parsed, Source, part, steady, store
from cxdash.settings import Settings

__all__ = ["SOURCES", "ImportSummary", "Parsed", "Source", "import_files", "parse_files", "source"]

# every source by name, in the order the app offers them
SOURCES: dict[str, Source] = {module.SOURCE.name: module.SOURCE for module in (
    amazon_connect, zendesk, genesys, talkdesk, asterisk, csv_mapping)}


def source(name: str) -> Source:
    """The source of this name; ValueError naming the sources when there is none."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}: one of {', '.join(SOURCES)}")
    return SOURCES[name]


def parse_files(name: str, paths: list[Path], settings: Settings, mapping: dict | None = None,
                progress: Callable[[str, float], None] | None = None) -> Parsed:
    """Read a source's export files into the contract's rows (nothing is written). `progress` hears
    "Reading <the files>" (0.0), then how many records were read (1.0): an importer reads its files
    together (a call may run on from one rotated log into the next), so there is no finer step."""
    paths = [Path(p) for p in paths]
    if progress is not None:
        progress("Reading " + ", ".join(p.name for p in paths[:3])
                 + (f" and {len(paths) - 3} more files" if len(paths) > 3 else ""), 0.0)
    parsed = source(name).parse(paths, settings, mapping)
    if progress is not None:
        progress(f"Read {parsed.records_read:,} record{'' if parsed.records_read == 1 else 's'}", 1.0)
    return parsed


def import_files(folder: Path, name: str, paths: list[Path], settings: Settings,
                 mapping: dict | None = None, preview: bool = False,
                 on_wait: Callable[[str], None] | None = None,
                 progress: Callable[[str, float], None] | None = None) -> ImportSummary:
    """Read a source's export files and merge them into the data folder (or, with preview, say what
    would happen and write nothing). While another import into the folder runs, this one waits for it,
    after telling `on_wait` so. `progress` hears the stages of both (core.steady, core.part)."""
    progress = steady(progress)
    parsed = parse_files(name, paths, settings, mapping, part(progress, 0.0, PARSE_SHARE))
    # the parsed rows are this call's alone: once checked, their memory goes to the merge
    return store(Path(folder), parsed, settings, [Path(p).name for p in paths], preview=preview,
                 on_wait=on_wait, progress=part(progress, PARSE_SHARE, 1.0), release=True)
