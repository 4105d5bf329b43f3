"""Staffing for planners: agents each interval of a stored forecast needs (Erlang C or A), against the
seed's simple formula and the user's own schedule."""

from cxdash import ui
from cxdash.ui import planning

store, _, _ = ui.context()
ui.page_start(store, "Staffing", "No interactions yet: there is nothing to staff.")
planning.staffing_section(store)
