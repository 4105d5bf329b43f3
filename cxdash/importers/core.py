"""What every importer shares: the parsed form of an export, the contract checks, and the merge into
DATA/interactions/<source>/<YYYY-MM>.parquet that makes imports idempotent and incremental.

An importer turns a platform's export into `Parsed`: one row per customer contact in the data
contract's columns, plus `source_updated_at` (the record's version: a changed record replaces an
older one), and the records it could not use, each with its reason. `store` then

- keeps the newest version of each interaction_id within the export (at-least-once delivery),
- sets aside rows that break the contract (required values, ranges), with the column and reason,
- merges the rest into one file per local month: a new id is added, a newer version of a known id
  replaces it (wherever it was), the same or an older version changes nothing, and a month file is
  written only when its rows changed, so importing the same export twice writes nothing,
- keeps the set-aside records in DATA/imports/<source>/ and a line per import in DATA/imports/log.jsonl.

Every record read is accounted for: read = new + updated + unchanged + superseded + merged + set aside.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxdash.contract import CHANNELS, INTERACTION_COLUMNS
from cxdash.ingest import contract_schema
from cxdash.settings import Settings

IMPORTS_DIR = "imports"
VERSION_COLUMN = "source_updated_at"
SET_ASIDE_COLUMNS = ["source_file", "source_row", "reason", "record"]


def import_schema() -> pa.Schema:
    """The columns of an imported month file: the contract's, then the record's version."""
    return contract_schema(INTERACTION_COLUMNS).append(pa.field(VERSION_COLUMN, pa.timestamp("us", tz="UTC")))


def empty_set_aside() -> pd.DataFrame:
    return pd.DataFrame({"source_file": pd.Series(dtype="str"), "source_row": pd.Series(dtype="int64"),
                         "reason": pd.Series(dtype="str"), "record": pd.Series(dtype="str")})


@dataclass
class Parsed:
    """An export read by an importer.

    rows: one row per customer contact, with any of the contract's columns (absent ones are null)
        and source_updated_at; timestamps tz-aware (UTC or any zone).
    set_aside: source_file, source_row (1-based line or record number), reason, record (raw text).
    records_read: records in the files (lines, array items, rows), before any dedupe or chaining.
    merged: records folded into another row (transfer legs chained into one customer contact).
    """

    source: str
    rows: pd.DataFrame
    set_aside: pd.DataFrame = field(default_factory=empty_set_aside)
    records_read: int = 0
    merged: int = 0
    superseded: int = 0  # older versions the importer already dropped (e.g. records of a chain)
    notes: list[str] = field(default_factory=list)
    # columns this export does not carry (e.g. Zendesk tickets imported without their metrics): for a
    # record already stored, an empty value here keeps the stored one instead of erasing it
    not_carried: tuple[str, ...] = ()


@dataclass
class ImportSummary:
    """What an import did (or, for a preview, would do)."""

    source: str
    files: list[str]
    records_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0  # older versions of a record within the export
    merged: int = 0  # records folded into another (transfer legs, a call's further log lines)
    set_aside: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    months_written: list[str] = field(default_factory=list)
    set_aside_file: str | None = None
    notes: list[str] = field(default_factory=list)
    preview: bool = False
    set_aside_rows: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def balanced(self) -> bool:
        return self.records_read == (self.new + self.updated + self.unchanged + self.superseded
                                     + self.merged + self.set_aside)

    def lines(self) -> list[str]:
        verb = "would be" if self.preview else "were"
        lines = [f"{self.source}: {self.records_read:,} records read from {len(self.files)} file(s) = "
                 f"{self.new:,} new + {self.updated:,} updated + {self.unchanged:,} already imported + "
                 f"{self.superseded:,} older versions + {self.merged:,} folded into another record + "
                 f"{self.set_aside:,} set aside"]
        for reason, count in sorted(self.reasons.items(), key=lambda item: -item[1]):
            lines.append(f"  set aside: {count:,} {reason}")
        if self.months_written:
            lines.append(f"  month files that {verb} written: {', '.join(self.months_written)}")
        elif not self.preview:
            lines.append("  nothing new: no file was written")
        if self.set_aside_file:
            lines.append(f"  the set-aside records are kept in {self.set_aside_file}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines

    def to_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "set_aside_rows"}, "balanced": self.balanced}


# --- helpers the text importers share --------------------------------------------------------------

_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"


def mapping_zone(mapping: dict | None) -> str:
    """The zone naive times of an export are in: the mapping's `timezone`, else UTC."""
    name = str((mapping or {}).get("timezone") or "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"mapping: timezone {name!r} is not a time zone name "
                         "(e.g. America/New_York)") from None
    return name


