"""What changed between two rule sets: every figure, citation and assumption, one line each.

A regulator publishing a new version, or a platform checking what a new version means
for it, needs the changes, not two files to compare by eye. ``diff`` compares two rule
sets field by field — the file's own keys (name, dates, issuance paths, notes), every
section's figures, which of them are assumptions and which sources each section cites,
and the sources' own figures — and lists each difference as a ``Change``. Values are
compared as plain data (numbers, text, lists, tables), so a change of one lot inside
``[trading] lots`` shows as that lot's field, not as a whole new table.

Pure: two ``RuleSet`` values in, changes out; comparing different jurisdictions works the
same (what differs between Guangdong and the national market).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from enum import Enum
from typing import Any

from pctrade.rules.model import SECTIONS, RuleSet, Session

ABSENT = None  # the value on the side where a field, a section or a source is not there


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: where (``section`` "" for the file's own keys, ``sources`` for
    the cited sources), the field's dotted path, and its plain value on each side."""

    section: str
    field: str
    before: Any
    after: Any


def plain(value: Any) -> Any:
    """A rule-set value as plain, comparable data (the API's and the diff's form)."""
    if isinstance(value, Session):  # as the file writes it
        return f"{_clock(value.open_s)}-{_clock(value.close_s)}"
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (frozenset, set)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def diff(before: RuleSet, after: RuleSet) -> tuple[Change, ...]:
    """Every difference from ``before`` to ``after``, file keys first, then sections in
    the file's order, then sources; within each, by field."""
    changes: list[Change] = []
    for key in ("jurisdiction", "iso_code", "name", "effective_from", "issuance_paths", "notes"):
        changes += _changes("", key, plain(getattr(before, key)), plain(getattr(after, key)))
    for name in SECTIONS:
        changes += _changes(
            name, "", _section(getattr(before, name)), _section(getattr(after, name))
        )
    changes += _changes("sources", "", plain(before.sources), plain(after.sources))
    return tuple(changes)


def _section(section: Any) -> dict[str, Any] | None:
    if section is None:
        return ABSENT
    body = {f.name: plain(getattr(section, f.name)) for f in fields(section) if f.name != "cited"}
    body["sources"] = list(section.cited.sources)
    body["assumed"] = sorted(section.cited.assumed)
    return body


def _changes(section: str, path: str, a: Any, b: Any) -> Iterator[Change]:
    """The differences of two plain values, descending into tables present on both sides."""
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _changes(section, f"{path}.{key}" if path else key, a.get(key), b.get(key))
        return
    yield Change(section, path, a, b)
