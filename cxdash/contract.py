"""The data contract: the tables cxdash reads from the data folder, their columns, types, required
columns, allowed values, ranges and the rules across columns. This module is their one definition;
everything else is derived from it:

- `TABLES` is what cxdash.ingest prepares (each table's folder, key, time column and file kinds);
- `contract_schema` is the arrow schema files are written in (the demo, the importers' month files),
  and `create_table_sql` the store's empty tables (a folder without a table still answers queries);
- the checks: cxdash.ingest turns the columns and rules into one list of SQL checks
  (`ingest.column_checks`, `ingest.table_checks`) and runs it (`ingest.judge`) on every file of the
  data folder; the importers run that same list, by DuckDB over the rows they parsed
  (`importers.core.contract_problems`), so an import stores only rows validate passes and sets the
  others aside for the same reasons.

Why one list run as SQL by both, rather than one list with a SQL and a pandas rendering: a rule written
once cannot drift between the two (a pandas check and a SQL check of "negative" differ on NaN,
infinities and text that is not a number), and DuckDB reads the parsed rows through Arrow where they
are (a million rows are judged in seconds). The one difference is the words: validation says a problem
beside its column ("csat_score: outside 1-5"), an import says it as a reason ("column csat_score:
above 5"), as each has always done; each check carries both wordings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

CHANNELS = ("phone", "chat", "email", "social", "sms", "self_service")
LIVE_CHANNELS_DEFAULT = ("phone", "chat")
ASYNC_CHANNELS_DEFAULT = ("email", "social", "sms")
COST_TYPES = ("labor", "technology", "telephony", "facilities", "outsourcing", "training", "one_time")


@dataclass(frozen=True)
class Column:
    """One column of a contract table: its DuckDB type, whether it must be present, its valid range,
    and, for a vocabulary (channel, cost type), the values allowed, matched after trimming and in
    lower case."""

    name: str
    sql_type: str
    required: bool = False
    meaning: str = ""
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A rule across columns: `condition` (SQL over the typed columns) is true for a row that breaks
    it; the row is set aside under `column` with `problem`."""

    column: str
    condition: str
    problem: str


@dataclass(frozen=True)
class Table:
    """A contract table: its folder under DATA/, columns, unique key ('' = none), the time column its
    rows are sorted by, the file kinds accepted in its folder and its rules across columns."""

    name: str
    columns: tuple[Column, ...]
    key: str
    sort_column: str
    extensions: tuple[str, ...] = (".parquet",)
    rules: tuple[Rule, ...] = ()


INTERACTION_COLUMNS: tuple[Column, ...] = (
    Column("interaction_id", "VARCHAR", True, "unique across all files"),
    Column("channel", "VARCHAR", True, "phone, chat, email, social, sms, self_service (any case)",
           allowed=CHANNELS),
    Column("arrived_at", "TIMESTAMPTZ", True, "entered the queue (async: created); naive = UTC"),
    Column("queue", "VARCHAR", False, "routing queue or topic"),
    Column("answered_at", "TIMESTAMPTZ", False, "first agent answer or first reply"),
    Column("ended_at", "TIMESTAMPTZ", False, "contact ended; for an abandon, when the customer left"),
    Column("abandoned", "BOOLEAN", False, "derived from answered_at when absent"),
    Column("talk_seconds", "DOUBLE", False, "talk time", minimum=0),
    Column("hold_seconds", "DOUBLE", False, "hold time", minimum=0),
    Column("wrap_seconds", "DOUBLE", False, "after-contact work", minimum=0),
    Column("agent_id", "VARCHAR", False, "pseudonymous agent"),
    Column("team", "VARCHAR", False, "agent's team"),
    Column("tier", "INTEGER", False, "highest support tier that handled it", 1, 3),
    Column("resolved_first_contact", "BOOLEAN", False, "resolved at first contact"),
    Column("csat_score", "INTEGER", False, "survey answer 1-5", 1, 5),
    Column("nps_score", "INTEGER", False, "likelihood to recommend 0-10", 0, 10),
    Column("ces_score", "INTEGER", False, "customer effort 1-7 (7 = very easy)", 1, 7),
    Column("customer_id", "VARCHAR", False, "pseudonymous customer"),
)

