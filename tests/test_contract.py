"""The data contract has one definition (cxdash.contract) and one set of checks (cxdash.ingest): the
store's tables and schemas come from it, and an import sets aside the rows validate sets aside, for the
same problem, each in its own words."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyarrow.parquet as pq

from cxdash import contract, ingest
from cxdash.importers.core import Parsed, store
from cxdash.ingest import FileColumn, column_checks, prepare, store_path, table_checks
from cxdash.settings import Settings
from cxdash.store import Store
from tests.builders import write_interactions


def call(interaction_id: str, **values) -> dict:
    """A phone call answered after 10 s at 18:00 UTC on 10 January 2024."""
    return {"interaction_id": interaction_id, "channel": "phone", "arrived_at": "2024-01-10 18:00:00",
            "answered_at": "2024-01-10 18:00:10", "ended_at": "2024-01-10 18:05:00",
            "abandoned": False, "talk_seconds": 290.0, **values}


# one row per problem, and what validate and an import each say of it (an import names the first only)
ROWS = [
    (call("ok"), None, None),
    (call("spaced", channel=" Chat "), None, None),  # a channel is read trimmed, in any case
    (call("csat", csat_score=6), "csat_score: outside 1-5", "column csat_score: above 5"),
    (call("nps", nps_score=-1), "nps_score: outside 0-10", "column nps_score: below 0"),
    (call("talk", talk_seconds=-5.0), "talk_seconds: negative", "column talk_seconds: below 0"),
    (call("fax", channel="fax"), "channel: unknown channel",
     "column channel: not one of phone, chat, email, social, sms, self_service"),
    (call("early", answered_at="2024-01-10 17:59:00"), "answered_at: answered before arrived",
     "column answered_at: answered before arrived"),
    (call("old", arrived_at="1970-01-01 00:00:00", answered_at=None, ended_at=None),
     "arrived_at: outside the plausible dates (the [validation] window of the settings)",
     "column arrived_at: outside the plausible dates 1980-01-01 to 2100-01-01 (the [validation] window "
     "of the settings)"),
    (call("two", talk_seconds=-5.0, csat_score=6), "talk_seconds: negative; csat_score: outside 1-5",
     "column talk_seconds: below 0"),  # the checks run in the contract's column order
]


def test_an_import_sets_aside_the_rows_validate_sets_aside_for_the_same_problems(tmp_path):
    rows = [row for row, _, _ in ROWS]
    write_interactions(tmp_path / "folder", rows)
    report = prepare(tmp_path / "folder", Settings())
    [rejected] = (store_path(tmp_path / "folder") / "interactions" / "rejected").glob("*.parquet")
    validated = dict(pq.read_table(rejected, columns=["interaction_id", "reason"]).to_pandas()
                     .itertuples(index=False, name=None))

    frame = pd.DataFrame(rows).assign(source_file="export", source_row=range(1, len(rows) + 1))
    summary = store(tmp_path / "imported", Parsed("test", frame, records_read=len(rows)), Settings(),
                    ["export"])
    imported = {rows[number - 1]["interaction_id"]: reason for number, reason in
                summary.set_aside_rows[["source_row", "reason"]].itertuples(index=False, name=None)}

    assert validated == {row["interaction_id"]: words for row, words, _ in ROWS if words}
    assert imported == {row["interaction_id"]: reason for row, _, reason in ROWS if reason}
    assert (report.rows_read, report.rows_set_aside) == (9, 7)
    assert (summary.records_read, summary.new, summary.set_aside) == (9, 2, 7) and summary.balanced


def test_each_check_of_a_score_is_worded_for_validate_and_for_an_import():
    _, checks = column_checks(contract.TABLES["interactions"],
                              {"csat_score": FileColumn("CSAT_Score", "BIGINT")}, Settings())
    assert [(c.column, c.problem, c.reason) for c in checks if c.column == "csat_score"] == [
        ("csat_score", "not a valid whole number", None),
        ("csat_score", "not a whole number", None),
        ("csat_score", "outside 1-5", "below 1"),
        ("csat_score", "outside 1-5", "above 5"),
    ]
    # the columns the file lacks: the three required ones, missing
    assert [(c.column, c.problem, c.reason) for c in checks if c.condition == "true"] == [
        ("interaction_id", "missing required column", "missing"),
        ("channel", "missing required column", "missing"),
        ("arrived_at", "missing required column", "missing"),
    ]
    assert [(c.column, c.problem) for c in table_checks(contract.TABLES["costs"])] == [
        ("channel", "unknown channel"), ("cost_type", "unknown cost type"),
        ("month", "not the first day of a month")]


def test_the_tables_and_the_store_empty_tables_come_from_the_contract(tmp_path):
    assert ingest.TABLES is contract.TABLES
    write_interactions(tmp_path, [call("ok")])
    with Store.open(tmp_path) as opened:  # no orders, no QA, nothing set aside: empty tables
        con = opened.cursor()
        for name in ("orders", "qa", "set_aside"):
            described = con.execute(f"describe {name}").fetchall()
            columns = contract.SET_ASIDE_COLUMNS if name == "set_aside" else \
                (*contract.TABLES[name].columns, contract.SOURCE_FILE)
            assert [(row[0], row[1]) for row in described] == [
                (c.name, c.sql_type.replace("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE")) for c in columns]
    schema = contract.contract_schema(contract.QA_COLUMNS)
    assert schema.names == ["evaluation_id", "interaction_id", "agent_id", "evaluated_at", "item", "score",
                            "max_score"]
    assert str(schema.field("evaluated_at").type) == "timestamp[us, tz=UTC]"


def test_a_changed_rule_changes_the_store_version(monkeypatch):
    version = ingest.store_version()
    qa = contract.TABLES["qa"]
    changed = dataclasses.replace(qa, rules=(contract.Rule("score", "score > max_score", "above max_score"),))
    monkeypatch.setitem(contract.TABLES, "qa", changed)
    assert ingest.store_version() != version
