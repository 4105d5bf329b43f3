"""A demo data folder whose names are hostile: queue, team, agent, QA item and special-day names written
as Markdown links and images, Streamlit directives, HTML and spreadsheet formulas. Every page must show
them as the text they are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import DEMO_END, DEMO_SCALE

QUEUE = "[reset your password](https://evil.example/login)"
TEAM = "![x](https://evil.example/p.png)"
TEAM_HTML = '<a href="https://evil.example/t">team</a>'
AGENT = ":red[**URGENT call 555**]"
AGENT_FORMULA = '=HYPERLINK("https://evil.example/f","open")'
ITEM = "<img src=https://evil.example/i.png>Greeting"
SPECIAL_DAY = "[Sale](https://evil.example/s) <b>day</b>"
# the original demo names each hostile name replaces
RENAMED = {"queue": {"billing": QUEUE}, "team": {"Team Day": TEAM, "Team Evening": TEAM_HTML},
           "agent_id": {"agent_005": AGENT, "agent_006": AGENT_FORMULA}}
HOSTILE = (QUEUE, TEAM, TEAM_HTML, AGENT, AGENT_FORMULA, ITEM, SPECIAL_DAY)


def _rename(path: Path, renames: dict[str, dict[str, str]]) -> None:
    table = pq.read_table(path)
    frame = table.to_pandas()
    for column, names in renames.items():
        if column in frame.columns:
            frame[column] = frame[column].replace(names)
    pq.write_table(pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False), path)


def write_hostile_demo(folder: Path) -> Path:
    """The small demo, its last months' files renamed with hostile names, a hostile special day and
    the hostile queue among the coaching queues."""
    from cxdash.demo import write_demo

    write_demo(folder, end=DEMO_END, scale=DEMO_SCALE, seed=7)
    for month in ("2026-08-01", "2026-09-01", "2026-10-01"):
        _rename(folder / "interactions" / f"month={month}" / "interactions.parquet", RENAMED)
    qa = folder / "qa" / "qa.parquet"
    items = pq.read_table(qa).column("item").to_pylist()
    _rename(qa, {"agent_id": RENAMED["agent_id"], "item": {items[0]: ITEM}})
    settings = folder / "cxdash.toml"
    text = settings.read_text(encoding="utf-8")
    special = (f'  {{ name = "{_toml(SPECIAL_DAY)}", start = {date(2026, 10, 5)}, '
               f'end = {date(2026, 10, 6)} }},\n')
    text = text.replace("special_days = [\n", "special_days = [\n" + special, 1)
    assert special in text, "the demo's settings list special days"
    text += f'\n[lifetime_value]\ncoaching_queues = ["product_advice", "{_toml(QUEUE)}"]\n'
    settings.write_text(text, encoding="utf-8")
    return folder


def _toml(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
