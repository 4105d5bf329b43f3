"""What the Audit trail page shows: the trail's events narrowed by day, person and action, the options
of those filters, and whether the trail's chain is intact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from cxdash import audit
from cxdash.safe import plain

_PROBLEMS_NAMED = 10  # the chain's problems named in its sentence; all of them are in `problems`


@dataclass(frozen=True)
class AuditPage:
    """The events that pass the filters and what the filters offer."""

    rows: pd.DataFrame  # at (UTC), user, role, action, page, target, details (JSON text), line: newest first
    users: list[str]  # everyone in the trail, for the people filter
    actions: list[str]  # every action in the trail, in the order of audit.ACTIONS, then the rest
    first_day: date | None  # the first and last UTC day with an event (None: no event has a time)
    last_day: date | None
    total: int  # lines in the trail
    shown: int  # of them, the rows that pass the filters
    caption: str  # how many events are shown, and of which actions (Markdown, the actions as text)
    intact: bool  # the chain shows no line changed, removed, added or damaged
    chain: str  # the chain's state in words
    problems: tuple[str, ...]  # each problem of the chain, naming its line

    @property
    def empty(self) -> bool:
        return self.total == 0


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _chain_words(total: int, problems: list[str]) -> str:
    if not problems:
        return (f"The trail is intact: each of its {_plural(total, 'line')} follows from the one before, so "
                "no line before the newest was changed, removed or added.")
    named = " ".join(problems[:_PROBLEMS_NAMED])
    more = f" And {_plural(len(problems) - _PROBLEMS_NAMED, 'more problem')}." \
        if len(problems) > _PROBLEMS_NAMED else ""
    return f"The trail is not as it was written ({_plural(len(problems), 'problem')}): {named}{more}"


def audit_page(folder: Path, start: date | None, end: date | None, users: Sequence[str],
               actions: Sequence[str]) -> AuditPage:
    """The trail of the data folder narrowed to UTC days start to end (inclusive; None: open), these
    people and these actions (empty: all). A damaged line has no time: it passes any range of days,
    so that a filter never hides it. Raises audit.AuditError when the trail cannot be read."""
    trail, problems = audit.read_and_verify(folder)
    at = trail["at"]
    keep = pd.Series(True, index=trail.index)
    if start is not None:
        keep &= at.isna() | (at >= pd.Timestamp(start, tz="UTC"))
    if end is not None:
        keep &= at.isna() | (at < pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))
    if users:
        keep &= trail["user"].isin(list(users))
    if actions:
        keep &= trail["action"].isin(list(actions))
    rows = trail[keep].sort_values("line", ascending=False).reset_index(drop=True)
    present = set(trail["action"])
    known = [action for action in audit.ACTIONS if action in present]
    ordered = [*known, *sorted(present - set(known))]
    counts = rows["action"].value_counts()
    by_action = ", ".join(f"{plain(action)} {counts[action]:,}" for action in ordered if action in counts)
    timed = at.dropna().dt.date
    return AuditPage(
        rows=rows,
        users=sorted(set(trail["user"]) - {""}),
        actions=ordered,
        first_day=min(timed) if len(timed) else None, last_day=max(timed) if len(timed) else None,
        total=len(trail), shown=len(rows),
        caption=f"{len(rows):,} of {_plural(len(trail), 'event')} shown" + (f": {by_action}." if by_action
                                                                            else "."),
        intact=not problems, chain=_chain_words(len(trail), problems), problems=tuple(problems))