def parse_times(values: pd.Series, zone: str) -> pd.Series:
    """ISO 8601 text as UTC timestamps; text without an offset is local time in `zone` (a time a
    daylight-saving change repeats is read as the first, one it skips moves forward); NaT when absent
    or not a timestamp."""
    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    present = text.notna() & (text != "")
    aware = present & text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool)
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], utc=True, errors="coerce", format="ISO8601")
    naive = present & ~aware
    if naive.any():
        local = pd.to_datetime(text[naive], errors="coerce", format="ISO8601")
        out[naive] = local.dt.tz_localize(zone, ambiguous=np.ones(len(local), dtype=bool),
                                          nonexistent="shift_forward").dt.tz_convert("UTC")
    return out


def flag(reasons: pd.Series, mask: pd.Series, reason: str) -> None:
    """Give rows matching `mask` that have no reason yet this one (the first problem of a row wins)."""
    reasons[mask.fillna(False).astype(bool) & (reasons == "")] = reason


# --- contract checks -------------------------------------------------------------------------------

def _normalise(rows: pd.DataFrame) -> pd.DataFrame:
    """Every contract column present, in the contract's types; timestamps in UTC; channel lower case."""
    out = pd.DataFrame(index=rows.index)
    for column in [*INTERACTION_COLUMNS, None]:
        name = VERSION_COLUMN if column is None else column.name
        kind = "TIMESTAMPTZ" if column is None else column.sql_type
        values = rows[name] if name in rows else pd.Series([None] * len(rows), index=rows.index, dtype=object)
        if kind == "TIMESTAMPTZ":
            out[name] = pd.to_datetime(values, utc=True, errors="coerce").astype("datetime64[us, UTC]")
        elif kind == "DOUBLE":
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == "INTEGER":
            out[name] = pd.to_numeric(values, errors="coerce").astype("Float64")
        elif kind == "BOOLEAN":
            out[name] = values.astype("boolean") if len(values) else pd.Series(dtype="boolean")
        else:
            out[name] = values.astype("string").where(values.notna(), None)
    out["channel"] = out["channel"].str.lower()
    return out


def contract_problems(rows: pd.DataFrame) -> pd.Series:
    """The first contract problem of each row ('' when none): required values, channel, ranges,
    whole numbers. The same rules validate applies, so what is imported passes it."""
    problems = pd.Series("", index=rows.index, dtype="object")

    def flag(mask, text: str) -> None:
        mask = pd.Series(mask, index=rows.index).fillna(False).astype(bool)
        problems.loc[mask & (problems == "")] = text

    for column in INTERACTION_COLUMNS:
        values = rows[column.name]
        if column.required:
            flag(values.isna(), f"column {column.name}: missing")
        if column.sql_type == "INTEGER":
            flag(values.notna() & (values != values.round()), f"column {column.name}: not a whole number")
        if column.minimum is not None:
            flag(values.notna() & (values < column.minimum),
                 f"column {column.name}: below {column.minimum:g}")
        if column.maximum is not None:
            flag(values.notna() & (values > column.maximum),
                 f"column {column.name}: above {column.maximum:g}")
    flag(rows["channel"].notna() & ~rows["channel"].isin(CHANNELS),
         f"column channel: not one of {', '.join(CHANNELS)}")
    # the table checks of ingest._table_checks, so an import passes validate
    flag(rows["answered_at"] < rows["arrived_at"], "column answered_at: answered before arrived")
    flag(rows["ended_at"] < rows["arrived_at"], "column ended_at: ended before arrived")
    flag(rows["abandoned"].fillna(False).astype(bool) & rows["answered_at"].notna(),
         "column abandoned: marked abandoned but answered")
    return problems


