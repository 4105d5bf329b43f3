"""Importers: the exports users have (Amazon Connect, Zendesk, Genesys Cloud, Talkdesk, Asterisk, any
CSV or Excel file with a mapping) turned into the data contract under DATA/interactions/<source>/.

Each importer module has `parse(paths, settings, mapping) -> core.Parsed`; `core.store` checks,
deduplicates and merges the result, so every source is idempotent and incremental the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from cxdash.importers.core import ImportSummary, Parsed, store
from cxdash.settings import Settings
from cxdash.sources import LABELS, SOURCES  # the names, kept light for the CLI

__all__ = ["LABELS", "SOURCES", "ImportSummary", "Parsed", "import_files", "parse_files", "parser"]


def parser(source: str) -> Callable[..., Parsed]:
    """The parse function of a source."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(SOURCES)}")
    return importlib.import_module(f"cxdash.importers.{SOURCES[source]}").parse


def parse_files(source: str, paths: list[Path], settings: Settings, mapping: dict | None = None) -> Parsed:
    """Read a source's export files into the contract's rows (nothing is written)."""
    return parser(source)([Path(p) for p in paths], settings, mapping)


def import_files(folder: Path, source: str, paths: list[Path], settings: Settings,
                 mapping: dict | None = None, preview: bool = False,
                 on_wait: Callable[[str], None] | None = None) -> ImportSummary:
    """Read a source's export files and merge them into the data folder (or, with preview, say what
    would happen and write nothing). While another import into the folder runs, this one waits for it,
    after telling `on_wait` so."""
    parsed = parse_files(source, paths, settings, mapping)
    return store(Path(folder), parsed, settings, [Path(p).name for p in paths], preview=preview,
                 on_wait=on_wait)
