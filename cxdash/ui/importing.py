"""The Import page's widgets: pick a source, upload its export, read what would be added and set aside,
then confirm. Nothing reaches DATA/interactions/ before the user confirms. The work (saving, checking,
confirming, the history) is in cxdash/importers/uploads.py; while it runs, a bar moves through the
stages it reports, beside a spinner with the time elapsed (progress_shown)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from cxdash.access import for_browser
from cxdash.importers.uploads import (
    LIMITS,
    MB,
    PARQUET,
    UPLOADS,
    Check,
    Progress,
    Upload,
    check,
    confirm,
    history,
    limits_text,
    part,
    plural,
    problem_text,
    read_mapping,
    remove_upload,
    save_upload,
    steady,
    types_text,
)
from cxdash.safe import plain as escape_markdown  # file names and messages quoting them are data
from cxdash.store import Store
from cxdash.ui import access, download_csv, signin

log = logging.getLogger("cxdash")

SAVE_SHARE = 0.1  # of a check's progress bar: saving the upload and counting its records, before reading

# --- the page ---------------------------------------------------------------------------------------

def size_limit_mb() -> int:
    """The largest file the uploader takes, in megabytes: server.maxUploadSize in .streamlit/config.toml,
    or less when an upload may hold less (UploadLimits.upload_bytes)."""
    return min(int(st.get_option("server.maxUploadSize")), max(LIMITS.upload_bytes // MB, 1))


def source_picker() -> str:
    """The Source selectbox: every importer, then a parquet file in the data contract."""
    return st.selectbox("Source", list(UPLOADS), format_func=lambda name: UPLOADS[name].label,
                        key="import_source",
                        help="Where the export comes from: it decides how the file is read. Imports are "
                             "idempotent: importing the same export twice adds nothing.")


def upload_widgets(source: str) -> tuple[list, object | None]:
    """The uploader (and, for csv, the mapping's) with the accepted types and size limit in words.
    Their keys change after each confirmed upload, which empties them."""
    round_ = st.session_state.setdefault("import_round", 0)
    limit = size_limit_mb()
    chosen = UPLOADS[source]
    types = chosen.extensions
    files = st.file_uploader(f"{chosen.label}: files to check", type=list(types) if types else None,
                             accept_multiple_files=True, key=f"import_files_{source}_{round_}",
                             max_upload_size=limit, help=chosen.hint)
    st.caption(f"{types_text(source)}, up to {limit:,} MB each. {limits_text(source)} {chosen.hint}")
    required = chosen.mapping is not None and chosen.mapping.required
    if chosen.doc and not required:  # a required mapping's expander holds the whole format instead
        with st.expander("What this importer reads, and how it counts"):
            st.markdown(chosen.doc)
    mapping = None
    if chosen.mapping is not None:
        required, purpose = chosen.mapping.required, chosen.mapping.purpose
        mapping = st.file_uploader("Mapping file (TOML)" + ("" if required else ", optional"), type=["toml"],
                                   key=f"import_mapping_{source}_{round_}", max_upload_size=1, help=purpose)
        with st.expander("How to write the mapping" if required else "When a mapping is needed"):
            st.caption(purpose + " A short example:")
            st.code(chosen.mapping.example, language="toml")
            doc = chosen.doc if required else None
            if doc:
                st.markdown("**The whole format**, as the importer reads it:")
                st.markdown(doc)
    return list(files or []), mapping


def finished_notice() -> None:
    """What the last confirmed upload did (set just before the rerun that emptied the uploader)."""
    done = st.session_state.pop("import_done", None)
    if done is None:
        return
    message, lines = done
    st.success(escape_markdown(message), icon=":material/check_circle:")
    if lines:
        st.markdown(lines_markdown(lines))
    st.page_link("pages/overview.py", label="Open the Overview", icon=":material/dashboard:")


@contextmanager
def progress_shown(text: str) -> Iterator[Progress]:
    """While the work inside runs: a spinner saying `text` (Markdown) with the time elapsed, and a bar
    that moves through the stages the work reports to the hook this yields, each stage's sentence
    shown as text (it may name the files). Both go once the work is done, or has failed."""
    slot = st.empty()
    box = slot.container()
    bar = box.progress(0.0, text="Starting…")
    try:
        with box.spinner(text, show_time=True):
            yield steady(lambda stage, fraction: bar.progress(fraction, text=escape_markdown(stage)))
    finally:
        slot.empty()


def review(store: Store, source: str, files: list, mapping_file) -> None:
    """Check the uploaded files (once per upload), show the report and offer to add them."""
    if UPLOADS[source].mapping is not None and UPLOADS[source].mapping.required and mapping_file is None:
        st.info(f"Upload the mapping file too: the {source} importer needs it to know which column is which.",
                icon=":material/rule:")
        return
    key = (source, tuple(f.file_id for f in files), getattr(mapping_file, "file_id", None))
    held = st.session_state.get("import_upload")
    if held is None or held["key"] != key:
        if held is not None and held.get("directory"):
            remove_upload(store.folder, Path(held["directory"]))
        held = {"key": key, "directory": None, "mapping": None, "check": None, "error": None}
        names = ", ".join(f.name for f in files)
        try:
            mapping = read_mapping(mapping_file.name, mapping_file.getvalue()) if mapping_file else None
            with progress_shown(f"Reading {escape_markdown(names)} and checking it against the data "
                                "contract. Nothing is written yet…") as progress:
                upload = save_upload(store.folder, [(f.name, f.getbuffer()) for f in files], mapping,
                                     progress=part(progress, 0.0, SAVE_SHARE))
                held["directory"], held["mapping"] = str(upload.directory), mapping
                held["check"] = check(store.folder, source, upload, store.settings,
                                      part(progress, SAVE_SHARE, 1.0))
        except Exception as error:  # noqa: BLE001 - an upload must never take the page down
            held["error"] = problem_text(names, error)
            if held["directory"]:  # an upload that cannot be added is not kept
                remove_upload(store.folder, Path(held["directory"]))
                held["directory"] = None
        st.session_state["import_upload"] = held
    if held["error"]:
        st.error(escape_markdown(held["error"]), icon=":material/error:")
        return
    show_check(held["check"])
    confirm_button(store, source, held)


def show_check(result: Check) -> None:
    """The report: tiles, the report in words, the identity, problems and the records set aside."""
    st.subheader("What this upload would do")
    noun = result.noun.capitalize()
    tiles = [(f"{noun}s read", result.read, "Every record (line, array item, row) in the files."),
             ("New", result.new, "Not in the data yet: they would be added.")]
    if result.source != PARQUET:
        tiles.append(("Updated", result.updated, "Newer versions of records already imported: they "
                                                 "would replace the older ones."))
    tiles += [("Already imported" if result.source != PARQUET else "Already in the data", result.unchanged,
               "Imported before, unchanged: nothing to do." if result.source != PARQUET else
               "Their interaction_id is already used by a file in the data: they would be set aside there "
               "as repeats."),
              ("Set aside", result.set_aside, "Records that are not customer contacts or break the data "
                                              "contract: listed below with the reason, never dropped.")]
    cells = st.columns(len(tiles))
    for cell, (label, value, help_text) in zip(cells, tiles, strict=True):
        cell.metric(label, f"{value:,}", border=True, help=help_text)
    st.markdown(lines_markdown(result.lines))
    if result.balanced:
        st.caption(f":material/check: {result.identity}")
    else:
        st.warning(f"The counts do not add up: {result.identity}. Please report this.")
    for line in result.warnings:
        st.warning(escape_markdown(line), icon=":material/warning:")
    if result.problems is not None and len(result.problems):
        st.markdown("**Problems by column**")
        st.dataframe(result.problems, hide_index=True)
    if result.set_aside:
        st.markdown(f"**{noun}s that would be set aside** ({result.set_aside:,})")
        st.dataframe(for_browser(result.set_aside_rows, access()), hide_index=True)  # no raw records
        st.caption("The raw records, which can hold customer identifiers, are not shown in the browser: "
                   "an import keeps them, with these reasons, in the data folder's imports/<source>/ "
                   "folder on the server.")
        download_csv(result.set_aside_rows, "set_aside_records.csv", "Download the set-aside records (CSV)",
                     key="download-import-set-aside")


def confirm_button(store: Store, source: str, held: dict) -> None:
    """The primary button that writes the upload into the data folder; then empties the uploader."""
    result: Check = held["check"]
    for blocker in result.blockers:
        st.error(escape_markdown(blocker), icon=":material/block:")
    if result.blockers:
        return
    if result.to_add == 0:
        st.info(f"Nothing to add: every {result.noun} is already in the data or set aside.",
                icon=":material/info:")
        return
    if source == PARQUET:
        label = "Add this file" if len(result.files) == 1 else f"Add these {len(result.files)} files"
    else:
        label = f"Import {plural(result.to_add, result.noun)}"
    if not st.button(label, type="primary", icon=":material/upload_file:", key="import_confirm"):
        return
    upload = Upload(Path(held["directory"]), [Path(held["directory"]) / name for name in result.files],
                    held.get("mapping"))
    try:
        with progress_shown("Writing into the data folder…") as progress:
            # while another import into the folder runs (CLI or page), this one waits and says so
            message, lines = confirm(store.folder, source, upload, store.settings, result,
                                     on_wait=lambda text: st.info(text[:1].upper() + text[1:],
                                                                  icon=":material/hourglass_top:"),
                                     progress=progress)
    except Exception as error:  # noqa: BLE001 - a failed import is said in words, the page stays up
        st.error(escape_markdown(problem_text(", ".join(result.files), error)), icon=":material/error:")
        return
    signin.record(access(), "import", page="data_import", target=", ".join(result.files), folder=store.folder,
                  details={"source": source, "records_read": result.read, "new": result.new,
                           "updated": result.updated, "set_aside": result.set_aside})
    remove_upload(store.folder, upload.directory)
    st.session_state.pop("import_upload", None)
    st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1  # empties the uploader
    st.session_state["import_done"] = (message, lines)
    st.rerun()


def forget_upload(folder: Path) -> None:
    """The uploader was emptied: remove the upload it held."""
    held = st.session_state.pop("import_upload", None)
    if held and held.get("directory"):
        remove_upload(folder, Path(held["directory"]))


def history_section(folder: Path) -> None:
    st.subheader("History")
    frame = history(folder)
    if frame.empty:
        st.caption("Nothing has been imported into this data folder yet.")
        return
    st.caption("Every import into this data folder, newest first (kept in DATA/imports/log.jsonl).")
    st.dataframe(frame, hide_index=True, column_config={
        "at": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm:ss"),
        "records_read": st.column_config.NumberColumn("read"),
        "unchanged": st.column_config.NumberColumn("already imported"),
        "set_aside": st.column_config.NumberColumn("set aside"),
        "months_written": "month files written"})
    download_csv(frame, "import_history.csv", "Download the history (CSV)", key="download-import-history")


def lines_markdown(lines: list[str]) -> str:
    """A summary's lines (the first a sentence, the rest indented details) as a markdown list."""
    if not lines:
        return ""
    head, *details = lines
    return "\n".join([escape_markdown(head), ""] + [f"- {escape_markdown(line.strip())}" for line in details])