# --- the merge -------------------------------------------------------------------------------------

def _months(arrived: pd.Series, timezone: str) -> np.ndarray:
    """The local month (YYYY-MM) of each arrival, formatted once per month rather than per row."""
    local = arrived.dt.tz_convert(timezone)
    values, inverse = np.unique((local.dt.year * 100 + local.dt.month).to_numpy(), return_inverse=True)
    labels = np.array([f"{value // 100:04d}-{value % 100:02d}" for value in values], dtype=object)
    return labels[inverse]


def source_dir(folder: Path, source: str) -> Path:
    return Path(folder) / "interactions" / source


def _month_files(folder: Path, source: str) -> dict[str, Path]:
    directory = source_dir(folder, source)
    return {path.stem: path for path in sorted(directory.glob("*.parquet"))} if directory.is_dir() else {}


def _read_month(path: Path) -> pd.DataFrame:
    return _normalise(pq.read_table(path).to_pandas())


def _same(left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
    """Row by row (aligned frames): every contract value equal (nulls equal nulls)."""
    equal = np.ones(len(left), dtype=bool)
    for column in INTERACTION_COLUMNS:
        a, b = left[column.name].reset_index(drop=True), right[column.name].reset_index(drop=True)
        both_null = a.isna() & b.isna()
        equal &= (both_null | (a == b).fillna(False)).to_numpy(dtype=bool)
    return equal


def store(folder: Path, parsed: Parsed, settings: Settings, files: list[str], preview: bool = False,
          now: datetime | None = None) -> ImportSummary:
    """Check, deduplicate and merge an export into its month files (or, with preview, only count)."""
    summary = ImportSummary(parsed.source, [str(f) for f in files], records_read=parsed.records_read,
                            merged=parsed.merged, notes=list(parsed.notes), preview=preview)
    rows = _normalise(parsed.rows.reset_index(drop=True))
    set_aside = [parsed.set_aside] if len(parsed.set_aside) else []

    problems = contract_problems(rows)
    bad = problems != ""
    if bad.any():
        set_aside.append(pd.DataFrame({
            "source_file": parsed.rows.get("source_file", pd.Series("", index=parsed.rows.index))
            .reset_index(drop=True)[bad.to_numpy()].astype(str).to_numpy(),
            "source_row": parsed.rows.get("source_row", pd.Series(0, index=parsed.rows.index))
            .reset_index(drop=True)[bad.to_numpy()].to_numpy(dtype="int64"),
            "reason": problems[bad].to_numpy(),
            "record": rows[bad].astype(str).to_json(orient="records", lines=True).splitlines()}))
        rows = rows[~bad]

    # the newest version of each record in this export (delivery is at least once)
    if not pd.Index(rows["interaction_id"].to_numpy(dtype=object)).is_unique:  # a hash check; sort if need be
        rows = rows.sort_values([VERSION_COLUMN, "interaction_id"], na_position="first", kind="stable")
        latest = ~rows["interaction_id"].duplicated(keep="last")
        summary.superseded = int((~latest).sum())
        rows = rows[latest]
    summary.superseded += parsed.superseded

    existing_files = _month_files(folder, parsed.source)
    existing = {month: _read_month(path) for month, path in existing_files.items()}
    # which month file holds each stored id: one hash index over every stored id (object strings:
    # pandas' Arrow strings look up a million ids far more slowly)
    stored_ids = pd.Index(np.concatenate([frame["interaction_id"].to_numpy(dtype=object)
                                          for frame in existing.values()] or [np.array([], dtype=object)]))
    stored_month = np.concatenate([np.full(len(frame), month, dtype=object)
                                   for month, frame in existing.items()] or [np.array([], dtype=object)])
    position = stored_ids.get_indexer(rows["interaction_id"].to_numpy(dtype=object))

    changed: dict[str, pd.DataFrame] = {}
    new_ids = position < 0
    summary.new = int(new_ids.sum())
    known = rows[~new_ids]
    if len(known):
        known_months = pd.Series(stored_month[position[~new_ids]], index=known.index)
        replace = np.zeros(len(known), dtype=bool)
        known = known.copy()
        for month, group in known.groupby(known_months.to_numpy()):
            stored = existing[month].set_index("interaction_id").loc[group["interaction_id"]].reset_index()
            for column in parsed.not_carried:
                filled = group[column].where(group[column].notna(), stored[column].to_numpy())
                known.loc[group.index, column] = filled
                group = group.assign(**{column: filled})
            # a record without a version counts as older than any with one
            incoming, kept = group[VERSION_COLUMN].reset_index(drop=True), stored[VERSION_COLUMN]
            newer = (kept.isna() | (incoming >= kept).fillna(False)).to_numpy(dtype=bool) & \
                ~(incoming.isna() & kept.notna()).to_numpy(dtype=bool)
            differs = ~_same(group, stored)
            replace[np.flatnonzero(known_months.to_numpy() == month)] = newer & differs
        summary.updated = int(replace.sum())
        summary.unchanged = int(len(known) - replace.sum())
        replaced = known[replace]
        gone = pd.Index(replaced["interaction_id"].to_numpy(dtype=object))
        for month in set(known_months[replace]):
            frame = changed.get(month, existing[month])
            changed[month] = frame[~pd.Index(frame["interaction_id"].to_numpy(dtype=object)).isin(gone)]
        incoming = pd.concat([rows[new_ids], replaced])
    else:
        incoming = rows[new_ids]
    for month, group in incoming.groupby(_months(incoming["arrived_at"], settings.timezone)):
        base = changed.get(month, existing.get(month))
        changed[month] = group if base is None else pd.concat([base, group])

    set_aside_frame = pd.concat(set_aside, ignore_index=True) if set_aside else empty_set_aside()
    summary.set_aside = len(set_aside_frame)
    summary.reasons = dict(Counter(set_aside_frame["reason"]))
    summary.months_written = sorted(changed)
    summary.set_aside_rows = set_aside_frame
    if preview:
        return summary

    schema = import_schema()
    for month, frame in changed.items():
        target = source_dir(folder, parsed.source) / f"{month}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        if frame.empty:
            target.unlink(missing_ok=True)
            continue
        frame = frame.sort_values("arrived_at", kind="stable")  # time order: a day's scan skips the rest
        table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
        temporary = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, target)  # a reader sees the old month or the new, never half

    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%f")  # two imports a second stay apart
    log_dir = Path(folder) / IMPORTS_DIR
    if len(set_aside_frame):
        path = log_dir / parsed.source / f"{moment}-set-aside.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        set_aside_frame.to_parquet(path, index=False)
        summary.set_aside_file = str(path.relative_to(folder))
    log_import(folder, summary, moment)
    return summary


def log_import(folder: Path, summary: ImportSummary, moment: str | None = None) -> None:
    """A line in DATA/imports/log.jsonl: when, and the summary."""
    log_dir = Path(folder) / IMPORTS_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    moment = moment or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    with open(log_dir / "log.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps({"at": moment, **summary.to_dict()}) + "\n")


def read_log(folder: Path) -> pd.DataFrame:
    """Every import of the folder, newest first (DATA/imports/log.jsonl)."""
    path = Path(folder) / IMPORTS_DIR / "log.jsonl"
    if not path.exists():
        return pd.DataFrame()
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return pd.DataFrame(entries).iloc[::-1].reset_index(drop=True) if entries else pd.DataFrame()
