"""The data contract: the tables cxdash reads from the data folder, their columns, types and ranges."""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("phone", "chat", "email", "social", "sms", "self_service")
LIVE_CHANNELS_DEFAULT = ("phone", "chat")
ASYNC_CHANNELS_DEFAULT = ("email", "social", "sms")


@dataclass(frozen=True)
class Column:
    """One column of a contract table: its DuckDB type, whether it must be present, its valid range."""

    name: str
    sql_type: str
    required: bool = False
    meaning: str = ""
    minimum: float | None = None
    maximum: float | None = None


INTERACTION_COLUMNS: tuple[Column, ...] = (
    Column("interaction_id", "VARCHAR", True, "unique across all files"),
    Column("channel", "VARCHAR", True, "phone, chat, email, social, sms, self_service (any case)"),
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
    Column("channel", "VARCHAR", True, "channel the cost belongs to"),
    Column("cost_type", "VARCHAR", True,
           "labor, technology, telephony, facilities, outsourcing, training, one_time"),
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

COST_TYPES = ("labor", "technology", "telephony", "facilities", "outsourcing", "training", "one_time")
