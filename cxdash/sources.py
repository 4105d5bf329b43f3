"""The import sources by name, with no importer loaded: the command line's choices read them here, so
a command that imports nothing (kpis, validate, report) never loads the importers."""

from __future__ import annotations

# source name -> module of cxdash.importers; the order is the order the app offers them in
SOURCES = {
    "amazon-connect": "amazon_connect",
    "zendesk": "zendesk",
    "genesys": "genesys",
    "talkdesk": "talkdesk",
    "asterisk": "asterisk",
    "csv": "csv_mapping",
}
LABELS = {
    "amazon-connect": "Amazon Connect contact trace records (JSON lines or JSON)",
    "zendesk": "Zendesk tickets, ticket metrics and satisfaction ratings (JSON or CSV)",
    "genesys": "Genesys Cloud conversation details (JSON)",
    "talkdesk": "Talkdesk calls report (CSV)",
    "asterisk": "Asterisk queue_log",
    "csv": "Any CSV or Excel file, with a mapping file",
}
