"""A rule book: the rule sets one app decides by, asked by jurisdiction and day.

Services never reach for a process-wide rule set; they are given a ``RuleBook`` by the
composition root (``pctrade.bootstrap``), which hands out the shipped one
(``shipped()``) unless told otherwise, so a simulator or a test can decide by rules of
its own. The rule set in force for a jurisdiction on a day is the one with the latest
``effective_from`` on or before that day; an earlier one stays reachable by its
version, so a past decision can always be explained by the rules it cited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib import resources

from pctrade.kernel.errors import NotFound
from pctrade.rules.checks import RuleSetError
from pctrade.rules.loader import load_text
from pctrade.rules.model import RuleSet


class RuleBook:
    """Rule sets ordered by jurisdiction then effective date; versions are unique."""

    def __init__(self, rule_sets: Iterable[RuleSet]) -> None:
        ordered = tuple(sorted(rule_sets, key=lambda r: (r.jurisdiction, r.effective_from)))
        versions = [r.version for r in ordered]
        if len(set(versions)) != len(versions):
            raise RuleSetError("a rule book holds each version once")
        self._rule_sets = ordered

    def rule_sets(self) -> tuple[RuleSet, ...]:
        """Every rule set of the book, ordered by jurisdiction then effective date."""
        return self._rule_sets

    def in_force(self, jurisdiction: str, on: date) -> RuleSet:
        """The rule set of ``jurisdiction`` in force on ``on``."""
        candidates = [
            r for r in self._rule_sets if r.jurisdiction == jurisdiction and r.effective_from <= on
        ]
        if not candidates:
            raise NotFound(
                f"no rule set of {jurisdiction!r} is in force on {on.isoformat()}",
                code="no_rule_set",
            )
        return max(candidates, key=lambda r: r.effective_from)

    def by_version(self, version: str) -> RuleSet:
        for rule_set in self._rule_sets:
            if rule_set.version == version:
                return rule_set
        raise NotFound(f"no rule set {version!r}", code="no_rule_set")


@cache
def shipped() -> RuleBook:
    """The rule sets shipped in ``pctrade/rules/data/<jurisdiction>/<date>.toml``."""
    root = resources.files("pctrade.rules") / "data"
    found = []
    for folder in sorted(root.iterdir(), key=lambda entry: entry.name):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".toml"):
                continue
            where = f"rules/data/{folder.name}/{entry.name}"
            rule_set = load_text(entry.read_text(encoding="utf-8"), where)
            if rule_set.version != f"{folder.name}/{entry.name[:-5]}":
                raise RuleSetError(
                    f"{where}: says {rule_set.version}; the path must be "
                    "<jurisdiction>/<effective_from>.toml"
                )
            found.append(rule_set)
    return RuleBook(found)