COSTS_COLUMNS: tuple[Column, ...] = (
    Column("month", "DATE", True, "first day of the month"),
    Column("channel", "VARCHAR", True, "channel the cost belongs to, or shared",
           allowed=(*CHANNELS, "shared")),
    Column("cost_type", "VARCHAR", True,
           "labor, technology, telephony, facilities, outsourcing, training, one_time", allowed=COST_TYPES),
    Column("amount_usd", "DOUBLE", True, "cost in US dollars"),
)

ORDERS_COLUMNS: tuple[Column, ...] = (
    Column("order_id", "VARCHAR", True, "unique order"),
    Column("customer_id", "VARCHAR", True, "pseudonymous customer"),
    Column("ordered_at", "TIMESTAMPTZ", True, "when the order was placed"),
    Column("revenue_usd", "DOUBLE", True, "order revenue; negative for a refund"),
    Column("returned", "BOOLEAN", False, "order was returned"),
    Column("warranty_claim", "BOOLEAN", False, "a warranty claim was made"),
)

QA_COLUMNS: tuple[Column, ...] = (
    Column("evaluation_id", "VARCHAR", True, "one evaluation of one interaction"),
    Column("interaction_id", "VARCHAR", True, "the interaction evaluated"),
    Column("agent_id", "VARCHAR", True, "the agent evaluated"),
    Column("evaluated_at", "TIMESTAMPTZ", True, "when the evaluation was made"),
    Column("item", "VARCHAR", True, "scorecard item"),
    Column("score", "DOUBLE", True, "points given"),
    Column("max_score", "DOUBLE", True, "points possible"),
)

TABLES: dict[str, Table] = {
    "interactions": Table("interactions", INTERACTION_COLUMNS, "interaction_id", "arrived_at", rules=(
        Rule("answered_at", "answered_at < arrived_at", "answered before arrived"),
        Rule("ended_at", "ended_at < arrived_at", "ended before arrived"),
        Rule("abandoned", "abandoned and answered_at is not null", "marked abandoned but answered"),
    )),
    "costs": Table("costs", COSTS_COLUMNS, "", "month", (".parquet", ".csv"), rules=(
        Rule("month", "day(month) <> 1", "not the first day of a month"),
    )),
    "orders": Table("orders", ORDERS_COLUMNS, "order_id", "ordered_at", (".parquet", ".csv")),
    "qa": Table("qa", QA_COLUMNS, "", "evaluated_at", (".parquet", ".csv"), rules=(
        Rule("score", "score > max_score or score < 0 or max_score <= 0", "outside 0-max_score"),
    )),
}

# what the prepared store adds to a table's rows: the file each row came from (DATA-relative path)
SOURCE_FILE = Column("source_file", "VARCHAR", True, "the data folder's file the row was read from")
# the columns every row set aside carries, before the row's own values (sql/rejected_rows.sql)
SET_ASIDE_COLUMNS: tuple[Column, ...] = (
    SOURCE_FILE,
    Column("source_row", "BIGINT", True, "the row's number in its file, 1-based as a spreadsheet counts"),
    Column("reason", "VARCHAR", True, "every problem of the row, as column: problem, joined by ;"),
)

ARROW_TYPES = {
    "VARCHAR": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(), "DATE": pa.date32(),
}


def contract_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """The arrow schema of contract columns, as the demo and the importers write them and the store
    expects them."""
    return pa.schema([(c.name, ARROW_TYPES[c.sql_type]) for c in columns])


def create_table_sql(name: str, columns: tuple[Column, ...]) -> str:
    """A DuckDB statement making an empty table of these columns (names and types from here only)."""
    return f"create or replace table {name} ({', '.join(f'{c.name} {c.sql_type}' for c in columns)})"
